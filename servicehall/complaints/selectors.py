"""Reads of complaints beyond a filter."""

from datetime import date

from servicehall.workcalendar.selectors import get_calendar

from .models import OPEN_STATUSES, Complaint, Status

LIST_LIMIT = 300


def complaints_of(user, state: str, center_id: int | None, today: date) -> list[tuple[Complaint, str | None]]:
    """The complaints the user sees (`state`: open, closed or all; optionally one centre's), the
    soonest due first while open, each with its light."""
    rows = Complaint.objects.for_user(user).select_related("center", "window", "staff")
    if center_id is not None:
        rows = rows.filter(center_id=center_id)
    if state == "open":
        rows = rows.filter(status__in=OPEN_STATUSES).order_by("due", "received_at")
    elif state == "closed":
        rows = rows.filter(status__in=(Status.ARCHIVED, Status.REFUSED, Status.REPLIED))
    calendar = get_calendar()
    return [(complaint, complaint.light(today, calendar)) for complaint in rows[:LIST_LIMIT]]
