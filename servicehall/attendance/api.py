"""Attendance over the API: punches from devices that do not speak iclock, with the device's
own key (`X-Device-Key`, given when the centre's manager registered it)."""

from typing import Annotated

from django.utils import timezone
from ninja import Router, Schema
from pydantic import Field

from servicehall.api_schemas import Moment, errors, text
from servicehall.lib.errors import Forbidden

from . import selectors, services
from .models import PunchSource, PunchState

router = Router(tags=["考勤"])

MAX_PUNCHES = 10_000  # a day's punches of a large centre, in one request

FIELD_LABELS = {"punches": "打卡记录", "pin": "工号", "at": "打卡时间", "verify": "验证方式"}


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


@router.post("/attendance/punches", auth=None, response={200: PunchesOut, **errors(400, 403)},
             summary="上传打卡记录（考勤设备）")
def punches_upload(request, payload: PunchesIn):
    """Punches of the device's centre, stored once each: the same upload again adds nothing.
    Lines the centre cannot take are counted in `refused` and listed for its manager."""
    device = selectors.device_by_key(request.headers.get("X-Device-Key", ""))
    if device is None:
        raise Forbidden("设备密钥无效或设备已停用")
    lines = [services.Line(pin=p.pin, at=timezone.localtime(p.at).strftime("%Y-%m-%d %H:%M:%S"),
                           state=str(p.state), verify=str(p.verify), raw=f"{p.pin}\t{p.at.isoformat()}")
             for p in payload.punches]
    received = services.punches_receive(device=device, lines=lines, source=PunchSource.API)
    return {"received": received.lines, "refused": received.refused}
