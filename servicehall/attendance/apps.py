from django.apps import AppConfig


class AttendanceConfig(AppConfig):
    name = "servicehall.attendance"
    verbose_name = "考勤与AB岗"
    audit_actions = {"attendance.device_register": "登记考勤机"}
    audit_groups = {"attendance": "考勤"}
