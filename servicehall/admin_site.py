"""Django admin for the system admin only (三权分立: not the security or audit admin).

Every change made here is written to the audit trail like any service write.
"""

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from servicehall.accounts.models import Role
from servicehall.audit.services import audit_record, snapshot


def _system_admin_only(request) -> bool:
    user = request.user
    return user.is_active and user.is_authenticated and user.role == Role.SYSADMIN


def _admin_login(request, extra_context=None):
    """No second login form: the admin site signs in through /accounts/login/, which counts
    failures, locks and audits. A signed-in user who is not the system admin gets 403."""
    if request.user.is_authenticated:
        raise PermissionDenied("系统管理后台仅限系统管理员")
    return redirect_to_login(request.GET.get("next") or reverse("admin:index"), login_url=reverse("accounts:login"))


admin.site.has_permission = _system_admin_only
admin.site.login = _admin_login
admin.site.site_header = "政务服务分中心管理平台 · 系统管理"
admin.site.site_title = "系统管理"
admin.site.index_title = "系统管理"

HIDDEN_FIELDS = {"password", "key_hash"}


class SystemAdminModel(admin.ModelAdmin):
    """The site already admits only the system admin: grant it the model, audit each change,
    and never delete (rows are deactivated instead, history stays intact)."""

    def has_module_permission(self, request):
        return True

    def has_view_permission(self, request, obj=None):
        return True

    def has_add_permission(self, request, obj=None):
        return True

    def has_change_permission(self, request, obj=None):
        return True

    def has_delete_permission(self, request, obj=None):
        return False

    def _snapshot(self, obj):
        fields = [f.name for f in obj._meta.concrete_fields if f.name not in HIDDEN_FIELDS]
        return snapshot(obj, fields)

    def save_model(self, request, obj, form, change):
        before = self._snapshot(type(obj).objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        center = getattr(obj, "center", None)
        audit_record(actor=request.user, action=f"admin.{'change' if change else 'add'}", obj=obj, center=center,
                     before=before, after=self._snapshot(obj))
