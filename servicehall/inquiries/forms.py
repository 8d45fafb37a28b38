from django import forms

from .models import FirstInquiry


class InquiryLogForm(forms.Form):
    window = forms.ModelChoiceField(label="接待窗口", queryset=None, required=False,
                                    empty_label="不在窗口（大厅引导、电话等）")
    topic = forms.CharField(label="咨询问题", max_length=200, help_text="一句话写明群众问的是什么")
    item_name = forms.CharField(label="相关事项", max_length=200, required=False,
                                help_text="可输入事项名称、名称中的几个字或拼音首字母查找",
                                widget=forms.TextInput(attrs={"list": "item-names", "autocomplete": "off"}))
    item_code = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    detail = forms.CharField(label="问题详情", max_length=2000, required=False,
                             widget=forms.Textarea(attrs={"rows": 3}))
    asker_name = forms.CharField(label="来访人姓名", max_length=50, required=False, help_text="选填；列表中只显示姓氏")
    asker_phone = forms.CharField(label="联系电话", max_length=20, required=False,
                                  help_text="选填；用于回访答复，11位手机号码")
    asker_description = forms.CharField(label="来访人情况", max_length=100, required=False,
                                        help_text="选填，如：企业经办人、老年人、外地来访")
    asked_at = forms.DateTimeField(label="咨询时间", required=False, help_text="留空为现在；可补登30天内的咨询",
                                   widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                              format="%Y-%m-%dT%H:%M"))

    def __init__(self, *args, windows, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["window"].queryset = windows


class AnswerForm(forms.Form):
    answer = forms.CharField(label="答复内容", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class HandOverForm(forms.Form):
    to_user = forms.ModelChoiceField(label="接收人", queryset=None, empty_label="请选择",
                                     error_messages={"invalid_choice": "请选择本中心在岗的人员"})
    note = forms.CharField(label="移交说明", max_length=1000, widget=forms.Textarea(attrs={"rows": 2}),
                           help_text="写明已做的解答、移交原因和群众的诉求")

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = candidates
        self.fields["to_user"].label_from_instance = lambda u: f"{u.display_name}（{u.get_role_display()}）"


class CloseForm(forms.Form):
    note = forms.CharField(label="办结说明", max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, inquiry: FirstInquiry, **kwargs):
        super().__init__(*args, **kwargs)
        if inquiry.is_pending:
            self.fields["note"].help_text = "尚未答复即办结的，须说明原因（如：来访人已离开、无需答复）"


STATE_CHOICES = [("open", "未办结"), ("closed", "已办结"), ("all", "全部")]


class InquiryFilterForm(forms.Form):
    state = forms.ChoiceField(label="状态", choices=STATE_CHOICES, required=False)
    mine = forms.BooleanField(label="只看我负责的", required=False)
