"""Every export goes through lib/exports: a citizen's text that looks like a formula is never run
by Excel, read back as the spreadsheet programs would."""

import csv
import io
from datetime import date

from django.test import SimpleTestCase
from openpyxl import load_workbook

from servicehall.lib.exports import csv_text, download, xlsx_table

DANGEROUS = ["=HYPERLINK(\"http://x\",\"点此\")", "+1+1", "-2+3", "@SUM(A1)", "普通文字"]


class ExportTests(SimpleTestCase):
    def test_workbook_texts_are_text_cells_and_numbers_and_dates_keep_their_type(self):
        book = load_workbook(io.BytesIO(xlsx_table("表", [["文字", "数", "日期"]] + [[t, 3, date(2026, 12, 6)]
                                                                                 for t in DANGEROUS])))
        sheet = book["表"]
        self.assertEqual(sheet["A1"].value, "文字")
        self.assertTrue(sheet["A1"].font.bold)
        for row, text in enumerate(DANGEROUS, start=2):
            with self.subTest(text=text):
                self.assertEqual((sheet.cell(row, 1).value, sheet.cell(row, 1).data_type), (text, "s"))
                self.assertEqual(sheet.cell(row, 2).value, 3)
                self.assertEqual(sheet.cell(row, 3).value.date(), date(2026, 12, 6))

    def test_csv_guards_formula_looking_text_and_opens_as_utf8_in_excel(self):
        text = csv_text([["名称", "数"]] + [[t, -5] for t in DANGEROUS])
        self.assertTrue(text.startswith("\ufeff"))
        rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
        self.assertEqual(rows[0], ["名称", "数"])
        self.assertEqual([r[0] for r in rows[1:]], ["'" + t for t in DANGEROUS[:4]] + ["普通文字"])
        self.assertEqual({r[1] for r in rows[1:]}, {"-5"})  # a number is not text: left as it is

    def test_downloads_are_named_and_typed_by_their_file(self):
        response = download(csv_text([["a"]]), "办件-20261206.csv")
        self.assertEqual(response["Content-Type"], "text/csv; charset=utf-8")
        self.assertIn("attachment", response["Content-Disposition"])
        self.assertIn("filename*=utf-8''%E5%8A%9E", response["Content-Disposition"])
        self.assertTrue(download(b"x", "a.xlsx")["Content-Type"].startswith("application/vnd.openxml"))
