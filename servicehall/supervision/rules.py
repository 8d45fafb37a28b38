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

from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from servicehall.cases.models import Case, CaseTransition
from servicehall.cases.selectors import Light, light_query
from servicehall.catalog.models import ItemVersion
from servicehall.lib.workdays import WorkCalendar
from servicehall.queueing.models import Ticket, TicketStatus

from .models import Level, Subject


@dataclass(frozen=True)
class Sweep:
    """One sweep's view of time: `now`, the local day, the calendar, and from when changes
    count (`since`, already moved back by the sweep's overlap)."""
    now: datetime
    since: datetime | None
    calendar: WorkCalendar

    @property
    def today(self) -> date:
        return timezone.localdate(self.now)


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
    find: Callable[[Sweep, dict], Iterable[Finding]] = None
    breaking: Callable[[Sweep, dict, list[int]], set[int]] = None


# --- cases -------------------------------------------------------------------------------

def _changed_cases(since: datetime) -> QuerySet:
    return CaseTransition.objects.filter(at__gte=since).values("case_id")


def _max_promised() -> int:
    return ItemVersion.objects.aggregate(top=Max("promised_days"))["top"] or 0


def _light(sweep: Sweep, light: str) -> Q:
    return light_query(light, sweep.today, sweep.calendar, _max_promised())


def _case_findings(sweep: Sweep, cases: QuerySet) -> Iterable[Finding]:
    index = sweep.calendar.workday_index
    for pk, number, center_id, window_id, clerk_id, due, promised in cases.values_list(
            "pk", "number", "center_id", "window_id", "clerk_id", "due_date", "promised_days"):
        remaining = index(due) - index(sweep.today)
        yield Finding(pk, due.isoformat(), number, center_id, window_id, clerk_id,
                      {"due_date": due.isoformat(), "remaining_workdays": remaining, "promised_days": promised})


def _cases_in_light(light: str, recent: Callable[[Sweep], Q]):
    """Accepted cases under `light`, looked at when they changed or when their due date moved
    them into it since the last sweep (`recent`)."""
    def find(sweep: Sweep, thresholds: dict) -> Iterable[Finding]:
        cases = Case.objects.filter(_light(sweep, light))
        if sweep.since is not None:
            cases = cases.filter(recent(sweep) | Q(pk__in=_changed_cases(sweep.since)))
        return _case_findings(sweep, cases)

    def breaking(sweep: Sweep, thresholds: dict, ids: list[int]) -> set[int]:
        return set(Case.objects.filter(_light(sweep, light), pk__in=ids).values_list("pk", flat=True))

    return find, breaking


def _became_overdue(sweep: Sweep) -> Q:
    # Overdue from the working day after the due date: due dates since the last sweep's day.
    return Q(due_date__gte=timezone.localdate(sweep.since) - timedelta(days=1))


def _became_due_soon(sweep: Sweep) -> Q:
    # A case turns yellow as today moves towards its due date: every accepted case not yet
    # overdue could have; the light's own due-date ranges keep this to the yellow ones.
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


_overdue = _cases_in_light(Light.RED, _became_overdue)
_due_soon = _cases_in_light(Light.YELLOW, _became_due_soon)

BUILT_IN = [
    BuiltIn("case_overdue", "办件超期", Subject.CASE, Level.RED,
            "已受理的办件过了承诺办结日期仍未作出决定", find=_overdue[0], breaking=_overdue[1]),
    BuiltIn("case_due_soon", "办件临近到期", Subject.CASE, Level.YELLOW,
            "已受理的办件亮黄灯（剩余工作日按办件亮灯规则）", find=_due_soon[0], breaking=_due_soon[1]),
    BuiltIn("ticket_wait_long", "等候超时", Subject.TICKET, Level.YELLOW,
            "排队号等候叫号超过规定分钟数", thresholds={"minutes": 30},
            find=_find_long_waits, breaking=_long_waits_breaking),
]
BY_CODE = {rule.code: rule for rule in BUILT_IN}

# Labels of the thresholds, for the rule pages and validation messages.
THRESHOLD_LABELS = {"minutes": "分钟数"}

