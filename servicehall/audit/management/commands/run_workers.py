"""The background loop: periodic work that must not run inside web requests.

Each task is claimed safely (locks or compare-and-set), so any number of copies may run
against one PostgreSQL. Later apps add tasks to WORKER_TASKS (deadline sweeps, outbound
sync…); the audit sealer is the first.
"""

import logging
import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections

from servicehall.audit.services import audit_seal

logger = logging.getLogger("servicehall.workers")

WORKER_TASKS = [("audit_seal", audit_seal)]


class Command(BaseCommand):
    help = "Run the background loop (audit sealing and other periodic work) until stopped."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="one round, then exit")
        parser.add_argument("--interval", type=float, default=settings.SH_AUDIT_SEAL_INTERVAL_SECONDS)

    def handle(self, *args, **options):
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write("后台任务已启动（审计封存等），按 Ctrl-C 停止。")
        while not stopping:
            busy = False
            for name, task in WORKER_TASKS:
                close_old_connections()
                try:
                    busy = bool(task()) or busy
                except Exception:
                    logger.exception("worker task %s failed", name)
            if options["once"]:
                break
            if not busy:
                time.sleep(options["interval"])
        self.stdout.write("后台任务已停止。")
