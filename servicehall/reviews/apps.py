from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "servicehall.reviews"
    verbose_name = "好差评"

    def ready(self):
        from servicehall.audit.actions import register
        from servicehall.cases.services import CASE_COMPLETED_HOOKS
        from servicehall.org.demo import register_demo_step
        from servicehall.queueing.services import TICKET_FINISHED_HOOKS

        from .demo import load_demo_reviews
        from .services import invite_by_sms, invite_case_by_sms

        if invite_by_sms not in TICKET_FINISHED_HOOKS:
            TICKET_FINISHED_HOOKS.append(invite_by_sms)
        if invite_case_by_sms not in CASE_COMPLETED_HOOKS:
            CASE_COMPLETED_HOOKS.append(invite_case_by_sms)
        register_demo_step(load_demo_reviews)

        register({
            "rectification.open": "差评生成整改", "rectification.callback": "差评回访", "rectification.verify": "差评核实",
            "rectification.rectify": "差评整改", "rectification.reply": "整改反馈", "review.contact_view": "查看评价人电话",
            "appeal.file": "差评申诉", "appeal.accept": "申诉成立", "appeal.reject": "申诉不成立",
        }, groups={"rectification": "差评整改", "review": "好差评", "appeal": "差评申诉"})
