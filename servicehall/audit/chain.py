"""The keyed SM3 chain of the audit trail: the trigger that chains each row as it commits, and
the walk that verifies it.

Each row's digest is an HMAC with SM3 (GB/T 32905), keyed by `SH_AUDIT_CHAIN_KEY` (default:
derived from SECRET_KEY), over the row's content, its sequence number and the previous row's
digest. Changing, removing, inserting or reordering a row therefore breaks the chain at that
row, and someone with write access to the table but not the key cannot recompute it.

The chain is added by a database trigger in the transaction that writes the row, so no row is
ever committed outside it (issue 17: a background sealer left a window in which a forged row
got sealed and a deleted one went unnoticed):

- PostgreSQL: a constraint trigger deferred to COMMIT takes the chain head's row lock and
  chains the transaction's rows there, so the lock is held for the commit only, and the
  receipt's one-statement path (db/cases.py) stays one statement. The digest is pgcrypto's
  `hmac(…, 'sm3')`; the key reaches the trigger as a setting of the application's own session
  (`servicehall.audit_key`, set when Django opens the connection), never stored in the
  database. A session without it (psql, another program) cannot write an audit row at all.
- SQLite: an AFTER INSERT trigger calls `sh_audit_mac`, a function Django registers on its own
  connections. SQLite has one writer at a time, which already holds the write lock to commit.

The row's canonical text is one SQL expression (`canonical_sql`) used both by the trigger and
by the verifying walk, which reads that text and computes the HMAC in Python: what is checked
is exactly what the database keeps, with no second serialisation to drift from the first.
"""

import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings

TABLE = "audit_auditevent"
HEAD = "audit_auditchainhead"
KEY_SETTING = "servicehall.audit_key"
# The columns a digest covers, in order; the chain's own two come last.
CONTENT_COLUMNS = (
    "id", "created_at", "actor_id", "actor_username", "actor_role", "center_id", "center_code",
    "action", "object_type", "object_id", "object_repr", "before", "after", "outcome", "source_ip",
)
CHAIN_COLUMNS = ("seq", "prev_hash")


def chain_key() -> bytes:
    key = getattr(settings, "SH_AUDIT_CHAIN_KEY", "") or ("audit-chain:" + settings.SECRET_KEY)
    return key.encode()


def mac(text: str) -> str:
    """HMAC-SM3 of a row's canonical text, as 64 hex digits."""
    return hmac.new(chain_key(), text.encode(), lambda: hashlib.new("sm3")).hexdigest()


def _column_text(vendor: str, column: str) -> str:
    name = f'"{column}"'
    if vendor == "postgresql":
        if column == "created_at":  # independent of the session's time zone
            return "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US')"
        return f"{name}::text"
    return f"CAST({name} AS TEXT)"


def canonical_sql(vendor: str) -> str:
    """The canonical text of a row as one SQL expression over its columns: each value as
    `<length>:<text>` (or `-` for NULL), joined by `|`, so no two rows share a text."""
    parts = []
    for column in CONTENT_COLUMNS + CHAIN_COLUMNS:
        text = _column_text(vendor, column)
        length = f"length({text})::text" if vendor == "postgresql" else f"length({text})"
        parts.append(f"coalesce({length} || ':' || {text}, '-')")
    return " || '|' || ".join(parts)


def _row_with_chain(seq: str, prev_hash: str, event_id: str) -> str:
    """A subquery yielding row `event_id` with the chain values it is about to be given."""
    columns = ", ".join(f'"{c}"' for c in CONTENT_COLUMNS)
    return f"SELECT {columns}, {seq} AS seq, {prev_hash} AS prev_hash FROM {TABLE} WHERE id = {event_id}"


def trigger_sql(vendor: str) -> list[str]:
    """The statements that install the chaining trigger (run by migration 0004)."""
    canonical = canonical_sql(vendor)
    if vendor == "postgresql":
        row = _row_with_chain("head_seq + 1", "head_hash", "NEW.id")
        return [
            "CREATE EXTENSION IF NOT EXISTS pgcrypto",
            f"""
CREATE OR REPLACE FUNCTION audit_event_chain() RETURNS trigger AS $$
DECLARE
    chain_key text := current_setting('{KEY_SETTING}', true);
    head_seq bigint;
    head_hash text;
BEGIN
    IF coalesce(chain_key, '') = '' THEN
        RAISE EXCEPTION 'audit rows are written by the application only (no chain key in this session)';
    END IF;
    SELECT last_seq, last_hash INTO head_seq, head_hash FROM {HEAD} WHERE id = 1 FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO {HEAD} (id, last_seq, last_hash) VALUES (1, 0, '') ON CONFLICT (id) DO NOTHING;
        SELECT last_seq, last_hash INTO head_seq, head_hash FROM {HEAD} WHERE id = 1 FOR UPDATE;
    END IF;
    WITH chained AS (
        UPDATE {TABLE} SET seq = head_seq + 1, prev_hash = head_hash, sealed_at = clock_timestamp(),
            hash = (SELECT encode(hmac({canonical}, chain_key, 'sm3'), 'hex') FROM ({row}) AS audit_row)
            WHERE id = NEW.id RETURNING hash)
    UPDATE {HEAD} SET last_seq = head_seq + 1, last_hash = (SELECT hash FROM chained), updated_at = clock_timestamp()
        WHERE id = 1;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql""",
            f"DROP TRIGGER IF EXISTS audit_event_chain ON {TABLE}",
            f"CREATE CONSTRAINT TRIGGER audit_event_chain AFTER INSERT ON {TABLE} "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_event_chain()",
        ]
    head_seq = f"(SELECT last_seq + 1 FROM {HEAD} WHERE id = 1)"
    head_hash = f"(SELECT last_hash FROM {HEAD} WHERE id = 1)"
    row = _row_with_chain(head_seq, head_hash, "NEW.id")
    now = "strftime('%Y-%m-%d %H:%M:%f', 'now')"
    return [
        "DROP TRIGGER IF EXISTS audit_event_chain",
        f"""
CREATE TRIGGER audit_event_chain AFTER INSERT ON {TABLE}
BEGIN
    INSERT OR IGNORE INTO {HEAD} (id, last_seq, last_hash, updated_at) VALUES (1, 0, '', NULL);
    UPDATE {TABLE} SET seq = {head_seq}, prev_hash = {head_hash}, sealed_at = {now},
        hash = (SELECT sh_audit_mac({canonical}) FROM ({row}) AS audit_row)
        WHERE id = NEW.id;
    UPDATE {HEAD} SET last_seq = last_seq + 1, last_hash = (SELECT hash FROM {TABLE} WHERE id = NEW.id),
        updated_at = {now} WHERE id = 1;
END""",
    ]


def drop_trigger_sql(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [f"DROP TRIGGER IF EXISTS audit_event_chain ON {TABLE}", "DROP FUNCTION IF EXISTS audit_event_chain()"]
    return ["DROP TRIGGER IF EXISTS audit_event_chain"]


def chain_now(connection) -> None:
    """Chain the rows this transaction has written now rather than at its COMMIT (PostgreSQL
    defers the trigger), so that a failure to chain them can be caught here."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS audit_event_chain IMMEDIATE")
            cursor.execute("SET CONSTRAINTS audit_event_chain DEFERRED")


def prepare_connection(sender, connection, **kwargs) -> None:
    """Give a new database connection what the trigger needs (connection_created receiver)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, %s, false)", [KEY_SETTING, chain_key().decode()])
    elif connection.vendor == "sqlite":
        connection.connection.create_function("sh_audit_mac", 1, mac, deterministic=True)


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    outside: int
    problem: str = ""
    event_id: int | None = None
    seq: int | None = None


def verify_rows(rows, head_seq: int, head_hash: str, outside: int) -> VerifyResult:
    """Walk chained rows (id, seq, prev_hash, hash, canonical text) in seq order up to the
    head; stop at the first one that does not fit. Rows beyond the head are the caller's."""
    expected_seq, prev = 1, ""
    checked = 0
    for event_id, seq, prev_hash, digest, text in rows:
        if seq > expected_seq:
            return VerifyResult(False, checked, outside,
                                f"缺少链序号 {expected_seq}–{seq - 1} 的记录（已被删除），其后第一条为记录 #{event_id}",
                                event_id, seq)
        if prev_hash != prev:
            return VerifyResult(False, checked, outside,
                                f"记录 #{event_id}（链序号 {seq}）的前序哈希不符：其前有记录被删除、插入或篡改",
                                event_id, seq)
        if not hmac.compare_digest(mac(text), digest):
            return VerifyResult(False, checked, outside, f"记录 #{event_id}（链序号 {seq}）的内容已被篡改",
                                event_id, seq)
        prev = digest
        expected_seq = seq + 1
        checked += 1
    if expected_seq - 1 != head_seq:
        return VerifyResult(False, checked, outside, f"链尾记录缺失：应有 {head_seq} 条，仅找到 {expected_seq - 1} 条",
                            None, expected_seq)
    if head_seq and prev != head_hash:
        return VerifyResult(False, checked, outside, "链尾哈希与记录不符", None, head_seq)
    return VerifyResult(True, checked, outside)
