"""Queue calling (叫号): business categories, tickets and their history.

Ticket numbers come from one counter row per centre, category and local day, incremented
under a row lock, so numbers are never duplicated or skipped however many kiosks issue at
once (DESIGN.md: The Q's numbers from COUNT(*) came out duplicated). A ticket's status is a
TextChoices with a transitions table; every change is a compare-and-set plus a `TicketEvent`.
"""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from servicehall.org.models import CenterOwnedQuerySet, ServiceCenter, Window


class TicketCategory(models.Model):
    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="ticket_categories", verbose_name="中心")
    prefix = models.CharField("字母", max_length=1, validators=[RegexValidator(r"^[A-Z]$", "字母应为一个大写英文字母")])
    name = models.CharField("业务类别", max_length=60)
    daily_capacity = models.PositiveIntegerField("每日号源", default=300)
    is_active = models.BooleanField("启用", default=True)
    windows = models.ManyToManyField(Window, through="CategoryWindow", related_name="ticket_categories", verbose_name="办理窗口")

    objects = CenterOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "业务类别"
        verbose_name_plural = "业务类别"
        ordering = ["center", "prefix"]
        constraints = [models.UniqueConstraint(fields=["center", "prefix"], name="category_unique_prefix")]

    def __str__(self):
        return f"{self.prefix} {self.name}"


class CategoryWindow(models.Model):
    """Which windows serve a category, and in which order a window takes its categories."""

    category = models.ForeignKey(TicketCategory, on_delete=models.CASCADE, related_name="window_links")
    window = models.ForeignKey(Window, on_delete=models.CASCADE, related_name="category_links")
    priority = models.PositiveSmallIntegerField("优先级", default=1, help_text="数字小的先叫")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["category", "window"], name="category_window_unique")]


class TicketCounter(models.Model):
    """The last number issued per centre, category and local day."""

    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(TicketCategory, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["category", "day"], name="ticket_counter_unique_day")]


class TicketStatus(models.TextChoices):
    WAITING = "waiting", "等候中"
    CALLED = "called", "已叫号"
    SERVING = "serving", "办理中"
    DONE = "done", "已办结"
    SKIPPED = "skipped", "过号"
    CANCELLED = "cancelled", "已取消"
    EXPIRED = "expired", "已过期"


TRANSITIONS = {
    TicketStatus.WAITING: {TicketStatus.CALLED, TicketStatus.CANCELLED, TicketStatus.EXPIRED},
    TicketStatus.CALLED: {TicketStatus.SERVING, TicketStatus.SKIPPED, TicketStatus.WAITING, TicketStatus.CANCELLED},
    TicketStatus.SERVING: {TicketStatus.DONE, TicketStatus.WAITING},
    TicketStatus.DONE: set(),
    TicketStatus.SKIPPED: set(),
    TicketStatus.CANCELLED: set(),
    TicketStatus.EXPIRED: set(),
}


class Ticket(models.Model):
    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="tickets", verbose_name="中心")
    category = models.ForeignKey(TicketCategory, on_delete=models.PROTECT, related_name="tickets", verbose_name="业务类别")
    day = models.DateField("日期")
    seq = models.PositiveIntegerField("序号")
    number = models.CharField("号码", max_length=8)
    status = models.CharField("状态", max_length=10, choices=TicketStatus.choices, default=TicketStatus.WAITING)
    green_channel = models.BooleanField("绿色通道", default=False)
    phone = models.CharField("手机号码", max_length=20, blank=True)
    issued_at = models.DateTimeField("取号时间")
    # Orders the queue: the issue time, or, after a transfer, the original one (keeps its place).
    queued_at = models.DateTimeField("排队时间")
    called_at = models.DateTimeField("叫号时间", null=True, blank=True)
    window = models.ForeignKey(Window, on_delete=models.PROTECT, null=True, blank=True, related_name="tickets",
                               verbose_name="窗口")
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name="窗口人员")
    recalls = models.PositiveSmallIntegerField("重呼次数", default=0)

    objects = CenterOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "排队号"
        verbose_name_plural = "排队号"
        ordering = ["day", "queued_at", "id"]
        constraints = [models.UniqueConstraint(fields=["category", "day", "seq"], name="ticket_unique_number")]
        indexes = [models.Index(fields=["center", "day", "status"], name="ticket_queue_idx",
                                condition=Q(status="waiting"))]

    def __str__(self):
        return self.number


class TicketEvent(models.Model):
    """Every state change of a ticket, with time, window and staff (statistics read this)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="events")
    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    window = models.ForeignKey(Window, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["ticket", "at", "id"]
