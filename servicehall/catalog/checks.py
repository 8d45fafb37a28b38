"""Quality checks of an item's implementation list (RULES.md and the catalogue issue).

Pure functions over `ItemData`: the same rules run on every proposal (where a problem
blocks submission) and on the whole approved catalogue (the bureau's health page).
"""

from dataclasses import dataclass

from servicehall.lib.identity import IdentityError, validate_credit_code

from .data import (
    APPROVERS,
    BASIC_STEPS,
    CASE_TYPES,
    FULLY_ONLINE,
    LEVELS,
    MATERIAL_FORMS,
    MATERIAL_SOURCES,
    ItemData,
    ItemType,
)

STRUCTURE_RULES = {"choice"}  # checked even on drafts


@dataclass(frozen=True)
class Problem:
    rule: str
    field: str
    message: str


def _choice(value, choices, field, label, problems):
    if value not in {code for code, _ in choices}:
        problems.append(Problem("choice", field, f"{label}取值无效"))


def check_item(data: ItemData) -> list[Problem]:
    """Every problem of one item, in the order a clerk would fix them."""
    problems: list[Problem] = []
    add = problems.append
    _choice(data.item_type, ItemType.CHOICES, "item_type", "事项类型", problems)
    _choice(data.case_type, CASE_TYPES, "case_type", "办件类型", problems)
    _choice(data.approver, APPROVERS, "approver", "审批人", problems)
    _choice(data.level, LEVELS, "level", "行使层级", problems)
    if data.body_credit_code:
        try:
            validate_credit_code(data.body_credit_code)
        except IdentityError as exc:
            add(Problem("body_credit_code", "body_credit_code", exc.labelled("实施主体统一社会信用代码")))
    if not data.legal_basis:
        add(Problem("legal_basis", "legal_basis", "请填写设定依据"))
    if data.statutory_days is not None and data.promised_days > data.statutory_days:
        add(Problem("promised_over_statutory", "promised_days",
                    f"承诺办结时限（{data.promised_days}个工作日）不能超过法定办结时限（{data.statutory_days}个工作日）"))
    if data.case_type == "instant" and data.promised_days > 0:
        add(Problem("instant_with_days", "promised_days", "即办件应当场办结，承诺办结时限应为0"))
    if data.case_type == "promised" and data.promised_days == 0:
        add(Problem("promised_without_days", "promised_days", "承诺件须填写大于0的承诺办结时限"))
    for index, fee in enumerate(data.fees, start=1):
        if not fee.legal_basis:
            add(Problem("fee_without_basis", f"fees.{index}.legal_basis", f"收费项目“{fee.name}”须填写收费依据"))
        if fee.amount is None and not fee.standard:
            add(Problem("fee_without_amount", f"fees.{index}.amount", f"收费项目“{fee.name}”须填写金额或收费标准"))
    if data.online_payment and data.is_free:
        add(Problem("payment_on_free_item", "online_payment", "不收费的事项不应勾选“支持网上支付”"))
    if data.visits > 0 and not data.visits_reason:
        add(Problem("visits_without_reason", "visits_reason", "到现场次数大于0时，须说明必须到现场的原因"))
    if data.online_depth == FULLY_ONLINE and data.visits > 0:
        add(Problem("online_with_visits", "visits", "全程网办的事项到现场次数应为0"))
    if data.item_type == ItemType.LICENSING:
        names = {step.name for step in data.steps}
        missing = [step for step in BASIC_STEPS if step not in names]
        if missing:
            add(Problem("licensing_steps", "steps",
                        f"行政许可事项须包含受理、审核、审批、办结、送达五个环节，缺少：{'、'.join(missing)}"))
        if not data.faqs:
            add(Problem("licensing_faq", "faqs", "行政许可事项须至少填写一条常见问题"))
    if data.consult_phone and data.consult_phone == data.complaint_phone:
        add(Problem("same_phones", "complaint_phone", "监督投诉电话不能与咨询电话相同"))
    if data.result_name and not data.result_sample:
        add(Problem("result_without_sample", "result_sample", f"审批结果“{data.result_name}”须提供样本"))
    step_days = sum(step.days for step in data.steps)
    if data.case_type == "promised" and data.steps and step_days > data.promised_days:
        add(Problem("steps_over_promise", "steps",
                    f"各环节时限之和（{step_days}个工作日）超过承诺办结时限（{data.promised_days}个工作日）"))
    for index, material in enumerate(data.materials, start=1):
        _choice(material.source, MATERIAL_SOURCES, f"materials.{index}.source", f"材料“{material.name}”的来源",
                problems)
        _choice(material.form, MATERIAL_FORMS, f"materials.{index}.form", f"材料“{material.name}”的形式", problems)
        if material.originals == 0 and material.copies == 0:
            add(Problem("material_without_count", f"materials.{index}.originals",
                        f"材料“{material.name}”的原件和复印件份数不能都为0"))
    return problems
