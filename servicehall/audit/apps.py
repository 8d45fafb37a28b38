from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "servicehall.audit"
    verbose_name = "审计日志"
