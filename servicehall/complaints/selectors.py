"""Reads of complaints beyond a filter."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from servicehall.accounts.permissions import MANAGERS
from servicehall.org.models import ServiceCenter
from servicehall.org.selectors import visible_center_ids
from servicehall.workcalendar.selectors import get_calendar

from .models import OPEN_STATUSES, UPHELD_FINDINGS, Channel, Complaint, Handler, Kind, Satisfaction, Status

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


def figures_scope(user):
    """What the figures count: a manager's what their centres handle; the bureau's and
    leadership's every complaint of their centres (counts name nobody)."""
    centres = Complaint.objects.filter(center_id__in=visible_center_ids(user))
    if user.role in MANAGERS:
        # What the centre handles, and what was escalated from it (it knows of those).
        return centres.filter(Q(handler=Handler.CENTRE) | Q(reopened__gte=2))
    return centres


@dataclass
class Tally:
    """One row of the figures: a centre's (or the district's) complaints of a period."""
    name: str
    total: int = 0
    kinds: dict = field(default_factory=lambda: dict.fromkeys(Kind.values, 0))
    channels: dict = field(default_factory=lambda: dict.fromkeys(Channel.values, 0))
    decided: int = 0  # complaints and reports with a finding
    upheld: int = 0
    due: int = 0  # replied, or open past the deadline
    on_time: int = 0
    rated: int = 0
    satisfied: int = 0

    def add(self, row: dict, today: date) -> None:
        self.total += 1
        self.kinds[row["kind"]] += 1
        self.channels[row["channel"]] += 1
        if row["kind"] in (Kind.COMPLAINT, Kind.MISCONDUCT) and row["finding"]:
            self.decided += 1
            self.upheld += row["finding"] in UPHELD_FINDINGS
        if row["status"] in OPEN_STATUSES and row["due"] < today:
            self.due += 1  # overdue now, whatever earlier rounds did
        elif row["answered_on_time"] is not None:
            self.due += 1
            self.on_time += row["answered_on_time"]
        if row["satisfaction"] in (Satisfaction.SATISFIED, Satisfaction.BASIC, Satisfaction.DISSATISFIED):
            self.rated += 1
            self.satisfied += row["satisfaction"] != Satisfaction.DISSATISFIED

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return round(100 * part / whole, 1) if whole else None

    @property
    def upheld_rate(self) -> float | None:
        return self._rate(self.upheld, self.decided)

    @property
    def on_time_rate(self) -> float | None:
        return self._rate(self.on_time, self.due)

    @property
    def satisfaction_rate(self) -> float | None:
        return self._rate(self.satisfied, self.rated)


def complaint_figures(user, first: date, last: date, today: date) -> tuple[list[Tally], Tally]:
    """Each centre's complaints received from `first` to `last`, and the district's total: by
    kind and channel, the upheld rate (of complaints and reports decided), the on-time rate
    (replied by the deadline, of those replied or overdue) and satisfaction (of those rated)."""
    centres = list(ServiceCenter.objects.for_user(user).order_by("code"))
    zone = timezone.get_current_timezone()
    start = datetime.combine(first, time.min, tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
    rows = figures_scope(user).filter(received_at__gte=start, received_at__lt=end).values(
        "center_id", "kind", "channel", "finding", "answered_on_time", "due", "status", "satisfaction")
    tallies = {c.pk: Tally(c.name) for c in centres}
    total = Tally("合计")
    for row in rows:
        tallies[row["center_id"]].add(row, today)
        total.add(row, today)
    return list(tallies.values()), total


def upheld_counts(user, first: date, last: date) -> tuple[list, list]:
    """Upheld complaints and reports received in the period, per staff member and per window
    named (for the assessment of people and windows): lists of (name, centre, count), most first."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(first, time.min, tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
    upheld = figures_scope(user).filter(received_at__gte=start, received_at__lt=end, finding__in=UPHELD_FINDINGS,
                                        kind__in=(Kind.COMPLAINT, Kind.MISCONDUCT))
    people = (upheld.exclude(staff=None).values("staff__name", "staff__employee_no", "center__name")
              .annotate(n=Count("pk")).order_by("-n", "staff__employee_no"))
    windows = (upheld.exclude(window=None).values("window__number", "window__name", "center__name")
               .annotate(n=Count("pk")).order_by("-n", "center__name", "window__number"))
    return ([(f"{r['staff__name']}（{r['staff__employee_no']}）", r["center__name"], r["n"]) for r in people],
            [(f"{r['window__number']}号窗口 {r['window__name']}", r["center__name"], r["n"]) for r in windows])
