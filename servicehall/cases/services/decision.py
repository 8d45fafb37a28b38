"""From acceptance to the applicant: the review steps of the item's process in order, the
decision (approve, or deny with the reason), completion (never while the bill is unpaid) and
delivery (within 10 working days of the decision, Art. 44)."""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from servicehall.accounts.permissions import can
from servicehall.audit.services import audit_record
from servicehall.lib.errors import Conflict, Forbidden
from servicehall.lib.signals import send_after_commit

from ..models import Case, CaseStatus, CaseTransition, ConsolidatedBill, StepRole
from ..signals import case_completed
from .common import day_of, due_after, require_operator, required_text, transition, version_facts


@transaction.atomic
def case_review(*, actor, case: Case, opinion: str = "", now: datetime | None = None) -> Case:
    """Complete the next review step of the item's process (审核, 审查…), in order, with the
    reviewer's opinion; approval waits until every review step is done."""
    now = now or timezone.now()
    require_operator(actor, case.center_id)
    if case.status != CaseStatus.ACCEPTED:
        raise Conflict(f"该办件当前为“{case.get_status_display()}”，不能办理审核环节", code="invalid_state")
    steps = case.review_steps
    if case.reviews_done >= len(steps):
        raise Conflict("审核环节已全部完成，请作出决定", code="no_review_step")
    step, opinion = steps[case.reviews_done], (opinion or "").strip()[:1000]
    if Case.objects.filter(pk=case.pk, status=CaseStatus.ACCEPTED, reviews_done=case.reviews_done).update(
            reviews_done=case.reviews_done + 1) != 1:
        raise Conflict("该办件刚被他人处理，请刷新后重试", code="invalid_state")
    case.reviews_done += 1
    CaseTransition.objects.create(case=case, center_id=case.center_id, action="review", step=step,
                                  from_status=case.status, to_status=case.status, actor=actor, at=now, reason=opinion)
    audit_record(actor=actor, action="case.review", obj=case, center=case.center,
                 after={"step": step, "opinion": opinion}, now=now)
    return case


def decision_refusal(actor, case: Case) -> str | None:
    """Why `actor` may not approve or deny `case`, or None. 行政许可 practice separates the
    duties: whoever accepted a promised case never decides it, and the decision needs the
    approver the item's catalogue entry names (the head, if any item names the head). A 即办件
    is decided on the spot by the window that accepted it."""
    if not can(actor, "case.handle", case.center_id):
        return "只有本中心的窗口人员或负责人可以办理办件"
    if case.instant or not settings.SH_CASE_SEPARATE_APPROVAL:
        return None
    accepted_by = {case.clerk_id, *case.transitions.filter(action="accept").values_list("actor_id", flat=True)}
    if actor.pk in accepted_by:
        return "受理人不能审批本人受理的承诺件，请由审批人审批"
    approvers = {version_facts(v).version.content.approver for v in case.items.values_list("version_id", flat=True)}
    if "head" in approvers and not can(actor, "case.decide_as_head", case.center_id):
        return "该事项须由分中心负责人（首席代表）审批"
    return None


def _decide(case: Case, to: str, *, actor, now: datetime, reason: str, action: str, **expect) -> Case:
    require_operator(actor, case.center_id)
    refusal = decision_refusal(actor, case) if case.status == CaseStatus.ACCEPTED else None  # else: invalid_state
    if refusal:
        raise Forbidden(refusal)
    today = day_of(now)
    delivery = due_after(today, settings.SH_CASE_DELIVERY_DAYS)
    return transition(case, to, actor=actor, action=action, step=case.step_name(StepRole.DECIDE, "审批"), now=now,
                       reason=reason, decided_on=today, delivery_due=delivery.due, expect=expect)


@transaction.atomic
def case_approve(*, actor, case: Case, reason: str = "", now: datetime | None = None) -> Case:
    """批准, once every review step of the process is done."""
    now = now or timezone.now()
    require_operator(actor, case.center_id)
    pending = case.review_steps[case.reviews_done:]
    if case.status == CaseStatus.ACCEPTED and pending:
        raise Conflict(f"请先完成“{'、'.join(pending)}”环节", code="steps_pending")
    return _decide(case, CaseStatus.APPROVED, actor=actor, now=now, reason=(reason or "").strip(), action="approve",
                   reviews_done=case.reviews_done)


@transaction.atomic
def case_deny(*, actor, case: Case, reason: str, now: datetime | None = None) -> Case:
    """不予许可, only with the written reason the decision gives."""
    now = now or timezone.now()
    reason = required_text(reason, field="reason", label="不予许可的理由")
    return _decide(case, CaseStatus.DENIED, actor=actor, now=now, reason=reason, action="deny")


@transaction.atomic
def case_complete(*, actor, case: Case, now: datetime | None = None, notify_applicant: bool = True) -> Case:
    """办结: after the decision (or on the spot for 即办件), never while the bill is unpaid. The
    apps above are told once it commits (`signals.case_completed`); `notify_applicant` false
    asks them not to contact the applicant (a completion entered afterwards)."""
    now = now or timezone.now()
    require_operator(actor, case.center_id)
    if case.status == CaseStatus.ACCEPTED and not case.instant:
        raise Conflict("请先作出批准或不予许可的决定", code="invalid_state")
    bill = ConsolidatedBill.objects.filter(case=case).first()
    if bill is not None and not bill.settled:
        raise Conflict(f"缴费单未缴清（合计{bill.total}元），不能办结", code="bill_unpaid")
    today = day_of(now)
    fields = {"completed_on": today}
    if case.status == CaseStatus.ACCEPTED:
        fields |= {"decided_on": today, "delivery_due": due_after(today, settings.SH_CASE_DELIVERY_DAYS).due}
    case = transition(case, CaseStatus.COMPLETED, actor=actor, action="complete",
                       step=case.step_name(StepRole.COMPLETE, "办结"), now=now, **fields)
    send_after_commit(case_completed, Case, case=case, notify_applicant=notify_applicant)
    return case


@transaction.atomic
def case_deliver(*, actor, case: Case, now: datetime | None = None) -> Case:
    now = now or timezone.now()
    require_operator(actor, case.center_id)
    return transition(case, CaseStatus.DELIVERED, actor=actor, action="deliver",
                       step=case.step_name(StepRole.DELIVER, "送达"), now=now, delivered_on=day_of(now))
