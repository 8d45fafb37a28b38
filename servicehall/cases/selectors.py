"""Reads of cases: lookups in the user's scope, the detail document, lists by urgency."""

from django.utils import timezone

from servicehall.lib.errors import NotFound
from servicehall.lib.masking import mask_identity, mask_phone
from servicehall.workcalendar.selectors import get_calendar

from .models import Case


def case_for_user(user, number: str) -> Case:
    """A case by number, if the user may see its centre; 404 otherwise (never 403)."""
    case = (Case.objects.for_user(user).select_related("center", "clerk", "window").filter(number=(number or "").strip())
            .first())
    if case is None:
        raise NotFound("未找到该办件")
    return case


def case_document(case: Case, now=None) -> dict:
    """What the API and the detail page show: status, dates, light, items, bill and history.
    The applicant's number and phone are masked."""
    now = now or timezone.now()
    calendar, today = get_calendar(), timezone.localdate(now)
    bill = getattr(case, "bill", None)
    return {
        "number": case.number, "center": case.center.code, "status": case.status,
        "status_label": case.get_status_display(),
        "applicant": {"kind": case.applicant_kind, "name": case.applicant_name,
                      "id": mask_identity(case.applicant_id), "phone": mask_phone(case.applicant_phone)},
        "items": [{"code": ci.item.code, "name": ci.version.name, "version": ci.version.number,
                   "promised_days": ci.version.promised_days}
                  for ci in case.items.select_related("item", "version")],
        "joint": case.joint, "instant": case.instant, "promised_days": case.promised_days,
        "received_on": case.received_on, "accepted_on": case.accepted_on, "deemed_accepted": case.deemed_accepted,
        "due_date": case.due_date, "remaining_workdays": case.remaining_workdays(today, calendar),
        "light": case.light(today, calendar), "calendar_confirmed": case.calendar_confirmed,
        "suspended_days": case.suspended_days, "extended_days": case.extended_days, "decided_on": case.decided_on,
        "completed_on": case.completed_on, "delivery_due": case.delivery_due, "delivered_on": case.delivered_on,
        "missing_materials": [{"id": m.material_id, "name": m.name, "state": m.state, "problem": m.problem}
                              for m in case.materials.all() if m.state != "received" and (m.required or m.state == "faulty")],
        "bill": None if bill is None else {
            "status": bill.status, "status_label": bill.get_status_display(), "total": bill.total,
            "lines": [{"name": line.name, "amount": line.amount} for line in bill.lines.all()]},
        "history": [{"action": t.action, "step": t.step, "from": t.from_status, "to": t.to_status,
                     "actor": t.actor.full_name or t.actor.username if t.actor else "系统", "at": t.at,
                     "reason": t.reason} for t in case.transitions.select_related("actor").order_by("at", "id")],
    }
