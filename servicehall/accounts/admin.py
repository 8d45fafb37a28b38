from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from servicehall.admin_site import SystemAdminModel
from servicehall.audit.services import audit_record

from .models import ApiKey, User
from .permissions import GUARDED_FROM_SYSTEM_ADMIN
from .services import api_key_revoke


@admin.register(User)
class ServiceHallUserAdmin(SystemAdminModel, UserAdmin):
    list_display = ["username", "full_name", "role", "is_active", "last_login", "locked_until"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "full_name"]
    fieldsets = (
        (None, {"fields": ["username", "password"]}),
        ("个人信息", {"fields": ["full_name", "phone", "email"]}),
        ("角色与状态", {"fields": ["role", "is_active", "locked_until", "password_changed_at", "last_login",
                                   "date_joined"]}),
    )
    readonly_fields = ["last_login", "date_joined", "password_changed_at"]

    def has_change_permission(self, request, obj=None):
        """三权分立: the system admin cannot change (or reset the password of) the security and
        audit admins' accounts, or it could take over their powers."""
        return obj is None or obj.role not in GUARDED_FROM_SYSTEM_ADMIN

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        """No existing account is promoted to security or audit admin here; they are created
        as such (and then left alone, see has_change_permission)."""
        field = super().formfield_for_choice_field(db_field, request, **kwargs)
        if db_field.name == "role" and "/add/" not in request.path:
            field.choices = [c for c in field.choices if c[0] not in GUARDED_FROM_SYSTEM_ADMIN]
        return field

    def get_readonly_fields(self, request, obj=None):
        """Nobody changes their own role or switches their own account off (三权分立)."""
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk == request.user.pk:
            fields += ["role", "is_active"]
        return fields
    add_fieldsets = ((None, {"classes": ("wide",),
                             "fields": ("username", "role", "full_name", "password1", "password2")}),)

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

    actions = ["revoke"]

    def has_add_permission(self, request, obj=None):
        return False

    @admin.action(description="作废所选密钥")
    def revoke(self, request, queryset):
        for key in queryset.filter(revoked_at__isnull=True):
            api_key_revoke(actor=request.user, key=key)
