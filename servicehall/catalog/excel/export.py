"""Writing the catalogue as a deterministic workbook (byte-identical for the same content)."""

from collections.abc import Iterable

from pydantic import ValidationError

from servicehall.lib.exports import add_sheet, excel_text, new_workbook, workbook_bytes, write_row

from ..data import ItemData
from ..models import ItemStatus, ServiceItem
from .layout import (
    CENTER_CODE,
    CHILD_SHEETS,
    FIXED_TIME,
    ITEM_CODE,
    ITEM_COLUMNS,
    ITEM_KEY,
    ITEM_NAME,
    KEY,
    NO,
    SHEET_HELP,
    SHEET_ITEMS,
    YES,
    ZIP_TIME,
    Column,
)

# --- export -------------------------------------------------------------------------------

def _map_strings(value, fn):
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, list):
        return [_map_strings(v, fn) for v in value]
    if isinstance(value, dict):
        return {k: _map_strings(v, fn) for k, v in value.items()}
    return value


def normalized(data: ItemData) -> ItemData:
    """`data` as a workbook can carry it; export writes this and import compares with it."""
    raw = _map_strings(data.model_dump(), excel_text)
    for step in raw["steps"]:
        step["name"] = step["name"].replace("\n", " ")
        step["description"] = step["description"].replace("\n", " ")
    try:
        return ItemData.model_validate(raw)
    except ValidationError:  # cleaning emptied a required text: keep the stored content
        return data


def exportable(items: Iterable[ServiceItem]) -> list[ServiceItem]:
    """The public items among `items` (approved current version, not withdrawn), sorted by
    centre code and item code."""
    if hasattr(items, "select_related"):
        items = (items.filter(status=ItemStatus.ACTIVE, current_version__isnull=False)
                 .select_related("center", "current_version"))
    return sorted((i for i in items if i.is_public), key=lambda i: (i.center.code, i.code))


def _cell_value(column: Column, value):
    if column.kind == "bool":
        return YES if value else NO
    if column.kind == "choice":
        return column.label_of.get(str(value), value)
    if column.kind == "steps":
        return "\n".join(f"{s.name}：{s.days}" + (f"：{s.description}" if s.description else "") for s in value) or None
    if column.kind == "windows":
        return "、".join(str(n) for n in value) or None
    if isinstance(value, str):
        return value or None
    return value


def _write_row(sheet, row: int, columns: list[Column], values: dict) -> None:
    write_row(sheet, row, [values.get(column.header) for column in columns])


def _new_sheet(workbook, title: str, columns: list[Column]):
    return add_sheet(workbook, title, [c.header for c in columns], [c.width for c in columns])


def _help_sheet(workbook) -> None:
    sheet = add_sheet(workbook, SHEET_HELP, ["工作表", "列", "填写说明"], [12, 18, 90], freeze=False)
    sections = [(SHEET_ITEMS, ITEM_COLUMNS)] + list(CHILD_SHEETS.values())
    rows = [[title, column.header, column.help or "文字，可留空"] for title, columns in sections for column in columns]
    rows += [[]] + [["", "", line] for line in (
        "导入时全部行先逐行检查，任一行有问题则整个文件都不导入，并列出每个问题所在的工作表、行号和列。",
        "分中心负责人导入的新增和变更事项提交营商局审核；营商局导入的直接批准发布。",
        "内容与现行版本完全相同的事项不会产生新版本。本说明表在导入时不读取。")]
    for number, row in enumerate(rows, start=2):
        write_row(sheet, number, row)


def catalog_export(items: Iterable[ServiceItem]) -> bytes:
    """The workbook of the public items among `items` (a queryset or list, already scoped by
    the caller). The same items always give the same bytes."""
    workbook = new_workbook()
    item_sheet = _new_sheet(workbook, SHEET_ITEMS, ITEM_COLUMNS)
    children = {group: (_new_sheet(workbook, title, columns), columns, [2])
                for group, (title, columns) in CHILD_SHEETS.items()}
    for key, item in enumerate(exportable(items), start=1):
        data = normalized(item.current_version.content)
        values = {KEY: key, CENTER_CODE: item.center.code, ITEM_CODE: item.code}
        values.update({c.header: _cell_value(c, getattr(data, c.field)) for c in ITEM_COLUMNS if c.field})
        _write_row(item_sheet, key + 1, ITEM_COLUMNS, values)
        for group, (sheet, columns, next_row) in children.items():
            for entry in getattr(data, group):
                values = {ITEM_KEY: key, ITEM_NAME: data.name}
                values.update({c.header: _cell_value(c, getattr(entry, c.field)) for c in columns if c.field})
                _write_row(sheet, next_row[0], columns, values)
                next_row[0] += 1
    _help_sheet(workbook)
    workbook.active = 0
    return workbook_bytes(workbook, fixed=(FIXED_TIME, ZIP_TIME))
