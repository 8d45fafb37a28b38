"""Attendance over the API: a month's results (scoped; window staff read their own) and leave."""

import json

from servicehall.attendance.models import LeaveStatus
from servicehall.attendance.services import days_due_compute

from .test_days import FRIDAY, DayTestCase, local


class ApiTests(DayTestCase):
    def get(self, user, url):
        self.client.force_login(user)
        return self.client.get(url)

    def post(self, user, url, body):
        self.client.force_login(user)
        return self.client.post(url, data=json.dumps(body), content_type="application/json")

    def test_a_months_days_each_reads_what_they_may(self):
        self.punch("001", FRIDAY, "08:21:00", "12:01:00", "13:25:00", "17:02:00")
        self.punch("002", FRIDAY, "08:40:00", "12:01:00", "13:25:00", "17:02:00")
        days_due_compute(now=local(FRIDAY, 18))

        mine = self.get(self.p.staff_a, "/api/v1/attendance/days?month=2026-10").json()
        self.assertEqual([(d["employee_no"], d["day"], d["outcome"]) for d in mine], [("001", "2026-10-09", "normal")])
        centre = self.get(self.p.manager_a, "/api/v1/attendance/days?month=2026-10&center=21140301").json()
        self.assertEqual([(d["employee_no"], d["outcome_label"], d["late_minutes"]) for d in centre],
                         [("001", "正常", 0), ("002", "迟到", 10)])
        self.assertEqual(centre[1]["halves"][0]["check_in"], "08:40:00")
        self.assertEqual(self.get(self.p.manager_b, "/api/v1/attendance/days?month=2026-10").json(), [])
        other = self.get(self.p.manager_b, "/api/v1/attendance/days?month=2026-10&center=21140301")
        self.assertEqual(other.status_code, 404)
        self.assertEqual(len(self.get(self.p.bureau, "/api/v1/attendance/days?month=2026-10").json()), 2)
        self.assertEqual(self.get(self.p.other_bureau, "/api/v1/attendance/days?month=2026-10").json(), [])
        for month in ("2026-13", "0000-01", "2026-1"):
            bad = self.get(self.p.manager_a, f"/api/v1/attendance/days?month={month}")
            self.assertEqual((bad.status_code, bad.json()["field"]), (400, "month"))

    def test_leave_applied_for_approved_and_refused_without_cover(self):
        body = {"kind": "personal", "starts_on": "2026-10-12", "starts_half": "am", "ends_on": "2026-10-12",
                "ends_half": "pm", "reason": "家中有事", "handover": "待补正办件已交王强"}
        applied = self.post(self.p.staff_a, "/api/v1/leaves", body)
        self.assertEqual(applied.status_code, 201, applied.content)
        leave = applied.json()
        self.assertEqual((leave["staff"], leave["status"], leave["levels"]), ("李娜", "pending", 1))

        refused = self.post(self.p.staff_a, f"/api/v1/leaves/{leave['id']}/approve", {})
        self.assertEqual(refused.status_code, 403)
        hidden = self.post(self.p.manager_b, f"/api/v1/leaves/{leave['id']}/approve", {})
        self.assertEqual(hidden.status_code, 404)
        approved = self.post(self.p.manager_a, f"/api/v1/leaves/{leave['id']}/approve", {"note": "同意"})
        self.assertEqual((approved.status_code, approved.json()["status"]), (200, LeaveStatus.APPROVED))

        wang = self.post(self.p.manager_a, "/api/v1/leaves", body | {"staff": self.wang.pk, "ends_half": "am"})
        self.assertEqual(wang.status_code, 201)
        clash = self.post(self.p.manager_a, f"/api/v1/leaves/{wang.json()['id']}/approve", {})
        self.assertEqual(clash.status_code, 409)
        self.assertEqual(clash.json(), {"error": "no_cover", "field": "stand_in",
                                        "message": "A岗和B岗不能同时请假（李娜已请假：10月12日上午），请指定顶岗人员"})
        cancelled = self.post(self.p.manager_a, f"/api/v1/leaves/{wang.json()['id']}/cancel", {})
        self.assertEqual(cancelled.json()["status"], LeaveStatus.CANCELLED)

    def test_bad_leave_bodies_name_their_field(self):
        base = {"kind": "personal", "starts_on": "2026-10-12", "ends_on": "2026-10-12", "reason": "家中有事"}
        for change, field in (({"kind": "holiday"}, "kind"), ({"starts_on": "12/10/2026"}, "starts_on"),
                              ({"ends_half": "noon"}, "ends_half"), ({"reason": ""}, "reason"),
                              ({"staff": 999999}, None), ({"stand_in": 999999}, "stand_in")):
            with self.subTest(change=change):
                response = self.post(self.p.staff_a, "/api/v1/leaves", base | change)
                self.assertIn(response.status_code, (400, 404))
                self.assertEqual(response.json()["field"], field)
        self.assertFalse(self.li.leaves.exists())

    def test_the_bureau_rejects_a_longer_leave_at_its_level(self):
        body = {"kind": "personal", "starts_on": "2026-10-12", "ends_on": "2026-10-13", "reason": "家中有事"}
        leave = self.post(self.p.staff_a, "/api/v1/leaves", body).json()
        self.assertEqual(leave["levels"], 2)
        self.post(self.p.manager_a, f"/api/v1/leaves/{leave['id']}/approve", {})
        rejected = self.post(self.p.bureau, f"/api/v1/leaves/{leave['id']}/reject-long", {"note": "窗口人手不足"})
        self.assertEqual((rejected.status_code, rejected.json()["status"]), (200, "rejected"))
