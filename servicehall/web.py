"""Small helpers shared by the HTML views: the permission a page needs, and service errors
on forms."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from servicehall.accounts import permissions
from servicehall.lib.errors import NotFound, ServiceError


def requires(action: str):
    """A page that does `action` (accounts.permissions): signed in, else the login page; allowed
    to (`can(user, action)`), else 403. The view then opens what it shows through the user's
    scope (or `permissions.require` with its centre), so another centre's object is a 404."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not permissions.can(request.user, action):
                raise PermissionDenied(permissions.rule(action).refusal)
            return view(request, *args, **kwargs)

        wrapped.required_action = action
        return wrapped

    return decorator


def public(view):
    """A page anyone may open without signing in (the guide, a kiosk, a citizen's link): it
    shows nothing personal and takes what identifies the caller from the URL's key or token."""
    view.required_action = None
    return view


def apply_service(form, call):
    """Run `call()`; a ServiceError lands on the named form field (or the form). Returns the
    result, or None when the form now carries the error."""
    try:
        return call()
    except NotFound:
        raise
    except ServiceError as exc:
        field = exc.field if exc.field in form.fields else None
        form.add_error(field, exc.message)
        return None


class ServiceErrorMiddleware:
    """A ServiceError that escapes a view becomes its page (404, 403, 409, 400), never a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, ServiceError):
            return None
        from django.shortcuts import render

        titles = {404: "页面不存在", 403: "没有权限", 409: "操作冲突"}
        return render(request, "errors/error.html", {"title": titles.get(exception.status, "输入有误"),
                                                     "message": exception.message}, status=exception.status)


def _has_nul(request) -> bool:
    if "\x00" in request.path or "\x00" in request.META.get("QUERY_STRING", "").replace("%00", "\x00"):
        return True
    if any("\x00" in value for _, values in request.GET.lists() for value in values):
        return True
    if request.method in ("POST", "PUT", "PATCH"):
        if request.content_type == "application/json":
            return b"\x00" in request.body or b"\\u0000" in request.body
        if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            if request.path.startswith("/api/"):
                request.body  # keep the raw body readable for the API's own parser (it takes no uploads)
            return any("\x00" in value for _, values in request.POST.lists() for value in values)
    return False


class RejectNulMiddleware:
    """A NUL character is never valid input, and PostgreSQL refuses to store or even compare
    it (a 500 otherwise): answer 400 before any view runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request):
            from django.http import JsonResponse
            from django.shortcuts import render

            message = "输入内容包含无效字符"
            if request.path.startswith("/api/"):
                return JsonResponse({"error": "invalid", "message": message, "field": None}, status=400)
            return render(request, "errors/error.html", {"title": "输入有误", "message": message}, status=400)
        return self.get_response(request)


class ApiErrorShapeMiddleware:
    """Under /api/, an error answered outside the API's handlers (405 from the router, a
    framework 4xx) still gets the one error shape."""

    CODES = {400: "invalid", 401: "not_authenticated", 403: "forbidden", 404: "not_found",
             405: "method_not_allowed", 409: "conflict"}
    MESSAGES = {405: "不支持该请求方法", 413: "请求内容过大"}

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (request.path.startswith("/api/") and response.status_code >= 400
                and not response.get("Content-Type", "").startswith("application/json")):
            from django.http import JsonResponse

            status = response.status_code
            shaped = JsonResponse({"error": self.CODES.get(status, "error"),
                                   "message": self.MESSAGES.get(status, "请求无法处理"), "field": None}, status=status)
            if response.has_header("Allow"):
                shaped["Allow"] = response["Allow"]
            return shaped
        return response


def xlsx_response(title: str, rows, filename: str):
    """An .xlsx download of `rows` (the first row being the column titles) on one sheet."""
    import io

    from django.http import HttpResponse
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(buffer.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
