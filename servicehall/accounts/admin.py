from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from servicehall.admin_site import SystemAdminModel

from .models import ApiKey, User


@admin.register(User)
class ServiceHallUserAdmin(SystemAdminModel, UserAdmin):
    list_display = ["username", "full_name", "role", "is_active", "last_login", "locked_until"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "full_name"]
    fieldsets = UserAdmin.fieldsets + (("平台", {"fields": ["role", "full_name", "phone", "password_changed_at", "locked_until"]}),)
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("username", "role", "full_name", "password1", "password2")}),)


@admin.register(ApiKey)
class ApiKeyAdmin(SystemAdminModel):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "prefix", "key_hash", "created_at", "last_used_at"]

    def has_add_permission(self, request, obj=None):
        return False
