"""Django admin for the system admin only (三权分立: not the security or audit admin).

Every change made here is written to the audit trail like any service write. The site is
Django's `admin.site` through INSTALLED_APPS (servicehall/apps.py).
"""

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from servicehall.accounts.permissions import can


class SystemAdminSite(admin.AdminSite):
    """Admits whom the permission check allows "admin.site" (the system admin), and signs in
    through /accounts/login/, which counts failures, locks and audits: no second login form."""

    site_header = "政务服务分中心管理平台 · 系统管理"
    site_title = "系统管理"
    index_title = "系统管理"

    def has_permission(self, request) -> bool:
        return can(request.user, "admin.site")

    def login(self, request, extra_context=None):
        """A signed-in user who may not enter gets 403; anyone else the one login page."""
        if request.user.is_authenticated:
            raise PermissionDenied("系统管理后台仅限系统管理员")
        return redirect_to_login(request.GET.get("next") or reverse("admin:index"),
                                 login_url=reverse("accounts:login"))


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
        from servicehall.audit.services import snapshot

        fields = [f.name for f in obj._meta.concrete_fields if f.name not in HIDDEN_FIELDS]
        return snapshot(obj, fields)

    def save_model(self, request, obj, form, change):
        before = self._snapshot(type(obj).objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        from servicehall.audit.services import audit_record

        center = getattr(obj, "center", None)
        audit_record(actor=request.user, action=f"admin.{'change' if change else 'add'}", obj=obj, center=center,
                     before=before, after=self._snapshot(obj))
