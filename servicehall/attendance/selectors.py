"""Reads of attendance beyond a filter."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from django.utils import timezone

from servicehall.accounts.models import hash_api_key
from servicehall.accounts.permissions import WINDOW_STAFF
from servicehall.org.models import BackupPost, Staff, Window
from servicehall.workcalendar.selectors import get_calendar

from .leave import approved_leaves, at_window, away_slots
from .models import Correction, Device, ExtraDay, Leave, LeaveStatus, Punch, Shift
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
    found = []
    for post in posts:
        stand_ins = [leave.stand_in for leave in leaves
                     if leave.staff_id in (post.holder_id, post.backup_staff_id) and leave.stand_in_id
                     and slot in away.get(leave.staff_id, {})]
        person = at_window(post, slot, away, stand_ins)
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
    moments = punch_times(center.pk, today)
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
