"""Writes of attendance: devices registered by a centre's manager, the punches devices send,
shifts, extra service days and corrections, and the days' results derived from them.

Punches are stored as they came, once: the unique key (device serial, PIN, time) refuses the
second copy of a retried upload, so a device may send the same lines any number of times.
"""

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from servicehall.accounts.models import hash_api_key
from servicehall.accounts.permissions import require
from servicehall.audit.services import audit_record
from servicehall.lib.errors import Conflict, Invalid, text_input
from servicehall.org.models import ServiceCenter, Staff
from servicehall.workcalendar.selectors import get_calendar

from .models import (
    CentreDay,
    Correction,
    DayResult,
    Device,
    ExtraDay,
    Punch,
    PunchSource,
    PunchState,
    RefusedPunch,
    Shift,
)
from .rules import ShiftHours, day_result

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
    try:
        local = datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    except ValueError:
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
    if day is None:
        raise Invalid("日期：请填写", field="day")
    note = text_input(note, field="note", label="说明", limit=60, required=False)
    if open_ and get_calendar().is_workday(day):
        raise Invalid("日期：该日本就是工作日，不需要加开", field="day")
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
    if at is None:
        raise Invalid("补卡时间：请填写", field="at")
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


def day_results_compute(center_id: int, day: date, now: datetime | None = None) -> datetime | None:
    """Every active person of the centre: their result for `day`, from the shifts that have
    ended by `now` (today's later ones are judged when they end). Returns when the day is due
    again (the next shift's end today), or None."""
    now = now or timezone.now()
    zone = timezone.get_current_timezone()
    hours = duty_hours(center_id, day, get_calendar())
    start = datetime.combine(day, time.min, tzinfo=zone)
    ended = [h for h in hours if datetime.combine(day, h.ends, tzinfo=zone) <= now]
    later = [datetime.combine(day, h.ends, tzinfo=zone) for h in hours if h not in ended]
    people = list(Staff.objects.filter(center_id=center_id, is_active=True).values_list("pk", flat=True))
    moments: dict[int, list[time]] = {pk: [] for pk in people}
    window = {"center_id": center_id, "at__gte": start, "at__lt": start + timedelta(days=1)}
    for model in (Punch, Correction):
        for staff_id, at in model.objects.filter(**window).values_list("staff_id", "at"):
            if staff_id in moments:
                moments[staff_id].append(at.astimezone(zone).time())
    rows = []
    for staff_id in people:
        if not ended:
            break
        result = day_result(ended, moments[staff_id], absent_minutes=settings.SH_ATTENDANCE_ABSENT_MINUTES)
        rows.append(DayResult(
            center_id=center_id, staff_id=staff_id, day=day, outcome=result.outcome,
            late_minutes=result.late_minutes, early_minutes=result.early_minutes,
            absent_halves=result.absent_halves, leave_halves=result.leave_halves, computed_at=now,
            halves=[{"half": h.half, "outcome": h.outcome, "leave": h.leave, "late_minutes": h.late_minutes,
                     "early_minutes": h.early_minutes,
                     "check_in": h.check_in.strftime("%H:%M:%S") if h.check_in else None,
                     "check_out": h.check_out.strftime("%H:%M:%S") if h.check_out else None}
                    for h in result.halves]))
    with transaction.atomic():
        DayResult.objects.filter(center_id=center_id, day=day, staff_id__in=people).delete()
        DayResult.objects.bulk_create(rows)
    return min(later) if later else None


def days_due_compute(now: datetime | None = None, limit: int = 50) -> int:
    """The background task's round: today is due for every centre (from its first shift's end),
    then each centre's day that is due is computed, each by one worker only (SKIP LOCKED).
    Returns how many days were computed."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    calendar = get_calendar()
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
            again = day_results_compute(row.center_id, row.day, now)
            CentreDay.objects.filter(pk=row.pk).update(due_at=again, computed_at=now)
        done += 1
    return done


def _first_end(center_id: int, day: date, calendar) -> datetime | None:
    hours = duty_hours(center_id, day, calendar)
    zone = timezone.get_current_timezone()
    return datetime.combine(day, hours[0].ends, tzinfo=zone) if hours else None
