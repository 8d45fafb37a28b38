"""The background loop: periodic work that must not run inside web requests.

Every app declares its tasks in its tasks.py (`TASKS`, lib/registry.py), each with how often it
runs and why several copies of this loop at once are safe: any number of them may run against
one PostgreSQL, on any number of machines. A task that did something runs again at once (a
backlog is worked off); otherwise it waits its interval. A task that fails is logged and the
loop goes on.
"""

import logging
import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from servicehall.lib.registry import app_modules

logger = logging.getLogger("servicehall.workers")

LONGEST_SLEEP = 1.0  # seconds: how soon a stop is noticed while every task waits


def declared_tasks() -> list:
    """Every app's tasks, in INSTALLED_APPS order."""
    return [task for module in app_modules("tasks") for task in module.TASKS]


class Command(BaseCommand):
    help = "Run the background loop (audit sealing, deadline sweeps…) until stopped; --list shows the tasks."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run every task once, then exit")
        parser.add_argument("--list", action="store_true", help="list the tasks, how often each runs and why "
                                                                "several copies are safe")

    def handle(self, *args, **options):
        tasks = declared_tasks()
        if options["list"]:
            for task in tasks:
                self.stdout.write(f"{task.name:<24} every {task.every:g} s — {task.safe_in_copies}")
            return
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write("后台任务已启动（审计封存等），按 Ctrl-C 停止。")
        due = {task.name: 0.0 for task in tasks}
        while not stopping:
            for task in tasks:
                if stopping or (time.monotonic() < due[task.name] and not options["once"]):
                    continue
                close_old_connections()
                try:
                    done = task.run()
                except Exception:
                    logger.exception("worker task %s failed", task.name)
                    done = 0
                due[task.name] = time.monotonic() + (0 if done else task.every)
            if options["once"]:
                break
            time.sleep(max(0.0, min(LONGEST_SLEEP, min(due.values()) - time.monotonic())))
        self.stdout.write("后台任务已停止。")
