from django.contrib import admin

from django.contrib.auth.admin import UserAdmin

import servicehall.admin_site  # noqa: F401  (restricts the admin to the system admin)

from .models import ApiKey, User


@admin.register(User)
class ServiceHallUserAdmin(UserAdmin):
    list_display = ["username", "full_name", "role", "is_active", "last_login", "locked_until"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "full_name"]
    fieldsets = UserAdmin.fieldsets + (("平台", {"fields": ["role", "full_name", "phone", "password_changed_at", "locked_until"]}),)

    def has_module_permission(self, request):
        return True

    def has_view_permission(self, request, obj=None):
        return True

    def has_change_permission(self, request, obj=None):
        return True

    def has_add_permission(self, request, obj=None):
        return True


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at"]

    def has_add_permission(self, request):
        return False

    def has_module_permission(self, request):
        return True

    def has_view_permission(self, request, obj=None):
        return True

    def has_change_permission(self, request, obj=None):
        return True
