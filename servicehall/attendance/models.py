"""考勤: who is at work, from punches that real devices send.

A centre registers its clock-in terminals (`Device`, by serial number). Each punch a terminal
pushes is stored once, as it came (`Punch`, keyed by device serial, the person's PIN and the
time), and never edited: a PIN is the person's employee number (工号) in the device's centre.
A manager's correction (补卡) is a record of its own (`Correction`). A punch the centre cannot
take (a PIN of no one in the device's centre) is refused and logged (`RefusedPunch`).

A centre's `Shift`s say when its people are due (on the calendar's working days and its
`ExtraDay`s); each person's `DayResult` is derived from shifts, punches, corrections and leave
by `day_results_compute` (rules.py has the rules), never typed in. A change to any of them
makes the centre's day due (`CentreDay`), and the background task computes it again.
"""

from django.conf import settings
from django.db import models

from servicehall.org.models import CenterOwnedQuerySet, ServiceCenter, Staff, Window


class Device(models.Model):
    """考勤机: a clock-in terminal of a centre, known by its serial number (SN). It pushes punches
    over the iclock protocol; a device without it uses the JSON API with its key."""
    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="attendance_devices",
                               verbose_name="所属中心")
    serial = models.CharField("设备序列号", max_length=40, unique=True)
    name = models.CharField("安装位置", max_length=60)
    key_hash = models.CharField(max_length=64, blank=True)  # the JSON API's key (SHA-256); blank: none
    is_active = models.BooleanField("启用", default=True)
    registered_at = models.DateTimeField("登记时间")
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="+", verbose_name="登记人")
    last_seen_at = models.DateTimeField("最近联络", null=True, blank=True)

    objects = CenterOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "考勤机"
        verbose_name_plural = "考勤机"
        ordering = ["center", "serial"]

    def __str__(self):
        return f"{self.name}（{self.serial}）"


class PunchSource(models.TextChoices):
    DEVICE = "device", "考勤机"
    API = "api", "接口"
    TERMINAL = "terminal", "窗口终端"


class PunchState(models.IntegerChoices):
    """The terminal's own reading of the punch (iclock `status`), kept as sent."""
    CHECK_IN = 0, "上班签到"
    CHECK_OUT = 1, "下班签退"
    BREAK_OUT = 2, "外出"
    BREAK_IN = 3, "外出返回"
    OVERTIME_IN = 4, "加班签到"
    OVERTIME_OUT = 5, "加班签退"


class Punch(models.Model):
    """One punch as the device sent it: stored once (the same upload again adds nothing) and
    never changed."""
    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="+", db_index=False)
    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="punches", db_index=False)
    serial = models.CharField("设备序列号", max_length=40)
    pin = models.CharField("工号", max_length=20)
    at = models.DateTimeField("打卡时间")
    source = models.CharField("来源", max_length=10, choices=PunchSource.choices)
    state = models.SmallIntegerField("打卡状态", choices=PunchState.choices, default=PunchState.CHECK_IN)
    verify = models.SmallIntegerField("验证方式", default=0)  # 1 fingerprint, 3 card, 15 face, 25 palm…
    received_at = models.DateTimeField("接收时间")

    class Meta:
        verbose_name = "打卡记录"
        verbose_name_plural = "打卡记录"
        ordering = ["at", "id"]
        constraints = [models.UniqueConstraint(fields=["serial", "pin", "at"], name="punch_unique_key")]
        indexes = [models.Index(fields=["staff", "at"], name="punch_staff_idx"),
                   models.Index(fields=["center", "at"], name="punch_center_idx")]

    def __str__(self):
        return f"{self.pin} {self.at:%Y-%m-%d %H:%M:%S}"


class RefusedPunch(models.Model):
    """A punch a registered device sent that its centre could not take, kept for the manager to
    see (a PIN of no one in the centre, of another centre's person, a time that is no time)."""
    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="+")
    serial = models.CharField("设备序列号", max_length=40)
    pin = models.CharField("工号", max_length=20)
    line = models.CharField("原始记录", max_length=200)
    reason = models.CharField("原因", max_length=100)
    received_at = models.DateTimeField("接收时间")

    objects = CenterOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "被拒打卡"
        verbose_name_plural = "被拒打卡"
        ordering = ["-received_at", "-id"]
        # A retried upload logs its refused lines once.
        constraints = [models.UniqueConstraint(fields=["serial", "line"], name="refusedpunch_unique_line")]
        indexes = [models.Index(fields=["center", "received_at"], name="refusedpunch_center_idx")]

    def __str__(self):
        return f"{self.serial} {self.pin}：{self.reason}"


class Shift(models.Model):
    """班次: hours a centre's people are due at work, a half day each (上午, 下午), on the
    calendar's working days and, if so marked, on the centre's extra service days."""
    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="shifts", verbose_name="所属中心")
    name = models.CharField("班次名称", max_length=20)
    starts_at = models.TimeField("上班时间")
    ends_at = models.TimeField("下班时间")
    on_workdays = models.BooleanField("工作日上班", default=True)
    on_extra_days = models.BooleanField("加开服务日上班", default=False)
    is_active = models.BooleanField("启用", default=True)

    objects = CenterOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "班次"
        verbose_name_plural = "班次"
        ordering = ["center", "starts_at"]
        constraints = [models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")),
                                              name="shift_ends_after_start")]

    def __str__(self):
        return f"{self.name} {self.starts_at:%H:%M}—{self.ends_at:%H:%M}"


class ExtraDay(models.Model):
    """加开服务日: a day off in the calendar on which the centre opens (weekend service)."""
    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="extra_days",
                               verbose_name="所属中心")
    day = models.DateField("日期")
    note = models.CharField("说明", max_length=60, blank=True)

    objects = CenterOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "加开服务日"
        verbose_name_plural = "加开服务日"
        ordering = ["center", "day"]
        constraints = [models.UniqueConstraint(fields=["center", "day"], name="extraday_unique_day")]

    def __str__(self):
        return f"{self.day} {self.note}"


class Correction(models.Model):
    """补卡: a punch a manager records for a person, with the reason (the machine was down, the
    person was sent out on duty). The punch log itself is never touched."""
    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="+")
    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="corrections", verbose_name="人员")
    at = models.DateTimeField("补卡时间")
    reason = models.CharField("补卡理由", max_length=200)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="登记人")
    created_at = models.DateTimeField("登记时间")

    objects = CenterOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "补卡"
        verbose_name_plural = "补卡"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["staff", "at"], name="correction_staff_idx")]

    def __str__(self):
        return f"{self.staff.name} {self.at:%Y-%m-%d %H:%M} 补卡"


class DayOutcome(models.TextChoices):
    NORMAL = "normal", "正常"
    LATE = "late", "迟到"
    EARLY = "early", "早退"
    LATE_AND_EARLY = "late_early", "迟到并早退"
    MISSING = "missing", "缺卡"
    ABSENT = "absent", "旷工"
    LEAVE = "leave", "请假"


class DayResult(models.Model):
    """A person's day at work, derived from punches, corrections, leave and the calendar by
    `day_results_compute`; never typed in. `halves` holds each half day's result."""
    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="+", db_index=False)
    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="day_results", db_index=False)
    day = models.DateField("日期")
    outcome = models.CharField("考勤结果", max_length=12, choices=DayOutcome.choices)
    late_minutes = models.PositiveIntegerField("迟到分钟", default=0)
    early_minutes = models.PositiveIntegerField("早退分钟", default=0)
    duty_halves = models.PositiveSmallIntegerField("应出勤（半天）", default=0)
    absent_halves = models.PositiveSmallIntegerField("旷工（半天）", default=0)
    missing_halves = models.PositiveSmallIntegerField("缺卡（半天）", default=0)
    leave_halves = models.PositiveSmallIntegerField("请假（半天）", default=0)
    halves = models.JSONField("分时段结果", default=list)
    computed_at = models.DateTimeField("计算时间")

    objects = CenterOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "每日考勤结果"
        verbose_name_plural = "每日考勤结果"
        ordering = ["day", "staff"]
        constraints = [models.UniqueConstraint(fields=["staff", "day"], name="dayresult_unique_day")]
        indexes = [models.Index(fields=["center", "day"], name="dayresult_center_idx")]

    def __str__(self):
        return f"{self.staff} {self.day} {self.get_outcome_display()}"


class WindowHalf(models.Model):
    """A window's half day (a shift that has ended): who was expected at it, when they arrived,
    and how long it stood without them (`empty_minutes`: from the shift's start to the arrival,
    or the whole shift). Derived with the day's results; the district's empty-post figures sum it."""
    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="+", db_index=False)
    window = models.ForeignKey(Window, on_delete=models.PROTECT, related_name="+", verbose_name="窗口")
    day = models.DateField("日期")
    half = models.CharField("时段", max_length=2)
    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              verbose_name="应到岗人员")
    post = models.CharField("岗位", max_length=4, blank=True)  # A岗, B岗, 顶岗; blank: nobody to send
    starts_at = models.TimeField("上班时间")
    arrived_at = models.TimeField("到岗时间", null=True, blank=True)
    empty_minutes = models.PositiveSmallIntegerField("空岗分钟", default=0)

    objects = CenterOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "窗口在岗记录"
        verbose_name_plural = "窗口在岗记录"
        ordering = ["day", "half", "window"]
        constraints = [models.UniqueConstraint(fields=["window", "day", "half"], name="windowhalf_unique")]
        indexes = [models.Index(fields=["center", "day"], name="windowhalf_center_idx")]

    def __str__(self):
        return f"{self.window} {self.day} {self.half}"


class CentreDay(models.Model):
    """A centre's day of attendance: when its results were last computed, and when they are
    due again (`due_at`; None: up to date). A change of punches, corrections, leave or the
    calendar (a revision other than the one it was computed with) makes it due at once; a
    shift's end makes today's due, so a half day nobody punched in is judged when it is over."""
    center = models.ForeignKey(ServiceCenter, on_delete=models.CASCADE, related_name="+", db_index=False)
    day = models.DateField()
    due_at = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(null=True, blank=True)
    calendar_revision = models.PositiveBigIntegerField(default=0)  # of the calendar it was computed with

    class Meta:
        constraints = [models.UniqueConstraint(fields=["center", "day"], name="centreday_unique_day")]
        indexes = [models.Index(fields=["due_at"], name="centreday_due_idx", condition=models.Q(due_at__isnull=False))]

    def __str__(self):
        return f"{self.center_id} {self.day}"


class LeaveKind(models.TextChoices):
    PERSONAL = "personal", "事假"
    SICK = "sick", "病假"
    ANNUAL = "annual", "年休假"
    OFFICIAL = "official", "公假"
    TRIP = "trip", "出差"
    LIEU = "lieu", "调休"
    MARRIAGE = "marriage", "婚假"
    MATERNITY = "maternity", "产假"
    BEREAVEMENT = "bereavement", "丧假"


class LeaveStatus(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "未批准"
    CANCELLED = "cancelled", "已撤销"


LEAVE_TRANSITIONS = {
    # A pending leave of two levels stays pending after the first approval (approved_levels 1).
    LeaveStatus.PENDING: {LeaveStatus.PENDING, LeaveStatus.APPROVED, LeaveStatus.REJECTED, LeaveStatus.CANCELLED},
    # An approved leave is cancelled before it starts, or shortened by an early return.
    LeaveStatus.APPROVED: {LeaveStatus.APPROVED, LeaveStatus.CANCELLED},
    LeaveStatus.REJECTED: set(),
    LeaveStatus.CANCELLED: set(),
}


class Half(models.TextChoices):
    AM = "am", "上午"
    PM = "pm", "下午"


class Leave(models.Model):
    """请假: a person away for whole or half days, approved by the centre's manager (and, past
    `SH_LEAVE_MANAGER_HALF_DAYS`, by the bureau too). Approval needs the window covered: the
    B post on duty, or a named stand-in (顶岗), for every half day of it."""
    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="+", verbose_name="所属中心")
    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="leaves", verbose_name="请假人")
    kind = models.CharField("类型", max_length=12, choices=LeaveKind.choices)
    starts_on = models.DateField("开始日期")
    starts_half = models.CharField("开始时段", max_length=2, choices=Half.choices, default=Half.AM)
    ends_on = models.DateField("结束日期")
    ends_half = models.CharField("结束时段", max_length=2, choices=Half.choices, default=Half.PM)
    reason = models.CharField("事由", max_length=200)
    handover = models.CharField("交接说明", max_length=500, blank=True)
    stand_in = models.ForeignKey(Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="stand_ins",
                                 verbose_name="顶岗人员")
    status = models.CharField("状态", max_length=10, choices=LeaveStatus.choices, default=LeaveStatus.PENDING)
    levels = models.PositiveSmallIntegerField("审批级数", default=1)
    approved_levels = models.PositiveSmallIntegerField("已审批级数", default=0)
    created_at = models.DateTimeField("申请时间")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name="申请人")

    objects = CenterOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "请假"
        verbose_name_plural = "请假"
        ordering = ["-starts_on", "-id"]
        indexes = [models.Index(fields=["staff", "status", "starts_on"], name="leave_staff_idx"),
                   models.Index(fields=["center", "status", "starts_on"], name="leave_center_idx")]

    def __str__(self):
        return f"{self.staff.name} {self.get_kind_display()} {self.starts_on}—{self.ends_on}"

    @property
    def period(self) -> str:
        """The leave's half days as people say them: 12月9日下午, 12月11日至12月15日,
        12月11日下午至12月12日上午."""
        whole = self.starts_half == Half.AM and self.ends_half == Half.PM
        start, end = f"{self.starts_on.month}月{self.starts_on.day}日", f"{self.ends_on.month}月{self.ends_on.day}日"
        if self.starts_on == self.ends_on:
            return start + ("全天" if whole else Half(self.starts_half).label if self.starts_half == self.ends_half
                            else "")
        if whole:
            return f"{start}至{end}"
        return f"{start}{Half(self.starts_half).label}至{end}{Half(self.ends_half).label}"


class LeaveEvent(models.Model):
    """One row per step of a leave (append-only): applied, approved at a level, rejected,
    cancelled, shortened."""
    leave = models.ForeignKey(Leave, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=12)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["leave", "at", "id"]

    def __str__(self):
        return f"{self.leave_id} {self.action} {self.at:%Y-%m-%d %H:%M}"
