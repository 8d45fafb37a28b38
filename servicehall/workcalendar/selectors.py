"""The working-day calendar as a pure `WorkCalendar`, rebuilt only when the table changed."""

import threading

from servicehall.lib.workdays import WorkCalendar

from .models import CalendarDay, CalendarRevision, CalendarYear

_lock = threading.Lock()
_cached: tuple[int, WorkCalendar] | None = None


def current_revision() -> int:
    row = CalendarRevision.objects.filter(pk=1).values_list("revision", flat=True).first()
    return row or 0


def build_calendar() -> WorkCalendar:
    special = dict(CalendarDay.objects.values_list("date", "is_workday"))
    confirmed = CalendarYear.objects.filter(confirmed=True).values_list("year", flat=True)
    return WorkCalendar(special, confirmed)


def get_calendar() -> WorkCalendar:
    """One small query per call; the calendar itself is rebuilt only after an edit."""
    global _cached
    revision = current_revision()
    cached = _cached
    if cached is not None and cached[0] == revision:
        return cached[1]
    with _lock:
        calendar = build_calendar()
        _cached = (revision, calendar)
    return calendar


def year_overview(year: int) -> dict:
    """What the calendar page shows for one year."""
    calendar = get_calendar()
    record = CalendarYear.objects.filter(year=year).first()
    days = list(CalendarDay.objects.filter(date__year=year).order_by("date"))
    import datetime

    start, end = datetime.date(year - 1, 12, 31), datetime.date(year, 12, 31)
    return {
        "year": year,
        "record": record,
        "confirmed": calendar.is_confirmed(year),
        "days": days,
        "workday_count": calendar.workdays_between(start, end),
    }
