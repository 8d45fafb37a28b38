"""Field-by-field comparison of two versions of an item, labelled in Chinese."""

from .data import CASE_TYPES, FIELD_LABELS, LEVELS, ONLINE_DEPTHS, ItemData, ItemType

CHOICE_LABELS = {"item_type": ItemType.LABELS, "case_type": dict(CASE_TYPES), "level": dict(LEVELS),
                 "online_depth": dict(ONLINE_DEPTHS)}

LIST_FIELDS = {
    "steps": lambda s: f"{s['name']}（{s['days']}个工作日）",
    "materials": lambda m: (f"{m['name']}（原件{m['originals']}份，复印件{m['copies']}份"
                            f"{'，必需' if m['required'] else '，非必需'}）"),
    "fees": lambda f: (f"{f['name']}：{f['amount'] if f['amount'] is not None else f['standard']}"
                       f"（依据：{f['legal_basis'] or '无'}）"),
    "faqs": lambda q: f"问：{q['question']} 答：{q['answer']}",
}


def _text(name: str, value) -> str:
    if name in CHOICE_LABELS:
        return CHOICE_LABELS[name].get(value, str(value))
    if name == "windows":
        return "、".join(f"{n}号窗口" for n in value) or "—"
    if name in LIST_FIELDS:
        return "\n".join(LIST_FIELDS[name](row) for row in value) or "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return "、".join(map(str, value))
    return str(value)


def compare_versions(old: ItemData | None, new: ItemData) -> list[dict]:
    """Every field with its old and new text; `changed` marks the differences."""
    before = old.model_dump(mode="json") if old else {}
    after = new.model_dump(mode="json")
    rows = []
    for name, label in FIELD_LABELS.items():
        a = _text(name, before[name]) if name in before else "—"
        b = _text(name, after[name])
        rows.append({"field": name, "label": label, "old": a, "new": b, "changed": a != b})
    return rows
