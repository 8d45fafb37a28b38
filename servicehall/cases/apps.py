from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "servicehall.cases"
    verbose_name = "办件"
    audit_actions = {
        "case.receive": "办件收件", "case.notify": "出具一次性告知书", "case.supplement": "补正材料",
        "case.accept": "受理办件", "case.refuse": "不予受理", "case.suspend": "挂起办件", "case.resume": "恢复办件",
        "case.extend": "办件延期", "case.approve": "批准办件", "case.deny": "不予许可", "case.complete": "办结办件",
        "case.deliver": "送达结果", "case.pay": "缴费", "case.waive": "减免收费", "case.view": "查看申请人信息",
        "case.review": "办理审核环节", "case.notify_refused": "再次告知被拒",
        "case.extend_refused": "再次延期被拒", "case.charge_refused": "收费被拒", "case.redate": "日历调整重算期限",
        "case.credit_code_exception": "登记信用代码校验例外", "case.light_rules": "修改亮灯规则",
    }
    audit_groups = {"case": "办件"}

    def ready(self):
        from servicehall.db.rows import cache_long_statements

        from . import receivers  # noqa: F401 (connects them)

        cache_long_statements()  # the accepted case's one statement (db/cases.py)
