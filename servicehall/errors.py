"""Chinese error pages; API paths get the JSON error shape instead."""

from django.http import JsonResponse
from django.shortcuts import render


def _api(request) -> bool:
    return request.path.startswith("/api/")


def forbidden(request, exception=None):
    message = str(exception or "") or "您没有访问此页面的权限。"
    if _api(request):
        return JsonResponse({"error": "forbidden", "message": message, "field": None}, status=403)
    return render(request, "errors/error.html", {"title": "没有权限", "message": message}, status=403)


def not_found(request, exception=None):
    if _api(request):
        return JsonResponse({"error": "not_found", "message": "未找到", "field": None}, status=404)
    return render(request, "errors/error.html", {"title": "页面不存在", "message": "未找到您要访问的内容，或您无权查看。"}, status=404)


def server_error(request):
    if _api(request):
        return JsonResponse({"error": "server_error", "message": "服务器内部错误，请稍后重试", "field": None}, status=500)
    return render(request, "errors/error.html", {"title": "系统繁忙", "message": "系统暂时无法处理您的请求，请稍后重试。"}, status=500)
