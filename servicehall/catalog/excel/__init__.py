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
importing user is the bureau (who may "catalog.decide"), the import is its own decision: each
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

from .export import catalog_export, exportable, normalized
from .importer import catalog_import, import_steps
from .layout import (
                     FIXED_TIME,
                     MAX_FILE_BYTES,
                     SHEET_FAQS,
                     SHEET_FEES,
                     SHEET_ITEMS,
                     SHEET_MATERIALS,
                     ImportProblem,
                     ImportReport,
)

__all__ = ["FIXED_TIME", "MAX_FILE_BYTES", "SHEET_FAQS", "SHEET_FEES", "SHEET_ITEMS", "SHEET_MATERIALS",
           "ImportProblem", "ImportReport", "catalog_export", "catalog_import", "exportable", "import_steps",
           "normalized"]
