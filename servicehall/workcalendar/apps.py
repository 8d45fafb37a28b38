from django.apps import AppConfig


class WorkCalendarConfig(AppConfig):
    name = "servicehall.workcalendar"
    verbose_name = "工作日历"
    audit_actions = {"calendar.day_set": "设置节假日/调休", "calendar.day_delete": "删除节假日/调休",
                     "calendar.year_confirm": "确认年度日历"}
    audit_groups = {"calendar": "工作日历"}
