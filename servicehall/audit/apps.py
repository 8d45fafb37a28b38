from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "servicehall.audit"
    verbose_name = "审计日志"
    audit_actions = {"audit.verify": "校验审计链"}
    audit_groups = {"audit": "审计日志"}
