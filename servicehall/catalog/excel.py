"""Excel import and export of the catalogue (事项清单).

The layout (one .xlsx workbook; `catalog_export` writes it, `catalog_import` reads it, so an
export is also the template for an import):

- 「事项」 one row per item. Columns: 序号 (the row key: any number or text, unique in the
  file), 中心编码, 实施编码 (blank: a new item, the system gives it a code), then one column
  per element of the implementation list headed by its `data.FIELD_LABELS` label. Choices
  are written as their Chinese labels (行政许可, 县级, 承诺件; codes are accepted too), flags
  as 是/否, 网上办理深度 as 0–4, 办理窗口 as window numbers joined by 、. 办理流程 holds one
  step per line, "环节名称：工作日数" with an optional "：说明" (ASCII or full-width colon).
- 「申请材料」, 「收费项目」 and 「常见问题」 one row per material, fee or question, keyed by
  事项序号 (the 序号 of the item's row), in the order they appear. Their optional 事项名称
  column is for reading; when filled it must match the item's name, which catches a mistyped
  序号. FAQs have their own sheet rather than "问｜答" lines in a cell because answers run
  to 2,000 characters and often span several lines.
- 「填写说明」 explains every column; the import ignores it and any other extra sheet or
  column. Every listed column must be present (a missing column would silently blank that
  element of every item); a blank cell means the element's default value.

Import is all or nothing. Every row is parsed into `ItemData` and run through the same
quality rules (`checks.check_item`) and centre permission as a proposal made on a form; the
report names the sheet, row, column and problem in Chinese for every problem found. Rows are
checked and written in one pass inside one transaction: as soon as one problem is found no
further row is written, the remaining rows are still checked, and the transaction is rolled
back, so a refused file leaves nothing behind and `progress(done, total)` runs once per item
row whether or not the file is accepted.

Imports go through proposals (`item_propose`), never around them: a new row proposes a new
item; a row whose 实施编码 names an item of its centre proposes a change, unless its content
equals the current approved version (then nothing is written, so re-importing an export
creates no versions, and such a row is not held to quality rules that tightened after its
version was approved). A branch manager's proposals wait for the bureau as usual. When the
importing user is the bureau (`services.DECIDERS`), the import is its own decision: each
proposal is approved at once (`item_change_approve`), leaving the same history and audit rows
as the two steps done by hand. A new row named like an item its centre already has is
refused (uploading the same file of new items twice would otherwise double them); so is a
change to an item with a pending proposal. Files are limited to 10 MB and 10,000 rows a sheet.

The export holds the current approved version of each public item, sorted by centre code and
item code, and is deterministic: fixed workbook timestamps and fixed dates inside the zip, so
the same catalogue always gives the same bytes. Text is normalised the same way on export and
on comparison (line breaks as \\n, characters Excel cannot store removed, line breaks inside a
step name or description turned into spaces).
"""

import io
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter
from pydantic import ValidationError

from servicehall.lib.errors import ServiceError
from servicehall.org.models import ServiceCenter, Window
from servicehall.org.selectors import can_manage_center

from . import services
from .checks import check_item
from .data import (CASE_TYPES, FIELD_LABELS, LEVELS, MATERIAL_FORMS, MATERIAL_SOURCES, ONLINE_DEPTHS, ItemData,
                   ItemType)
from .models import OPEN_STATUSES, ItemChange, ItemStatus, ServiceItem

SHEET_ITEMS = "事项"
SHEET_MATERIALS = "申请材料"
SHEET_FEES = "收费项目"
SHEET_FAQS = "常见问题"
SHEET_HELP = "填写说明"
FILE = "文件"
SHEET_ORDER = {FILE: 0, SHEET_ITEMS: 1, SHEET_MATERIALS: 2, SHEET_FEES: 3, SHEET_FAQS: 4}

KEY = "序号"
ITEM_KEY = "事项序号"
ITEM_NAME = "事项名称"
CENTER_CODE = "中心编码"
ITEM_CODE = "实施编码"

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 10_000                     # per sheet
FIXED_TIME = datetime(2000, 1, 1)     # workbook created/modified, so exports are byte-stable
ZIP_TIME = (1980, 1, 1, 0, 0, 0)      # the earliest date a zip entry can carry
PROPOSAL_REASON = "通过Excel导入"
APPROVAL_REASON = "营商局通过Excel导入并批准"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

YES, NO = "是", "否"
TRUE_WORDS = {"是", "y", "yes", "true", "1", "√", "✓", "支持"}
FALSE_WORDS = {"否", "n", "no", "false", "0", "×", "✗", "不支持"}


# --- layout -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    header: str
    field: str = ""                   # the ItemData (or Material / Fee / Faq) field; "" for keys
    kind: str = "text"                # text | int | optional_int | bool | choice | decimal | steps | windows | depth
    choices: tuple = ()
    help: str = ""
    width: int = 14
    required: bool = True             # must be present in the header row

    @property
    def label_of(self) -> dict:
        return {str(code): label for code, label in self.choices}


def _labels(choices) -> str:
    return "、".join(label for _, label in choices)


def _item_column(name: str, kind: str = "text", help: str = "", width: int = 16, choices: tuple = ()) -> Column:
    return Column(FIELD_LABELS[name], name, kind, tuple(choices), help, width)


ITEM_COLUMNS = [
    Column(KEY, help="本文件内事项的编号（不重复的数字或文字）；「申请材料」「收费项目」「常见问题」表用它指向事项", width=6),
    Column(CENTER_CODE, help="事项所属中心的编码；导入时已选择中心的可留空", width=11),
    Column(ITEM_CODE, help="已有事项的实施编码，表示变更该事项；留空表示新增事项，由系统生成实施编码", width=18),
    _item_column("basic_code", help="国家或省级基本目录编码"),
    _item_column("name", help="必填", width=28),
    _item_column("item_type", "choice", f"可填：{_labels(ItemType.CHOICES)}；留空为公共服务", choices=ItemType.CHOICES),
    _item_column("legal_basis", help="必填", width=40),
    _item_column("level", "choice", f"可填：{_labels(LEVELS)}；留空为县级", choices=LEVELS),
    _item_column("body_name", width=24),
    _item_column("body_credit_code", width=20),
    _item_column("case_type", "choice", f"可填：{_labels(CASE_TYPES)}；留空为承诺件", choices=CASE_TYPES),
    _item_column("statutory_days", "optional_int", "工作日数；留空表示没有以工作日计的法定时限"),
    _item_column("promised_days", "int", "工作日数；即办件填0"),
    _item_column("conditions", width=30),
    _item_column("steps", "steps", "每行一个环节，格式“环节名称：工作日数”，可再加“：说明”，如“受理：0”；"
                                   "环节名称不能含冒号，说明不能换行", width=22),
    _item_column("visits", "int", "整数0–10；留空为1"),
    _item_column("visits_reason", width=24),
    _item_column("online_depth", "depth", "填0–4：" + "；".join(f"{code}={label}" for code, label in ONLINE_DEPTHS)
                 + "；留空为0", choices=ONLINE_DEPTHS),
    _item_column("appointment", "bool", "填“是”或“否”；留空为否", width=10),
    _item_column("online_payment", "bool", "填“是”或“否”；留空为否", width=10),
    _item_column("delivery", "bool", "填“是”或“否”；留空为否", width=10),
    _item_column("place", width=30),
    _item_column("hours", width=30),
    _item_column("consult_phone"),
    _item_column("complaint_phone"),
    _item_column("result_name", width=24),
    _item_column("result_sample", width=24),
    _item_column("windows", "windows", "本中心的窗口号，多个用“、”分隔，如“1、2”", width=10),
    _item_column("keywords", width=20),
]

KEY_HELP = "该行所属事项在「事项」表中的序号"
NAME_HELP = "仅便于阅读，可留空；填写时须与「事项」表中该序号的事项名称一致"
CHILD_SHEETS = {
    "materials": (SHEET_MATERIALS, [
        Column(ITEM_KEY, help=KEY_HELP, width=8),
        Column(ITEM_NAME, help=NAME_HELP, width=24, required=False),
        Column("材料名称", "name", help="必填", width=36),
        Column("来源", "source", "choice", tuple(MATERIAL_SOURCES), f"可填：{_labels(MATERIAL_SOURCES)}；留空为申请人自备", 12),
        Column("原件份数", "originals", "int", help="整数0–99；留空为1", width=8),
        Column("复印件份数", "copies", "int", help="整数0–99；留空为0", width=8),
        Column("是否必需", "required", "bool", help="填“是”或“否”；留空为是", width=8),
        Column("形式", "form", "choice", tuple(MATERIAL_FORMS), f"可填：{_labels(MATERIAL_FORMS)}；留空为纸质", 10),
        Column("空白表格", "blank_form", help="空白表格的地址或文件名"),
        Column("示例样表", "sample", help="填写示例的地址或文件名"),
        Column("备注", "note", width=20),
    ]),
    "fees": (SHEET_FEES, [
        Column(ITEM_KEY, help=KEY_HELP, width=8),
        Column(ITEM_NAME, help=NAME_HELP, width=24, required=False),
        Column("收费项目名称", "name", help="必填", width=24),
        Column("金额（元）", "amount", "decimal", help="最多两位小数；金额视情况而定时留空并填写收费标准", width=10),
        Column("收费标准", "standard", width=24),
        Column("收费依据", "legal_basis", help="必填", width=36),
    ]),
    "faqs": (SHEET_FAQS, [
        Column(ITEM_KEY, help=KEY_HELP, width=8),
        Column(ITEM_NAME, help=NAME_HELP, width=24, required=False),
        Column("问题", "question", help="必填", width=36),
        Column("回答", "answer", help="必填，可以换行", width=60),
    ]),
}
ITEM_HEADER_OF = {c.field: c.header for c in ITEM_COLUMNS if c.field}
STEP_LABELS = {"name": "环节名称", "days": "时限", "description": "说明"}


# --- report -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ImportProblem:
    sheet: str
    row: int | None                  # the row number shown by Excel; None for the whole file or sheet
    column: str
    message: str

    def __str__(self) -> str:
        where = f"「{self.sheet}」" if self.sheet != FILE else "文件"
        if self.row is not None:
            where += f"第{self.row}行"
        if self.column:
            where += f" {self.column}"
        return f"{where}：{self.message}"


@dataclass
class ImportReport:
    total: int = 0                    # item rows read
    created: list[str] = field(default_factory=list)     # codes of proposed new items
    changed: list[str] = field(default_factory=list)     # codes of items with a proposed change
    unchanged: list[str] = field(default_factory=list)   # codes of items equal to their current version
    approved: bool = False            # the proposals were approved at once (the bureau imported)
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def summary(self) -> str:
        if not self.ok:
            return f"导入未执行：发现{len(self.problems)}处问题，没有导入任何事项。请修改后重新导入整个文件。"
        text = (f"导入完成：共{self.total}行，新增事项{len(self.created)}项，变更事项{len(self.changed)}项，"
                f"内容未变化{len(self.unchanged)}项。")
        if self.created or self.changed:
            text += "已直接批准发布。" if self.approved else "变更申请已提交营商局审核。"
        return text

    def add(self, sheet: str, row: int | None, column: str, message: str) -> None:
        self.problems.append(ImportProblem(sheet, row, column, message))


# --- export -------------------------------------------------------------------------------

def _clean_text(text: str) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


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
    raw = _map_strings(data.model_dump(), _clean_text)
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
    for index, column in enumerate(columns, start=1):
        value = values.get(column.header)
        cell = sheet.cell(row=row, column=index, value=value)
        if isinstance(value, str):
            cell.data_type = "s"  # a text starting with "=" stays text, never a formula
            cell.number_format = "@"
            if "\n" in value:
                cell.alignment = Alignment(wrap_text=True, vertical="top")


def _new_sheet(workbook: Workbook, title: str, columns: list[Column]):
    sheet = workbook.create_sheet(title)
    bold = Font(bold=True)
    for index, column in enumerate(columns, start=1):
        sheet.cell(row=1, column=index, value=column.header).font = bold
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    return sheet


def _help_sheet(workbook: Workbook) -> None:
    sheet = workbook.create_sheet(SHEET_HELP)
    sheet.append(["工作表", "列", "填写说明"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sections = [(SHEET_ITEMS, ITEM_COLUMNS)] + list(CHILD_SHEETS.values())
    for title, columns in sections:
        for column in columns:
            sheet.append([title, column.header, column.help or "文字，可留空"])
    sheet.append([])
    for line in ("导入时全部行先逐行检查，任一行有问题则整个文件都不导入，并列出每个问题所在的工作表、行号和列。",
                 "分中心负责人导入的新增和变更事项提交营商局审核；营商局导入的直接批准发布。",
                 "内容与现行版本完全相同的事项不会产生新版本。本说明表在导入时不读取。"):
        sheet.append(["", "", line])
    for letter, width in (("A", 12), ("B", 18), ("C", 90)):
        sheet.column_dimensions[letter].width = width


def _deterministic_zip(content: bytes) -> bytes:
    """Repack the archive with fixed entry dates (openpyxl stamps them with the clock)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


def catalog_export(items: Iterable[ServiceItem]) -> bytes:
    """The workbook of the public items among `items` (a queryset or list, already scoped by
    the caller). The same items always give the same bytes."""
    workbook = Workbook()
    workbook.remove(workbook.active)
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
    properties = workbook.properties
    properties.created = properties.modified = FIXED_TIME
    properties.creator = properties.lastModifiedBy = "ServiceHall"
    buffer = io.BytesIO()
    # ExcelWriter directly: openpyxl's save_workbook() stamps "modified" with the clock.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).write_data()
    return _deterministic_zip(buffer.getvalue())


# --- reading cells ------------------------------------------------------------------------

class CellError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value) -> str:
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _int(value, header: str) -> int:
    if isinstance(value, bool):
        raise CellError(f"{header}须为整数")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise CellError(f"{header}须为整数，不能是“{value:g}”")
    text = str(value).strip()
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    raise CellError(f"{header}须为整数，不能是“{text}”")


def _bool(value, header: str) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise CellError(f"{header}须填“是”或“否”，不能是“{_text(value)}”")


def _choice(value, column: Column) -> str:
    codes = {str(code): str(code) for code, _ in column.choices}
    by_label = {label: str(code) for code, label in column.choices}
    text = _text(value)
    if (isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer()
            and f"{int(value):02d}" in codes):
        text = f"{int(value):02d}"   # 事项类型 typed as a number: 1 → "01"
    if text in codes:
        return text
    if text in by_label:
        return by_label[text]
    raise CellError(f"{column.header}“{text}”无效，可填：{_labels(column.choices)}")


def _depth(value, column: Column) -> int:
    by_label = {label: code for code, label in column.choices}
    text = _text(value)
    if text in by_label:
        return by_label[text]
    try:
        return _int(value, column.header)
    except CellError:
        raise CellError(f"{column.header}须填0–4的整数，不能是“{text}”") from None


def _decimal(value, header: str) -> Decimal:
    if isinstance(value, bool):
        raise CellError(f"{header}须为数字")
    text = str(value).strip().removesuffix("元").replace(",", "").replace("，", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise CellError(f"{header}须为数字，不能是“{_text(value)}”") from None
    if not number.is_finite():
        raise CellError(f"{header}须为数字，不能是“{_text(value)}”")
    return number


def _steps(value, header: str) -> list[dict]:
    steps = []
    for number, line in enumerate((s.strip() for s in _text(value).splitlines()), start=1):
        if not line:
            continue
        parts = [p.strip() for p in re.split(r"[:：]", line, maxsplit=2)]
        step = {"name": parts[0]}
        if len(parts) > 1 and parts[1]:
            if not re.fullmatch(r"\d+", parts[1]):
                raise CellError(f"{header}第{number}行“{line}”的时限须为工作日数（格式：环节名称：工作日数）")
            step["days"] = int(parts[1])
        if len(parts) > 2 and parts[2]:
            step["description"] = parts[2]
        steps.append(step)
    return steps


def _windows(value, header: str) -> list[int]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [_int(value, header)]
    numbers = []
    for part in re.split(r"[,，、;；/\s]+", _text(value)):
        if not part:
            continue
        part = part.removesuffix("号窗口").removesuffix("号")
        if not re.fullmatch(r"\d+", part):
            raise CellError(f"{header}须为窗口号，多个用“、”分隔，如“1、2”")
        numbers.append(int(part))
    return numbers


def _convert(column: Column, value):
    kind = column.kind
    if kind == "text":
        return _text(value)
    if kind in ("int", "optional_int"):
        return _int(value, column.header)
    if kind == "bool":
        return _bool(value, column.header)
    if kind == "choice":
        return _choice(value, column)
    if kind == "depth":
        return _depth(value, column)
    if kind == "decimal":
        return _decimal(value, column.header)
    if kind == "steps":
        return _steps(value, column.header)
    if kind == "windows":
        return _windows(value, column.header)
    raise AssertionError(kind)


def _key(value) -> str:
    return "" if _blank(value) else _text(value)


# --- reading sheets -----------------------------------------------------------------------

@dataclass
class _Row:
    sheet: str
    number: int
    cells: dict                       # header → raw value

    def get(self, header: str):
        return self.cells.get(header)


@dataclass
class _ItemRow:
    row: _Row
    key: str
    children: dict = field(default_factory=lambda: {group: [] for group in CHILD_SHEETS})


def _read_bytes(file) -> bytes:
    if isinstance(file, bytes | bytearray):
        return bytes(file)
    if isinstance(file, str | Path):
        with open(file, "rb") as handle:
            return handle.read(MAX_FILE_BYTES + 1)
    if hasattr(file, "seek"):
        file.seek(0)
    return file.read(MAX_FILE_BYTES + 1)


def _read_sheet(workbook, title: str, columns: list[Column], report: ImportReport) -> list[_Row] | None:
    if title not in workbook.sheetnames:
        report.add(title, None, "", f"缺少工作表「{title}」（可先导出一份作为模板）")
        return None
    sheet = workbook[title]
    sheet.reset_dimensions()  # read every cell even when the file's recorded size is wrong
    rows = sheet.iter_rows(values_only=True)
    header = next(rows, None) or ()
    positions: dict[str, int] = {}
    for index, value in enumerate(header):
        if _blank(value):
            continue
        text = _text(value)
        if text in positions:
            report.add(title, 1, text, f"工作表「{title}」的列“{text}”重复")
        positions.setdefault(text, index)
    missing = [c.header for c in columns if c.required and c.header not in positions]
    if missing:
        report.add(title, 1, "、".join(missing), f"工作表「{title}」缺少列：{'、'.join(missing)}（第1行应为列标题）")
        return None
    result = []
    for number, values in enumerate(rows, start=2):
        if all(_blank(v) for v in values):
            continue
        if len(result) >= MAX_ROWS:
            report.add(title, number, "", f"工作表「{title}」超过{MAX_ROWS}行，请分成几个文件导入")
            break
        cells = {c.header: values[positions[c.header]] if c.header in positions and positions[c.header] < len(values)
                 else None for c in columns}
        result.append(_Row(title, number, cells))
    return result


def _read_workbook(content: bytes, report: ImportReport) -> dict[str, list[_Row]] | None:
    if not content:
        report.add(FILE, None, "", "文件是空的")
        return None
    if len(content) > MAX_FILE_BYTES:
        report.add(FILE, None, "", f"文件不能超过{MAX_FILE_BYTES // 1024 // 1024}MB")
        return None
    unreadable = "无法读取该文件：请上传 Excel 工作簿（.xlsx 格式，可先导出一份作为模板）"
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds (BadZipFile, KeyError, XML errors…) on a bad file
        report.add(FILE, None, "", unreadable)
        return None
    try:
        sheets = {SHEET_ITEMS: _read_sheet(workbook, SHEET_ITEMS, ITEM_COLUMNS, report)}
        for title, columns in CHILD_SHEETS.values():
            sheets[title] = _read_sheet(workbook, title, columns, report)
    except Exception:  # read-only sheets are parsed lazily: a damaged sheet fails here
        report.add(FILE, None, "", unreadable)
        return None
    finally:
        workbook.close()
    if any(rows is None for rows in sheets.values()) or not report.ok:
        return None
    return sheets


def _assemble(sheets: dict[str, list[_Row]], report: ImportReport) -> list[_ItemRow]:
    """Item rows with their materials, fees and FAQs; checks keys and duplicate codes."""
    rows: list[_ItemRow] = []
    items: dict[str, _ItemRow] = {}
    codes: dict[str, int] = {}
    for row in sheets[SHEET_ITEMS]:
        key = _key(row.get(KEY))
        item_row = _ItemRow(row, key)
        rows.append(item_row)  # a row with a bad key is still checked, for a complete report
        if not key:
            report.add(SHEET_ITEMS, row.number, KEY, "请填写序号")
        elif key in items:
            report.add(SHEET_ITEMS, row.number, KEY, f"序号“{key}”与第{items[key].row.number}行重复")
        else:
            items[key] = item_row
        code = _key(row.get(ITEM_CODE))
        if code and code in codes:
            report.add(SHEET_ITEMS, row.number, ITEM_CODE, f"实施编码“{code}”与第{codes[code]}行重复")
        elif code:
            codes[code] = row.number
    for group, (title, _) in CHILD_SHEETS.items():
        for row in sheets[title]:
            key = _key(row.get(ITEM_KEY))
            if not key:
                report.add(title, row.number, ITEM_KEY, "请填写事项序号")
            elif key not in items:
                report.add(title, row.number, ITEM_KEY, f"事项序号“{key}”在「{SHEET_ITEMS}」表中不存在")
            else:
                items[key].children[group].append(row)
    if not rows:
        report.add(SHEET_ITEMS, None, "", f"「{SHEET_ITEMS}」表没有可导入的事项（第2行起为事项）")
    return rows


# --- checking rows ------------------------------------------------------------------------

@dataclass
class _Context:
    actor: object
    center: ServiceCenter | None
    centers: dict[str, ServiceCenter]          # code → centre the actor may propose for
    items: dict[str, ServiceItem]               # code → item of one of those centres
    open_items: set[int]                        # items with a pending proposal
    windows: dict[int, set[int]]                # centre id → active window numbers
    names: dict[tuple[int, str], str]           # (centre id, item name) → code, items not withdrawn
    new_names: dict[tuple[int, str], int]       # (centre id, name) → row of a new item in this file

    @classmethod
    def load(cls, actor, center, rows: list[_ItemRow]) -> "_Context":
        codes = {_key(r.row.get(CENTER_CODE)) for r in rows} | ({center.code} if center else set())
        centers = {}
        if actor is not None and getattr(actor, "role", None) in services.PROPOSERS:
            centers = {c.code: c for c in ServiceCenter.objects.for_user(actor).filter(code__in=codes - {""})
                       if can_manage_center(actor, c)}
        ids = [c.pk for c in centers.values()]
        item_codes = {_key(r.row.get(ITEM_CODE)) for r in rows} - {""}
        items = {i.code: i for i in ServiceItem.objects.filter(center_id__in=ids, code__in=item_codes)
                 .select_related("current_version")}
        windows: dict[int, set[int]] = {pk: set() for pk in ids}
        active = Window.objects.filter(center_id__in=ids, is_active=True)
        for center_id, number in active.values_list("center_id", "number"):
            windows[center_id].add(number)
        names = {(center_id, name): code for center_id, name, code in ServiceItem.objects.filter(center_id__in=ids)
                 .exclude(status=ItemStatus.WITHDRAWN).order_by("code").values_list("center_id", "name", "code")}
        open_items = set(ItemChange.objects.filter(item__in=items.values(), status__in=OPEN_STATUSES)
                         .values_list("item_id", flat=True))
        return cls(actor, center, centers, items, open_items, windows, names, {})


@dataclass
class _Plan:
    center: ServiceCenter
    item: ServiceItem | None
    data: ItemData
    unchanged: bool


def _child_location(item_row: _ItemRow, group: str, index: int) -> tuple[str, int | None]:
    rows = item_row.children.get(group, [])
    if 0 <= index < len(rows):
        return rows[index].sheet, rows[index].number
    return SHEET_ITEMS, item_row.row.number


def _child_header(group: str, name: str) -> str:
    return next((c.header for c in CHILD_SHEETS[group][1] if c.field == name), name)


def _locate(item_row: _ItemRow, path: str | None) -> tuple[str, int | None, str]:
    """Sheet, row and column of an ItemData field path ("fees.2.legal_basis", "windows")."""
    parts = (path or "").split(".")
    if parts[0] in CHILD_SHEETS and len(parts) == 3 and parts[1].isdigit():
        sheet, row = _child_location(item_row, parts[0], int(parts[1]) - 1)
        return sheet, row, _child_header(parts[0], parts[2])
    if parts[0] in CHILD_SHEETS:
        return SHEET_ITEMS, item_row.row.number, FIELD_LABELS[parts[0]]
    if parts[0] == "center":
        return SHEET_ITEMS, item_row.row.number, CENTER_CODE
    return SHEET_ITEMS, item_row.row.number, ITEM_HEADER_OF.get(parts[0], FIELD_LABELS.get(parts[0], ""))


def _pydantic_message(error: dict) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind in ("missing", "string_too_short"):
        return "不能为空"
    messages = {
        "string_too_long": "不能超过{max_length}个字", "greater_than_equal": "不能小于{ge}",
        "less_than_equal": "不能大于{le}", "greater_than": "须大于{gt}", "less_than": "须小于{lt}",
        "decimal_max_places": "最多保留{decimal_places}位小数", "decimal_max_digits": "最多{max_digits}位数字",
        "decimal_whole_digits": "整数部分最多{whole_digits}位",
    }
    if kind in messages:
        return messages[kind].format(**ctx)
    return "格式不正确"


def _report_validation(item_row: _ItemRow, exc: ValidationError, report: ImportReport) -> None:
    for error in exc.errors():
        loc, text = error["loc"], _pydantic_message(error)
        if loc and loc[0] == "steps" and len(loc) >= 3:
            report.add(SHEET_ITEMS, item_row.row.number, FIELD_LABELS["steps"],
                       f"{FIELD_LABELS['steps']}第{loc[1] + 1}个环节：{STEP_LABELS.get(loc[2], loc[2])}{text}")
        elif loc and loc[0] in CHILD_SHEETS and len(loc) >= 3:
            sheet, row = _child_location(item_row, loc[0], loc[1])
            header = _child_header(loc[0], loc[2])
            report.add(sheet, row, header, f"{header}{text}")
        else:
            sheet, row, header = _locate(item_row, str(loc[0]) if loc else "")
            report.add(sheet, row, header, f"{header}{text}")


def _parse_cells(row: _Row, columns: list[Column], report: ImportReport) -> dict | None:
    values, ok = {}, True
    for column in columns:
        raw = row.get(column.header)
        if not column.field or _blank(raw):
            continue  # a blank cell: the element's default value
        try:
            values[column.field] = _convert(column, raw)
        except CellError as exc:
            report.add(row.sheet, row.number, column.header, exc.message)
            ok = False
    return values if ok else None


def _parse(item_row: _ItemRow, report: ImportReport) -> ItemData | None:
    """The row's ItemData (before the quality rules), or None with its problems reported."""
    values = _parse_cells(item_row.row, ITEM_COLUMNS, report)
    ok = values is not None
    name = _text(item_row.row.get(FIELD_LABELS["name"]) or "")
    for group, (title, columns) in CHILD_SHEETS.items():
        entries = []
        for row in item_row.children[group]:
            given = _text(row.get(ITEM_NAME) or "")
            if given and given != name:
                report.add(title, row.number, ITEM_NAME,
                           f"事项名称“{given}”与「{SHEET_ITEMS}」表序号{item_row.key}的事项名称“{name}”不一致，请核对事项序号")
            entry = _parse_cells(row, columns, report)
            ok = ok and entry is not None
            entries.append(entry or {})
        if ok:
            values[group] = entries
    if not ok:
        return None
    try:
        return ItemData.model_validate(values)
    except ValidationError as exc:
        _report_validation(item_row, exc, report)
        return None


def _resolve_center(item_row: _ItemRow, ctx: _Context, report: ImportReport) -> ServiceCenter | None:
    number = item_row.row.number
    code = _key(item_row.row.get(CENTER_CODE))
    if not code and ctx.center is None:
        report.add(SHEET_ITEMS, number, CENTER_CODE, "请填写中心编码")
        return None
    if code and ctx.center is not None and code != ctx.center.code:
        report.add(SHEET_ITEMS, number, CENTER_CODE, f"中心编码“{code}”与所选的导入中心（{ctx.center.code}）不一致")
        return None
    code = code or ctx.center.code
    center = ctx.centers.get(code)
    if center is None:
        report.add(SHEET_ITEMS, number, CENTER_CODE, f"中心编码“{code}”不存在，或您无权为该中心导入事项")
    return center


def _resolve_item(item_row: _ItemRow, center: ServiceCenter, ctx: _Context, report: ImportReport):
    """(True, None) for a new item, (True, item) for a change, (False, None) when refused."""
    code = _key(item_row.row.get(ITEM_CODE))
    if not code:
        return True, None
    item = ctx.items.get(code)
    if item is None or item.center_id != center.pk:
        report.add(SHEET_ITEMS, item_row.row.number, ITEM_CODE, f"实施编码“{code}”在该中心不存在（新增事项请留空）")
        return False, None
    if item.status == ItemStatus.WITHDRAWN:
        report.add(SHEET_ITEMS, item_row.row.number, ITEM_CODE, f"事项“{item.name or code}”已取消，不能再变更")
        return False, None
    return True, item


def _check_row(item_row: _ItemRow, ctx: _Context, report: ImportReport) -> _Plan | None:
    """What to do with one row, or None with its problems reported. A row equal to its item's
    current version proposes nothing, so the quality rules (which ran when that version was
    approved, and may have tightened since) do not hold the file back."""
    number = item_row.row.number
    center = _resolve_center(item_row, ctx, report)
    found, item = _resolve_item(item_row, center, ctx, report) if center else (False, None)
    data = _parse(item_row, report)
    if data is None:
        return None
    if not found:
        return None  # without its centre and item the row may be an unchanged one: no rules yet
    if item is not None and item.current_version_id and normalized(item.current_version.content) == data:
        return _Plan(center, item, data, unchanged=True)
    problems = check_item(data)
    for problem in problems:
        sheet, row, header = _locate(item_row, problem.field)
        report.add(sheet, row, header, problem.message)
    ok = not problems
    unknown = sorted(set(data.windows) - ctx.windows.get(center.pk, set()))
    if unknown:
        report.add(SHEET_ITEMS, number, FIELD_LABELS["windows"],
                   f"办理窗口：该中心没有{'、'.join(map(str, unknown))}号窗口")
        ok = False
    if item is not None:
        if item.pk in ctx.open_items:
            report.add(SHEET_ITEMS, number, ITEM_CODE,
                       f"事项“{item.name or item.code}”已有待处理的变更申请，请先处理该申请再导入")
            ok = False
        return _Plan(center, item, data, unchanged=False) if ok else None
    name_key = (center.pk, data.name)
    if name_key in ctx.names:
        report.add(SHEET_ITEMS, number, FIELD_LABELS["name"],
                   f"该中心已有事项“{data.name}”（实施编码{ctx.names[name_key]}）；变更该事项请填写实施编码")
        ok = False
    elif name_key in ctx.new_names:
        report.add(SHEET_ITEMS, number, FIELD_LABELS["name"],
                   f"与第{ctx.new_names[name_key]}行重复：同一中心不能新增两个同名事项")
        ok = False
    else:
        ctx.new_names[name_key] = number
    return _Plan(center, None, data, unchanged=False) if ok else None


def _write(plan: _Plan, item_row: _ItemRow, ctx: _Context, report: ImportReport, now: datetime) -> None:
    if plan.unchanged:
        report.unchanged.append(plan.item.code)
        return
    try:
        change = services.item_propose(actor=ctx.actor, center=plan.center, data=plan.data, item=plan.item,
                                       reason=PROPOSAL_REASON, now=now)
        if ctx.actor.role in services.DECIDERS:
            services.item_change_approve(actor=ctx.actor, change=change, reason=APPROVAL_REASON, now=now)
            report.approved = True
    except ServiceError as exc:
        sheet, row, header = _locate(item_row, exc.field)
        report.add(sheet, row, header, exc.message)
        return
    except IntegrityError:  # a concurrent proposal took the same code or opened a change first
        report.add(SHEET_ITEMS, item_row.row.number, "", "保存时与他人的操作冲突，请稍后重新导入")
        return
    (report.changed if plan.item else report.created).append(change.item.code)


def catalog_import(*, actor, file, center: ServiceCenter | None = None,
                   progress: Callable[[int, int], None] | None = None, now: datetime | None = None) -> ImportReport:
    """Import a workbook in the `catalog_export` layout: all rows or none (see the module
    docstring). `file` is bytes, a path or a file object; `center`, when given, is the centre
    of every row (blank 中心编码 cells mean it). `progress(done, total)` is called after each
    item row."""
    now = now or timezone.now()
    report = ImportReport()
    try:
        content = _read_bytes(file)
    except OSError:
        report.add(FILE, None, "", "无法读取该文件")
        return report
    sheets = _read_workbook(content, report)
    if sheets is None:
        return report
    rows = _assemble(sheets, report)
    report.total = len(rows)
    ctx = _Context.load(actor, center, rows)
    with transaction.atomic():
        for done, item_row in enumerate(rows, start=1):
            plan = _check_row(item_row, ctx, report)
            if plan is not None and report.ok:
                _write(plan, item_row, ctx, report, now)
            if progress is not None:
                progress(done, len(rows))
        if not report.ok:
            transaction.set_rollback(True)
    if not report.ok:
        report.created, report.changed, report.unchanged, report.approved = [], [], [], False
        report.problems.sort(key=lambda p: (SHEET_ORDER.get(p.sheet, 9), p.row or 0))
    return report
