"""The one bill (一次缴费): every fee of every item of a case on one bill, made at acceptance;
paid or waived with a reason at the window. Only fees the catalogue lists can be charged."""

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from servicehall.audit.services import audit_record
from servicehall.catalog.fees import fee_rule
from servicehall.lib.errors import Conflict, Invalid, NotFound

from ..models import BillLine, BillStatus, Case, CaseTransition, ConsolidatedBill
from .common import require_operator, required_text, version_facts

# What the amount columns hold (12 digits, 2 after the point): beyond it the database refuses.
_column = BillLine._meta.get_field("amount")
AMOUNT_LIMIT = Decimal(10) ** (_column.max_digits - _column.decimal_places)
# The code of a charge the catalogue does not allow (a fee it does not list, an amount off its
# standard): on a case that exists, the attempt is recorded for supervision.
FEE_REFUSED = "fee_refused"


def make_bill(case: Case, amounts: dict, *, skip_unpriced: bool = False) -> ConsolidatedBill | None:
    """All fees of all items on one bill. Fixed fees come from the catalogue; a fee charged by
    a standard needs its amount (`fees`: {fee id: amount}); nothing the catalogue does not
    list can be charged."""
    by_version = {ci.version_id: ci for ci in case.items.all()}
    fees = [fee for version_id in sorted(by_version) for fee in version_facts(version_id).fees]
    if not fees:
        return None
    known = {f.pk for f in fees}
    try:
        given = {int(k): Decimal(str(v)) for k, v in (amounts or {}).items()}
    except (TypeError, ValueError, InvalidOperation):
        raise Invalid("收费金额：应为数字", field="fees") from None
    if set(given) - known:
        raise Invalid("收费金额：包含事项目录中没有的收费项目", field="fees", code=FEE_REFUSED)
    lines = []
    for fee in fees:
        amount = fee.amount if fee.amount is not None else given.get(fee.pk)
        if amount is None and skip_unpriced:
            continue
        if amount is None:
            raise Invalid(f"收费金额：请按收费标准填写“{fee.name}”的金额", field="fees")
        if not amount.is_finite() or amount < 0 or amount.as_tuple().exponent < -2:
            raise Invalid(f"收费金额：“{fee.name}”的金额应为非负数，最多两位小数", field="fees")
        if amount >= AMOUNT_LIMIT:
            raise Invalid(f"收费金额：“{fee.name}”的金额应小于{AMOUNT_LIMIT:,.0f}元", field="fees")
        rule = fee_rule(fee.standard) if fee.amount is None else None
        if rule is not None and not rule.allows(amount):
            raise Invalid(f"收费金额：“{fee.name}”按收费标准（{fee.standard}）{rule.hint}，不能收{amount:g}元",
                          field="fees", code=FEE_REFUSED)
        lines.append(BillLine(case_item=by_version[fee.version_id], fee=fee, name=fee.name, amount=amount))
    if not lines:
        return None
    if sum(line.amount for line in lines) >= AMOUNT_LIMIT:
        raise Invalid(f"收费金额：合计应小于{AMOUNT_LIMIT:,.0f}元", field="fees")
    bill = ConsolidatedBill.objects.create(case=case, center_id=case.center_id,
                                           total=sum(line.amount for line in lines))
    for line in lines:
        line.bill = bill
    BillLine.objects.bulk_create(lines)
    return bill


def _bill(case: Case) -> ConsolidatedBill:
    bill = ConsolidatedBill.objects.filter(case=case).first()
    if bill is None:
        raise NotFound("该办件没有缴费单")
    return bill


@transaction.atomic
def bill_pay(*, actor, case: Case, now: datetime | None = None) -> ConsolidatedBill:
    now = now or timezone.now()
    require_operator(actor, case.center_id)
    bill = _bill(case)
    if ConsolidatedBill.objects.filter(pk=bill.pk, status=BillStatus.UNPAID).update(
            status=BillStatus.PAID, paid_at=now, handled_by=actor) != 1:
        raise Conflict(f"缴费单当前为“{bill.get_status_display()}”", code="invalid_state")
    bill.refresh_from_db()
    CaseTransition.objects.create(case=case, center_id=case.center_id, action="pay", from_status=case.status,
                                  to_status=case.status, actor=actor, at=now, data={"total": str(bill.total)})
    audit_record(actor=actor, action="case.pay", obj=case, center=case.center, after={"total": str(bill.total)},
                 now=now)
    return bill


@transaction.atomic
def bill_waive(*, actor, case: Case, reason: str, now: datetime | None = None) -> ConsolidatedBill:
    now = now or timezone.now()
    require_operator(actor, case.center_id)
    reason = required_text(reason, field="reason", label="减免理由")
    bill = _bill(case)
    if ConsolidatedBill.objects.filter(pk=bill.pk, status=BillStatus.UNPAID).update(
            status=BillStatus.WAIVED, waive_reason=reason, handled_by=actor, paid_at=now) != 1:
        raise Conflict(f"缴费单当前为“{bill.get_status_display()}”", code="invalid_state")
    bill.refresh_from_db()
    CaseTransition.objects.create(case=case, center_id=case.center_id, action="waive", from_status=case.status,
                                  to_status=case.status, actor=actor, at=now, reason=reason,
                                  data={"total": str(bill.total)})
    audit_record(actor=actor, action="case.waive", obj=case, center=case.center,
                 after={"total": str(bill.total), "reason": reason}, now=now)
    return bill
