"""The clock of an accepted case: suspension stops it (Art. 45, the applicant told in writing),
resuming moves the due date by the working days suspended, one extension approved by the head
(Art. 42), and the bureau's calendar edits move the due dates they change."""

from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from servicehall.accounts.permissions import require
from servicehall.audit.services import audit_record
from servicehall.lib.errors import Conflict, Invalid
from servicehall.workcalendar.selectors import build_calendar, get_calendar

from ..models import OPEN_STATUSES, Case, CaseStatus, CaseTransition
from .common import day_of, due_after, record_refused, require_operator, required_text, transition


@transaction.atomic
def case_suspend(*, actor, case: Case, reason: str, now: datetime | None = None) -> Case:
    """Stop the clock for a hearing, testing, appraisal or expert review (Art. 45); the
    applicant is told in writing (the transition's reason is the notice's text)."""
    now = now or timezone.now()
    require_operator(actor, case.center_id)
    reason = required_text(reason, field="reason", label="挂起原因")
    return transition(case, CaseStatus.SUSPENDED, actor=actor, action="suspend", now=now, reason=reason,
                       suspended_on=day_of(now), data={"applicant_told": True})


@transaction.atomic
def case_resume(*, actor, case: Case, now: datetime | None = None) -> Case:
    """Restart the clock: the due date moves by the working days the case was suspended."""
    now = now or timezone.now()
    require_operator(actor, case.center_id)
    if case.status != CaseStatus.SUSPENDED:
        raise Conflict(f"该办件当前为“{case.get_status_display()}”，不能恢复", code="invalid_state")
    calendar = get_calendar()
    days = calendar.workdays_between(case.suspended_on, day_of(now))
    due = calendar.add_workdays(case.due_date, days)
    # The due date is expected unchanged: an extension made meanwhile would otherwise be lost.
    return transition(case, CaseStatus.ACCEPTED, actor=actor, action="resume", now=now, due_date=due.due,
                       expect={"due_date": case.due_date, "suspended_on": case.suspended_on},
                       calendar_confirmed=case.calendar_confirmed and due.confirmed, suspended_on=None,
                       suspended_days=case.suspended_days + days, data={"suspended_workdays": days})


def extension_limit(case: Case) -> int:
    """The most working days the one extension may add (Art. 42: 10, joint handling 15)."""
    return settings.SH_CASE_JOINT_EXTENSION_DAYS if case.joint else settings.SH_CASE_EXTENSION_DAYS


def case_extend(*, actor, case: Case, days, reason: str, now: datetime | None = None) -> Case:
    """One extension per case (Art. 42), approved by the head (manager or bureau), at most
    SH_CASE_EXTENSION_DAYS working days (SH_CASE_JOINT_EXTENSION_DAYS for joint cases). A second
    one is refused and recorded: supervision reads the attempt."""
    now = now or timezone.now()
    require(actor, "case.extend", case.center_id)
    if case.status not in (CaseStatus.ACCEPTED, CaseStatus.SUSPENDED):
        raise Conflict(f"该办件当前为“{case.get_status_display()}”，不能延期", code="invalid_state")
    if case.extended_days:
        record_refused(case, actor=actor, action="extend_refused", now=now, reason=(reason or "").strip(),
                       data={"extended_days": case.extended_days})
        raise Conflict("每件只能延期一次，本件已经延期（本次请求已记录）", code="already_extended")
    return _extend(case, actor=actor, days=days, reason=reason, now=now)


@transaction.atomic
def _extend(case: Case, *, actor, days, reason: str, now: datetime) -> Case:
    limit = extension_limit(case)
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise Invalid("延期天数：应为整数", field="days") from None
    if not 1 <= days <= limit:
        raise Invalid(f"延期天数：应为1至{limit}个工作日", field="days")
    reason = required_text(reason, field="reason", label="延期理由")
    old_due = case.due_date
    due = due_after(old_due, days)
    updated = Case.objects.filter(pk=case.pk, status=case.status, extended_days=0, due_date=old_due).update(
        extended_days=days, due_date=due.due, calendar_confirmed=case.calendar_confirmed and due.confirmed)
    if updated != 1:
        raise Conflict("该办件刚被他人处理，请刷新后重试", code="invalid_state")
    case.extended_days, case.due_date = days, due.due
    case.calendar_confirmed = case.calendar_confirmed and due.confirmed
    CaseTransition.objects.create(case=case, center_id=case.center_id, action="extend", from_status=case.status,
                                  to_status=case.status, actor=actor, at=now, reason=reason,
                                  data={"days": days, "from": old_due.isoformat(), "to": due.due.isoformat()})
    audit_record(actor=actor, action="case.extend", obj=case, center=case.center,
                 before={"due_date": old_due.isoformat()},
                 after={"due_date": due.due.isoformat(), "days": days, "reason": reason}, now=now)
    return case


def cases_redate(*, actor, year: int, now: datetime | None = None) -> int:
    """After the bureau edits or confirms a year's calendar (inside that edit's transaction):
    every open case whose period touches the year gets its due date computed again from its
    acceptance, promise, suspended and extended working days (they add up, RULES.md), and its
    flag of an unconfirmed year; a decided case not yet delivered gets its delivery date again.
    Each change is a history row and an audit row. Returns the number of cases changed."""
    now = now or timezone.now()
    calendar = build_calendar()  # the edited one, kept from the per-process cache until it commits
    first, last = date(year, 1, 1), date(year, 12, 31)
    changed = 0
    # Locked first, so a clerk's action on one of them waits for the edit instead of failing it.
    for case in (Case.objects.select_for_update(of=("self",))
                 .filter(status__in=OPEN_STATUSES, accepted_on__lte=last, due_date__gte=first)
                 .select_related("center").order_by("pk")):
        days = (0 if case.instant else case.promised_days) + case.suspended_days + case.extended_days
        due = calendar.add_workdays(case.accepted_on, days)
        changed += _redate(case, "due_date", due.due, actor=actor, year=year, now=now, calendar_confirmed=due.confirmed)
    for case in (Case.objects.select_for_update(of=("self",))
                 .filter(status__in=(CaseStatus.APPROVED, CaseStatus.DENIED, CaseStatus.COMPLETED),
                         decided_on__lte=last, delivery_due__gte=first).select_related("center").order_by("pk")):
        due = calendar.add_workdays(case.decided_on, settings.SH_CASE_DELIVERY_DAYS)
        changed += _redate(case, "delivery_due", due.due, actor=actor, year=year, now=now)
    return changed


def _redate(case: Case, field: str, new: date, *, actor, year: int, now: datetime, **also) -> int:
    old = getattr(case, field)
    if old == new and all(getattr(case, k) == v for k, v in also.items()):
        return 0
    if Case.objects.filter(pk=case.pk, status=case.status, **{field: old}).update(**{field: new}, **also) != 1:
        raise Conflict("办件刚被他人处理，请稍后重试日历修改", code="invalid_state")
    if old == new:  # only the year's confirmation: the date stands
        return 1
    label = "承诺办结日期" if field == "due_date" else "送达期限"
    CaseTransition.objects.create(case=case, center_id=case.center_id, action="redate", from_status=case.status,
                                  to_status=case.status, actor=actor, at=now,
                                  reason=f"{year}年工作日历调整，{label}由{old:%Y-%m-%d}改为{new:%Y-%m-%d}",
                                  data={"field": field, "from": old.isoformat(), "to": new.isoformat(), "year": year})
    audit_record(actor=actor, action="case.redate", obj=case, center=case.center, before={field: old.isoformat()},
                 after={field: new.isoformat(), "year": year}, now=now)
    return 1
