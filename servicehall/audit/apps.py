from django.apps import AppConfig
from django.db.backends.signals import connection_created


class AuditConfig(AppConfig):
    name = "servicehall.audit"
    verbose_name = "审计日志"
    audit_actions = {"audit.verify": "校验审计链"}
    audit_groups = {"audit": "审计日志"}

    def ready(self):
        from .chain import prepare_connection

        # Every connection Django opens can chain the audit rows it writes (chain.py).
        connection_created.connect(prepare_connection, dispatch_uid="audit_chain_key")
