"""The complaint pages: intake at a window (the number and query code given once, a refusal
keeping what was typed), the list with lights, the file's steps, and what another centre or a
misconduct report's centre cannot see."""

from datetime import date
from io import BytesIO

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from servicehall.audit.models import AuditEvent
from servicehall.complaints.models import Complaint, Status
from servicehall.complaints.services import (
    complaint_accept,
    complaint_file,
    complaint_reply,
    complaint_resolve,
    complaint_sign,
    query_code_hash,
)

from .test_flow import EVE, ComplaintTestCase, at


class IntakePageTests(ComplaintTestCase):
    def test_a_complaint_is_taken_at_the_window_and_the_complainant_gets_number_and_code(self):
        self.client.force_login(self.p.staff_a)
        data = {"center": self.p.center_a.code, "channel": "window", "kind": "complaint", "title": "等候时间过长",
                "content": "取号后等了两个小时", "name": "孙女士", "phone": "13912345678",
                "window": self.p.window_a.pk}
        with time_machine.travel(at(EVE), tick=False):
            page = self.client.post("/complaints/new/", data)
        complaint = Complaint.objects.get()
        code = page.context["code"]
        self.assertEqual(complaint.query_code_hash, query_code_hash(complaint.number, code))
        self.assertContains(page, complaint.number)
        self.assertContains(page, code)
        self.assertEqual((complaint.window, complaint.filed_by, complaint.due),
                         (self.p.window_a, self.p.staff_a, date(2026, 10, 20)))

    def test_a_refusal_names_the_field_and_keeps_what_was_typed(self):
        self.client.force_login(self.p.staff_a)
        data = {"center": self.p.center_a.code, "channel": "window", "kind": "complaint", "title": "等候时间过长",
                "content": "取号后等了两个小时", "phone": "13912345678", "window": self.p.window_b.pk}
        page = self.client.post("/complaints/new/", data)
        self.assertContains(page, "涉及窗口：在", status_code=400)
        data.update(window="", phone="1391234")
        page = self.client.post("/complaints/new/", data)
        self.assertContains(page, "联系电话：", status_code=400)
        self.assertContains(page, "取号后等了两个小时", status_code=400)
        data.update(phone="13912345678", channel="hotline")  # the form offers window, desk and phone only
        page = self.client.post("/complaints/new/", data)
        self.assertContains(page, "渠道：请选择", status_code=400)
        self.assertEqual(Complaint.objects.count(), 0)


class FilePageTests(ComplaintTestCase):
    def test_the_manager_takes_it_through_its_steps_on_the_file(self):
        complaint, _ = self.file()
        self.client.force_login(self.p.manager_a)
        url = f"/complaints/{complaint.pk}/"
        page = self.client.get(url)
        self.assertContains(page, "13812345678")  # the handler may phone back: recorded
        self.assertEqual(AuditEvent.objects.filter(action="complaint.view").count(), 1)
        for data in ({"action": "sign"}, {"action": "accept"}, {"action": "note", "note": "查看录像"},
                     {"action": "resolve", "finding": "partly", "resolution": "已提醒工作人员"},
                     {"action": "reply", "method": "sms", "reply": "经核实部分属实，已整改"},
                     {"action": "rate", "satisfaction": "satisfied"}):
            with self.subTest(action=data["action"]):
                self.assertRedirects(self.client.post(f"{url}act/", data), url)
        complaint.refresh_from_db()
        self.assertEqual((complaint.status, complaint.finding), (Status.ARCHIVED, "partly"))
        page = self.client.get(url)
        self.assertContains(page, "经核实部分属实，已整改")
        self.assertContains(page, "已归档")

    def test_window_staff_see_the_contact_masked_and_cannot_act(self):
        complaint, _ = self.file()
        self.client.force_login(self.p.staff_a)
        page = self.client.get(f"/complaints/{complaint.pk}/")
        self.assertContains(page, "138****5678")
        self.assertNotContains(page, "13812345678")
        self.client.post(f"/complaints/{complaint.pk}/act/", {"action": "sign"})
        complaint.refresh_from_db()
        self.assertEqual(complaint.status, Status.RECEIVED)

    def test_another_centre_and_a_misconduct_reports_centre_get_a_404(self):
        mine, _ = self.file()
        report, _ = self.file(kind="misconduct", title="吃拿卡要")
        self.client.force_login(self.p.manager_b)
        self.assertEqual(self.client.get(f"/complaints/{mine.pk}/").status_code, 404)
        self.client.force_login(self.p.manager_a)
        self.assertEqual(self.client.get(f"/complaints/{report.pk}/").status_code, 404)
        self.assertEqual(self.client.post(f"/complaints/{report.pk}/act/", {"action": "sign"}).status_code, 404)
        listed = [c.pk for c, _ in self.client.get("/complaints/").context["rows"]]
        self.assertEqual(listed, [mine.pk])
        self.client.force_login(self.p.bureau)
        listed = {c.pk for c, _ in self.client.get("/complaints/").context["rows"]}
        self.assertEqual(listed, {mine.pk, report.pk})

    def test_the_centres_audit_trail_never_shows_a_misconduct_report(self):
        ordinary, _ = self.file(title="等候过长")
        report, _ = self.file(kind="misconduct", title="索要好处费", name="钱女士", phone="13512345678")
        complaint_sign(actor=self.p.bureau, complaint=report, now=at(EVE, 11))
        self.client.force_login(self.p.bureau)
        self.client.get(f"/complaints/{report.pk}/")  # the bureau reads the contact: recorded
        self.client.force_login(self.p.manager_a)
        page = self.client.get("/audit/?action=complaint").content.decode()
        self.assertIn(ordinary.number, page)
        self.assertNotIn(report.number, page)
        self.assertNotIn("钱女士", page)
        self.client.force_login(self.p.auditadmin)
        page = self.client.get("/audit/?action=complaint").content.decode()
        self.assertIn(report.number, page)
        self.assertNotIn("13512345678", page)

    def test_the_list_lights_the_step_under_way(self):
        fresh, _ = self.file()
        late, _ = complaint_file(actor=self.p.staff_a, channel="phone", kind="suggestion", center=self.p.center_a,
                                 title="建议增加自助终端", content="……", now=at(date(2026, 9, 1)))
        self.client.force_login(self.p.manager_a)
        with time_machine.travel(at(date(2026, 10, 9)), tick=False):
            rows = dict((c.number, light) for c, light in self.client.get("/complaints/").context["rows"])
        self.assertEqual(rows, {fresh.number: "red", late.number: "red"})  # fresh: not signed by 10-08
        with time_machine.travel(at(date(2026, 10, 8)), tick=False):
            rows = dict((c.number, light) for c, light in self.client.get("/complaints/").context["rows"])
        self.assertEqual(rows[fresh.number], "yellow")


class FiguresPageTests(ComplaintTestCase):
    def test_each_centre_by_kind_with_its_rates_and_the_excel(self):
        manager = self.p.manager_a
        upheld, _ = self.file(window=self.p.window_a.pk, staff=self.p.person_a.pk)  # upheld, replied in time
        for step in (complaint_sign, complaint_accept):
            upheld = step(actor=manager, complaint=upheld, now=at(EVE, 11))
        upheld = complaint_resolve(actor=manager, complaint=upheld, finding="upheld", resolution="整改",
                                   now=at(EVE, 12))
        complaint_reply(actor=manager, complaint=upheld, method="phone", reply="已整改", now=at(EVE, 13))
        self.file(kind="suggestion", title="建议")  # open, past its deadline by 10-21
        self.file(kind="misconduct", title="举报")
        self.file(actor=self.p.staff_b, center=self.p.center_b, kind="praise", title="表扬")
        self.client.force_login(self.p.bureau)
        with time_machine.travel(at(date(2026, 10, 21)), tick=False):
            page = self.client.get("/complaints/figures/?year=2026&month=9")
        table = {row[0]: row for row in page.context["table"]}
        a, b = table[self.p.center_a.name], table[self.p.center_b.name]
        # 合计, 投诉 建议 意见 表扬 举报, 属实率, 按期答复率, 满意率
        self.assertEqual(a[1:], [3, 1, 1, 0, 0, 1, "100.0%", "33.3%", "—"])  # 1 of 3 due answered in time
        self.assertEqual(b[1:], [1, 0, 0, 0, 1, 0, "—", "0.0%", "—"])  # the praise unanswered past 10-13
        self.assertEqual(page.context["total"][1], 4)
        self.assertEqual(page.context["upheld_people"], [("李娜（001）", self.p.center_a.name, 1)])
        self.assertEqual(page.context["upheld_windows"], [("1号窗口 综合受理", self.p.center_a.name, 1)])
        self.client.force_login(manager)  # the manager's figures leave out what the bureau handles
        with time_machine.travel(at(date(2026, 10, 21)), tick=False):
            rows = self.client.get("/complaints/figures/?year=2026&month=9").context["table"]
            response = self.client.get("/complaints/figures/?year=2026&month=9&export=xlsx")
        self.assertEqual([row[:2] for row in rows], [[self.p.center_a.name, 2]])
        sheet = load_workbook(BytesIO(response.content)).active
        self.assertEqual([c.value for c in sheet[2]][:3], ["中心", "合计", "投诉"])
        self.assertEqual(sheet.cell(row=3, column=2).value, 2)


class ImportPageTests(ComplaintTestCase):
    def workbook(self, *rows) -> bytes:
        book = Workbook()
        sheet = book.active
        sheet.title = "工单表"
        sheet.append(["工单编号", "受理时间", "诉求类型", "涉及中心", "标题", "诉求内容", "来电人", "联系电话"])
        for row in rows:
            sheet.append(row)
        out = BytesIO()
        book.save(out)
        return out.getvalue()

    def test_the_bureau_imports_a_file_once_and_a_bad_file_names_its_rows(self):
        good = self.workbook(
            ["GD202612010001", "2026-12-01 09:12:00", "投诉", self.p.center_a.code, "窗口人员不在岗", "等了半小时",
             "钱先生", "13612345678"],
            ["GD202612010002", "2026-12-01 10:40:00", "建议", self.p.center_a.name, "增加停车位", "停车难", "", ""])
        self.client.force_login(self.p.bureau)
        with time_machine.travel(at(date(2026, 12, 7)), tick=False):
            page = self.client.post("/complaints/import/", {"file": SimpleUploadedFile("12345.xlsx", good)})
            again = self.client.post("/complaints/import/", {"file": SimpleUploadedFile("12345.xlsx", good)})
        self.assertContains(page, "导入完成")
        self.assertEqual(len(page.context["result"].created), 2)
        for number, code in page.context["result"].codes.items():  # for 12345 to pass on, once
            self.assertContains(page, f'<td class="mono">{code}</td>')
            self.assertEqual(Complaint.objects.get(number=number).query_code_hash, query_code_hash(number, code))
        self.assertEqual(Complaint.objects.filter(channel="hotline").count(), 2)
        self.assertContains(again, "已导入过，未重复登记")
        self.assertEqual(again.context["result"].created, [])
        bad = self.workbook(["GD202612020001", "2026-12-02 09:00:00", "投诉", "99999999", "x", "y", "", "1381234"])
        with time_machine.travel(at(date(2026, 12, 7)), tick=False):
            page = self.client.post("/complaints/import/", {"file": SimpleUploadedFile("bad.xlsx", bad)})
        self.assertContains(page, "导入未执行", status_code=400)
        self.assertContains(page, "工单表 第2行 涉及中心", status_code=400)
        self.assertContains(page, "工单表 第2行 联系电话", status_code=400)
        self.assertEqual(Complaint.objects.count(), 2)

    def test_only_the_bureau_imports(self):
        self.client.force_login(self.p.manager_a)
        self.assertEqual(self.client.get("/complaints/import/").status_code, 403)
