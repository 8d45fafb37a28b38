"""Idle sign-out and password expiry for browser sessions (RULES.md, Security).

Live screens poll with the header `X-SH-Poll: 1`; such requests do not count as activity,
so a window terminal left alone still signs out after the idle limit.
"""

import time

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.utils import timezone

from servicehall.audit.services import audit_record
from servicehall.lib.errors import error_json

from .models import SecurityPolicy

SESSION_KEY = "sh_last_seen"
REFRESH_SECONDS = 60
EXEMPT_PREFIXES = ("/static/", "/accounts/logout", "/accounts/password")


class SessionSecurityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # `request.user` here is the session's user (bearer keys are checked later, by the API),
        # so an Authorization header never exempts a session from the idle limit: otherwise
        # any made-up header would keep an idle (or stolen) session cookie alive.
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        policy = SecurityPolicy.current()
        now = time.time()
        last_seen = request.session.get(SESSION_KEY)
        if last_seen is not None and now - last_seen > policy.idle_minutes * 60:
            audit_record(actor=user, action="auth.idle_logout", obj=user)
            logout(request)
            if "HTTP_AUTHORIZATION" in request.META:
                return self.get_response(request)  # the key alone decides now
            if request.path.startswith("/api/") or request.headers.get("X-SH-Poll"):
                return error_json(401, "not_authenticated", "长时间未操作，已自动退出，请重新登录")
            messages.info(request, f"您已超过{policy.idle_minutes}分钟未操作，已自动退出，请重新登录。")
            return redirect_to_login(request.get_full_path())
        if not request.headers.get("X-SH-Poll") and (last_seen is None or now - last_seen > REFRESH_SECONDS):
            request.session[SESSION_KEY] = now  # at most once a minute: a session write per page is costly
        if not request.path.startswith(EXEMPT_PREFIXES) and user.password_expired(
                timezone.now(), policy.password_max_age_days):
            if request.path.startswith("/api/"):
                # A password someone else set opens nothing, not even the API, until it is
                # replaced; an expired one still lets a live screen finish its work.
                if user.must_change_password and "HTTP_AUTHORIZATION" not in request.META:
                    return error_json(403, "password_change_required", "请先修改密码后再使用")
                return self.get_response(request)
            messages.warning(request, "您的密码由管理员设置，请先修改为只有您知道的密码。" if user.must_change_password
                             else "您的密码已超过有效期，请先修改密码。")
            return redirect("accounts:password_change")
        return self.get_response(request)
