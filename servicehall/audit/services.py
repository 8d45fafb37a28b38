"""Writing the audit trail: `audit_record` inserts a row and chains it at once.

It runs inside the caller's transaction, so the row commits or rolls back with the change it
describes, and it is chained there too, under the lock of the one chain-head row: no row is
ever committed unchained, so a row inserted by any other way (forged, backdated) stays
outside the chain and `audit_verify` names it, and removing any row breaks the chain. The
head's lock is held until the caller commits, so audited transactions end one after another;
a long one (the catalogue import) gathers its rows with `audit_deferred` and chains them at
its end.
"""

import ipaddress
import json
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from functools import lru_cache

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from servicehall.lib.masking import mask_identity

from .chain import row_digest
from .context import current_source_ip
from .models import AuditChainHead, AuditEvent, Outcome


def _jsonable(value):
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


@lru_cache(maxsize=1024)  # a handful of addresses write nearly every row
def _valid_ip(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


_deferred: ContextVar[list | None] = ContextVar("audit_deferred", default=None)


def audit_record(**fields) -> AuditEvent:
    """Append one audit row (the arguments of `audit_event`), chained."""
    return audit_record_all([audit_event(**fields)])[0]


def audit_record_all(events: list[AuditEvent]) -> list[AuditEvent]:
    """Append rows in order, each chained to the one before. Inside `audit_deferred` they are
    gathered and written when it ends."""
    gathered = _deferred.get()
    if gathered is not None:
        gathered.extend(events)
        return events
    if events:
        _append_chained(events)
    return events


@transaction.atomic
def _append_chained(events: list[AuditEvent], now: datetime | None = None) -> None:
    """INSERT the rows (unsealed, as the database's triggers require), then, under the chain
    head's lock, give each its sequence number and keyed digest and move the head."""
    now = now or timezone.now()
    AuditEvent.objects.bulk_create(events)
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:  # a new database (or a test that emptied the table)
        AuditChainHead.objects.get_or_create(pk=1)
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    # A row forged past the head (triggers bypassed) must not stop the hall's writes: continue
    # after the highest number taken; the walk still names the forged row.
    taken = AuditEvent.objects.filter(seq__isnull=False).order_by("-seq").values_list("seq", flat=True).first()
    seq, prev = max(head.last_seq, taken or 0), head.last_hash
    # The digest is of the row as the database keeps it (its JSON, its address), as a walk
    # will read it back.
    stored = AuditEvent.objects.in_bulk([event.pk for event in events])
    for event in events:
        row = stored[event.pk]
        seq += 1
        row.seq, row.prev_hash = seq, prev
        prev = row_digest(row)
        AuditEvent.objects.filter(pk=event.pk, seq__isnull=True).update(seq=seq, prev_hash=row.prev_hash, hash=prev,
                                                                        sealed_at=now)
        event.seq, event.prev_hash, event.hash, event.sealed_at = seq, row.prev_hash, prev, now
    AuditChainHead.objects.filter(pk=head.pk).update(last_seq=seq, last_hash=prev, updated_at=now)


@contextmanager
def audit_deferred():
    """Gather the rows audited inside, and chain them all when it ends (still inside the
    caller's transaction), so a long transaction holds the chain head only at its end."""
    gathered: list[AuditEvent] = []
    token = _deferred.set(gathered)
    try:
        yield
    finally:
        _deferred.reset(token)
    if gathered and not (connection.in_atomic_block and transaction.get_rollback()):
        _append_chained(gathered)  # a transaction that rolls back takes its rows with it


def audit_event(
    *,
    actor,
    action: str,
    obj=None,
    center=None,
    before: dict | None = None,
    after: dict | None = None,
    outcome: str = Outcome.SUCCESS,
    source_ip: str | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    now: datetime | None = None,
) -> AuditEvent:
    """One audit row, not yet written. `center` is any object with `pk` and `code` (or None)."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent(
        created_at=now or timezone.now(),
        actor_id=actor.pk if authenticated else None,
        actor_username=actor.get_username() if authenticated else "",
        actor_role=getattr(actor, "role", "") if authenticated else "",
        center_id=center.pk if center is not None else None,
        center_code=getattr(center, "code", "") if center is not None else "",
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        before=_jsonable(before),
        after=_jsonable(after),
        outcome=outcome,
        source_ip=_valid_ip(source_ip or current_source_ip.get()),
    )


PERSONAL_FIELDS = {"phone", "mobile", "id_number", "citizen_id"}


def snapshot(instance, fields: list[str] | None = None) -> dict:
    """A model's field values for the before/after columns (foreign keys as ids). Phone and ID
    numbers are masked: the trail records that they changed, not the numbers themselves."""
    data = {}
    for field in instance._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        value = field.value_from_object(instance)
        data[field.attname] = mask_identity(value) if field.name in PERSONAL_FIELDS and value else value
    return _jsonable(data)


def audit_chain_check(*, anchor_file: str, actor=None, now: datetime | None = None):
    """Walk the whole chain (selectors.audit_chain_verify) against the chain head the last good
    walk remembered in `anchor_file` (outside the database, so a removed tail is caught), and
    remember the head again when the chain is whole. The audit admin's button and `manage.py
    audit_verify` both run this; the walk itself is recorded with its outcome."""
    from pathlib import Path

    from .selectors import audit_chain_verify

    now = now or timezone.now()
    path = Path(anchor_file) if anchor_file else None
    anchor = None
    if path is not None and path.exists():
        saved = json.loads(path.read_text(encoding="utf-8"))
        anchor = (int(saved["seq"]), str(saved["hash"]))
    result = audit_chain_verify(anchor=anchor)
    head = AuditChainHead.objects.filter(pk=1).first()
    if result.ok and path is not None and head is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"seq": head.last_seq, "hash": head.last_hash, "verified_at": now.isoformat()}),
                        encoding="utf-8")
    audit_record(actor=actor, action="audit.verify", object_type="audit.auditchainhead", object_repr="审计日志链",
                 outcome=Outcome.SUCCESS if result.ok else Outcome.FAILURE,
                 after={"checked": result.checked, "unsealed": result.unsealed, "problem": result.problem}, now=now)
    return result
