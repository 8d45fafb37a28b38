"""The navigation bar: each role sees exactly the pages it may open."""

from django.urls import reverse

from servicehall.audit.selectors import can_read_audit

from .models import Role

BUSINESS = {Role.BUREAU, Role.CITY_BUREAU, Role.LEADERSHIP, Role.MANAGER, Role.STAFF}


def _roles(*roles):
    return lambda user: user.role in roles


NAV = [
    ("首页", "home", lambda user: True),
    ("服务中心", "org:centers", _roles(*BUSINESS)),
    ("事项清单", "catalog:items", _roles(Role.BUREAU, Role.CITY_BUREAU, Role.LEADERSHIP, Role.MANAGER)),
    ("窗口叫号", "queueing:terminal", _roles(Role.MANAGER, Role.STAFF)),
    ("办件", "cases:list", _roles(*BUSINESS)),
    ("差评整改", "reviews:rectifications", _roles(*BUSINESS)),
    ("好差评统计", "reviews:figures", _roles(Role.MANAGER, Role.BUREAU, Role.CITY_BUREAU, Role.LEADERSHIP)),
    ("综合资讯台", "guide:desk", _roles(*BUSINESS)),
    ("工作日历", "workcalendar:calendar", _roles(*BUSINESS)),
    ("首问登记", "inquiries:list", _roles(Role.MANAGER, Role.STAFF, Role.BUREAU, Role.CITY_BUREAU)),
    ("审计日志", "audit:events", can_read_audit),
    ("安全策略", "accounts:security_policy", _roles(Role.SECADMIN)),
    ("账号", "accounts:accounts", _roles(Role.SECADMIN, Role.SYSADMIN)),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    items = [{"label": label, "url": reverse(name), "active": request.path == reverse(name) or (name != "home" and request.path.startswith(reverse(name)))}
             for label, name, allowed in NAV if allowed(user)]
    if user.role == Role.SYSADMIN:
        items.append({"label": "系统管理", "url": reverse("admin:index"), "active": request.path.startswith("/admin/")})
    return {"nav": items}
