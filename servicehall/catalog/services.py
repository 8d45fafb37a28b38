"""Writes to the catalogue: proposals by branch centres, decisions by the bureau.

Every proposal carries a whole `ItemData`; each edit makes a new immutable version, so what
the bureau approved is exactly what it read. Status changes are compare-and-set updates
that leave a history row (`ItemChangeEvent`) and an audit row.
"""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from pypinyin import Style, lazy_pinyin

from servicehall.accounts.permissions import can, require
from servicehall.audit.services import audit_record
from servicehall.db.hotcache import forget
from servicehall.lib.errors import Conflict, Forbidden, Invalid, NotFound
from servicehall.org.models import ServiceCenter
from servicehall.org.selectors import visible_center_ids

from .checks import STRUCTURE_RULES, check_item
from .data import ItemData
from .models import (
    OPEN_STATUSES,
    TRANSITIONS,
    ChangeKind,
    ChangeStatus,
    ItemChange,
    ItemChangeEvent,
    ItemStatus,
    ItemVersion,
    ServiceItem,
    VersionFee,
    VersionMaterial,
)


def _require_proposer(actor, center: ServiceCenter) -> None:
    if center.pk not in visible_center_ids(actor):
        raise NotFound("未找到该中心", field="center")
    require(actor, "catalog.propose", center)


def _require_decider(actor, change: ItemChange) -> None:
    if change.center_id not in visible_center_ids(actor):
        raise NotFound("未找到该变更申请")
    require(actor, "catalog.decide", change.center_id)


def initials(text: str) -> str:
    """Pinyin initials, so a citizen can find 法律援助 by typing "flyz"."""
    return "".join(lazy_pinyin(text, style=Style.FIRST_LETTER, errors="ignore")).lower()


def full_pinyin(text: str) -> str:
    """The name in pinyin without tones or spaces, so "hunyin" (or "hun yin") finds 婚姻登记."""
    return "".join(lazy_pinyin(text, errors="ignore")).lower()


def _new_version(*, actor, item: ServiceItem, data: ItemData, now: datetime) -> ItemVersion:
    ServiceItem.objects.select_for_update().filter(pk=item.pk).first()  # one new version of an item at a time
    number = (item.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = ItemVersion.objects.create(
        item=item, number=number, data=data.model_dump(mode="json"), created_by=actor if actor and actor.pk else None,
        created_at=now, name=data.name, item_type=data.item_type, case_type=data.case_type,
        statutory_days=data.statutory_days, promised_days=data.promised_days, visits=data.visits,
        material_count=len(data.materials),
    )
    VersionMaterial.objects.bulk_create(VersionMaterial(version=version, position=i, name=m.name, required=m.required)
                                        for i, m in enumerate(data.materials, start=1))
    VersionFee.objects.bulk_create(VersionFee(version=version, position=i, name=f.name, amount=f.amount,
                                              standard=f.standard, legal_basis=f.legal_basis)
                                   for i, f in enumerate(data.fees, start=1))
    return version


def _next_code(center: ServiceCenter, item_type: str) -> str:
    prefix = f"{center.code}-{item_type}-"
    last = ServiceItem.objects.filter(code__startswith=prefix).order_by("-code").values_list("code", flat=True).first()
    serial = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{serial:04d}"


def _create_item(*, center: ServiceCenter, data: ItemData, now: datetime) -> ServiceItem:
    """A new item with the centre's next implementation code; two proposals at the same
    instant may both read the same last code, so the loser takes the next one."""
    for _ in range(5):
        try:
            with transaction.atomic():
                return ServiceItem.objects.create(center=center, code=_next_code(center, data.item_type),
                                                  created_at=now, name=data.name)
        except IntegrityError:
            continue
    raise Conflict("实施编码分配冲突，请稍后重试")


def _check_windows(center: ServiceCenter, data: ItemData) -> None:
    numbers = set(center.windows.filter(is_active=True).values_list("number", flat=True))
    unknown = [n for n in data.windows if n not in numbers]
    if unknown:
        raise Invalid(f"办理窗口：本中心没有{'、'.join(map(str, unknown))}号窗口", field="windows")


def _blocking_problem(data: ItemData, *, only_structure: bool = False) -> None:
    """Refuse on the first quality problem. A draft may keep quality problems, but never a
    value outside its code table (it would be baked into the implementation code)."""
    problems = [p for p in check_item(data) if not only_structure or p.rule in STRUCTURE_RULES]
    if problems:
        first = problems[0]
        more = f"（另有{len(problems) - 1}处问题）" if len(problems) > 1 else ""
        raise Invalid(first.message + more, field=first.field, code=f"check_{first.rule}")


def _transition(*, actor, change: ItemChange, to: str, now: datetime, reason: str = "", **fields) -> ItemChange:
    """Compare-and-set on the status; a history row and an audit row."""
    old = change.status
    if to not in TRANSITIONS[ChangeStatus(old)]:
        raise Conflict(f"该申请当前为“{change.get_status_display()}”，不能{ChangeStatus(to).label}")
    updated = ItemChange.objects.filter(pk=change.pk, status=old).update(status=to, **fields)
    if updated != 1:
        raise Conflict("该申请刚被他人处理，请刷新后重试")
    change.refresh_from_db()
    ItemChangeEvent.objects.create(change=change, center_id=change.center_id, from_status=old, to_status=to,
                                   actor=actor, at=now, reason=reason)
    action = {"submitted": "submit", "approved": "approve", "returned": "return", "cancelled": "cancel"}[to]
    audit_record(actor=actor, action=f"item_change.{action}", obj=change, center=change.center,
                 before={"status": old}, after={"status": to, "reason": reason}, now=now)
    return change


@transaction.atomic
def item_propose(*, actor, center: ServiceCenter, data: ItemData, item: ServiceItem | None = None,
                 reason: str = "", submit: bool = True, now: datetime | None = None) -> ItemChange:
    """A new item (item None) or a change of an existing one, submitted for review at once
    unless `submit` is False. A proposal with a quality problem is refused whole."""
    now = now or timezone.now()
    _require_proposer(actor, center)
    _check_windows(center, data)
    _blocking_problem(data, only_structure=not submit)
    if item is None:
        same_name = ServiceItem.objects.filter(center=center, name=data.name).exclude(status=ItemStatus.WITHDRAWN)
        if same_name.exists() or ItemChange.objects.filter(center=center, status__in=OPEN_STATUSES,
                                                           version__name=data.name).exists():
            raise Conflict("本中心已有同名事项，请对该事项提出变更", field="name")
        item = _create_item(center=center, data=data, now=now)
        kind, base = ChangeKind.NEW, None
    else:
        if item.center_id != center.pk:
            raise NotFound("未找到该事项")
        if item.status == ItemStatus.WITHDRAWN:
            raise Conflict("该事项已取消，不能再变更")
        kind, base = ChangeKind.CHANGE, item.current_version
    version = _new_version(actor=actor, item=item, data=data, now=now)
    try:
        with transaction.atomic():
            change = ItemChange.objects.create(center=center, item=item, kind=kind, base_version=base, version=version,
                                               reason=reason, proposed_by=actor, created_at=now)
    except IntegrityError as exc:
        raise Conflict("该事项已有待处理的变更申请，请先处理该申请") from exc
    ItemChangeEvent.objects.create(change=change, center=center, to_status=ChangeStatus.DRAFT, actor=actor, at=now)
    audit_record(actor=actor, action="item_change.create", obj=change, center=center,
                 after={"kind": kind, "item": item.code, "version": version.number}, now=now)
    if submit:
        change = _transition(actor=actor, change=change, to=ChangeStatus.SUBMITTED, now=now)
    return change


@transaction.atomic
def item_withdraw_propose(*, actor, item: ServiceItem, reason: str, now: datetime | None = None) -> ItemChange:
    now = now or timezone.now()
    _require_proposer(actor, item.center)
    if not (reason or "").strip():
        raise Invalid("请说明取消该事项的理由", field="reason")
    if item.status != ItemStatus.ACTIVE:
        raise Conflict("只有在用的事项可以申请取消")
    try:
        with transaction.atomic():
            change = ItemChange.objects.create(center=item.center, item=item, kind=ChangeKind.WITHDRAW,
                                               base_version=item.current_version, reason=reason.strip(),
                                               proposed_by=actor, created_at=now)
    except IntegrityError as exc:
        raise Conflict("该事项已有待处理的变更申请，请先处理该申请") from exc
    ItemChangeEvent.objects.create(change=change, center=item.center, to_status=ChangeStatus.DRAFT, actor=actor, at=now)
    audit_record(actor=actor, action="item_change.create", obj=change, center=item.center,
                 after={"kind": ChangeKind.WITHDRAW, "item": item.code}, now=now)
    return _transition(actor=actor, change=change, to=ChangeStatus.SUBMITTED, now=now)


@transaction.atomic
def item_change_revise(*, actor, change: ItemChange, data: ItemData, submit: bool = True,
                       now: datetime | None = None) -> ItemChange:
    """Edit a draft or returned proposal: a new version, then (by default) submit it again."""
    now = now or timezone.now()
    _require_proposer(actor, change.center)
    if change.status not in (ChangeStatus.DRAFT, ChangeStatus.RETURNED) or change.kind == ChangeKind.WITHDRAW:
        raise Conflict(f"该申请当前为“{change.get_status_display()}”，不能修改")
    _check_windows(change.center, data)
    _blocking_problem(data, only_structure=not submit)
    version = _new_version(actor=actor, item=change.item, data=data, now=now)
    editable = (ChangeStatus.DRAFT, ChangeStatus.RETURNED)
    if ItemChange.objects.filter(pk=change.pk, status__in=editable).update(version=version) != 1:
        raise Conflict("该申请刚被他人处理，请刷新后重试")
    change.refresh_from_db()
    if submit:
        change = _transition(actor=actor, change=change, to=ChangeStatus.SUBMITTED, now=now)
    return change


@transaction.atomic
def item_change_submit(*, actor, change: ItemChange, now: datetime | None = None) -> ItemChange:
    now = now or timezone.now()
    _require_proposer(actor, change.center)
    if change.version is not None:
        _blocking_problem(change.version.content)
    return _transition(actor=actor, change=change, to=ChangeStatus.SUBMITTED, now=now)


@transaction.atomic
def item_change_approve(*, actor, change: ItemChange, reason: str = "", now: datetime | None = None) -> ItemChange:
    """The bureau's approval publishes the version (or withdraws the item) at once."""
    now = now or timezone.now()
    _require_decider(actor, change)
    if change.version is not None:
        _blocking_problem(change.version.content)  # the rules may have tightened since submission
    change = _transition(actor=actor, change=change, to=ChangeStatus.APPROVED, now=now, reason=reason,
                         decided_by=actor, decided_at=now, decision_reason=reason)
    item = ServiceItem.objects.select_for_update().get(pk=change.item_id)
    if change.kind == ChangeKind.WITHDRAW:
        ServiceItem.objects.filter(pk=item.pk).update(status=ItemStatus.WITHDRAWN)
        transaction.on_commit(lambda: forget("catalog.ServiceItem"))
        return change
    _check_windows(change.center, change.version.content)  # a window may have closed since submission
    publish_version(item=item, version=change.version, now=now)
    return change


def publish_version(*, item: ServiceItem, version: ItemVersion, now: datetime) -> None:
    """Make `version` the public one, with the copies that listing and search read."""
    ItemVersion.objects.filter(pk=version.pk).update(approved_at=now)
    data = version.content
    ServiceItem.objects.filter(pk=item.pk).update(
        status=ItemStatus.ACTIVE, current_version=version, name=data.name, initials=initials(data.name),
        pinyin=full_pinyin(data.name),
        search_text=" ".join([data.name, data.keywords, data.result_name, data.body_name]).strip(),
    )
    transaction.on_commit(lambda: forget("catalog.ServiceItem"))  # receipts keep the current version (cases)


@transaction.atomic
def item_change_return(*, actor, change: ItemChange, reason: str, now: datetime | None = None) -> ItemChange:
    now = now or timezone.now()
    _require_decider(actor, change)
    if not (reason or "").strip():
        raise Invalid("退回须写明理由", field="reason")
    return _transition(actor=actor, change=change, to=ChangeStatus.RETURNED, now=now, reason=reason.strip(),
                       decided_by=actor, decided_at=now, decision_reason=reason.strip())


@transaction.atomic
def cancel_refusal(actor, change: ItemChange) -> str | None:
    """Why `actor` may not withdraw `change`, or None: only the proposing side withdraws its own
    proposal; the bureau returns one with a reason instead."""
    if not can(actor, "catalog.propose", change.center_id):
        return "没有提出事项变更的权限"
    if can(actor, "catalog.decide", change.center_id) and change.proposed_by_id != actor.pk:
        return "营商局不能撤销分中心的申请，如需退回请写明理由"
    return None


def item_change_cancel(*, actor, change: ItemChange, now: datetime | None = None) -> ItemChange:
    """Withdraw an open proposal (cancel_refusal says who may)."""
    now = now or timezone.now()
    _require_proposer(actor, change.center)
    refusal = cancel_refusal(actor, change)
    if refusal:
        raise Forbidden(refusal)
    return _transition(actor=actor, change=change, to=ChangeStatus.CANCELLED, now=now)



