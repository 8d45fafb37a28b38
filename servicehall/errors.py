"""Chinese error pages; API paths get the JSON error shape instead."""

import sys

from django.db import InterfaceError, OperationalError
from django.shortcuts import render

from servicehall.lib.errors import error_json


def _api(request) -> bool:
    return request.path.startswith("/api/")


def forbidden(request, exception=None):
    message = str(exception or "") or "您没有访问此页面的权限。"
    if _api(request):
        return error_json(403, "forbidden", message)
    return render(request, "errors/error.html", {"title": "没有权限", "message": message}, status=403)


def not_found(request, exception=None):
    if _api(request):
        return error_json(404, "not_found", "未找到")
    return render(request, "errors/error.html", {"title": "页面不存在",
                                                 "message": "未找到您要访问的内容，或您无权查看。"}, status=404)


RETRY_AFTER_SECONDS = 5  # a database restart takes a few seconds


DATABASE_DOWN = (OperationalError, InterfaceError)


def unavailable(request, exception=None):
    """503 with Retry-After while the database cannot be reached (a restart, a failover): the
    client should try again shortly, and nothing it sent was half-done (the transaction
    rolled back). The API's handler and the 500 handler both answer this."""
    if _api(request):
        response = error_json(503, "unavailable", "数据库暂时不可用，请稍后重试")
    else:
        response = render(request, "errors/error.html", {
            "title": "系统暂时不可用", "message": "数据库正在恢复，请几秒钟后重试，您提交的内容未被处理。"}, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request):
    if isinstance(sys.exc_info()[1], DATABASE_DOWN):
        return unavailable(request)
    if _api(request):
        return error_json(500, "server_error", "服务器内部错误，请稍后重试")
    return render(request, "errors/error.html", {"title": "系统繁忙",
                                                 "message": "系统暂时无法处理您的请求，请稍后重试。"}, status=500)
