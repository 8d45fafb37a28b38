"""Queue calling (叫号): business categories, tickets and their history.

Ticket numbers come from one counter row per centre, category and local day, incremented
under a row lock, so numbers are never duplicated or skipped however many kiosks issue at
once (DESIGN.md: The Q's numbers from COUNT(*) came out duplicated). A ticket's status is a
TextChoices with a transitions table; every change is a compare-and-set plus a `TicketEvent`.
"""

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from servicehall.db.fields import EncryptedField
from servicehall.org.models import CenterOwnedQuerySet, ServiceCenter, Window


def new_device_key() -> str:
    return secrets.token_urlsafe(18)


def new_ticket_token() -> str:
    return secrets.token_urlsafe(12)


DEFAULT_VOICE_TEMPLATE = "请{号码}号到{窗口}号窗口办理"


class QueueSettings(models.Model):
    """One centre's queue rules, device keys and hall texts (every number is configurable).

    `revision` is raised by changes that are not ticket events (settings, a paused window),
    so the hall display's version changes with them too.
    """

    center = models.OneToOneField(ServiceCenter, on_delete=models.CASCADE, related_name="queue_settings")
    voice_template = models.CharField("叫号语音模板", max_length=100, default=DEFAULT_VOICE_TEMPLATE,
                                      help_text="可用占位：{号码}、{窗口}、{类别}")
    notice = models.CharField("大屏公告", max_length=200, blank=True)
    display_key = models.CharField("大屏密钥", max_length=40, unique=True, default=new_device_key)
    kiosk_key = models.CharField("取号机密钥", max_length=40, unique=True, default=new_device_key)
    recalls_before_skip = models.PositiveSmallIntegerField("过号前重呼次数", default=2,
                                                           validators=[MaxValueValidator(5)])
    book_min_days = models.PositiveSmallIntegerField("最早提前预约（工作日）", default=1,
                                                     validators=[MinValueValidator(0), MaxValueValidator(30)])
    book_max_days = models.PositiveSmallIntegerField("最晚提前预约（工作日）", default=5,
                                                     validators=[MinValueValidator(1), MaxValueValidator(30)])
    cancel_hours = models.PositiveSmallIntegerField("取消预约须提前（小时）", default=2,
                                                    validators=[MaxValueValidator(72)])
    slot_minutes = models.PositiveSmallIntegerField("预约时段（分钟）", default=60,
                                                    validators=[MinValueValidator(15), MaxValueValidator(240)])
    no_show_limit = models.PositiveSmallIntegerField("爽约次数上限", default=3,
                                                     validators=[MinValueValidator(1), MaxValueValidator(20)])
    no_show_block_days = models.PositiveSmallIntegerField("爽约限制预约（天）", default=30,
                                                          validators=[MinValueValidator(1), MaxValueValidator(365)])
    revision = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "叫号设置"
        verbose_name_plural = "叫号设置"

    def __str__(self):
        return f"{self.center} 叫号设置"

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.book_min_days > self.book_max_days:
            raise ValidationError({"book_max_days": "最晚提前天数不能小于最早提前天数"})
        try:
            self.voice_template.format(号码="A001", 窗口=1, 类别="")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValidationError({"voice_template": "模板只能使用 {号码}、{窗口}、{类别} 三个占位"}) from exc


class TicketCategory(models.Model):
    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="ticket_categories",
                               verbose_name="中心")
    prefix = models.CharField("字母", max_length=1, validators=[RegexValidator(r"^[A-Z]$", "字母应为一个大写英文字母")])
    name = models.CharField("业务类别", max_length=60)
    daily_capacity = models.PositiveIntegerField("每日号源", default=300, validators=[MaxValueValidator(999)])
    slot_capacity = models.PositiveSmallIntegerField("每时段预约号源", default=4, validators=[MaxValueValidator(100)])
    avg_minutes = models.PositiveSmallIntegerField("预计每人办理（分钟）", default=8,
                                                   validators=[MinValueValidator(1), MaxValueValidator(120)])
    is_active = models.BooleanField("启用", default=True)
    windows = models.ManyToManyField(Window, through="CategoryWindow", related_name="ticket_categories",
                                     verbose_name="办理窗口")

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

    def __str__(self):
        return f"{self.window}办理{self.category}"


class WindowState(models.Model):
    """Whether a window calls tickets now (a paused window is skipped by the display and call-next)."""

    window = models.OneToOneField(Window, on_delete=models.CASCADE, related_name="queue_state")
    paused = models.BooleanField("暂停服务", default=False)
    since = models.DateTimeField(null=True, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    def __str__(self):
        return f"{self.window}{'暂停服务' if self.paused else '正常服务'}"


class TicketCounter(models.Model):
    """The last number issued per centre, category and local day, and how many of the
    category's tickets wait now (not transferred to a window): a new ticket's "people ahead",
    read under the row lock that numbering takes anyway instead of counting the backlog.
    Every change of a ticket's status, category or target window keeps `waiting` up to date
    (db.queue: the issuing and call-next statements; services.tickets.transition); a test holds it to a
    fresh count over random mixes of every action."""

    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(TicketCategory, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)
    waiting = models.IntegerField(default=0, db_default=0)  # db_default: old servers insert without it

    class Meta:
        constraints = [models.UniqueConstraint(fields=["category", "day"], name="ticket_counter_unique_day")]

    def __str__(self):
        return f"{self.category} {self.day:%Y-%m-%d}已取{self.last}号"


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
    TicketStatus.CALLED: {TicketStatus.SERVING, TicketStatus.DONE, TicketStatus.SKIPPED, TicketStatus.WAITING,
                          TicketStatus.CANCELLED},
    TicketStatus.SERVING: {TicketStatus.DONE, TicketStatus.WAITING},
    TicketStatus.DONE: set(),
    TicketStatus.SKIPPED: set(),
    TicketStatus.CANCELLED: set(),
    TicketStatus.EXPIRED: set(),
}


class Ticket(models.Model):
    # Every call rewrites two tickets, and an update that changes the status writes a new entry
    # into every index of the table: so no index that nothing reads. The centre is the first
    # column of ticket_unique_number; a category's tickets are read only while waiting
    # (ticket_category_wait_idx), a window's only while called or serving
    # (ticket_one_current_per_window); staff and target window are never searched by.
    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="tickets", verbose_name="中心",
                               db_index=False)
    category = models.ForeignKey(TicketCategory, on_delete=models.PROTECT, related_name="tickets",
                                 verbose_name="业务类别", db_index=False)
    day = models.DateField("日期")
    seq = models.PositiveIntegerField("序号")
    number = models.CharField("号码", max_length=8)
    status = models.CharField("状态", max_length=10, choices=TicketStatus.choices, default=TicketStatus.WAITING)
    green_channel = models.BooleanField("绿色通道", default=False)
    phone = EncryptedField("手机号码", blank=True, index_field="phone_index")
    phone_index = models.CharField(max_length=64, blank=True, default="", editable=False)  # HMAC-SM3 of phone
    id_number = EncryptedField("证件号码", blank=True, index_field="id_number_index")
    id_number_index = models.CharField(max_length=64, blank=True, default="", editable=False)
    token = models.CharField(max_length=24, default=new_ticket_token)  # unique: ticket_unique_token
    appointment = models.OneToOneField("Appointment", on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="ticket", verbose_name="预约")
    # A checked-in appointment is called before walk-ins while its slot runs.
    slot_start = models.DateTimeField(null=True, blank=True)
    slot_end = models.DateTimeField(null=True, blank=True)
    # After a transfer to a window, only that window calls the ticket.
    target_window = models.ForeignKey(Window, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                      verbose_name="指定窗口", db_index=False)
    issued_at = models.DateTimeField("取号时间")
    # Orders the queue: the issue time, or, after a transfer, the original one (keeps its place).
    queued_at = models.DateTimeField("排队时间")
    called_at = models.DateTimeField("叫号时间", null=True, blank=True)
    window = models.ForeignKey(Window, on_delete=models.PROTECT, null=True, blank=True, related_name="tickets",
                               verbose_name="窗口", db_index=False)
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name="窗口人员", db_index=False)
    recalls = models.PositiveSmallIntegerField("重呼次数", default=0)

    objects = CenterOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "排队号"
        verbose_name_plural = "排队号"
        ordering = ["day", "queued_at", "id"]
        # A transfer changes the category but keeps the number, so uniqueness is on the number.
        constraints = [models.UniqueConstraint(fields=["center", "day", "number"], name="ticket_unique_number"),
                       # As a constraint, not `unique=True`: that adds a second index for LIKE
                       # searches, which a status-page token never needs.
                       models.UniqueConstraint(fields=["token"], name="ticket_unique_token"),
                       # A window serves one citizen at a time: two presses of "next" at once must
                       # not call two tickets to it. Also what call-next and the terminal read
                       # (a handful of rows, not every ticket the window ever served).
                       models.UniqueConstraint(fields=["window"], condition=Q(status__in=["called", "serving"]),
                                               name="ticket_one_current_per_window")]
        # Call-next reads the waiting tickets along these (db.queue.head_sql): the few that
        # jump the order, and the plain backlog in arrival order.
        indexes = [models.Index(fields=["center", "day", "status"], name="ticket_queue_idx",
                                condition=Q(status="waiting")),
                   models.Index(fields=["center", "day"], name="ticket_rare_idx",
                                condition=Q(status="waiting") & (Q(green_channel=True) | Q(slot_start__isnull=False)
                                                                 | Q(target_window__isnull=False))),
                   # The slip's "people ahead" counts one category's waiting tickets.
                   models.Index(fields=["category", "day"], name="ticket_category_wait_idx",
                                condition=Q(status="waiting", target_window__isnull=True)),
                   models.Index(fields=["center", "day", "queued_at", "id"], name="ticket_fifo_idx",
                                condition=Q(status="waiting", green_channel=False, slot_start__isnull=True,
                                            target_window__isnull=True))]

    def __str__(self):
        return self.number


# The note of a call of one chosen ticket (指定呼叫) rather than the head of the queue: the
# tickets it passes over are what supervision counts.
CHOSEN_CALL = "指定呼叫"


class TicketEvent(models.Model):
    """Every state change of a ticket, with time, window and staff (statistics read this).

    Rows are only ever inserted, by the same statement or transaction as the change they
    record, and what they point to is never deleted (PROTECT; tickets, centres, windows and
    staff are kept or deactivated). So the database does not check the keys again at every
    commit: those checks were a tenth of the database's work per call, and each one took a
    share lock on the centre's row that every window and kiosk of the centre was taking too."""

    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, related_name="events", db_constraint=False)
    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="+", db_constraint=False,
                               db_index=False)  # see ticketevent_center_idx
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=10, blank=True)
    to_status = models.CharField(max_length=10)
    window = models.ForeignKey(Window, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               db_constraint=False, db_index=False)  # see window_at_idx
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", db_constraint=False, db_index=False)
    at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["ticket", "at", "id"]
        # A window's events are read for one day or the last minutes (the terminal's tally, the
        # evaluation pad's poll): by window and time, not through every event the window ever had.
        indexes = [models.Index(fields=["center", "id"], name="ticketevent_center_idx"),
                   models.Index(fields=["window", "at"], name="ticketevent_window_at_idx"),
                   # Chosen calls are few (a citizen at the desk): supervision reads a day's of
                   # them on every sweep, and only they write to this index.
                   models.Index(fields=["at"], name="ticketevent_chosen_call_idx",
                                condition=Q(action="call", note=CHOSEN_CALL))]

    def __str__(self):
        return f"{self.ticket_id}号票{self.action}"


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "已预约"
    CHECKED_IN = "checked_in", "已签到"
    CANCELLED = "cancelled", "已取消"
    NO_SHOW = "no_show", "爽约"


APPOINTMENT_TRANSITIONS = {
    AppointmentStatus.BOOKED: {AppointmentStatus.CHECKED_IN, AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW},
    AppointmentStatus.CHECKED_IN: set(),
    AppointmentStatus.CANCELLED: set(),
    AppointmentStatus.NO_SHOW: set(),
}

ACTIVE_APPOINTMENT = Q(status__in=[AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN])


class Appointment(models.Model):
    """A booked slot. `holder` is the citizen ID or credit code (one booking per holder, centre and day)."""

    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="appointments",
                               verbose_name="中心")
    category = models.ForeignKey(TicketCategory, on_delete=models.PROTECT, related_name="appointments",
                                 verbose_name="业务类别")
    day = models.DateField("预约日期")
    slot_start = models.TimeField("时段开始")
    slot_end = models.TimeField("时段结束")
    code = models.CharField("预约码", max_length=8, unique=True)
    holder = EncryptedField("证件号码", index_field="holder_index")
    holder_index = models.CharField(max_length=64, default="", editable=False)  # HMAC-SM3: limits and blocks
    phone = EncryptedField("手机号码", index_field="phone_index")
    phone_index = models.CharField(max_length=64, default="", editable=False)
    status = models.CharField("状态", max_length=12, choices=AppointmentStatus.choices,
                              default=AppointmentStatus.BOOKED)
    created_at = models.DateTimeField("预约时间")
    source_ip = models.GenericIPAddressField("来源地址", null=True, blank=True)  # bookings per address per hour

    objects = CenterOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "预约"
        verbose_name_plural = "预约"
        ordering = ["day", "slot_start", "id"]
        constraints = [models.UniqueConstraint(fields=["center", "holder_index", "day"], condition=ACTIVE_APPOINTMENT,
                                               name="appointment_one_per_day")]
        indexes = [models.Index(fields=["category", "day", "slot_start"], name="appointment_slot_idx"),
                   models.Index(fields=["holder_index", "status"], name="appointment_holder_idx"),
                   models.Index(fields=["phone_index", "day"], name="appointment_phone_idx"),
                   models.Index(fields=["source_ip", "created_at"], name="appointment_source_idx")]

    def __str__(self):
        return f"{self.code} {self.day} {self.slot_start:%H:%M}"


class AppointmentEvent(models.Model):
    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    at = models.DateTimeField()

    class Meta:
        ordering = ["appointment", "at", "id"]

    def __str__(self):
        return f"{self.appointment}：{self.action}"
