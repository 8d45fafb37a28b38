"""What an intruder or a careless DBA does to the audit table, in raw SQL, for the chain tests.

The guard triggers refuse UPDATE of sealed rows (and DELETE on PostgreSQL), INSERT of sealed
rows and rewinding the chain head, and the chaining trigger refuses a row from a session
without the chain key. Someone who owns the tables can switch them all off first, and
`guard_bypassed()` does exactly that: DISABLE TRIGGER on PostgreSQL, DROP TRIGGER on SQLite
(which has no DISABLE). It switches them back on when the block ends, so the rest of the test
runs against the guarded table again.

On PostgreSQL the chain is added at COMMIT, which a TestCase never reaches: `chain_pending()`
runs the deferred trigger at once, as COMMIT would.
"""

import re
from contextlib import contextmanager
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.db import connection

from servicehall.audit.chain import canonical_sql, chain_now, mac
from servicehall.audit.models import AuditEvent
from servicehall.audit.services import audit_record

TABLE = "audit_auditevent"
# (table, trigger, migration that creates it)
GUARDS = [
    (TABLE, "audit_event_guard", "0002_append_only_triggers"),
    (TABLE, "audit_event_insert_guard", "0003_guard_inserts_and_head"),
    ("audit_auditchainhead", "audit_head_guard", "0003_guard_inserts_and_head"),
    (TABLE, "audit_event_chain", "0004_chain_at_commit"),
]


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def _sqlite_trigger_sql(name: str, migration: str) -> str:
    from importlib import import_module

    script = import_module(f"servicehall.audit.migrations.{migration}").SQLITE_FORWARD
    return next(part.strip() for part in script.split("---") if f"TRIGGER {name} " in part)


def raw(sql: str, params=()) -> int:
    """Run one statement on the default connection; returns the row count."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def chain_pending() -> None:
    """Chain the rows this transaction wrote, as its COMMIT would (PostgreSQL defers it)."""
    chain_now(connection)


def canonical_text(event_id: int) -> str:
    """A row's canonical text as the database computes it for the chain."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {canonical_sql(connection.vendor)} FROM {TABLE} WHERE id = %s", [event_id])
        return cursor.fetchone()[0]


def row_digest(event_id: int) -> str:
    """The digest the chain gives row `event_id` as it now stands, under the current key."""
    return mac(canonical_text(event_id))


def disable_guard() -> None:
    chain_pending()  # PostgreSQL refuses ALTER TABLE while trigger events are pending
    for table, name, _ in GUARDS:
        raw(f"ALTER TABLE {table} DISABLE TRIGGER {name}" if is_postgresql() else f"DROP TRIGGER {name}")


def enable_guard() -> None:
    for table, name, migration in GUARDS:
        raw(f"ALTER TABLE {table} ENABLE TRIGGER {name}" if is_postgresql() else _sqlite_trigger_sql(name, migration))


def guard_active() -> bool:
    with connection.cursor() as cursor:
        for table, name, _ in GUARDS:
            if is_postgresql():
                cursor.execute("SELECT tgenabled FROM pg_trigger WHERE tgname = %s AND tgrelid = %s::regclass",
                               [name, table])
                row = cursor.fetchone()
                if row is None or row[0] != "O":
                    return False
            else:
                cursor.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = %s", [name])
                if cursor.fetchone()[0] != 1:
                    return False
    return True


@contextmanager
def guard_bypassed():
    disable_guard()
    try:
        yield
    finally:
        enable_guard()


def set_column(event_id: int, column: str, value) -> int:
    """UPDATE one column of one row, as raw SQL (JSON columns take a JSON text)."""
    placeholder = "CAST(%s AS jsonb)" if is_postgresql() and column in {"before", "after"} else "%s"
    return raw(f'UPDATE {TABLE} SET "{column}" = {placeholder} WHERE id = %s', [value, event_id])


def delete_row(event_id: int) -> int:
    return raw(f"DELETE FROM {TABLE} WHERE id = %s", [event_id])


def insert_forged(*, seq: int | None, prev_hash: str, hash: str, object_repr: str = "伪造的记录",
                  created_at: datetime | None = None) -> int:
    """INSERT a row by hand with whatever chain fields the forger likes; returns its id."""
    created_at = created_at or datetime(2026, 3, 2, 2, 0, tzinfo=dt_timezone.utc)
    created_at = connection.ops.adapt_datetimefield_value(created_at)
    columns = ("created_at", "actor_username", "actor_role", "center_code", "action", "object_type", "object_id",
               "object_repr", "outcome", "seq", "prev_hash", "hash")
    values = [created_at, "staff_a", "staff", "21140301", "window.update", "org.window", "1", object_repr,
              "success", seq, prev_hash, hash]
    with connection.cursor() as cursor:
        sql = (f"INSERT INTO {TABLE} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})")
        if is_postgresql():
            cursor.execute(sql + " RETURNING id", values)
            return cursor.fetchone()[0]
        cursor.execute(sql, values)
        return cursor.lastrowid


def shift_seqs_up(from_seq: int) -> None:
    """Make room at `from_seq` by moving it and every later row one place up (guard off).

    Two steps, because a UNIQUE column cannot take `seq = seq + 1` in one go on PostgreSQL.
    """
    raw(f"UPDATE {TABLE} SET seq = -seq WHERE seq >= %s", [from_seq])
    raw(f"UPDATE {TABLE} SET seq = 1 - seq WHERE seq <= %s", [-from_seq])


def record_rows(n: int, *, actor=None, center=None, start: datetime | None = None, action: str = "window.update"):
    """`n` audit rows through the real writer, one minute apart; returns them in id order (as
    written: `sealed()` reads back their chain fields)."""
    start = start or datetime(2026, 3, 2, 1, 0, tzinfo=dt_timezone.utc)
    rows = []
    for i in range(1, n + 1):
        rows.append(audit_record(
            actor=actor, action=action, center=center, object_type="org.window", object_id=str(i),
            object_repr=f"{i}号窗口", before={"name": f"窗口{i}"}, after={"name": f"窗口{i}（改）", "number": i},
            source_ip="10.0.0.8", now=start + timedelta(minutes=i),
        ))
    return rows


def sealed(event: AuditEvent) -> AuditEvent:
    """The row as the database now holds it."""
    return AuditEvent.objects.get(pk=event.pk)


def names_row(text: str, event_id: int) -> bool:
    """`text` names record #event_id (and not, say, #event_id followed by more digits)."""
    return re.search(rf"#{event_id}(?!\d)", text) is not None
