"""Writing the audit trail: `audit_record` inserts.

`audit_record` is called inside the caller's transaction, so the row commits or rolls back
with the change it describes. The database chains it in that same transaction, at its commit
on PostgreSQL (chain.py): the caller takes no lock of its own.
"""

import ipaddress
import json
import logging
from datetime import datetime
from functools import lru_cache

from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from servicehall.lib.masking import mask_identity

from .chain import chain_now
from .context import current_source_ip
from .models import AuditChainHead, AuditEvent, Outcome

logger = logging.getLogger(__name__)


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


def audit_record(**fields) -> AuditEvent:
    """Append one audit row (the arguments of `audit_event`)."""
    event = audit_event(**fields)
    event.save()
    return event


def audit_record_all(events: list[AuditEvent]) -> list[AuditEvent]:
    """Append several rows made by `audit_event` in one INSERT, in order."""
    return AuditEvent.objects.bulk_create(events)


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
    try:
        with transaction.atomic():
            audit_record(actor=actor, action="audit.verify", object_type="audit.auditchainhead",
                         object_repr="审计日志链", outcome=Outcome.SUCCESS if result.ok else Outcome.FAILURE,
                         after={"checked": result.checked, "outside": result.outside, "problem": result.problem},
                         now=now)
            chain_now(connection)
    except DatabaseError:
        # A row forged at the head's next number blocks every new row of the chain: the
        # walk's finding must still reach whoever asked for it.
        logger.error("audit chain verification could not be recorded: %s", result.problem or "chain refused the row")
        if result.ok:
            raise
    return result
