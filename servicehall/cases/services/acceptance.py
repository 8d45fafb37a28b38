"""After receipt: the one-time notice of every missing or faulty material (a second one only
with the bureau's reason), the supplement, acceptance with its due date or refusal, and the
deemed acceptance of Art. 32 (no decision within 5 working days of receiving the materials)."""

import logging
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from servicehall.accounts.permissions import can
from servicehall.lib.errors import Conflict, Forbidden, Invalid, ServiceError
from servicehall.workcalendar.selectors import get_calendar

from ..models import Case, CaseStatus, MaterialState, OneTimeNotice
from .bill import FEE_REFUSED, make_bill
from .common import (
    day_of,
    due_after,
    faulty_entries,
    material_ids,
    missing_materials,
    record_refused,
    require_operator,
    required_text,
    transition,
)

logger = logging.getLogger("servicehall.cases")


def notify(case: Case, *, actor, now: datetime, override_reason: str = "") -> Case:
    entries = [{"material": m.name, "state": m.state,
                "problem": m.problem or ("请提交" if m.state == MaterialState.MISSING else "请按要求补正")}
               for m in missing_materials(case)]
    count = case.notices.count()
    OneTimeNotice.objects.create(case=case, center_id=case.center_id, number=f"{case.number}-G{count + 1}",
                                 entries=entries, issued_at=now, issued_by=actor, override_reason=override_reason,
                                 override_by=actor if override_reason else None)
    return transition(case, CaseStatus.AWAITING_MATERIALS, actor=actor, action="notify", step=case.acceptance_step,
                      now=now, reason=override_reason, data={"entries": entries, "repeat": count > 0})


def case_notify_again(*, actor, case: Case, reason: str, now: datetime | None = None) -> Case:
    """A second one-time notice breaks the rule of telling everything at once: only the bureau
    may allow it, with a written reason. It is a supervision event either way: the bureau's
    notice is in the history, and so is a clerk's refused attempt (committed on its own,
    although the attempt itself is refused)."""
    now = now or timezone.now()
    if not can(actor, "case.notify_again", case.center_id):
        if can(actor, "case.handle", case.center_id):
            record_refused(case, actor=actor, action="notify_refused", now=now, reason=(reason or "").strip(),
                           step=case.acceptance_step, data={"repeat": True})
        raise Forbidden("再次出具一次性告知书须经营商局批准（本次请求已记录）")
    with transaction.atomic():
        reason = required_text(reason, field="reason", label="再次告知的理由")
        if not missing_materials(case):
            raise Conflict("材料已齐全，无需告知", code="materials_complete")
        return notify(case, actor=actor, now=now, override_reason=reason)


@transaction.atomic
def case_supplement(*, actor, case: Case, materials, faulty=None, now: datetime | None = None) -> Case:
    """The applicant brings the materials the notice asked for; the case waits for the
    clerk's decision again, and Art. 32's five working days count from today."""
    now = now or timezone.now()
    require_operator(actor, case.center_id)
    if case.status != CaseStatus.AWAITING_MATERIALS:
        raise Conflict(f"该办件当前为“{case.get_status_display()}”，不需要补正材料", code="invalid_state")
    received = material_ids(materials, field="materials", label="补正材料")
    wrong = faulty_entries(faulty)
    rows = {m.material_id: m for m in case.materials.all()}
    if (received | set(wrong)) - set(rows):
        raise Invalid("补正材料：包含不属于本办件的材料", field="materials")
    for material_id, row in rows.items():
        if material_id in wrong:
            row.state, row.problem = MaterialState.FAULTY, wrong[material_id]
        elif material_id in received:
            row.state, row.problem = MaterialState.RECEIVED, ""
        else:
            continue
        row.save(update_fields=["state", "problem"])
    return transition(case, CaseStatus.RECEIVED, actor=actor, action="supplement", step=case.acceptance_step, now=now,
                       received_on=day_of(now), data={"materials": sorted(received)})


def acceptance_fields(case: Case, accepted_on: date, *, deemed: bool = False) -> dict:
    """The fields acceptance sets: the day and the due date the promise gives."""
    due = due_after(accepted_on, 0 if case.instant else case.promised_days)
    return {"accepted_on": accepted_on, "due_date": due.due, "calendar_confirmed": due.confirmed,
            "deemed_accepted": deemed}


def accept(case: Case, *, actor, now: datetime, fees: dict | None = None, on: date | None = None,
            deemed: bool = False) -> Case:
    fields = acceptance_fields(case, on or day_of(now), deemed=deemed)
    reason = "收到材料之日起5个工作日内未告知补正，依法自收到材料之日起即为受理" if deemed else ""
    # The status first: of two acceptances at once (a double click, or a clerk and the deemed
    # sweep) the second gets a conflict here, before it could make a second bill.
    case = transition(case, CaseStatus.ACCEPTED, actor=actor, action="accept", step=case.acceptance_step, now=now,
                       reason=reason, **fields)
    # The law accepts a deemed case whether or not a clerk set the amounts of fees charged by a
    # standard: its bill then holds the fixed fees only, and the clerk records the rest on paper.
    make_bill(case, fees or {}, skip_unpriced=deemed)
    return case


def case_accept(*, actor, case: Case, fees: dict | None = None, now: datetime | None = None) -> Case:
    """Accept a received case whose materials are complete (受理), with the due date. A charge
    the catalogue does not allow is refused, and the attempt recorded for supervision."""
    now = now or timezone.now()
    require_operator(actor, case.center_id)
    try:
        return _accept_complete(case, actor=actor, fees=fees, now=now)
    except Invalid as refused:
        if refused.code == FEE_REFUSED:
            asked = {str(k)[:20]: str(v)[:20] for k, v in (fees or {}).items()}
            record_refused(case, actor=actor, action="charge_refused", now=now, reason=refused.message,
                           step=case.acceptance_step, data={"fees": asked})
        raise


@transaction.atomic
def _accept_complete(case: Case, *, actor, fees: dict | None, now: datetime) -> Case:
    if case.status != CaseStatus.RECEIVED:
        raise Conflict(f"该办件当前为“{case.get_status_display()}”，不能受理", code="invalid_state")
    missing = missing_materials(case)
    if missing:
        raise Conflict(f"材料不齐全（{'、'.join(m.name for m in missing)}），不能受理", field="materials",
                       code="materials_incomplete")
    return accept(case, actor=actor, now=now, fees=fees)


@transaction.atomic
def case_refuse(*, actor, case: Case, reason: str, now: datetime | None = None) -> Case:
    """不予受理, only with a written reason (printed on the decision)."""
    now = now or timezone.now()
    require_operator(actor, case.center_id)
    reason = required_text(reason, field="reason", label="不予受理的理由")
    return transition(case, CaseStatus.REFUSED, actor=actor, action="refuse", step=case.acceptance_step, now=now,
                      reason=reason, decided_on=day_of(now))


def cases_deem_accepted(now: datetime | None = None) -> int:
    """The background loop's step (Art. 32): received cases with no decision and no notice
    within 5 working days of receipt are accepted as of the day of receipt."""
    now = now or timezone.now()
    calendar, today = get_calendar(), day_of(now)
    limit = settings.SH_CASE_NOTICE_DAYS
    count = 0
    waiting = Case.objects.filter(status=CaseStatus.RECEIVED).order_by("received_on").values_list("pk", "received_on")
    for case_id, received_on in waiting:
        if calendar.workdays_between(received_on, today) <= limit:
            break
        try:
            with transaction.atomic():
                # Another copy of the loop may be accepting it now: skip it (SKIP LOCKED); a case
                # a clerk decided meanwhile is no longer received. The next sweep sees the rest.
                case = (Case.objects.select_for_update(skip_locked=True, of=("self",)).select_related("center")
                        .filter(pk=case_id, status=CaseStatus.RECEIVED).first())
                if case is None:
                    continue
                accept(case, actor=None, now=now, on=case.received_on, deemed=True)
        except ServiceError:  # refused by a rule: log it, the others go on
            logger.exception("Deemed acceptance of case %s failed", case_id)
            continue
        count += 1
    return count
