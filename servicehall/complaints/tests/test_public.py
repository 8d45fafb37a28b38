"""The public's pages: filing on the phone (or by the QR code on a slip), limited per address;
the status page by number and query code, showing the reply and taking the complainant's word
on it; nothing about anybody else, and what was typed kept on a refusal."""

from datetime import date
from io import BytesIO

import time_machine
from openpyxl import load_workbook

from servicehall.complaints.models import Complaint, Status
from servicehall.complaints.services import (
    PUBLIC_FILINGS_PER_HOUR,
    complaint_accept,
    complaint_reply,
    complaint_resolve,
    complaint_sign,
)
from servicehall.reviews.tests.test_services import finished_ticket

from .test_flow import EVE, ComplaintTestCase, at


class PublicFilingTests(ComplaintTestCase):
    url = "/complaints/public/21140301/"

    def post(self, **data):
        data = {"kind": "complaint", "title": "等候时间过长", "content": "等了两个小时", "name": "周女士",
                "phone": "13712345678", **data}
        with time_machine.travel(at(EVE), tick=False):
            return self.client.post(self.url, data, REMOTE_ADDR="203.0.113.7")

    def test_a_citizen_files_on_the_phone_and_gets_the_number_and_code(self):
        page = self.post(via="qr")
        complaint = Complaint.objects.get()
        self.assertEqual((complaint.channel, complaint.filed_by, complaint.center), ("qr", None, self.p.center_a))
        self.assertContains(page, complaint.number)
        self.assertContains(page, page.context["code"])

    def test_markup_and_formulas_are_stored_as_typed_and_shown_escaped(self):
        self.post(title="<b>差</b>", content='=HYPERLINK("http://x")<script>alert(1)</script>')
        complaint = Complaint.objects.get()
        self.client.force_login(self.p.manager_a)
        page = self.client.get(f"/complaints/{complaint.pk}/")
        self.assertContains(page, "&lt;script&gt;alert(1)&lt;/script&gt;")
        self.assertNotContains(page, "<script>alert(1)")

    def test_formulas_go_to_excel_as_text_and_nul_bytes_are_refused(self):
        self.post(title="=HYPERLINK(\"http://x\",\"点我\")", content="+SUM(A1:A9)")
        self.client.force_login(self.p.manager_a)
        response = self.client.get("/complaints/?export=xlsx")
        sheet = load_workbook(BytesIO(response.content)).active
        title, content = sheet.cell(row=2, column=5), sheet.cell(row=2, column=6)
        self.assertEqual((title.value, title.data_type), ('=HYPERLINK("http://x","点我")', "s"))
        self.assertEqual((content.value, content.data_type), ("+SUM(A1:A9)", "s"))
        self.assertNotIn("13712345678", str([c.value for row in sheet.iter_rows() for c in row]))
        self.client.logout()
        page = self.post(content="大厅\x00空调")
        self.assertEqual(page.status_code, 400)
        self.assertEqual(Complaint.objects.count(), 1)

    def test_a_refusal_keeps_what_was_typed_and_a_flood_is_refused(self):
        page = self.post(phone="12345", content="大厅空调太冷")
        self.assertContains(page, "联系电话：", status_code=400)
        self.assertContains(page, "大厅空调太冷", status_code=400)
        page = self.post(content="x" * 5001)
        self.assertContains(page, "内容：不能超过5000字", status_code=400)
        for _ in range(PUBLIC_FILINGS_PER_HOUR):
            self.post()
        page = self.post(content="第六次")
        self.assertContains(page, "提交过于频繁", status_code=403)
        self.assertContains(page, "第六次", status_code=403)
        self.assertEqual(Complaint.objects.count(), PUBLIC_FILINGS_PER_HOUR)

    def test_from_a_slips_code_the_ticket_is_named(self):
        ticket = finished_ticket(self.p, at(EVE))
        status = self.client.get(f"/queue/t/{ticket.token}/")
        self.assertContains(status, f"?via=qr&amp;ticket={ticket.token}")
        self.assertContains(self.client.get(f"{self.url}?via=qr&ticket={ticket.token}"), ticket.number)
        self.post(via="qr", ticket=ticket.token)
        self.post(via="qr", ticket=finished_ticket(self.p, at(EVE), centre="b").token)  # not of this centre
        self.assertEqual(list(Complaint.objects.order_by("id").values_list("ticket", flat=True)), [ticket.pk, None])

    def test_the_kiosk_has_no_keyboard_so_it_gives_a_code_for_the_phone(self):
        page = self.client.get(f"{self.url}?mode=kiosk")
        self.assertContains(page, "<svg")
        self.assertContains(page, f"http://testserver{self.url}?via=qr")
        self.assertNotContains(page, 'name="content"')

    def test_an_unknown_centre_is_a_404(self):
        self.assertEqual(self.client.get("/complaints/public/99999999/").status_code, 404)


class PublicStatusTests(ComplaintTestCase):
    def replied(self):
        complaint, code = self.file(actor=None, channel="web", name="周女士", phone="13712345678")
        manager = self.p.manager_a
        complaint = complaint_sign(actor=manager, complaint=complaint, now=at(EVE, 11))
        complaint = complaint_accept(actor=manager, complaint=complaint, now=at(EVE, 11))
        complaint = complaint_resolve(actor=manager, complaint=complaint, finding="upheld", resolution="已整改",
                                      now=at(EVE, 12))
        complaint = complaint_reply(actor=manager, complaint=complaint, method="sms", reply="已增开窗口，感谢监督",
                                    now=at(EVE, 13))
        return complaint, code

    def test_the_complainant_reads_the_reply_and_is_not_satisfied_then_it_is_reopened(self):
        complaint, code = self.replied()
        page = self.client.post("/complaints/status/", {"number": complaint.number, "code": code})
        self.assertContains(page, "已增开窗口，感谢监督")
        self.assertContains(page, "已答复")
        self.assertNotContains(page, "13712345678")
        self.assertNotContains(page, "周女士")
        with time_machine.travel(at(date(2026, 10, 8)), tick=False):
            page = self.client.post("/complaints/status/", {"number": complaint.number, "code": code,
                                                            "satisfaction": "dissatisfied", "note": "窗口还是少"})
        self.assertContains(page, "我们将重新办理")
        complaint.refresh_from_db()
        self.assertEqual((complaint.status, complaint.reopened, complaint.satisfaction),
                         (Status.INVESTIGATING, 1, "dissatisfied"))

    def test_a_wrong_code_says_so_and_shows_nothing(self):
        complaint, code = self.replied()
        wrong = f"{(int(code) + 1) % 10 ** 6:06d}"
        page = self.client.post("/complaints/status/", {"number": complaint.number, "code": wrong})
        self.assertContains(page, "编号与查询码不匹配", status_code=400)
        self.assertNotContains(page, "已增开窗口", status_code=400)
        page = self.client.post("/complaints/status/", {"number": complaint.number, "code": wrong,
                                                        "satisfaction": "satisfied"})
        self.assertEqual(page.status_code, 400)
        complaint.refresh_from_db()
        self.assertEqual(complaint.status, Status.REPLIED)
