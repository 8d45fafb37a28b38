"""The organisation: districts, centres, departments, windows, staff, AB posts, memberships.

The district centre (区行政服务中心) and its branch centres (分中心) share one table,
`ServiceCenter`, told apart by `kind`: every centre-owned row in every app points at one
table, and scoping by centre is one filter. `BranchCenter` is a proxy for the branches.
"""

import re
from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q


class District(models.Model):
    """行政区划 (GB/T 2260)."""

    code = models.CharField("行政区划代码", max_length=6, unique=True,
                            validators=[RegexValidator(r"^\d{6}$", "行政区划代码应为6位数字")])
    name = models.CharField("名称", max_length=30, unique=True)

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["code"]

    def __str__(self):
        return self.name


class Department(models.Model):
    """主管部门: the department that owns (and co-manages) branch centres."""

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="departments",
                                 verbose_name="行政区划")
    name = models.CharField("部门名称", max_length=60)
    credit_code = models.CharField("统一社会信用代码", max_length=18, blank=True)
    item_total = models.PositiveIntegerField("部门政务服务事项总数", null=True, blank=True,
                                             help_text="本部门承担的政务服务和收费事项总数，用于计算“应进必进”进驻率")

    class Meta:
        verbose_name = "主管部门"
        verbose_name_plural = "主管部门"
        ordering = ["district", "name"]
        constraints = [models.UniqueConstraint(fields=["district", "name"], name="department_unique_name")]

    def __str__(self):
        return self.name

    def clean(self):
        from servicehall.lib.identity import IdentityError, validate_credit_code

        if self.credit_code:
            try:
                self.credit_code = validate_credit_code(self.credit_code)
            except IdentityError as exc:
                raise ValidationError({"credit_code": exc.message}) from exc


BRANCH_NAME_EXAMPLE = "税务"


def expected_branch_name(district_name: str) -> str:
    return f"{district_name}行政服务中心XX分中心"


def branch_name_error(name: str, district_name: str) -> str | None:
    """The notice, 三(一): 「<district>行政服务中心XX分中心」; None when the name fits."""
    pattern = rf"^{re.escape(district_name)}行政服务中心(?P<xx>[^\s]{{1,20}})分中心$"
    match = re.match(pattern, name or "")
    if match and "行政服务中心" not in match["xx"] and not match["xx"].endswith("分中心"):
        return None
    return (f"分中心名称须为“{expected_branch_name(district_name)}”格式，"
            f"如：{district_name}行政服务中心{BRANCH_NAME_EXAMPLE}分中心")


class CenterKind(models.TextChoices):
    CENTER = "center", "区行政服务中心"
    BRANCH = "branch", "分中心"


class ServiceCenterQuerySet(models.QuerySet):
    def for_user(self, user):
        from .selectors import visible_center_ids

        return self.filter(pk__in=visible_center_ids(user))

    def branches(self):
        return self.filter(kind=CenterKind.BRANCH)


class ServiceCenter(models.Model):
    code = models.CharField("中心编码", max_length=20, unique=True,
                            validators=[RegexValidator(r"^[A-Za-z0-9]{2,20}$", "中心编码应为2–20位字母或数字")])
    name = models.CharField("名称", max_length=80, unique=True)
    kind = models.CharField("类型", max_length=10, choices=CenterKind.choices, default=CenterKind.BRANCH)
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="centers", verbose_name="行政区划")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="centers", verbose_name="主管部门")
    parent = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                               related_name="branches", verbose_name="上级中心")
    address = models.CharField("地址", max_length=200, blank=True)
    phone = models.CharField("咨询电话", max_length=30, blank=True)
    complaint_phone = models.CharField("投诉电话", max_length=30, blank=True)
    opens_at = models.TimeField("开始办公", default=time(8, 30))
    closes_at = models.TimeField("结束办公", default=time(17, 0))
    # 文书代字: the issuing organ's short form in the numbers of the documents it hands over
    # (龙港公法受〔2026〕15号); blank: the district's name and the branch's first two characters.
    doc_prefix = models.CharField("文书代字", max_length=12, blank=True)
    # The midday break (午休): no appointment slot runs through it. Both blank: no break.
    break_starts = models.TimeField("午休开始", null=True, blank=True, default=time(12, 0))
    break_ends = models.TimeField("午休结束", null=True, blank=True, default=time(13, 30))
    is_active = models.BooleanField("启用", default=True)

    objects = ServiceCenterQuerySet.as_manager()

    class Meta:
        verbose_name = "服务中心"
        verbose_name_plural = "服务中心"
        ordering = ["district", "kind", "code"]
        constraints = [
            models.UniqueConstraint(fields=["district"], condition=Q(kind="center"), name="one_center_per_district"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_branch(self) -> bool:
        return self.kind == CenterKind.BRANCH

    @property
    def short_name(self) -> str:
        """The name a chart or a narrow table shows: "公共法律服务" for "龙港区行政服务中心公共法律服务分中心",
        "区中心" for the district centre itself (reads `district`: select it with the centre)."""
        return self.name.removeprefix(f"{self.district.name}行政服务中心").removesuffix("分中心") or "区中心"

    def opening_periods(self) -> list[tuple[time, time]]:
        """A working day's open periods: the hours less the midday break."""
        if self.break_starts and self.break_ends:
            return [(self.opens_at, self.break_starts), (self.break_ends, self.closes_at)]
        return [(self.opens_at, self.closes_at)]

    @property
    def document_prefix(self) -> str:
        if self.doc_prefix:
            return self.doc_prefix
        district = self.district.name.rstrip("区县市") if self.district_id else ""
        part = self.name.removeprefix(f"{self.district.name}行政服务中心" if self.district_id else "")
        return district + (part.removesuffix("分中心")[:2] or "政服")

    @property
    def hours_label(self) -> str:
        """"8:30—12:00，13:30—17:00", as a guide prints it."""
        return "，".join(f"{a.hour}:{a.minute:02d}—{b.hour}:{b.minute:02d}" for a, b in self.opening_periods())

    def clean(self):
        errors = {}
        if self.kind == CenterKind.BRANCH:
            if self.district_id:
                message = branch_name_error(self.name, self.district.name)
                if message:
                    errors["name"] = message
            if not self.department_id:
                errors["department"] = "分中心须指定主管部门"
            elif self.district_id and self.department.district_id != self.district_id:
                errors["department"] = "主管部门须属于同一行政区划"
            if self.parent_id and self.parent.district_id != self.district_id:
                errors["parent"] = "上级中心须属于同一行政区划"
        elif self.district_id and self.name != f"{self.district.name}行政服务中心":
            errors["name"] = f"区行政服务中心名称应为“{self.district.name}行政服务中心”"
        if self.opens_at and self.closes_at and self.opens_at >= self.closes_at:
            errors["closes_at"] = "结束办公时间须晚于开始办公时间"
        elif (self.break_starts is None) != (self.break_ends is None):
            errors["break_ends"] = "午休开始和结束时间须同时填写，或都不填（无午休）"
        elif self.break_starts and not (self.opens_at < self.break_starts < self.break_ends < self.closes_at):
            errors["break_ends"] = "午休须在办公时间之内，且结束晚于开始"
        if errors:
            raise ValidationError(errors)


class BranchCenterManager(models.Manager.from_queryset(ServiceCenterQuerySet)):
    def get_queryset(self):
        return super().get_queryset().filter(kind=CenterKind.BRANCH)


class BranchCenter(ServiceCenter):
    """分中心: a ServiceCenter of kind branch (proxy, same table)."""

    objects = BranchCenterManager()

    class Meta:
        proxy = True
        verbose_name = "分中心"
        verbose_name_plural = "分中心"


class CenterOwnedQuerySet(models.QuerySet):
    """The one door for centre-owned rows: `Model.objects.for_user(user)`."""

    def for_user(self, user):
        from .selectors import visible_center_ids

        return self.filter(center_id__in=visible_center_ids(user))


class WindowKind(models.TextChoices):
    ACCEPTANCE = "acceptance", "综合受理"
    CASHIER = "cashier", "收费"
    COMPLAINT = "complaint", "投诉"
    INQUIRY = "inquiry", "咨询·综合资讯台"


class Window(models.Model):
    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="windows", verbose_name="所属中心")
    number = models.PositiveIntegerField("窗口号")
    name = models.CharField("窗口名称", max_length=60)
    kind = models.CharField("窗口类型", max_length=20, choices=WindowKind.choices, default=WindowKind.ACCEPTANCE)
    opens_at = models.TimeField("开始办公", default=time(8, 30))
    closes_at = models.TimeField("结束办公", default=time(17, 0))
    is_active = models.BooleanField("启用", default=True)

    objects = CenterOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "窗口"
        verbose_name_plural = "窗口"
        ordering = ["center", "number"]
        constraints = [models.UniqueConstraint(fields=["center", "number"], name="window_unique_number")]

    def __str__(self):
        return f"{self.number}号窗口 {self.name}"

    def clean(self):
        if self.opens_at and self.closes_at and self.opens_at >= self.closes_at:
            raise ValidationError({"closes_at": "结束办公时间须晚于开始办公时间"})


class Staff(models.Model):
    """窗口人员: a person serving at windows; may have a login (window staff role)."""

    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="staff", verbose_name="所属中心")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="staff_profile", verbose_name="登录账号")
    name = models.CharField("姓名", max_length=50)
    employee_no = models.CharField("工号", max_length=20)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="staff", verbose_name="派驻部门")
    phone = models.CharField("手机号码", max_length=20, blank=True)
    position = models.CharField("岗位", max_length=40, blank=True)
    is_active = models.BooleanField("在岗", default=True)

    objects = CenterOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "窗口人员"
        verbose_name_plural = "窗口人员"
        ordering = ["center", "employee_no"]
        constraints = [models.UniqueConstraint(fields=["center", "employee_no"], name="staff_unique_employee_no")]

    def __str__(self):
        return f"{self.name}（{self.employee_no}）"


class BackupPost(models.Model):
    """AB岗: every window post has a holder (A) and a named stand-in (B)."""

    center = models.ForeignKey(ServiceCenter, on_delete=models.PROTECT, related_name="backup_posts",
                               verbose_name="所属中心")
    window = models.OneToOneField(Window, on_delete=models.CASCADE, related_name="post", verbose_name="窗口")
    holder = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="held_posts", verbose_name="A岗（主办）")
    backup_staff = models.ForeignKey(Staff, on_delete=models.PROTECT, related_name="backup_posts",
                                     verbose_name="B岗（替岗）")

    objects = CenterOwnedQuerySet.as_manager()

    class Meta:
        verbose_name = "AB岗"
        verbose_name_plural = "AB岗"
        ordering = ["center", "window__number"]
        constraints = [
            models.CheckConstraint(condition=~Q(holder=models.F("backup_staff")), name="backup_post_two_people"),
        ]

    def __str__(self):
        return f"{self.window}：A岗 {self.holder.name}，B岗 {self.backup_staff.name}"

    def clean(self):
        errors = {}
        if self.holder_id and self.backup_staff_id and self.holder_id == self.backup_staff_id:
            errors["backup_staff"] = "B岗不能与A岗为同一人"
        if self.window_id and self.window.center_id != self.center_id:
            errors["window"] = "窗口不属于本中心"
        if self.holder_id and self.holder.center_id != self.center_id:
            errors["holder"] = "A岗人员不属于本中心"
        if self.backup_staff_id and self.backup_staff.center_id != self.center_id:
            errors["backup_staff"] = "B岗人员不属于本中心"
        for field in ("holder", "backup_staff"):
            person = getattr(self, field) if getattr(self, f"{field}_id") else None
            if person is not None and not person.is_active and field not in errors:
                errors[field] = "该人员不在岗"
        if errors:
            raise ValidationError(errors)


class Membership(models.Model):
    """A user's place: a centre, or a department (its managers co-manage its branch centres)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships",
                             verbose_name="用户")
    center = models.ForeignKey(ServiceCenter, on_delete=models.CASCADE, null=True, blank=True,
                               related_name="memberships", verbose_name="中心")
    department = models.ForeignKey(Department, on_delete=models.CASCADE, null=True, blank=True,
                                   related_name="memberships", verbose_name="主管部门")

    class Meta:
        verbose_name = "中心成员"
        verbose_name_plural = "中心成员"
        constraints = [
            models.CheckConstraint(
                condition=(Q(center__isnull=False) & Q(department__isnull=True))
                | (Q(center__isnull=True) & Q(department__isnull=False)),
                name="membership_center_xor_department",
            ),
            models.UniqueConstraint(fields=["user", "center"], name="membership_unique_center"),
            models.UniqueConstraint(fields=["user", "department"], name="membership_unique_department"),
        ]

    def __str__(self):
        return f"{self.user} @ {self.center or self.department}"
