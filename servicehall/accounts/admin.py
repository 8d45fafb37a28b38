from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from servicehall.admin_site import SystemAdminModel
from servicehall.audit.services import audit_record

from .models import ApiKey, User


@admin.register(User)
class ServiceHallUserAdmin(SystemAdminModel, UserAdmin):
    list_display = ["username", "full_name", "role", "is_active", "last_login", "locked_until"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "full_name"]
    fieldsets = (
        (None, {"fields": ["username", "password"]}),
        ("个人信息", {"fields": ["full_name", "phone", "email"]}),
        ("角色与状态", {"fields": ["role", "is_active", "locked_until", "password_changed_at", "last_login", "date_joined"]}),
    )
    readonly_fields = ["last_login", "date_joined", "password_changed_at"]

    def get_readonly_fields(self, request, obj=None):
        """Nobody changes their own role or switches their own account off (三权分立)."""
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk == request.user.pk:
            fields += ["role", "is_active"]
        return fields
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "role", "full_name", "password1", "password2")}),)

    def log_change(self, request, obj, message):
        """The password page (/admin/accounts/user/<id>/password/) saves through its own form,
        not save_model, so its reset is audited here."""
        entry = super().log_change(request, obj, message)
        match = request.resolver_match
        if match is not None and (match.url_name or "").endswith("_password_change"):
            audit_record(actor=request.user, action="admin.change", obj=obj,
                         after={"password": "已重置" if obj.has_usable_password() else "已停用密码登录"})
        return entry


@admin.register(ApiKey)
class ApiKeyAdmin(SystemAdminModel):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "prefix", "key_hash", "created_at", "last_used_at"]

    def has_add_permission(self, request, obj=None):
        return False
