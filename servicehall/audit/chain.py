"""The keyed SM3 digest of one audit row and the walk that verifies the chain.

Each row's digest covers its content, its sequence number and the previous row's digest, so
changing, removing or inserting a row breaks the chain at that row. The digest is an HMAC
with SM3 (GB/T 32905) keyed by `SH_AUDIT_CHAIN_KEY` (default: derived from SECRET_KEY):
someone with write access to the table but not the key cannot recompute the chain.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import timezone as dt_timezone

from django.conf import settings

CONTENT_FIELDS = (
    "id", "created_at", "actor_id", "actor_username", "actor_role", "center_id", "center_code",
    "action", "object_type", "object_id", "object_repr", "before", "after", "outcome", "source_ip",
    "seq", "prev_hash",
)


def chain_key() -> bytes:
    key = getattr(settings, "SH_AUDIT_CHAIN_KEY", "") or ("audit-chain:" + settings.SECRET_KEY)
    return key.encode()


def canonical(row) -> bytes:
    data = {}
    for name in CONTENT_FIELDS:
        value = getattr(row, name)
        if name == "created_at":
            value = value.astimezone(dt_timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        data[name] = value
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def row_digest(row) -> str:
    return hmac.new(chain_key(), canonical(row), lambda: hashlib.new("sm3")).hexdigest()


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    unsealed: int
    problem: str = ""
    event_id: int | None = None
    seq: int | None = None


def verify_rows(rows, head_seq: int, head_hash: str, unsealed: int) -> VerifyResult:
    """Walk sealed rows (seq 1..head_seq, in order); stop at the first one that does not fit.

    Rows sealed beyond the head are the caller's to judge (the sealer may be running)."""
    expected_seq, prev = 1, ""
    checked = 0
    for row in rows:
        if row.seq > expected_seq:
            return VerifyResult(False, checked, unsealed,
                                f"缺少链序号 {expected_seq}–{row.seq - 1} 的记录（已被删除），"
                                f"其后第一条为记录 #{row.id}", row.id, row.seq)
        if row.prev_hash != prev:
            return VerifyResult(False, checked, unsealed,
                                f"记录 #{row.id}（链序号 {row.seq}）的前序哈希不符：其前有记录被删除、插入或篡改",
                                row.id, row.seq)
        if not hmac.compare_digest(row_digest(row), row.hash):
            return VerifyResult(False, checked, unsealed, f"记录 #{row.id}（链序号 {row.seq}）的内容已被篡改",
                                row.id, row.seq)
        prev = row.hash
        expected_seq = row.seq + 1
        checked += 1
    if expected_seq - 1 != head_seq:
        return VerifyResult(False, checked, unsealed, f"链尾记录缺失：应有 {head_seq} 条，仅找到 {expected_seq - 1} 条",
                            None, expected_seq)
    if head_seq and prev != head_hash:
        return VerifyResult(False, checked, unsealed, "链尾哈希与记录不符", None, head_seq)
    return VerifyResult(True, checked, unsealed)
