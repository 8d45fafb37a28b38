"""Reads of cases: lookups in the user's scope, the detail document, lists by urgency."""

import functools
import math
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db.models import Max, Q
from django.utils import timezone

from servicehall.catalog.models import ItemVersion
from servicehall.db.plans import planned_per_call
from servicehall.lib.errors import NotFound
from servicehall.lib.masking import mask_identity, mask_phone
from servicehall.lib.workdays import WorkCalendar
from servicehall.workcalendar.selectors import get_calendar

from .models import ACTION_LABELS, DESK_STATUSES, Case, CaseStatus, Light, StepRole, light_for, step_roles, yellow_rule


def case_for_user(user, number: str) -> Case:
    """A case by number, if the user may see its centre; 404 otherwise (never 403)."""
    case = (Case.objects.for_user(user).select_related("center", "clerk", "window")
            .filter(number=(number or "").strip()).first())
    if case is None:
        raise NotFound("未找到该办件")
    return case


def case_document(case: Case, now=None) -> dict:
    """What the API and the detail page show: status, dates, light, items, bill and history.
    The applicant's number and phone are masked."""
    now = now or timezone.now()
    calendar, today = get_calendar(), timezone.localdate(now)
    bill = getattr(case, "bill", None)
    history = list(case.transitions.select_related("actor").order_by("at", "id"))
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
                              for m in case.materials.all()
                              if m.state != "received" and (m.required or m.state == "faulty")],
        "bill": None if bill is None else {
            "status": bill.status, "status_label": bill.get_status_display(), "total": bill.total,
            "lines": [{"name": line.name, "amount": line.amount} for line in bill.lines.all()]},
        "steps": case_steps(case, history, today, calendar),
        "history": [{"action": t.action, "action_label": ACTION_LABELS.get(t.action, t.action), "step": t.step,
                     "from": t.from_status, "to": t.to_status, "to_label": CaseStatus(t.to_status).label,
                     "actor": _actor(t), "at": t.at, "reason": t.reason} for t in history],
    }


def _actor(transition) -> str:
    return transition.actor.full_name or transition.actor.username if transition.actor else "系统"


# The transitions that complete a step of each role.
_STEP_ACTIONS = {StepRole.ACCEPT: ("accept",), StepRole.REVIEW: ("review",), StepRole.DECIDE: ("approve", "deny"),
                 StepRole.COMPLETE: ("complete",), StepRole.DELIVER: ("deliver",)}
_BEFORE_ACCEPTANCE = (CaseStatus.RECEIVED, CaseStatus.AWAITING_MATERIALS)


def case_steps(case: Case, history: list, today: date, calendar: WorkCalendar) -> list[dict]:
    """The item's process step by step: its own limit, the date it is due, who did it, when
    and with what opinion, and whether in time; the running step gets the light its own limit
    gives. A step starts when the last step before it that was done ended; working days the
    case was suspended meanwhile move its due date. Acceptance is due within the notice period
    of receipt (Art. 32) at the latest; delivery is due on the stored delivery date (Art. 44);
    a step of 0 days has no limit of its own (the case's promise covers it). A step left undone
    before a later one was done (reviews before a denial) was skipped."""
    roles = step_roles(case.steps)
    by_role = {role: [t for t in history if t.action in actions] for role, actions in _STEP_ACTIONS.items()}
    taken = dict.fromkeys(by_role, 0)
    done = []
    for role in roles:
        found = by_role[role][taken[role]] if taken[role] < len(by_role[role]) else None
        taken[role] += 1
        done.append(found)
    resumes = [(timezone.localdate(t.at), t.data.get("suspended_workdays", 0)) for t in history if t.action == "resume"]
    closed = case.status == CaseStatus.REFUSED
    rows, start, current_found = [], None, False
    for i, (step, role, t) in enumerate(zip(case.steps, roles, done, strict=True)):
        days = step.get("days", 0)
        done_on = timezone.localdate(t.at) if t else None
        if t is not None:
            state = "done"
        elif any(done[i + 1:]) or closed:
            state = "skipped"
        elif not current_found and (i == 0) == (case.status in _BEFORE_ACCEPTANCE):
            state, current_found = "current", True
        else:
            state = "pending"
        if i == 0:
            due = calendar.add_workdays(case.received_on, max(days, settings.SH_CASE_NOTICE_DAYS)).due
        elif role == StepRole.DELIVER and case.delivery_due:
            due = case.delivery_due
        elif state not in ("done", "current") or start is None or not days:
            due = None  # a step without days of its own runs within the case's promise
        else:
            end = done_on or today
            lost = sum(n for on, n in resumes if start < on <= end)
            if case.status == CaseStatus.SUSPENDED and t is None and case.suspended_on:
                lost += calendar.workdays_between(case.suspended_on, today)
            due = calendar.add_workdays(start, days + lost).due
        light = None
        if state == "current" and due is not None:
            light = (Light.PAUSED if case.status == CaseStatus.SUSPENDED
                     else light_for(calendar.workday_index(due) - calendar.workday_index(today), days))
        rows.append({"name": step["name"], "days": days, "role": role, "due": due, "state": state, "light": light,
                     "done_at": t.at if t else None, "done_by": _actor(t) if t else None,
                     "opinion": t.reason if t else "", "on_time": None if t is None or due is None else done_on <= due})
        if t is not None:
            start = done_on
    return rows


@dataclass
class DeskRow:
    """One case on the clerk's desk: what the clerk owes next, by when, and how urgent."""
    case: Case
    task: str
    deadline_label: str = ""
    deadline: date | None = None
    remaining: int | None = None
    light: str | None = None

    @property
    def overdue_by(self) -> int:
        return -self.remaining if self.remaining is not None and self.remaining < 0 else 0


def _desk_clock(status: str, received_on: date | None, due_date: date | None, delivery_due: date | None,
                calendar: WorkCalendar) -> tuple[str, date | None, int]:
    """The clock the clerk works against in `status`: (its label, its deadline or None, the
    days it runs, for the light)."""
    if status == CaseStatus.RECEIVED:  # Art. 32: decide within 5 working days, or it is deemed accepted
        days = settings.SH_CASE_NOTICE_DAYS
        return "受理期限", calendar.add_workdays(received_on, days).due, days
    if status == CaseStatus.ACCEPTED:
        return "承诺办结日期", due_date, 0
    if status in (CaseStatus.APPROVED, CaseStatus.DENIED, CaseStatus.COMPLETED) and delivery_due is not None:
        return "送达期限", delivery_due, settings.SH_CASE_DELIVERY_DAYS
    return "", None, 0


DESK_TASKS = {
    CaseStatus.RECEIVED: "审查材料，决定是否受理",
    CaseStatus.AWAITING_MATERIALS: "等待申请人补正材料（补齐后重新计算受理期限）",
    CaseStatus.ACCEPTED: "办理",
    CaseStatus.SUSPENDED: "挂起中，时限暂停",
    CaseStatus.APPROVED: "制作结果并办结",
    CaseStatus.DENIED: "制作结果并办结",
    CaseStatus.COMPLETED: "送达结果",
}


def _desk_row(case: Case, today: date, calendar: WorkCalendar, rule) -> DeskRow:
    task = DESK_TASKS[case.status]
    if case.status == CaseStatus.SUSPENDED:  # the clock stands: what is left when it resumes, no date
        return DeskRow(case, task, remaining=case.remaining_workdays(today, calendar), light=Light.PAUSED)
    label, deadline, days = _desk_clock(case.status, case.received_on, case.due_date, case.delivery_due, calendar)
    if deadline is None:
        return DeskRow(case, task)
    remaining = calendar.workday_index(deadline) - calendar.workday_index(today)
    return DeskRow(case, task, label, deadline, remaining,
                   light_for(remaining, days or case.promised_days, rule))


PERSONAL_FIELDS = ("applicant_id", "applicant_phone")  # encrypted at rest (lib/personal.py)
DESK_FIELDS = ("pk", "status", "received_on", "due_date", "delivery_due", "suspended_on")
DELIVERING = (CaseStatus.APPROVED, CaseStatus.DENIED, CaseStatus.COMPLETED)


def clerk_desk(user, today: date, calendar: WorkCalendar, limit: int | None = None) -> tuple[list[DeskRow], int]:
    """我的在办件: every case that still needs the clerk who received it, from the receipt to the
    delivery of its result, most urgent first (overdue, then the nearest deadline; suspended
    cases by the days they keep, then those with no clock of the clerk's, awaiting materials).
    Returns the rows (at most `limit`) and how many there are.

    Each clock's cases come from the database in the order of their deadline, at most `limit`
    of each (`case_clerk_desk_idx`); cases without a clock are read only when fewer clocks
    than `limit` run. Only the rows shown are loaded whole: a clerk with thousands stays fast."""
    desk = Case.objects.for_user(user).filter(clerk=user, status__in=DESK_STATUSES).order_by()
    clocks = [desk.filter(status=CaseStatus.RECEIVED).order_by("received_on", "pk"),
              desk.filter(status=CaseStatus.ACCEPTED).order_by("due_date", "pk"),
              desk.filter(status__in=DELIVERING, delivery_due__isnull=False).order_by("delivery_due", "pk")]
    found = [row for group in clocks for row in group.values_list(*DESK_FIELDS)[:limit]]
    if limit is None or len(found) < limit:
        found += desk.filter(Q(status__in=(CaseStatus.SUSPENDED, CaseStatus.AWAITING_MATERIALS))
                             | Q(status__in=DELIVERING, delivery_due__isnull=True)).values_list(*DESK_FIELDS)
    total = len(found) if limit is None or len(found) < limit else desk.count()
    index = functools.cache(calendar.workday_index)  # many cases share their dates
    keys = []
    for pk, status, received_on, due_date, delivery_due, suspended_on in found:
        if status == CaseStatus.SUSPENDED:
            remaining = None if due_date is None else index(due_date) - index(min(today, suspended_on or today))
            keys.append((True, remaining is None, remaining or 0, pk))
            continue
        deadline = _desk_clock(status, received_on, due_date, delivery_due, calendar)[1]
        remaining = None if deadline is None else index(deadline) - index(today)
        keys.append((deadline is None, remaining is None, remaining or 0, pk))
    keys.sort()
    shown = [key[-1] for key in keys[:limit]]
    cases = Case.objects.select_related("center").defer(*PERSONAL_FIELDS).in_bulk(shown)
    rule = yellow_rule()
    return [_desk_row(cases[pk], today, calendar, rule) for pk in shown], total


def yellow_ranges(max_promised: int) -> list[tuple[int, int, int]]:
    """(first, last promised days, yellow threshold) runs: the threshold of `light_for` grows
    with the promised days, so each threshold covers one run of promised values."""
    runs: list[list[int]] = []
    days, share = yellow_rule()
    for promised in range(max_promised + 1):
        threshold = max(days, math.floor(promised * share))
        if runs and runs[-1][2] == threshold:
            runs[-1][1] = promised
        else:
            runs.append([promised, promised, threshold])
    return [tuple(run) for run in runs]


def light_query(light: str, today: date, calendar: WorkCalendar, max_promised: int) -> Q:
    """The SQL condition for one light on accepted cases: red and yellow are due-date ranges
    (yellow's per run of promised days with the same threshold, a handful of terms)."""
    running = Q(status=CaseStatus.ACCEPTED)
    if light == Light.PAUSED:
        return Q(status=CaseStatus.SUSPENDED)
    if light == Light.RED:
        return running & Q(due_date__lt=today)
    near = Q()
    for first, last, threshold in yellow_ranges(max_promised):
        near |= Q(promised_days__gte=first, promised_days__lte=last,
                  due_date__lte=calendar.add_workdays(today, threshold).due)
    if light == Light.YELLOW:
        return running & Q(due_date__gte=today) & near
    return running & Q(due_date__gte=today) & ~near


FILTERS = ("item", "status", "light", "date_from", "date_to", "staff", "center", "q")


def case_list(user, filters: dict, now=None):
    """Cases the user may see, filtered (item code, status, light, received from/to, clerk,
    centre, number, applicant name or whole ID number), newest first; each fetch is planned
    for its values."""
    now = now or timezone.now()
    today, calendar = timezone.localdate(now), get_calendar()
    cases = Case.objects.for_user(user).select_related("center", "clerk")
    if filters.get("center"):
        cases = cases.filter(center__code=filters["center"])
    if filters.get("item"):
        cases = cases.filter(items__item__code=filters["item"])
    if filters.get("status"):
        cases = cases.filter(status=filters["status"])
    if filters.get("staff"):
        cases = cases.filter(clerk_id=filters["staff"])
    if filters.get("date_from"):
        cases = cases.filter(received_on__gte=filters["date_from"])
    if filters.get("date_to"):
        cases = cases.filter(received_on__lte=filters["date_to"])
    if filters.get("q"):
        text = filters["q"].strip()
        # A whole ID number (or credit code) finds its cases by the lookup hash: the number
        # itself is stored encrypted (lib/personal.py).
        cases = cases.filter(Q(number__icontains=text) | Q(applicant_name__icontains=text) | Q(applicant_id=text))
    if filters.get("light"):
        # Promised days come from the catalogue's versions (a small table), never from scanning cases.
        max_promised = ItemVersion.objects.aggregate(top=Max("promised_days"))["top"] or 0
        cases = cases.filter(light_query(filters["light"], today, calendar, max_promised))
    # Planned for its values on every run: a prepared statement's generic plan knows neither how
    # many cases the dates keep nor how many the light keeps, and walked the due-date index and
    # sorted thousands of rows (db/plans.py).
    # Lists show no ID or phone number: they are not read (nor decrypted) unless asked for.
    return planned_per_call(cases.defer(*PERSONAL_FIELDS).order_by("-received_on", "-id"))


def light_counts(rows, today: date, calendar: WorkCalendar) -> dict[str, int]:
    """Lights of many open cases at once, from (status, due_date, promised_days) rows."""
    counts = {light: 0 for light in Light.values}
    base, rule = calendar.workday_index(today), yellow_rule()
    index = {}
    for status, due, promised in rows:
        if status == CaseStatus.SUSPENDED:
            counts[Light.PAUSED] += 1
            continue
        if due not in index:
            index[due] = calendar.workday_index(due) - base
        counts[light_for(index[due], promised, rule)] += 1
    return counts


DOCUMENT_MARKS = {"receipt": "受", "notice": "补", "refusal": "不受", "bill": "缴", "suspension": "特"}


def document_number(case: Case, kind: str, record) -> str:
    """The 文号 of a document handed over the counter, GB/T 9704 style: the centre's 代字, the
    kind's mark, the year in 〔〕 and the document's place among the centre's documents of that
    kind that year, without leading zeros (龙港公法受〔2026〕15号). `record` is what the document
    prints: the case (receipt), the notice, the refusal or suspension's history row, the bill.
    Counted, not stored: documents are never deleted, so a reprint shows the same number."""
    from .models import CaseTransition, ConsolidatedBill, OneTimeNotice

    tz = timezone.get_current_timezone()
    if kind == "receipt":
        year = case.accepted_on.year
        earlier = Case.objects.filter(center_id=case.center_id, accepted_on__year=year).filter(
            Q(accepted_on__lt=case.accepted_on) | Q(accepted_on=case.accepted_on, pk__lte=case.pk))
    elif kind == "notice":
        year = timezone.localtime(record.issued_at, tz).year
        earlier = OneTimeNotice.objects.filter(center_id=case.center_id, issued_at__year=year, pk__lte=record.pk)
    elif kind == "bill":
        year = case.accepted_on.year if case.accepted_on else case.received_on.year
        earlier = ConsolidatedBill.objects.filter(center_id=case.center_id, case__received_on__year=year,
                                                  pk__lte=record.pk)
    else:
        year = timezone.localtime(record.at, tz).year
        earlier = CaseTransition.objects.filter(center_id=case.center_id, action=record.action, at__year=year,
                                                pk__lte=record.pk)
    return f"{case.center.document_prefix}{DOCUMENT_MARKS[kind]}〔{year}〕{earlier.count()}号"
