"""Background tasks of electronic supervision (run by `manage.py run_workers`, lib/registry.py)."""

from servicehall.lib.registry import Task

from .services import orders_escalate, supervision_sweep

TASKS = [
    Task("supervision_sweep", supervision_sweep, every=60,
         safe_in_copies="an alert's unique key (rule, subject, occurrence) refuses a second raise, and closing "
                        "compares and sets the alert's state under its row lock"),
    Task("orders_escalate", orders_escalate, every=300,
         safe_in_copies="each escalation compares the colour and deadline it read and gives each person each card "
                        "of an order once (a unique key), so a second copy finds nothing left to do"),
]
