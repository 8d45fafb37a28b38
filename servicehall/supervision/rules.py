"""The built-in supervision rules: what each watches and how it finds its subjects.

Each rule answers two questions with one query each, so that a sweep is a handful of
statements however many subjects there are:

- `find`: the subjects that break it now among those worth looking at: the ones changed since
  the last sweep and the ones whose time threshold passed since then (`Sweep.since`; None on
  the first sweep, which looks at everything).
- `breaking`: which subjects of given ids break it still; an open alert whose subject no longer
  does closes itself (the case was decided, the ticket was called).

Thresholds come from the rule's version in force (the bureau edits them); the defaults here
are the first version. RULES.md and PRACTICE.md ("Supervision", "通报 and 督办") give them.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import NamedTuple

from django.db.models import Case as Choose
from django.db.models import CharField, F, IntegerField, Max, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Coalesce, JSONObject
from django.utils import timezone

from servicehall.attendance.rules import arrivals_from
from servicehall.attendance.selectors import duty_hours, expected_at_windows, punch_times
from servicehall.cases.models import (
    REFUSAL_RECORDS,
    REFUSED_ATTEMPT_RECORDS,
    SECOND_NOTICE_RECORDS,
    BillLine,
    Case,
    CaseStatus,
    CaseTransition,
    StepRole,
    step_roles,
)
from servicehall.cases.selectors import Light, light_query
from servicehall.catalog.fees import fee_rule
from servicehall.catalog.models import ItemVersion
from servicehall.complaints.models import OPEN_STATUSES as COMPLAINT_OPEN
from servicehall.complaints.models import Complaint, Handler
from servicehall.complaints.models import Status as ComplaintStatus
from servicehall.db.functions import LocalMinute
from servicehall.inquiries.models import PENDING_STATUSES, FirstInquiry
from servicehall.lib.workdays import WorkCalendar
from servicehall.org.models import ServiceCenter
from servicehall.queueing.models import CHOSEN_CALL, Ticket, TicketEvent, TicketStatus, WindowState
from servicehall.reviews.models import Rectification, RectificationEvent, RectificationStatus

from .models import Level, Subject


@dataclass(frozen=True)
class Sweep:
    """One sweep's view of time: `now`, the local day, the calendar, from when changes count
    (`since`, already moved back by the sweep's overlap) and when the rule was last swept."""
    now: datetime
    since: datetime | None
    calendar: WorkCalendar
    last: datetime | None = None

    @property
    def today(self) -> date:
        return timezone.localdate(self.now)

    @cached_property
    def centres(self) -> list[int]:
        return list(ServiceCenter.objects.values_list("pk", flat=True))

    def per_centre(self, query: QuerySet) -> QuerySet:
        """`query` asked of each centre in turn, the answers joined (UNION ALL), when the sweep
        looks wide (its first, or the day's first). Asked of all centres at once, PostgreSQL
        guessed 77,000 of the 95,000 accepted cases overdue (it cannot know status and due date
        go together; 12,000 were) and read 380,000 cases through the clerks' index instead of
        the 2,000 pages the (centre, status, due date) index points at: 475 ms against 14 ms
        (bench/supervision.py). A centre's guess is a quarter of that, and the right index
        wins. A narrow sweep's query is kept to the changed subjects and stays one query: as a
        union of small parts PostgreSQL ran it in parallel workers, 10 ms to start them."""
        if self.narrow:
            return query
        parts = [query.order_by().filter(center_id=pk) for pk in self.centres]
        if not parts:
            return query.none()
        return parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]

    @property
    def new_day(self) -> bool:
        """A limit counted in working days can only be crossed when the date changes: rules of
        that kind look at everything on the day's first sweep, at the changed rest after."""
        return self.last is None or timezone.localdate(self.last) < self.today

    @property
    def narrow(self) -> bool:
        """Not the first sweep nor the day's first: a rule whose limit is counted in days looks
        at the subjects changed since `since` only."""
        return self.since is not None and not self.new_day


@dataclass(frozen=True)
class Finding:
    subject_id: int
    occurrence: str
    label: str
    center_id: int
    window_id: int | None
    staff_id: int | None
    evidence: dict


@dataclass(frozen=True)
class BuiltIn:
    code: str
    name: str
    watches: str
    level: str
    description: str
    thresholds: dict = field(default_factory=dict)
    # The findings, or a query selecting them (FINDING_COLUMNS) when the rule is plain SQL.
    find: Callable[[Sweep, dict], Iterable[Finding] | QuerySet] = None
    # None: a breach that is history (a refusal without reason, a queue jump): its alert stays
    # open until the bureau closes it.
    breaking: Callable[[Sweep, dict, list[int]], set[int]] | None = None
    # For a rule whose time limit is counted in days: the subjects changed since the sweep's
    # `since`. Within a day only they can stop breaking it, so only their alerts are looked at
    # again (all of the rule's open alerts on the day's first sweep). None: look at all each time.
    changed: Callable[[Sweep], QuerySet] | None = None
    # The centre's heads hear of each new alert at once (SMS), as of an empty window.
    notify: bool = False


# --- cases -------------------------------------------------------------------------------

def _changed_cases(sweep: Sweep) -> QuerySet:
    # By centre: the history's index is (centre, time).
    return CaseTransition.objects.filter(center_id__in=sweep.centres, at__gte=sweep.since).values("case_id")


def _max_promised() -> int:
    return ItemVersion.objects.aggregate(top=Max("promised_days"))["top"] or 0


def _light(sweep: Sweep, light: str) -> Q:
    return light_query(light, sweep.today, sweep.calendar, _max_promised())


# The columns of a finding in a query that selects findings (`FINDING_COLUMNS`, in the order of
# Finding's fields): a rule that can state its findings in SQL returns such a query, and the
# sweep raises them with one INSERT … SELECT instead of reading them back first.
FINDING_COLUMNS = ("f_subject_id", "f_occurrence", "f_label", "f_center_id", "f_window_id", "f_staff_id",
                   "f_evidence")


def _case_findings(sweep: Sweep, cases: QuerySet) -> QuerySet:
    """The findings of cases under a light, as a query. The working days left (negative once
    overdue) depend on the due date only: one value per distinct due date, a CASE in the SQL."""
    index, today = sweep.calendar.workday_index, sweep.calendar.workday_index(sweep.today)
    dues = sorted(set(sweep.per_centre(cases.order_by().values_list("due_date", flat=True).distinct())))
    remaining = Choose(*(When(due_date=due, then=Value(index(due) - today)) for due in dues),
                       output_field=IntegerField())
    return sweep.per_centre(cases.order_by().values(
        f_subject_id=F("pk"), f_occurrence=Cast("due_date", CharField()), f_label=F("number"),
        f_center_id=F("center_id"), f_window_id=F("window_id"), f_staff_id=F("clerk_id"),
        f_evidence=JSONObject(due_date=F("due_date"), remaining_workdays=remaining,
                              promised_days=F("promised_days"))))


def _cases_in_light(light: str, recent: Callable[[Sweep], Q]):
    """Accepted cases under `light`, looked at when they changed, and on the day's first sweep
    also when the new date moved them into it (`recent`): a light changes with the date only."""
    def find(sweep: Sweep, thresholds: dict) -> QuerySet:
        cases = Case.objects.filter(_light(sweep, light))
        if sweep.since is not None:
            scope = Q(pk__in=_changed_cases(sweep))
            cases = cases.filter(scope | recent(sweep) if sweep.new_day else scope)
        return _case_findings(sweep, cases)

    def breaking(sweep: Sweep, thresholds: dict, ids: list[int]) -> set[int]:
        return set(Case.objects.filter(_light(sweep, light), pk__in=ids).values_list("pk", flat=True))

    return {"find": find, "breaking": breaking, "changed": _changed_case_ids}


def _changed_case_ids(sweep: Sweep) -> QuerySet:
    return _changed_cases(sweep).values_list("case_id", flat=True)


def _became_overdue(sweep: Sweep) -> Q:
    # Overdue from the working day after the due date: due dates since the last sweep's day.
    return Q(due_date__gte=timezone.localdate(sweep.since) - timedelta(days=1))


def _became_due_soon(sweep: Sweep) -> Q:
    # On a new day every yellow case may have just turned yellow: the light's own due-date
    # ranges keep this to the yellow ones.
    return Q(due_date__gte=sweep.today)


# --- tickets -----------------------------------------------------------------------------

def _waiting_too_long(sweep: Sweep, thresholds: dict) -> Q:
    limit = sweep.now - timedelta(minutes=thresholds["minutes"])
    return Q(day=sweep.today, status=TicketStatus.WAITING, queued_at__lte=limit)


def _find_long_waits(sweep: Sweep, thresholds: dict) -> Iterable[Finding]:
    # The day's waiting tickets are few (hundreds at a busy hall): no need to narrow by time.
    rows = Ticket.objects.filter(_waiting_too_long(sweep, thresholds)).values_list(
        "pk", "number", "center_id", "queued_at")
    for pk, number, center_id, queued_at in rows:
        waited = int((sweep.now - queued_at).total_seconds() // 60)
        yield Finding(pk, "", number, center_id, None, None,
                      {"queued_at": timezone.localtime(queued_at).isoformat(timespec="minutes"),
                       "waited_minutes": waited, "limit_minutes": thresholds["minutes"]})


def _long_waits_breaking(sweep: Sweep, thresholds: dict, ids: list[int]) -> set[int]:
    return set(Ticket.objects.filter(_waiting_too_long(sweep, thresholds), pk__in=ids).values_list("pk", flat=True))


# --- rows of small tables -------------------------------------------------------------
# Open rectifications and pending first inquiries number in the hundreds, so a sweep reads
# them and the rule's test runs in Python on the working-day calendar.

def _rows_rule(rows: Callable[[], QuerySet], breaks: Callable[[Sweep, dict, object], dict | None],
               finding: Callable[[object, dict], Finding], changed: Callable[[Sweep], QuerySet] | None = None):
    """`find` and `breaking` of a rule over `rows()`: `breaks` gives the evidence of a row that
    breaks the rule, or None. With `changed` (the ids of rows changed since the sweep's
    `since`) the rule's limit is one of days: within a day only the changed rows are read."""
    def find(sweep: Sweep, thresholds: dict) -> Iterable[Finding]:
        looked = rows()
        if changed is not None and sweep.narrow:
            looked = looked.filter(pk__in=changed(sweep))
        for row in looked:
            evidence = breaks(sweep, thresholds, row)
            if evidence is not None:
                yield finding(row, evidence)

    def breaking(sweep: Sweep, thresholds: dict, ids: list[int]) -> set[int]:
        return {row.pk for row in rows().filter(pk__in=ids) if breaks(sweep, thresholds, row) is not None}

    return {"find": find, "breaking": breaking, "changed": changed}


def _open_rectifications() -> QuerySet:
    return Rectification.objects.exclude(status=RectificationStatus.CLOSED).select_related("review")


def _changed_rectifications(sweep: Sweep) -> QuerySet:
    # Every change of a rectification (a step, an assignment, a deadline moved) is an event.
    return RectificationEvent.objects.filter(at__gte=sweep.since).values_list("rectification_id", flat=True)


def _rectification_finding(occurrence: Callable[[Rectification], str]):
    def finding(row: Rectification, evidence: dict) -> Finding:
        return Finding(row.pk, occurrence(row), f"差评整改 {row.review.created_at:%m-%d %H:%M}", row.center_id,
                       row.review.window_id, row.review.staff_id, evidence)
    return finding


def _rectification_late(sweep: Sweep, thresholds: dict, row: Rectification) -> dict | None:
    if row.deadline >= sweep.today:
        return None
    index = sweep.calendar.workday_index
    return {"deadline": row.deadline.isoformat(), "overdue_workdays": index(sweep.today) - index(row.deadline),
            "status": row.get_status_display()}


def _not_called_back(sweep: Sweep, thresholds: dict, row: Rectification) -> dict | None:
    if row.status != RectificationStatus.OPEN:
        return None
    due = sweep.calendar.add_workdays(timezone.localdate(row.created_at), thresholds["workdays"]).due
    if due >= sweep.today:
        return None
    return {"opened_on": timezone.localdate(row.created_at).isoformat(), "callback_due": due.isoformat(),
            "limit_workdays": thresholds["workdays"]}


def _pending_inquiries() -> QuerySet:
    return FirstInquiry.objects.filter(status__in=PENDING_STATUSES)


def _inquiry_late(sweep: Sweep, thresholds: dict, row: FirstInquiry) -> dict | None:
    asked = timezone.localdate(row.asked_at)
    due = sweep.calendar.add_workdays(asked, thresholds["workdays"]).due
    if due >= sweep.today:
        return None
    return {"asked_on": asked.isoformat(), "answer_due": due.isoformat(), "limit_workdays": thresholds["workdays"],
            "status": row.get_status_display()}


def _inquiry_finding(row: FirstInquiry, evidence: dict) -> Finding:
    return Finding(row.pk, "", row.topic[:100], row.center_id, row.window_id, row.owner_id, evidence)


# --- complaints: a step past its deadline -------------------------------------------------

def _open_complaints() -> QuerySet:
    """Open complaints the centres handle (what the bureau handles is its own to watch, and a
    misconduct report must not surface on the centre's console)."""
    return Complaint.objects.filter(status__in=COMPLAINT_OPEN, handler=Handler.CENTRE)


def _complaint_late(sweep: Sweep, thresholds: dict, row: Complaint) -> dict | None:
    due = row.step_due
    if due is None or due >= sweep.today:
        return None
    return {"step": "签收" if row.status == ComplaintStatus.RECEIVED else "办理", "step_due": due.isoformat(),
            "overdue_workdays": sweep.calendar.workday_index(sweep.today) - sweep.calendar.workday_index(due),
            "status": row.get_status_display()}


def _complaint_finding(row: Complaint, evidence: dict) -> Finding:
    # One alert per step and round: signing late, then handling late, again after a reopening.
    occurrence = f"{'sign' if row.status == ComplaintStatus.RECEIVED else 'handle'}:{row.reopened}"
    return Finding(row.pk, occurrence, f"{row.number} {row.title}"[:100], row.center_id, row.window_id, None,
                   evidence)


# --- windows: 空岗 -------------------------------------------------------------------------

def _open_minutes(center, start: datetime, end: datetime, sweep: Sweep) -> int:
    """Minutes between `start` and `end` that fall in today's opening hours, the midday break
    left out (a window paused over lunch is not an empty post)."""
    if not sweep.calendar.is_workday(sweep.today):
        return 0
    zone, total = timezone.get_current_timezone(), 0
    for opens, closes in center.opening_periods():
        first = max(start, datetime.combine(sweep.today, opens, tzinfo=zone))
        last = min(end, datetime.combine(sweep.today, closes, tzinfo=zone))
        total += max(0, int((last - first).total_seconds() // 60))
    return total


def _paused_windows() -> QuerySet:
    return WindowState.objects.filter(paused=True, since__isnull=False).select_related("window__center")


def _paused_too_long(sweep: Sweep, thresholds: dict, row: WindowState) -> dict | None:
    minutes = _open_minutes(row.window.center, row.since, sweep.now, sweep)
    if minutes < thresholds["minutes"]:
        return None
    return {"paused_since": timezone.localtime(row.since).isoformat(timespec="minutes"),
            "open_minutes_paused": minutes, "limit_minutes": thresholds["minutes"]}


def _paused_finding(row: WindowState, evidence: dict) -> Finding:
    window = row.window
    return Finding(window.pk, row.since.isoformat(), f"{window.number}号窗口 {window.name}", window.center_id,
                   window.pk, row.by_id, evidence)


def _pause_rule() -> dict:
    rule = _rows_rule(_paused_windows, _paused_too_long, _paused_finding)
    # An alert is about a window (its subject), found through the window's state row.
    rule["breaking"] = lambda sweep, thresholds, ids: {
        row.window_id for row in _paused_windows().filter(window_id__in=ids)
        if _paused_too_long(sweep, thresholds, row) is not None}
    return rule


# --- windows: nobody at the post (attendance) ---------------------------------------------

def _find_unstaffed(sweep: Sweep, thresholds: dict) -> Iterable[Finding]:
    """Windows whose expected person (A, B when A is on leave, or the named stand-in) has not
    punched in `minutes` into a shift, while the shift lasts; one alert per window and half day."""
    zone, limit = timezone.get_current_timezone(), timedelta(minutes=thresholds["minutes"])
    for center_id in sweep.centres:
        hours = duty_hours(center_id, sweep.today, sweep.calendar)
        for i, shift in enumerate(hours):
            starts = datetime.combine(sweep.today, shift.starts, tzinfo=zone)
            if not starts + limit <= sweep.now < datetime.combine(sweep.today, shift.ends, tzinfo=zone):
                continue
            # Arrived for this shift: a punch from the break's midpoint on (attendance's own division).
            since = arrivals_from(hours, i)
            present = {staff_id for staff_id, times in punch_times(center_id, sweep.today, until=sweep.now).items()
                       if times[-1] >= since}
            for expected in expected_at_windows(center_id, sweep.today, shift.half):
                person = expected.staff
                if person is not None and person.pk in present:
                    continue
                post = expected.window
                who = f"{person.name}（{expected.post}）" if person else "无人可排（A、B岗均请假）"
                yield Finding(post.pk, f"{sweep.today}:{shift.half}", f"{post.number}号窗口 {post.name}", center_id,
                              post.pk, person.user_id if person else None,
                              {"expected": who,
                               "shift_starts": shift.starts.strftime("%H:%M"),
                               "minutes_empty": int((sweep.now - starts).total_seconds() // 60),
                               "limit_minutes": thresholds["minutes"]})


# --- cases: what their history records --------------------------------------------------

def _transitions_rule(condition: Q):
    """Case transitions that break a rule by what they are (no time passing makes them right):
    one alert per transition, open until the bureau closes it (no `breaking`: nothing resolves
    it). The findings are a query: a first sweep over years of history raises them in SQL."""
    def find(sweep: Sweep, thresholds: dict) -> QuerySet:
        rows = CaseTransition.objects.filter(condition, at__lte=sweep.now)
        if sweep.since is not None:
            rows = rows.filter(center_id__in=sweep.centres, at__gte=sweep.since)
        return rows.order_by().values(
            f_subject_id=F("case_id"), f_occurrence=Cast("pk", CharField()), f_label=F("case__number"),
            f_center_id=F("case__center_id"), f_window_id=F("case__window_id"),
            f_staff_id=Coalesce("actor_id", "case__clerk_id"),
            f_evidence=JSONObject(action=F("action"), to_status=F("to_status"),
                                  at=LocalMinute("at"), reason=F("reason")))

    return {"find": find}


_refused_without_reason = _transitions_rule(REFUSAL_RECORDS & Q(reason__regex=r"^\s*$"))
_deemed_accepted = _transitions_rule(Q(action="accept", case__deemed_accepted=True))
# A second one-time notice: the bureau's allowed one and a clerk's refused attempt, both in the history.
_second_notice = _transitions_rule(SECOND_NOTICE_RECORDS)


# A second extension: the law allows one (Art. 42); the service refuses another and records it.
_extension_repeated = _transitions_rule(REFUSED_ATTEMPT_RECORDS & Q(action="extend_refused"))


# --- fees outside the catalogue ------------------------------------------------------------

def _line_problem(line: BillLine) -> dict | None:
    """What is wrong with a bill line against the catalogue: a fee of an item the case does not
    hold, an amount other than the fixed one, or one its charging standard does not allow."""
    fee = line.fee
    if fee.version_id != line.case_item.version_id:
        return {"problem": "收费项目不属于本件所办事项的目录", "catalogue": "—"}
    if fee.amount is not None:
        return None if line.amount == fee.amount else {"problem": "金额与目录规定不符",
                                                        "catalogue": f"{fee.amount:.2f}元"}
    if fee_rule(fee.standard).allows(line.amount):
        return None
    return {"problem": "金额超出收费标准", "catalogue": fee.standard}


def _bill_lines(sweep: Sweep) -> QuerySet:
    # Fixed amounts are compared in SQL; only lines charged by a standard are read to check.
    lines = BillLine.objects.filter(Q(fee__amount__isnull=True) | ~Q(amount=F("fee__amount"))
                                    | ~Q(fee__version_id=F("case_item__version_id")))
    # Lines are made when a case is accepted: a change of the case. One written past the
    # services changes no case, so the day's first sweep reads them all.
    if sweep.narrow:
        lines = lines.filter(bill__case_id__in=_changed_cases(sweep))
    return lines.select_related("fee", "case_item", "bill__case")


def _find_fees(sweep: Sweep, thresholds: dict) -> Iterable[Finding]:
    for row in _refused_charges["find"](sweep, thresholds):
        yield Finding(*(row[column] for column in FINDING_COLUMNS))
    for line in _bill_lines(sweep):
        problem = _line_problem(line)
        if problem is not None:
            case = line.bill.case
            yield Finding(case.pk, f"line:{line.pk}", case.number, case.center_id, case.window_id, case.clerk_id,
                          {"fee": line.name, "amount": f"{line.amount:.2f}", **problem})


# A refused charge (a fee the catalogue does not list, an amount off its standard) on a case
# being accepted is recorded by the service; a bill line that disagrees with the catalogue can
# only come from outside the services (an import, an edit in the database).
_refused_charges = _transitions_rule(REFUSED_ATTEMPT_RECORDS & Q(action="charge_refused"))


# --- tickets passed over by chosen calls --------------------------------------------------

def _find_passed_over(sweep: Sweep, thresholds: dict) -> Iterable[Finding]:
    """Waiting tickets that chosen calls (指定呼叫) passed over more than the limit: a chosen
    call of a later ticket of the same category, neither green channel nor an appointment
    (both may go first), while the earlier one was waiting."""
    start = datetime.combine(sweep.today, datetime.min.time(), tzinfo=timezone.get_current_timezone())
    calls = TicketEvent.objects.filter(action="call", note=CHOSEN_CALL, at__gte=start, at__lte=sweep.now)
    if sweep.since is not None and not calls.filter(at__gte=sweep.since).exists():
        return  # only a chosen call passes a ticket over
    chosen = list(calls.filter(ticket__green_channel=False, ticket__slot_start=None).order_by("at").values_list(
        "at", "window_id", "actor_id", "ticket__center_id", "ticket__category_id", "ticket__queued_at"))
    if not chosen:
        return
    passed: dict[int, list] = {}
    waiting = Ticket.objects.filter(day=sweep.today, center_id__in={c[3] for c in chosen},
                                    category_id__in={c[4] for c in chosen}).exclude(status=TicketStatus.CANCELLED)
    rows = waiting.values_list("pk", "number", "center_id", "category_id", "queued_at", "called_at")
    for pk, number, center_id, category_id, queued_at, called_at in rows:
        by = [c for c in chosen if (c[3], c[4]) == (center_id, category_id) and queued_at < c[5]
              and (called_at is None or called_at > c[0])]
        if len(by) > thresholds["times"]:
            passed[pk] = [number, center_id, queued_at, by]
    for pk, (number, center_id, queued_at, by) in passed.items():
        at, window_id, staff_id = by[thresholds["times"]][:3]  # the call that crossed the limit
        yield Finding(pk, "", number, center_id, window_id, staff_id,
                      {"queued_at": timezone.localtime(queued_at).isoformat(timespec="minutes"),
                       "passed_over": len(by), "limit_times": thresholds["times"],
                       "at": timezone.localtime(at).isoformat(timespec="minutes")})


# --- long services, long suspensions ------------------------------------------------------

def _serving_too_long(sweep: Sweep, thresholds: dict) -> Q:
    limit = sweep.now - timedelta(minutes=thresholds["minutes"])
    return Q(day=sweep.today, status__in=[TicketStatus.CALLED, TicketStatus.SERVING], called_at__lte=limit)


def _find_long_services(sweep: Sweep, thresholds: dict) -> Iterable[Finding]:
    rows = Ticket.objects.filter(_serving_too_long(sweep, thresholds)).values_list(
        "pk", "number", "center_id", "window_id", "staff_id", "called_at")
    for pk, number, center_id, window_id, staff_id, called_at in rows:
        minutes = int((sweep.now - called_at).total_seconds() // 60)
        yield Finding(pk, "", number, center_id, window_id, staff_id,
                      {"called_at": timezone.localtime(called_at).isoformat(timespec="minutes"),
                       "service_minutes": minutes, "limit_minutes": thresholds["minutes"]})


def _suspended_cases(sweep: Sweep, thresholds: dict) -> QuerySet:
    # N working days span at least N calendar days: the date bound keeps the query on the few.
    return Case.objects.filter(status=CaseStatus.SUSPENDED,
                               suspended_on__lte=sweep.today - timedelta(days=thresholds["workdays"]))


def _suspension_evidence(sweep: Sweep, thresholds: dict, case: Case) -> dict | None:
    days = sweep.calendar.workdays_between(case.suspended_on, sweep.today)
    if days <= thresholds["workdays"]:
        return None
    return {"suspended_on": case.suspended_on.isoformat(), "suspended_workdays": days,
            "limit_workdays": thresholds["workdays"]}


def _find_long_suspensions(sweep: Sweep, thresholds: dict) -> Iterable[Finding]:
    # Working days pass only with the date: within a day only a changed case can newly break it.
    cases = _suspended_cases(sweep, thresholds)
    if sweep.narrow:
        cases = cases.filter(pk__in=_changed_cases(sweep))
    for case in sweep.per_centre(cases):
        evidence = _suspension_evidence(sweep, thresholds, case)
        if evidence is not None:
            yield Finding(case.pk, case.suspended_on.isoformat(), case.number, case.center_id, case.window_id,
                          case.clerk_id, evidence)


def _long_suspensions_breaking(sweep: Sweep, thresholds: dict, ids: list[int]) -> set[int]:
    return {case.pk for case in _suspended_cases(sweep, thresholds).filter(pk__in=ids)
            if _suspension_evidence(sweep, thresholds, case) is not None}


# --- a step over its own limit ----------------------------------------------------------

class CaseRow(NamedTuple):
    """What the step rule reads of a case: plain values, not a model instance (110,000 open
    cases are read on the day's first sweep)."""
    pk: int
    number: str
    center_id: int
    window_id: int | None
    clerk_id: int
    steps: list


_DONE_BY = {StepRole.ACCEPT: {"accept"}, StepRole.REVIEW: {"review"}, StepRole.DECIDE: {"approve", "deny"}}


def _step_evidence(case: CaseRow, history: list[CaseTransition], sweep: Sweep) -> list[tuple[str, dict]]:
    """Each step from the first review to the decision that took, or has taken so far, more
    working days than its own limit (suspended working days within it not counted)."""
    roles = step_roles(case.steps)
    done: list[datetime | None] = []
    for step, role in zip(case.steps, roles, strict=True):
        if role not in _DONE_BY:
            break
        actions = _DONE_BY[role]
        done.append(next((t.at for t in history if t.action in actions
                          and (role != StepRole.REVIEW or t.step == step["name"])), None))
    found = []
    for i in range(1, len(done)):
        start = done[i - 1]
        if start is None:
            break
        end = done[i] or sweep.now
        paused = sum(t.data.get("suspended_workdays", 0) for t in history
                     if t.action == "resume" and start <= t.at <= end)
        used = sweep.calendar.workdays_between(timezone.localdate(start), timezone.localdate(end)) - paused
        limit = int(case.steps[i].get("days") or 0)
        if limit and used > limit:
            found.append((case.steps[i]["name"], {
                "step": case.steps[i]["name"], "limit_workdays": limit, "used_workdays": used,
                "started_on": timezone.localdate(start).isoformat(),
                "done_on": timezone.localdate(done[i]).isoformat() if done[i] else None}))
        if done[i] is None:
            break
    return found


def _step_candidates(sweep: Sweep) -> QuerySet:
    """The cases whose steps are timed, as CaseRow values: those changed since the sweep's
    `since`, and on a new day also every case between acceptance and decision."""
    # A case with a second step (one after acceptance) has a step to time.
    cases = Case.objects.exclude(accepted_on=None).exclude(status__in=[CaseStatus.REFUSED]).filter(
        steps__1__name__isnull=False).order_by()
    changed = Q(pk__in=_changed_cases(sweep)) if sweep.since is not None else None
    if sweep.narrow:
        return cases.filter(changed).values_list(*CaseRow._fields)
    running = [CaseStatus.ACCEPTED, CaseStatus.SUSPENDED]
    found = sweep.per_centre(cases.filter(status__in=running).values_list(*CaseRow._fields))
    if changed is not None:  # and those decided since (the others are among the running ones)
        found = found.union(cases.filter(changed).exclude(status__in=running).values_list(*CaseRow._fields),
                            all=True)
    return found


HISTORY_BATCH = 2000  # cases whose history is read in one query (a query takes at most 65,535 parameters)


def _with_history(cases: QuerySet) -> Iterable[tuple[CaseRow, list[CaseTransition]]]:
    """Each case of `cases` (CaseRow values) with its history in time order, a batch at a time."""
    batch: list[CaseRow] = []
    for row in map(CaseRow._make, cases.iterator(chunk_size=HISTORY_BATCH)):
        if len(row.steps) < 2:  # acceptance alone: no step to time
            continue
        batch.append(row)
        if len(batch) == HISTORY_BATCH:
            yield from _histories(batch)
            batch = []
    yield from _histories(batch)


def _histories(cases: list[CaseRow]) -> Iterable[tuple[CaseRow, list[CaseTransition]]]:
    history: dict[int, list[CaseTransition]] = {case.pk: [] for case in cases}
    rows = CaseTransition.objects.filter(case_id__in=list(history)).only("case_id", "action", "step", "at", "data")
    for row in rows.order_by("at", "id"):
        history[row.case_id].append(row)
    return ((case, history[case.pk]) for case in cases)


def _find_slow_steps(sweep: Sweep, thresholds: dict) -> Iterable[Finding]:
    for case, history in _with_history(_step_candidates(sweep)):
        for step, evidence in _step_evidence(case, history, sweep):
            yield Finding(case.pk, step, case.number, case.center_id, case.window_id, case.clerk_id, evidence)


def _slow_steps_breaking(sweep: Sweep, thresholds: dict, ids: list[int]) -> set[int]:
    cases = Case.objects.filter(pk__in=ids).values_list(*CaseRow._fields)
    return {case.pk for case, history in _with_history(cases)
            if _step_evidence(case, history, sweep)}


_overdue = _cases_in_light(Light.RED, _became_overdue)
_due_soon = _cases_in_light(Light.YELLOW, _became_due_soon)

BUILT_IN = [
    BuiltIn("case_overdue", "办件超期", Subject.CASE, Level.RED,
            "已受理的办件过了承诺办结日期仍未作出决定", **_overdue),
    BuiltIn("case_step_over_limit", "环节超时", Subject.CASE, Level.YELLOW,
            "办理流程中某一环节用时超过该环节自己的时限（即使总时限未超）",
            find=_find_slow_steps, breaking=_slow_steps_breaking, changed=_changed_case_ids),
    BuiltIn("case_due_soon", "办件临近到期", Subject.CASE, Level.YELLOW,
            "已受理的办件亮黄灯（剩余工作日按办件亮灯规则）", **_due_soon),
    BuiltIn("ticket_wait_long", "等候超时", Subject.TICKET, Level.YELLOW,
            "排队号等候叫号超过规定分钟数", thresholds={"minutes": 30},
            find=_find_long_waits, breaking=_long_waits_breaking),
    BuiltIn("review_not_called_back", "差评未按时回访", Subject.RECTIFICATION, Level.YELLOW,
            "差评生成整改后，超过规定工作日仍未回访评价人", thresholds={"workdays": 1},
            **_rows_rule(_open_rectifications, _not_called_back, _rectification_finding(lambda row: ""),
                         _changed_rectifications)),
    BuiltIn("rectification_overdue", "差评整改超期", Subject.RECTIFICATION, Level.RED,
            "差评整改过了整改期限仍未反馈办结",
            **_rows_rule(_open_rectifications, _rectification_late,
                         _rectification_finding(lambda row: row.deadline.isoformat()), _changed_rectifications)),
    BuiltIn("inquiry_unanswered", "首问未按时答复", Subject.INQUIRY, Level.YELLOW,
            "首问登记超过规定工作日仍未答复或办结", thresholds={"workdays": 1},
            **_rows_rule(_pending_inquiries, _inquiry_late, _inquiry_finding)),
    BuiltIn("complaint_overdue", "投诉逾期未签收或未办结", Subject.COMPLAINT, Level.RED,
            "投诉、意见建议超过签收期限（1个工作日）未签收，或超过办结期限仍未答复",
            **_rows_rule(_open_complaints, _complaint_late, _complaint_finding)),
    BuiltIn("window_paused_long", "窗口空岗", Subject.WINDOW, Level.RED,
            "办公时间内窗口暂停服务（含窗口终端签退）超过规定分钟数（午休不计）", thresholds={"minutes": 15},
            notify=True, **_pause_rule()),
    BuiltIn("window_unstaffed", "窗口空岗（人员未到岗）", Subject.WINDOW, Level.RED,
            "上班后超过规定分钟数，窗口应到岗人员（A岗，A岗请假时为B岗或顶岗人员）仍未打卡到岗",
            thresholds={"minutes": 15}, find=_find_unstaffed, notify=True),
    BuiltIn("case_refused_without_reason", "不予受理或不予许可未说明理由", Subject.CASE, Level.RED,
            "不予受理、不予许可的决定没有写明理由和依据", **_refused_without_reason),
    BuiltIn("case_deemed_accepted", "收件逾期视为受理", Subject.CASE, Level.RED,
            "收到材料后5个工作日内既未受理也未告知补正，依法视为受理（行政许可法第三十二条）", **_deemed_accepted),
    BuiltIn("ticket_service_long", "办理超时", Subject.TICKET, Level.YELLOW,
            "叫号后办理超过规定分钟数仍未办结", thresholds={"minutes": 60},
            find=_find_long_services, breaking=lambda sweep, thresholds, ids: set(
                Ticket.objects.filter(_serving_too_long(sweep, thresholds), pk__in=ids).values_list("pk", flat=True))),
    BuiltIn("case_suspended_long", "挂起超期", Subject.CASE, Level.YELLOW,
            "办件挂起（听证、检验、鉴定、专家评审）超过规定工作日仍未恢复", thresholds={"workdays": 30},
            find=_find_long_suspensions, breaking=_long_suspensions_breaking, changed=_changed_case_ids),
    BuiltIn("case_second_notice", "再次一次性告知", Subject.CASE, Level.RED,
            "同一办件第二次出具一次性告知书，或窗口人员试图这样做（系统已拒绝）", **_second_notice),
    BuiltIn("case_fee_outside_catalogue", "违规收费", Subject.CASE, Level.RED,
            "收取事项目录收费清单以外的费用或超出收费标准（含被系统拒绝的收费）", find=_find_fees),
    BuiltIn("case_extension_repeated", "重复延期", Subject.CASE, Level.RED,
            "同一办件试图第二次延期（行政许可法第四十二条只允许延期一次，系统已拒绝）", **_extension_repeated),
    BuiltIn("ticket_passed_over", "排队号被跳过", Subject.TICKET, Level.YELLOW,
            "排队号被“指定呼叫”后来的号跳过超过规定次数（绿色通道和预约号优先不计）", thresholds={"times": 3},
            find=_find_passed_over),
]
BY_CODE = {rule.code: rule for rule in BUILT_IN}

# Labels of the evidence an alert carries, for its pages.
EVIDENCE_LABELS = {
    # What happened, when, the figures, then the limit they crossed: the order an alert's page
    # shows them in (PostgreSQL's jsonb keeps keys in an order of its own).
    "step": "环节", "action": "操作", "to_status": "结果", "reason": "理由", "fee": "收费项目",
    "amount": "收取金额（元）", "catalogue": "目录规定", "problem": "问题",
    "due_date": "承诺办结日期", "step_due": "应完成日期", "promised_days": "承诺时限（工作日）",
    "remaining_workdays": "剩余工作日",
    "queued_at": "排队时间", "called_at": "叫号时间", "paused_since": "暂停开始", "at": "时间",
    "started_on": "环节开始", "done_on": "环节完成", "suspended_on": "挂起日期", "opened_on": "生成整改日期",
    "callback_due": "应回访日期", "deadline": "整改期限", "asked_on": "咨询日期", "answer_due": "应答复日期",
    "waited_minutes": "已等候（分钟）", "service_minutes": "已办理（分钟）",
    "open_minutes_paused": "办公时间内暂停（分钟）", "used_workdays": "已用工作日",
    "suspended_workdays": "已挂起工作日", "overdue_workdays": "超期工作日", "passed_over": "被跳过次数",
    "expected": "应到岗人员", "shift_starts": "上班时间", "minutes_empty": "上班后未到岗（分钟）",
    "limit_minutes": "规定（分钟）", "limit_workdays": "规定（工作日）", "limit_times": "规定（次）", "status": "状态",
}
ACTION_LABELS = {"refuse": "不予受理", "deny": "不予许可", "accept": "受理（逾期视为受理）", "notify": "再次一次性告知",
                 "notify_refused": "试图再次告知（被拒绝）", "extend_refused": "试图再次延期（被拒绝）",
                 "charge_refused": "收费不符合目录（被拒绝）"}


# Evidence that is a moment ("2026-10-12T12:00+08:00"), shown as local time to the minute.
TIME_KEYS = frozenset({"queued_at", "called_at", "paused_since", "at"})


def evidence_items(evidence: dict) -> list[tuple[str, str]]:
    """An alert's evidence as (label, value) pairs in Chinese, in the order of EVIDENCE_LABELS
    (PostgreSQL's jsonb keeps its keys in an order of its own)."""
    items = []
    order = {key: i for i, key in enumerate(EVIDENCE_LABELS)}
    for key, value in sorted(evidence.items(), key=lambda item: order.get(item[0], len(order))):
        if key == "action":
            value = ACTION_LABELS.get(value, value)
        elif key == "to_status":
            value = CaseStatus(value).label if value in CaseStatus.values else value
        elif value is None:
            value = "—"
        elif key in TIME_KEYS and isinstance(value, str):
            value = value[:16].replace("T", " ")  # a local time, to the minute
        elif isinstance(value, str) and not value.strip():
            value = "（空）"
        items.append((EVIDENCE_LABELS.get(key, key), str(value)))
    return items


# Labels of the thresholds, for the rule pages and validation messages.
THRESHOLD_LABELS = {"minutes": "分钟数", "workdays": "工作日数", "times": "次数"}

