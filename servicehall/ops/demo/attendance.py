"""Demo attendance: each branch centre's clock-in terminal (registered by its manager; `manage.py
attendance_devices` lists them), its shifts (08:30–12:00, 13:30–17:00), and the last month of
punches of its people as the terminal would have pushed them: mostly on time, some late, a few
missing punches, a day's absence, and one window holder's approved two-day leave while the B
post covered. This morning, one window's holder has not come in (an empty post once fifteen
minutes have passed, if `make run` runs on a working morning). Results are computed by the
background task's own round."""

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from servicehall.accounts.models import Role, User
from servicehall.attendance.models import Device, Shift
from servicehall.attendance.services import (
    Line,
    days_due_compute,
    device_register,
    leave_apply,
    leave_approve,
    punches_receive,
    shift_save,
)
from servicehall.org.models import BackupPost, CenterKind, ServiceCenter, Staff
from servicehall.workcalendar.selectors import get_calendar

BEIJING = ZoneInfo("Asia/Shanghai")
SHIFTS = (("上午", time(8, 30), time(12)), ("下午", time(13, 30), time(17)))
DAYS_BACK = 30


def _working_days(today: date, back: int) -> list[date]:
    calendar = get_calendar()
    return [today - timedelta(days=n) for n in range(back, 0, -1) if calendar.is_workday(today - timedelta(days=n))]


def _day_punches(rng: random.Random, day: date) -> list[str]:
    """A person's ordinary day: in before 08:30 (now and then late), out at noon, back after
    lunch, out after 17:00; once in a while a punch forgotten."""
    minute = rng.randint(8, 29) if rng.random() > 0.08 else rng.randint(31, 50)
    times = [time(8, minute, rng.randint(0, 59)), time(12, rng.randint(0, 6), rng.randint(0, 59)),
             time(13, rng.randint(10, 29), rng.randint(0, 59)), time(17, rng.randint(0, 12), rng.randint(0, 59))]
    if rng.random() < 0.03:
        times.pop(rng.randrange(4))
    return [f"{day} {t:%H:%M:%S}" for t in times]


def load_demo_attendance(district, now: datetime | None = None) -> int:
    """Each branch centre that has no shifts yet: its device, shifts, a month of punches and a
    leave; then the days' results. Returns how many centres were set up."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    days = _working_days(today, DAYS_BACK)
    made = 0
    for center in ServiceCenter.objects.filter(district=district, kind=CenterKind.BRANCH).order_by("code"):
        manager = User.objects.filter(role=Role.MANAGER, memberships__center=center).order_by("pk").first()
        if manager is None or Shift.objects.filter(center=center).exists():
            continue
        first = datetime.combine(days[0] - timedelta(days=1), time(8), tzinfo=BEIJING) if days else now
        device = Device.objects.filter(center=center).first() or device_register(
            actor=manager, center=center, serial=f"LG{center.code}", name="大厅入口考勤机", now=first)[0]
        for name, starts, ends in SHIFTS:
            shift_save(actor=manager, center=center, name=name, starts_at=starts, ends_at=ends, now=first)
        _month(center, device, manager, days, today, now)
        made += 1
    # The background task's rounds over the month (each day as it was due), bounded.
    for _ in range(len(days) + 2):
        if not days_due_compute(now=now, limit=500):
            break
    return made


def _month(center, device, manager, days: list[date], today: date, now: datetime) -> None:
    rng = random.Random(center.code)
    people = list(Staff.objects.filter(center=center, is_active=True).order_by("employee_no"))
    post = BackupPost.objects.filter(center=center).select_related("holder", "backup_staff").order_by(
        "window__number").first()
    on_leave: set[date] = set()
    if post is not None and len(days) >= 9:
        on_leave = {days[-7], days[-6]}  # two working days last week, B at the window
        leave = leave_apply(actor=manager, staff=post.holder, kind="annual", starts_on=days[-7], starts_half="am",
                            ends_on=days[-6], ends_half="pm", reason="年休假", handover="在办件已逐件交接B岗",
                            now=datetime.combine(days[-9], time(16), tzinfo=BEIJING))
        leave_approve(actor=manager, leave=leave, now=datetime.combine(days[-9], time(17), tzinfo=BEIJING))
        bureau = User.objects.filter(username="bureau").first()
        if leave.levels > 1 and bureau is not None:
            leave_approve(actor=bureau, leave=leave, now=datetime.combine(days[-8], time(9), tzinfo=BEIJING))
    coming = [today + timedelta(days=n) for n in range(1, 15) if get_calendar().is_workday(today + timedelta(days=n))]
    if post is not None and post.backup_staff_id and len(coming) >= 6:
        # Waiting for approval: B's half day (the manager's to decide, on the board), and A's
        # three days that the manager passed on to the bureau (its 请假审批 page).
        leave_apply(actor=manager, staff=post.backup_staff, kind="personal", starts_on=coming[1], starts_half="pm",
                    ends_on=coming[1], ends_half="pm", reason="孩子学校家长会", now=now)
        longer = leave_apply(actor=manager, staff=post.holder, kind="annual", starts_on=coming[3], starts_half="am",
                             ends_on=coming[5], ends_half="pm", reason="年休假（回老家探亲）",
                             handover="在办件清单已交B岗，两件待补正办件已电话告知申请人", now=now)
        leave_approve(actor=manager, leave=longer, note="B岗在岗，同意", now=now)
    absent = (people[-1].pk, days[len(days) // 2]) if people and days else None
    lines = []
    for person in people:
        for day in days:
            if (person.pk, day) == absent or (post and person.pk == post.holder_id and day in on_leave):
                continue
            lines += [Line(pin=person.employee_no, at=at) for at in _day_punches(rng, day)]
    # Today so far, for everyone but the first window's holder of the first centre: an empty post.
    if get_calendar().is_workday(today):
        empty = post.holder_id if post and center.code.endswith("01") else None
        local_now = f"{timezone.localtime(now):%Y-%m-%d %H:%M:%S}"
        for person in people:
            if person.pk != empty:
                lines += [Line(pin=person.employee_no, at=at) for at in _day_punches(rng, today) if at <= local_now]
    punches_receive(device=device, lines=lines, now=now)
