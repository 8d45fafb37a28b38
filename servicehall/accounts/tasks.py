"""Background tasks of accounts (run by `manage.py run_workers`, lib/registry.py)."""

from servicehall.lib.registry import Task

from .idempotency import idempotent_requests_purge
from .services import login_failures_purge

TASKS = [
    Task("login_failures_purge", login_failures_purge, every=3600,
         safe_in_copies="one DELETE of rows older than a day; a second copy finds nothing left to delete"),
    Task("idempotent_requests_purge", idempotent_requests_purge, every=3600,
         safe_in_copies="one DELETE of answers older than a day; a second copy finds nothing left to delete"),
]
