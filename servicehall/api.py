"""The versioned JSON API at /api/v1/: one NinjaAPI, one error shape, routers per app.

Every error is `{"error": code, "message": Chinese text, "field": name | null}`; request
validation answers 400 (not the framework's 422) and names the offending field.
"""

import logging

from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import Http404
from ninja import NinjaAPI, Schema, Status
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from servicehall.accounts.api_auth import API_AUTH
from servicehall.api_schemas import FIELD_LABELS as SHARED_LABELS
from servicehall.api_schemas import ErrorOut, LocalTimeRenderer
from servicehall.errors import unavailable
from servicehall.lib.errors import ServiceError, error_body

logger = logging.getLogger("servicehall.api")

class ServiceHallApi(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        """Every operation that takes parameters or a body can refuse them with 400: declared
        here once, so that no endpoint, present or future, answers a status its document
        does not list."""
        schema = super().get_openapi_schema(*args, **kwargs)
        refused = {"description": "请求内容不正确：字段缺失、格式不符或超出所列长度、范围"
                                  "（error 为 invalid，field 指明字段）",
                   "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}}
        for operations in schema["paths"].values():
            for operation in operations.values():
                if (operation.get("parameters") or operation.get("requestBody")) and 400 not in operation["responses"]:
                    operation["responses"][400] = refused
        return schema


api = ServiceHallApi(
    title="政务服务分中心管理平台 API",
    version="1",
    description="ServiceHall 接口。认证：浏览器会话，或 `Authorization: Bearer <密钥>`。"
                "错误统一为 `{\"error\", \"message\", \"field\"}`，超出所列长度或范围的值答 400 并指明字段。"
                "日期写作 `YYYY-MM-DD`；时间带时区偏移，答复中一律为北京时间（`+08:00`）。",
    renderer=LocalTimeRenderer(),
    auth=API_AUTH,
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def error_response(request, status: int, code: str, message: str, field: str | None = None):
    return api.create_response(request, error_body(code, message, field), status=status)


PYDANTIC_MESSAGES = {
    "missing": "为必填项",
    "string_type": "应为文本",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "bool_parsing": "应为是或否",
    "bool_type": "应为是或否",
    "date_parsing": "日期格式应为YYYY-MM-DD",
    "date_from_datetime_parsing": "日期格式应为YYYY-MM-DD",
    "date_type": "日期格式应为YYYY-MM-DD",
    "datetime_parsing": "时间格式不正确",
    "string_too_long": "不能超过{max_length}个字符",
    "string_too_short": "不能少于{min_length}个字符",
    "too_long": "不能超过{max_length}项",
    "greater_than_equal": "不能小于{ge}",
    "less_than_equal": "不能大于{le}",
    "datetime_type": "时间格式不正确",
    "timezone_aware": "须带时区偏移，如 2026-12-07T09:00:00+08:00",
    "json_invalid": "请求内容不是有效的JSON",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内",
}


# The names pydantic puts in an error's location for the member of a union it tried ("str",
# "int", "list[int]", "function-after[…]"): they are no field of the request.
_TYPE_TAGS = {"str", "int", "float", "bool", "list", "dict", "none", "date", "datetime", "decimal"}


def _field_name(loc) -> str | None:
    """The request's own name of the field an error is about: "department", never
    "department.str"."""
    parts = [str(p) for p in loc[1:] if not isinstance(p, int)]
    if parts and parts[0] in {"payload", "data", "body"}:
        parts = parts[1:]
    parts = [p for p in parts if p not in _TYPE_TAGS and "[" not in p and "-" not in p]
    return ".".join(parts) or None


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    first = exc.errors[0] if exc.errors else {}
    field = _field_name(first.get("loc", ()))
    message = PYDANTIC_MESSAGES.get(first.get("type", ""), "格式不正确")
    try:  # the bound the value passed, from the error's context
        message = message.format(**first.get("ctx", {}))
    except (KeyError, IndexError):
        message = "格式不正确"
    label = FIELD_LABELS.get((field or "").rsplit(".", 1)[-1], field)
    return error_response(request, 400, "invalid", f"{label}：{message}" if label else message, field)


@api.exception_handler(ServiceError)
def on_service_error(request, exc: ServiceError):
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(AuthenticationError)
def on_authentication_error(request, exc):
    return error_response(request, 401, "not_authenticated", "请先登录或提供有效的接口密钥")


@api.exception_handler(AuthorizationError)
def on_authorization_error(request, exc):
    return error_response(request, 403, "forbidden", "没有权限执行此操作")


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def on_database_down(request, exc):
    logger.warning("database unavailable: %s", exc)
    return unavailable(request, exc)


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return error_response(request, 404, "not_found", "未找到")


HTTP_ERRORS = {
    400: ("invalid", "请求内容不正确，请检查后重试"),
    401: ("not_authenticated", "请先登录或提供有效的接口密钥"),
    403: ("forbidden", "安全校验未通过，请刷新页面后重试"),
    404: ("not_found", "未找到"),
    405: ("method_not_allowed", "不支持该请求方法"),
    409: ("conflict", "操作冲突，请刷新后重试"),
}


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    """The framework's own errors (unparsable body, CSRF…) carry English text: say it in Chinese."""
    code, message = HTTP_ERRORS.get(exc.status_code, ("error", "请求无法处理"))
    return error_response(request, exc.status_code, code, message)


@api.exception_handler(Exception)
def on_unexpected(request, exc):
    logger.exception("unhandled API error")
    return error_response(request, 500, "server_error", "服务器内部错误，请稍后重试")


class HealthOut(Schema):
    status: str
    database: str


@api.get("/health", auth=None, response={200: HealthOut, 503: ErrorOut}, tags=["系统"], summary="健康检查")
def health(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        logger.exception("health check: database unavailable")
        return Status(503, error_body("unavailable", "数据库不可用"))
    return {"status": "ok", "database": connection.vendor}


def _add_routers() -> dict[str, str]:
    """Each app's router, in the order its URLs are tried: the queue's (every ticket and call)
    and the cases' first. Returns the Chinese names of every router's request fields."""
    from servicehall.attendance import api as attendance_api
    from servicehall.audit import api as audit_api
    from servicehall.cases import api as cases_api
    from servicehall.catalog import api as catalog_api
    from servicehall.complaints import api as complaints_api
    from servicehall.org import api as org_api
    from servicehall.queueing import api as queue_api
    from servicehall.reviews import api as reviews_api
    from servicehall.supervision import api as supervision_api
    from servicehall.workcalendar import api as calendar_api

    labels = dict(SHARED_LABELS)
    for prefix, module in (("", queue_api), ("", cases_api), ("", org_api), ("/calendar", calendar_api),
                           ("/audit", audit_api), ("", catalog_api), ("", reviews_api),
                           ("", attendance_api), ("", complaints_api), ("/supervision", supervision_api)):
        api.add_router(prefix, module.router)
        labels.update(getattr(module, "FIELD_LABELS", {}))
    return labels


FIELD_LABELS = _add_routers()
