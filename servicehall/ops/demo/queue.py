"""Demo queue set-up: every demo centre gets two categories served by its windows."""

from servicehall.org.models import ServiceCenter, Window, WindowKind
from servicehall.queueing.models import CategoryWindow, TicketCategory
from servicehall.queueing.services import settings_for

DEMO_CATEGORIES = [  # prefix, name, which window kinds serve it first
    ("A", "综合受理", {WindowKind.ACCEPTANCE, WindowKind.CASHIER}),
    ("B", "咨询与查询", {WindowKind.INQUIRY, WindowKind.COMPLAINT}),
]


def load_demo_queue(district) -> int:
    created = 0
    for center in ServiceCenter.objects.filter(district=district, is_active=True):
        settings_for(center)
        windows = list(Window.objects.filter(center=center, is_active=True))
        for prefix, name, kinds in DEMO_CATEGORIES:
            category, made = TicketCategory.objects.get_or_create(center=center, prefix=prefix, defaults={"name": name})
            created += made
            for window in windows:
                CategoryWindow.objects.get_or_create(category=category, window=window,
                                                     defaults={"priority": 1 if window.kind in kinds else 2})
    return created
