"""Writes of attendance: devices registered by a centre's manager, the punches devices send,
shifts, extra service days and corrections, and the days' results derived from them.

Punches are stored as they came, once: the unique key (device serial, PIN, time) refuses the
second copy of a retried upload, so a device may send the same lines any number of times.
"""

import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from servicehall.accounts.models import hash_api_key
from servicehall.accounts.permissions import can, require
from servicehall.audit.services import audit_record
from servicehall.lib.errors import Conflict, Forbidden, Invalid, NotFound, text_input
from servicehall.org.models import ServiceCenter, Staff
from servicehall.queueing.services import window_pause
from servicehall.workcalendar.selectors import current_revision, get_calendar

from .leave import (
    HALVES,
    approved_leaves,
    at_window,
    away_slots,
    bookings,
    centre_leaves,
    leave_slots,
    posts_of,
    slot_label,
    slots,
)
from .models import (
    LEAVE_TRANSITIONS,
    CentreDay,
    Correction,
    DayResult,
    Device,
    ExtraDay,
    Half,
    Leave,
    LeaveEvent,
    LeaveKind,
    LeaveStatus,
    Punch,
    PunchSource,
    PunchState,
    RefusedPunch,
    Shift,
    WindowHalf,
)
from .rules import ShiftHours, arrival, day_result, empty_minutes
from .selectors import duty_hours, expected_at_windows, punch_times

logger = logging.getLogger(__name__)

# A punch later than this past the server's clock is a device whose clock is wrong.
CLOCK_SLACK = timedelta(minutes=5)
BATCH = 1000  # punches written per INSERT


def device_register(*, actor, center, serial: str, name: str, now: datetime | None = None) -> tuple[Device, str]:
    """A centre's manager registers a clock-in terminal by its serial number. Returns the device
    and its JSON API key (shown once; only its hash is kept)."""
    now = now or timezone.now()
    require(actor, "attendance.devices", center.pk)
    serial = text_input(serial, field="serial", label="设备序列号", limit=40)
    if not serial.isascii() or not serial.replace("-", "").replace("_", "").isalnum():
        raise Invalid("设备序列号：只能包含字母、数字、连字符和下划线", field="serial")
    name = text_input(name, field="name", label="安装位置", limit=60)
    key = "dev_" + secrets.token_urlsafe(24)
    with transaction.atomic():
        if Device.objects.filter(serial=serial).exists():
            raise Conflict("设备序列号：该设备已登记", code="duplicate", field="serial")
        device = Device.objects.create(center=center, serial=serial, name=name, key_hash=hash_api_key(key),
                                       registered_at=now, registered_by=actor)
        audit_record(actor=actor, action="attendance.device_register", obj=device, center=center,
                     after={"serial": serial, "name": name}, now=now)
    return device, key


@dataclass(frozen=True)
class Line:
    """One punch as a device sent it, before it is checked."""
    pin: str
    at: str  # local time as the device wrote it, "YYYY-MM-DD HH:MM:SS"
    state: str = "0"
    verify: str = "0"
    raw: str = ""


@dataclass(frozen=True)
class Received:
    lines: int
    refused: int


def parse_attlog(body: str) -> list[Line]:
    """The lines of an iclock ATTLOG upload: `PIN\\ttime\\tstatus\\tverify\\tworkcode…`, one per
    punch (blank lines skipped)."""
    lines = []
    for raw in body.splitlines():
        if not raw.strip():
            continue
        fields = raw.split("\t")
        fields += [""] * (4 - len(fields))
        lines.append(Line(pin=fields[0].strip(), at=fields[1].strip(), state=fields[2].strip() or "0",
                          verify=fields[3].strip() or "0", raw=raw))
    return lines


def _punch_time(text: str) -> datetime | None:
    """The punch's moment, or None for a time that is no time (a reset clock's year 1 too)."""
    try:
        local = datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    if not 2000 <= local.year <= 2100:
        return None
    return timezone.make_aware(local, timezone.get_current_timezone())


_STATES = frozenset(PunchState.values)


def _state(text: str) -> int | None:
    return int(text) if text.isdigit() and int(text) in _STATES else None


def punches_receive(*, device: Device, lines: Iterable[Line], source: str = PunchSource.DEVICE,
                    now: datetime | None = None) -> Received:
    """Store a device's punches: each line of a person of the device's centre once; a line the
    centre cannot take (a PIN of no one here, a time that is no time or still to come) logged as
    refused, once. Returns how many lines came and how many were refused."""
    now = now or timezone.now()
    lines = list(lines)
    staff = dict(Staff.objects.filter(center_id=device.center_id, employee_no__in={line.pin for line in lines})
                 .values_list("employee_no", "pk"))
    punches, refused = [], []
    for line in lines:
        at, state = _punch_time(line.at), _state(line.state)
        reason = ("工号不是本中心人员" if line.pin not in staff else "打卡时间格式不对" if at is None
                  else "打卡时间晚于服务器时间（设备时钟有误）" if at > now + CLOCK_SLACK
                  else "打卡状态不对" if state is None else None)
        if reason is not None:
            refused.append(RefusedPunch(center_id=device.center_id, serial=device.serial, pin=line.pin[:20],
                                        line=(line.raw or f"{line.pin}\t{line.at}")[:200], reason=reason,
                                        received_at=now))
            continue
        verify = int(line.verify) if line.verify.isdigit() and int(line.verify) < 1000 else 0
        punches.append(Punch(center_id=device.center_id, staff_id=staff[line.pin], serial=device.serial,
                             pin=line.pin, at=at, source=source, state=state, verify=verify, received_at=now))
    with transaction.atomic():
        Punch.objects.bulk_create(punches, batch_size=BATCH, ignore_conflicts=True)
        RefusedPunch.objects.bulk_create(refused, batch_size=BATCH, ignore_conflicts=True)
        Device.objects.filter(pk=device.pk).update(last_seen_at=now)
        days_pending(device.center_id, {timezone.localdate(p.at) for p in punches}, now)
    return Received(lines=len(lines), refused=len(refused))


def device_seen(device: Device, now: datetime | None = None) -> None:
    """A device asked for work or shook hands: it is alive."""
    Device.objects.filter(pk=device.pk).update(last_seen_at=now or timezone.now())


# --- shifts, extra days, corrections ------------------------------------------------------

FIRST_YEAR, LAST_YEAR = 2000, 2100  # a date outside is a typing slip, not attendance


def _check_day(day: date | None, *, field: str, label: str, now: datetime, within: int | None = None) -> date:
    """`day`, or a refusal naming the field: missing, outside the calendar's years, or (with
    `within`) more than that many days from today."""
    if day is None:
        raise Invalid(f"{label}：请填写", field=field)
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise Invalid(f"{label}：应在{FIRST_YEAR}年至{LAST_YEAR}年之间", field=field)
    if within is not None and abs((day - timezone.localdate(now)).days) > within:
        raise Invalid(f"{label}：应在今天前后{within}天以内", field=field)
    return day


def _require_manager(actor, center) -> None:
    require(actor, "attendance.manage", center.pk)


def shift_save(*, actor, center, name: str, starts_at, ends_at, on_workdays: bool = True,
               on_extra_days: bool = False, shift: Shift | None = None, now: datetime | None = None) -> Shift:
    """Add or change a centre's shift. Shifts of the same days may not overlap; the days from
    today on are computed again."""
    now = now or timezone.now()
    _require_manager(actor, center)
    name = text_input(name, field="name", label="班次名称", limit=20)
    if starts_at is None:
        raise Invalid("上班时间：请填写", field="starts_at")
    if ends_at is None:
        raise Invalid("下班时间：请填写", field="ends_at")
    if ends_at <= starts_at:
        raise Invalid("下班时间：须晚于上班时间（班次不能跨越午夜）", field="ends_at")
    if not (on_workdays or on_extra_days):
        raise Invalid("上班日期：工作日和加开服务日至少选一项", field="on_workdays")
    with transaction.atomic():
        others = Shift.objects.select_for_update().filter(center=center, is_active=True)
        if shift is not None:
            others = others.exclude(pk=shift.pk)
        for other in others:
            same_days = (other.on_workdays and on_workdays) or (other.on_extra_days and on_extra_days)
            if same_days and other.starts_at < ends_at and starts_at < other.ends_at:
                raise Invalid(f"上班时间：与班次“{other}”重叠", field="starts_at")
            # Leave, results and empty posts count in half days: one shift per half.
            if same_days and ShiftHours(other.starts_at, other.ends_at).half == ShiftHours(starts_at, ends_at).half:
                raise Invalid(f"上班时间：{Half(ShiftHours(starts_at, ends_at).half).label}已有班次“{other}”，"
                              f"每个半天只能设一个班次", field="starts_at")
        before = None
        if shift is None:
            shift = Shift(center=center)
        else:
            before = {"name": shift.name, "starts_at": str(shift.starts_at), "ends_at": str(shift.ends_at)}
        shift.name, shift.starts_at, shift.ends_at = name, starts_at, ends_at
        shift.on_workdays, shift.on_extra_days = on_workdays, on_extra_days
        shift.save()
        days_pending(center.pk, [timezone.localdate(now)], now)
        audit_record(actor=actor, action="attendance.shift_save", obj=shift, center=center, before=before,
                     after={"name": name, "starts_at": str(starts_at), "ends_at": str(ends_at),
                            "on_workdays": on_workdays, "on_extra_days": on_extra_days}, now=now)
    return shift


def extra_day_set(*, actor, center, day: date, open_: bool, note: str = "", now: datetime | None = None) -> bool:
    """Open the centre on a day off in the calendar (weekend service), or undo it. Returns
    whether anything changed."""
    now = now or timezone.now()
    _require_manager(actor, center)
    _check_day(day, field="day", label="日期", now=now, within=MAX_LEAVE_DAYS)
    note = text_input(note, field="note", label="说明", limit=60, required=False)
    if open_ and get_calendar().is_workday(day):
        raise Invalid("日期：该日本就是工作日，不需要加开", field="day")
    if not open_ and day < timezone.localdate(now):
        # Its shifts were worked and judged: closing it would erase its results.
        raise Invalid("日期：已过去的加开服务日不能取消", field="day")
    with transaction.atomic():
        if open_:
            changed = ExtraDay.objects.get_or_create(center=center, day=day, defaults={"note": note})[1]
        else:
            changed = ExtraDay.objects.filter(center=center, day=day).delete()[0] > 0
        if changed:
            days_pending(center.pk, [day], now)
            audit_record(actor=actor, action="attendance.extra_day", obj=center, center=center,
                         after={"day": day.isoformat(), "open": open_, "note": note}, now=now)
    return changed


def correction_record(*, actor, staff: Staff, at: datetime, reason: str, now: datetime | None = None) -> Correction:
    """补卡: the centre's manager records a punch a person could not make, with the reason. The
    punch log stays as the devices sent it."""
    now = now or timezone.now()
    require(actor, "attendance.manage", staff.center_id)
    reason = text_input(reason, field="reason", label="补卡理由", limit=200)
    if not staff.is_active:
        raise Invalid("人员：该人员已不在岗", field="staff")
    if at is None:
        raise Invalid("补卡时间：请填写", field="at")
    _check_day(timezone.localdate(at), field="at", label="补卡时间", now=now, within=MAX_LEAVE_DAYS)
    if at > now:
        raise Invalid("补卡时间：不能晚于现在", field="at")
    with transaction.atomic():
        correction = Correction.objects.create(center_id=staff.center_id, staff=staff, at=at, reason=reason, by=actor,
                                               created_at=now)
        days_pending(staff.center_id, [timezone.localdate(at)], now)
        audit_record(actor=actor, action="attendance.correction", obj=correction, center=staff.center,
                     after={"staff": staff.employee_no, "at": timezone.localtime(at).isoformat(), "reason": reason},
                     now=now)
    return correction


# --- the days' results ---------------------------------------------------------------------

def days_pending(center_id: int, days, now: datetime) -> None:
    """The centre's `days` are to be computed again, now."""
    rows = [CentreDay(center_id=center_id, day=day, due_at=now) for day in sorted(set(days))]
    CentreDay.objects.bulk_create(rows, update_conflicts=True, unique_fields=["center", "day"],
                                  update_fields=["due_at"])


def day_results_compute(center_id: int, day: date, now: datetime | None = None) -> datetime | None:
    """Every active person of the centre: their result for `day`, from the shifts that have
    ended by `now` (today's later ones are judged when they end), their punches, corrections and
    approved leave. Returns when the day is due again (the next shift's end today), or None."""
    now = now or timezone.now()
    zone = timezone.get_current_timezone()
    hours = duty_hours(center_id, day, get_calendar())
    ended = [h for h in hours if datetime.combine(day, h.ends, tzinfo=zone) <= now]
    later = [datetime.combine(day, h.ends, tzinfo=zone) for h in hours if h not in ended]
    people = list(Staff.objects.filter(center_id=center_id, is_active=True).values_list("pk", flat=True))
    if day < timezone.localdate(now):
        # A past day judged before keeps its people: someone who joined since was not due then,
        # someone who left since was. (Staff have no dates of joining or leaving.)
        judged = list(DayResult.objects.filter(center_id=center_id, day=day).values_list("staff_id", flat=True))
        people = judged or people
    moments = punch_times(center_id, day)
    excused: dict[int, dict[str, str]] = {}
    for leave in approved_leaves(people, day, day):
        for leave_day, half in leave_slots(leave):
            if leave_day == day:
                excused.setdefault(leave.staff_id, {})[half] = leave.get_kind_display()
    rows = []
    for staff_id in people:
        if not ended:
            break
        result = day_result(hours, moments.get(staff_id, []), excused.get(staff_id),
                            absent_minutes=settings.SH_ATTENDANCE_ABSENT_MINUTES,
                            until=max(h.ends for h in ended))
        rows.append(DayResult(
            center_id=center_id, staff_id=staff_id, day=day, outcome=result.outcome,
            late_minutes=result.late_minutes, early_minutes=result.early_minutes,
            duty_halves=len(result.halves), absent_halves=result.absent_halves,
            missing_halves=result.missing_halves,
            leave_halves=result.leave_halves, computed_at=now,
            halves=[{"half": h.half, "outcome": h.outcome, "leave": h.leave, "late_minutes": h.late_minutes,
                     "early_minutes": h.early_minutes,
                     "check_in": h.check_in.strftime("%H:%M:%S") if h.check_in else None,
                     "check_out": h.check_out.strftime("%H:%M:%S") if h.check_out else None}
                    for h in result.halves]))
    posts = _window_halves(center_id, day, hours, ended, moments)
    with transaction.atomic():
        DayResult.objects.filter(center_id=center_id, day=day, staff_id__in=people).delete()
        DayResult.objects.bulk_create(rows)
        WindowHalf.objects.filter(center_id=center_id, day=day).delete()
        WindowHalf.objects.bulk_create(posts)
    return min(later) if later else None


def _window_halves(center_id: int, day: date, hours: list, ended: list, moments: dict) -> list:
    """Each AB window's ended shifts: the person expected, when they arrived, how long the
    window stood empty."""
    found = []
    for index, shift in enumerate(hours):
        if shift not in ended:
            continue
        for expected in expected_at_windows(center_id, day, shift.half):
            person = expected.staff
            punches = moments.get(person.pk, []) if person else []
            found.append(WindowHalf(center_id=center_id, window=expected.window, day=day, half=shift.half,
                                    staff=person, post=expected.post, starts_at=shift.starts,
                                    arrived_at=arrival(hours, index, punches),
                                    empty_minutes=empty_minutes(hours, index, punches)))
    return found


RETRY_FAILED_DAY = timedelta(minutes=5)  # a day whose computing raised is due again after this


def days_due_compute(now: datetime | None = None, limit: int = 50) -> int:
    """The background task's round: the days a calendar edit moved and today (from its first
    shift's end) are due for every centre, then each centre's day that is due is computed, each
    by one worker only (SKIP LOCKED). A day whose computing raises is logged and put back, due
    `RETRY_FAILED_DAY` later; the round goes on with the others. Returns how many days were
    computed."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    revision = current_revision()
    calendar = get_calendar()
    # A calendar edit (a day made a holiday or a working day) moves duty: the days computed
    # with another revision, from the first of last month on (what month sheets still read),
    # are due again.
    recent = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    CentreDay.objects.filter(day__gte=recent, due_at__isnull=True).exclude(calendar_revision=revision).update(
        due_at=now)
    fresh = [CentreDay(center_id=pk, day=today, due_at=first)
             for pk in ServiceCenter.objects.values_list("pk", flat=True)
             if (first := _first_end(pk, today, calendar)) is not None]
    CentreDay.objects.bulk_create(fresh, ignore_conflicts=True)
    done = 0
    for _ in range(limit):
        with transaction.atomic():
            row = (CentreDay.objects.select_for_update(skip_locked=True)
                   .filter(due_at__lte=now).order_by("due_at").first())
            if row is None:
                break
            try:
                with transaction.atomic():  # a savepoint: a failed day leaves the round's transaction usable
                    again = day_results_compute(row.center_id, row.day, now)
            except Exception:
                # One centre's bad day must not stop every other centre's: logged, and retried
                # later (after `now`, so not again in this round).
                logger.exception("attendance: computing centre %s's day %s failed; retried in %s",
                                 row.center_id, row.day, RETRY_FAILED_DAY)
                CentreDay.objects.filter(pk=row.pk).update(due_at=now + RETRY_FAILED_DAY)
                continue
            CentreDay.objects.filter(pk=row.pk).update(due_at=again, computed_at=now, calendar_revision=revision)
        done += 1
    return done


def _first_end(center_id: int, day: date, calendar) -> datetime | None:
    hours = duty_hours(center_id, day, calendar)
    zone = timezone.get_current_timezone()
    return datetime.combine(day, hours[0].ends, tzinfo=zone) if hours else None


# --- leave (请假) ------------------------------------------------------------------------------

MAX_LEAVE_DAYS = 366


def _duty_slots(center_id: int, slots: list[tuple[date, str]]) -> list[tuple[date, str]]:
    """The half days among `slots` the centre has a shift in."""
    calendar, duty = get_calendar(), []
    by_day: dict[date, set[str]] = {}
    for day, half in slots:
        if day not in by_day:
            by_day[day] = {hours.half for hours in duty_hours(center_id, day, calendar)}
        if half in by_day[day]:
            duty.append((day, half))
    return duty


def leave_apply(*, actor, staff: Staff, kind: str, starts_on: date, starts_half: str, ends_on: date, ends_half: str,
                reason: str, handover: str = "", stand_in: Staff | None = None,
                now: datetime | None = None) -> Leave:
    """A person applies for leave (or the centre's manager for them): its half days, the reason,
    a handover note for the B post and, when B cannot cover, a named stand-in (顶岗)."""
    now = now or timezone.now()
    require(actor, "attendance.leave_apply", staff.center_id)
    if staff.user_id != actor.pk and not can(actor, "attendance.manage", staff.center_id):
        raise Forbidden("只能为本人申请请假（分中心负责人可代为申请）")
    if kind not in LeaveKind.values:
        raise Invalid("类型：请选择请假类型", field="kind")
    for value, field, label in ((starts_on, "starts_on", "开始日期"), (ends_on, "ends_on", "结束日期")):
        _check_day(value, field=field, label=label, now=now, within=MAX_LEAVE_DAYS)
    for value, field, label in ((starts_half, "starts_half", "开始时段"), (ends_half, "ends_half", "结束时段")):
        if value not in Half.values:
            raise Invalid(f"{label}：应为上午或下午", field=field)
    if (ends_on, HALVES.index(ends_half)) < (starts_on, HALVES.index(starts_half)):
        raise Invalid("结束日期：不能早于开始", field="ends_on")
    if (ends_on - starts_on).days >= MAX_LEAVE_DAYS:
        raise Invalid(f"结束日期：一次请假不能超过{MAX_LEAVE_DAYS}天", field="ends_on")
    reason = text_input(reason, field="reason", label="事由", limit=200)
    handover = text_input(handover, field="handover", label="交接说明", limit=500, required=False)
    # The stand-in punches at the same centre's terminal, where the PIN is theirs.
    if stand_in is not None and (stand_in.pk == staff.pk or not stand_in.is_active
                                 or stand_in.center_id != staff.center_id):
        raise Invalid("顶岗人员：须为本中心在岗的其他人员", field="stand_in")
    duty = _duty_slots(staff.center_id, slots(starts_on, starts_half, ends_on, ends_half))
    if not duty:
        raise Invalid("开始日期：所选时段内没有上班时段，不需要请假", field="starts_on")
    with transaction.atomic():
        Staff.objects.select_for_update().filter(pk=staff.pk).first()  # one application of a person at a time
        mine = Leave.objects.filter(staff=staff, status__in=[LeaveStatus.PENDING, LeaveStatus.APPROVED],
                                    starts_on__lte=ends_on, ends_on__gte=starts_on)
        asked = set(slots(starts_on, starts_half, ends_on, ends_half))
        if any(asked & set(leave_slots(other)) for other in mine):
            raise Conflict("开始日期：与本人已有的请假时段重叠", code="overlap", field="starts_on")
        levels = 1 if len(duty) <= settings.SH_LEAVE_MANAGER_HALF_DAYS else 2
        # A manager cannot approve their own leave: it skips the manager's level and goes to the
        # bureau, however short (two levels, the first passed).
        passed = 0
        if _manager_own(staff):
            levels, passed = 2, 1
        leave = Leave.objects.create(center_id=staff.center_id, staff=staff, kind=kind, starts_on=starts_on,
                                     starts_half=starts_half, ends_on=ends_on, ends_half=ends_half, reason=reason,
                                     handover=handover, stand_in=stand_in, levels=levels, approved_levels=passed,
                                     created_at=now, created_by=actor)
        LeaveEvent.objects.create(leave=leave, action="apply", to_status=LeaveStatus.PENDING, actor=actor, at=now,
                                  note=reason)
        audit_record(actor=actor, action="leave.apply", obj=leave, center=staff.center,
                     after={"kind": kind, "from": f"{starts_on} {starts_half}", "to": f"{ends_on} {ends_half}",
                            "levels": levels, "approved_levels": passed}, now=now)
    return leave


def leave_cover_problems(leave: Leave) -> list[str]:
    """Why approving `leave` would leave a window empty: for each post the person holds as A or B,
    the duty half days with nobody at it (A, B, or a stand-in named on their leave); and who
    would be booked twice (`_booking_problems`)."""
    posts = posts_of(leave.staff_id)
    duty = _duty_slots(leave.center_id, leave_slots(leave))
    if not posts:
        return _booking_problems(leave, duty, posts)
    people = {leave.staff_id} | {p.holder_id for p in posts} | {p.backup_staff_id for p in posts}
    if leave.stand_in_id:
        people.add(leave.stand_in_id)  # a stand-in on leave covers nothing
    others = approved_leaves(people, leave.starts_on, leave.ends_on, exclude=leave.pk)
    stand_ins = {lv.stand_in_id for lv in others if lv.stand_in_id} - people
    if stand_ins:
        others += approved_leaves(stand_ins, leave.starts_on, leave.ends_on, exclude=leave.pk)
    away = away_slots([*others, leave])
    uncovered, both_away = [], []
    for post in posts:
        partner = post.backup_staff if post.holder_id == leave.staff_id else post.holder
        for slot in duty:
            stand_ins = [lv.stand_in for lv in (leave, away.get(partner.pk, {}).get(slot)) if lv and lv.stand_in]
            if at_window(post, slot, away, stand_ins) is not None:
                continue
            (both_away if slot in away.get(partner.pk, {}) else uncovered).append(slot_label(slot))
    problems = []
    if both_away:
        problems.append(f"A岗和B岗不能同时请假（{partner.name}已请假：{'、'.join(dict.fromkeys(both_away))}），"
                        f"请指定顶岗人员")
    if uncovered:
        problems.append(f"以下时段窗口无人顶岗：{'、'.join(dict.fromkeys(uncovered))}")
    return problems + _booking_problems(leave, duty, posts)


def _labels(found: list) -> str:
    return "、".join(slot_label(slot) for slot in dict.fromkeys(found))


def _booking_problems(leave: Leave, duty: list[tuple[date, str]], posts: list) -> list[str]:
    """Who would be wanted in two places in a duty half day of `leave` once it is approved.

    A stand-in named on an approved leave is booked for every half day of it. The leave's own
    stand-in must not be, in any of its duty half days: on approved leave; already the stand-in
    of another approved leave (of someone not on the applicant's posts: A and B of one window
    may name the same person); or wanted at a post of their own not shared with the applicant
    (its A, or its B while its A is away). Nor may the applicant go while booked as another's
    stand-in, nor leave their window to a B booked as another's stand-in."""
    if not duty:
        return []
    others = centre_leaves(leave.center_id, leave.starts_on, leave.ends_on, exclude=leave.pk)
    away, booked = away_slots(others), bookings(others)
    post_ids = {post.pk for post in posts}
    partners = {leave.staff_id} | {p.holder_id for p in posts} | {p.backup_staff_id for p in posts}

    def booked_elsewhere(staff_id: int, slot, mates: set) -> list[Leave]:
        return [other for other in booked.get(staff_id, {}).get(slot, []) if other.staff_id not in mates]

    problems = []
    stand_in = leave.stand_in
    if stand_in is not None:
        own_posts = [post for post in posts_of(stand_in.pk) if post.pk not in post_ids]
        on_leave, twice, wanted = [], {}, {}
        for slot in duty:
            if slot in away.get(stand_in.pk, {}):
                on_leave.append(slot)
            for other in booked_elsewhere(stand_in.pk, slot, partners):
                twice.setdefault(other.staff.name, []).append(slot)
            for post in own_posts:
                person = at_window(post, slot, away, [])
                if person is not None and person.pk == stand_in.pk:
                    wanted.setdefault(str(post.window), []).append(slot)
        if on_leave:
            problems.append(f"顶岗人员：{stand_in.name}本人已请假（{_labels(on_leave)}）")
        for name, found in twice.items():
            problems.append(f"顶岗人员：{stand_in.name}已是{name}请假的顶岗人员（{_labels(found)}）")
        for window, found in wanted.items():
            problems.append(f"顶岗人员：{stand_in.name}本人须在{window}上岗（{_labels(found)}）")
    mine: dict[str, list] = {}
    for slot in duty:
        for other in booked_elsewhere(leave.staff_id, slot, partners):
            mine.setdefault(other.staff.name, []).append(slot)
    for name, found in mine.items():
        problems.append(f"{leave.staff.name}已是{name}请假的顶岗人员（{_labels(found)}），请先另行安排顶岗")
    with_this = away_slots([*others, leave])
    for post in posts:
        if post.holder_id != leave.staff_id:
            continue
        backup, found, covering = post.backup_staff, {}, {}
        # B's other windows whose A is away with no stand-in named: B is wanted there.
        elsewhere = [other for other in posts_of(backup.pk)
                     if other.pk != post.pk and other.backup_staff_id == backup.pk]
        for slot in duty:
            person = at_window(post, slot, with_this, [])
            if person is None or person.pk != backup.pk:
                continue
            for other in booked_elsewhere(backup.pk, slot, {post.holder_id, post.backup_staff_id}):
                found.setdefault(other.staff.name, []).append(slot)
            wanted = [other for other in elsewhere if slot in with_this.get(other.holder_id, {})
                      and not with_this[other.holder_id][slot].stand_in_id]
            stand_in_free = stand_in is not None and slot not in with_this.get(stand_in.pk, {})
            if wanted and not stand_in_free:
                covering.setdefault(str(wanted[0].window), []).append(slot)
        for name, slots_ in found.items():
            problems.append(f"B岗{backup.name}已是{name}请假的顶岗人员（{_labels(slots_)}），不能同时替岗")
        for window, slots_ in covering.items():
            problems.append(f"B岗{backup.name}须在{window}替岗（{_labels(slots_)}），请指定顶岗人员")
    return problems


def _leave_move(leave: Leave, *, actor, to: str, action: str, now: datetime, note: str = "", **changes) -> Leave:
    """Compare and set the leave's status (and `changes`), with its history and audit rows."""
    if to not in LEAVE_TRANSITIONS[leave.status]:
        raise Conflict(f"该请假当前为“{leave.get_status_display()}”，不能{LEAVE_ACTIONS[action]}", code="invalid_state")
    moved = Leave.objects.filter(pk=leave.pk, status=leave.status, approved_levels=leave.approved_levels,
                                 ends_on=leave.ends_on, ends_half=leave.ends_half).update(status=to, **changes)
    if moved != 1:
        raise Conflict("该请假刚被他人处理，请刷新后重试", code="invalid_state")
    LeaveEvent.objects.create(leave=leave, action=action, from_status=leave.status, to_status=to, actor=actor, at=now,
                              note=note)
    audit_record(actor=actor, action=f"leave.{action}", obj=leave, center=leave.staff.center,
                 before={"status": leave.status}, after={"status": to, **{k: str(v) for k, v in changes.items()}},
                 now=now)
    days_pending(leave.center_id, {day for day, _ in leave_slots(leave)}, now)
    leave.refresh_from_db()
    return leave


LEAVE_ACTIONS = {"approve": "审批", "reject": "驳回", "cancel": "撤销", "return": "销假"}


def _require_approver(actor, leave: Leave) -> None:
    """The manager approves first; a leave of two levels then goes to the bureau (a manager's
    own leave starts there: `_manager_own`). Nobody decides their own leave."""
    if leave.staff.user_id == actor.pk:
        raise Forbidden("不能审批本人的请假")
    if leave.approved_levels == 0:
        require(actor, "attendance.leave_approve", leave.center_id)
    else:
        require(actor, "attendance.leave_approve_long", leave.center_id,
                message="分中心负责人本人的请假由营商局审批" if _manager_own(leave.staff) else "")


def _manager_own(staff: Staff) -> bool:
    """Is `staff` a manager of their centre, whose leave the centre's manager cannot approve?"""
    return staff.user is not None and can(staff.user, "attendance.leave_approve", staff.center_id)


@transaction.atomic
def leave_approve(*, actor, leave: Leave, note: str = "", now: datetime | None = None) -> Leave:
    """Approve at the next level: the centre's manager first, the bureau for a longer leave.
    Refused while any half day of it would leave a window empty."""
    now = now or timezone.now()
    level = leave.approved_levels + 1
    _require_approver(actor, leave)
    note = text_input(note, field="note", label="审批意见", limit=500, required=False)
    if leave.status != LeaveStatus.PENDING:
        raise Conflict(f"该请假当前为“{leave.get_status_display()}”，不能审批", code="invalid_state")
    # One approval of the centre's leaves at a time: two leaves of A and B approved at once
    # would each find the other not yet approved.
    ServiceCenter.objects.select_for_update().filter(pk=leave.center_id).first()
    problems = leave_cover_problems(leave)
    if problems:
        raise Conflict("；".join(problems), code="no_cover", field="stand_in")
    to = LeaveStatus.APPROVED if level >= leave.levels else LeaveStatus.PENDING
    return _leave_move(leave, actor=actor, to=to, action="approve", now=now, note=note, approved_levels=level)


@transaction.atomic
def leave_reject(*, actor, leave: Leave, note: str, now: datetime | None = None) -> Leave:
    now = now or timezone.now()
    _require_approver(actor, leave)
    note = text_input(note, field="note", label="驳回理由", limit=500)
    return _leave_move(leave, actor=actor, to=LeaveStatus.REJECTED, action="reject", now=now, note=note)


def _require_own_or_manager(actor, leave: Leave) -> None:
    require(actor, "attendance.leave_apply", leave.center_id)
    if leave.staff.user_id != actor.pk and not can(actor, "attendance.manage", leave.center_id):
        raise Forbidden("只能撤销或销假本人的请假（分中心负责人可代为办理）")


@transaction.atomic
def leave_cancel(*, actor, leave: Leave, note: str = "", now: datetime | None = None) -> Leave:
    """Withdraw a pending leave, or cancel an approved one that has not begun."""
    now = now or timezone.now()
    _require_own_or_manager(actor, leave)
    started = (leave.starts_on, HALVES.index(leave.starts_half)) <= _half_now(now)
    if leave.status == LeaveStatus.APPROVED and started:
        raise Conflict("请假已经开始，请办理销假（提前返岗）", code="invalid_state")
    note = text_input(note, field="note", label="说明", limit=500, required=False)
    return _leave_move(leave, actor=actor, to=LeaveStatus.CANCELLED, action="cancel", now=now, note=note)


def _half_now(now: datetime) -> tuple[date, int]:
    """The half day in progress at `now`, to compare with a leave's (day, half index)."""
    local = timezone.localtime(now)
    return local.date(), HALVES.index(Half.PM if local.hour >= 12 else Half.AM)


def _half_before_now(now: datetime) -> tuple[date, str]:
    """The half day before the one in progress at `now` (上午 before noon, 下午 from noon)."""
    local = timezone.localtime(now)
    if local.hour >= 12:
        return local.date(), Half.AM
    return local.date() - timedelta(days=1), Half.PM


@transaction.atomic
def leave_return(*, actor, leave: Leave, ends_on: date, ends_half: str, now: datetime | None = None) -> Leave:
    """销假: back early, the leave ends with the half day given (the first one back is the next).

    A return gives back half days from the one now in progress on (today's morning before
    noon, its afternoon from noon), never one already over: the first half day back may be the
    current one (the person is judged on their punches for it), not an earlier one."""
    now = now or timezone.now()
    _require_own_or_manager(actor, leave)
    if leave.status != LeaveStatus.APPROVED:
        raise Conflict(f"该请假当前为“{leave.get_status_display()}”，不能销假", code="invalid_state")
    if ends_on is None or ends_half not in Half.values:
        raise Invalid("结束日期：请填写最后一个请假的半天", field="ends_on")
    end, start, was = ((ends_on, HALVES.index(ends_half)), (leave.starts_on, HALVES.index(leave.starts_half)),
                       (leave.ends_on, HALVES.index(leave.ends_half)))
    if not start <= end < was:
        raise Invalid("结束日期：须在请假开始之后、原结束之前", field="ends_on")
    earliest = _half_before_now(now)
    if end < (earliest[0], HALVES.index(earliest[1])):
        raise Invalid(f"结束日期：已过去的时段不能销假，最早可请假至{slot_label(earliest)}止", field="ends_on")
    return _leave_move(leave, actor=actor, to=LeaveStatus.APPROVED, action="return", now=now,
                        note=f"提前销假，请假至{slot_label((ends_on, ends_half))}止", ends_on=ends_on,
                        ends_half=ends_half)


# --- the window terminal ---------------------------------------------------------------------

def terminal_sign(*, actor, window, signing_in: bool, now: datetime | None = None) -> Punch:
    """签到 / 签退 at the window terminal: a punch of the person signed in (source 窗口终端),
    and the window opened for calling (签到) or paused (签退), so a signed-out window takes no
    tickets and, in opening hours, its pause is watched as an empty post."""
    now = (now or timezone.now()).replace(microsecond=0)
    require(actor, "attendance.sign", window.center_id)
    staff = Staff.objects.filter(user=actor, center_id=window.center_id, is_active=True).first()
    if staff is None:
        raise Forbidden("当前账号不是本中心的在岗人员，不能签到签退")
    state = PunchState.CHECK_IN if signing_in else PunchState.CHECK_OUT
    with transaction.atomic():
        punch, _ = Punch.objects.get_or_create(
            serial=f"TERMINAL-{window.pk}", pin=staff.employee_no, at=now,
            defaults={"center_id": window.center_id, "staff": staff, "source": PunchSource.TERMINAL, "state": state,
                      "received_at": now})
        window_pause(actor=actor, window=window, paused=not signing_in, now=now)
        days_pending(window.center_id, [timezone.localdate(now)], now)
        audit_record(actor=actor, action="attendance.sign_in" if signing_in else "attendance.sign_out", obj=window,
                     center=window.center, now=now,
                     after={"staff": staff.employee_no, "at": timezone.localtime(now).isoformat()})
    return punch


def leave_can_decide(actor, leave: Leave) -> bool:
    """Whether `actor` may approve or reject `leave` at its next level now (for the pages'
    buttons; the services check again)."""
    if leave.status != LeaveStatus.PENDING or leave.staff.user_id == actor.pk:
        return False
    try:
        _require_approver(actor, leave)
    except (Forbidden, NotFound):
        return False
    return True
