"""Background tasks of the audit trail (run by `manage.py run_workers`, lib/registry.py)."""

from django.conf import settings

from servicehall.lib.registry import Task

from .services import audit_seal

TASKS = [
    Task("audit_seal", audit_seal, every=settings.SH_AUDIT_SEAL_INTERVAL_SECONDS,
         safe_in_copies="each batch is sealed under a lock on the one chain-head row, so copies seal one after "
                        "another and never chain a row twice"),
]
