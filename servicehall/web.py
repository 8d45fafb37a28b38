"""Small helpers shared by the HTML views: the permission a page needs, and service errors
on forms."""

from datetime import date, timedelta
from functools import wraps
from typing import NamedTuple

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from servicehall.accounts import permissions
from servicehall.lib.errors import NotFound, ServiceError, error_json, whole_number


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


class Outcome(NamedTuple):
    """What a page's call of a service came to: true when the service did it (its `result`),
    false when it refused (`refusal`, already shown to the user)."""

    result: object = None
    refusal: ServiceError | None = None

    def __bool__(self) -> bool:
        return self.refusal is None


def apply_service(request, call, *, form=None, done: str = "", flash: bool = True) -> Outcome:
    """The one way a page calls a service. Its refusal (bad input, a conflict, a step not
    allowed) is shown where the user looks: on `form` (the field it names, else the whole
    form), else as a message on the next page (`flash`, for pages that redirect), and kept in
    the outcome for a page that draws it itself (a kiosk marks the field). `done` is said on
    success. What the URL names and is not there (NotFound without a field) goes on to the 404
    page, so another centre's object is never described; what the user typed and is not there
    (a booking code) is a refusal like any other."""
    try:
        result = call()
    except ServiceError as exc:
        if isinstance(exc, NotFound) and exc.field is None:
            raise
        if form is not None:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        elif flash:
            messages.error(request, exc.message)
        return Outcome(refusal=exc)
    if done:
        messages.success(request, done)
    return Outcome(result)


class SecurityHeadersMiddleware:
    """The Content-Security-Policy of settings on every response that has none of its own."""

    def __init__(self, get_response):
        from django.conf import settings

        self.get_response = get_response
        self.policy = settings.SH_CONTENT_SECURITY_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        return response


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
                _ = request.body  # keep the raw body readable for the API's own parser (it takes no uploads)
            return any("\x00" in value for _, values in request.POST.lists() for value in values)
    return False


class RejectNulMiddleware:
    """A NUL character is never valid input, and PostgreSQL refuses to store or even compare
    it (a 500 otherwise): answer 400 before any view runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request):
            from django.shortcuts import render

            message = "输入内容包含无效字符"
            if request.path.startswith("/api/"):
                return error_json(400, "invalid", message)
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
            status = response.status_code
            shaped = error_json(status, self.CODES.get(status, "error"), self.MESSAGES.get(status, "请求无法处理"))
            if response.has_header("Allow"):
                shaped["Allow"] = response["Allow"]
            return shaped
        return response


def figures_period(request, today) -> tuple[int, int | None, date, date]:
    """The year and month (None: the whole year) a figures page asks for (`?year=&month=`), and
    the period's first and last days; a bad one is said on the page and replaced by this year,
    or the whole year."""
    year, month = today.year, None
    asked_year, asked_month = request.GET.get("year", ""), request.GET.get("month", "")
    if asked_year:
        found = whole_number(asked_year, 2000, 2100)
        if found is None:
            messages.error(request, "年份：应为2000至2100之间的年份，已显示今年")
        else:
            year = found
    if asked_month:
        month = whole_number(asked_month, 1, 12)
        if month is None:
            messages.error(request, "月份：应为1至12，已显示全年")
    if month is None:
        return year, None, date(year, 1, 1), date(year, 12, 31)
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return year, month, date(year, month, 1), following - timedelta(days=1)
