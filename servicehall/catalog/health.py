"""Reads for the bureau's oversight of the catalogue: failing items and the notice's figures.

应进必进 (entry rate): items entered in a branch centre against the items its department
holds; the department's full list is not in the system yet, so it is a per-department figure
the bureau enters (`Department.item_total`) — until then the rate is shown as unknown, never
guessed. 运行高效: average promised vs statutory time (提速率), average materials and visits,
and the items needing no visit.
"""

from dataclasses import dataclass

from django.db.models import Avg, Count, Q

from servicehall.org.models import ServiceCenter

from .checks import Problem, check_item
from .models import ItemStatus, ServiceItem


@dataclass
class FailingItem:
    item: ServiceItem
    problems: list[Problem]


def catalogue_health(user) -> dict[ServiceCenter, list[FailingItem]]:
    """Every public item failing a quality rule, grouped by centre (the user's centres only)."""
    result: dict[ServiceCenter, list[FailingItem]] = {}
    items = (ServiceItem.objects.for_user(user).filter(status=ItemStatus.ACTIVE, current_version__isnull=False)
             .select_related("center", "current_version").order_by("center__code", "code"))
    for item in items:
        problems = check_item(item.current_version.content)
        if problems:
            result.setdefault(item.center, []).append(FailingItem(item, problems))
    return result


@dataclass
class CentreFigures:
    center: ServiceCenter | None
    items: int = 0
    held: int | None = None
    promised_avg: float | None = None
    statutory_avg: float | None = None
    materials_avg: float | None = None
    visits_avg: float | None = None
    zero_visit: int = 0

    @property
    def entry_rate(self) -> float | None:
        return round(self.items / self.held * 100, 1) if self.held else None

    @property
    def speedup_rate(self) -> float | None:
        """提速率: how much shorter the promise is than the law, in per cent."""
        if not self.statutory_avg:
            return None
        return round((1 - (self.promised_avg or 0) / self.statutory_avg) * 100, 1)


def _figures(items, center=None, held=None) -> CentreFigures:
    row = items.aggregate(
        n=Count("id"),
        promised=Avg("current_version__promised_days", filter=Q(current_version__statutory_days__isnull=False)),
        statutory=Avg("current_version__statutory_days"),
        materials=Avg("current_version__material_count"),
        visits=Avg("current_version__visits"),
        zero=Count("id", filter=Q(current_version__visits=0)),
    )
    rnd = lambda v: round(v, 1) if v is not None else None  # noqa: E731
    return CentreFigures(center=center, items=row["n"], held=held, promised_avg=rnd(row["promised"]),
                         statutory_avg=rnd(row["statutory"]), materials_avg=rnd(row["materials"]),
                         visits_avg=rnd(row["visits"]), zero_visit=row["zero"])


def catalogue_figures(user) -> tuple[list[CentreFigures], CentreFigures]:
    """Per branch centre and for all of them together (the user's centres only)."""
    public = ServiceItem.objects.for_user(user).filter(status=ItemStatus.ACTIVE, current_version__isnull=False)
    centres = ServiceCenter.objects.for_user(user).filter(kind="branch").select_related("department").order_by("code")
    rows = [_figures(public.filter(center=c), c, c.department.item_total if c.department else None) for c in centres]
    held = [r.held for r in rows]
    total = _figures(public.filter(center__in=centres), None, sum(held) if held and all(h for h in held) else None)
    return rows, total



