"""The roles: one per account, so the three admin roles can never be mixed on one account
(三权分立). Who may do what with them is in `permissions.py`. No models here, so any module may
import this at any time (an AppConfig included)."""

from django.db import models


class Role(models.TextChoices):
    BUREAU = "bureau", "营商局"
    CITY_BUREAU = "city_bureau", "市级营商局"
    LEADERSHIP = "leadership", "领导小组（只读）"
    MANAGER = "manager", "分中心负责人"
    STAFF = "staff", "窗口人员"
    SYSADMIN = "sysadmin", "系统管理员"
    SECADMIN = "secadmin", "安全管理员"
    AUDITADMIN = "auditadmin", "审计管理员"
