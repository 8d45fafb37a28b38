from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "servicehall.catalog"
    verbose_name = "政务服务事项"
    audit_actions = {"item_change.create": "提出事项变更", "item_change.submit": "提交事项变更",
                     "item_change.approve": "批准事项变更", "item_change.return": "退回事项变更",
                     "item_change.cancel": "撤销事项变更"}
    audit_groups = {"item_change": "事项清单"}
