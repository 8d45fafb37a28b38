"""The audit trail over the API: read-only, scoped like the audit page."""

from datetime import datetime
from typing import Any

from ninja import Query, Router, Schema
from pydantic import Field

from servicehall.api_schemas import CenterCode, Id, IsoDate, errors, text
from servicehall.lib.errors import NotFound

from .selectors import audit_reader, events_filtered, events_for_user

router = Router(tags=["审计"])


class AuditEventOut(Schema):
    id: int
    created_at: datetime
    actor: str
    actor_role: str
    center: str
    action: str
    action_label: str
    object_type: str
    object_id: str
    object_repr: str
    before: Any = None
    after: Any = None
    outcome: str
    source_ip: str | None
    seq: int | None


def event_out(e) -> dict:
    return {"id": e.pk, "created_at": e.created_at, "actor": e.actor_username, "actor_role": e.actor_role,
            "center": e.center_code, "action": e.action, "action_label": e.action_label,
            "object_type": e.object_type, "object_id": e.object_id, "object_repr": e.object_repr,
            "before": e.before, "after": e.after, "outcome": e.outcome, "source_ip": e.source_ip, "seq": e.seq}


class AuditFilter(Schema):
    actor: text(150) = ""
    center: CenterCode = ""
    action: text(60) = ""
    day: IsoDate | None = None
    limit: int = Field(100, ge=1, le=1000)


@router.get("/events", response={200: list[AuditEventOut], **errors(400, 401, 403)}, summary="审计记录查询")
@audit_reader
def events_list(request, filters: Query[AuditFilter]):
    rows = events_filtered(request.user, actor=filters.actor, center=filters.center, action=filters.action,
                           day=filters.day)
    return [event_out(e) for e in rows[: filters.limit]]


@router.get("/events/{event_id}", response={200: AuditEventOut, **errors(400, 401, 403, 404)}, summary="审计记录详情")
@audit_reader
def event_detail(request, event_id: Id):
    event = events_for_user(request.user).filter(pk=event_id).first()
    if event is None:
        raise NotFound("未找到该审计记录")
    return event_out(event)
