"""Rules the bureau sets for every centre: the yellow light's thresholds and the real credit
codes whose check character fails that receipts may accept (RULES.md), each audited."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from servicehall.accounts.permissions import can
from servicehall.audit.services import audit_record
from servicehall.lib.errors import Conflict, Forbidden, Invalid
from servicehall.lib.identity import CreditCodeChecksumError, IdentityError, validate_credit_code

from ..models import CreditCodeException, LightRules
from .common import required_text


def allowed_credit_code(value: str) -> str:
    """A valid code, or one whose check character alone fails and that the bureau allowed."""
    try:
        return validate_credit_code(value)
    except CreditCodeChecksumError as exc:
        if CreditCodeException.objects.filter(code=exc.value).exists():
            return exc.value
        raise CreditCodeChecksumError(f"{exc.message}（如确为登记机关核发的真实代码，请营商局登记校验例外）",
                                      exc.value) from exc


@transaction.atomic
def credit_code_exception_add(*, actor, code: str, org_name: str, reason: str,
                              now: datetime | None = None) -> CreditCodeException:
    """The bureau lets a real credit code whose check character fails be used, with a reason."""
    now = now or timezone.now()
    if not can(actor, "case.set_rules"):
        raise Forbidden("只有主管全部中心的营商局可以登记信用代码校验例外")
    try:
        validate_credit_code(code or "")
    except CreditCodeChecksumError as exc:
        code = exc.value
    except IdentityError as exc:
        raise Invalid(exc.labelled("统一社会信用代码"), field="code") from exc
    else:
        raise Invalid("统一社会信用代码：该代码校验正确，无需登记例外", field="code")
    org_name = required_text(org_name, field="org_name", label="单位名称", limit=100)
    reason = required_text(reason, field="reason", label="理由")
    if CreditCodeException.objects.filter(code=code).exists():
        raise Conflict("统一社会信用代码：该代码已登记例外", field="code")
    exception = CreditCodeException.objects.create(code=code, org_name=org_name, reason=reason, allowed_by=actor,
                                                   allowed_at=now)
    audit_record(actor=actor, action="case.credit_code_exception", obj=exception,
                 after={"code": code, "org_name": org_name, "reason": reason}, now=now)
    return exception


def _whole(value, *, field: str, label: str, top: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Invalid(f"{label}：应为整数", field=field) from None
    if not 0 <= number <= top:
        raise Invalid(f"{label}：应在0至{top}之间", field=field)
    return number


@transaction.atomic
def light_rules_update(*, actor, yellow_days, yellow_percent, now: datetime | None = None) -> LightRules:
    """The bureau sets when an open case turns yellow (RULES.md: a supervision threshold)."""
    now = now or timezone.now()
    if not can(actor, "case.set_rules"):
        raise Forbidden("只有主管全部中心的营商局可以修改亮灯规则")
    days = _whole(yellow_days, field="yellow_days", label="剩余工作日", top=30)
    percent = _whole(yellow_percent, field="yellow_percent", label="百分比", top=100)
    rules = LightRules.objects.select_for_update().filter(pk=1).first() or LightRules(pk=1)
    before = {"yellow_days": rules.yellow_days, "yellow_percent": rules.yellow_percent}
    rules.yellow_days, rules.yellow_percent, rules.updated_by, rules.updated_at = days, percent, actor, now
    rules.save()
    audit_record(actor=actor, action="case.light_rules", obj=rules, before=before,
                 after={"yellow_days": days, "yellow_percent": percent}, now=now)
    return rules
