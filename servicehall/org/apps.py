from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "servicehall.org"
    verbose_name = "组织机构"
    audit_actions = {
        "center.create": "新建中心", "center.update": "修改中心", "window.create": "新建窗口",
        "window.update": "修改窗口", "staff.create": "新建窗口人员", "staff.update": "修改窗口人员",
        "staff.view": "查看人员个人信息", "backup_post.set": "设置AB岗", "department.item_total": "填报部门事项总数",
    }
    audit_groups = {"center": "中心", "window": "窗口", "staff": "窗口人员", "backup_post": "AB岗",
                    "department": "主管部门"}
