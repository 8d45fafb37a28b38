from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.db import transaction

from servicehall.admin_site import SystemAdminModel
from servicehall.audit.services import audit_record

from .models import ApiKey, User
from .permissions import BUSINESS
from .services import api_key_revoke


class PasswordResetForm(AdminPasswordChangeForm):
    """The system admin's reset of a business user's password: the holder must change it at
    the next sign-in (saved in the same UPDATE as the password)."""

    def save(self, commit=True):
        self.user.must_change_password = True
        return super().save(commit)


@admin.register(User)
class ServiceHallUserAdmin(SystemAdminModel, UserAdmin):
    """三权分立: the system admin sees and manages business accounts only. The three admins'
    accounts (its own included) are the security admin's (/accounts/admins/), so it can neither
    create an admin nor take over one, nor widen its own powers."""

    list_display = ["username", "full_name", "role", "is_active", "last_login"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "full_name"]
    fieldsets = (
        (None, {"fields": ["username", "password"]}),
        ("个人信息", {"fields": ["full_name", "phone", "email"]}),
        ("角色与状态", {"fields": ["role", "is_active", "must_change_password", "password_changed_at", "last_login",
                                   "date_joined"]}),
    )
    readonly_fields = ["last_login", "date_joined", "password_changed_at", "must_change_password"]
    add_fieldsets = ((None, {"classes": ("wide",),
                             "fields": ("username", "role", "full_name", "password1", "password2")}),)
    change_password_form = PasswordResetForm

    def get_queryset(self, request):
        return super().get_queryset(request).filter(role__in=BUSINESS)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        field = super().formfield_for_choice_field(db_field, request, **kwargs)
        if db_field.name == "role":
            field.choices = [c for c in field.choices if c[0] in BUSINESS]
        return field

    def save_model(self, request, obj, form, change):
        """A new account's first password was chosen by the admin: the holder replaces it."""
        if not change:
            obj.must_change_password = True
        super().save_model(request, obj, form, change)

    @transaction.atomic
    def user_change_password(self, request, id, form_url=""):
        return super().user_change_password(request, id, form_url)

    def log_change(self, request, obj, message):
        """The password page (/admin/accounts/user/<id>/password/) saves through its own form,
        not save_model, so its reset is audited here, as the security admin's page does."""
        entry = super().log_change(request, obj, message)
        match = request.resolver_match
        if match is not None and (match.url_name or "").endswith("_password_change"):
            audit_record(actor=request.user, action="account.password_reset", obj=obj,
                         after={"下次登录须修改密码": True} if obj.has_usable_password() else {"密码登录": "已停用"})
        return entry


@admin.register(ApiKey)
class ApiKeyAdmin(SystemAdminModel):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["user", "prefix", "key_hash", "created_at", "last_used_at"]

    actions = ["revoke"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(user__role__in=BUSINESS)

    def has_add_permission(self, request, obj=None):
        return False

    @admin.action(description="作废所选密钥")
    def revoke(self, request, queryset):
        for key in queryset.filter(revoked_at__isnull=True):
            api_key_revoke(actor=request.user, key=key)
