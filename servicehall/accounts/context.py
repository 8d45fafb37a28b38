"""The navigation bar: each role sees exactly the pages it may open."""

from django.urls import reverse

from .models import Role

BUSINESS = {Role.BUREAU, Role.CITY_BUREAU, Role.LEADERSHIP, Role.MANAGER, Role.STAFF}

NAV = [
    ("首页", "home", None),
    ("服务中心", "org:centers", BUSINESS),
    ("工作日历", "workcalendar:calendar", BUSINESS),
    ("审计日志", "audit:events", {Role.AUDITADMIN, Role.BUREAU, Role.CITY_BUREAU, Role.MANAGER, Role.STAFF}),
    ("安全策略", "accounts:security_policy", {Role.SECADMIN}),
    ("账号", "accounts:accounts", {Role.SECADMIN, Role.SYSADMIN}),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    items = [{"label": label, "url": reverse(name), "active": request.path == reverse(name) or (name != "home" and request.path.startswith(reverse(name)))}
             for label, name, roles in NAV if roles is None or user.role in roles]
    if user.role == Role.SYSADMIN:
        items.append({"label": "系统管理", "url": reverse("admin:index"), "active": request.path.startswith("/admin/")})
    return {"nav": items}
