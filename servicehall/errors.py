"""Chinese error pages; API paths get the JSON error shape instead."""

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


def server_error(request):
    if _api(request):
        return error_json(500, "server_error", "服务器内部错误，请稍后重试")
    return render(request, "errors/error.html", {"title": "系统繁忙",
                                                 "message": "系统暂时无法处理您的请求，请稍后重试。"}, status=500)
