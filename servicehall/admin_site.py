"""Django admin for the system admin only (三权分立: not the security or audit admin)."""

from django.contrib import admin

from servicehall.accounts.models import Role


def _system_admin_only(request) -> bool:
    user = request.user
    return user.is_active and user.is_authenticated and user.role == Role.SYSADMIN


admin.site.has_permission = _system_admin_only
admin.site.site_header = "政务服务分中心管理平台 · 系统管理"
admin.site.site_title = "系统管理"
admin.site.index_title = "系统管理"
