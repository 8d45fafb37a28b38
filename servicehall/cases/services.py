"""Case handling: receipt, one-time notice, acceptance, the clock, decisions, the one bill.

Every change is a compare-and-set on the status (`_transition`) that appends a
`CaseTransition` and an audit row. Dates follow the Administrative Licensing Law (RULES.md):
periods count working days from the day after the event (Art. 82); a case whose materials were
received and that got neither a decision nor a notice within 5 working days counts as accepted
on the day of receipt (Art. 32, `cases_deem_accepted`); suspension time is not counted (Art. 45);
one extension (Art. 42); delivery within 10 working days of the decision (Art. 44).
"""

import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from servicehall.accounts.models import Role
from servicehall.audit.models import AuditEvent
from servicehall.audit.services import audit_event, audit_record, audit_record_all
from servicehall.catalog.models import ItemStatus, ItemVersion, ServiceItem, VersionFee, VersionMaterial
from servicehall.db.caches import CASE_VERSIONS, CURRENT_ITEMS
from servicehall.db.rows import insert_values
from servicehall.lib.errors import Conflict, Forbidden, Invalid, NotFound, ServiceError
from servicehall.lib.identity import (
    CreditCodeChecksumError,
    IdentityError,
    validate_citizen_id,
    validate_credit_code,
    validate_mobile,
)
from servicehall.lib.workdays import DueDate
from servicehall.org.models import ServiceCenter, Window
from servicehall.org.selectors import visible_center_ids
from servicehall.workcalendar.selectors import build_calendar, get_calendar

from .models import (
    DEFAULT_STEPS,
    OPEN_STATUSES,
    TRANSITIONS,
    ApplicantKind,
    BillLine,
    BillStatus,
    Case,
    CaseCounter,
    CaseItem,
    CaseMaterial,
    CaseStatus,
    CaseTransition,
    ConsolidatedBill,
    CreditCodeException,
    LightRules,
    MaterialState,
    OneTimeNotice,
    StatusLookupFailure,
    StepRole,
)

logger = logging.getLogger(__name__)

OPERATOR_ROLES = {Role.STAFF, Role.MANAGER}
HEAD_ROLES = {Role.MANAGER, Role.BUREAU, Role.CITY_BUREAU}  # may approve an extension (the body's head)
OVERRIDE_ROLES = {Role.BUREAU, Role.CITY_BUREAU}  # may allow a second one-time notice

VERBS = {
    CaseStatus.RECEIVED: "补正收件", CaseStatus.AWAITING_MATERIALS: "出具一次性告知", CaseStatus.ACCEPTED: "受理",
    CaseStatus.SUSPENDED: "挂起", CaseStatus.APPROVED: "批准", CaseStatus.DENIED: "作出不予许可决定",
    CaseStatus.COMPLETED: "办结", CaseStatus.DELIVERED: "送达", CaseStatus.REFUSED: "不予受理",
}


# --- checks ---------------------------------------------------------------------------------

def require_operator(user, center_id: int) -> None:
    """Window staff and managers of the case's centre handle it; the bureau reads."""
    if not (user.is_authenticated and user.role in OPERATOR_ROLES and center_id in visible_center_ids(user)):
        raise Forbidden("只有本中心的窗口人员或负责人可以办理办件")


def _text(value, *, field: str, label: str, limit: int = 1000) -> str:
    text = (value or "").strip()
    if not text:
        raise Invalid(f"{label}：请填写", field=field)
    if len(text) > limit:
        raise Invalid(f"{label}：不能超过{limit}字", field=field)
    return text


APPLICANT_KINDS = frozenset(ApplicantKind.values)  # `.values` builds a new list on every read


def clean_applicant(applicant: dict | None, today: date) -> dict:
    """The applicant as stored: a person with a citizen ID or an organisation with a credit
    code, and a mobile phone. Errors name the field as `applicant.<name>`."""
    applicant = applicant or {}
    kind = applicant.get("kind")
    if kind not in APPLICANT_KINDS:
        raise Invalid("申请人类型：请选择个人或法人/组织", field="applicant.kind")
    name = _text(applicant.get("name"), field="applicant.name", label="申请人名称", limit=100)
    try:
        if kind == ApplicantKind.PERSON:
            identity = validate_citizen_id(applicant.get("id_number") or "", today=today)
        else:
            identity = _credit_code(applicant.get("credit_code") or "")
    except IdentityError as exc:
        field = "applicant.id_number" if kind == ApplicantKind.PERSON else "applicant.credit_code"
        label = "身份证号码" if kind == ApplicantKind.PERSON else "统一社会信用代码"
        raise Invalid(f"{label}：{exc.message}", field=field) from exc
    try:
        phone = validate_mobile(applicant.get("phone") or "")
    except IdentityError as exc:
        raise Invalid(f"联系电话：{exc.message}", field="applicant.phone") from exc
    return {"applicant_kind": kind, "applicant_name": name, "applicant_id": identity, "applicant_phone": phone}


def _credit_code(value: str) -> str:
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
    if not _sees_every_centre(actor):
        raise Forbidden("只有主管全部中心的营商局可以登记信用代码校验例外")
    try:
        validate_credit_code(code or "")
    except CreditCodeChecksumError as exc:
        code = exc.value
    except IdentityError as exc:
        raise Invalid(f"统一社会信用代码：{exc.message}", field="code") from exc
    else:
        raise Invalid("统一社会信用代码：该代码校验正确，无需登记例外", field="code")
    org_name = _text(org_name, field="org_name", label="单位名称", limit=100)
    reason = _text(reason, field="reason", label="理由")
    if CreditCodeException.objects.filter(code=code).exists():
        raise Conflict("统一社会信用代码：该代码已登记例外", field="code")
    exception = CreditCodeException.objects.create(code=code, org_name=org_name, reason=reason, allowed_by=actor,
                                                   allowed_at=now)
    audit_record(actor=actor, action="case.credit_code_exception", obj=exception,
                 after={"code": code, "org_name": org_name, "reason": reason}, now=now)
    return exception


def _sees_every_centre(actor) -> bool:
    """Rules that hold for every centre (lights, credit-code exceptions) are set by a bureau
    that supervises every centre of this installation: the city's, or a district's when the
    installation serves that district alone."""
    return (actor.is_authenticated and actor.role in OVERRIDE_ROLES
            and set(ServiceCenter.objects.values_list("pk", flat=True)) <= set(visible_center_ids(actor)))


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
    if not _sees_every_centre(actor):
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


def _items(center: ServiceCenter, codes) -> list[tuple[str, int, VersionFacts]]:
    """(code, item id, facts of its current version) of each chosen item in use at the centre."""
    codes = [str(c).strip() for c in (codes or []) if str(c).strip()]
    if not codes:
        raise Invalid("办理事项：请至少选择一个事项", field="items")
    if len(set(codes)) != len(codes):
        raise Invalid("办理事项：同一事项不能重复选择", field="items")
    found = {c: CURRENT_ITEMS.peek((center.pk, c)) for c in codes}
    unknown = [c for c, hit in found.items() if hit is None]
    if unknown:
        with connection.cursor() as cursor:  # plain SQL: the ORM's query building cost more
            cursor.execute(f"SELECT code, id, current_version_id FROM {connection.ops.quote_name(ServiceItem._meta.db_table)} "
                           f"WHERE center_id = %s AND status = %s AND code IN ({', '.join(['%s'] * len(unknown))})",
                           [center.pk, ItemStatus.ACTIVE, *unknown])
            for code, pk, version_id in cursor.fetchall():
                found[code] = (pk, version_id)
                if version_id is not None:
                    CURRENT_ITEMS.put((center.pk, code), (pk, version_id))
    missing = [c for c in codes if found[c] is None or found[c][1] is None]
    if missing:
        raise Invalid(f"办理事项：本中心没有在用的事项“{'、'.join(missing)}”", field="items")
    return [(c, found[c][0], version_facts(found[c][1])) for c in codes]


def _material_ids(values, *, field: str, label: str) -> set[int]:
    try:
        return {int(v) for v in (values or [])}
    except (TypeError, ValueError):
        raise Invalid(f"{label}：应为材料编号列表", field=field) from None


def _faulty(values) -> dict[int, str]:
    """{material id: what is wrong and what is needed}; the problem must be written down."""
    found = {}
    for entry in values or []:
        try:
            material, problem = int(entry["material"]), (entry.get("problem") or "").strip()
        except (TypeError, ValueError, KeyError, AttributeError):
            raise Invalid("需补正材料：每项应包含材料编号和问题说明", field="faulty") from None
        if not problem:
            raise Invalid("需补正材料：请写明问题及需要的材料", field="faulty")
        found[material] = problem[:300]
    return found


# --- dates ----------------------------------------------------------------------------------

def _today(now: datetime) -> date:
    return timezone.localdate(now)


def _due(start: date, days: int) -> DueDate:
    return get_calendar().add_workdays(start, days)


# --- numbers --------------------------------------------------------------------------------

# The sequence part of a number in SQL (PostgreSQL), as f"{last:04d}" writes it.
_SEQUENCE = "CASE WHEN {last} < 10000 THEN lpad({last}::text, 4, '0') ELSE {last}::text END"


def _provisional_number() -> str:
    """Unique until `_number` replaces it in the same transaction; never committed."""
    return f"~{secrets.token_hex(12)}"


def _number(case: Case, day: date) -> None:
    """Give a just-inserted case its number: centre code - date - 4-digit sequence of the
    centre's day, from one counter row raised in the case's transaction (so a rolled-back
    receipt gives its number back: no gaps). Concurrent receipts of a centre wait on that row
    from here to their commit, so it is the last write but the audit rows that quote the number."""
    counter, table = (connection.ops.quote_name(m._meta.db_table) for m in (CaseCounter, Case))
    upsert = (f"INSERT INTO {counter} (center_id, day, last) VALUES (%s, %s, 1) ON CONFLICT (center_id, day) "
              f"DO UPDATE SET last = {counter}.last + 1 RETURNING last")
    params = [case.center_id, connection.ops.adapt_datefield_value(day)]
    prefix = f"{case.center.code}-{day:%Y%m%d}-"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # one round trip: raise the counter and set the number
            cursor.execute(f"WITH raised AS ({upsert}) UPDATE {table} SET number = %s || "
                           f"{_SEQUENCE.format(last='raised.last')} FROM raised WHERE {table}.id = %s "
                           f"RETURNING {table}.number", params + [prefix, case.pk])
            case.number = cursor.fetchone()[0]
            return
        cursor.execute(upsert, params)
        case.number = f"{prefix}{cursor.fetchone()[0]:04d}"
        cursor.execute(f"UPDATE {table} SET number = %s WHERE id = %s", [case.number, case.pk])


# --- history --------------------------------------------------------------------------------

def _snapshot(case: Case) -> dict:
    return {"number": case.number, "status": case.status, "due_date": case.due_date.isoformat() if case.due_date else None}


def _transition(case: Case, to: str, *, actor, action: str, now: datetime, reason: str = "", step: str = "",
                data: dict | None = None, expect: dict | None = None, **fields) -> Case:
    """Compare-and-set the status (plus `fields`; `expect` names other columns the new values
    were computed from), one history row and one audit row."""
    old = case.status
    if to not in TRANSITIONS[CaseStatus(old)]:
        raise Conflict(f"该办件当前为“{case.get_status_display()}”，不能{VERBS[CaseStatus(to)]}", code="invalid_state")
    if Case.objects.filter(pk=case.pk, status=old, **(expect or {})).update(status=to, **fields) != 1:
        raise Conflict("该办件刚被他人处理，请刷新后重试", code="invalid_state")
    before = _snapshot(case)
    case.status = to
    for name, value in fields.items():
        setattr(case, name, value)
    CaseTransition.objects.create(case=case, center_id=case.center_id, action=action, step=step, from_status=old,
                                  to_status=to, actor=actor, at=now, reason=reason, data=data or {})
    audit_record(actor=actor, action=f"case.{action}", obj=case, center=case.center, before=before,
                 after=_snapshot(case) | ({"reason": reason} if reason else {}), now=now)
    return case


# --- receipt, notice, acceptance -------------------------------------------------------------

def missing_materials(case: Case) -> list[CaseMaterial]:
    """What a notice must list: required materials not received, and any marked faulty."""
    return _missing(case.materials.all())


def _missing(materials) -> list[CaseMaterial]:
    return [m for m in materials if m.state != MaterialState.RECEIVED and (m.required or m.state == MaterialState.FAULTY)]


def case_submit(*, actor, center: ServiceCenter, items, applicant: dict, materials, faulty=None, ticket=None,
                window: Window | None = None, fees: dict | None = None, now: datetime | None = None) -> Case:
    """Receive an application at one window. With every required material present the case is
    accepted at once (receipt with the due date); otherwise one one-time notice lists every
    missing or faulty material and the case waits for them.

    An accepted case is written in its final state, with both history rows (receive, accept)
    and both audit rows, and its number is taken last: the centre's counter row, which every
    receipt of the day raises, stays locked from then to the commit. On PostgreSQL a case
    without fees is written by one statement (`_insert_accepted`), so that lock never waits
    for a round trip."""
    now = now or timezone.now()
    require_operator(actor, center.pk)
    today = _today(now)
    chosen = _items(center, items)
    person = clean_applicant(applicant, today)
    received = _material_ids(materials, field="materials", label="已收材料")
    wrong = _faulty(faulty)
    rows = sorted((m for _, _, facts in chosen for m in facts.materials), key=lambda m: (m.version_id, m.position))
    if (received | set(wrong)) - {m.pk for m in rows}:
        raise Invalid("已收材料：包含不属于所选事项的材料", field="materials")
    if ticket is not None and ticket.center_id != center.pk:
        raise Invalid("排队号：不是本中心的号", field="ticket")
    versions = [facts.version for _, _, facts in chosen]
    steps = chosen[0][2].steps if len(chosen) == 1 else ()
    case = Case(
        center=center, number=_provisional_number(), status=CaseStatus.RECEIVED, **person,
        joint=len(chosen) > 1, instant=all(v.case_type == "instant" for v in versions),
        promised_days=max(v.promised_days for v in versions),
        steps=[dict(step) for step in steps] if steps else DEFAULT_STEPS,
        received_on=today, clerk=actor, window=window, ticket=ticket, created_at=now,
        review_token=secrets.token_urlsafe(12))
    case_items = [CaseItem(case=case, item_id=item_id, version=facts.version, position=n)
                  for n, (_, item_id, facts) in enumerate(chosen, 1)]
    case_materials = [
        CaseMaterial(case=case, material=m, name=m.name, required=m.required,
                     state=(MaterialState.FAULTY if m.pk in wrong else MaterialState.RECEIVED if m.pk in received
                            else MaterialState.MISSING), problem=wrong.get(m.pk, ""))
        for m in rows]
    history = [CaseTransition(case=case, center=center, action="receive", step="收件", to_status=CaseStatus.RECEIVED,
                              actor=actor, at=now, data={"items": [code for code, _, _ in chosen]})]
    complete = not _missing(case_materials)
    if complete:
        case.status = CaseStatus.ACCEPTED
        for name, value in _acceptance(case, today).items():
            setattr(case, name, value)
        history.append(CaseTransition(case=case, center=center, action="accept", step=case.acceptance_step,
                                      from_status=CaseStatus.RECEIVED, to_status=CaseStatus.ACCEPTED, actor=actor, at=now))
        if connection.vendor == "postgresql" and not any(facts.fees for _, _, facts in chosen):
            # Not kept as prefetched relations (`_remember`): building the two related
            # querysets cost about 5 % of a receipt's CPU, and nothing reads them after acceptance.
            _insert_accepted(case, case_items, case_materials, history, actor=actor, now=now)
            return case
    with transaction.atomic():
        case.save(force_insert=True)
        CaseItem.objects.bulk_create(case_items)
        CaseMaterial.objects.bulk_create(case_materials)
        _remember(case, "items", case_items)  # what the decision below reads, without reading it back
        _remember(case, "materials", case_materials)
        if not complete:
            history[0].save(force_insert=True)
            _number(case, today)
            audit_record(actor=actor, action="case.receive", obj=case, center=center, after=_snapshot(case), now=now)
            return _notify(case, actor=actor, now=now)
        _bill_create(case, fees or {})
        CaseTransition.objects.bulk_create(history)
        _number(case, today)
        audit_record_all(_receipt_events(case, actor=actor, now=now))
    return case


def _receipt_events(case: Case, *, actor, now: datetime) -> list:
    """The audit rows of a case accepted at receipt: received, then accepted."""
    on_receipt = _snapshot(case) | {"status": CaseStatus.RECEIVED, "due_date": None}
    return [audit_event(actor=actor, action="case.receive", obj=case, center=case.center, after=on_receipt, now=now),
            audit_event(actor=actor, action="case.accept", obj=case, center=case.center, before=on_receipt,
                        after=_snapshot(case), now=now)]


def _insert_accepted(case: Case, case_items, case_materials, history, *, actor, now: datetime) -> None:
    """PostgreSQL, a case accepted at receipt without fees: raise the centre's counter, insert
    the case with its number, its items and materials, both history rows and both audit rows,
    in one statement. Run on its own it commits at once: the counter row is locked for the
    rest of that statement and its commit only. Nothing is written if any part fails."""
    counter = connection.ops.quote_name(CaseCounter._meta.db_table)
    day = case.received_on
    case.number = f"{case.center.code}-{day:%Y%m%d}-"
    case_id, number = "(SELECT id FROM k)", "(SELECT number FROM k)"
    with_number = f"jsonb_set(%s::jsonb, '{{number}}', to_jsonb({number}))"
    parts = {
        "c": (f"INSERT INTO {counter} (center_id, day, last) VALUES (%s, %s, 1) ON CONFLICT (center_id, day) "
              f"DO UPDATE SET last = {counter}.last + 1 RETURNING last",
              [case.center_id, connection.ops.adapt_datefield_value(day)]),
        "k": insert_values(Case, [case], {"number": f"%s || (SELECT {_SEQUENCE.format(last='last')} FROM c)"}),
        "i": insert_values(CaseItem, case_items, {"case": case_id}),
        "t": insert_values(CaseTransition, history, {"case": case_id}),
        "a": insert_values(AuditEvent, _receipt_events(case, actor=actor, now=now), {
            "object_id": "(SELECT id::text FROM k)", "object_repr": number, "before": with_number,
            "after": with_number}),
    }
    if case_materials:  # an item may ask for no materials at all
        parts["m"] = insert_values(CaseMaterial, case_materials, {"case": case_id})
    parts["k"] = (parts["k"][0] + " RETURNING id, number", parts["k"][1])
    sql = "WITH " + ", ".join(f"{name} AS ({part})" for name, (part, _) in parts.items()) + " SELECT id, number FROM k"
    with connection.cursor() as cursor:
        cursor.execute(sql, [p for _, params in parts.values() for p in params])
        case.pk, case.number = cursor.fetchone()
    case._state.adding, case._state.db = False, connection.alias


def _remember(case: Case, relation: str, rows) -> None:
    """Keep rows just written as the case's prefetched `relation`, as prefetch_related would."""
    queryset = getattr(case, relation).all()
    queryset._result_cache, queryset._prefetch_done = list(rows), True
    case.__dict__.setdefault("_prefetched_objects_cache", {})[relation] = queryset


def _notify(case: Case, *, actor, now: datetime, override_reason: str = "") -> Case:
    entries = [{"material": m.name, "state": m.state, "problem": m.problem or ("请提交" if m.state == MaterialState.MISSING
                                                                              else "请按要求补正")}
               for m in missing_materials(case)]
    count = case.notices.count()
    OneTimeNotice.objects.create(case=case, center_id=case.center_id, number=f"{case.number}-G{count + 1}",
                                 entries=entries, issued_at=now, issued_by=actor, override_reason=override_reason,
                                 override_by=actor if override_reason else None)
    return _transition(case, CaseStatus.AWAITING_MATERIALS, actor=actor, action="notify", step=case.acceptance_step, now=now,
                       reason=override_reason, data={"entries": entries, "repeat": count > 0})


def case_notify_again(*, actor, case: Case, reason: str, now: datetime | None = None) -> Case:
    """A second one-time notice breaks the rule of telling everything at once: only the bureau
    may allow it, with a written reason. It is a supervision event either way: the bureau's
    notice is in the history, and so is a clerk's refused attempt (committed on its own,
    although the attempt itself is refused)."""
    now = now or timezone.now()
    if not (actor.role in OVERRIDE_ROLES and case.center_id in visible_center_ids(actor)):
        if actor.is_authenticated and actor.role in OPERATOR_ROLES and case.center_id in visible_center_ids(actor):
            _notice_refused(case, actor=actor, now=now, reason=(reason or "").strip()[:1000])
        raise Forbidden("再次出具一次性告知书须经营商局批准（本次请求已记录）")
    with transaction.atomic():
        reason = _text(reason, field="reason", label="再次告知的理由")
        if not missing_materials(case):
            raise Conflict("材料已齐全，无需告知", code="materials_complete")
        return _notify(case, actor=actor, now=now, override_reason=reason)


@transaction.atomic
def _notice_refused(case: Case, *, actor, now: datetime, reason: str) -> None:
    CaseTransition.objects.create(case=case, center_id=case.center_id, action="notify_refused", step=case.acceptance_step,
                                  from_status=case.status, to_status=case.status, actor=actor, at=now, reason=reason,
                                  data={"repeat": True, "refused": True})
    audit_record(actor=actor, action="case.notify_refused", obj=case, center=case.center,
                 after={"status": case.status, "reason": reason}, now=now)


@transaction.atomic
def case_supplement(*, actor, case: Case, materials, faulty=None, now: datetime | None = None) -> Case:
    """The applicant brings the materials the notice asked for; the case waits for the
    clerk's decision again, and Art. 32's five working days count from today."""
    now = now or timezone.now()
    require_operator(actor, case.center_id)
    if case.status != CaseStatus.AWAITING_MATERIALS:
        raise Conflict(f"该办件当前为“{case.get_status_display()}”，不需要补正材料", code="invalid_state")
    received = _material_ids(materials, field="materials", label="补正材料")
    wrong = _faulty(faulty)
    rows = {m.material_id: m for m in case.materials.all()}
    if (received | set(wrong)) - set(rows):
        raise Invalid("补正材料：包含不属于本办件的材料", field="materials")
    for material_id, row in rows.items():
        if material_id in wrong:
            row.state, row.problem = MaterialState.FAULTY, wrong[material_id]
        elif material_id in received:
            row.state, row.problem = MaterialState.RECEIVED, ""
        else:
            continue
        row.save(update_fields=["state", "problem"])
    return _transition(case, CaseStatus.RECEIVED, actor=actor, action="supplement", step=case.acceptance_step, now=now,
                       received_on=_today(now), data={"materials": sorted(received)})


def _acceptance(case: Case, accepted_on: date, *, deemed: bool = False) -> dict:
    """The fields acceptance sets: the day and the due date the promise gives."""
    due = _due(accepted_on, 0 if case.instant else case.promised_days)
    return {"accepted_on": accepted_on, "due_date": due.due, "calendar_confirmed": due.confirmed,
            "deemed_accepted": deemed}


def _accept(case: Case, *, actor, now: datetime, fees: dict | None = None, on: date | None = None,
            deemed: bool = False) -> Case:
    fields = _acceptance(case, on or _today(now), deemed=deemed)
    reason = "收到材料之日起5个工作日内未告知补正，依法自收到材料之日起即为受理" if deemed else ""
    # The status first: of two acceptances at once (a double click, or a clerk and the deemed
    # sweep) the second gets a conflict here, before it could make a second bill.
    case = _transition(case, CaseStatus.ACCEPTED, actor=actor, action="accept", step=case.acceptance_step, now=now,
                       reason=reason, **fields)
    # The law accepts a deemed case whether or not a clerk set the amounts of fees charged by a
    # standard: its bill then holds the fixed fees only, and the clerk records the rest on paper.
    _bill_create(case, fees or {}, skip_unpriced=deemed)
    return case


@transaction.atomic
def case_accept(*, actor, case: Case, fees: dict | None = None, now: datetime | None = None) -> Case:
    """Accept a received case whose materials are complete (受理), with the due date."""
    now = now or timezone.now()
    require_operator(actor, case.center_id)
    if case.status != CaseStatus.RECEIVED:
        raise Conflict(f"该办件当前为“{case.get_status_display()}”，不能受理", code="invalid_state")
    missing = missing_materials(case)
    if missing:
        raise Conflict(f"材料不齐全（{'、'.join(m.name for m in missing)}），不能受理", field="materials",
                       code="materials_incomplete")
    return _accept(case, actor=actor, now=now, fees=fees)


@transaction.atomic
def case_refuse(*, actor, case: Case, reason: str, now: datetime | None = None) -> Case:
    """不予受理, only with a written reason (printed on the decision)."""
    now = now or timezone.now()
    require_operator(actor, case.center_id)
    reason = _text(reason, field="reason", label="不予受理的理由")
    return _transition(case, CaseStatus.REFUSED, actor=actor, action="refuse", step=case.acceptance_step, now=now, reason=reason,
                       decided_on=_today(now))


def cases_deem_accepted(now: datetime | None = None) -> int:
    """The background loop's step (Art. 32): received cases with no decision and no notice
    within 5 working days of receipt are accepted as of the day of receipt."""
    now = now or timezone.now()
    calendar, today = get_calendar(), _today(now)
    limit = settings.SH_CASE_NOTICE_DAYS
    count = 0
    for case in Case.objects.filter(status=CaseStatus.RECEIVED).select_related("center").order_by("received_on"):
        if calendar.workdays_between(case.received_on, today) <= limit:
            break
        try:
            with transaction.atomic():
                _accept(case, actor=None, now=now, on=case.received_on, deemed=True)
        except ServiceError:  # changed meanwhile: the next sweep sees it again; the others go on
            logger.exception("Deemed acceptance of case %s failed", case.number)
            continue
        count += 1
    return count


# --- the clock ------------------------------------------------------------------------------

@transaction.atomic
def case_suspend(*, actor, case: Case, reason: str, now: datetime | None = None) -> Case:
    """Stop the clock for a hearing, testing, appraisal or expert review (Art. 45); the
    applicant is told in writing (the transition's reason is the notice's text)."""
    now = now or timezone.now()
    require_operator(actor, case.center_id)
    reason = _text(reason, field="reason", label="挂起原因")
    return _transition(case, CaseStatus.SUSPENDED, actor=actor, action="suspend", now=now, reason=reason,
                       suspended_on=_today(now), data={"applicant_told": True})


@transaction.atomic
def case_resume(*, actor, case: Case, now: datetime | None = None) -> Case:
    """Restart the clock: the due date moves by the working days the case was suspended."""
    now = now or timezone.now()
    require_operator(actor, case.center_id)
    if case.status != CaseStatus.SUSPENDED:
        raise Conflict(f"该办件当前为“{case.get_status_display()}”，不能恢复", code="invalid_state")
    calendar = get_calendar()
    days = calendar.workdays_between(case.suspended_on, _today(now))
    due = calendar.add_workdays(case.due_date, days)
    # The due date is expected unchanged: an extension made meanwhile would otherwise be lost.
    return _transition(case, CaseStatus.ACCEPTED, actor=actor, action="resume", now=now, due_date=due.due,
                       expect={"due_date": case.due_date, "suspended_on": case.suspended_on},
                       calendar_confirmed=case.calendar_confirmed and due.confirmed, suspended_on=None,
                       suspended_days=case.suspended_days + days, data={"suspended_workdays": days})


def extension_limit(case: Case) -> int:
    """The most working days the one extension may add (Art. 42: 10, joint handling 15)."""
    return settings.SH_CASE_JOINT_EXTENSION_DAYS if case.joint else settings.SH_CASE_EXTENSION_DAYS


@transaction.atomic
def case_extend(*, actor, case: Case, days, reason: str, now: datetime | None = None) -> Case:
    """One extension per case (Art. 42), approved by the head (manager or bureau), at most
    SH_CASE_EXTENSION_DAYS working days (SH_CASE_JOINT_EXTENSION_DAYS for joint cases)."""
    now = now or timezone.now()
    if not (actor.role in HEAD_ROLES and case.center_id in visible_center_ids(actor)):
        raise Forbidden("延期须经中心负责人或营商局批准")
    if case.status not in (CaseStatus.ACCEPTED, CaseStatus.SUSPENDED):
        raise Conflict(f"该办件当前为“{case.get_status_display()}”，不能延期", code="invalid_state")
    if case.extended_days:
        raise Conflict("每件只能延期一次，本件已经延期", code="already_extended")
    limit = extension_limit(case)
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise Invalid("延期天数：应为整数", field="days") from None
    if not 1 <= days <= limit:
        raise Invalid(f"延期天数：应为1至{limit}个工作日", field="days")
    reason = _text(reason, field="reason", label="延期理由")
    old_due = case.due_date
    due = _due(old_due, days)
    updated = Case.objects.filter(pk=case.pk, status=case.status, extended_days=0, due_date=old_due).update(
        extended_days=days, due_date=due.due, calendar_confirmed=case.calendar_confirmed and due.confirmed)
    if updated != 1:
        raise Conflict("该办件刚被他人处理，请刷新后重试", code="invalid_state")
    case.extended_days, case.due_date = days, due.due
    case.calendar_confirmed = case.calendar_confirmed and due.confirmed
    CaseTransition.objects.create(case=case, center_id=case.center_id, action="extend", from_status=case.status,
                                  to_status=case.status, actor=actor, at=now, reason=reason,
                                  data={"days": days, "from": old_due.isoformat(), "to": due.due.isoformat()})
    audit_record(actor=actor, action="case.extend", obj=case, center=case.center, before={"due_date": old_due.isoformat()},
                 after={"due_date": due.due.isoformat(), "days": days, "reason": reason}, now=now)
    return case


# --- process steps, decision, completion, delivery ------------------------------------------

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


def _decide(case: Case, to: str, *, actor, now: datetime, reason: str, action: str, **expect) -> Case:
    require_operator(actor, case.center_id)
    today = _today(now)
    delivery = _due(today, settings.SH_CASE_DELIVERY_DAYS)
    return _transition(case, to, actor=actor, action=action, step=case.step_name(StepRole.DECIDE, "审批"), now=now,
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
    reason = _text(reason, field="reason", label="不予许可的理由")
    return _decide(case, CaseStatus.DENIED, actor=actor, now=now, reason=reason, action="deny")


# Called after the commit of every completed case (higher layers register: the review
# invitation by SMS). Kept as a list so cases never imports them.
CASE_COMPLETED_HOOKS: list = []


@transaction.atomic
def case_complete(*, actor, case: Case, now: datetime | None = None) -> Case:
    """办结: after the decision (or on the spot for 即办件), never while the bill is unpaid."""
    now = now or timezone.now()
    require_operator(actor, case.center_id)
    if case.status == CaseStatus.ACCEPTED and not case.instant:
        raise Conflict("请先作出批准或不予许可的决定", code="invalid_state")
    bill = ConsolidatedBill.objects.filter(case=case).first()
    if bill is not None and not bill.settled:
        raise Conflict(f"缴费单未缴清（合计{bill.total}元），不能办结", code="bill_unpaid")
    today = _today(now)
    fields = {"completed_on": today}
    if case.status == CaseStatus.ACCEPTED:
        fields |= {"decided_on": today, "delivery_due": _due(today, settings.SH_CASE_DELIVERY_DAYS).due}
    case = _transition(case, CaseStatus.COMPLETED, actor=actor, action="complete",
                       step=case.step_name(StepRole.COMPLETE, "办结"), now=now, **fields)
    for hook in CASE_COMPLETED_HOOKS:
        transaction.on_commit(lambda hook=hook: hook(case))
    return case


@transaction.atomic
def case_deliver(*, actor, case: Case, now: datetime | None = None) -> Case:
    now = now or timezone.now()
    require_operator(actor, case.center_id)
    return _transition(case, CaseStatus.DELIVERED, actor=actor, action="deliver",
                       step=case.step_name(StepRole.DELIVER, "送达"), now=now, delivered_on=_today(now))


# --- calendar edits -------------------------------------------------------------------------

def cases_redate(*, actor, year: int, now: datetime | None = None) -> int:
    """After the bureau edits or confirms a year's calendar (inside that edit's transaction):
    every open case whose period touches the year gets its due date computed again from its
    acceptance, promise, suspended and extended working days (they add up, RULES.md), and its
    flag of an unconfirmed year; a decided case not yet delivered gets its delivery date again.
    Each change is a history row and an audit row. Returns the number of cases changed."""
    now = now or timezone.now()
    calendar = build_calendar()  # the edited one, kept from the per-process cache until it commits
    first, last = date(year, 1, 1), date(year, 12, 31)
    changed = 0
    # Locked first, so a clerk's action on one of them waits for the edit instead of failing it.
    for case in (Case.objects.select_for_update(of=("self",))
                 .filter(status__in=OPEN_STATUSES, accepted_on__lte=last, due_date__gte=first)
                 .select_related("center").order_by("pk")):
        days = (0 if case.instant else case.promised_days) + case.suspended_days + case.extended_days
        due = calendar.add_workdays(case.accepted_on, days)
        changed += _redate(case, "due_date", due.due, actor=actor, year=year, now=now, calendar_confirmed=due.confirmed)
    for case in (Case.objects.select_for_update(of=("self",))
                 .filter(status__in=(CaseStatus.APPROVED, CaseStatus.DENIED, CaseStatus.COMPLETED),
                         decided_on__lte=last, delivery_due__gte=first).select_related("center").order_by("pk")):
        due = calendar.add_workdays(case.decided_on, settings.SH_CASE_DELIVERY_DAYS)
        changed += _redate(case, "delivery_due", due.due, actor=actor, year=year, now=now)
    return changed


def _redate(case: Case, field: str, new: date, *, actor, year: int, now: datetime, **also) -> int:
    old = getattr(case, field)
    if old == new and all(getattr(case, k) == v for k, v in also.items()):
        return 0
    if Case.objects.filter(pk=case.pk, status=case.status, **{field: old}).update(**{field: new}, **also) != 1:
        raise Conflict("办件刚被他人处理，请稍后重试日历修改", code="invalid_state")
    if old == new:  # only the year's confirmation: the date stands
        return 1
    label = "承诺办结日期" if field == "due_date" else "送达期限"
    CaseTransition.objects.create(case=case, center_id=case.center_id, action="redate", from_status=case.status,
                                  to_status=case.status, actor=actor, at=now,
                                  reason=f"{year}年工作日历调整，{label}由{old:%Y-%m-%d}改为{new:%Y-%m-%d}",
                                  data={"field": field, "from": old.isoformat(), "to": new.isoformat(), "year": year})
    audit_record(actor=actor, action="case.redate", obj=case, center=case.center, before={field: old.isoformat()},
                 after={field: new.isoformat(), "year": year}, now=now)
    return 1


# --- the citizen's status page --------------------------------------------------------------

# A lookup needs the case number and the last 4 digits of the applicant's phone. Wrong ones are
# counted, so that neither a phone tail (10,000 choices) nor case numbers (predictable) can be
# walked through: STATUS_CASE_FAILURES for one case, or STATUS_IP_FAILURES from one address,
# within STATUS_LOCK_MINUTES refuse further lookups until that many minutes have passed.
STATUS_CASE_FAILURES, STATUS_IP_FAILURES, STATUS_LOCK_MINUTES = 5, 20, 30


def case_status_lookup(*, number: str, phone_tail: str, ip: str | None, now: datetime | None = None) -> Case:
    now = now or timezone.now()
    recent = StatusLookupFailure.objects.filter(at__gte=now - timedelta(minutes=STATUS_LOCK_MINUTES))
    locked = Forbidden(f"查询失败次数过多，请{STATUS_LOCK_MINUTES}分钟后再试，或凭受理通知书到窗口查询")
    if ip and recent.filter(ip=ip).count() >= STATUS_IP_FAILURES:
        raise locked
    case = Case.objects.filter(number=(number or "").strip()).first()
    if case is not None and recent.filter(case=case).count() >= STATUS_CASE_FAILURES:
        raise locked
    if case is None or not phone_tail or not case.applicant_phone.endswith(phone_tail):
        StatusLookupFailure.objects.create(case=case, ip=ip, at=now)
        raise Invalid("办件编号与手机号码后4位不匹配，请核对受理通知书", field="number")
    return case


def status_failures_purge(now: datetime | None = None) -> int:
    """The background loop's step: failed lookups older than a day no longer count."""
    now = now or timezone.now()
    return StatusLookupFailure.objects.filter(at__lt=now - timedelta(days=1)).delete()[0]


# --- the one bill ---------------------------------------------------------------------------

def _bill_create(case: Case, amounts: dict, *, skip_unpriced: bool = False) -> ConsolidatedBill | None:
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
        raise Invalid("收费金额：包含事项目录中没有的收费项目", field="fees")
    lines = []
    for fee in fees:
        amount = fee.amount if fee.amount is not None else given.get(fee.pk)
        if amount is None and skip_unpriced:
            continue
        if amount is None:
            raise Invalid(f"收费金额：请按收费标准填写“{fee.name}”的金额", field="fees")
        if amount < 0 or amount.as_tuple().exponent < -2:
            raise Invalid(f"收费金额：“{fee.name}”的金额应为非负数，最多两位小数", field="fees")
        lines.append(BillLine(case_item=by_version[fee.version_id], fee=fee, name=fee.name, amount=amount))
    if not lines:
        return None
    bill = ConsolidatedBill.objects.create(case=case, center_id=case.center_id, total=sum(line.amount for line in lines))
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
    audit_record(actor=actor, action="case.pay", obj=case, center=case.center, after={"total": str(bill.total)}, now=now)
    return bill


@transaction.atomic
def bill_waive(*, actor, case: Case, reason: str, now: datetime | None = None) -> ConsolidatedBill:
    now = now or timezone.now()
    require_operator(actor, case.center_id)
    reason = _text(reason, field="reason", label="减免理由")
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


# --- one door for the pages and the API ------------------------------------------------------

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
        raise NotFound("不支持的操作")
    return calls[action]()
