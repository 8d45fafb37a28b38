"""Writes to the organisation. Each is atomic, validated with full_clean and audited."""

from datetime import datetime

from django.db import IntegrityError, transaction

from servicehall.accounts.permissions import SEES_ALL_CENTRES, can, require
from servicehall.audit.services import audit_record, snapshot
from servicehall.lib.errors import Conflict, Forbidden, Invalid, NotFound, full_clean_or_invalid

from .models import BackupPost, CenterKind, Department, District, ServiceCenter, Staff, Window
from .selectors import visible_center_ids


def _require_manage(actor, center: ServiceCenter) -> None:
    require(actor, "center.manage", center)


def _save_new(instance, *, conflict_field: str | None, conflict_message: str):
    full_clean_or_invalid(instance)
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        raise Conflict(conflict_message, field=conflict_field) from exc
    return instance


@transaction.atomic
def center_create(
    *, actor, code: str, name: str, department: Department | None, district: District | None = None,
    address: str = "", phone: str = "", complaint_phone: str = "", now: datetime | None = None,
) -> ServiceCenter:
    """A new branch centre; the name must follow the notice's pattern for its district."""
    require(actor, "center.create")
    if district is None:
        districts = list(District.objects.filter(centers__in=visible_center_ids(actor)).distinct()[:2])
        if len(districts) != 1:
            raise Invalid("请选择行政区划", field="district")
        district = districts[0]
    if actor.role not in SEES_ALL_CENTRES and not district.centers.filter(pk__in=visible_center_ids(actor)).exists():
        raise Forbidden("只能在本区新建分中心", field="district")
    parent = ServiceCenter.objects.filter(district=district, kind=CenterKind.CENTER).first()
    center = ServiceCenter(
        code=(code or "").strip(), name=(name or "").strip(), kind=CenterKind.BRANCH, district=district,
        department=department, parent=parent, address=address, phone=phone, complaint_phone=complaint_phone,
    )
    if ServiceCenter.objects.filter(code=center.code).exists():
        raise Conflict("中心编码已被使用", field="code")
    if ServiceCenter.objects.filter(name=center.name).exists():
        raise Conflict("已有同名中心", field="name")
    _save_new(center, conflict_field=None, conflict_message="中心编码或名称刚被占用，请更换后重试")
    audit_record(actor=actor, action="center.create", obj=center, center=center, after=snapshot(center), now=now)
    return center


BUREAU_ONLY_FIELDS = ("name", "department", "is_active")  # what makes a centre what it is
CENTER_EDITABLE = ("name", "department", "address", "phone", "complaint_phone", "opens_at", "closes_at", "break_starts",
                   "break_ends", "doc_prefix", "is_active")


def _apply(instance, changes: dict, editable: tuple[str, ...]) -> None:
    for key, value in changes.items():
        if key not in editable:
            raise Invalid(f"不能修改字段 {key}", field=key)
        setattr(instance, key, value.strip() if isinstance(value, str) else value)


@transaction.atomic
def center_update(*, actor, center: ServiceCenter, now: datetime | None = None, **changes) -> ServiceCenter:
    _require_manage(actor, center)
    if not can(actor, "center.define", center):
        for field in BUREAU_ONLY_FIELDS:
            if field in changes and changes[field] != getattr(center, field):
                label = ServiceCenter._meta.get_field(field).verbose_name
                raise Forbidden(f"{label}由营商局修改", field=field)
    before = snapshot(center)
    _apply(center, changes, CENTER_EDITABLE)
    full_clean_or_invalid(center)
    center.save()
    audit_record(actor=actor, action="center.update", obj=center, center=center, before=before,
                 after=snapshot(center), now=now)
    return center


def _save_owned(*, actor, instance, changes: dict, editable: tuple[str, ...], unique_field: str,
                conflict_message: str, action: str, now: datetime | None, check=None):
    """Create or update a centre-owned row: permission, field whitelist, the per-centre
    unique number, model validation, then one audit row with before and after."""
    center = instance.center
    _require_manage(actor, center)
    creating = instance.pk is None
    before = None if creating else snapshot(instance)
    _apply(instance, changes, editable)
    if check is not None:
        check(instance)
    siblings = type(instance).objects.filter(center=center, **{unique_field: getattr(instance, unique_field)})
    if siblings.exclude(pk=instance.pk).exists():
        raise Conflict(conflict_message, field=unique_field)
    full_clean_or_invalid(instance, validate_unique=False)
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        raise Conflict(conflict_message, field=unique_field) from exc
    audit_record(actor=actor, action=f"{action}.{'create' if creating else 'update'}", obj=instance, center=center,
                 before=before, after=snapshot(instance), now=now)
    return instance


WINDOW_EDITABLE = ("number", "name", "kind", "opens_at", "closes_at", "is_active")


@transaction.atomic
def window_create(*, actor, center: ServiceCenter, now: datetime | None = None, **fields) -> Window:
    return window_update(actor=actor, window=Window(center=center), now=now, **fields)


@transaction.atomic
def window_update(*, actor, window: Window, now: datetime | None = None, **changes) -> Window:
    return _save_owned(actor=actor, instance=window, changes=changes, editable=WINDOW_EDITABLE, unique_field="number",
                       conflict_message="本中心已有该窗口号", action="window", now=now)


STAFF_EDITABLE = ("name", "employee_no", "department", "phone", "position", "is_active")


def _check_staff(staff: Staff) -> None:
    from servicehall.lib.identity import IdentityError, validate_mobile

    if staff.phone:
        try:
            staff.phone = validate_mobile(staff.phone)
        except IdentityError as exc:
            raise Invalid(exc.message, field="phone") from exc
    if staff.pk and not staff.is_active and (staff.held_posts.exists() or staff.backup_posts.exists()):
        raise Invalid("该人员仍在AB岗上，请先调整AB岗再设为离岗", field="is_active")


@transaction.atomic
def staff_create(*, actor, center: ServiceCenter, now: datetime | None = None, **fields) -> Staff:
    return staff_update(actor=actor, staff=Staff(center=center), now=now, **fields)


@transaction.atomic
def staff_update(*, actor, staff: Staff, now: datetime | None = None, **changes) -> Staff:
    return _save_owned(actor=actor, instance=staff, changes=changes, editable=STAFF_EDITABLE,
                       unique_field="employee_no", conflict_message="本中心已有该工号", action="staff", now=now,
                       check=_check_staff)


@transaction.atomic
def backup_post_set(*, actor, window: Window, holder: Staff, backup_staff: Staff,
                    now: datetime | None = None) -> BackupPost:
    """Name the A (holder) and B (stand-in) of a window post, replacing any earlier pair."""
    _require_manage(actor, window.center)
    Window.objects.select_for_update().get(pk=window.pk)  # one AB-post change per window at a time
    post = BackupPost.objects.filter(window=window).first()
    before = snapshot(post) if post else None
    if post is None:
        post = BackupPost(window=window, center=window.center)
    post.holder, post.backup_staff = holder, backup_staff
    full_clean_or_invalid(post)
    post.save()
    audit_record(actor=actor, action="backup_post.set", obj=post, center=window.center, before=before,
                 after=snapshot(post), now=now)
    return post


@transaction.atomic
def department_item_total_set(*, actor, department: Department, total: int | None,
                              now: datetime | None = None) -> Department:
    """The bureau records how many service items a department holds (the 应进必进 base)."""
    require(actor, "department.item_total")
    if not department.district.centers.filter(pk__in=visible_center_ids(actor)).exists():
        raise NotFound("未找到该部门")
    if total is not None and not 0 <= total <= 10000:
        raise Invalid("部门事项总数应在0至10000之间", field="item_total")
    before = {"item_total": department.item_total}
    Department.objects.filter(pk=department.pk).update(item_total=total)
    department.refresh_from_db()
    audit_record(actor=actor, action="department.item_total", obj=department, before=before,
                 after={"item_total": total}, now=now)
    return department


def staff_personal_view(*, actor, staff: Staff, now: datetime | None = None) -> Staff:
    """Opening a staff record with its unmasked personal data is itself audited."""
    _require_manage(actor, staff.center)
    audit_record(actor=actor, action="staff.view", obj=staff, center=staff.center, now=now)
    return staff
