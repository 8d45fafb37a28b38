"""Service items (政务服务事项), their versions and the change workflow the bureau reviews.

A `ServiceItem` is the stable identity (its implementation code); its content lives in
immutable `ItemVersion`s, each holding the whole implementation list as `ItemData` JSON. Only
a version the bureau approved becomes `current_version` and is public; cases will point at the
version they were accepted under. Materials and fees of a version are also rows, written
once with the version, so cases and bills can refer to them by id.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from servicehall.org.models import CenterOwnedQuerySet, ServiceCenter

from .data import CASE_TYPES, ItemData, ItemType


class ItemStatus(models.TextChoices):
    DRAFT = "draft", "未发布"
    ACTIVE = "active", "在用"
    WITHDRAWN = "withdrawn", "已取消"


class ServiceItem(models.Model):
    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="items", verbose_name="办理中心")
    code = models.CharField("实施编码", max_length=40, unique=True)
    status = models.CharField("状态", max_length=10, choices=ItemStatus.choices, default=ItemStatus.DRAFT)
    current_version = models.OneToOneField("ItemVersion", on_delete=models.PROTECT, null=True, blank=True,
                                           related_name="+", verbose_name="现行版本")
    # Copied from the current version for listing and search (set on approval).
    name = models.CharField("事项名称", max_length=200, blank=True)
    initials = models.CharField("拼音首字母", max_length=200, blank=True, db_index=True)
    pinyin = models.CharField("全拼", max_length=1000, blank=True)  # "hunyindengji…" for 婚姻登记…
    search_text = models.TextField("检索文本", blank=True)
    created_at = models.DateTimeField("创建时间")

    objects = CenterOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "政务服务事项"
        verbose_name_plural = "政务服务事项"
        ordering = ["center", "code"]

    def __str__(self):
        return self.name or self.code

    @property
    def is_public(self) -> bool:
        return self.status == ItemStatus.ACTIVE and self.current_version_id is not None


class ItemVersion(models.Model):
    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="versions", verbose_name="事项")
    number = models.PositiveIntegerField("版本号")
    data = models.JSONField("实施清单")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name="编制人")
    created_at = models.DateTimeField("编制时间")
    approved_at = models.DateTimeField("批准时间", null=True, blank=True)
    # Copied from `data` for figures and lists.
    name = models.CharField("事项名称", max_length=200)
    item_type = models.CharField("事项类型", max_length=2, choices=ItemType.CHOICES)
    case_type = models.CharField("办件类型", max_length=10, choices=CASE_TYPES)
    statutory_days = models.PositiveIntegerField("法定办结时限", null=True, blank=True)
    promised_days = models.PositiveIntegerField("承诺办结时限")
    visits = models.PositiveIntegerField("到现场次数")
    material_count = models.PositiveIntegerField("材料数")

    class Meta:
        verbose_name = "事项版本"
        verbose_name_plural = "事项版本"
        ordering = ["item", "number"]
        constraints = [models.UniqueConstraint(fields=["item", "number"], name="item_version_unique_number")]

    def __str__(self):
        return f"{self.name}（第{self.number}版）"

    @property
    def content(self) -> ItemData:
        return ItemData.model_validate(self.data)


class VersionMaterial(models.Model):
    version = models.ForeignKey(ItemVersion, on_delete=models.PROTECT, related_name="material_rows")
    position = models.PositiveIntegerField()
    name = models.CharField("材料名称", max_length=200)
    required = models.BooleanField("必需")

    class Meta:
        ordering = ["version", "position"]
        verbose_name = "申请材料"
        verbose_name_plural = "申请材料"

    def __str__(self):
        return self.name


class VersionFee(models.Model):
    version = models.ForeignKey(ItemVersion, on_delete=models.PROTECT, related_name="fee_rows")
    position = models.PositiveIntegerField()
    name = models.CharField("收费项目", max_length=200)
    amount = models.DecimalField("金额（元）", max_digits=12, decimal_places=2, null=True, blank=True)
    standard = models.CharField("收费标准", max_length=500, blank=True)
    legal_basis = models.TextField("收费依据")

    class Meta:
        ordering = ["version", "position"]
        verbose_name = "收费项目"
        verbose_name_plural = "收费项目"

    def __str__(self):
        return self.name


class ChangeKind(models.TextChoices):
    NEW = "new", "新增事项"
    CHANGE = "change", "变更事项"
    WITHDRAW = "withdraw", "取消事项"


class ChangeStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "待审核"
    APPROVED = "approved", "已批准"
    RETURNED = "returned", "已退回"
    CANCELLED = "cancelled", "已撤销"


OPEN_STATUSES = (ChangeStatus.DRAFT, ChangeStatus.SUBMITTED, ChangeStatus.RETURNED)

TRANSITIONS = {
    ChangeStatus.DRAFT: {ChangeStatus.SUBMITTED, ChangeStatus.CANCELLED},
    ChangeStatus.SUBMITTED: {ChangeStatus.APPROVED, ChangeStatus.RETURNED, ChangeStatus.CANCELLED},
    ChangeStatus.RETURNED: {ChangeStatus.SUBMITTED, ChangeStatus.CANCELLED},
    ChangeStatus.APPROVED: set(),
    ChangeStatus.CANCELLED: set(),
}


class ItemChange(models.Model):
    """A branch centre's proposal (new item, change, withdrawal) that the bureau decides."""

    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="item_changes",
                               verbose_name="中心")
    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="changes", verbose_name="事项")
    kind = models.CharField("类型", max_length=10, choices=ChangeKind.choices)
    status = models.CharField("状态", max_length=10, choices=ChangeStatus.choices, default=ChangeStatus.DRAFT)
    base_version = models.ForeignKey(ItemVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                     verbose_name="变更前版本")
    version = models.ForeignKey(ItemVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="changes",
                                verbose_name="拟发布版本")
    reason = models.TextField("变更理由", blank=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name="提出人")
    created_at = models.DateTimeField("提出时间")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name="审核人")
    decided_at = models.DateTimeField("审核时间", null=True, blank=True)
    decision_reason = models.TextField("审核意见", blank=True)

    objects = CenterOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "事项变更申请"
        verbose_name_plural = "事项变更申请"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["item"], condition=Q(status__in=["draft", "submitted", "returned"]),
                                    name="one_open_change_per_item"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}：{self.item}"


class ItemChangeEvent(models.Model):
    """History of every status change of a proposal (append-only)."""

    change = models.ForeignKey(ItemChange, on_delete=models.PROTECT, related_name="events")
    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="+")
    from_status = models.CharField(max_length=10, choices=ChangeStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=ChangeStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["change", "at", "id"]

    def __str__(self):
        return f"{self.change}：{self.get_to_status_display()}"
