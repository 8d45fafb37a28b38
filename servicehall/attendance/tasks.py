"""Background tasks of attendance (run by `manage.py run_workers`, lib/registry.py)."""

from servicehall.lib.registry import Task

from .services import days_due_compute

TASKS = [
    Task("attendance_days_compute", days_due_compute, every=60,
         safe_in_copies="each centre's day is taken under its row lock with SKIP LOCKED, so two copies never compute "
                        "the same day at once; computing a day again gives the same results"),
]
