"""The API's one error shape, the bounded types every request field is declared with, and the
answer of its busiest endpoints, importable by every app's api.py.

Every string a request carries has a stated maximum length, every number its range and every
list its largest size (a test walks the OpenAPI document for it): what the code enforces is
what the document says, and a value past a bound gets 400 naming the field.
"""

import re
from datetime import date, datetime
from typing import Annotated

from django.http import JsonResponse
from django.utils import timezone
from ninja import Schema
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder
from pydantic import AwareDatetime, BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

MAX_ID = 2**63 - 1  # the database's bigint
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
CenterCode = Annotated[str, Field(max_length=20)]  # ServiceCenter.code
Prefix = Annotated[str, Field(max_length=1, description="业务类别字母")]
Phone = Annotated[str, Field(max_length=20)]
IdNumber = Annotated[str, Field(max_length=18, description="身份证号码（18位）")]
Reason = Annotated[str, Field(max_length=1000)]


def text(max_length: int, **field) -> type:
    """A string of at most `max_length` characters."""
    return Annotated[str, Field(max_length=max_length, **field)]


def _date_text(value):
    """Dates come as text, YYYY-MM-DD: pydantic would read 0 (or "0") as 1 January 1970."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        raise PydanticCustomError("date_type", "date as YYYY-MM-DD")
    return value.strip()


IsoDate = Annotated[date, BeforeValidator(_date_text), WithJsonSchema({"type": "string", "format": "date"})]
# A moment given to the API carries its offset (2026-12-07T09:00:00+08:00): without it, "9:00"
# could be Beijing time or UTC, eight hours apart.
Moment = AwareDatetime


class LocalTimeEncoder(NinjaJSONEncoder):
    """Every moment the API answers is Beijing time with its offset (+08:00), the hall's clock."""

    def default(self, o):
        if isinstance(o, datetime) and timezone.is_aware(o):
            o = timezone.localtime(o)
        return super().default(o)


class LocalTimeRenderer(JSONRenderer):
    encoder_class = LocalTimeEncoder


class ErrorOut(Schema):
    error: str
    message: str
    field: str | None = None


def errors(*statuses: int) -> dict:
    """Response declarations for the error statuses an endpoint can give."""
    return {status: ErrorOut for status in statuses}


# Chinese names of the request fields every router shares, for validation messages
# ("工作日数：应为整数"); each router's api.py adds its own (`FIELD_LABELS`, merged by servicehall/api.py).
FIELD_LABELS = {
    "start": "起算日", "days": "工作日数", "code": "编码", "name": "名称", "department": "主管部门",
    "district": "行政区划", "actor": "操作人", "center": "中心", "action": "操作", "day": "日期", "limit": "条数",
    # path parameters
    "event_id": "审计记录编号", "number": "办件编号", "change_id": "变更申请编号", "staff_id": "人员编号",
    "ticket_id": "排队号编号", "window_id": "窗口编号", "review_id": "评价编号", "booking_code": "预约码",
}


def hot_json(body: dict, status: int = 200) -> JsonResponse:
    """The answer of an endpoint pressed all day (issuing, calling, accepting a case), sent as
    it is built: ninja would validate it against the declared schema once more. Each such
    endpoint builds exactly its declared schema, and a test holds it to it."""
    return JsonResponse(body, status=status, encoder=LocalTimeEncoder, content_type="application/json; charset=utf-8")
