"""Reads of attendance beyond a filter."""

from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from django.db.models import Count, Q, Sum
from django.db.models.functions import ExtractMonth
from django.utils import timezone

from servicehall.accounts.models import hash_api_key
from servicehall.accounts.permissions import WINDOW_STAFF
from servicehall.db.plans import unprepared
from servicehall.org.models import BackupPost, Staff, Window
from servicehall.workcalendar.selectors import get_calendar

from .leave import approved_leaves, at_window, away_slots
from .models import Correction, DayOutcome, DayResult, Device, ExtraDay, Leave, LeaveStatus, Punch, Shift, WindowHalf
from .rules import ShiftHours, arrivals_from


def duty_hours(center_id: int, day: date, calendar) -> list[ShiftHours]:
    """The centre's shifts on `day`: its working-day shifts on a working day, its extra-day
    shifts on a day it opened (ExtraDay), none otherwise."""
    if calendar.is_workday(day):
        shifts = Shift.objects.filter(center_id=center_id, is_active=True, on_workdays=True)
    elif ExtraDay.objects.filter(center_id=center_id, day=day).exists():
        shifts = Shift.objects.filter(center_id=center_id, is_active=True, on_extra_days=True)
    else:
        return []
    return [ShiftHours(*hours) for hours in shifts.order_by("starts_at").values_list("starts_at", "ends_at")]


def punch_times(center_id: int, day: date, until: datetime | None = None) -> dict[int, list[time]]:
    """Each person's punches and corrections at the centre on `day` (up to `until`), as local
    times in order: what the day's results, the board and the empty-window rule read."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    window = {"center_id": center_id, "at__gte": start, "at__lt": start + timedelta(days=1)}
    if until is not None:
        window["at__lte"] = until
    moments: dict[int, list[time]] = {}
    for model in (Punch, Correction):
        for staff_id, at in model.objects.filter(**window).values_list("staff_id", "at"):
            moments.setdefault(staff_id, []).append(at.astimezone(zone).time())
    return {staff_id: sorted(times) for staff_id, times in moments.items()}


def device_by_key(key: str) -> Device | None:
    """The active device whose JSON API key this is."""
    if not key or len(key) > 100:
        return None
    return Device.objects.filter(key_hash=hash_api_key(key), is_active=True).select_related("center").first()


class Expected(NamedTuple):
    """Who is due at a window in a half day, and as what: A岗, B岗 or 顶岗 (a named stand-in)."""
    window: Window
    staff: Staff | None
    post: str


def expected_at_windows(center_id: int, day: date, half: str) -> list[Expected]:
    """Each AB post's window of the centre in the half day: A, or B when A is on approved leave,
    or the stand-in named on their leave when both are away, or nobody."""
    posts = list(BackupPost.objects.filter(center_id=center_id, window__is_active=True)
                 .select_related("holder", "backup_staff", "window").order_by("window__number"))
    people = {p.holder_id for p in posts} | {p.backup_staff_id for p in posts}
    leaves = approved_leaves(people, day, day)
    stand_ins = {leave.stand_in_id for leave in leaves if leave.stand_in_id} - people
    away = away_slots([*leaves, *approved_leaves(stand_ins, day, day)])
    slot = (day, half)
    # Each person stands at one window: A at their own first, then B and stand-ins where A is away.
    placed = {post.holder_id for post in posts if post.holder.is_active and slot not in away.get(post.holder_id, {})}
    found = []
    for post in posts:
        stand_ins = [leave.stand_in for leave in leaves
                     if leave.staff_id in (post.holder_id, post.backup_staff_id) and leave.stand_in_id
                     and slot in away.get(leave.staff_id, {})]
        if post.holder_id in placed:
            person = post.holder
        else:
            busy = {**away, **{pk: {**away.get(pk, {}), slot: None} for pk in placed}}
            person = at_window(post, slot, busy, stand_ins)
            if person is not None:
                placed.add(person.pk)
        label = ("A岗" if person == post.holder else "B岗" if person == post.backup_staff
                 else "顶岗" if person is not None else "")
        found.append(Expected(post.window, person, label))
    return found


def sees_own_only(user) -> bool:
    """A window's staff reads their own attendance; managers, the bureau and leadership their
    centres'."""
    return user.role in WINDOW_STAFF


@dataclass(frozen=True)
class WindowNow:
    """A window at the board's moment: who is expected, as what, and whether they are in."""
    window: Window
    staff: Staff | None
    post: str
    arrived: time | None
    state: str  # "present", "empty", "not_yet", "off"
    empty_minutes: int = 0


@dataclass(frozen=True)
class PersonToday:
    staff: Staff
    punches: list[time]
    leave: Leave | None


@dataclass(frozen=True)
class Board:
    day: date
    hours: list
    half: str
    windows: list[WindowNow]
    people: list[PersonToday]
    pending: list[Leave]


def day_board(center, now: datetime) -> Board:
    """The centre's day as its manager sees it at `now`: each window's expected person for the
    shift under way (or the next one) and whether they punched in, everyone's punches and leave
    today, and the leaves waiting for approval."""
    zone = timezone.get_current_timezone()
    today = timezone.localdate(now)
    hours = duty_hours(center.pk, today, get_calendar())
    index = next((i for i, h in enumerate(hours) if datetime.combine(today, h.ends, tzinfo=zone) > now),
                 len(hours) - 1)
    shift = hours[index] if hours else None
    moments = punch_times(center.pk, today, until=now)  # a device clock a little ahead arrives on time
    windows = []
    if shift is not None:
        since = arrivals_from(hours, index)
        starts = datetime.combine(today, shift.starts, tzinfo=zone)
        for expected in expected_at_windows(center.pk, today, shift.half):
            person = expected.staff
            arrived = min((t for t in moments.get(person.pk, []) if t >= since), default=None) if person else None
            if arrived is not None:
                state, minutes = "present", 0
            elif now < starts:
                state, minutes = "not_yet", 0
            else:
                state, minutes = "empty", int((now - starts).total_seconds() // 60)
            windows.append(WindowNow(expected.window, person, expected.post, arrived, state, minutes))
    people_rows = Staff.objects.filter(center=center, is_active=True).order_by("employee_no")
    leaves = {leave.staff_id: leave for leave in Leave.objects.filter(
        center=center, status=LeaveStatus.APPROVED, starts_on__lte=today, ends_on__gte=today)}
    people = [PersonToday(person, moments.get(person.pk, []), leaves.get(person.pk)) for person in people_rows]
    pending = list(Leave.objects.filter(center=center, status=LeaveStatus.PENDING).select_related("staff", "stand_in")
                   .order_by("starts_on", "id"))
    return Board(today, hours, shift.half if shift else "", windows, people, pending)


# --- the month sheet (月度考勤表) and the district's figures ------------------------------------

# How a day shows on the sheet: the signs the hall's paper sheets use.
SIGNS = {DayOutcome.NORMAL: "√", DayOutcome.LATE: "迟", DayOutcome.EARLY: "早", DayOutcome.LATE_AND_EARLY: "迟早",
         DayOutcome.MISSING: "缺", DayOutcome.ABSENT: "旷", DayOutcome.LEAVE: "假"}


@dataclass(frozen=True)
class Totals:
    """A person's (or a centre's) attendance over a period, in half days and times."""
    duty_halves: int = 0
    absent_halves: int = 0
    leave_halves: int = 0
    late_times: int = 0
    late_minutes: int = 0
    early_times: int = 0
    missing_times: int = 0

    @classmethod
    def of(cls, many: list["Totals"]) -> "Totals":
        """The sum of several (the district's total of its centres)."""
        return cls(**{f.name: sum(getattr(t, f.name) for t in many) for f in fields(cls)})

    @property
    def rate(self) -> float | None:
        """出勤率: the half days at work over the half days due (leave not due), in per cent."""
        due = self.duty_halves - self.leave_halves
        return round(100 * (due - self.absent_halves) / due, 1) if due > 0 else None


def _totals(results) -> Totals:
    """A person's totals from their days. Late, early and missing count days (a day late in both
    halves is one time), as the district's grouped figures do."""
    return Totals(duty_halves=sum(r.duty_halves for r in results),
                  absent_halves=sum(r.absent_halves for r in results),
                  leave_halves=sum(r.leave_halves for r in results),
                  late_times=sum(r.late_minutes > 0 for r in results),
                  late_minutes=sum(r.late_minutes for r in results),
                  early_times=sum(r.early_minutes > 0 for r in results),
                  missing_times=sum(r.missing_halves > 0 for r in results))


@dataclass(frozen=True)
class SheetRow:
    staff: Staff
    cells: list  # per day of the month: its DayResult, or None (no duty, or not yet judged)
    totals: Totals


@dataclass(frozen=True)
class MonthSheet:
    center: object
    first: date
    days: list[date]
    open_days: set[date]  # the calendar's working days and the centre's extra service days
    rows: list[SheetRow]


def month_days(first: date) -> list[date]:
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return [first + timedelta(days=n) for n in range((following - first).days)]


def month_sheet(center, first: date, staff: Staff | None = None) -> MonthSheet:
    """The centre's month: each active person's result per day and their totals (or one
    person's, for their own page). Two queries, whatever the size of the centre."""
    days = month_days(first)
    calendar = get_calendar()
    extra = set(ExtraDay.objects.filter(center=center, day__range=(days[0], days[-1])).values_list("day", flat=True))
    open_days = {d for d in days if calendar.is_workday(d)} | extra
    results: dict[int, dict[date, DayResult]] = {}
    found = DayResult.objects.filter(center=center, day__range=(days[0], days[-1]))
    if staff is not None:
        found = found.filter(staff=staff)
    for result in found:
        results.setdefault(result.staff_id, {})[result.day] = result
    # The centre's people now, and anyone who left with days in the month.
    people = list(Staff.objects.filter(Q(is_active=True) | Q(pk__in=results), center=center)
                  .order_by("employee_no")) if staff is None else [staff]
    rows = []
    for person in people:
        mine = results.get(person.pk, {})
        rows.append(SheetRow(person, [mine.get(d) for d in days], _totals(list(mine.values()))))
    return MonthSheet(center, first, days, open_days, rows)


@dataclass(frozen=True)
class CentreFigures:
    center: object
    people: int
    totals: Totals
    empty_times: int  # windows' half days that stood empty longer than the limit
    empty_minutes: int


def attendance_figures(centres: list, first: date, last: date, empty_limit: int) -> tuple[list, dict]:
    """Each centre's attendance between `first` and `last` (from its days' results) and its
    empty posts (windows' half days empty for more than `empty_limit` minutes); and per centre
    and month, the rate and the empty minutes, for the charts. Two grouped queries."""
    ids = [c.pk for c in centres]
    late = Q(late_minutes__gt=0)
    days = (DayResult.objects.filter(center_id__in=ids, day__range=(first, last))
            .annotate(month=ExtractMonth("day")).values("center_id", "month")
            .annotate(duty=Sum("duty_halves"), absent=Sum("absent_halves"), leave=Sum("leave_halves"),
                      late_days=Count("pk", filter=late), late_minutes=Sum("late_minutes"),
                      early_days=Count("pk", filter=Q(early_minutes__gt=0)),
                      missing=Count("pk", filter=Q(missing_halves__gt=0))).order_by())
    empty = Q(empty_minutes__gt=empty_limit)
    posts = (WindowHalf.objects.filter(center_id__in=ids, day__range=(first, last))
             .annotate(month=ExtractMonth("day")).values("center_id", "month")
             .annotate(times=Count("pk", filter=empty), minutes=Sum("empty_minutes", filter=empty)).order_by())
    # People are the centre's active staff: a distinct count inside the grouped query would make
    # PostgreSQL sort a year of rows instead of hashing them in parallel (bench/attendance_sheets).
    people = dict(Staff.objects.filter(center_id__in=ids, is_active=True).values("center_id")
                  .annotate(n=Count("pk")).values_list("center_id", "n").order_by())
    by_centre: dict[int, list] = {pk: [] for pk in ids}
    monthly: dict[int, dict[int, dict]] = {pk: {} for pk in ids}
    with unprepared():  # a generic plan expects hundreds of rows where a year has 250,000
        days, posts = list(days), list(posts)
    for row in days:
        by_centre[row["center_id"]].append(row)
        monthly[row["center_id"]].setdefault(row["month"], {})["totals"] = _sum_rows([row])
    empties: dict[int, list] = {pk: [] for pk in ids}
    for row in posts:
        empties[row["center_id"]].append(row)
        monthly[row["center_id"]].setdefault(row["month"], {})["empty_minutes"] = row["minutes"] or 0
    figures = [CentreFigures(c, people.get(c.pk, 0), _sum_rows(by_centre[c.pk]),
                             sum(r["times"] for r in empties[c.pk]), sum(r["minutes"] or 0 for r in empties[c.pk]))
               for c in centres]
    return figures, monthly


def _sum_rows(rows: list[dict]) -> Totals:
    """Totals of grouped rows (of `attendance_figures`)."""
    return Totals(duty_halves=sum(r["duty"] or 0 for r in rows), absent_halves=sum(r["absent"] or 0 for r in rows),
                  leave_halves=sum(r["leave"] or 0 for r in rows), late_times=sum(r["late_days"] for r in rows),
                  late_minutes=sum(r["late_minutes"] or 0 for r in rows),
                  early_times=sum(r["early_days"] for r in rows), missing_times=sum(r["missing"] for r in rows))


def leaves_of(user, status: str):
    """The leaves of the centres the user sees, in `status` ("all": every one), the earliest
    first while pending, the latest first otherwise; at most 200."""
    leaves = Leave.objects.for_user(user).select_related("staff__center", "staff__user", "stand_in",
                                                         "center__district")
    if status != "all":
        leaves = leaves.filter(status=status)
    order = ("starts_on", "id") if status == LeaveStatus.PENDING else ("-starts_on", "-id")
    return list(leaves.order_by(*order)[:200])
