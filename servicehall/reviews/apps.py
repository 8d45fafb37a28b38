from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "servicehall.reviews"
    verbose_name = "好差评"
    audit_actions = {
        "rectification.open": "差评生成整改", "rectification.callback": "差评回访", "rectification.verify": "差评核实",
        "rectification.rectify": "差评整改", "rectification.reply": "整改反馈",
        "rectification.redate": "日历调整整改期限", "rectification.assign": "指派整改办理人",
        "review.contact_view": "查看评价人电话",
        "appeal.file": "差评申诉", "appeal.accept": "申诉成立", "appeal.reject": "申诉不成立",
    }
    audit_groups = {"rectification": "差评整改", "review": "好差评", "appeal": "差评申诉"}

    def ready(self):
        from . import receivers  # noqa: F401 (connects them)
