from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "servicehall.accounts"
    verbose_name = "账号与安全"

    def ready(self):
        from servicehall.audit.actions import register_roles

        from .models import Role

        register_roles(dict(Role.choices))
