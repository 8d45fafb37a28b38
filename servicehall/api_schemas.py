"""The API's one error shape and the answer of its busiest endpoints, importable by every
app's api.py."""

from django.http import JsonResponse
from ninja import Schema
from ninja.responses import NinjaJSONEncoder


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
}


def hot_json(body: dict, status: int = 200) -> JsonResponse:
    """The answer of an endpoint pressed all day (issuing, calling, accepting a case), sent as
    it is built: ninja would validate it against the declared schema once more. Each such
    endpoint builds exactly its declared schema, and a test holds it to it."""
    return JsonResponse(body, status=status, encoder=NinjaJSONEncoder, content_type="application/json; charset=utf-8")
