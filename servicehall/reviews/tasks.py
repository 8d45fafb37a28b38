"""Background tasks of reviews (run by `manage.py run_workers`, lib/registry.py)."""

from servicehall.lib.registry import Task

from .services import rater_phones_purge

TASKS = [
    Task("rater_phones_purge", rater_phones_purge, every=3600,
         safe_in_copies="one UPDATE that blanks what is past the retention period; a second copy finds it blank"),
]
