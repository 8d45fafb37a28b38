"""Receiving an application at a window (收件受理): the items, the applicant, the materials
received. With every required material present the case is accepted at once; otherwise one
one-time notice lists every missing or faulty material. The case's number is taken last, from
its centre's counter of the day; on PostgreSQL a case accepted without fees is written by one
statement (`db.cases.insert_accepted`)."""

import secrets
from datetime import date, datetime

from django.db import connection, transaction
from django.utils import timezone

from servicehall.audit.services import audit_event, audit_record, audit_record_all
from servicehall.catalog.models import ItemStatus
from servicehall.db import cases as sql
from servicehall.db.caches import CURRENT_ITEMS
from servicehall.lib.errors import Invalid
from servicehall.lib.identity import IdentityError, validate_citizen_id, validate_mobile
from servicehall.org.models import ServiceCenter, Window

from ..models import (
    DEFAULT_STEPS,
    ApplicantKind,
    Case,
    CaseItem,
    CaseMaterial,
    CaseStatus,
    CaseTransition,
    MaterialState,
    ask_once,
)
from .acceptance import acceptance_fields, notify
from .bill import make_bill
from .common import (
    VersionFacts,
    case_snapshot,
    day_of,
    faulty_entries,
    material_ids,
    materials_missing,
    require_operator,
    required_text,
    version_facts,
)
from .rules import allowed_credit_code

APPLICANT_KINDS = frozenset(ApplicantKind.values)  # `.values` builds a new list on every read


def clean_applicant(applicant: dict | None, today: date) -> dict:
    """The applicant as stored: a person with a citizen ID or an organisation with a credit
    code, and a mobile phone. Errors name the field as `applicant.<name>`."""
    applicant = applicant or {}
    kind = applicant.get("kind")
    if kind not in APPLICANT_KINDS:
        raise Invalid("申请人类型：请选择个人或法人/组织", field="applicant.kind")
    name = required_text(applicant.get("name"), field="applicant.name", label="申请人名称", limit=100)
    try:
        if kind == ApplicantKind.PERSON:
            identity = validate_citizen_id(applicant.get("id_number") or "", today=today)
        else:
            identity = allowed_credit_code(applicant.get("credit_code") or "")
    except IdentityError as exc:
        field = "applicant.id_number" if kind == ApplicantKind.PERSON else "applicant.credit_code"
        label = "身份证号码" if kind == ApplicantKind.PERSON else "统一社会信用代码"
        raise Invalid(exc.labelled(label), field=field) from exc
    try:
        phone = validate_mobile(applicant.get("phone") or "")
    except IdentityError as exc:
        raise Invalid(exc.labelled("联系电话"), field="applicant.phone") from exc
    return {"applicant_kind": kind, "applicant_name": name, "applicant_id": identity, "applicant_phone": phone}


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
        for code, pk, version_id in sql.items_in_use(center.pk, ItemStatus.ACTIVE, unknown):
            found[code] = (pk, version_id)
            if version_id is not None:
                CURRENT_ITEMS.put((center.pk, code), (pk, version_id))
    missing = [c for c in codes if found[c] is None or found[c][1] is None]
    if missing:
        raise Invalid(f"办理事项：本中心没有在用的事项“{'、'.join(missing)}”", field="items")
    return [(c, found[c][0], version_facts(found[c][1])) for c in codes]


def _provisional_number() -> str:
    """Unique until `_number` replaces it in the same transaction; never committed."""
    return f"~{secrets.token_hex(12)}"


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
    today = day_of(now)
    chosen = _items(center, items)
    person = clean_applicant(applicant, today)
    received = material_ids(materials, field="materials", label="已收材料")
    wrong = faulty_entries(faulty)
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
        received_on=today, clerk=actor, ticket=ticket, created_at=now,
        window_id=window.pk if window is not None else ticket.window_id if ticket is not None else None,
        review_token=secrets.token_urlsafe(12))
    case_items = [CaseItem(case=case, item_id=item_id, version=facts.version, position=n)
                  for n, (_, item_id, facts) in enumerate(chosen, 1)]
    asked, alias = ask_once(rows, {v.pk: v.name for v in versions})
    received = {alias.get(pk, pk) for pk in received}
    wrong = {alias.get(pk, pk): problem for pk, problem in wrong.items()}
    case_materials = [
        CaseMaterial(case=case, material=m, name=m.name, required=a.required,
                     state=(MaterialState.FAULTY if m.pk in wrong else MaterialState.RECEIVED if m.pk in received
                            else MaterialState.MISSING), problem=wrong.get(m.pk, ""))
        for a in asked for m in (a.material,)]
    history = [CaseTransition(case=case, center=center, action="receive", step="收件", to_status=CaseStatus.RECEIVED,
                              actor=actor, at=now, data={"items": [code for code, _, _ in chosen]})]
    complete = not materials_missing(case_materials)
    if complete:
        case.status = CaseStatus.ACCEPTED
        for name, value in acceptance_fields(case, today).items():
            setattr(case, name, value)
        history.append(CaseTransition(case=case, center=center, action="accept", step=case.acceptance_step,
                                      from_status=CaseStatus.RECEIVED, to_status=CaseStatus.ACCEPTED, actor=actor,
                                      at=now))
        if connection.vendor == "postgresql" and not any(facts.fees for _, _, facts in chosen):
            # Not kept as prefetched relations (`_remember`): building the two related
            # querysets cost about 5 % of a receipt's CPU, and nothing reads them after acceptance.
            sql.insert_accepted(case, case_items, case_materials, history, _receipt_events(case, actor=actor, now=now))
            return case
    with transaction.atomic():
        case.save(force_insert=True)
        CaseItem.objects.bulk_create(case_items)
        CaseMaterial.objects.bulk_create(case_materials)
        _remember(case, "items", case_items)  # what the decision below reads, without reading it back
        _remember(case, "materials", case_materials)
        if not complete:
            history[0].save(force_insert=True)
            sql.number_case(case, today)
            audit_record(actor=actor, action="case.receive", obj=case, center=center, after=case_snapshot(case),
                         now=now)
            return notify(case, actor=actor, now=now)
        make_bill(case, fees or {})
        CaseTransition.objects.bulk_create(history)
        sql.number_case(case, today)
        audit_record_all(_receipt_events(case, actor=actor, now=now))
    return case


def _receipt_events(case: Case, *, actor, now: datetime) -> list:
    """The audit rows of a case accepted at receipt: received, then accepted."""
    on_receipt = case_snapshot(case) | {"status": CaseStatus.RECEIVED, "due_date": None}
    return [audit_event(actor=actor, action="case.receive", obj=case, center=case.center, after=on_receipt, now=now),
            audit_event(actor=actor, action="case.accept", obj=case, center=case.center, before=on_receipt,
                        after=case_snapshot(case), now=now)]


def _remember(case: Case, relation: str, rows) -> None:
    """Keep rows just written as the case's prefetched `relation`, as prefetch_related would."""
    queryset = getattr(case, relation).all()
    queryset._result_cache, queryset._prefetch_done = list(rows), True
    case.__dict__.setdefault("_prefetched_objects_cache", {})[relation] = queryset
