"""The item form: main fields plus formsets for steps, materials, fees and FAQs.

It converts to and from `ItemData`, and puts each quality problem (field names such as
`fees.1.legal_basis`) on the exact row and input it concerns.
"""

from django import forms
from pydantic import ValidationError as PydanticError

from .data import APPROVERS, CASE_TYPES, LEVELS, MATERIAL_FORMS, MATERIAL_SOURCES, ONLINE_DEPTHS, ItemData, ItemType

TEXTAREA = forms.Textarea(attrs={"rows": 2})


class ItemForm(forms.Form):
    name = forms.CharField(label="事项名称", max_length=200)
    item_type = forms.ChoiceField(label="事项类型", choices=ItemType.CHOICES)
    basic_code = forms.CharField(label="基本编码", max_length=40, required=False)
    legal_basis = forms.CharField(label="设定依据", widget=TEXTAREA, required=False)
    level = forms.ChoiceField(label="行使层级", choices=LEVELS, initial="county")
    body_name = forms.CharField(label="实施主体", max_length=200, required=False)
    body_credit_code = forms.CharField(label="实施主体统一社会信用代码", max_length=18, required=False)
    case_type = forms.ChoiceField(label="办件类型", choices=CASE_TYPES, initial="promised")
    approver = forms.ChoiceField(label="审批人", choices=APPROVERS, initial="head",
                                 help_text="承诺件的审批人（受理人不能审批本人受理的办件）；即办件由受理窗口当场办结")
    statutory_days = forms.IntegerField(label="法定办结时限（工作日）", min_value=0, max_value=3650, required=False,
                                        help_text="无以工作日计的法定时限时留空")
    promised_days = forms.IntegerField(label="承诺办结时限（工作日）", min_value=0, max_value=3650, initial=0,
                                       help_text="即办件填0")
    conditions = forms.CharField(label="受理条件", widget=TEXTAREA, required=False)
    visits = forms.IntegerField(label="到现场次数", min_value=0, max_value=10, initial=1)
    visits_reason = forms.CharField(label="到现场原因", max_length=500, required=False)
    online_depth = forms.TypedChoiceField(label="网上办理深度", choices=ONLINE_DEPTHS, coerce=int, initial=0)
    appointment = forms.BooleanField(label="支持预约", required=False)
    online_payment = forms.BooleanField(label="支持网上支付", required=False)
    delivery = forms.BooleanField(label="支持物流快递", required=False)
    place = forms.CharField(label="办理地点", max_length=300, required=False)
    hours = forms.CharField(label="办理时间", max_length=300, required=False)
    windows = forms.TypedMultipleChoiceField(label="办理窗口", coerce=int, required=False,
                                             widget=forms.CheckboxSelectMultiple)
    consult_phone = forms.CharField(label="咨询电话", max_length=30, required=False)
    complaint_phone = forms.CharField(label="监督投诉电话", max_length=30, required=False)
    result_name = forms.CharField(label="审批结果名称", max_length=200, required=False)
    result_sample = forms.CharField(label="审批结果样本", max_length=300, required=False,
                                    help_text="样本文件名或查阅方式")
    keywords = forms.CharField(label="关键词", max_length=200, required=False, help_text="便于检索，用空格分隔")
    reason = forms.CharField(label="变更理由", widget=TEXTAREA, required=False)

    def __init__(self, *args, windows=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["windows"].choices = [(w.number, f"{w.number}号窗口 {w.name}") for w in windows]


class StepForm(forms.Form):
    name = forms.CharField(label="环节", max_length=50, required=False)
    days = forms.IntegerField(label="时限（工作日）", min_value=0, max_value=365, required=False)
    description = forms.CharField(label="说明", max_length=300, required=False)


class MaterialForm(forms.Form):
    name = forms.CharField(label="材料名称", max_length=200, required=False)
    source = forms.ChoiceField(label="来源", choices=MATERIAL_SOURCES, initial="applicant")
    originals = forms.IntegerField(label="原件", min_value=0, max_value=99, initial=1, required=False)
    copies = forms.IntegerField(label="复印件", min_value=0, max_value=99, initial=0, required=False)
    required = forms.BooleanField(label="必需", required=False, initial=True)
    form = forms.ChoiceField(label="形式", choices=MATERIAL_FORMS, initial="paper")
    blank_form = forms.CharField(label="空白表格", max_length=300, required=False)
    sample = forms.CharField(label="示例样表", max_length=300, required=False)


class FeeForm(forms.Form):
    name = forms.CharField(label="收费项目", max_length=200, required=False)
    amount = forms.DecimalField(label="金额（元）", min_value=0, max_digits=12, decimal_places=2, required=False)
    standard = forms.CharField(label="收费标准", max_length=300, required=False)
    legal_basis = forms.CharField(label="收费依据", max_length=500, required=False)


class FaqForm(forms.Form):
    question = forms.CharField(label="问题", max_length=300, required=False)
    answer = forms.CharField(label="解答", widget=TEXTAREA, max_length=2000, required=False)


SETS = {  # ItemData list field → (form, key field that marks a row as filled, extra blank rows)
    "steps": (StepForm, "name", 5),   # a licensing item needs the five basic steps
    "materials": (MaterialForm, "name", 3),
    "fees": (FeeForm, "name", 2),
    "faqs": (FaqForm, "question", 2),
}


class ItemFormBundle:
    """The main form and its four formsets, handled as one."""

    def __init__(self, data=None, *, initial: ItemData | dict | None = None, windows=()):
        content = initial.model_dump(mode="json") if isinstance(initial, ItemData) else dict(initial or {})
        self.set_errors: dict[str, str] = {}   # problems of a whole list (e.g. missing steps)
        self.filled: dict[str, list] = {}      # per list, the forms that held a row, in order
        self.form = ItemForm(data, initial=content, windows=windows, prefix="item")
        self.sets = {}
        for name, (form_class, _, extra) in SETS.items():
            rows = content.get(name, [])
            # Enough blank rows to add the typical number, at least two; the rest after a save.
            formset_class = forms.formset_factory(form_class, extra=max(2, extra - len(rows)), max_num=100,
                                                  validate_max=True)
            self.sets[name] = formset_class(data, initial=rows or None, prefix=name)

    def is_valid(self) -> bool:
        return all([self.form.is_valid(), *(s.is_valid() for s in self.sets.values())])

    def to_data(self) -> ItemData | None:
        """The ItemData, or None with the errors placed on the forms."""
        if not self.is_valid():
            return None
        content = {k: v for k, v in self.form.cleaned_data.items() if k != "reason"}
        if content.get("statutory_days") is None:
            content["statutory_days"] = None
        for name, (_, key, _) in SETS.items():
            self.filled[name] = [f for f in self.sets[name].forms if f.cleaned_data.get(key)]
            content[name] = [{k: v for k, v in f.cleaned_data.items() if v not in (None, "") or k == "required"}
                             for f in self.filled[name]]
        content = {k: v for k, v in content.items() if v is not None or k == "statutory_days"}
        try:
            return ItemData.model_validate(content)
        except PydanticError as exc:
            first = exc.errors()[0]
            path = [str(part + 1) if isinstance(part, int) else str(part) for part in first["loc"]]
            self.add_error(".".join(path), "内容不正确，请检查")
            return None

    def add_error(self, field: str | None, message: str) -> None:
        """Place an error named like `fees.1.legal_basis` on row 1 of the fee formset."""
        parts = (field or "").split(".")
        rows = self.filled.get(parts[0]) or []
        if len(parts) >= 2 and parts[1].isdigit() and 1 <= int(parts[1]) <= len(rows):
            target = rows[int(parts[1]) - 1]
            target.add_error(parts[2] if len(parts) > 2 and parts[2] in target.fields else None, message)
            return
        if parts[0] in self.sets:
            self.set_errors[parts[0]] = message
            return
        self.form.add_error(parts[0] if parts[0] in self.form.fields else None, message)

    @property
    def reason(self) -> str:
        return self.form.cleaned_data.get("reason", "") if hasattr(self.form, "cleaned_data") else ""
