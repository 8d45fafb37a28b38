"""Case handling (办件), one module per topic: `receipt` (收件受理), `acceptance` (notice,
supplement, acceptance, refusal, deemed acceptance), `clock` (suspension, extension, calendar
edits), `decision` (review steps, decision, completion, delivery), `bill` (the one bill),
`rules` (what the bureau sets for every centre), `status_page` (the citizen's lookup); `common`
holds the transition every status change goes through. The hand-written SQL of the receipt is
in `servicehall/db/cases.py`.

Every change is a compare-and-set on the status (`common.transition`) that appends a
`CaseTransition` and an audit row. Dates follow the Administrative Licensing Law (RULES.md):
periods count working days from the day after the event (Art. 82); a case whose materials were
received and that got neither a decision nor a notice within 5 working days counts as accepted
on the day of receipt (Art. 32, `cases_deem_accepted`); suspension time is not counted (Art. 45);
one extension (Art. 42); delivery within 10 working days of the decision (Art. 44).
"""

from datetime import datetime

from servicehall.lib.errors import Invalid

from ..models import Case
from .acceptance import case_accept, case_notify_again, case_refuse, case_supplement, cases_deem_accepted
from .bill import bill_pay, bill_waive
from .clock import case_extend, case_resume, case_suspend, cases_redate, extension_limit
from .common import missing_materials, require_operator, version_facts
from .decision import case_approve, case_complete, case_deliver, case_deny, case_review, decision_refusal
from .receipt import case_submit, clean_applicant
from .rules import credit_code_exception_add, light_rules_update
from .status_page import STATUS_AFTER, case_status_lookup, status_failures_purge

__all__ = [
    "ACTIONS", "STATUS_AFTER", "bill_pay", "bill_waive", "case_accept", "case_act", "case_approve", "case_complete",
    "case_deliver", "case_deny", "case_extend", "case_notify_again", "case_refuse", "case_resume", "case_review",
    "case_status_lookup", "case_submit", "case_supplement", "case_suspend", "cases_deem_accepted", "cases_redate",
    "clean_applicant", "credit_code_exception_add", "decision_refusal", "extension_limit", "light_rules_update",
    "missing_materials", "require_operator", "status_failures_purge", "version_facts",
]


ACTIONS = ("supplement", "accept", "reject", "notify", "suspend", "resume", "extend", "review", "approve", "deny",
           "complete", "deliver", "pay", "waive")


def case_act(*, actor, case: Case, action: str, reason: str | None = None, days=None, materials=(), faulty=(),
             fees: dict | None = None, now: datetime | None = None):
    """Run the named action on a case with the data it needs (each service checks the rest)."""
    calls = {
        "supplement": lambda: case_supplement(actor=actor, case=case, materials=materials, faulty=faulty, now=now),
        "accept": lambda: case_accept(actor=actor, case=case, fees=fees, now=now),
        "reject": lambda: case_refuse(actor=actor, case=case, reason=reason, now=now),
        "notify": lambda: case_notify_again(actor=actor, case=case, reason=reason, now=now),
        "suspend": lambda: case_suspend(actor=actor, case=case, reason=reason, now=now),
        "resume": lambda: case_resume(actor=actor, case=case, now=now),
        "extend": lambda: case_extend(actor=actor, case=case, days=days, reason=reason, now=now),
        "review": lambda: case_review(actor=actor, case=case, opinion=reason, now=now),
        "approve": lambda: case_approve(actor=actor, case=case, reason=reason, now=now),
        "deny": lambda: case_deny(actor=actor, case=case, reason=reason, now=now),
        "complete": lambda: case_complete(actor=actor, case=case, now=now),
        "deliver": lambda: case_deliver(actor=actor, case=case, now=now),
        "pay": lambda: bill_pay(actor=actor, case=case, now=now),
        "waive": lambda: bill_waive(actor=actor, case=case, reason=reason, now=now),
    }
    if action not in calls:
        raise Invalid("操作：请选择要办理的操作", field="action")
    return calls[action]()
