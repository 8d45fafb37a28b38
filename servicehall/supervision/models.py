"""Electronic supervision (电子监察): rules kept as data, the alerts they raise, and their history.

A rule's thresholds, level and switch are edited by the bureau; every edit is a new
`RuleVersion`, and an alert names the version that raised it, so an alert can always be read
against the numbers in force when it was raised. One alert per (rule, subject, occurrence):
the unique key is what keeps concurrent sweeps from raising it twice.
"""

from django.conf import settings
from django.db import models

from servicehall.org.models import CenterOwnedQuerySet, ServiceCenter, Window


class Subject(models.TextChoices):
    CASE = "case", "办件"
    TICKET = "ticket", "排队号"
    WINDOW = "window", "窗口"
    REVIEW = "review", "评价"
    RECTIFICATION = "rectification", "差评整改"
    INQUIRY = "inquiry", "首问登记"


class Level(models.TextChoices):
    """预警 / 红黄牌 (GLOSSARY): yellow for a deadline drawing near, red for overdue or a violation."""
    YELLOW = "yellow", "黄色预警"
    RED = "red", "红色预警"


class SupervisionRule(models.Model):
    code = models.CharField("规则编码", max_length=40, unique=True)
    name = models.CharField("规则名称", max_length=60)
    watches = models.CharField("监察对象", max_length=20, choices=Subject.choices)
    description = models.CharField("说明", max_length=300, blank=True)
    thresholds = models.JSONField("阈值", default=dict)
    level = models.CharField("预警级别", max_length=10, choices=Level.choices)
    enabled = models.BooleanField("启用", default=True)
    version = models.PositiveIntegerField("现行版本", default=1)
    updated_at = models.DateTimeField("修改时间")

    class Meta:
        verbose_name = "监察规则"
        verbose_name_plural = "监察规则"
        ordering = ["watches", "code"]

    def __str__(self):
        return self.name


class RuleVersion(models.Model):
    """The rule as it stood from `created_at` on: what an alert was measured against."""
    rule = models.ForeignKey(SupervisionRule, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField("版本号")
    thresholds = models.JSONField("阈值", default=dict)
    level = models.CharField("预警级别", max_length=10, choices=Level.choices)
    enabled = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("生效时间")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name="修改人")

    class Meta:
        verbose_name = "监察规则版本"
        verbose_name_plural = "监察规则版本"
        constraints = [models.UniqueConstraint(fields=["rule", "number"], name="rule_version_unique_number")]

    def __str__(self):
        return f"{self.rule.name} 第{self.number}版"


class AlertState(models.TextChoices):
    OPEN = "open", "待处理"
    EXPLAINED = "explained", "已说明"
    CLOSED = "closed", "已关闭"


class AlertOutcome(models.TextChoices):
    RESOLVED = "resolved", "原因已消除"
    ACCEPTED = "accepted", "说明已采纳"
    UPHELD = "upheld", "维持预警"


ALERT_TRANSITIONS = {
    AlertState.OPEN: {AlertState.EXPLAINED, AlertState.CLOSED},
    AlertState.EXPLAINED: {AlertState.CLOSED},
    AlertState.CLOSED: set(),
}


class Alert(models.Model):
    rule = models.ForeignKey(SupervisionRule, on_delete=models.PROTECT, related_name="alerts", verbose_name="规则")
    rule_version = models.ForeignKey(RuleVersion, on_delete=models.PROTECT, related_name="alerts",
                                     verbose_name="规则版本")
    subject = models.CharField("监察对象", max_length=20, choices=Subject.choices)
    subject_id = models.BigIntegerField("对象ID")
    # What makes a second alert on the same subject a new one (a step's name, a day); "" if none.
    occurrence = models.CharField("发生", max_length=40, blank=True, default="")
    subject_label = models.CharField("对象", max_length=100)
    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="alerts", verbose_name="中心")
    window = models.ForeignKey(Window, on_delete=models.PROTECT, null=True, blank=True, related_name="alerts",
                               verbose_name="窗口")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="alerts", verbose_name="责任人")
    level = models.CharField("级别", max_length=10, choices=Level.choices)
    evidence = models.JSONField("依据", default=dict)
    state = models.CharField("状态", max_length=20, choices=AlertState.choices, default=AlertState.OPEN)
    outcome = models.CharField("处理结果", max_length=20, choices=AlertOutcome.choices, blank=True)
    raised_at = models.DateTimeField("预警时间")
    explanation = models.TextField("中心说明", blank=True)
    explained_at = models.DateTimeField("说明时间", null=True, blank=True)
    closed_at = models.DateTimeField("关闭时间", null=True, blank=True)
    closing_note = models.TextField("关闭意见", blank=True)

    objects = CenterOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "监察预警"
        verbose_name_plural = "监察预警"
        ordering = ["-raised_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["rule", "subject", "subject_id", "occurrence"],
                                               name="alert_unique_occurrence")]
        indexes = [
            models.Index(fields=["center", "state", "rule"], name="alert_center_state_idx"),
            models.Index(fields=["subject", "subject_id"], name="alert_subject_idx",
                         condition=~models.Q(state="closed")),
        ]

    def __str__(self):
        return f"{self.rule.name}：{self.subject_label}"


class AlertTransition(models.Model):
    alert = models.ForeignKey(Alert, on_delete=models.PROTECT, related_name="transitions")
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    at = models.DateTimeField()
    note = models.TextField(blank=True)

    class Meta:
        verbose_name = "预警处理记录"
        verbose_name_plural = "预警处理记录"
        ordering = ["alert", "at", "id"]

    def __str__(self):
        return f"{self.alert}：{self.from_state or '—'} → {self.to_state}"


class SweepMark(models.Model):
    """Where the last sweep of a rule got to: subjects changed after `changed_after` and
    thresholds passed after `swept_at` are the next sweep's work."""
    rule = models.OneToOneField(SupervisionRule, on_delete=models.CASCADE, related_name="mark")
    swept_at = models.DateTimeField()

    class Meta:
        verbose_name = "监察扫描进度"
        verbose_name_plural = "监察扫描进度"

    def __str__(self):
        return f"{self.rule.name} {self.swept_at:%Y-%m-%d %H:%M}"
