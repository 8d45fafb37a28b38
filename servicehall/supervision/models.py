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
    COMPLAINT = "complaint", "投诉与意见建议"


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
    """One breach of one rule by one subject (监察预警).

    Rows are inserted only by the sweep, from rows that exist, and nothing they point to is
    ever deleted (PROTECT; rules and centres are disabled, staff deactivated). So, as for the
    queue's events, the database does not check the keys again at each commit: on the first
    sweep of a large hall those checks were half of raising 47,000 alerts. The keys are indexed
    only where read: rule and centre lead other indexes, a clerk's own alerts go by staff."""
    rule = models.ForeignKey(SupervisionRule, on_delete=models.PROTECT, related_name="alerts", verbose_name="规则",
                             db_constraint=False, db_index=False)
    rule_version = models.ForeignKey(RuleVersion, on_delete=models.PROTECT, related_name="alerts",
                                     verbose_name="规则版本", db_constraint=False, db_index=False)
    subject = models.CharField("监察对象", max_length=20, choices=Subject.choices)
    subject_id = models.BigIntegerField("对象ID")
    # What makes a second alert on the same subject a new one (a step's name, a day); "" if none.
    occurrence = models.CharField("发生", max_length=40, blank=True, default="")
    subject_label = models.CharField("对象", max_length=100)
    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="alerts", verbose_name="中心",
                               db_constraint=False, db_index=False)
    window = models.ForeignKey(Window, on_delete=models.PROTECT, null=True, blank=True, related_name="alerts",
                               verbose_name="窗口", db_constraint=False, db_index=False)
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="alerts", verbose_name="责任人", db_constraint=False)
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
    """Where the last sweep of a rule got to: subjects changed and time thresholds passed since
    `swept_at` are the next sweep's work. It holds for the rule's version and the calendar's
    revision that sweep used: after an edit of either (new thresholds, a day made a holiday) any
    subject may be over or back under a limit, so the next sweep looks at everything, as it
    does with no mark."""
    rule = models.OneToOneField(SupervisionRule, on_delete=models.CASCADE, related_name="mark")
    swept_at = models.DateTimeField()
    rule_version = models.PositiveIntegerField(default=0)
    calendar_revision = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = "监察扫描进度"
        verbose_name_plural = "监察扫描进度"

    def __str__(self):
        return f"{self.rule.name} {self.swept_at:%Y-%m-%d %H:%M}"


class OrderColor(models.TextChoices):
    """三色督办 (PRACTICE.md): blue a reminder with a deadline; orange when blue was missed;
    red when orange was missed. Important matters may start at orange."""
    BLUE = "blue", "蓝色督办"
    ORANGE = "orange", "橙色督办"
    RED = "red", "红色督办"


NEXT_COLOR = {OrderColor.BLUE: OrderColor.ORANGE, OrderColor.ORANGE: OrderColor.RED}


class OrderState(models.TextChoices):
    OPEN = "open", "待办理"
    REPLIED = "replied", "已反馈"
    CLOSED = "closed", "已办结"


ORDER_TRANSITIONS = {
    OrderState.OPEN: {OrderState.REPLIED, OrderState.CLOSED},
    OrderState.REPLIED: {OrderState.OPEN, OrderState.CLOSED},  # the bureau sends an insufficient reply back
    OrderState.CLOSED: set(),
}


class SupervisionOrder(models.Model):
    """督办单: the bureau orders a centre to put right what its alerts show, by a date."""
    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="supervision_orders",
                               verbose_name="被督办中心")
    alerts = models.ManyToManyField(Alert, related_name="orders", verbose_name="所涉预警")
    requirement = models.TextField("督办事项及要求")
    color = models.CharField("督办级别", max_length=10, choices=OrderColor.choices, default=OrderColor.BLUE)
    days = models.PositiveSmallIntegerField("办理时限（工作日）")
    due_date = models.DateField("办理期限")
    state = models.CharField("状态", max_length=10, choices=OrderState.choices, default=OrderState.OPEN)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                  verbose_name="督办人")
    issued_at = models.DateTimeField("下发时间")
    reply = models.TextField("整改情况", blank=True)
    evidence = models.TextField("佐证材料说明", blank=True)
    replied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name="反馈人")
    replied_at = models.DateTimeField("反馈时间", null=True, blank=True)
    closed_at = models.DateTimeField("办结时间", null=True, blank=True)
    closing_note = models.TextField("办结意见", blank=True)

    objects = CenterOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "督办单"
        verbose_name_plural = "督办单"
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["state", "due_date"], name="order_open_due_idx")]

    def __str__(self):
        return f"督办单第{self.pk}号（{self.center.name}）"


class OrderTransition(models.Model):
    order = models.ForeignKey(SupervisionOrder, on_delete=models.PROTECT, related_name="transitions")
    action = models.CharField(max_length=20)
    from_state = models.CharField(max_length=10, blank=True)
    to_state = models.CharField(max_length=10)
    color = models.CharField(max_length=10, choices=OrderColor.choices)
    due_date = models.DateField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    at = models.DateTimeField()
    note = models.TextField(blank=True)

    class Meta:
        verbose_name = "督办记录"
        verbose_name_plural = "督办记录"
        ordering = ["order", "at", "id"]

    def __str__(self):
        return f"{self.order}：{self.action}"


class CardKind(models.TextChoices):
    """Staff-level outcomes, in escalating order (PRACTICE.md: 提醒 → 黄牌 → 红牌)."""
    REMINDER = "reminder", "提醒"
    YELLOW = "yellow", "黄牌"
    RED = "red", "红牌"


class Card(models.Model):
    """A reminder or a card for one staff member, counted per person and centre for assessment."""
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="supervision_cards",
                              verbose_name="人员")
    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="supervision_cards",
                               verbose_name="中心")
    kind = models.CharField("类别", max_length=10, choices=CardKind.choices)
    reason = models.TextField("事由")
    alert = models.ForeignKey(Alert, on_delete=models.PROTECT, null=True, blank=True, related_name="cards",
                              verbose_name="所涉预警")
    order = models.ForeignKey(SupervisionOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="cards",
                              verbose_name="所涉督办单")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+", verbose_name="出具人")
    issued_at = models.DateTimeField("出具时间")

    objects = CenterOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "提醒与红黄牌"
        verbose_name_plural = "提醒与红黄牌"
        ordering = ["-issued_at", "-id"]
        # An order's escalation gives each person each card once, however many sweeps run it.
        constraints = [models.UniqueConstraint(fields=["order", "staff", "kind"],
                                               condition=models.Q(order__isnull=False),
                                               name="card_once_per_order_step")]

    def __str__(self):
        return f"{self.get_kind_display()}：{self.staff}"
