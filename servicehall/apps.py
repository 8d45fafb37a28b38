"""The project's own AppConfig for Django's admin, kept apart from the admin site it names:
INSTALLED_APPS loads this before any model exists."""

from django.contrib.admin.apps import AdminConfig


class SystemAdminConfig(AdminConfig):
    """INSTALLED_APPS names this instead of django.contrib.admin, so `admin.site` is ours."""

    default_site = "servicehall.admin_site.SystemAdminSite"
