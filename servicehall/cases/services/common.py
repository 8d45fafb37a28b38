"""What every case service shares: the roles that act, the transition every status change goes
through, the case's dates in working days, the facts of a catalogue version and the rules on
materials. Dates follow the Administrative Licensing Law (RULES.md): periods count working days
from the day after the event (Art. 82)."""

from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from servicehall.accounts.permissions import require
from servicehall.audit.models import Outcome
from servicehall.audit.services import audit_record
from servicehall.catalog.models import ItemVersion, VersionFee, VersionMaterial
from servicehall.db.caches import CASE_VERSIONS
from servicehall.lib.errors import Conflict, Invalid, text_input
from servicehall.lib.workdays import DueDate
from servicehall.workcalendar.selectors import get_calendar

from ..models import TRANSITIONS, Case, CaseMaterial, CaseStatus, CaseTransition, MaterialState

VERBS = {
    CaseStatus.RECEIVED: "补正收件", CaseStatus.AWAITING_MATERIALS: "出具一次性告知", CaseStatus.ACCEPTED: "受理",
    CaseStatus.SUSPENDED: "挂起", CaseStatus.APPROVED: "批准", CaseStatus.DENIED: "作出不予许可决定",
    CaseStatus.COMPLETED: "办结", CaseStatus.DELIVERED: "送达", CaseStatus.REFUSED: "不予受理",
}


def require_operator(user, center_id: int) -> None:
    """Window staff and managers of the case's centre handle it; the bureau reads."""
    require(user, "case.handle", center_id)


def required_text(value, *, field: str, label: str, limit: int = 1000) -> str:
    return text_input(value, field=field, label=label, limit=limit)


@transaction.atomic
def record_refused(case: Case, *, actor, action: str, now: datetime, reason: str = "", step: str = "",
                   data: dict | None = None) -> None:
    """An attempt the rules refuse but supervision must see (a second one-time notice, a second
    extension, a fee the catalogue does not list): a history row and a denied audit row,
    committed on their own, although the attempt itself is refused."""
    data = {"refused": True, **(data or {})}
    CaseTransition.objects.create(case=case, center_id=case.center_id, action=action, step=step,
                                  from_status=case.status, to_status=case.status, actor=actor, at=now,
                                  reason=reason[:1000], data=data)
    audit_record(actor=actor, action=f"case.{action}", obj=case, center=case.center, outcome=Outcome.DENIED,
                 after={"status": case.status, "reason": reason[:1000], **data}, now=now)


def day_of(now: datetime) -> date:
    return timezone.localdate(now)


def due_after(start: date, days: int) -> DueDate:
    return get_calendar().add_workdays(start, days)


def case_snapshot(case: Case) -> dict:
    return {"number": case.number, "status": case.status,
            "due_date": case.due_date.isoformat() if case.due_date else None}


def transition(case: Case, to: str, *, actor, action: str, now: datetime, reason: str = "", step: str = "",
                data: dict | None = None, expect: dict | None = None, **fields) -> Case:
    """Compare-and-set the status (plus `fields`; `expect` names other columns the new values
    were computed from), one history row and one audit row."""
    old = case.status
    if to not in TRANSITIONS[CaseStatus(old)]:
        raise Conflict(f"该办件当前为“{case.get_status_display()}”，不能{VERBS[CaseStatus(to)]}", code="invalid_state")
    if Case.objects.filter(pk=case.pk, status=old, **(expect or {})).update(status=to, **fields) != 1:
        raise Conflict("该办件刚被他人处理，请刷新后重试", code="invalid_state")
    before = case_snapshot(case)
    case.status = to
    for name, value in fields.items():
        setattr(case, name, value)
    CaseTransition.objects.create(case=case, center_id=case.center_id, action=action, step=step, from_status=old,
                                  to_status=to, actor=actor, at=now, reason=reason, data=data or {})
    audit_record(actor=actor, action=f"case.{action}", obj=case, center=case.center, before=before,
                 after=case_snapshot(case) | ({"reason": reason} if reason else {}), now=now)
    return case


@dataclass(frozen=True)
class VersionFacts:
    """What a case takes from one approved catalogue version."""
    version: ItemVersion
    materials: tuple[VersionMaterial, ...]
    fees: tuple[VersionFee, ...]
    steps: tuple[dict, ...]


def version_facts(version_id: int) -> VersionFacts:
    def load() -> VersionFacts:
        version = ItemVersion.objects.get(pk=version_id)
        return VersionFacts(
            version=version,
            materials=tuple(VersionMaterial.objects.filter(version_id=version_id).order_by("position")),
            fees=tuple(VersionFee.objects.filter(version_id=version_id).order_by("position")),
            steps=tuple(s.model_dump() for s in version.content.steps))

    return CASE_VERSIONS.get(version_id, load)


def missing_materials(case: Case) -> list[CaseMaterial]:
    """What a notice must list: required materials not received, and any marked faulty."""
    return materials_missing(case.materials.all())


def materials_missing(materials) -> list[CaseMaterial]:
    return [m for m in materials
            if m.state != MaterialState.RECEIVED and (m.required or m.state == MaterialState.FAULTY)]


def material_ids(values, *, field: str, label: str) -> set[int]:
    try:
        return {int(v) for v in (values or [])}
    except (TypeError, ValueError):
        raise Invalid(f"{label}：应为材料编号列表", field=field) from None


PROBLEM_MAX_LENGTH = 300


def faulty_entries(values) -> dict[int, str]:
    """{material id: what is wrong and what is needed}; the problem must be written down."""
    found = {}
    for entry in values or []:
        try:
            material, problem = int(entry["material"]), (entry.get("problem") or "").strip()
        except (TypeError, ValueError, KeyError, AttributeError):
            raise Invalid("需补正材料：每项应包含材料编号和问题说明", field="faulty") from None
        if not problem:
            raise Invalid("需补正材料：请写明问题及需要的材料", field="faulty")
        if len(problem) > PROBLEM_MAX_LENGTH:  # printed on the notice: refused, never silently cut
            raise Invalid(f"需补正材料：问题说明不能超过{PROBLEM_MAX_LENGTH}字（现为{len(problem)}字）", field="faulty")
        found[material] = problem
    return found
