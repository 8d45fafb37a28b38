"""考勤: who is at work, from punches that real devices send.

A centre registers its clock-in terminals (`Device`, by serial number). Each punch a terminal
pushes is stored once, as it came (`Punch`, keyed by device serial, the person's PIN and the
time), and never edited: a PIN is the person's employee number (工号) in the device's centre.
A manager's correction (补卡) is a record of its own (`Correction`); results are derived from
punches and corrections, never typed in. A punch the centre cannot take (a PIN of no one in
the device's centre) is refused and logged (`RefusedPunch`).
"""

from django.conf import settings
from django.db import models

from servicehall.org.models import CenterOwnedQuerySet, ServiceCenter, Staff


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
