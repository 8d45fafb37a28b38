"""好差评: one review per service (a finished ticket or a completed case), and the follow-up
of every bad one (差评整改).

Levels are stored as the exchange interface codes them (5 = 非常满意 … 1 = 非常不满意); the
GB/T 39046 data-set coding runs the other way (1 = 非常满意). Both mappings are written out as
tables here (`EXCHANGE_CODE`, `GBT39046_CODE`) rather than computed, and tests pin them.
Reviews are never edited or deleted; an accepted appeal takes a review out of the figures
(`excluded`) and keeps it on record with the reason.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from servicehall.cases.models import Case
from servicehall.catalog.models import ServiceItem
from servicehall.db.fields import EncryptedField
from servicehall.org.models import CenterOwnedQuerySet, ServiceCenter, Window
from servicehall.queueing.models import Ticket


class Level(models.IntegerChoices):
    VERY_SATISFIED = 5, "非常满意"
    SATISFIED = 4, "满意"
    BASICALLY_SATISFIED = 3, "基本满意"
    DISSATISFIED = 2, "不满意"
    VERY_DISSATISFIED = 1, "非常不满意"


BAD_LEVELS = (Level.DISSATISFIED, Level.VERY_DISSATISFIED)
SATISFIED_LEVELS = (Level.VERY_SATISFIED, Level.SATISFIED, Level.BASICALLY_SATISFIED)

# The exchange interface's `satisfaction`: 5 = 非常满意 … 1 = 非常不满意 (our own coding).
EXCHANGE_CODE = {Level.VERY_SATISFIED: 5, Level.SATISFIED: 4, Level.BASICALLY_SATISFIED: 3, Level.DISSATISFIED: 2,
                 Level.VERY_DISSATISFIED: 1}
# GB/T 39046 data set: 1 = 非常满意 … 5 = 非常不满意.
GBT39046_CODE = {Level.VERY_SATISFIED: 1, Level.SATISFIED: 2, Level.BASICALLY_SATISFIED: 3, Level.DISSATISFIED: 4,
                 Level.VERY_DISSATISFIED: 5}


class Channel(models.IntegerChoices):
    """The exchange interface's `pf` codes."""
    PC = 1, "PC端"
    MOBILE = 2, "移动端"
    QR = 3, "二维码"
    PAD = 4, "窗口评价器"
    TERMINAL = 5, "大厅其他终端"
    PHONE = 6, "电话"
    SMS = 7, "短信"


# What went wrong, for 不满意 / 非常不满意 (the pad shows these as buttons).
BAD_REASONS = ["等候时间过长", "办理时间过长", "服务态度不好", "业务不熟练", "一次性告知不清", "要求提供不必要的材料",
               "收费不合理", "环境设施不便", "其他"]


class Review(models.Model):
    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="reviews", verbose_name="中心")
    window = models.ForeignKey(Window, on_delete=models.PROTECT, null=True, blank=True, related_name="reviews",
                               verbose_name="窗口")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="reviews", verbose_name="窗口人员")
    ticket = models.OneToOneField(Ticket, on_delete=models.PROTECT, null=True, blank=True, related_name="review")
    case = models.OneToOneField(Case, on_delete=models.PROTECT, null=True, blank=True, related_name="review")
    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, null=True, blank=True, related_name="reviews",
                             verbose_name="事项")
    level = models.PositiveSmallIntegerField("评价", choices=Level.choices)
    channel = models.PositiveSmallIntegerField("评价渠道", choices=Channel.choices)
    efficiency = models.PositiveSmallIntegerField("服务效率", choices=Level.choices, null=True, blank=True)
    competence = models.PositiveSmallIntegerField("服务水平", choices=Level.choices, null=True, blank=True)
    attitude = models.PositiveSmallIntegerField("服务态度", choices=Level.choices, null=True, blank=True)
    comment = models.TextField("评价内容", max_length=500, blank=True)
    reasons = models.JSONField("差评原因", default=list, blank=True)
    rater_name = models.CharField("评价人", max_length=100, blank=True)
    rater_phone = EncryptedField("评价人电话", blank=True, index_field="rater_phone_index")
    rater_phone_index = models.CharField(max_length=64, blank=True, default="", editable=False)
    created_at = models.DateTimeField("评价时间")
    amended_at = models.DateTimeField("补充原因或意见的时间", null=True, blank=True)
    excluded = models.BooleanField("申诉核实后不计入统计", default=False)
    excluded_reason = models.TextField("不计入统计的理由", blank=True)

    objects = CenterOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "好差评"
        verbose_name_plural = "好差评"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(ticket__isnull=False) | Q(case__isnull=False),
                                   name="review_has_service"),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=5), name="review_level_range"),
        ]
        indexes = [models.Index(fields=["center", "created_at"], name="review_center_time_idx")]

    @property
    def is_bad(self) -> bool:
        return self.level in BAD_LEVELS

    @property
    def service_label(self) -> str:
        """The service rated, as a reader of the audit trail recognises it."""
        if self.case_id:
            return f"办件{self.case.number}"
        where = f"（{self.window.number}号窗口）" if self.window_id else ""
        return f"{self.ticket.day:%m月%d日}{self.ticket.number}号{where}" if self.ticket_id else "服务"

    def __str__(self):
        return f"对{self.service_label}的评价（{self.get_level_display()}）"


class RectificationStatus(models.TextChoices):
    OPEN = "open", "待回访"
    CALLED_BACK = "called_back", "已回访待核实"
    VERIFIED = "verified", "已核实待整改"
    RECTIFIED = "rectified", "已整改待反馈"
    CLOSED = "closed", "已反馈办结"


RECTIFICATION_TRANSITIONS = {
    RectificationStatus.OPEN: {RectificationStatus.CALLED_BACK},
    RectificationStatus.CALLED_BACK: {RectificationStatus.VERIFIED},
    RectificationStatus.VERIFIED: {RectificationStatus.RECTIFIED},
    RectificationStatus.RECTIFIED: {RectificationStatus.CLOSED},
    RectificationStatus.CLOSED: set(),
}


class RaterVerdict(models.TextChoices):
    SATISFIED = "satisfied", "满意"
    BASICALLY = "basically", "基本满意"
    DISSATISFIED = "dissatisfied", "不满意"


class Rectification(models.Model):
    """差评整改, owned by the centre that handled the service (谁办理谁负责)."""
    review = models.OneToOneField(Review, on_delete=models.PROTECT, related_name="rectification")
    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="rectifications",
                               verbose_name="责任单位")
    status = models.CharField("状态", max_length=12, choices=RectificationStatus.choices,
                              default=RectificationStatus.OPEN)
    deadline = models.DateField("整改期限")
    # False while the deadline crosses a year whose holidays the bureau has not confirmed (counted
    # Monday to Friday); the calendar edit that confirms or changes it moves the deadline.
    calendar_confirmed = models.BooleanField("日历已确认", default=True)
    callback_outcome = models.TextField("回访情况", blank=True)
    called_back_at = models.DateTimeField("回访时间", null=True, blank=True)
    verification = models.TextField("核实情况", blank=True)
    rectification = models.TextField("整改措施", blank=True)
    reply = models.TextField("反馈内容", blank=True)
    closed_on = models.DateField("办结日期", null=True, blank=True)
    rater_verdict = models.CharField("评价人对整改的评价", max_length=12, choices=RaterVerdict.choices, blank=True)
    # Who works it, when the centre's head assigns it (never the clerk whose service was rated).
    handler = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name="办理人")
    created_at = models.DateTimeField("创建时间")

    objects = CenterOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "差评整改"
        verbose_name_plural = "差评整改"
        ordering = ["deadline", "id"]
        indexes = [models.Index(fields=["center", "status", "deadline"], name="rectification_open_idx")]

    def __str__(self):
        return f"{self.review.service_label}的差评整改"

    def overdue(self, today) -> bool:
        if self.status == RectificationStatus.CLOSED:
            return self.closed_on is not None and self.closed_on > self.deadline
        return today > self.deadline


class RectificationEvent(models.Model):
    rectification = models.ForeignKey(Rectification, on_delete=models.PROTECT, related_name="events")
    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="+")
    from_status = models.CharField(max_length=12, choices=RectificationStatus.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=RectificationStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    at = models.DateTimeField()
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["rectification", "at", "id"]
        # Supervision's sweep reads the rectifications changed in the last minutes.
        indexes = [models.Index(fields=["at"], name="rectificationevent_at_idx")]

    def __str__(self):
        return f"{self.rectification}：{self.get_to_status_display()}"


class AppealStatus(models.TextChoices):
    PENDING = "pending", "待复核"
    ACCEPTED = "accepted", "申诉成立"
    REJECTED = "rejected", "申诉不成立"


class Appeal(models.Model):
    """申诉复核: the centre says a bad review was mistaken or malicious; the bureau decides."""
    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="appeals")
    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField("申诉理由")
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField("申诉时间")
    status = models.CharField("状态", max_length=10, choices=AppealStatus.choices, default=AppealStatus.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField("复核时间", null=True, blank=True)
    decision_reason = models.TextField("复核意见", blank=True)

    objects = CenterOwnedQuerySet.as_manager()

    class Meta:
        ordering = ["-filed_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["review"], condition=Q(status="pending"),
                                               name="appeal_one_pending")]

    def __str__(self):
        return f"{self.review.service_label}差评的申诉"


def new_pad_key() -> str:
    import secrets

    return secrets.token_urlsafe(18)


class EvaluationPad(models.Model):
    """评价器: the tablet in front of one window, bound to it by its key (no login)."""
    window = models.OneToOneField(Window, on_delete=models.CASCADE, related_name="evaluation_pad")
    key = models.CharField("评价器密钥", max_length=40, unique=True, default=new_pad_key)
    # Services finished before this are not offered again: the pad went back to idle without a
    # rating, so the next citizen never sees the previous one's prompt.
    idle_since = models.DateTimeField("回到待机的时间", null=True, blank=True)

    class Meta:
        verbose_name = "窗口评价器"
        verbose_name_plural = "窗口评价器"

    def __str__(self):
        return f"{self.window}的评价器"
