"""Catalogue: an Excel import of 300 new items, and a guide search over the demo catalogue.

Limits: the import ≤ 30 s for 300 items (a branch centre's whole list, in one upload whose
progress the page streams), a search ≤ 100 ms.
"""

import io
import time

from openpyxl import load_workbook

from servicehall.accounts.models import User
from servicehall.catalog.excel import SHEET_ITEMS, catalog_export, catalog_import
from servicehall.catalog.selectors import public_items
from servicehall.ops.demo import load_demo

IMPORT_LIMIT = 30.0
SEARCH_LIMIT_MS = 100.0


def _workbook(n: int) -> bytes:
    book = load_workbook(io.BytesIO(catalog_export([])))
    sheet = book[SHEET_ITEMS]
    headers = [c.value for c in sheet[1]]
    for key in range(1, n + 1):
        row = {"序号": key, "中心编码": "21140301", "事项名称": f"基准测试事项{key}", "事项类型": "公共服务",
               "设定依据": "《政务服务条例》", "办件类型": "即办件", "承诺办结时限": 0, "到现场次数": 1,
               "到现场原因": "需核验身份证件原件"}
        sheet.append([row.get(h) for h in headers])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run() -> None:
    load_demo()
    bureau = User.objects.get(username="bureau")
    content = _workbook(300)
    began = time.perf_counter()
    report = catalog_import(actor=bureau, file=content)
    elapsed = time.perf_counter() - began
    print("## catalogue")
    print(f"Excel import of 300 new items (bureau, approved at once): {elapsed:.2f} s   limit {IMPORT_LIMIT:.0f} s   "
          f"{'ok' if elapsed <= IMPORT_LIMIT and report.ok else 'OVER'}"
          + ("" if report.ok else f"   refused: {report.problems[:1]}"))
    for query in ("flyz", "许可", "基准测试事项29"):
        began = time.perf_counter()
        for _ in range(20):
            found = len(list(public_items(q=query)))
        ms = (time.perf_counter() - began) / 20 * 1000
        print(f"guide search “{query}” over {report.total + 47} items: {ms:.1f} ms ({found} found)   "
              f"limit {SEARCH_LIMIT_MS:.0f} ms   {'ok' if ms <= SEARCH_LIMIT_MS else 'OVER'}")
