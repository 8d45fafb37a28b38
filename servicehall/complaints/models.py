"""投诉、意见建议: what the public says of the centres, from every channel, handled in the order
GB/T 36113-2018 sets (受理 → 调查 → 处置 → 意见反馈 → 归档), within working-day deadlines.

A `Complaint` has a kind (complaint, suggestion, opinion, praise, misconduct report), the
channel it came by, what it names (a centre, and within it a window, a staff member, a ticket
or a case) and who handles it (`handler`): the centre's manager, or the bureau when it names
the manager or reports misconduct (then the centre never sees it, so the complainant's identity
never reaches the people complained of). Each step is a compare-and-set of `status` with a
`ComplaintEvent`; its deadlines (`sign_due`, `due`) are stored, its lights computed.
"""

from datetime import date

from django.conf import settings
from django.db import models
from django.utils import timezone

from servicehall.cases.models import Case, light_for
from servicehall.db.fields import EncryptedField
from servicehall.org.models import ServiceCenter, Staff, Window
from servicehall.queueing.models import Ticket


class Kind(models.TextChoices):
    COMPLAINT = "complaint", "投诉"
    SUGGESTION = "suggestion", "建议"
    OPINION = "opinion", "意见"
    PRAISE = "praise", "表扬"
    MISCONDUCT = "misconduct", "举报违规违纪"


class Channel(models.TextChoices):
    WINDOW = "window", "投诉窗口"
    DESK = "desk", "综合资讯台"
    WEB = "web", "网上（手机、自助终端）"
    QR = "qr", "扫码（回执、排队小票）"
    PHONE = "phone", "电话"
    HOTLINE = "hotline", "12345热线"


class Handler(models.TextChoices):
    CENTRE = "centre", "分中心"
    BUREAU = "bureau", "营商局"


class Status(models.TextChoices):
    RECEIVED = "received", "待签收"
    SIGNED = "signed", "已签收"
    INVESTIGATING = "investigating", "调查处理中"
    RESOLVED = "resolved", "已处理待答复"
    REPLIED = "replied", "已答复待评价"
    REFUSED = "refused", "不予受理"
    ARCHIVED = "archived", "已归档"


OPEN_STATUSES = (Status.RECEIVED, Status.SIGNED, Status.INVESTIGATING, Status.RESOLVED)

TRANSITIONS = {
    Status.RECEIVED: {Status.SIGNED},
    Status.SIGNED: {Status.INVESTIGATING, Status.REFUSED},
    # Notes of the investigation keep it investigating.
    Status.INVESTIGATING: {Status.INVESTIGATING, Status.RESOLVED},
    Status.RESOLVED: {Status.REPLIED},
    # Satisfied (or no answer): archived. Not satisfied: investigated again once, then the bureau.
    Status.REPLIED: {Status.ARCHIVED, Status.INVESTIGATING},
    Status.REFUSED: {Status.ARCHIVED},
    Status.ARCHIVED: set(),
}


class RefusalGround(models.TextChoices):
    """不予受理 only on one of these (定州's rule; the issue's list)."""
    ANONYMOUS = "anonymous", "匿名且无可核实的事实"
    OUTSIDE = "outside", "不属于政务服务范围"
    IN_REVIEW = "in_review", "已进入行政复议或诉讼程序"


class Finding(models.TextChoices):
    UPHELD = "upheld", "属实"
    PARTLY = "partly", "部分属实"
    NOT_UPHELD = "not_upheld", "不属实"
    ADOPTED = "adopted", "采纳"  # a suggestion or opinion taken up
    NOTED = "noted", "已知悉"  # praise passed on; a suggestion answered without change


UPHELD_FINDINGS = (Finding.UPHELD, Finding.PARTLY)


class ReplyMethod(models.TextChoices):
    PHONE = "phone", "电话"
    SMS = "sms", "短信"
    LETTER = "letter", "书面"
    IN_PERSON = "in_person", "当面"


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", "满意"
    BASIC = "basic", "基本满意"
    DISSATISFIED = "dissatisfied", "不满意"
    NO_ANSWER = "no_answer", "未评价"


class ComplaintQuerySet(models.QuerySet):
    """The one door: `Complaint.objects.for_user(user)`. A centre's people see what their
    centres handle; the bureau what its district's centres handle and what it handles itself."""

    def for_user(self, user):
        from servicehall.accounts.permissions import SUPERVISORS, WINDOW_STAFF
        from servicehall.org.selectors import visible_center_ids

        mine = self.filter(center_id__in=visible_center_ids(user))
        if user.role in SUPERVISORS:
            return mine
        mine = mine.filter(handler=Handler.CENTRE)
        # A window's staff never read a complaint about themselves (who complained, what was said).
        return mine.exclude(staff__user=user) if user.role in WINDOW_STAFF else mine


class Complaint(models.Model):
    number = models.CharField("编号", max_length=20, unique=True)
    query_code_hash = models.CharField(max_length=64)  # the complainant's 查询码, kept as a keyed hash
    kind = models.CharField("类型", max_length=12, choices=Kind.choices)
    channel = models.CharField("渠道", max_length=10, choices=Channel.choices)
    simple = models.BooleanField("简易投诉", default=False)  # 5 working days instead of 10
    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="complaints",
                               verbose_name="涉及中心")
    window = models.ForeignKey(Window, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name="涉及窗口")
    staff = models.ForeignKey(Staff, on_delete=models.PROTECT, null=True, blank=True, related_name="complaints",
                              verbose_name="涉及人员")
    ticket = models.ForeignKey(Ticket, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                               verbose_name="涉及排队号")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                             verbose_name="涉及办件")
    handler = models.CharField("承办", max_length=8, choices=Handler.choices, default=Handler.CENTRE)
    title = models.CharField("事由", max_length=100)
    content = models.TextField("内容", max_length=5000)
    anonymous = models.BooleanField("匿名", default=False)
    name = models.CharField("投诉人姓名", max_length=50, blank=True)
    phone = EncryptedField("联系电话", blank=True, index_field="phone_index")
    phone_index = models.CharField(max_length=64, blank=True, default="", editable=False)
    hotline_order = models.CharField("12345工单号", max_length=40, blank=True)
    status = models.CharField("状态", max_length=14, choices=Status.choices, default=Status.RECEIVED)
    received_at = models.DateTimeField("收到时间")
    sign_due = models.DateField("应签收日期")
    due = models.DateField("应办结日期")
    extended = models.BooleanField("已延期", default=False)
    reopened = models.PositiveSmallIntegerField("重新办理次数", default=0)
    refusal_ground = models.CharField("不予受理理由", max_length=12, choices=RefusalGround.choices, blank=True)
    finding = models.CharField("调查结论", max_length=12, choices=Finding.choices, blank=True)
    resolution = models.TextField("处理情况", max_length=5000, blank=True)
    reply = models.TextField("答复内容", max_length=5000, blank=True)
    reply_method = models.CharField("答复方式", max_length=10, choices=ReplyMethod.choices, blank=True)
    replied_at = models.DateTimeField("答复时间", null=True, blank=True)
    # Every reply by its deadline so far (each round's): None until the first reply.
    answered_on_time = models.BooleanField("按期答复", null=True, blank=True)
    satisfaction = models.CharField("评价", max_length=12, choices=Satisfaction.choices, blank=True)
    closed_at = models.DateTimeField("归档时间", null=True, blank=True)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", verbose_name="登记人")

    objects = ComplaintQuerySet.as_manager()

    class Meta:
        verbose_name = "投诉与意见建议"
        verbose_name_plural = "投诉与意见建议"
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["hotline_order"], condition=~models.Q(hotline_order=""),
                                               name="complaint_hotline_order_unique")]
        indexes = [models.Index(fields=["center", "status", "due"], name="complaint_centre_idx"),
                   models.Index(fields=["handler", "status", "due"], name="complaint_handler_idx")]

    def __str__(self):
        return f"{self.number} {self.title[:30]}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def step_due(self) -> date | None:
        """The date the step under way is due: signing for it, else handling it."""
        if not self.is_open:
            return None
        return self.sign_due if self.status == Status.RECEIVED else self.due

    def light(self, today: date, calendar) -> str | None:
        """Green, yellow (few working days left) or red (the step under way is overdue)."""
        due = self.step_due
        if due is None:
            return None
        index = calendar.workday_index(due)
        return light_for(index - calendar.workday_index(today),
                         index - calendar.workday_index(timezone.localdate(self.received_at)))


class ComplaintEvent(models.Model):
    """One row per step (append-only): who did what, when, and what they wrote (an investigation
    note, a reply, a refusal's reason)."""
    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=12)
    from_status = models.CharField(max_length=14, blank=True)
    to_status = models.CharField(max_length=14)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")  # None: the complainant (public page, Open311, 12345)
    at = models.DateTimeField()
    note = models.TextField(max_length=5000, blank=True)

    class Meta:
        verbose_name = "投诉办理记录"
        verbose_name_plural = "投诉办理记录"
        ordering = ["complaint", "at", "id"]

    def __str__(self):
        return f"{self.complaint_id} {self.action} {self.at:%Y-%m-%d %H:%M}"

    def get_action_label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)


ACTION_LABELS = {"file": "登记", "sign": "签收", "accept": "受理", "refuse": "不予受理", "note": "调查",
                 "resolve": "处理", "reply": "答复", "reopen": "不满意，重新办理", "escalate": "再次不满意，转营商局",
                 "archive": "归档", "extend": "延期"}


class PublicFiling(models.Model):
    """A filing on the public page, counted per address: a few an hour are a person, more are a
    flood (refused until the hour has passed)."""
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField()

    class Meta:
        verbose_name = "网上投诉提交记录"
        verbose_name_plural = "网上投诉提交记录"
        indexes = [models.Index(fields=["ip", "at"], name="complaint_filing_ip_idx")]

    def __str__(self):
        return f"网上投诉提交 {self.at:%Y-%m-%d %H:%M}"


class LookupFailure(models.Model):
    """A public status lookup that did not match, counted against guessing (as the cases' status
    page counts them)."""
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField()

    class Meta:
        verbose_name = "投诉查询失败记录"
        verbose_name_plural = "投诉查询失败记录"
        indexes = [models.Index(fields=["complaint", "at"], name="complaint_failure_idx"),
                   models.Index(fields=["ip", "at"], name="complaint_failure_ip_idx")]

    def __str__(self):
        return f"投诉查询失败 {self.at:%Y-%m-%d %H:%M}"
