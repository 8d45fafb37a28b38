from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "servicehall.supervision"
    verbose_name = "电子监察"
    audit_actions = {"supervision.rule_update": "修改监察规则", "alert.explain": "预警情况说明",
                     "alert.close": "关闭预警"}
    audit_groups = {"supervision": "电子监察", "alert": "监察预警"}
