from django.apps import AppConfig


class InquiriesConfig(AppConfig):
    name = "servicehall.inquiries"
    verbose_name = "首问责任"
    audit_actions = {"inquiry.log": "登记首问", "inquiry.answer": "答复首问", "inquiry.hand_over": "移交首问",
                     "inquiry.close": "办结首问", "inquiry.view": "查看首问来访人信息"}
    audit_groups = {"inquiry": "首问责任"}
