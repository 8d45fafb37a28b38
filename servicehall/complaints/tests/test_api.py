"""POST /api/v1/complaints: the 12345 hotline system files a work order with the bureau's key;
the same work order twice is 409, a centre it cannot file for is 400 naming the field, and what
the order names must be of the named centre."""

import json
from datetime import date, datetime

import time_machine
from django.utils import timezone

from servicehall.accounts.services import api_key_create
from servicehall.cases.services import case_submit
from servicehall.cases.tests.helpers import PERSON, item_data, materials, publish
from servicehall.complaints.models import Channel, Complaint, Handler, Status
from servicehall.complaints.services import query_code_hash
from servicehall.org.models import Staff, Window
from servicehall.testing import PersonaTestCase

URL = "/api/v1/complaints"
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=timezone.get_fixed_timezone(8 * 60))  # Wednesday


class HotlineApiTests(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.key = api_key_create(actor=cls.p.sysadmin, user=cls.p.bureau, name="12345热线")[1]
        cls.leader_key = api_key_create(actor=cls.p.sysadmin, user=cls.p.leader, name="大屏")[1]

    def setUp(self):
        traveller = time_machine.travel(NOW, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)

    def post(self, body: dict, key: str | None = None, **changes):
        headers = {} if key == "" else {"Authorization": f"Bearer {key or self.key}"}
        return self.client.post(URL, json.dumps(self.order() | body | changes), content_type="application/json",
                                headers=headers)

    def order(self) -> dict:
        return {"hotline_order": "GD2026120100107", "center": "21140301", "appeal_type": "complaint",
                "title": "法律援助申请材料要求前后不一", "content": "来电人反映跑了三趟，希望一次性告知所需材料。",
                "caller": "孙丽", "phone": "139 0527 1234", "received_at": "2026-12-01T09:12:00+08:00"}

    def test_a_work_order_is_filed_as_a_hotline_complaint_with_its_deadlines(self):
        response = self.post({"window": 1, "staff_no": "002"})
        self.assertEqual(response.status_code, 201, response.content)
        answer = response.json()
        complaint = Complaint.objects.get()
        self.assertEqual(answer, {
            "number": complaint.number, "query_code": answer["query_code"], "hotline_order": "GD2026120100107",
            "center": "21140301", "status": "received", "status_label": "待签收",
            "received_at": "2026-12-01T09:12:00+08:00", "sign_due": "2026-12-02", "due": "2026-12-15"})
        self.assertRegex(complaint.number, r"^TS20261201[0-9]{6}$")
        self.assertEqual(complaint.query_code_hash, query_code_hash(complaint.number, answer["query_code"]))
        self.assertEqual((complaint.channel, complaint.center, complaint.filed_by, complaint.handler, complaint.phone,
                          complaint.name, complaint.status, complaint.due),
                         (Channel.HOTLINE, self.p.center_a, self.p.bureau, Handler.CENTRE, "13905271234", "孙丽",
                          Status.RECEIVED, date(2026, 12, 15)))
        self.assertEqual((complaint.window, complaint.staff.name), (self.p.window_a, "王强"))

    def test_without_a_received_time_the_deadlines_run_from_now(self):
        body = self.order()
        del body["received_at"]
        response = self.client.post(URL, json.dumps(body), content_type="application/json",
                                    headers={"Authorization": f"Bearer {self.key}"})
        self.assertEqual(response.status_code, 201, response.content)
        self.assertRegex(response.json()["number"], r"^TS20261202[0-9]{6}$")
        self.assertEqual((response.json()["sign_due"], response.json()["due"]), ("2026-12-03", "2026-12-16"))

    def test_the_same_work_order_again_is_409_and_files_nothing(self):
        self.assertEqual(self.post({}).status_code, 201)
        again = self.post({"title": "重复推送"})
        self.assertEqual(again.status_code, 409)
        self.assertEqual(again.json(), {"error": "duplicate", "field": "hotline_order",
                                        "message": "12345工单号：工单GD2026120100107已登记"})
        self.assertEqual(Complaint.objects.count(), 1)

    def test_an_unknown_centre_or_one_of_another_district_is_400_naming_the_field(self):
        for code in ("99999999", "21140200"):  # none; 连山区's, which the district's bureau does not see
            with self.subTest(code=code):
                response = self.post({"center": code})
                self.assertEqual(response.status_code, 400)
                self.assertEqual(response.json(), {"error": "invalid", "field": "center",
                                                   "message": f"中心：未找到编码为“{code}”的中心"})
        self.assertFalse(Complaint.objects.exists())

    def test_without_a_key_401_and_a_role_that_may_not_file_403(self):
        anonymous = self.post({}, key="")
        self.assertEqual((anonymous.status_code, anonymous.json()["error"]), (401, "not_authenticated"))
        wrong = self.post({}, key="sh_not-a-key")
        self.assertEqual(wrong.status_code, 401)
        leader = self.post({}, key=self.leader_key)
        self.assertEqual(leader.status_code, 403)
        self.assertEqual(leader.json()["message"], "只有窗口人员、分中心负责人和营商局可以登记投诉")
        self.assertFalse(Complaint.objects.exists())

    def test_a_centres_own_clerk_may_file_for_it_but_not_for_another(self):
        key = api_key_create(actor=self.p.sysadmin, user=self.p.staff_b, name="接口")[1]
        self.assertEqual(self.post({}, key=key).json()["field"], "center")
        self.assertEqual(self.post({"center": "21140302"}, key=key).status_code, 201)

    def test_a_window_staff_member_or_case_of_another_centre_is_refused_naming_the_field(self):
        Window.objects.create(center=self.p.center_b, number=7, name="收费")
        Staff.objects.create(center=self.p.center_b, name="赵敏", employee_no="B07")
        item = publish(self.p, item_data("道路运输经营许可"), center=self.p.center_b)
        case = case_submit(actor=self.p.staff_b, center=self.p.center_b, items=[item.code], applicant=PERSON,
                           materials=list(materials(item).values()))
        here = "龙港区行政服务中心公共法律服务分中心"
        for named, field, message in (
                ({"window": 7}, "window", f"窗口：{here}没有7号窗口"),
                ({"staff_no": "B07"}, "staff_no", f"涉及人员工号：{here}没有工号为B07的人员"),
                ({"case": case.number}, "case", f"办件编号：在{here}未找到办件{case.number}")):
            with self.subTest(field=field):
                response = self.post(named)
                self.assertEqual(response.status_code, 400)
                self.assertEqual(response.json(), {"error": "invalid", "field": field, "message": message})
        self.assertFalse(Complaint.objects.exists())
        # Of the named centre, each is taken.
        response = self.post({"center": "21140302", "window": 7, "staff_no": "B07", "case": case.number})
        self.assertEqual(response.status_code, 201, response.content)
        complaint = Complaint.objects.get()
        self.assertEqual((complaint.window.number, complaint.staff.employee_no, complaint.case), (7, "B07", case))

    def test_a_report_of_misconduct_goes_to_the_bureau(self):
        response = self.post({"appeal_type": "misconduct", "anonymous": True})
        self.assertEqual(response.status_code, 201, response.content)
        complaint = Complaint.objects.get()
        self.assertEqual((complaint.handler, complaint.name, complaint.phone, complaint.kind),
                         (Handler.BUREAU, "", "", "misconduct"))

    def test_bad_values_are_400_naming_the_field_in_chinese(self):
        for changes, field, message in (
                ({"received_at": "2026-12-01T09:12:00"}, "received_at",
                 "受理时间：须带时区偏移，如 2026-12-07T09:00:00+08:00"),
                ({"received_at": "2026-12-03T09:12:00+08:00"}, "received_at", "受理时间：不能晚于当前时间"),
                ({"received_at": "2025-11-01T09:12:00+08:00"}, "received_at", "受理时间：不能早于一年前"),
                ({"phone": "0429-3123456"}, "phone", "联系电话：手机号码格式不正确，应为11位且以1开头"),
                ({"appeal_type": "咨询"}, "appeal_type", "诉求类型：取值不在允许范围内"),
                ({"hotline_order": "=HYPERLINK(1)"}, "hotline_order", "12345工单号：格式不正确"),
                ({"content": "长" * 5001}, "content", "诉求内容：不能超过5000个字符"),
                ({"title": "   "}, "title", "标题：请填写"),
                ({"content": "\n"}, "content", "诉求内容：请填写")):
            with self.subTest(field=field, changes=str(changes)[:40]):
                response = self.post(changes)
                self.assertEqual(response.status_code, 400, response.content)
                self.assertEqual((response.json()["field"], response.json()["message"]), (field, message))
        self.assertFalse(Complaint.objects.exists())
        self.assertEqual(self.post({"content": "长" * 5000}).status_code, 201)
