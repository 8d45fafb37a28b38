"""The catalogue over the API: the public guide's items, proposals and decisions.

`/items` and `/items/{code}` are public (no key, no session): they serve kiosks, the
district platform and any citizen-facing client, and show approved versions only.
"""

from ninja import Query, Router, Schema
from pydantic import Field

from servicehall.api_schemas import errors

from .data import ItemData
from .selectors import (QUERY_MAX_LENGTH, case_type_label, item_type_label, public_center, public_item_guide,
                        public_items)

router = Router(tags=["政务服务事项"])

from servicehall.api import register_field_labels  # noqa: E402  (servicehall.api imports this router)

register_field_labels({"q": "检索词"})

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


class ItemDetailOut(ItemData):
    """The list row, the approved version's number, and its whole content (`ItemData`)."""

    code: str = Field(description="实施编码")
    center: str = Field(description="办理中心编码")
    center_name: str
    item_type_label: str
    case_type_label: str
    version: int = Field(description="现行（已批准）版本号")
    windows_detail: list[WindowOut] = Field(description="办理窗口（窗口号与名称）")


class ItemFilters(Schema):
    center: str | None = Field(None, max_length=20, description="中心编码")
    q: str = Field("", max_length=QUERY_MAX_LENGTH, description="事项名称、关键词或拼音首字母，如 flyz")
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
def items_detail(request, code: str):
    guide = public_item_guide(code)
    return {
        **guide.data.model_dump(), **item_out(guide.item), "version": guide.version.number,
        "windows_detail": [{"number": w.number, "name": w.name} for w in guide.windows],
    }
