"""Attendance over the API: punches from devices that do not speak iclock, with the device's
own key (`X-Device-Key`, given when the centre's manager registered it); the days' results
(scoped: a window's staff reads their own); leave applied for, approved, rejected, cancelled."""

from datetime import date, datetime
from typing import Annotated, Literal

from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field

from servicehall.accounts.api_auth import permitted
from servicehall.api_schemas import CenterCode, Id, IsoDate, Moment, Reason, errors, text
from servicehall.lib.errors import Forbidden, Invalid, NotFound
from servicehall.org.models import Staff
from servicehall.org.selectors import center_for_user

from . import selectors, services
from .models import DayResult, Leave, LeaveKind, PunchSource, PunchState

router = Router(tags=["考勤"])

MAX_PUNCHES = 10_000  # a day's punches of a large centre, in one request

FIELD_LABELS = {"punches": "打卡记录", "pin": "工号", "at": "打卡时间", "verify": "验证方式", "month": "月份",
                "kind": "请假类型", "starts_on": "开始日期", "starts_half": "开始时段", "ends_on": "结束日期",
                "ends_half": "结束时段", "handover": "交接说明", "stand_in": "顶岗人员", "leave_id": "请假编号",
                "staff": "请假人员"}


class PunchIn(Schema):
    pin: text(20, description="工号（考勤号）")
    at: Moment
    state: int = Field(default=PunchState.CHECK_IN, ge=0, le=5, description="0 上班 1 下班 2 外出 3 返回 4/5 加班")
    verify: int = Field(default=0, ge=0, le=999, description="验证方式：1 指纹 3 刷卡 15 人脸")


class PunchesIn(Schema):
    punches: Annotated[list[PunchIn], Field(min_length=1, max_length=MAX_PUNCHES)]


class PunchesOut(Schema):
    received: int
    refused: int


def _local_text(moment: datetime) -> str:
    """The hall's local time as a terminal writes it; a moment past the calendar's ends gives
    text the service refuses as no time."""
    try:
        return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")
    except (OverflowError, ValueError):
        return "0000-00-00 00:00:00"


@router.post("/attendance/punches", auth=None, response={200: PunchesOut, **errors(400, 403)},
             summary="上传打卡记录（考勤设备）")
def punches_upload(request, payload: PunchesIn):
    """Punches of the device's centre, stored once each: the same upload again adds nothing.
    Lines the centre cannot take are counted in `refused` and listed for its manager."""
    device = selectors.device_by_key(request.headers.get("X-Device-Key", ""))
    if device is None:
        raise Forbidden("设备密钥无效或设备已停用")
    lines = [services.Line(pin=p.pin, at=_local_text(p.at), state=str(p.state), verify=str(p.verify),
                           raw=f"{p.pin}\t{p.at.isoformat()}") for p in payload.punches]
    received = services.punches_receive(device=device, lines=lines, source=PunchSource.API)
    return {"received": received.lines, "refused": received.refused}


class HalfOut(Schema):
    half: str = Field(description="am 上午 / pm 下午")
    outcome: str
    leave: str = Field(description="请假类型；未请假为空")
    late_minutes: int
    early_minutes: int
    check_in: str | None = Field(description="签到时间 HH:MM:SS")
    check_out: str | None = Field(description="签退时间 HH:MM:SS")


class DayOut(Schema):
    center: str
    staff: str
    employee_no: str
    day: date
    outcome: str = Field(description="normal 正常 / late 迟到 / early 早退 / late_early 迟到并早退 / missing 缺卡 / "
                                     "absent 旷工 / leave 请假")
    outcome_label: str
    late_minutes: int
    early_minutes: int
    absent_halves: int = Field(description="旷工（半天数）")
    leave_halves: int = Field(description="请假（半天数）")
    halves: list[HalfOut]


class DayFilters(Schema):
    center: CenterCode | None = None
    month: Annotated[str, Field(max_length=7, pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="月份，如 2026-10")]


@router.get("/attendance/days", auth=permitted("attendance.view"),
            response={200: list[DayOut], **errors(400, 401, 403, 404)}, summary="每日考勤结果（按月）")
def days_list(request, filters: Query[DayFilters]):
    """A month's results of the centres the caller sees; a window's staff sees their own."""
    year, month = map(int, filters.month.split("-"))
    if not 2000 <= year <= 2100:
        raise Invalid("月份：应在2000年至2100年之间", field="month")
    days = DayResult.objects.for_user(request.user).filter(day__year=year, day__month=month)
    if filters.center:
        days = days.filter(center=center_for_user(request.user, filters.center))
    if selectors.sees_own_only(request.user):
        days = days.filter(staff__user=request.user)
    rows = days.select_related("center", "staff").order_by("center__code", "staff__employee_no", "day")[:20000]
    return [{"center": r.center.code, "staff": r.staff.name, "employee_no": r.staff.employee_no, "day": r.day,
             "outcome": r.outcome, "outcome_label": r.get_outcome_display(), "late_minutes": r.late_minutes,
             "early_minutes": r.early_minutes, "absent_halves": r.absent_halves, "leave_halves": r.leave_halves,
             "halves": r.halves} for r in rows]


class LeaveIn(Schema):
    staff: Id | None = Field(None, description="请假人员编号；不填为本人")
    kind: Literal[tuple(LeaveKind.values)] = Field(description="类型：" + "、".join(
        f"{value} {label}" for value, label in LeaveKind.choices))
    starts_on: IsoDate
    starts_half: Literal["am", "pm"] = "am"
    ends_on: IsoDate
    ends_half: Literal["am", "pm"] = "pm"
    reason: text(200)
    handover: text(500) = ""
    stand_in: Id | None = Field(None, description="顶岗人员编号（B岗不能到岗时）")


class LeaveOut(Schema):
    id: int
    center: str
    staff: str
    kind: str
    kind_label: str
    starts_on: date
    starts_half: str
    ends_on: date
    ends_half: str
    reason: str
    stand_in: str | None
    status: str = Field(description="pending 待审批 / approved 已批准 / rejected 未批准 / cancelled 已撤销")
    levels: int = Field(description="审批级数：1 分中心负责人；2 还须营商局")
    approved_levels: int
    created_at: datetime


def leave_out(leave: Leave) -> dict:
    return {"id": leave.pk, "center": leave.staff.center.code, "staff": leave.staff.name, "kind": leave.kind,
            "kind_label": leave.get_kind_display(), "starts_on": leave.starts_on, "starts_half": leave.starts_half,
            "ends_on": leave.ends_on, "ends_half": leave.ends_half, "reason": leave.reason,
            "stand_in": leave.stand_in.name if leave.stand_in_id else None, "status": leave.status,
            "levels": leave.levels, "approved_levels": leave.approved_levels, "created_at": leave.created_at}


def _staff(request, pk: int | None, field: str) -> Staff:
    if pk is None:
        own = Staff.objects.filter(user=request.user).select_related("center").first()
        if own is None:
            raise Invalid("请假人员：当前账号没有对应的窗口人员，请指定", field=field)
        return own
    found = Staff.objects.for_user(request.user).select_related("center").filter(pk=pk).first()
    if found is None:
        raise NotFound("未找到该人员")
    return found


@router.post("/leaves", auth=permitted("attendance.leave_apply"),
             response={201: LeaveOut, **errors(400, 401, 403, 404, 409)}, summary="申请请假")
def leave_create(request, payload: LeaveIn):
    staff = _staff(request, payload.staff, "staff")
    stand_in = None
    if payload.stand_in is not None:
        stand_in = Staff.objects.for_user(request.user).select_related("center").filter(pk=payload.stand_in).first()
        if stand_in is None:
            raise Invalid("顶岗人员：未找到该人员", field="stand_in")
    leave = services.leave_apply(actor=request.user, staff=staff, kind=payload.kind, starts_on=payload.starts_on,
                                 starts_half=payload.starts_half, ends_on=payload.ends_on,
                                 ends_half=payload.ends_half, reason=payload.reason, handover=payload.handover,
                                 stand_in=stand_in)
    return Status(201, leave_out(leave))


def _leave(request, leave_id: int) -> Leave:
    leave = (Leave.objects.for_user(request.user).select_related("staff__center", "stand_in")
             .filter(pk=leave_id).first())
    if leave is None:
        raise NotFound("未找到该请假")
    return leave


class NoteIn(Schema):
    note: Reason = ""


@router.post("/leaves/{leave_id}/approve", auth=permitted("attendance.leave_approve"),
             response={200: LeaveOut, **errors(400, 401, 403, 404, 409)}, summary="审批请假（分中心负责人）")
def leave_approve_view(request, leave_id: Id, payload: NoteIn):
    """The centre's manager approves; a leave of two levels then goes to the bureau
    (`/leaves/{id}/approve-long`). Refused (409) while a window would stand empty."""
    leave = services.leave_approve(actor=request.user, leave=_leave(request, leave_id), note=payload.note)
    return leave_out(_leave(request, leave.pk))


@router.post("/leaves/{leave_id}/approve-long", auth=permitted("attendance.leave_approve_long"),
             response={200: LeaveOut, **errors(400, 401, 403, 404, 409)}, summary="审批较长请假（营商局）")
def leave_approve_long_view(request, leave_id: Id, payload: NoteIn):
    leave = _leave(request, leave_id)
    if leave.approved_levels == 0:
        raise Forbidden("请先由分中心负责人审批")
    leave = services.leave_approve(actor=request.user, leave=leave, note=payload.note)
    return leave_out(_leave(request, leave.pk))


@router.post("/leaves/{leave_id}/reject", auth=permitted("attendance.leave_approve"),
             response={200: LeaveOut, **errors(400, 401, 403, 404, 409)}, summary="驳回请假")
def leave_reject_view(request, leave_id: Id, payload: NoteIn):
    leave = services.leave_reject(actor=request.user, leave=_leave(request, leave_id), note=payload.note)
    return leave_out(_leave(request, leave.pk))


@router.post("/leaves/{leave_id}/reject-long", auth=permitted("attendance.leave_approve_long"),
             response={200: LeaveOut, **errors(400, 401, 403, 404, 409)}, summary="驳回较长请假（营商局）")
def leave_reject_long_view(request, leave_id: Id, payload: NoteIn):
    leave = services.leave_reject(actor=request.user, leave=_leave(request, leave_id), note=payload.note)
    return leave_out(_leave(request, leave.pk))


@router.post("/leaves/{leave_id}/cancel", auth=permitted("attendance.leave_apply"),
             response={200: LeaveOut, **errors(400, 401, 403, 404, 409)}, summary="撤销请假")
def leave_cancel_view(request, leave_id: Id, payload: NoteIn):
    leave = services.leave_cancel(actor=request.user, leave=_leave(request, leave_id), note=payload.note)
    return leave_out(_leave(request, leave.pk))
