from django import forms

from .models import ApplicantKind, CaseStatus, Light


class CaseFilterForm(forms.Form):
    q = forms.CharField(label="办件编号、申请人或证件号码", required=False, max_length=100)
    center = forms.ChoiceField(label="中心", required=False)
    item = forms.ChoiceField(label="事项", required=False)
    status = forms.ChoiceField(label="状态", required=False, choices=[("", "全部")] + CaseStatus.choices)
    light = forms.ChoiceField(label="亮灯", required=False, choices=[("", "全部")] + Light.choices)
    staff = forms.ChoiceField(label="受理人", required=False)
    date_from = forms.DateField(label="收件日期自", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="至", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, centers, items, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["center"].choices = [("", "全部")] + [(c.code, c.name) for c in centers]
        self.fields["item"].choices = [("", "全部")] + [(i.code, i.name) for i in items]
        self.fields["staff"].choices = [("", "全部")] + [(str(u.pk), u.display_name) for u in staff]
        if len(centers) <= 1:
            del self.fields["center"]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "结束日期不能早于开始日期")
        return data


class ApplicantForm(forms.Form):
    kind = forms.ChoiceField(label="申请人类型", choices=ApplicantKind.choices, initial=ApplicantKind.PERSON,
                             widget=forms.RadioSelect)
    name = forms.CharField(label="申请人名称", max_length=100, help_text="个人填姓名，法人填单位全称")
    id_number = forms.CharField(label="身份证号码", max_length=18, required=False,
                                help_text="个人必填，刷卡或输入18位号码",
                                widget=forms.TextInput(attrs={"data-id-check": "", "autocomplete": "off"}))
    credit_code = forms.CharField(label="统一社会信用代码", max_length=18, required=False,
                                  help_text="法人或其他组织必填")
    phone = forms.CharField(label="联系电话", max_length=20, help_text="11位手机号码，用于告知办理进度")


class ReasonForm(forms.Form):
    reason = forms.CharField(label="理由", max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class StatusLookupForm(forms.Form):
    number = forms.CharField(label="办件编号", max_length=32, help_text="见受理通知书或一次性告知书")
    phone_tail = forms.RegexField(label="手机号码后4位", regex=r"^\d{4}$", max_length=4,
                                  error_messages={"invalid": "请输入申请时所留手机号码的后4位数字"})


class CreditCodeExceptionForm(forms.Form):
    code = forms.CharField(label="统一社会信用代码", max_length=30)
    org_name = forms.CharField(label="单位名称", max_length=100)
    reason = forms.CharField(label="理由", max_length=1000, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="如：经登记机关核实为真实代码（附核实渠道和日期）")


class LightRulesForm(forms.Form):
    yellow_days = forms.IntegerField(label="剩余工作日不超过（天）", min_value=0, max_value=30)
    yellow_percent = forms.IntegerField(label="或剩余不超过承诺时限的（%）", min_value=0, max_value=100,
                                        help_text="满足任一条件即亮黄灯；已超期亮红灯")
