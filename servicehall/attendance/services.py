"""Writes of attendance: devices registered by a centre's manager, the punches devices send,
shifts, extra service days and corrections, and the days' results derived from them.

Punches are stored as they came, once: the unique key (device serial, PIN, time) refuses the
second copy of a retried upload, so a device may send the same lines any number of times.
"""

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
from servicehall.lib.errors import Conflict, Forbidden, Invalid, text_input
from servicehall.org.models import ServiceCenter, Staff
from servicehall.workcalendar.selectors import current_revision, get_calendar

from .leave import HALVES, approved_leaves, at_window, away_slots, leave_slots, posts_of, slot_label, slots
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
)
from .rules import day_result
from .selectors import duty_hours, punch_times

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
        result = day_result(ended, moments.get(staff_id, []), excused.get(staff_id),
                            absent_minutes=settings.SH_ATTENDANCE_ABSENT_MINUTES)
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
    """The background task's round: the days a calendar edit moved and today (from its first
    shift's end) are due for every centre, then each centre's day that is due is computed, each
    by one worker only (SKIP LOCKED). Returns how many days were computed."""
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
            again = day_results_compute(row.center_id, row.day, now)
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
        if value is None:
            raise Invalid(f"{label}：请填写", field=field)
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
        leave = Leave.objects.create(center_id=staff.center_id, staff=staff, kind=kind, starts_on=starts_on,
                                     starts_half=starts_half, ends_on=ends_on, ends_half=ends_half, reason=reason,
                                     handover=handover, stand_in=stand_in, levels=levels, created_at=now,
                                     created_by=actor)
        LeaveEvent.objects.create(leave=leave, action="apply", to_status=LeaveStatus.PENDING, actor=actor, at=now,
                                  note=reason)
        audit_record(actor=actor, action="leave.apply", obj=leave, center=staff.center,
                     after={"kind": kind, "from": f"{starts_on} {starts_half}", "to": f"{ends_on} {ends_half}",
                            "levels": levels}, now=now)
    return leave


def leave_cover_problems(leave: Leave) -> list[str]:
    """Why approving `leave` would leave a window empty: for each post the person holds as A or B,
    the duty half days with nobody at it (A, B, or a stand-in named on their leave)."""
    posts = posts_of(leave.staff_id)
    if not posts:
        return []
    duty = _duty_slots(leave.center_id, leave_slots(leave))
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
    """The manager approves first; a leave of two levels then goes to the bureau."""
    if leave.approved_levels == 0:
        require(actor, "attendance.leave_approve", leave.center_id)
    else:
        require(actor, "attendance.leave_approve_long", leave.center_id)


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
    if leave.staff.user_id == actor.pk:
        raise Forbidden("不能审批本人的请假")
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
    if leave.status == LeaveStatus.APPROVED and leave.starts_on <= timezone.localdate(now):
        raise Conflict("请假已经开始，请办理销假（提前返岗）", code="invalid_state")
    note = text_input(note, field="note", label="说明", limit=500, required=False)
    return _leave_move(leave, actor=actor, to=LeaveStatus.CANCELLED, action="cancel", now=now, note=note)


@transaction.atomic
def leave_return(*, actor, leave: Leave, ends_on: date, ends_half: str, now: datetime | None = None) -> Leave:
    """销假: back early, the leave ends with the half day given (the first one back is the next)."""
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
    return _leave_move(leave, actor=actor, to=LeaveStatus.APPROVED, action="return", now=now,
                        note=f"提前销假，请假至{slot_label((ends_on, ends_half))}止", ends_on=ends_on,
                        ends_half=ends_half)
