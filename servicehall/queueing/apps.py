from django.apps import AppConfig


class QueueingConfig(AppConfig):
    name = "servicehall.queueing"
    verbose_name = "叫号"
    audit_actions = {"queue_settings.update": "修改叫号设置", "ticket_category.create": "新建业务类别",
                     "ticket_category.update": "修改业务类别", "window.pause": "暂停窗口叫号",
                     "window.resume": "恢复窗口叫号"}
    audit_groups = {"queue_settings": "叫号设置", "ticket_category": "业务类别"}

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from servicehall.org.models import ServiceCenter, Window

        from .services import hall_org_changed

        # The hall displays show windows' and the centre's names: their saves change its version.
        for model in (Window, ServiceCenter):
            post_save.connect(hall_org_changed, sender=model, dispatch_uid=f"hall_{model.__name__}_saved")
        post_delete.connect(hall_org_changed, sender=Window, dispatch_uid="hall_window_deleted")
