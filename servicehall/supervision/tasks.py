"""Background tasks of electronic supervision (run by `manage.py run_workers`, lib/registry.py)."""

from servicehall.lib.registry import Task

from .services import supervision_sweep

TASKS = [
    Task("supervision_sweep", supervision_sweep, every=60,
         safe_in_copies="an alert's unique key (rule, subject, occurrence) refuses a second raise, and closing "
                        "compares and sets the alert's state under its row lock"),
]
