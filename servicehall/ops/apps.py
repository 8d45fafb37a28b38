from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running the whole: the background loop, the demo, the home pages. Above every domain app,
    so it may import them all and none imports it."""

    name = "servicehall.ops"
    verbose_name = "运行"
    audit_actions = {"demo.load": "加载演示数据"}
    audit_groups = {"demo": "演示数据"}
