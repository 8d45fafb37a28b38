from django.contrib import admin

from .models import Department, District, Membership, ServiceCenter


class SystemAdminModel(admin.ModelAdmin):
    """The admin site is already limited to the system admin; grant it everything there."""

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


@admin.register(District)
class DistrictAdmin(SystemAdminModel):
    list_display = ["code", "name"]


@admin.register(Department)
class DepartmentAdmin(SystemAdminModel):
    list_display = ["name", "district", "credit_code"]


@admin.register(ServiceCenter)
class ServiceCenterAdmin(SystemAdminModel):
    list_display = ["code", "name", "kind", "district", "department"]
    list_filter = ["kind", "district"]


@admin.register(Membership)
class MembershipAdmin(SystemAdminModel):
    list_display = ["user", "center", "department"]
    list_filter = ["center"]
