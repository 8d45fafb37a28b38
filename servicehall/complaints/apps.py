from django.apps import AppConfig


class ComplaintsConfig(AppConfig):
    name = "servicehall.complaints"
    verbose_name = "投诉与意见建议"
    audit_actions = {
        "complaint.file": "登记投诉", "complaint.sign": "签收投诉", "complaint.accept": "受理投诉",
        "complaint.refuse": "不予受理投诉", "complaint.note": "记录调查情况", "complaint.resolve": "处理投诉",
        "complaint.reply": "答复投诉人", "complaint.archive": "投诉归档", "complaint.reopen": "重新办理投诉",
        "complaint.escalate": "投诉转营商局", "complaint.extend": "延长投诉办理期限",
        "complaint.view": "查看投诉人联系方式", "complaint.open311_file": "经Open311登记投诉",
    }
    audit_groups = {"complaint": "投诉与意见建议"}
