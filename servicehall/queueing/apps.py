from django.apps import AppConfig


class QueueingConfig(AppConfig):
    name = "servicehall.queueing"
    verbose_name = "叫号"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from servicehall.audit.management.commands.run_workers import WORKER_TASKS
        from servicehall.org.demo import register_demo_step
        from servicehall.org.models import ServiceCenter, Window

        from .demo import load_demo_queue
        from .services import expire_stale_tickets, hall_org_changed

        WORKER_TASKS.append(("tickets_expire", expire_stale_tickets))
        register_demo_step(load_demo_queue)
        for model in (Window, ServiceCenter):
            post_save.connect(hall_org_changed, sender=model, dispatch_uid=f"hall_{model.__name__}_saved")
        post_delete.connect(hall_org_changed, sender=Window, dispatch_uid="hall_window_deleted")
