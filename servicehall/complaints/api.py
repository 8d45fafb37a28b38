"""Complaints over the API: the 12345 hotline system files a work order as a complaint, with
the key of an account that may file complaints (the bureau's, for every centre of its
district). One work order is filed once: the same number again answers 409."""

from datetime import date, datetime, timedelta
from typing import Literal

from django.db import IntegrityError
from django.utils import timezone
from ninja import Router, Schema, Status
from pydantic import Field

from servicehall.accounts.api_auth import permitted
from servicehall.accounts.permissions import can
from servicehall.api_schemas import CenterCode, Moment, Phone, errors, text
from servicehall.cases.models import Case
from servicehall.lib.errors import Conflict, Invalid
from servicehall.org.models import ServiceCenter, Staff, Window

from .models import Channel, Complaint, Kind
from .services import complaint_file

router = Router(tags=["投诉与意见建议"])

# The names of this router's request fields. Labels are merged across routers by name, so the
# fields avoid names another router labels otherwise ("kind" is a leave's type there, "staff"
# the person on leave, "name" an item's name).
FIELD_LABELS = {"hotline_order": "12345工单号", "appeal_type": "诉求类型", "title": "标题", "content": "诉求内容",
                "caller": "来电人", "received_at": "受理时间", "staff_no": "涉及人员工号", "anonymous": "匿名"}

ORDER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$"  # 12345 work order numbers: letters, digits, "-", "_"
MAX_WINDOW = 9999
# A receipt time a little ahead of our clock is the hotline's clock running fast; one more
# than a year back is a typing error (it would be numbered, and overdue, a year ago).
CLOCK_SKEW = timedelta(minutes=5)
OLDEST = timedelta(days=366)


class HotlineComplaintIn(Schema):
    hotline_order: text(40, pattern=ORDER_PATTERN,
                        description="12345工单号（字母、数字、“-”或“_”）；同一工单只登记一次")
    center: CenterCode = Field(description="涉及中心的编码")
    appeal_type: Literal[tuple(Kind.values)] = Field(description="诉求类型：" + "、".join(
        f"{value} {label}" for value, label in Kind.choices) + "（举报转营商局办理）")
    title: text(100, description="标题")
    content: text(5000, description="诉求内容")
    caller: text(50, description="来电人姓名；可不填") = ""
    phone: Phone = Field("", description="来电人手机号码（11位）；可不填")
    anonymous: bool = Field(False, description="来电人要求保密：不记录姓名和电话")
    received_at: Moment | None = Field(None, description="12345受理时间，带时区偏移；不填为现在。办理期限从该日起算")
    window: int | None = Field(None, ge=1, le=MAX_WINDOW, description="涉及窗口的窗口号（该中心的）")
    staff_no: text(20, description="涉及人员的工号（该中心的）") | None = None
    case: text(32, description="涉及办件的办件编号（该中心的）") | None = None


class HotlineComplaintOut(Schema):
    number: str = Field(description="投诉编号")
    query_code: str = Field(description="6位查询码，仅此一次返回：请告知来电人，凭编号和查询码查询办理进度")
    hotline_order: str
    center: str
    status: str
    status_label: str
    received_at: datetime
    sign_due: date = Field(description="应签收日期")
    due: date = Field(description="应办结日期")


def received_moment(value: datetime | None, now: datetime, *, field: str, label: str) -> datetime:
    """The hotline's receipt time, or now; refused naming `field` when ahead of the clock or more
    than a year back."""
    if value is None:
        return now
    if value > now + CLOCK_SKEW:
        raise Invalid(f"{label}：不能晚于当前时间", field=field)
    if value < now - OLDEST:
        raise Invalid(f"{label}：不能早于一年前", field=field)
    return value


def _center(user, code: str) -> ServiceCenter:
    """A centre the caller sees and may file for; any other code is refused alike (its
    existence elsewhere is not revealed)."""
    center = ServiceCenter.objects.for_user(user).filter(code=(code or "").strip()).first()
    if center is None or not can(user, "complaint.file", center):
        raise Invalid(f"中心：未找到编码为“{code}”的中心", field="center")
    return center


def _named(center: ServiceCenter, payload: HotlineComplaintIn) -> dict:
    """What the work order names, each of the named centre, as the ids `complaint_file` takes."""
    named = {"window": None, "staff": None, "case": None}
    if payload.window is not None:
        windows = Window.objects.filter(center=center, number=payload.window)
        named["window"] = windows.values_list("pk", flat=True).first()
        if named["window"] is None:
            raise Invalid(f"窗口：{center.name}没有{payload.window}号窗口", field="window")
    if payload.staff_no and payload.staff_no.strip():
        named["staff"] = (Staff.objects.filter(center=center, employee_no=payload.staff_no.strip())
                          .values_list("pk", flat=True).first())
        if named["staff"] is None:
            raise Invalid(f"涉及人员工号：{center.name}没有工号为{payload.staff_no.strip()}的人员", field="staff_no")
    if payload.case and payload.case.strip():
        cases = Case.objects.filter(center=center, number=payload.case.strip())
        named["case"] = cases.values_list("pk", flat=True).first()
        if named["case"] is None:
            raise Invalid(f"办件编号：在{center.name}未找到办件{payload.case.strip()}", field="case")
    return named


@router.post("/complaints", auth=permitted("complaint.file"),
             response={201: HotlineComplaintOut, **errors(400, 401, 403, 404, 409)},
             summary="登记12345热线工单（投诉与意见建议）")
def hotline_complaint_create(request, payload: HotlineComplaintIn):
    """A 12345 work order filed as a complaint of the named centre (channel 12345热线), numbered,
    routed and given its deadlines, counted in working days from the day 12345 received it.
    Refused: a centre the key's account cannot file for (400, `center`), a window, staff
    member or case not of that centre (400, naming the field), a work order already filed
    (409 `duplicate`, `hotline_order`)."""
    now = timezone.now()
    received = received_moment(payload.received_at, now, field="received_at", label="受理时间")
    for name in ("title", "content"):
        if not getattr(payload, name).strip():
            raise Invalid(f"{FIELD_LABELS[name]}：请填写", field=name)
    center = _center(request.user, payload.center)
    named = _named(center, payload)
    try:
        complaint, code = complaint_file(
            actor=request.user, channel=Channel.HOTLINE, kind=payload.appeal_type, center=center,
            title=payload.title, content=payload.content, name=payload.caller, phone=payload.phone,
            anonymous=payload.anonymous, hotline_order=payload.hotline_order, received_at=received, now=now,
            **named)
    except IntegrityError:  # the same work order filed at the same moment by a retry
        if not Complaint.objects.filter(hotline_order=payload.hotline_order.strip()).exists():
            raise
        raise Conflict(f"12345工单号：工单{payload.hotline_order.strip()}已登记", code="duplicate",
                       field="hotline_order") from None
    return Status(201, {"number": complaint.number, "query_code": code, "hotline_order": complaint.hotline_order,
                        "center": center.code, "status": complaint.status,
                        "status_label": complaint.get_status_display(), "received_at": complaint.received_at,
                        "sign_due": complaint.sign_due, "due": complaint.due})
