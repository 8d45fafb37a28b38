"""Items and applicants for case tests: published through the catalogue's own services."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from servicehall.catalog.data import ItemData
from servicehall.catalog.models import ServiceItem, VersionMaterial
from servicehall.catalog.services import item_change_approve, item_propose

BEIJING = ZoneInfo("Asia/Shanghai")
CITIZEN = "11010519491231002X"
COMPANY = "91350100M000100Y43"
PERSON = {"kind": "person", "name": "王秀英", "id_number": CITIZEN, "phone": "13800138000"}


def at(year, month, day, hour=10):
    return datetime(year, month, day, hour, tzinfo=BEIJING)


def item_data(name: str, **changes) -> ItemData:
    """A complete promised item (5 working days) with two required materials and one optional."""
    data = {
        "name": name, "item_type": "10", "legal_basis": "《中华人民共和国法律援助法》第四十一条",
        "case_type": "promised", "statutory_days": 7, "promised_days": 5, "conditions": "符合条件的公民",
        "steps": [{"name": "受理", "days": 0}, {"name": "审查", "days": 4}, {"name": "决定", "days": 1}],
        "materials": [
            {"name": "申请表", "originals": 1, "copies": 0},
            {"name": "收入状况证明", "originals": 1, "copies": 0},
            {"name": "其他说明材料", "originals": 1, "copies": 0, "required": False},
        ],
        "fees": [], "visits": 1, "visits_reason": "需当面核验身份", "online_depth": 3,
        "consult_phone": "0429-3030011", "complaint_phone": "0429-3012345", "windows": [1],
        "result_name": "决定书", "result_sample": "窗口可查阅样本",
    }
    data.update(changes)
    return ItemData.model_validate(data)


def publish(p, data: ItemData, center=None) -> ServiceItem:
    center = center or p.center_a
    manager = p.manager_a if center == p.center_a else p.manager_b
    change = item_propose(actor=manager, center=center, data=data)
    item_change_approve(actor=p.bureau, change=change)
    return ServiceItem.objects.select_related("current_version").get(pk=change.item_id)


def fee_data(name: str = "公证书出具", **changes) -> ItemData:
    """A 3-day item with a fixed fee and a fee charged by a standard."""
    steps = [{"name": "受理", "days": 0}, {"name": "审查", "days": 2}, {"name": "决定", "days": 1}]
    return item_data(name, promised_days=3, steps=steps,
                     materials=[{"name": "身份证明", "originals": 1, "copies": 1}], fees=[
        {"name": "公证费", "amount": Decimal("80.00"), "legal_basis": "辽价发〔2017〕1号"},
        {"name": "副本费", "amount": None, "standard": "每份10元", "legal_basis": "辽价发〔2017〕1号"},
    ], **changes)


def materials(item: ServiceItem) -> dict[str, int]:
    """Material name → id, for the item's current version."""
    return dict(VersionMaterial.objects.filter(version=item.current_version).values_list("name", "pk"))
