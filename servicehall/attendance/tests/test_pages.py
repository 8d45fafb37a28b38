"""The centre's attendance board: the windows' expected people and whether they are in, the
leaves to approve; another centre's board is a 404."""

from datetime import date

import time_machine

from servicehall.attendance.models import LeaveStatus
from servicehall.attendance.services import leave_apply, leave_approve

from .test_days import DayTestCase, local

MONDAY = date(2026, 10, 12)


class BoardTests(DayTestCase):
    def test_the_manager_sees_who_is_in_who_is_missing_and_b_at_as_window(self):
        leave = leave_apply(actor=self.p.staff_a, staff=self.li, kind="sick", starts_on=MONDAY, starts_half="am",
                            ends_on=MONDAY, ends_half="am", reason="就医", now=local(date(2026, 10, 9), 9))
        leave_approve(actor=self.p.manager_a, leave=leave, now=local(date(2026, 10, 9), 10))
        self.punch("002", MONDAY, "08:22:00", now=local(MONDAY, 8, 23))
        self.client.force_login(self.p.manager_a)
        with time_machine.travel(local(MONDAY, 8, 40), tick=False):
            page = self.client.get("/attendance/").content.decode()
        self.assertIn("王强</td><td>B岗</td>", page)
        self.assertIn("已到岗 08:22", page)
        self.assertIn("病假（至10月12日上午）", page)


    def test_a_window_whose_holder_has_not_come_shows_as_empty(self):
        self.punch("001", MONDAY, "08:20:00", "12:01:00", now=local(MONDAY, 12, 2))
        self.punch("002", MONDAY, "13:31:00", now=local(MONDAY, 13, 32))
        with time_machine.travel(local(MONDAY, 13, 50), tick=False):
            self.client.force_login(self.p.manager_a)
            page = self.client.get("/attendance/").content.decode()
        self.assertIn("李娜</td><td>A岗</td>", page)  # in this morning, not back after lunch
        self.assertIn("空岗 20 分钟", page)
        self.assertIn("空岗 1 个", page)
        self.assertIn("08:20、12:01", page)

    def test_another_centres_board_is_a_404_and_window_staff_have_none(self):
        self.client.force_login(self.p.manager_b)
        self.assertEqual(self.client.get("/attendance/?center=21140301").status_code, 404)
        self.client.force_login(self.p.staff_a)
        self.assertEqual(self.client.get("/attendance/").status_code, 403)

    def test_a_leave_is_approved_from_the_board_and_a_refusal_is_shown_there(self):
        wang = leave_apply(actor=self.p.manager_a, staff=self.wang, kind="personal", starts_on=MONDAY,
                           starts_half="am", ends_on=MONDAY, ends_half="am", reason="家中有事",
                           now=local(date(2026, 10, 9), 9))
        li = leave_apply(actor=self.p.staff_a, staff=self.li, kind="personal", starts_on=MONDAY, starts_half="am",
                         ends_on=MONDAY, ends_half="pm", reason="家中有事", now=local(date(2026, 10, 9), 9))
        self.client.force_login(self.p.manager_a)
        done = self.client.post(f"/attendance/leaves/{wang.pk}/decide/", {"decision": "approve"}, follow=True)
        self.assertContains(done, "已批准王强的请假")
        refused = self.client.post(f"/attendance/leaves/{li.pk}/decide/", {"decision": "approve"}, follow=True)
        self.assertContains(refused, "A岗和B岗不能同时请假（王强已请假：10月12日上午），请指定顶岗人员")
        li.refresh_from_db()
        self.assertEqual(li.status, LeaveStatus.PENDING)
        rejected = self.client.post(f"/attendance/leaves/{li.pk}/decide/", {"decision": "reject", "note": ""},
                                    follow=True)
        self.assertContains(rejected, "驳回理由：请填写")
        self.client.force_login(self.p.manager_b)
        self.assertEqual(self.client.post(f"/attendance/leaves/{li.pk}/decide/", {"decision": "reject"}).status_code,
                         404)
