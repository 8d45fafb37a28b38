"""The demo catalogue: about 40 real-world items of the seven Longgang branch centres.

`demo-items.json` was gathered from published service guides (see its `source` fields); it is
demo data, not the district's official list. Fields the guides do not give (process steps,
FAQs, samples, phones) get typical values here. Two kinds of flaw in the source are kept on
purpose, so the bureau's catalogue health page has real findings to show: 即办件 with a
promised time of 1–2 days, and a fee given as text ("减收或免收") without an amount.

The items are entered as an initial catalogue (approved by the loader, as when a district
migrates its existing list), not through proposals; idempotent by centre and item name.
"""

import json
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from servicehall.catalog.data import BASIC_STEPS, ItemData, ItemType
from servicehall.catalog.models import ServiceItem
from servicehall.catalog.services import _new_version, _next_code, publish_version
from servicehall.org.models import ServiceCenter

SOURCE = Path(__file__).with_name("demo-items.json")
CENTRES = {  # source centre → demo branch centre codes
    "区司法局公共法律服务中心": ["21140301"],
    "区交通局运输管理所": ["21140302"],
    "区市场监管局分局办事服务大厅": ["21140303", "21140304"],
    "区卫健局妇幼保健院办事大厅": ["21140305"],
    "区民政局救助站": ["21140306"],
    "区信访局信访接待大厅": ["21140307"],
    "区档案局": ["21140308"],
}
HOURS = "周一至周五 8:30—12:00，13:30—17:00（法定节假日除外）"


def _fee(raw: dict) -> dict:
    try:
        amount, standard = Decimal(str(raw["amount"])), ""
    except (InvalidOperation, ValueError):
        amount, standard = None, str(raw["amount"])
    return {"name": raw["name"], "amount": amount, "standard": standard, "legal_basis": raw.get("basis", "")}


def _steps(item_type: str, promised: int) -> list[dict]:
    if item_type != ItemType.LICENSING:
        return [{"name": "受理", "days": 0}, {"name": "办结", "days": promised}]
    review = max(promised - 1, 0)
    return [{"name": "受理", "days": 0}, {"name": "审核", "days": review // 2},
            {"name": "审批", "days": review - review // 2}, {"name": "办结", "days": min(promised, 1)},
            {"name": "送达", "days": 0}][: len(BASIC_STEPS)]


def item_data(raw: dict, center: ServiceCenter) -> ItemData:
    item_type = ItemType.BY_LABEL.get(raw["type"], "10")
    instant = raw["case_type"] == "即办件"
    promised = 0 if instant else int(raw["promised_days"] or 0)  # the source lists some 即办件 with 1 day
    windows = list(center.windows.filter(kind="acceptance").values_list("number", flat=True))
    return ItemData.model_validate({
        "name": raw["name"], "item_type": item_type, "legal_basis": raw["legal_basis"], "level": "county",
        "body_name": f"葫芦岛市龙港{center.department.name[1:]}" if center.department else "",
        "body_credit_code": center.department.credit_code if center.department else "",
        "case_type": "instant" if instant else "promised",
        "statutory_days": raw["statutory_days"], "promised_days": promised,
        "conditions": "符合法律法规规定条件的申请人均可申请。",
        "steps": _steps(item_type, promised),
        "materials": [{"name": m["name"], "originals": m["originals"], "copies": m["copies"],
                       "required": m["required"]} for m in raw["materials"]],
        "fees": [_fee(f) for f in raw["fees"]],
        "visits": raw["visits"],
        "visits_reason": "需当面核验身份及材料原件" if raw["visits"] else "",
        "online_depth": 3 if raw["online"] else 1,
        "appointment": True,
        "place": f"{center.name}（{center.address}）", "hours": HOURS,
        "consult_phone": center.phone, "complaint_phone": center.complaint_phone,
        "faqs": [{"question": "办理需要本人到场吗？",
                  "answer": "原则上须本人或其委托代理人携带身份证件到窗口办理；可先通过网上预约减少等候。"}]
        if item_type == ItemType.LICENSING else [],
        "result_name": raw["result"] or "",
        "result_sample": "办理窗口可查阅结果样本" if raw["result"] else "",
        "windows": windows[:2],
        "keywords": raw["type"],
    })


@transaction.atomic
def load_demo_catalog(district) -> int:
    now = timezone.now()
    created = 0
    for source in json.loads(SOURCE.read_text(encoding="utf-8"))["centres"]:
        for code in CENTRES.get(source["name"], []):
            center = ServiceCenter.objects.filter(code=code, district=district).first()
            if center is None:
                continue
            for raw in source["items"]:
                if ServiceItem.objects.filter(center=center, name=raw["name"]).exists():
                    continue
                data = item_data(raw, center)
                item = ServiceItem.objects.create(center=center, code=_next_code(center, data.item_type),
                                                  created_at=now)
                version = _new_version(actor=None, item=item, data=data, now=now)
                publish_version(item=item, version=version, now=now)
                created += 1
    _demo_item_totals(district)
    return created


def _demo_item_totals(district) -> None:
    """Each department holds a couple more items than its hall has entered, so the demo's
    应进必进 figures show work left to do (the real totals come from the departments)."""
    from servicehall.org.models import Department

    for department in Department.objects.filter(district=district, item_total__isnull=True,
                                                centers__kind="branch").distinct():
        entered = ServiceItem.objects.filter(center__department=department).values("name").distinct().count()
        if entered:
            Department.objects.filter(pk=department.pk).update(item_total=entered + (department.pk % 3))
