from django import forms


class CalendarDayForm(forms.Form):
    date = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}))
    is_workday = forms.TypedChoiceField(label="安排", choices=[("0", "放假（休息）"), ("1", "调休上班")],
                                        coerce=lambda v: v == "1")
    name = forms.CharField(label="名称", max_length=30, help_text="如：春节、国庆节调休")


class DueDateForm(forms.Form):
    start = forms.DateField(label="起算日", widget=forms.DateInput(attrs={"type": "date"}))
    days = forms.IntegerField(label="工作日数", min_value=0, max_value=3650)
