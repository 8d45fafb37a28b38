"""The working-day calendar as a pure `WorkCalendar`, rebuilt only when the table changed."""

import datetime
from datetime import date

from django.db import connection

from servicehall.db.caches import CALENDAR_REVISION, CALENDARS
from servicehall.lib.errors import Invalid
from servicehall.lib.workdays import DueDate, WorkCalendar

from .models import FIRST_YEAR, LAST_YEAR, CalendarDay, CalendarRevision, CalendarYear

MAX_DAYS = 3650

# Revisions taken by an edit not yet committed (services._bump): the edit's own transaction
# reads them, and a calendar built there must not be kept, since a rollback would leave it
# standing for the next edit to commit under the same number. A commit discards its number.
UNCOMMITTED: set[int] = set()


def current_revision() -> int:
    """Inside a transaction, from the table: what it reads there may not be committed (the
    transaction may be the edit itself) and must not be kept for everyone else. Receiving a
    case, which asks most, runs in autocommit."""
    if connection.in_atomic_block:
        return _read_revision()
    return CALENDAR_REVISION.get("revision", _read_revision)


def _read_revision() -> int:
    # Plain SQL: building the ORM query cost more than running it.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT revision FROM {connection.ops.quote_name(CalendarRevision._meta.db_table)} "
                       "WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else 0


def build_calendar() -> WorkCalendar:
    special = dict(CalendarDay.objects.values_list("date", "is_workday"))
    confirmed = CalendarYear.objects.filter(confirmed=True).values_list("year", flat=True)
    return WorkCalendar(special, confirmed)


def get_calendar() -> WorkCalendar:
    """One small query per call; the calendar itself is rebuilt only after an edit. A calendar
    of a revision an edit has not committed is built for that edit's own transaction and not
    kept (a rollback would leave it standing for the next edit under the same number)."""
    revision = current_revision()
    keep = True
    if revision in UNCOMMITTED:
        if connection.in_atomic_block:
            keep = False
        else:
            UNCOMMITTED.discard(revision)  # read outside a transaction: committed (an edit rolled back had it)
    return CALENDARS.get("calendar", revision, build_calendar, keep=keep)


def due_date(start: date, days: int) -> DueDate:
    """The due date of `days` working days after `start`, with its bounds checked."""
    if not FIRST_YEAR <= start.year <= LAST_YEAR:
        raise Invalid(f"起算日应在{FIRST_YEAR}年至{LAST_YEAR}年之间", field="start")
    if not 0 <= days <= MAX_DAYS:
        raise Invalid(f"工作日数应在0至{MAX_DAYS}之间", field="days")
    return get_calendar().add_workdays(start, days)


def year_overview(year: int) -> dict:
    """What the calendar page shows for one year."""
    calendar = get_calendar()
    record = CalendarYear.objects.filter(year=year).first()
    days = list(CalendarDay.objects.filter(date__year=year).order_by("date"))
    start, end = datetime.date(year - 1, 12, 31), datetime.date(year, 12, 31)
    return {
        "year": year,
        "record": record,
        "confirmed": calendar.is_confirmed(year),
        "days": days,
        "workday_count": calendar.workdays_between(start, end),
    }
