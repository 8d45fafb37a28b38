"""The signed-in home page: what each role needs to start its day, one page per role; each
panel drawn from the app that owns it."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import NoReverseMatch, resolve, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from servicehall.accounts.models import Role, User
from servicehall.accounts.permissions import can
from servicehall.accounts.selectors import locks
from servicehall.audit.models import AuditChainHead, AuditEvent
from servicehall.audit.selectors import events_for_user
from servicehall.audit.services import audit_chain_check
from servicehall.cases.models import OPEN_STATUSES, Case
from servicehall.cases.selectors import clerk_desk, light_counts
from servicehall.inquiries.selectors import overdue_for
from servicehall.org.models import BackupPost, ServiceCenter
from servicehall.org.selectors import centers_overview, windows_without_post
from servicehall.reviews.models import Appeal, AppealStatus, RectificationStatus
from servicehall.reviews.selectors import rectifications_for
from servicehall.web import public, requires
from servicehall.workcalendar.models import CalendarYear
from servicehall.workcalendar.selectors import get_calendar

from .selectors import centre_dashboard


def _calendar_status(today):
    calendar = get_calendar()
    next_year = today.year + 1
    return {
        "today_is_workday": calendar.is_workday(today),
        "next_workday": calendar.add_workdays(today, 1).due,
        "next_year": next_year,
        "next_year_confirmed": calendar.is_confirmed(next_year),
    }


def _my_cases(user, today):
    """The clerk's desk, most urgent first: the ten on the home page and how many in all."""
    rows, total = clerk_desk(user, today, get_calendar(), limit=10)
    return {"rows": rows, "total": total}


def _case_lights(user, today) -> dict:
    """How many open cases of the user's centres show each light."""
    rows = (Case.objects.for_user(user).filter(status__in=OPEN_STATUSES)
            .values_list("status", "due_date", "promised_days"))
    return light_counts(rows, today, get_calendar())


# Where an audited object's own page is, by the object's model: its URL name and what names it.
OBJECT_PAGES = {"cases.case": ("cases:detail", "object_repr"),
                "reviews.rectification": ("reviews:rectification", "object_id"),
                "catalog.itemchange": ("catalog:change", "object_id"),
                "inquiries.inquiry": ("inquiries:detail", "object_id"),
                "org.servicecenter": ("org:center", "center_code")}


def _recent(user, limit: int) -> list:
    """The latest audited actions the user may read, each with its operator's name and a link
    to its object's page where the user may open it."""
    events = list(events_for_user(user)[:limit])
    names = dict(User.objects.filter(pk__in={e.actor_id for e in events if e.actor_id})
                 .values_list("pk", "full_name"))
    for event in events:
        event.actor_name = names.get(event.actor_id) or event.actor_username or "系统"
        page = OBJECT_PAGES.get(event.object_type)
        event.url = None
        if page and getattr(event, page[1]):
            try:
                url = reverse(page[0], args=[getattr(event, page[1])])
            except NoReverseMatch:
                continue
            if can(user, getattr(resolve(url).func, "required_action", None) or "home.view"):
                event.url = url
    return events


def _staff(user, now, today) -> dict:
    profile = getattr(user, "staff_profile", None)
    posts = BackupPost.objects.none()
    if profile is not None:
        mine = BackupPost.objects.for_user(user)
        posts = mine.filter(holder=profile) | mine.filter(backup_staff=profile)
    return {"profile": profile, "posts": posts.select_related("window", "holder", "backup_staff", "center").distinct(),
            "centers": ServiceCenter.objects.for_user(user), "recent": _recent(user, 8),
            "overdue_inquiries": overdue_for(user, now), "my_cases": _my_cases(user, today)}


def _manager(user, now, today) -> dict:
    return {"centers": centers_overview(user), "gaps": windows_without_post(user), "recent": _recent(user, 10),
            "overdue_inquiries": overdue_for(user, now), "case_lights": _case_lights(user, today),
            "rectifications": rectifications_for(user).exclude(status=RectificationStatus.CLOSED)[:10]}


def _bureau(user, now, today) -> dict:
    """The bureau's supervision page; the leadership group reads the same, without the appeals
    it does not decide (`read_only` names the page so)."""
    sees_appeals = can(user, "review.appeals")
    rows, total = centre_dashboard(user, now)
    return {"centers": centers_overview(user), "gaps": windows_without_post(user), "rows": rows, "total": total,
            "read_only": not can(user, "catalog.decide"), "case_lights": _case_lights(user, today),
            "sees_appeals": sees_appeals, "sees_catalogue": can(user, "catalog.view"),
            "pending_appeals": Appeal.objects.for_user(user).filter(status=AppealStatus.PENDING).count()
            if sees_appeals else 0,
            "chart": {"names": [r.center.short_name for r in rows],
                      "tickets": [r.tickets for r in rows], "satisfaction": [r.satisfaction for r in rows]}}


def _audit_admin(user, now, today) -> dict:
    return {"outside": AuditEvent.objects.filter(seq__isnull=True).count(),
            "chain_length": AuditChainHead.objects.values_list("last_seq", flat=True).first() or 0,
            "today_count": AuditEvent.objects.filter(created_at__gte=now - timedelta(days=1)).count(),
            "denied": AuditEvent.objects.filter(outcome__in=["denied", "failure"]).order_by("-id")[:10]}


def _security_admin(user, now, today) -> dict:
    return {"locks": locks(now)}


def _system_admin(user, now, today) -> dict:
    return {"user_count": User.objects.count(), "years": CalendarYear.objects.filter(confirmed=True).count()}


HOMES = {  # role → (template, what it shows)
    Role.STAFF: ("home/staff.html", _staff),
    Role.MANAGER: ("home/manager.html", _manager),
    Role.BUREAU: ("home/bureau.html", _bureau),
    Role.CITY_BUREAU: ("home/bureau.html", _bureau),
    Role.LEADERSHIP: ("home/bureau.html", _bureau),
    Role.AUDITADMIN: ("home/auditadmin.html", _audit_admin),
    Role.SECADMIN: ("home/secadmin.html", _security_admin),
    Role.SYSADMIN: ("home/sysadmin.html", _system_admin),
}


@requires("home.view")
def home_view(request):
    user = request.user
    now = timezone.now()
    today = timezone.localdate(now)
    template, panels = HOMES[user.role]
    return render(request, template, {"today": today, **_calendar_status(today), **panels(user, now, today)})


@public
def favicon(request):
    """Browsers ask /favicon.ico of every page that names no icon (the admin's): the app's icon."""
    return redirect(static("img/favicon.svg"), permanent=True)


@requires("audit.verify")
@require_POST
def audit_verify_view(request):
    """The audit admin's button: walk the whole chain now (as `manage.py audit_verify` does)."""
    result = audit_chain_check(anchor_file=settings.SH_AUDIT_ANCHOR_FILE, actor=request.user)
    if result.ok:
        messages.success(request, f"审计链完整：已校验 {result.checked} 条。")
    else:
        messages.error(request, f"审计链校验失败：{result.problem}（此前 {result.checked} 条完好），"
                                "请立即报告安全管理员。")
    return redirect("home")
