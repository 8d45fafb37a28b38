"""Centres, windows and staff over the API; the same services and scope as the pages."""

from datetime import time

from ninja import Router, Schema, Status

from servicehall.accounts.api_auth import permitted
from servicehall.api_schemas import CenterCode, Id, errors, text
from servicehall.lib.errors import Invalid
from servicehall.lib.masking import mask_phone

from .models import Department, District, ServiceCenter, Staff, Window
from .selectors import center_for_user, get_visible, user_districts
from .services import center_create

router = Router(tags=["组织机构"], auth=permitted("center.view"))


class CenterOut(Schema):
    code: str
    name: str
    kind: str
    district: str
    district_name: str
    department: str | None
    parent: str | None


def center_out(center: ServiceCenter) -> dict:
    return {
        "code": center.code,
        "name": center.name,
        "kind": center.kind,
        "district": center.district.code,
        "district_name": center.district.name,
        "department": center.department.name if center.department_id else None,
        "parent": center.parent.code if center.parent_id else None,
    }


class CenterIn(Schema):
    code: CenterCode
    name: text(80)
    department: text(60, description="部门名称") | Id
    district: text(6, description="行政区划代码") | None = None


@router.get("/centers", response={200: list[CenterOut], **errors(401, 403)}, summary="可见的中心列表")
def centers_list(request):
    centers = ServiceCenter.objects.for_user(request.user).select_related("district", "department", "parent")
    return [center_out(c) for c in centers]


@router.post("/centers", auth=permitted("center.create"), response={201: CenterOut, **errors(400, 401, 403, 409)},
             summary="新建分中心（营商局）")
def centers_create(request, payload: CenterIn):
    district = None
    if payload.district:
        district = District.objects.filter(code=payload.district).first()
        if district is None:
            raise Invalid("行政区划不存在", field="district")
    departments = Department.objects.filter(district__in=user_districts(request.user))
    if district is not None:
        departments = departments.filter(district=district)
    if isinstance(payload.department, int):
        department = departments.filter(pk=payload.department).first()
    else:
        department = departments.filter(name=payload.department.strip()).first()
    if department is None:
        raise Invalid("主管部门不存在", field="department")
    center = center_create(actor=request.user, code=payload.code, name=payload.name, department=department,
                           district=district or department.district)
    return Status(201, center_out(center))


class WindowOut(Schema):
    id: int
    center: str
    number: int
    name: str
    kind: str
    kind_label: str
    opens_at: time
    closes_at: time
    is_active: bool
    holder: str | None
    backup_staff: str | None


def window_out(window: Window) -> dict:
    post = getattr(window, "post", None)
    return {
        "id": window.pk, "center": window.center.code, "number": window.number, "name": window.name,
        "kind": window.kind, "kind_label": window.get_kind_display(), "opens_at": window.opens_at,
        "closes_at": window.closes_at, "is_active": window.is_active,
        "holder": post.holder.name if post else None, "backup_staff": post.backup_staff.name if post else None,
    }


def _windows(user):
    return Window.objects.for_user(user).select_related("center", "post__holder", "post__backup_staff")


@router.get("/centers/{code}/windows", response={200: list[WindowOut], **errors(401, 403, 404)}, summary="中心的窗口")
def center_windows(request, code: CenterCode):
    center = center_for_user(request.user, code)
    return [window_out(w) for w in _windows(request.user).filter(center=center)]


@router.get("/windows/{window_id}", response={200: WindowOut, **errors(400, 401, 403, 404)}, summary="窗口详情")
def window_detail(request, window_id: Id):
    window = get_visible(Window, request.user, window_id, label="窗口")
    return window_out(_windows(request.user).get(pk=window.pk))


class StaffOut(Schema):
    id: int
    center: str
    name: str
    employee_no: str
    position: str
    phone: str
    is_active: bool


def staff_out(staff: Staff) -> dict:
    return {"id": staff.pk, "center": staff.center.code, "name": staff.name, "employee_no": staff.employee_no,
            "position": staff.position, "phone": mask_phone(staff.phone), "is_active": staff.is_active}


@router.get("/centers/{code}/staff", response={200: list[StaffOut], **errors(401, 403, 404)}, summary="中心的窗口人员")
def center_staff(request, code: CenterCode):
    center = center_for_user(request.user, code)
    return [staff_out(s) for s in Staff.objects.for_user(request.user).filter(center=center).select_related("center")]


@router.get("/staff/{staff_id}", response={200: StaffOut, **errors(400, 401, 403, 404)}, summary="窗口人员详情")
def staff_detail(request, staff_id: Id):
    return staff_out(get_visible(Staff, request.user, staff_id, label="人员"))


