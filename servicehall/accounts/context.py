"""The navigation bar: each user sees exactly the pages the permission check lets them open."""

from django.urls import reverse

from .permissions import can

# (label, URL name, the action its page requires); an entry of several (URL name, action) pairs
# links to the first the user may open (考勤: the board for heads, my attendance for staff).
NAV = [
    ("首页", "home", "home.view"),
    ("服务中心", "org:centers", "center.view"),
    ("事项清单", "catalog:items", "catalog.view"),
    ("窗口叫号", "queueing:terminal", "queue.operate"),
    ("办件", "cases:list", "case.view"),
    ("差评整改", "reviews:rectifications", "review.view"),
    ("好差评", "reviews:figures", "review.figures"),
    ("电子监察", "supervision:console", "supervision.view"),
    ("我的提醒", "supervision:my_cards", "supervision.mine"),
    ("综合资讯台", "guide:desk", "guide.desk"),
    ("工作日历", "workcalendar:calendar", "calendar.view"),
    ("首问", "inquiries:list", "inquiry.view"),
    ("投诉", (("complaints:list", "complaint.view"), ("complaints:figures", "complaint.figures"))),
    ("考勤", (("attendance:board", "attendance.board"), ("attendance:mine", "attendance.mine"),
             ("attendance:figures", "attendance.figures"))),
    ("审计", "audit:events", "audit.read"),
    ("安全策略", "accounts:security_policy", "security_policy.edit"),
    ("账号", "accounts:accounts", "account.list"),
    ("管理员账号", "accounts:admins", "admin_account.manage"),
    ("系统管理", "admin:index", "admin.site"),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    items = []
    for label, *target in NAV:
        choices = target[0] if len(target) == 1 else [target]
        name = next((name for name, action in choices if can(user, action)), None)
        if name is not None:
            url = reverse(name)
            items.append({"label": label, "url": url,
                          "active": request.path == url or (name != "home" and request.path.startswith(url))})
    return {"nav": items}
