from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "servicehall.supervision"
    verbose_name = "电子监察"
    audit_actions = {"supervision.rule_update": "修改监察规则", "alert.explain": "预警情况说明",
                     "alert.close": "关闭预警", "order.issue": "下发督办单", "order.reply": "反馈督办单",
                     "order.close": "办结督办单", "order.return": "退回督办反馈", "order.escalate": "督办单升级",
                     "card.issue": "出具提醒或红黄牌"}
    audit_groups = {"supervision": "电子监察", "alert": "监察预警", "order": "督办单", "card": "提醒与红黄牌"}
