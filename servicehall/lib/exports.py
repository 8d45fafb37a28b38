"""Every spreadsheet and CSV file the system hands out is written here.

A cell whose text looks like a formula ("=HYPERLINK(…)", "+1", "@SUM…") would be run by Excel
when the file is opened: an applicant's name or a comment typed by a citizen must never do
that. In a workbook every text is written as a text cell (never a formula); in a CSV file, a
text that starts like a formula gets a leading apostrophe, which Excel shows as text
(OWASP's advice on CSV injection). Numbers and dates keep their type.
"""

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def excel_text(text: str) -> str:
    """`text` as a workbook can hold it: line breaks as \\n, characters Excel refuses removed."""
    return ILLEGAL_CHARACTERS_RE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def new_workbook() -> Workbook:
    workbook = Workbook()
    workbook.remove(workbook.active)
    return workbook


def add_sheet(workbook: Workbook, title: str, headers: Sequence[str] = (), widths: Sequence[float] = (), *,
              freeze: bool = True):
    """A sheet with a bold header row (kept in view when `freeze`) and the given column widths."""
    sheet = workbook.create_sheet(title)
    bold = Font(bold=True)
    for index, header in enumerate(headers, start=1):
        sheet.cell(row=1, column=index, value=header).font = bold
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    if headers and freeze:
        sheet.freeze_panes = "A2"
    return sheet


def write_row(sheet, row: int, values: Sequence) -> None:
    """One row from column A; texts as text cells (never formulas), wrapped when multi-line."""
    for index, value in enumerate(values, start=1):
        if isinstance(value, str):
            value = excel_text(value)
        cell = sheet.cell(row=row, column=index, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
            cell.number_format = "@"
            if "\n" in value:
                cell.alignment = Alignment(wrap_text=True, vertical="top")


def workbook_bytes(workbook: Workbook, *, fixed: tuple[datetime, tuple] | None = None) -> bytes:
    """The .xlsx file. With `fixed` (workbook time, zip entries' time) the same content always
    gives the same bytes: openpyxl stamps the clock into the properties and the zip entries."""
    buffer = io.BytesIO()
    if fixed is None:
        workbook.save(buffer)
        return buffer.getvalue()
    stamp, zip_time = fixed
    properties = workbook.properties
    properties.created = properties.modified = stamp
    properties.creator = properties.lastModifiedBy = "ServiceHall"
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:  # save() would stamp "modified"
        ExcelWriter(workbook, archive).write_data()
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=zip_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()


def xlsx_table(title: str, rows: Iterable[Sequence]) -> bytes:
    """One sheet of `rows` (the first are the column titles, bold)."""
    rows = iter(rows)
    workbook = new_workbook()
    sheet = add_sheet(workbook, title, next(rows, ()))
    for number, row in enumerate(rows, start=2):
        write_row(sheet, number, row)
    return workbook_bytes(workbook)


def csv_text(rows: Iterable[Sequence]) -> str:
    """CSV with a byte-order mark (Excel then reads it as UTF-8); formula-looking text guarded."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([f"'{v}" if isinstance(v, str) and v.startswith(FORMULA_START) else v for v in row])
    return buffer.getvalue()


def download(content: bytes | str, filename: str) -> HttpResponse:
    """The file as a download, its type from its name (.xlsx or .csv); Chinese names kept."""
    kind = XLSX_CONTENT_TYPE if filename.endswith(".xlsx") else "text/csv; charset=utf-8"
    response = HttpResponse(content, content_type=kind)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
