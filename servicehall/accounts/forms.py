from django import forms

from .models import SecurityPolicy
from .roles import Role


class LoginForm(forms.Form):
    username = forms.CharField(label="用户名", max_length=150,
                               widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}))
    password = forms.CharField(label="密码", widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label="原密码",
                                   widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    new_password = forms.CharField(label="新密码", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                   help_text="至少8位，包含大写字母、小写字母、数字、特殊符号中的至少3类")
    new_password2 = forms.CharField(label="确认新密码",
                                    widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password") != data.get("new_password2"):
            self.add_error("new_password2", "两次输入的新密码不一致")
        return data


class SecurityPolicyForm(forms.ModelForm):
    class Meta:
        model = SecurityPolicy
        fields = ["password_min_length", "password_min_classes", "password_max_age_days",
                  "login_max_failures", "login_lock_minutes", "idle_minutes"]


class NewPasswordFields(forms.Form):
    """A password chosen for someone else, typed twice."""

    password = forms.CharField(label="密码", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                               help_text="对方首次登录时须修改为只有本人知道的密码")
    password2 = forms.CharField(label="确认密码", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", "两次输入的密码不一致")
        return data


class AdminAccountForm(NewPasswordFields):
    """A new account of one of the three admins (the security admin's alone)."""

    username = forms.CharField(label="用户名", max_length=150)
    full_name = forms.CharField(label="姓名", max_length=50, required=False)
    role = forms.ChoiceField(label="角色", choices=[("", "请选择")] + [
        (r, r.label) for r in (Role.SYSADMIN, Role.SECADMIN, Role.AUDITADMIN)])
    field_order = ["username", "full_name", "role", "password", "password2"]
