from django.apps import AppConfig


class QueueingConfig(AppConfig):
    name = "servicehall.queueing"
    verbose_name = "叫号"

    def ready(self):
        from servicehall.audit.management.commands.run_workers import WORKER_TASKS
        from servicehall.org.demo import register_demo_step

        from .demo import load_demo_queue
        from .services import expire_stale_tickets

        WORKER_TASKS.append(("tickets_expire", expire_stale_tickets))
        register_demo_step(load_demo_queue)
