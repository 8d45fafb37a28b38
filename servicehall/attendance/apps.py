from django.apps import AppConfig


class AttendanceConfig(AppConfig):
    name = "servicehall.attendance"
    verbose_name = "考勤与AB岗"
    audit_actions = {"attendance.device_register": "登记考勤机", "attendance.shift_save": "设置班次",
                     "attendance.extra_day": "设置加开服务日", "attendance.correction": "登记补卡",
                     "leave.apply": "申请请假", "leave.approve": "审批请假", "leave.reject": "驳回请假",
                     "leave.cancel": "撤销请假", "leave.return": "销假"}
    audit_groups = {"attendance": "考勤", "leave": "请假"}
