"""办件: one application from receipt of materials to delivery of the result.

A case may join items of several departments (一条龙); each `CaseItem` keeps the catalogue
version it was accepted under. The stored facts are dates: `received_on`, `accepted_on` and
`due_date` (the promised working days from acceptance, moved by suspensions and the one
extension); lights are computed (`light`), never stored. Every status change is a
compare-and-set that appends a `CaseTransition` (the history supervision and statistics read).
Fees of all items are on one `ConsolidatedBill` (一票制收费).
"""

from datetime import date
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q

from servicehall.catalog.models import ItemVersion, ServiceItem, VersionFee, VersionMaterial
from servicehall.db.caches import LIGHT_RULES
from servicehall.db.fields import EncryptedField
from servicehall.lib.workdays import WorkCalendar
from servicehall.org.models import CenterOwnedQuerySet, ServiceCenter, Window


class CaseStatus(models.TextChoices):
    RECEIVED = "received", "已收件待受理"
    AWAITING_MATERIALS = "awaiting_materials", "待补正材料"
    ACCEPTED = "accepted", "已受理办理中"
    SUSPENDED = "suspended", "挂起"
    APPROVED = "approved", "已批准"
    DENIED = "denied", "不予许可"
    COMPLETED = "completed", "已办结"
    DELIVERED = "delivered", "已送达"
    REFUSED = "refused", "不予受理"


TRANSITIONS = {
    CaseStatus.RECEIVED: {CaseStatus.ACCEPTED, CaseStatus.AWAITING_MATERIALS, CaseStatus.REFUSED},
    CaseStatus.AWAITING_MATERIALS: {CaseStatus.RECEIVED, CaseStatus.REFUSED},
    # Straight to completed only for 即办件 (checked by the service).
    CaseStatus.ACCEPTED: {CaseStatus.SUSPENDED, CaseStatus.APPROVED, CaseStatus.DENIED, CaseStatus.COMPLETED},
    CaseStatus.SUSPENDED: {CaseStatus.ACCEPTED},
    CaseStatus.APPROVED: {CaseStatus.COMPLETED},
    CaseStatus.DENIED: {CaseStatus.COMPLETED},
    CaseStatus.COMPLETED: {CaseStatus.DELIVERED},
    CaseStatus.DELIVERED: set(),
    CaseStatus.REFUSED: set(),
}

# The clock runs (and a light shows) while the case is accepted and not yet decided.
OPEN_STATUSES = (CaseStatus.ACCEPTED, CaseStatus.SUSPENDED)
# Not finished for the clerk: everything before completion.
PENDING_STATUSES = (CaseStatus.RECEIVED, CaseStatus.AWAITING_MATERIALS, CaseStatus.ACCEPTED, CaseStatus.SUSPENDED,
                    CaseStatus.APPROVED, CaseStatus.DENIED)
# On the clerk's desk (我的在办件): everything before completion, and a completed case until its
# result is delivered.
DESK_STATUSES = (*PENDING_STATUSES, CaseStatus.COMPLETED)


ACTION_LABELS = {
    "receive": "收件", "notify": "出具一次性告知书", "notify_refused": "再次告知被拒（未经营商局批准）",
    "review": "审核", "redate": "日历调整重算期限", "supplement": "补正材料", "accept": "受理", "refuse": "不予受理",
    "suspend": "挂起", "resume": "恢复办理", "extend": "延期", "approve": "批准", "deny": "不予许可",
    "complete": "办结", "deliver": "送达", "pay": "缴费", "waive": "减免收费",
    "extend_refused": "再次延期被拒（每件只能延期一次）", "charge_refused": "收费被拒（不符合事项目录）",
}


class ApplicantKind(models.TextChoices):
    PERSON = "person", "个人"
    ORG = "org", "法人或其他组织"


class Light(models.TextChoices):
    GREEN = "green", "绿灯"
    YELLOW = "yellow", "黄灯"
    RED = "red", "红灯"
    PAUSED = "paused", "挂起"


DEFAULT_STEPS = [{"name": "受理", "days": 0}, {"name": "审核", "days": 0}, {"name": "审批", "days": 0},
                 {"name": "办结", "days": 0}, {"name": "送达", "days": 10}]


class StepRole(models.TextChoices):
    """Which action completes a step of the item's process (办理流程)."""
    ACCEPT = "accept", "受理"
    REVIEW = "review", "审核"
    DECIDE = "decide", "决定"
    COMPLETE = "complete", "办结"
    DELIVER = "deliver", "送达"


_TAIL_STEPS = {"办结": StepRole.COMPLETE, "送达": StepRole.DELIVER}


def step_roles(steps: list[dict]) -> list[str]:
    """The role of each step: the first is acceptance; steps named 办结 and 送达 are completion
    and delivery; the last other step is the decision (approve or deny); the steps between
    are reviews, each done by the `review` action in order before approval."""
    core = [i for i, step in enumerate(steps) if i > 0 and step["name"] not in _TAIL_STEPS]
    decision = core[-1] if core else None
    return [StepRole.ACCEPT if i == 0 else _TAIL_STEPS.get(step["name"]) or
            (StepRole.DECIDE if i == decision else StepRole.REVIEW) for i, step in enumerate(steps)]


class Case(models.Model):
    # Indexes are paid on every receipt: the centre's is covered by the composite indexes below,
    # the number and the review token need no LIKE index, and the window's and the ticket's are
    # only read when one of those is deleted, which PROTECT refuses anyway.
    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="cases", verbose_name="中心",
                               db_index=False)
    number = models.CharField("办件编号", max_length=32)
    status = models.CharField("状态", max_length=20, choices=CaseStatus.choices)
    applicant_kind = models.CharField("申请人类型", max_length=10, choices=ApplicantKind.choices)
    applicant_name = models.CharField("申请人", max_length=100)
    applicant_id = EncryptedField("证件号码", index_field="applicant_id_index",
                                  help_text="身份证号码或统一社会信用代码")
    applicant_id_index = models.CharField(max_length=64, default="", editable=False, db_index=True)  # by ID number
    applicant_phone = EncryptedField("联系电话", index_field="applicant_phone_index")
    applicant_phone_index = models.CharField(max_length=64, default="", editable=False)
    joint = models.BooleanField("一条龙联办", default=False)
    instant = models.BooleanField("即办件", default=False)
    promised_days = models.PositiveIntegerField("承诺办结时限（工作日）")
    steps = models.JSONField("办理环节", default=list)
    received_on = models.DateField("收件日期")
    accepted_on = models.DateField("受理日期", null=True, blank=True)
    deemed_accepted = models.BooleanField("逾期视为受理", default=False)
    due_date = models.DateField("承诺办结日期", null=True, blank=True)
    calendar_confirmed = models.BooleanField("日历已确认", default=True)
    suspended_on = models.DateField("挂起日期", null=True, blank=True)
    suspended_days = models.PositiveIntegerField("累计挂起（工作日）", default=0)
    reviews_done = models.PositiveSmallIntegerField("已完成审核环节", default=0)
    extended_days = models.PositiveIntegerField("延期（工作日）", default=0)
    decided_on = models.DateField("决定日期", null=True, blank=True)
    completed_on = models.DateField("办结日期", null=True, blank=True)
    delivery_due = models.DateField("送达期限", null=True, blank=True)
    delivered_on = models.DateField("送达日期", null=True, blank=True)
    clerk = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cases",
                              verbose_name="受理人")
    window = models.ForeignKey(Window, on_delete=models.PROTECT, null=True, blank=True, related_name="cases",
                               verbose_name="受理窗口", db_index=False)
    ticket = models.ForeignKey("queueing.Ticket", on_delete=models.PROTECT, null=True, blank=True, related_name="cases",
                               verbose_name="排队号", db_index=False)
    created_at = models.DateTimeField("收件时间")
    # The applicant's key to this case's evaluation page (QR on the receipt, the SMS link).
    review_token = models.CharField(max_length=24, null=True, blank=True)

    objects = CenterOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "办件"
        verbose_name_plural = "办件"
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["number"], name="case_unique_number"),
                       models.UniqueConstraint(fields=["review_token"], name="case_unique_review_token")]
        indexes = [
            # The clerk's "my open cases by urgency" and the centre's lists and the lights sweep.
            models.Index(fields=["clerk"], name="case_clerk_desk_idx",
                         condition=Q(status__in=["received", "awaiting_materials", "accepted", "suspended", "approved",
                                                 "denied", "completed"])),
            models.Index(fields=["center", "status", "due_date"], name="case_center_status_idx"),
            models.Index(fields=["center", "received_on"], name="case_center_received_idx"),
            # The centre's filtered list: newest first within a status, read in index order.
            models.Index(fields=["center", "status", "-received_on", "-id"], name="case_center_status_new_idx"),
            models.Index(fields=["status", "received_on"], name="case_received_idx",
                         condition=Q(status="received")),
            # The few cases accepted by law for want of a notice (supervision's deemed-acceptance rule).
            models.Index(fields=["accepted_on"], name="case_deemed_idx", condition=Q(deemed_accepted=True)),
        ]

    def __str__(self):
        return self.number

    def step_name(self, role: str, default: str) -> str:
        """The name the item's process gives the step of `role` (the first, if several)."""
        return next((step["name"] for step, r in zip(self.steps, step_roles(self.steps), strict=True) if r == role),
                    default)

    @property
    def acceptance_step(self) -> str:
        return self.steps[0]["name"] if self.steps else "受理"

    @property
    def review_steps(self) -> list[str]:
        return [step["name"] for step, role in zip(self.steps, step_roles(self.steps), strict=True)
                if role == StepRole.REVIEW]

    def light(self, today: date, calendar: WorkCalendar) -> str | None:
        """Green, yellow (`yellow_rule`: few working days, or a small share of the promised time,
        remain), red (overdue) or paused; None when the clock does not run."""
        if self.status == CaseStatus.SUSPENDED:
            return Light.PAUSED
        if self.status != CaseStatus.ACCEPTED or self.due_date is None:
            return None
        return light_for(calendar.workday_index(self.due_date) - calendar.workday_index(today), self.promised_days)

    def remaining_workdays(self, today: date, calendar: WorkCalendar) -> int | None:
        """Working days left to the due date; a suspended case's clock stands still, so it
        keeps what was left on the day of suspension (resuming moves the due date instead)."""
        if self.status not in OPEN_STATUSES or self.due_date is None:
            return None
        if self.status == CaseStatus.SUSPENDED and self.suspended_on is not None:
            today = min(today, self.suspended_on)
        return calendar.workday_index(self.due_date) - calendar.workday_index(today)


class LightRules(models.Model):
    """When an open case's light turns yellow (RULES.md, supervision: configurable, the bureau
    edits it): one row, made by the migration with the defaults below."""
    yellow_days = models.PositiveSmallIntegerField("剩余工作日不超过", validators=[MaxValueValidator(30)])
    yellow_percent = models.PositiveSmallIntegerField("或剩余不超过承诺时限的百分比",
                                                      validators=[MaxValueValidator(100)])
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "亮灯规则"
        verbose_name_plural = "亮灯规则"

    def __str__(self):
        return "办件亮灯规则"


DEFAULT_YELLOW = (2, 20)  # ≤ 2 working days or ≤ 20 % of the promised time left


def yellow_rule() -> tuple[int, float]:
    """(working days, share of the promised days) at or below which a case shows yellow."""
    stored = LIGHT_RULES.get(1, lambda: LightRules.objects.filter(pk=1).values_list("yellow_days", "yellow_percent")
                             .first())
    days, percent = stored or DEFAULT_YELLOW
    return days, percent / 100


def light_for(remaining: int, promised_days: int, rule: tuple[int, float] | None = None) -> str:
    """The light of an open case with `remaining` working days left (negative: overdue);
    `rule` is `yellow_rule()`, passed in when many lights are computed at once."""
    if remaining < 0:
        return Light.RED
    days, share = rule or yellow_rule()
    if remaining <= days or remaining <= promised_days * share:
        return Light.YELLOW
    return Light.GREEN


class CaseItem(models.Model):
    # The case's rows are found through case_item_unique (case first). Versions are never deleted
    # (PROTECT in the ORM), so the database neither indexes nor checks that key on every receipt.
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="items", db_index=False)
    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="case_items", verbose_name="事项")
    version = models.ForeignKey(ItemVersion, on_delete=models.PROTECT, related_name="+", verbose_name="事项版本",
                                db_index=False, db_constraint=False)
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["case", "position"]
        constraints = [models.UniqueConstraint(fields=["case", "item"], name="case_item_unique")]

    def __str__(self):
        return f"{self.case}：{self.version.name}"


class MaterialState(models.TextChoices):
    RECEIVED = "received", "已收取"
    MISSING = "missing", "缺少"
    FAULTY = "faulty", "需补正"


class AskedMaterial(NamedTuple):
    """One material a case asks for: `material` is the first item's row of that name, standing
    for the same material of the other items (`items` names them all)."""
    material: object  # a catalog VersionMaterial
    required: bool
    items: tuple[str, ...]


def ask_once(materials, item_names: dict[int, str]) -> tuple[list[AskedMaterial], dict[int, int]]:
    """A joint case (一条龙) asks once for a material its items share (the same name): required
    if any item requires it. `materials` in the case's order (item, then position), with their
    items' names by version id; returns what to ask for and {id of a row another stands for:
    the id that stands for it}."""
    asked: dict[str, list] = {}
    for m in materials:
        asked.setdefault(m.name.strip(), []).append(m)
    alias = {m.pk: rows[0].pk for rows in asked.values() for m in rows[1:]}
    return ([AskedMaterial(rows[0], any(m.required for m in rows),
                           tuple(dict.fromkeys(item_names[m.version_id] for m in rows))) for rows in asked.values()],
            alias)


class CaseMaterial(models.Model):
    """One material of the case's items, as last checked."""
    # Found through case_material_unique (case first); a version's materials are never deleted,
    # so that key is neither indexed nor checked by the database.
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="materials", db_index=False)
    material = models.ForeignKey(VersionMaterial, on_delete=models.PROTECT, related_name="+", db_index=False,
                                 db_constraint=False)
    name = models.CharField("材料名称", max_length=200)
    required = models.BooleanField("必需")
    state = models.CharField("状态", max_length=10, choices=MaterialState.choices)
    problem = models.CharField("问题及要求", max_length=300, blank=True)

    class Meta:
        ordering = ["case", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "material"], name="case_material_unique")]

    def __str__(self):
        return f"{self.name}（{self.get_state_display()}）"


class OneTimeNotice(models.Model):
    """一次性告知书: every missing or faulty material of the case, told once, in writing."""
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notices")
    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="+")
    number = models.CharField("告知书编号", max_length=40, unique=True)
    entries = models.JSONField("告知事项")  # [{"material", "state", "problem"}]
    issued_at = models.DateTimeField("告知时间")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    override_reason = models.TextField("再次告知的理由", blank=True)
    override_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name="批准再次告知")

    class Meta:
        ordering = ["case", "issued_at", "id"]

    def __str__(self):
        return f"一次性告知书{self.number}"


# History rows the bureau's supervision looks for among millions: refusals and denials, second
# one-time notices and the attempts the services refused. They have an index of their own
# (casetransition_breach_idx); supervision's rules select them with these very conditions, so
# that PostgreSQL can tell the index holds every row they ask for.
REFUSAL_RECORDS = Q(to_status__in=[CaseStatus.REFUSED, CaseStatus.DENIED])
SECOND_NOTICE_RECORDS = Q(action="notify_refused") | Q(action="notify", data__repeat=True)
REFUSED_ATTEMPT_RECORDS = Q(action__in=["extend_refused", "charge_refused"])


class CaseTransition(models.Model):
    """Append-only history: every transition of a case, with actor, time, reason and data."""
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="transitions")
    # Centres and users are never deleted (PROTECT; users are deactivated): the history does not
    # have the database check those keys, which took a lock on the centre's row per history row.
    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="+", db_index=False,
                               db_constraint=False)  # casetransition_center_idx
    action = models.CharField(max_length=20)
    step = models.CharField("环节", max_length=20, blank=True)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", db_constraint=False)
    at = models.DateTimeField()
    reason = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["case", "at", "id"]
        indexes = [models.Index(fields=["center", "at"], name="casetransition_center_idx"),
                   models.Index(fields=["at"], name="casetransition_breach_idx",
                                condition=REFUSAL_RECORDS | SECOND_NOTICE_RECORDS | REFUSED_ATTEMPT_RECORDS)]

    def __str__(self):
        return f"{self.case}：{ACTION_LABELS.get(self.action, self.action)}"


class BillStatus(models.TextChoices):
    UNPAID = "unpaid", "未缴费"
    PAID = "paid", "已缴费"
    WAIVED = "waived", "已减免"


class ConsolidatedBill(models.Model):
    """一票制收费: all fees of all the case's items on one bill."""
    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="bill")
    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="+")
    status = models.CharField("状态", max_length=10, choices=BillStatus.choices, default=BillStatus.UNPAID)
    total = models.DecimalField("合计（元）", max_digits=12, decimal_places=2, default=Decimal("0"))
    paid_at = models.DateTimeField("缴费时间", null=True, blank=True)
    waive_reason = models.TextField("减免理由", blank=True)
    handled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")

    @property
    def settled(self) -> bool:
        return self.status != BillStatus.UNPAID or self.total == 0

    def __str__(self):
        return f"{self.case}的缴费单"


class BillLine(models.Model):
    bill = models.ForeignKey(ConsolidatedBill, on_delete=models.CASCADE, related_name="lines")
    case_item = models.ForeignKey(CaseItem, on_delete=models.PROTECT, related_name="+")
    fee = models.ForeignKey(VersionFee, on_delete=models.PROTECT, related_name="+")
    name = models.CharField("收费项目", max_length=200)
    amount = models.DecimalField("金额（元）", max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["bill", "id"]

    def __str__(self):
        return f"{self.name} {self.amount}元"


class CaseCounter(models.Model):
    """The last case number of a centre and day."""
    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["center", "day"], name="case_counter_unique_day")]

    def __str__(self):
        return f"{self.day:%Y-%m-%d}办件编号计数"


class StatusLookupFailure(models.Model):
    """A citizen status lookup that did not match (services.case_status_lookup): counted to
    stop guessing a case's phone tail or walking through case numbers."""
    case = models.ForeignKey(Case, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["case", "at"], name="status_failure_case_idx"),
                   models.Index(fields=["ip", "at"], name="status_failure_ip_idx")]

    def __str__(self):
        return f"办件查询失败 {self.at:%Y-%m-%d %H:%M}"


class CreditCodeException(models.Model):
    """A unified social credit code whose check character fails, accepted for applicants
    because the bureau recorded why (RULES.md: some real codes fail the checksum)."""
    code = models.CharField("统一社会信用代码", max_length=18, unique=True)
    org_name = models.CharField("单位名称", max_length=100)
    reason = models.TextField("理由")
    allowed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name="登记人")
    allowed_at = models.DateTimeField("登记时间")

    class Meta:
        verbose_name = "信用代码校验例外"
        verbose_name_plural = "信用代码校验例外"
        ordering = ["-allowed_at", "-id"]

    def __str__(self):
        return self.code
