"""Reading a workbook: every row checked, all or nothing, a report per row."""

import io
import re
import time
import zipfile
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone
from openpyxl import load_workbook
from pydantic import ValidationError

from servicehall.accounts.permissions import can
from servicehall.lib.errors import ServiceError
from servicehall.org.models import ServiceCenter, Window

from .. import services
from ..checks import check_item
from ..data import FIELD_LABELS, ItemData
from ..models import OPEN_STATUSES, ItemChange, ItemStatus, ServiceItem
from .export import normalized
from .layout import (
    APPROVAL_REASON,
    CENTER_CODE,
    CHILD_SHEETS,
    FALSE_WORDS,
    FILE,
    ITEM_CODE,
    ITEM_COLUMNS,
    ITEM_HEADER_OF,
    ITEM_KEY,
    ITEM_NAME,
    KEY,
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_READ_SECONDS,
    MAX_ROWS,
    MAX_SHARED_STRINGS_BYTES,
    MAX_SHEET_ROWS,
    MAX_UNZIPPED_BYTES,
    MAX_ZIP_ENTRIES,
    NO,
    PROPOSAL_REASON,
    SHEET_ITEMS,
    SHEET_ORDER,
    STEP_LABELS,
    TRUE_WORDS,
    YES,
    Column,
    ImportReport,
    choice_labels,
)

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
    if re.fullmatch(r"[+-]?\d{1,9}", text):  # longer numbers are typing errors (and int() refuses huge ones)
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
    raise CellError(f"{column.header}“{text}”无效，可填：{choice_labels(column.choices)}")


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
            if not re.fullmatch(r"\d{1,4}", parts[1]):
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
        if not re.fullmatch(r"\d{1,4}", part):
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


class _TooBig(Exception):
    """The file asks for more than a catalogue needs; the message says which bound."""


def _read_sheet(workbook, title: str, columns: list[Column], report: ImportReport,
                deadline: float) -> list[_Row] | None:
    if title not in workbook.sheetnames:
        report.add(title, None, "", f"缺少工作表「{title}」（可先导出一份作为模板）")
        return None
    sheet = workbook[title]
    sheet.reset_dimensions()  # read every cell even when the file's recorded size is wrong
    # Bounded: row numbers past MAX_SHEET_ROWS (blank ones included, which openpyxl would
    # otherwise fill in one by one) are never produced, nor columns past MAX_COLUMNS.
    header = next(sheet.iter_rows(max_row=1, values_only=True), None) or ()
    if any(not _blank(value) for value in header[MAX_COLUMNS:]):
        raise _TooBig(f"工作表「{title}」超过{MAX_COLUMNS}列，请使用导出的模板")
    rows = sheet.iter_rows(min_row=2, max_row=MAX_SHEET_ROWS + 1, max_col=MAX_COLUMNS, values_only=True)
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
        if number > MAX_SHEET_ROWS:
            raise _TooBig(f"工作表「{title}」超过{MAX_SHEET_ROWS}行（含空行），请删除多余的空行或分成几个文件导入")
        if time.monotonic() > deadline:
            raise _TooBig(f"文件过于复杂，{MAX_READ_SECONDS:.0f}秒内未能读完，请分成几个文件导入")
        if all(_blank(v) for v in values):
            continue
        if len(result) >= MAX_ROWS:
            report.add(title, number, "", f"工作表「{title}」超过{MAX_ROWS}行，请分成几个文件导入")
            break
        cells = {c.header: values[positions[c.header]] if c.header in positions and positions[c.header] < len(values)
                 else None for c in columns}
        result.append(_Row(title, number, cells))
    return result


def _archive_refusal(content: bytes) -> str | None:
    """What is wrong with the zip itself, checked before any XML is parsed. Python's zipfile
    never unpacks a part beyond the size it declares, so the declared sizes bound the work."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return None  # not a zip at all: openpyxl's own refusal says so
    limit_mb = MAX_UNZIPPED_BYTES // 1024 // 1024
    if len(parts) > MAX_ZIP_ENTRIES:
        return f"文件内部结构异常（包含{len(parts)}个部件），请使用导出的模板"
    if sum(part.file_size for part in parts) > MAX_UNZIPPED_BYTES:
        return f"文件解压后超过{limit_mb}MB，请删除多余内容或分成几个文件导入"
    strings = sum(part.file_size for part in parts if part.filename.lower().endswith("sharedstrings.xml"))
    if strings > MAX_SHARED_STRINGS_BYTES:
        return f"文件中的文字内容超过{MAX_SHARED_STRINGS_BYTES // 1024 // 1024}MB，请分成几个文件导入"
    return None


def _read_workbook(content: bytes, report: ImportReport) -> dict[str, list[_Row]] | None:
    if not content:
        report.add(FILE, None, "", "文件是空的")
        return None
    if len(content) > MAX_FILE_BYTES:
        report.add(FILE, None, "", f"文件不能超过{MAX_FILE_BYTES // 1024 // 1024}MB")
        return None
    refusal = _archive_refusal(content)
    if refusal:
        report.add(FILE, None, "", refusal)
        return None
    unreadable = "无法读取该文件：请上传 Excel 工作簿（.xlsx 格式，可先导出一份作为模板）"
    deadline = time.monotonic() + MAX_READ_SECONDS
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds (BadZipFile, KeyError, XML errors…) on a bad file
        report.add(FILE, None, "", unreadable)
        return None
    try:
        sheets = {SHEET_ITEMS: _read_sheet(workbook, SHEET_ITEMS, ITEM_COLUMNS, report, deadline)}
        for title, columns in CHILD_SHEETS.values():
            sheets[title] = _read_sheet(workbook, title, columns, report, deadline)
    except _TooBig as exc:
        report.add(FILE, None, "", str(exc))
        return None
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
        centers = {c.code: c for c in ServiceCenter.objects.for_user(actor).filter(code__in=codes - {""})
                   if can(actor, "catalog.propose", c)} if actor is not None else {}
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
        if can(ctx.actor, "catalog.decide", plan.center):
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
    steps = import_steps(actor=actor, file=file, center=center, now=now)
    while True:
        try:
            done, total = next(steps)
        except StopIteration as finished:
            return finished.value
        if progress is not None:
            progress(done, total)


def import_steps(*, actor, file, center: ServiceCenter | None = None,
                 now: datetime | None = None) -> Generator[tuple[int, int], None, ImportReport]:
    """The import as a generator: yields (done, total) after each item row and returns the
    report, so a page can stream progress while the one transaction is open. Closing the
    generator early (the browser went away) rolls everything back."""
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
            yield done, len(rows)
        if not report.ok:
            transaction.set_rollback(True)
    if not report.ok:
        report.created, report.changed, report.unchanged, report.approved = [], [], [], False
        report.problems.sort(key=lambda p: (SHEET_ORDER.get(p.sheet, 9), p.row or 0))
    return report
