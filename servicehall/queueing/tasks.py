"""Background tasks of the queue (run by `manage.py run_workers`, lib/registry.py)."""

from django.utils import timezone

from servicehall.lib.registry import Task

from .services import appointments_mark_no_show, contact_data_purge, tickets_expire


def expire_stale_tickets(now=None) -> int:
    """Close earlier days' waiting tickets and mark the bookings nobody checked in for."""
    now = now or timezone.now()
    return tickets_expire(before=timezone.localdate(now), now=now) + appointments_mark_no_show(now=now)


TASKS = [
    Task("tickets_expire", expire_stale_tickets, every=60,
         safe_in_copies="every ticket and booking moves by compare-and-set on its status; of two copies the "
                        "second finds it changed and counts nothing"),
    Task("contact_data_purge", contact_data_purge, every=3600,
         safe_in_copies="two UPDATEs that blank what is past the retention period; a second copy finds it blank"),
]
