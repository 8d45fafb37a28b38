from datetime import date

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from servicehall.accounts.permissions import can
from servicehall.web import apply_service, requires

from .forms import CalendarDayForm, DueDateForm
from .models import CalendarYear
from .selectors import due_date, get_calendar, year_overview
from .services import calendar_day_delete, calendar_day_set, calendar_year_confirm


@requires("calendar.view")
def calendar_view(request):
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year", today.year))
    except ValueError:
        year = today.year
    year = min(max(year, 2000), 2100)
    can_edit = can(request.user, "calendar.edit")
    day_form = CalendarDayForm(request.POST or None) if can_edit else None
    if request.method == "POST" and can_edit and day_form.is_valid():
        data = day_form.cleaned_data
        if apply_service(request, lambda: calendar_day_set(actor=request.user, day=data["date"],
                                                           is_workday=data["is_workday"], name=data["name"]),
                         form=day_form, done=f"{data['date']:%Y-%m-%d} 已保存。"):
            return redirect(f"{request.path}?year={data['date'].year}")
    due_form = DueDateForm(request.GET if "start" in request.GET else None)
    due = None
    if due_form.is_valid():
        due = apply_service(request, lambda: due_date(due_form.cleaned_data["start"], due_form.cleaned_data["days"]),
                            form=due_form).result
    return render(request, "workcalendar/calendar.html", {
        **year_overview(year), "can_edit": can_edit, "day_form": day_form, "due_form": due_form, "due": due,
        "years": CalendarYear.objects.all(), "today": today, "today_is_workday": get_calendar().is_workday(today),
    })


@require_POST
@requires("calendar.edit")
def day_delete_view(request, day):
    try:
        target = date.fromisoformat(day)
    except ValueError:
        raise Http404("日期格式不正确") from None
    calendar_day_delete(actor=request.user, day=target)
    messages.success(request, f"{target:%Y-%m-%d} 的安排已删除，恢复为按星期计算。")
    return redirect(f"/calendar/?year={target.year}")


@require_POST
@requires("calendar.edit")
def year_confirm_view(request, year):
    confirmed = request.POST.get("confirmed") == "1"
    calendar_year_confirm(actor=request.user, year=year, confirmed=confirmed)
    messages.success(request, f"{year}年日历已{'确认' if confirmed else '取消确认'}。")
    return redirect(f"/calendar/?year={year}")
