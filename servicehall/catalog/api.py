"""The catalogue over the API: the public guide's items, proposals and decisions.

`/items` and `/items/{code}` are public (no key, no session): they serve kiosks, the
district platform and any citizen-facing client, and show approved versions only.
"""

from ninja import Query, Router, Schema, Status
from pydantic import Field

from servicehall.accounts.api_auth import permitted
from servicehall.api_schemas import CenterCode, Id, Reason, errors, text
from servicehall.lib.errors import NotFound
from servicehall.org.selectors import center_for_user

from .checks import check_item
from .data import FIELD_LABELS as ITEM_LABELS
from .data import PART_LABELS, ItemData, Material
from .models import ItemChange, ServiceItem, VersionMaterial
from .selectors import (
    QUERY_MAX_LENGTH,
    case_type_label,
    item_type_label,
    public_center,
    public_item_guide,
    public_items,
)
from .services import (
    item_change_approve,
    item_change_cancel,
    item_change_return,
    item_change_revise,
    item_change_submit,
    item_propose,
    item_withdraw_propose,
)

router = Router(tags=["政务服务事项"], auth=permitted("catalog.view"))
# Chinese names of this router's request fields, for validation messages (servicehall/api.py).
FIELD_LABELS = {"q": "检索词", "reason": "理由", "item": "事项", "submit": "提交审核", "status": "状态", **ITEM_LABELS,
                **PART_LABELS}

LIST_LIMIT_DEFAULT = 50
LIST_LIMIT_MAX = 200


class ItemOut(Schema):
    code: str = Field(description="实施编码")
    name: str
    center: str = Field(description="办理中心编码")
    center_name: str
    item_type: str = Field(description="事项类型代码")
    item_type_label: str
    case_type: str = Field(description="instant 即办件 / promised 承诺件")
    case_type_label: str
    promised_days: int = Field(description="承诺办结时限（工作日），0为当场办结")
    statutory_days: int | None = Field(description="法定办结时限（工作日），null为无工作日时限")
    visits: int = Field(description="最多到现场次数")
    online_depth: int = Field(description="网上办理深度 0–4")


class WindowOut(Schema):
    number: int
    name: str


class MaterialOut(Material):
    id: int = Field(description="材料ID：收件受理（POST /api/v1/cases）的 materials 填写已收材料的这一ID")


class ItemDetailOut(ItemData):
    """The list row, the approved version's number, and its whole content (`ItemData`), each
    material with the id a receipt names it by."""

    materials: list[MaterialOut]

    code: str = Field(description="实施编码")
    center: str = Field(description="办理中心编码")
    center_name: str
    item_type_label: str
    case_type_label: str
    version: int = Field(description="现行（已批准）版本号")
    windows_detail: list[WindowOut] = Field(description="办理窗口（窗口号与名称）")


class ItemFilters(Schema):
    center: str | None = Field(None, max_length=20, description="中心编码")
    q: str = Field("", max_length=QUERY_MAX_LENGTH, description="事项名称、关键词、全拼或拼音首字母，如 falv、flyz")
    limit: int = Field(LIST_LIMIT_DEFAULT, ge=1, le=LIST_LIMIT_MAX, description="条数，最多200")


def item_out(item) -> dict:
    v = item.current_version
    return {
        "code": item.code, "name": item.name, "center": item.center.code, "center_name": item.center.name,
        "item_type": v.item_type, "item_type_label": item_type_label(v.item_type),
        "case_type": v.case_type, "case_type_label": case_type_label(v.case_type),
        "promised_days": v.promised_days, "statutory_days": v.statutory_days, "visits": v.visits,
        "online_depth": v.data.get("online_depth", 0),
    }


@router.get("/items", auth=None, response={200: list[ItemOut], **errors(400, 404)},
            summary="已发布的事项（公开）")
def items_list(request, filters: Query[ItemFilters]):
    """Published items, best matches first; `center` unknown or closed answers 404."""
    if filters.center:
        public_center(filters.center)
    items = public_items(center_code=filters.center, q=filters.q)[: filters.limit]
    return [item_out(i) for i in items]


@router.get("/items/{code}", auth=None, response={200: ItemDetailOut, **errors(404)},
            summary="事项详情（公开，现行版本）")
def items_detail(request, code: text(40)):
    guide = public_item_guide(code)
    ids = list(VersionMaterial.objects.filter(version=guide.version).order_by("position").values_list("pk", flat=True))
    content = guide.data.model_dump()
    content["materials"] = [{**m, "id": pk} for m, pk in zip(content["materials"], ids, strict=True)]
    return {
        **content, **item_out(guide.item), "version": guide.version.number,
        "windows_detail": [{"number": w.number, "name": w.name} for w in guide.windows],
    }


# --- Proposals and decisions (the district platform, managers' tools) -------------------

class ProposalIn(ItemData):
    """A new item (`item` null) or a change of `item`, with the whole implementation list."""

    center: CenterCode = Field(description="中心编码")
    item: text(40) | None = Field(None, description="变更时为事项实施编码，新增时为 null")
    reason: Reason = ""
    submit: bool = Field(True, description="false 时仅保存草稿，不做质量检查")


class DecisionIn(Schema):
    reason: Reason = ""


class ProposalOut(Schema):
    id: int
    center: str
    item: str
    kind: str
    status: str
    status_label: str
    version: int | None
    base_version: int | None
    reason: str
    decision_reason: str
    problems: list[dict]


def proposal_out(change) -> dict:
    problems = check_item(change.version.content) if change.version else []
    return {
        "id": change.pk, "center": change.center.code, "item": change.item.code, "kind": change.kind,
        "status": change.status, "status_label": change.get_status_display(),
        "version": change.version.number if change.version else None,
        "base_version": change.base_version.number if change.base_version else None,
        "reason": change.reason, "decision_reason": change.decision_reason,
        "problems": [{"rule": p.rule, "field": p.field, "message": p.message} for p in problems],
    }


def _proposal(request, change_id: Id):
    change = ItemChange.objects.for_user(request.user).select_related("center", "item", "version", "base_version")
    change = change.filter(pk=change_id).first()
    if change is None:
        raise NotFound("未找到该变更申请")
    return change


class ProposalFilters(Schema):
    center: CenterCode | None = None
    status: text(20) | None = None


@router.get("/proposals", response={200: list[ProposalOut], **errors(400, 401, 403)}, summary="事项变更申请列表")
def proposals_list(request, filters: Query[ProposalFilters]):
    changes = ItemChange.objects.for_user(request.user).select_related("center", "item", "version", "base_version")
    if filters.center:
        changes = changes.filter(center__code=filters.center)
    if filters.status:
        changes = changes.filter(status=filters.status)
    return [proposal_out(c) for c in changes[:500]]


@router.post("/proposals", auth=permitted("catalog.propose"),
             response={201: ProposalOut, **errors(400, 401, 403, 404, 409)}, summary="提出新增或变更事项")
def proposals_create(request, payload: ProposalIn):
    center = center_for_user(request.user, payload.center)
    item = None
    if payload.item:
        item = ServiceItem.objects.for_user(request.user).filter(code=payload.item, center=center).first()
        if item is None:
            raise NotFound("未找到该事项", field="item")
    data = ItemData.model_validate(payload.model_dump(include=set(ItemData.model_fields)))
    change = item_propose(actor=request.user, center=center, item=item, data=data, reason=payload.reason,
                          submit=payload.submit)
    return Status(201, proposal_out(change))


@router.get("/proposals/{change_id}", response={200: ProposalOut, **errors(400, 401, 403, 404)}, summary="变更申请详情")
def proposals_detail(request, change_id: Id):
    return proposal_out(_proposal(request, change_id))


@router.post("/proposals/{change_id}/approve", auth=permitted("catalog.decide"),
             response={200: ProposalOut, **errors(400, 401, 403, 404, 409)}, summary="批准（营商局）")
def proposals_approve(request, change_id: Id, payload: DecisionIn):
    return proposal_out(item_change_approve(actor=request.user, change=_proposal(request, change_id),
                                            reason=payload.reason))


@router.post("/proposals/{change_id}/return", auth=permitted("catalog.decide"),
             response={200: ProposalOut, **errors(400, 401, 403, 404, 409)}, summary="退回（营商局，须写明理由）")
def proposals_return(request, change_id: Id, payload: DecisionIn):
    return proposal_out(item_change_return(actor=request.user, change=_proposal(request, change_id),
                                           reason=payload.reason))


class RevisionIn(ItemData):
    submit: bool = Field(True, description="false 时仅保存草稿")


@router.put("/proposals/{change_id}", auth=permitted("catalog.propose"),
            response={200: ProposalOut, **errors(400, 401, 403, 404, 409)},
            summary="修改草稿或被退回的申请（新版本），默认同时提交")
def proposals_revise(request, change_id: Id, payload: RevisionIn):
    data = ItemData.model_validate(payload.model_dump(include=set(ItemData.model_fields)))
    return proposal_out(item_change_revise(actor=request.user, change=_proposal(request, change_id), data=data,
                                           submit=payload.submit))


@router.post("/proposals/{change_id}/submit", auth=permitted("catalog.propose"),
             response={200: ProposalOut, **errors(400, 401, 403, 404, 409)}, summary="提交草稿")
def proposals_submit(request, change_id: Id):
    return proposal_out(item_change_submit(actor=request.user, change=_proposal(request, change_id)))


@router.post("/proposals/{change_id}/cancel", auth=permitted("catalog.propose"),
             response={200: ProposalOut, **errors(400, 401, 403, 404, 409)}, summary="撤销本中心的申请")
def proposals_cancel(request, change_id: Id):
    return proposal_out(item_change_cancel(actor=request.user, change=_proposal(request, change_id)))


class WithdrawIn(Schema):
    reason: Reason


@router.post("/items/{code}/withdraw", auth=permitted("catalog.propose"),
             response={201: ProposalOut, **errors(400, 401, 403, 404, 409)}, summary="申请取消事项")
def items_withdraw(request, code: text(40), payload: WithdrawIn):
    item = ServiceItem.objects.for_user(request.user).filter(code=code).first()
    if item is None:
        raise NotFound("未找到该事项")
    return Status(201, proposal_out(item_withdraw_propose(actor=request.user, item=item, reason=payload.reason)))
