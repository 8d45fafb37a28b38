"""Background tasks of case handling (run by `manage.py run_workers`, lib/registry.py)."""

from servicehall.lib.registry import Task

from .services import cases_deem_accepted, status_failures_purge

TASKS = [
    Task("cases_deem_accepted", cases_deem_accepted, every=60,
         safe_in_copies="each case is taken with SELECT … FOR UPDATE SKIP LOCKED and accepted by compare-and-set, "
                        "so two copies never accept one case twice"),
    Task("status_failures_purge", status_failures_purge, every=3600,
         safe_in_copies="one DELETE of rows older than a day; a second copy finds nothing left to delete"),
]
