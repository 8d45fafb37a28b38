"""The supervision dashboard of the bureau and the leadership group (JOURNEYS #7): per centre
and for the district, today's tickets and waits, this month's satisfaction, red and yellow
cases, overdue rectifications, proposals waiting and catalogue items failing the checks. Each
figure is read from the app that owns it, a few grouped queries in all."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, time

from django.db.models import Count, Q
from django.utils import timezone

from servicehall.cases.models import OPEN_STATUSES, Case
from servicehall.cases.selectors import light_counts
from servicehall.catalog.health import catalogue_health
from servicehall.catalog.models import ChangeStatus, ItemChange
from servicehall.org.models import ServiceCenter
from servicehall.queueing.models import Ticket, TicketStatus
from servicehall.reviews.models import BAD_LEVELS, Review
from servicehall.reviews.selectors import rectifications_for
from servicehall.workcalendar.selectors import get_calendar


@dataclass
class CentreFigures:
    center: ServiceCenter | None  # None: the district's totals
    tickets: int = 0
    waiting: int = 0
    waits: list[float] = field(default_factory=list)  # minutes from taking a ticket to its call
    reviews: int = 0
    bad: int = 0
    red: int = 0
    yellow: int = 0
    overdue: int = 0
    proposals: int = 0
    failing: int = 0

    @property
    def mean_wait(self) -> int | None:
        return round(sum(self.waits) / len(self.waits)) if self.waits else None

    @property
    def satisfaction(self) -> float | None:
        return round(100 * (self.reviews - self.bad) / self.reviews, 1) if self.reviews else None


def centre_dashboard(user, now: datetime) -> tuple[list[CentreFigures], CentreFigures]:
    """The user's centres' figures, and the district's totals."""
    today = timezone.localdate(now)
    month_start = datetime.combine(today.replace(day=1), time.min, tzinfo=timezone.get_current_timezone())
    centres = list(ServiceCenter.objects.for_user(user).filter(is_active=True).select_related("district")
                   .order_by("kind", "code"))
    rows = {c.pk: CentreFigures(c) for c in centres}
    for center_id, n, waiting in (Ticket.objects.filter(center__in=rows, day=today).order_by().values_list("center_id")
                                  .annotate(n=Count("id"), waiting=Count("id", filter=Q(status=TicketStatus.WAITING)))):
        rows[center_id].tickets, rows[center_id].waiting = n, waiting
    for center_id, queued, called in Ticket.objects.filter(center__in=rows, day=today, called_at__isnull=False) \
            .values_list("center_id", "queued_at", "called_at"):
        rows[center_id].waits.append((called - queued).total_seconds() / 60)
    bad_ones = Count("id", filter=Q(level__in=BAD_LEVELS))
    for center_id, n, bad in (Review.objects.for_user(user).filter(excluded=False, created_at__gte=month_start)
                              .order_by().values_list("center_id").annotate(n=Count("id"), bad=bad_ones)):
        if center_id in rows:
            rows[center_id].reviews, rows[center_id].bad = n, bad
    open_cases = defaultdict(list)
    for center_id, *case in Case.objects.for_user(user).filter(status__in=OPEN_STATUSES).values_list(
            "center_id", "status", "due_date", "promised_days"):
        open_cases[center_id].append(case)
    calendar = get_calendar()
    for center_id, cases in open_cases.items():
        if center_id in rows:
            lights = light_counts(cases, today, calendar)
            rows[center_id].red, rows[center_id].yellow = lights["red"], lights["yellow"]
    for center_id, n in rectifications_for(user, overdue=True, now=now).order_by().values_list("center_id").annotate(
            n=Count("id")):
        if center_id in rows:
            rows[center_id].overdue = n
    for center_id, n in (ItemChange.objects.for_user(user).filter(status=ChangeStatus.SUBMITTED)
                         .order_by().values_list("center_id").annotate(n=Count("id"))):
        if center_id in rows:
            rows[center_id].proposals = n
    for center, failing in catalogue_health(user).items():
        if center.pk in rows:
            rows[center.pk].failing = len(failing)
    total = CentreFigures(None)
    for row in rows.values():
        for name in ("tickets", "waiting", "reviews", "bad", "red", "yellow", "overdue", "proposals", "failing"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
        total.waits += row.waits
    return list(rows.values()), total
