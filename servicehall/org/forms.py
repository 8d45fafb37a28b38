from django import forms

from .models import BackupPost, Department, ServiceCenter, Staff, Window, WindowKind


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class CenterCreateForm(forms.Form):
    name = forms.CharField(label="分中心名称", max_length=80,
                           help_text="格式：<区名>行政服务中心XX分中心，如：龙港区行政服务中心税务分中心")
    code = forms.CharField(label="中心编码", max_length=20, help_text="2–20位字母或数字，如 21140309")
    department = forms.ModelChoiceField(label="主管部门", queryset=Department.objects.none(), empty_label="请选择")
    address = forms.CharField(label="地址", max_length=200, required=False)
    phone = forms.CharField(label="咨询电话", max_length=30, required=False)
    complaint_phone = forms.CharField(label="投诉电话", max_length=30, required=False)

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments


class CenterEditForm(forms.ModelForm):
    class Meta:
        model = ServiceCenter
        fields = ["name", "department", "address", "phone", "complaint_phone", "opens_at", "closes_at", "break_starts",
                  "break_ends", "doc_prefix", "is_active"]
        widgets = {"opens_at": TimeInput(), "closes_at": TimeInput(), "break_starts": TimeInput(),
                   "break_ends": TimeInput()}

    def __init__(self, *args, departments, can_rename: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments
        if not can_rename:
            for name in ("name", "department", "is_active"):
                self.fields[name].disabled = True


class WindowForm(forms.ModelForm):
    class Meta:
        model = Window
        fields = ["number", "name", "kind", "opens_at", "closes_at", "is_active"]
        widgets = {"opens_at": TimeInput(), "closes_at": TimeInput(), "kind": forms.Select(choices=WindowKind.choices)}


class StaffForm(forms.ModelForm):
    class Meta:
        model = Staff
        fields = ["name", "employee_no", "department", "position", "phone", "is_active"]

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments

    def validate_unique(self):
        """Uniqueness per centre is checked by the service, which knows the centre."""


class BackupPostForm(forms.ModelForm):
    class Meta:
        model = BackupPost
        fields = ["holder", "backup_staff"]

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["holder"].queryset = staff
        self.fields["backup_staff"].queryset = staff

    def _post_clean(self):
        """Model validation runs in the service (it needs the window and centre)."""
