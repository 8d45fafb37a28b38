"""Reads of the queue: positions and estimates, the hall's state document, a window's panel,
appointment slots and booking blocks."""

import math
from datetime import date, datetime, time, timedelta

from django.db.models import Count, prefetch_related_objects
from django.utils import timezone

from servicehall.db import queue as queue_sql
from servicehall.db.caches import HALL_VERSIONS, OPEN_WINDOWS
from servicehall.lib.errors import Invalid
from servicehall.org.models import BackupPost, ServiceCenter, Window
from servicehall.workcalendar.selectors import get_calendar

from .models import (
    ACTIVE_APPOINTMENT,
    DEFAULT_VOICE_TEMPLATE,
    Appointment,
    AppointmentStatus,
    CategoryWindow,
    QueueSettings,
    Ticket,
    TicketCategory,
    TicketEvent,
    TicketStatus,
    WindowState,
)

RECENT_CALLS = 8


def open_window_count(category: TicketCategory) -> int:
    """Windows that serve the category now: active and not paused."""
    return OPEN_WINDOWS.get(category.pk,
                            lambda: CategoryWindow.objects.filter(category=category, window__is_active=True)
                            .exclude(window__queue_state__paused=True).count())


def ticket_position(ticket: Ticket, ahead: int | None = None, now: datetime | None = None) -> dict:
    """How many are ahead in the ticket's category and about how long the wait is.

    Green-channel tickets go before everyone else, then appointments in their slot; within a
    group, arrival order. Windows that serve several categories make this an estimate, which is
    what the slip says it is. `ahead` is the count already made when the ticket was issued
    (`Ticket.ahead_at_issue`)."""
    if ticket.status != TicketStatus.WAITING:
        ahead = 0
    elif ahead is None:
        ahead = queue_sql.waiting_ahead(ticket, now or timezone.now())
    minutes = (math.ceil(ahead * ticket.category.avg_minutes / max(1, open_window_count(ticket.category)))
               if ahead else 0)
    return {"waiting_ahead": ahead, "estimate_minutes": minutes}


def announcement_text(template: str, number: str, window_number: int, category_name: str = "") -> str:
    try:
        return template.format(号码=number, 窗口=window_number, 类别=category_name)
    except (KeyError, IndexError, ValueError):
        return DEFAULT_VOICE_TEMPLATE.format(号码=number, 窗口=window_number)


def hall_version(center_id: int, day: date, revision: int, mark: str | None) -> str:
    """Changes with every ticket event, every settings or pause change and at midnight."""
    return f"{day:%Y%m%d}.{mark or '0'}.{revision}"


def hall_changed() -> None:
    HALL_VERSIONS.clear()


def current_version(center: ServiceCenter, now: datetime) -> str:
    settings = QueueSettings.objects.filter(center=center).values_list("revision", flat=True).first() or 0
    return hall_version(center.pk, timezone.localdate(now), settings, queue_sql.event_mark(center.pk))


def hall_state(center: ServiceCenter, now: datetime) -> dict:
    """The hall display's state document, computed fresh from the tables."""
    settings = QueueSettings.objects.filter(center=center).first() or QueueSettings(center=center)
    day = timezone.localdate(now)
    mark = queue_sql.event_mark(center.pk)  # before the rows: a later event then makes a newer version
    windows = list(Window.objects.filter(center=center, is_active=True).order_by("number"))
    paused = set(WindowState.objects.filter(window__center=center, paused=True).values_list("window_id", flat=True))
    current = {}
    for t in (Ticket.objects.filter(center=center, day=day, status__in=[TicketStatus.CALLED, TicketStatus.SERVING])
              .select_related("category").order_by("called_at", "id")):
        current[t.window_id] = t
    calls = (TicketEvent.objects.filter(center=center, action__in=["call", "recall"], ticket__day=day)
             .select_related("ticket__category", "window").order_by("-id")[:RECENT_CALLS])
    waiting = waiting_counts(center, now)
    categories = TicketCategory.objects.filter(center=center, is_active=True).order_by("prefix")
    return {
        "version": hall_version(center.pk, day, settings.revision, mark),
        "center": {"code": center.code, "name": center.name},
        "notice": settings.notice,
        "windows": [{
            "id": w.pk, "number": w.number, "name": w.name, "paused": w.pk in paused,
            "current": ({"number": current[w.pk].number, "status": current[w.pk].status,
                         "category": current[w.pk].category.name} if w.pk in current else None),
        } for w in windows],
        "calls": [{
            "id": e.pk, "number": e.ticket.number, "window": e.window.number if e.window else None,
            "recall": e.action == "recall", "at": timezone.localtime(e.at).isoformat(timespec="seconds"),
            "text": announcement_text(settings.voice_template, e.ticket.number, e.window.number if e.window else 0,
                                      e.ticket.category.name),
        } for e in calls],
        "waiting": [{"category": c.prefix, "name": c.name, "count": waiting.get(c.pk, 0)} for c in categories],
    }


def waiting_counts(center: ServiceCenter, now: datetime) -> dict[int, int]:
    """Today's waiting tickets per category id."""
    return dict(Ticket.objects.filter(center=center, day=timezone.localdate(now), status=TicketStatus.WAITING)
                .values_list("category_id").annotate(n=Count("id")))


def home_window_id(user) -> int | None:
    """The window a clerk serves at by default: the one whose A post (主岗) they hold."""
    return (BackupPost.objects.filter(holder__user=user, window__is_active=True)
            .order_by("window__number").values_list("window_id", flat=True).first())


def window_panel(window: Window, now: datetime) -> dict:
    """What the window terminal shows: its current ticket, the counts it can call, its day's tally."""
    from .services import window_queue, window_waiting_counts

    day = timezone.localdate(now)
    current = (Ticket.objects.filter(window=window, day=day, status__in=[TicketStatus.CALLED, TicketStatus.SERVING])
               .select_related("category", "appointment").order_by("-called_at").first())
    queue = window_queue(window, now, limit=30)  # the head of the queue, to call a chosen ticket
    prefetch_related_objects(queue, "category")
    counts = window_waiting_counts(window, now)
    tally = dict(TicketEvent.objects.filter(window=window, at__gte=_day_start(day),
                                            at__lt=_day_start(day + timedelta(days=1)),
                                            action__in=["call", "finish", "skip", "transfer"])
                 .values_list("action").annotate(n=Count("id")))
    paused = WindowState.objects.filter(window=window, paused=True).exists()
    return {"window": window, "current": current, "queue": queue, "counts": counts,
            "waiting_total": sum(n for _, n in counts), "tally": tally, "paused": paused}


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def bookable_days(center: ServiceCenter, now: datetime) -> list[date]:
    """Working days from `book_min_days` to `book_max_days` working days ahead."""
    settings = QueueSettings.objects.filter(center=center).first() or QueueSettings(center=center)
    calendar = get_calendar()
    today = timezone.localdate(now)
    first = calendar.add_workdays(today, settings.book_min_days).due if settings.book_min_days else today
    last = calendar.add_workdays(today, settings.book_max_days).due
    days, d = [], first
    while d <= last:
        if calendar.is_workday(d):
            days.append(d)
        d += timedelta(days=1)
    return days


def slots_for(category: TicketCategory, day: date, now: datetime) -> list[dict]:
    """The category's slots on `day`: the centre's hours cut into `slot_minutes`, each with
    `slot_capacity` bookings, and never more bookings in the day than the category's
    `daily_capacity` of numbers (each booking becomes a ticket at check-in). A day outside the
    bookable range has none."""
    center = category.center
    if day not in bookable_days(center, now):
        return []
    settings = QueueSettings.objects.filter(center=center).first() or QueueSettings(center=center)
    booked = dict(Appointment.objects.filter(ACTIVE_APPOINTMENT, category=category, day=day)
                  .values_list("slot_start").annotate(n=Count("id")))
    tz = timezone.get_current_timezone()
    day_left = max(0, category.daily_capacity - sum(booked.values()))
    slots = []
    for opens, closes in center.opening_periods():  # no slot runs through the midday break
        start = datetime.combine(day, opens, tzinfo=tz)
        close = datetime.combine(day, closes, tzinfo=tz)
        while start < close:
            end = min(start + timedelta(minutes=settings.slot_minutes), close)
            if start > now:
                taken = booked.get(start.time(), 0)
                slots.append({"start": start.time(), "end": end.time(), "capacity": category.slot_capacity,
                              "booked": taken, "available": max(0, min(category.slot_capacity - taken, day_left))})
            start = end
    return slots


def hall_closed(center: ServiceCenter, now: datetime) -> str | None:
    """Why the centre issues no tickets at `now` (a non-working day, before or after its
    hours), or None while it is open. The midday break is open: tickets taken then are called
    when the windows reopen."""
    today, moment = timezone.localdate(now), timezone.localtime(now).time()
    calendar = get_calendar()
    following = f"{calendar.add_workdays(today, 1).due:%-m月%-d日}"
    opens = f"{center.opens_at.hour}:{center.opens_at.minute:02d}"
    if not calendar.is_workday(today):
        return f"今日休息，请于下一个工作日（{following}）{center.hours_label}前来取号"
    if moment < center.opens_at:
        return f"尚未开始办公，{opens}开始取号（办公时间 {center.hours_label}）"
    if moment >= center.closes_at:
        return f"今日办公已结束，请于下一个工作日（{following}）{center.hours_label}前来取号"
    return None


def parse_slot(value: str) -> time:
    try:
        return time.fromisoformat((value or "").strip())
    except ValueError as exc:
        raise Invalid("预约时段：格式应为HH:MM", field="slot") from exc


def booking_block_until(holder: str, center: ServiceCenter, now: datetime) -> date | None:
    """If the holder missed `no_show_limit` bookings within `no_show_block_days`, the day the block ends."""
    settings = QueueSettings.objects.filter(center=center).first() or QueueSettings(center=center)
    today = timezone.localdate(now)
    since = today - timedelta(days=settings.no_show_block_days)
    misses = list(Appointment.objects.filter(holder=holder, status=AppointmentStatus.NO_SHOW, day__gt=since)
                  .order_by("-day").values_list("day", flat=True))
    if len(misses) < settings.no_show_limit:
        return None
    return misses[settings.no_show_limit - 1] + timedelta(days=settings.no_show_block_days)
