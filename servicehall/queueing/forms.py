from django import forms

from .models import QueueSettings, TicketCategory


class CategoryForm(forms.ModelForm):
    class Meta:
        model = TicketCategory
        fields = ["prefix", "name", "daily_capacity", "slot_capacity", "avg_minutes", "is_active"]

    def clean_prefix(self):
        return (self.cleaned_data.get("prefix") or "").strip().upper()


class QueueSettingsForm(forms.ModelForm):
    regenerate_keys = forms.BooleanField(label="重新生成取号机和大屏密钥（旧地址将失效）", required=False)

    class Meta:
        model = QueueSettings
        fields = ["voice_template", "notice", "recalls_before_skip", "book_min_days", "book_max_days", "cancel_hours",
                  "slot_minutes", "no_show_limit", "no_show_block_days"]
