"""The signed-in home page: what each role needs to start its day."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from servicehall.accounts.models import Role, User
from servicehall.audit.models import AuditEvent
from servicehall.audit.selectors import events_for_user
from servicehall.cases.models import OPEN_STATUSES, Case
from servicehall.cases.selectors import light_counts, open_cases_for_clerk
from servicehall.inquiries.selectors import overdue_for
from servicehall.org.models import BackupPost, ServiceCenter
from servicehall.org.selectors import centers_overview, windows_without_post
from servicehall.reviews.models import Appeal, AppealStatus, RectificationStatus
from servicehall.reviews.selectors import rectifications_for
from servicehall.workcalendar.models import CalendarYear
from servicehall.workcalendar.selectors import get_calendar


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
    """The clerk's open cases, most urgent (overdue) first, with their lights."""
    calendar = get_calendar()
    cases = list(open_cases_for_clerk(user, limit=10))
    for case in cases:
        case.light_now = case.light(today, calendar)
    return cases


def _case_lights(user, today) -> dict:
    """How many open cases of the user's centres show each light."""
    rows = Case.objects.for_user(user).filter(status__in=OPEN_STATUSES).values_list("status", "due_date", "promised_days")
    return light_counts(rows, today, get_calendar())


@login_required
def home_view(request):
    user = request.user
    now = timezone.now()
    today = timezone.localdate()
    context = {"today": today, **_calendar_status(today)}
    if user.role == Role.STAFF:
        profile = getattr(user, "staff_profile", None)
        posts = BackupPost.objects.none()
        if profile is not None:
            posts = BackupPost.objects.for_user(user).filter(holder=profile) | BackupPost.objects.for_user(user).filter(backup_staff=profile)
        context.update(
            template="home/staff.html", profile=profile,
            posts=posts.select_related("window", "holder", "backup_staff", "center").distinct(),
            centers=ServiceCenter.objects.for_user(user),
            recent=events_for_user(user)[:8], overdue_inquiries=overdue_for(user, now), my_cases=_my_cases(user, today),
        )
    elif user.role == Role.MANAGER:
        context.update(
            template="home/manager.html", centers=centers_overview(user),
            gaps=windows_without_post(user), recent=events_for_user(user)[:10],
            overdue_inquiries=overdue_for(user, now), case_lights=_case_lights(user, today),
            rectifications=rectifications_for(user).exclude(status=RectificationStatus.CLOSED)[:10],
        )
    elif user.role in {Role.BUREAU, Role.CITY_BUREAU, Role.LEADERSHIP}:
        context.update(
            template="home/bureau.html", centers=centers_overview(user), gaps=windows_without_post(user),
            read_only=user.role == Role.LEADERSHIP, case_lights=_case_lights(user, today),
            overdue_rectifications=rectifications_for(user, overdue=True).count(),
            pending_appeals=Appeal.objects.for_user(user).filter(status=AppealStatus.PENDING).count(),
        )
    elif user.role == Role.AUDITADMIN:
        context.update(
            template="home/auditadmin.html",
            unsealed=AuditEvent.objects.filter(seq__isnull=True).count(),
            today_count=AuditEvent.objects.filter(created_at__gte=now - timedelta(days=1)).count(),
            denied=AuditEvent.objects.filter(outcome__in=["denied", "failure"]).order_by("-id")[:10],
        )
    elif user.role == Role.SECADMIN:
        locked = User.objects.filter(locked_until__gt=now)
        context.update(template="home/secadmin.html", locked=locked)
    else:
        context.update(template="home/sysadmin.html", user_count=User.objects.count(),
                       years=CalendarYear.objects.filter(confirmed=True).count())
    return render(request, context["template"], context)
