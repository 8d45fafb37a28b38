from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "servicehall.catalog"
    verbose_name = "政务服务事项"

    def ready(self):
        from servicehall.audit.actions import register
        from servicehall.org.demo import register_demo_step

        from .demo import load_demo_catalog

        register_demo_step(load_demo_catalog)

        register({
            "item_change.create": "提出事项变更",
            "item_change.submit": "提交事项变更",
            "item_change.approve": "批准事项变更",
            "item_change.return": "退回事项变更",
            "item_change.cancel": "撤销事项变更",
        }, groups={"item_change": "事项清单"})
