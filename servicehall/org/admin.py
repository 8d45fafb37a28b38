from django.contrib import admin

from servicehall.admin_site import SystemAdminModel

from .models import Department, District, Membership, ServiceCenter


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
