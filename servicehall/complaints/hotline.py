"""12345热线工单导入: the hotline's Excel export of work orders, filed as complaints.

The file (.xlsx, as the 12345 platform exports it; `demo/12345-export.xlsx` is an example):

- The sheet named 「工单表」, or, when there is none, the workbook's first sheet. Its header row
  is the first row within the first five that holds 工单编号 (a title line above it is
  allowed); each row below it is one work order. Blank rows are ignored, and so are columns
  not listed here.
- Columns (the header text exactly; * must be present, and their cells filled unless noted):
    工单编号*   the 12345 work order number: letters, digits, "-" or "_", at most 40
    受理时间*   when 12345 received it: an Excel date and time, or text such as
                "2026-12-01 09:30", "2026/12/1 9:30:00", "2026年12月1日 9:30" or ISO 8601;
                Beijing time. Not after the import, nor more than a year before it. The
                complaint's deadlines run in working days from that day.
    诉求类型*   投诉、建议、意见、表扬 or 举报 (a report of misconduct, handled by the bureau)
    涉及中心*   the centre's full name (龙港区行政服务中心公共法律服务分中心) or its code (21140301):
                one the importing account may file complaints for
    标题*       at most 100 characters
    诉求内容*   at most 5,000 characters
    来电人*     the caller's name, at most 50 characters; the cell may be blank
    联系电话*   an 11-digit mobile number; the cell may be blank
    涉及窗口    optional: a window number of that centre ("3" or "3号窗口")
    涉及办件编号 optional: a case number of that centre

Rules: every row is checked before anything is written, and the problems of every row are
reported, each naming the sheet, row and column ("工单表 第5行 联系电话：手机号码格式不正确…").
One problem anywhere and nothing is created. A work order number twice in the file is a
problem; a number already filed is skipped ("已导入"), so importing the same file again
creates nothing new. The rows are filed in one transaction (in order of receipt), each as
`complaint_file` files a 12345 complaint. Cells are read as written, never calculated: a cell
holding a formula (=HYPERLINK(…)) gives its text, kept as text. Files are limited to 5 MB and
5,000 work orders.
"""

import io
import re
import time
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from openpyxl import load_workbook

from servicehall.accounts.permissions import can, require
from servicehall.cases.models import Case
from servicehall.lib.errors import ServiceError
from servicehall.lib.identity import IdentityError, validate_mobile
from servicehall.org.models import ServiceCenter, Window

from .models import Channel, Complaint, Kind
from .services import complaint_file

SHEET = "工单表"
FILE = "文件"
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5_000                      # work orders in one file
MAX_SHEET_ROWS = MAX_ROWS + 1_000     # row numbers read, blank ones included
MAX_COLUMNS = 60                      # columns read per row
HEADER_ROWS = 5                       # the header row is within the first five
# An .xlsx is a zip of XML: these bound what a small file may make the server unpack and read.
MAX_UNZIPPED_BYTES = 48 * 1024 * 1024
MAX_ZIP_ENTRIES = 100
MAX_READ_SECONDS = 30.0
CLOCK_SKEW = timedelta(minutes=5)     # the hotline's clock a little ahead of ours
OLDEST = timedelta(days=366)          # a receipt more than a year back is a typing error
ORDER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")

ORDER, RECEIVED, KIND, CENTER, TITLE, CONTENT = "工单编号", "受理时间", "诉求类型", "涉及中心", "标题", "诉求内容"
CALLER, PHONE, WINDOW, CASE = "来电人", "联系电话", "涉及窗口", "涉及办件编号"
REQUIRED_COLUMNS = (ORDER, RECEIVED, KIND, CENTER, TITLE, CONTENT, CALLER, PHONE)
COLUMNS = (*REQUIRED_COLUMNS, WINDOW, CASE)
KINDS = {"投诉": Kind.COMPLAINT, "建议": Kind.SUGGESTION, "意见": Kind.OPINION, "表扬": Kind.PRAISE,
         "举报": Kind.MISCONDUCT, "举报违规违纪": Kind.MISCONDUCT}
# Where `complaint_file` names a field, the column it came from.
COLUMN_OF = {"hotline_order": ORDER, "kind": KIND, "title": TITLE, "content": CONTENT, "name": CALLER,
             "phone": PHONE, "window": WINDOW, "case": CASE}
TEXT_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%d",
                "%Y/%m/%d", "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日 %H:%M", "%Y年%m月%d日%H:%M", "%Y年%m月%d日",
                "%Y.%m.%d %H:%M:%S", "%Y.%m.%d %H:%M", "%Y.%m.%d")


@dataclass(frozen=True)
class ImportProblem:
    sheet: str
    row: int | None                   # as Excel numbers it; None: the whole file or sheet
    column: str
    message: str

    def __str__(self) -> str:
        where = self.sheet
        if self.row is not None:
            where += f" 第{self.row}行"
        if self.column:
            where += f" {self.column}"
        return f"{where}：{self.message}"


@dataclass(frozen=True)
class SkippedRow:
    row: int
    hotline_order: str
    reason: str = "已导入"


@dataclass
class ImportResult:
    total: int = 0                    # work order rows read
    created: list[str] = field(default_factory=list)        # numbers of the complaints filed
    # Each filed complaint's query code, shown once on the import page for 12345 to pass on.
    codes: dict[str, str] = field(default_factory=dict)
    skipped: list[SkippedRow] = field(default_factory=list)  # work orders filed before
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def summary(self) -> str:
        if not self.ok:
            return (f"导入未执行：发现{len(self.problems)}处问题，没有登记任何工单。"
                    "请修改后重新导入整个文件。")
        return (f"导入完成：共{self.total}条工单，新登记{len(self.created)}件，"
                f"已导入过的{len(self.skipped)}件未重复登记。")

    def add(self, sheet: str, row: int | None, column: str, message: str) -> None:
        self.problems.append(ImportProblem(sheet, row, column, message))


class _CellError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class _Refused(Exception):
    """The file as a whole cannot be read; the message says why."""


# --- reading cells ------------------------------------------------------------------------

def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value) -> str:
    """A cell as text: numbers as typed (13812345678, not 13812345678.0), a formula as its own
    text (an array formula is an object holding it)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value.text or "") if hasattr(value, "text") else str(value)
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _bounded(value, limit: int) -> str:
    text = _text(value)
    if not text:
        raise _CellError("请填写")
    if len(text) > limit:
        raise _CellError(f"不能超过{limit}字（现有{len(text)}字）")
    return text


def _moment(value, now: datetime) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, datetime.min.time())
    else:
        moment = _parse_moment(_text(value))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)  # the hall's own time (Beijing)
    if moment > now + CLOCK_SKEW:
        raise _CellError(f"{timezone.localtime(moment):%Y-%m-%d %H:%M}晚于导入时间，请核对")
    if moment < now - OLDEST:
        raise _CellError(f"{timezone.localtime(moment):%Y-%m-%d %H:%M}早于一年前，请核对")
    return moment


def _parse_moment(text: str) -> datetime:
    if not text:
        raise _CellError("请填写")
    compact = re.sub(r"\s+", " ", text)
    for pattern in TEXT_FORMATS:
        try:
            return datetime.strptime(compact, pattern)
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(compact)
    except ValueError:
        raise _CellError(f"“{text[:40]}”不是日期时间，应写作“2026-12-01 09:30”") from None


def _window_number(value) -> int:
    text = _text(value).removesuffix("窗口").removesuffix("号")
    if not re.fullmatch(r"\d{1,4}", text):
        raise _CellError(f"“{_text(value)[:20]}”不是窗口号，应填数字，如“3”")
    return int(text)


# --- reading the sheet --------------------------------------------------------------------

@dataclass
class _Row:
    number: int
    cells: dict                       # column → raw value


def _archive_refusal(content: bytes) -> str | None:
    """What is wrong with the zip itself, checked before any XML is parsed (zipfile never
    unpacks a part beyond the size it declares, so the declared sizes bound the work)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return None  # not a zip at all: openpyxl's own refusal says so
    if len(parts) > MAX_ZIP_ENTRIES:
        return f"文件内部结构异常（包含{len(parts)}个部件），请使用12345平台导出的原始文件"
    if sum(part.file_size for part in parts) > MAX_UNZIPPED_BYTES:
        return f"文件解压后超过{MAX_UNZIPPED_BYTES // 1024 // 1024}MB，请分成几个文件导入"
    return None


def _header(sheet) -> tuple[int, dict[str, int]]:
    """The header row's number and each listed column's position."""
    for number, values in enumerate(sheet.iter_rows(max_row=HEADER_ROWS, max_col=MAX_COLUMNS, values_only=True),
                                    start=1):
        texts = [_text(v) for v in values]
        if ORDER in texts:
            positions: dict[str, int] = {}
            for index, text in enumerate(texts):
                if text in COLUMNS:
                    if text in positions:
                        raise _Refused(f"第{number}行的列“{text}”重复")
                    positions[text] = index
            return number, positions
    raise _Refused(f"前{HEADER_ROWS}行中没有找到列标题行（应有“{ORDER}”等列）")


def _read(content: bytes, result: ImportResult) -> tuple[str, list[_Row]] | None:
    """The sheet's title and its rows, or None with the file's problem reported."""
    if not content:
        result.add(FILE, None, "", "文件是空的")
        return None
    if len(content) > MAX_FILE_BYTES:
        result.add(FILE, None, "", f"文件不能超过{MAX_FILE_BYTES // 1024 // 1024}MB，请分成几个文件导入")
        return None
    refusal = _archive_refusal(content)
    if refusal:
        result.add(FILE, None, "", refusal)
        return None
    unreadable = "无法读取该文件：请上传12345平台导出的Excel工作簿（.xlsx格式）"
    try:
        # Not data_only: a formula is read as its text, never as what Excel would make of it.
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds (BadZipFile, KeyError, XML errors…) on a bad file
        result.add(FILE, None, "", unreadable)
        return None
    deadline = time.monotonic() + MAX_READ_SECONDS
    try:
        names = workbook.sheetnames
        if not names:
            result.add(FILE, None, "", unreadable)
            return None
        title = SHEET if SHEET in names else names[0]
        sheet = workbook[title]
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()  # every cell, whatever size the file records
        try:
            header_row, positions = _header(sheet)
        except _Refused as exc:
            result.add(title, None, "", str(exc))
            return None
        missing = [c for c in REQUIRED_COLUMNS if c not in positions]
        if missing:
            result.add(title, header_row, "", f"缺少列：{'、'.join(missing)}")
            return None
        rows = []
        # Bounded: row numbers past MAX_SHEET_ROWS (blank ones included, which openpyxl would
        # otherwise fill in one by one) are never produced, nor columns past MAX_COLUMNS.
        for number, values in enumerate(sheet.iter_rows(min_row=header_row + 1, max_row=MAX_SHEET_ROWS + 1,
                                                        max_col=MAX_COLUMNS, values_only=True), start=header_row + 1):
            if number > MAX_SHEET_ROWS:
                result.add(title, None, "", f"超过{MAX_SHEET_ROWS}行（含空行），请删除多余的空行或分成几个文件导入")
                return None
            if time.monotonic() > deadline:
                result.add(FILE, None, "", f"文件过于复杂，{MAX_READ_SECONDS:.0f}秒内未能读完，请分成几个文件导入")
                return None
            if all(_blank(v) for v in values):
                continue
            if len(rows) >= MAX_ROWS:
                result.add(title, number, "", f"超过{MAX_ROWS}条工单，请分成几个文件导入")
                return None
            rows.append(_Row(number, {c: values[i] if i < len(values) else None for c, i in positions.items()}))
    except Exception:  # a read-only sheet is parsed lazily: a damaged one fails here
        result.add(FILE, None, "", unreadable)
        return None
    finally:
        workbook.close()
    if not rows:
        result.add(title, None, "", f"没有工单（第{header_row + 1}行起每行一条工单）")
        return None
    return title, rows


# --- checking rows ------------------------------------------------------------------------

@dataclass
class _Plan:
    row: int
    order: str
    received_at: datetime
    kind: str
    center: ServiceCenter
    title: str
    content: str
    name: str
    phone: str
    window_number: int | None
    case_number: str


class _Context:
    """What the rows are checked against, loaded once: the centres the actor may file for (by
    code and by full name), the work orders already filed, the centres' windows and cases."""

    def __init__(self, actor, rows: list[_Row]):
        centres = [c for c in ServiceCenter.objects.for_user(actor) if can(actor, "complaint.file", c)]
        self.centres = {c.code: c for c in centres} | {c.name: c for c in centres}
        orders = {_text(r.cells.get(ORDER)) for r in rows} - {""}
        self.filed = set(Complaint.objects.filter(hotline_order__in=orders).values_list("hotline_order", flat=True))
        ids = [c.pk for c in centres]
        self.windows = {(center_id, number): pk for pk, center_id, number in
                        Window.objects.filter(center_id__in=ids).values_list("pk", "center_id", "number")}
        numbers = {_text(r.cells.get(CASE)) for r in rows} - {""}
        cases = Case.objects.filter(center_id__in=ids, number__in=numbers)
        self.cases = {(center_id, number): pk for pk, center_id, number in
                      cases.values_list("pk", "center_id", "number")}


def _check(row: _Row, sheet: str, ctx: _Context, now: datetime, result: ImportResult) -> _Plan | None:
    """The row's plan, or None with each of its problems reported."""
    values, ok = {}, True

    def cell(column: str, read):
        nonlocal ok
        try:
            values[column] = read(row.cells.get(column))
        except _CellError as exc:
            result.add(sheet, row.number, column, exc.message)
            ok = False

    cell(RECEIVED, lambda v: _moment(v, now))
    cell(KIND, _kind)
    cell(CENTER, lambda v: _centre(v, ctx))
    cell(TITLE, lambda v: _bounded(v, 100))
    cell(CONTENT, lambda v: _bounded(v, 5000))
    cell(CALLER, lambda v: "" if _blank(v) else _bounded(v, 50))
    cell(PHONE, _phone)
    cell(WINDOW, lambda v: None if _blank(v) else _window_number(v))
    cell(CASE, lambda v: "" if _blank(v) else _bounded(v, 32))
    center = values.get(CENTER)
    if center is not None and values.get(WINDOW) is not None and (center.pk, values[WINDOW]) not in ctx.windows:
        result.add(sheet, row.number, WINDOW, f"{center.name}没有{values[WINDOW]}号窗口")
        ok = False
    if center is not None and values.get(CASE) and (center.pk, values[CASE]) not in ctx.cases:
        result.add(sheet, row.number, CASE, f"在{center.name}未找到办件{values[CASE]}")
        ok = False
    if not ok:
        return None
    return _Plan(row.number, _text(row.cells.get(ORDER)), values[RECEIVED], values[KIND], center, values[TITLE],
                 values[CONTENT], values[CALLER], values[PHONE], values[WINDOW], values[CASE])


def _kind(value) -> str:
    text = _text(value)
    if not text:
        raise _CellError("请填写")
    if text not in KINDS:
        raise _CellError(f"“{text[:20]}”无效，可填：投诉、建议、意见、表扬、举报")
    return KINDS[text]


def _centre(value, ctx: _Context) -> ServiceCenter:
    text = _text(value)
    if not text:
        raise _CellError("请填写中心全称或编码")
    center = ctx.centres.get(text) or ctx.centres.get(re.sub(r"\s+", "", text))
    if center is None:
        raise _CellError(f"未找到“{text[:80]}”，或您无权为该中心登记投诉（请填写中心全称或编码）")
    return center


def _phone(value) -> str:
    if _blank(value):
        return ""
    try:
        return validate_mobile(_text(value))
    except IdentityError as exc:
        raise _CellError(exc.args[0]) from None


# --- the import ---------------------------------------------------------------------------

def _file(plan: _Plan, actor, ctx: _Context, now: datetime) -> tuple[Complaint, str]:
    window = ctx.windows[(plan.center.pk, plan.window_number)] if plan.window_number is not None else None
    case = ctx.cases[(plan.center.pk, plan.case_number)] if plan.case_number else None
    return complaint_file(
        actor=actor, channel=Channel.HOTLINE, kind=plan.kind, center=plan.center, title=plan.title,
        content=plan.content, name=plan.name, phone=plan.phone, hotline_order=plan.order, window=window, case=case,
        received_at=plan.received_at, now=now)


def _message(exc: ServiceError) -> str:
    """A service's message without its own label ("联系电话：…" → "…"): the problem names the column."""
    label, sep, rest = exc.message.partition("：")
    return rest if sep and exc.field and len(label) <= 12 else exc.message


def hotline_import(*, actor, content: bytes, now: datetime | None = None) -> ImportResult:
    """Import a 12345 export (the layout in the module docstring) as 12345 complaints: every row
    or none. `actor` is the person importing: each row's centre must be one they may file
    complaints for (the bureau: every centre of its district). Work orders filed before are
    skipped; the result lists the complaints' numbers, the skipped rows, or the problems, each
    naming sheet, row and column (`str(problem)`). Raises Forbidden for an account that may
    not file complaints at all."""
    now = now or timezone.now()
    require(actor, "complaint.file")
    result = ImportResult()
    read = _read(content, result)
    if read is None:
        return result
    sheet, rows = read
    result.total = len(rows)
    ctx = _Context(actor, rows)
    plans: list[_Plan] = []
    first_row: dict[str, int] = {}
    for row in rows:
        order = _text(row.cells.get(ORDER))
        if not order:
            result.add(sheet, row.number, ORDER, "请填写")
            _check(row, sheet, ctx, now, result)
            continue
        if not ORDER_RE.fullmatch(order):
            result.add(sheet, row.number, ORDER, f"“{order[:40]}”格式不正确，应为至多40位的字母、数字、“-”或“_”")
            _check(row, sheet, ctx, now, result)
            continue
        if order in first_row:
            result.add(sheet, row.number, ORDER, f"工单{order}与第{first_row[order]}行重复")
            continue
        first_row[order] = row.number
        if order in ctx.filed:
            result.skipped.append(SkippedRow(row.number, order))
            continue
        plan = _check(row, sheet, ctx, now, result)
        if plan is not None:
            plans.append(plan)
    if not result.ok:
        result.skipped = []
        return result
    plans.sort(key=lambda p: (p.received_at, p.row))
    created: list[str] = []
    codes: dict[str, str] = {}
    with transaction.atomic():
        for plan in plans:
            try:
                complaint, code = _file(plan, actor, ctx, now)
                created.append(complaint.number)
                codes[complaint.number] = code
            except ServiceError as exc:  # what the checks above could not know (another import just now)
                result.add(sheet, plan.row, COLUMN_OF.get(exc.field or "", ""), _message(exc))
            except IntegrityError:
                result.add(sheet, plan.row, ORDER, f"工单{plan.order}刚被他人导入，请重新导入")
            if not result.ok:
                transaction.set_rollback(True)  # nothing of this file is kept
                break
    if result.ok:
        result.created, result.codes = created, codes
    else:
        result.skipped = []
    return result
