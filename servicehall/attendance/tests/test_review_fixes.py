"""Findings of the attendance review, fixed: an early return (销假) dated in the past, a stand-in
(顶岗) booked twice or needed at their own post, a manager's own leave with nobody to approve
it, and one centre's failing day stopping the background round for every centre."""

import json
from datetime import date, time
from unittest import mock

from django.db import connection

from servicehall.accounts.models import Role, User
from servicehall.attendance import services
from servicehall.attendance.models import CentreDay, DayOutcome, DayResult, LeaveEvent, LeaveStatus, WindowHalf
from servicehall.attendance.selectors import expected_at_windows
from servicehall.attendance.services import (
    RETRY_FAILED_DAY,
    days_due_compute,
    leave_apply,
    leave_approve,
    leave_cancel,
    leave_reject,
    leave_return,
    shift_save,
)
from servicehall.lib.errors import Conflict, Forbidden, Invalid
from servicehall.org.models import BackupPost, Membership, Staff, Window, WindowKind

from .test_days import FRIDAY, DayTestCase, local

MONDAY, TUESDAY, WEDNESDAY = date(2026, 10, 12), date(2026, 10, 13), date(2026, 10, 14)
APPLIED = local(date(2026, 10, 9), 9)


class ReviewTestCase(DayTestCase):
    def apply(self, staff, starts=MONDAY, starts_half="am", ends=MONDAY, ends_half="pm", **extra):
        return leave_apply(actor=extra.pop("actor", self.p.manager_a), staff=staff, kind="personal",
                           starts_on=starts, starts_half=starts_half, ends_on=ends, ends_half=ends_half,
                           reason="家中有事", now=APPLIED, **extra)

    def approved(self, leave):
        leave = leave_approve(actor=self.p.manager_a, leave=leave, now=APPLIED)
        if leave.status == LeaveStatus.PENDING:
            leave = leave_approve(actor=self.p.bureau, leave=leave, now=APPLIED)
        self.assertEqual(leave.status, LeaveStatus.APPROVED)
        return leave

    def refusal(self, leave, actor=None) -> str:
        with self.assertRaises(Conflict) as refused:
            leave_approve(actor=actor or self.p.manager_a, leave=leave, now=APPLIED)
        self.assertEqual((refused.exception.code, refused.exception.field), ("no_cover", "stand_in"))
        leave.refresh_from_db()
        self.assertEqual(leave.status, LeaveStatus.PENDING)
        return refused.exception.message


class EarlyReturnTests(ReviewTestCase):
    def test_before_noon_the_morning_in_progress_is_the_first_half_day_back(self):
        leave = self.approved(self.apply(self.li, starts=MONDAY, ends=WEDNESDAY))  # six half days
        with self.assertRaises(Invalid) as refused:  # Monday afternoon to Tuesday are over
            leave_return(actor=self.p.staff_a, leave=leave, ends_on=MONDAY, ends_half="pm", now=local(WEDNESDAY, 11))
        self.assertEqual((refused.exception.field, refused.exception.message),
                         ("ends_on", "结束日期：已过去的时段不能销假，最早可请假至10月13日下午止"))
        leave.refresh_from_db()
        self.assertEqual((leave.ends_on, leave.ends_half), (WEDNESDAY, "pm"))
        self.assertFalse(LeaveEvent.objects.filter(leave=leave, action="return").exists())

        leave = leave_return(actor=self.p.staff_a, leave=leave, ends_on=TUESDAY, ends_half="pm",
                             now=local(WEDNESDAY, 8))
        self.assertEqual((leave.status, leave.ends_on, leave.ends_half), (LeaveStatus.APPROVED, TUESDAY, "pm"))

    def test_from_noon_the_afternoon_in_progress_is_the_first_half_day_back(self):
        leave = self.approved(self.apply(self.li, starts=MONDAY, ends=WEDNESDAY))
        for now in (local(WEDNESDAY, 12), local(WEDNESDAY, 16)):
            with self.subTest(now=now), self.assertRaises(Invalid) as refused:
                leave_return(actor=self.p.staff_a, leave=leave, ends_on=TUESDAY, ends_half="pm", now=now)
            self.assertEqual(refused.exception.message, "结束日期：已过去的时段不能销假，最早可请假至10月14日上午止")
        leave = leave_return(actor=self.p.staff_a, leave=leave, ends_on=WEDNESDAY, ends_half="am",
                             now=local(WEDNESDAY, 13))
        self.assertEqual((leave.ends_on, leave.ends_half), (WEDNESDAY, "am"))


class StandInTests(ReviewTestCase):
    """Window 1: 李娜 (A), 王强 (B). Window 2: 张伟 (A), 赵敏 (B). 孙丽 holds no post."""

    def setUp(self):
        super().setUp()
        center = self.p.center_a
        window = Window.objects.create(center=center, number=2, name="不动产登记", kind=WindowKind.ACCEPTANCE)
        self.zhang = Staff.objects.create(center=center, name="张伟", employee_no="003")
        self.zhao = Staff.objects.create(center=center, name="赵敏", employee_no="004")
        self.sun = Staff.objects.create(center=center, name="孙丽", employee_no="005")
        BackupPost.objects.create(center=center, window=window, holder=self.zhang, backup_staff=self.zhao)

    def test_a_stand_in_already_named_for_another_window_is_refused_naming_the_half_days(self):
        self.approved(self.apply(self.zhang, stand_in=self.sun))  # Monday, 张伟 of window 2
        li = self.apply(self.li, starts=MONDAY, starts_half="pm", ends=TUESDAY, ends_half="am", stand_in=self.sun)
        self.assertEqual(self.refusal(li), "顶岗人员：孙丽已是张伟请假的顶岗人员（10月12日下午）")

        # A and B of one window may name the same stand-in: one person, one window.
        self.approved(self.apply(self.wang, starts=WEDNESDAY, ends=WEDNESDAY, stand_in=self.sun))
        self.approved(self.apply(self.li, starts=WEDNESDAY, ends=WEDNESDAY, stand_in=self.sun))

    def test_a_stand_in_needed_at_their_own_post_is_refused(self):
        # 张伟 holds window 2 and is at work: he cannot stand at window 1.
        li = self.apply(self.li, ends_half="am", stand_in=self.zhang)
        self.assertEqual(self.refusal(li), "顶岗人员：张伟本人须在2号窗口 不动产登记上岗（10月12日上午）")

        # 赵敏 (B of window 2) is free while 张伟 is in, needed the half day he is away.
        self.approved(self.apply(self.zhang, starts=TUESDAY, ends=TUESDAY, ends_half="am"))
        li = self.apply(self.li, starts=TUESDAY, ends=WEDNESDAY, ends_half="am", stand_in=self.zhao)
        self.assertEqual(self.refusal(li), "顶岗人员：赵敏本人须在2号窗口 不动产登记上岗（10月13日上午）")
        leave_cancel(actor=self.p.manager_a, leave=li, now=APPLIED)
        self.approved(self.apply(self.li, starts=TUESDAY, starts_half="pm", ends=WEDNESDAY, ends_half="am",
                                 stand_in=self.zhao))

    def test_a_stand_in_on_leave_is_refused_even_while_b_covers(self):
        self.approved(self.apply(self.sun, ends_half="am"))
        li = self.apply(self.li, stand_in=self.sun)  # 王强 (B) is in: the window itself is covered
        self.assertEqual(self.refusal(li), "顶岗人员：孙丽本人已请假（10月12日上午）")

    def test_approvals_in_the_other_order_are_refused_too(self):
        self.approved(self.apply(self.li, stand_in=self.zhao))  # 张伟 is in: 赵敏 is free on Monday
        # 张伟's own leave would need 赵敏 at window 2, where she cannot be.
        zhang = self.apply(self.zhang, ends_half="am")
        self.assertEqual(self.refusal(zhang), "B岗赵敏已是李娜请假的顶岗人员（10月12日上午），不能同时替岗")

        self.approved(self.apply(self.wang, starts=TUESDAY, ends=TUESDAY, stand_in=self.sun))
        sun = self.apply(self.sun, starts=TUESDAY, starts_half="pm", ends=WEDNESDAY)
        self.assertEqual(self.refusal(sun), "孙丽已是王强请假的顶岗人员（10月13日下午），请先另行安排顶岗")


class ManagersOwnLeaveTests(ReviewTestCase):
    def setUp(self):
        super().setUp()
        self.boss = Staff.objects.create(center=self.p.center_a, name="何明", employee_no="090",
                                         user=self.p.manager_a)

    def test_a_managers_own_leave_goes_to_the_bureau(self):
        leave = self.apply(self.boss, starts=TUESDAY, ends=TUESDAY, ends_half="am")  # one half day
        self.assertEqual((leave.levels, leave.approved_levels), (2, 1))
        with self.assertRaises(Forbidden) as own:
            leave_approve(actor=self.p.manager_a, leave=leave, now=APPLIED)
        self.assertEqual(own.exception.message, "不能审批本人的请假")
        other_manager = User.objects.create_user(username="manager_a2", password="x", role=Role.MANAGER)
        Membership.objects.create(user=other_manager, center=self.p.center_a)
        with self.assertRaises(Forbidden) as colleague:
            leave_approve(actor=other_manager, leave=leave, now=APPLIED)
        self.assertEqual(colleague.exception.message, "分中心负责人本人的请假由营商局审批")
        with self.assertRaises(Forbidden):
            leave_reject(actor=self.p.manager_a, leave=leave, note="不批", now=APPLIED)

        leave = leave_approve(actor=self.p.bureau, leave=leave, now=APPLIED)
        self.assertEqual((leave.status, leave.approved_levels), (LeaveStatus.APPROVED, 2))
        self.assertEqual(list(leave.events.values_list("action", "to_status", "actor__username")),
                         [("apply", "pending", "manager_a"), ("approve", "approved", "bureau")])

    def test_the_bureau_approves_it_over_the_api_and_a_window_holders_leave_still_starts_with_the_manager(self):
        self.client.force_login(self.p.manager_a)
        body = {"kind": "annual", "starts_on": "2026-10-13", "ends_on": "2026-10-13", "reason": "年休假",
                "staff": self.boss.pk}
        applied = self.client.post("/api/v1/leaves", data=json.dumps(body), content_type="application/json")
        self.assertEqual(applied.status_code, 201, applied.content)
        self.client.force_login(self.p.bureau)
        approved = self.client.post(f"/api/v1/leaves/{applied.json()['id']}/approve-long", data="{}",
                                    content_type="application/json")
        self.assertEqual((approved.status_code, approved.json()["status"]), (200, LeaveStatus.APPROVED))

        li = self.apply(self.li)
        self.assertEqual((li.levels, li.approved_levels), (1, 0))
        self.assertEqual(leave_approve(actor=self.p.manager_a, leave=li, now=APPLIED).status, LeaveStatus.APPROVED)


class FailingDayTests(ReviewTestCase):
    def test_a_day_that_fails_is_logged_and_retried_and_the_other_centres_are_computed(self):
        for name, starts, ends in (("上午", time(8, 30), time(12)), ("下午", time(13, 30), time(17))):
            shift_save(actor=self.p.manager_b, center=self.p.center_b, name=name, starts_at=starts, ends_at=ends,
                       now=local(date(2026, 9, 30), 8))
        CentreDay.objects.all().delete()
        self.punch("001", FRIDAY, "08:21:00", "12:01:00", "13:25:00", "17:02:00")  # centre A, due at 17:30
        real, broken = services.day_results_compute, self.p.center_b.pk

        def compute(center_id, day, now=None):
            if center_id == broken:  # centre B (due first, at 12:00) fails in the database
                with connection.cursor() as cursor:
                    cursor.execute("SELECT * FROM no_such_table")
            return real(center_id, day, now)

        round_at = local(FRIDAY, 18)
        with mock.patch.object(services, "day_results_compute", side_effect=compute), \
                self.assertLogs("servicehall.attendance.services", "ERROR") as logged:
            self.assertEqual(days_due_compute(now=round_at), 1)
        self.assertIn(f"computing centre {broken}'s day 2026-10-09 failed", logged.output[0])
        self.assertIn("no_such_table", "\n".join(logged.output))

        self.assertEqual(self.results(FRIDAY)["001"].outcome, DayOutcome.NORMAL)  # centre A's day
        self.assertFalse(DayResult.objects.filter(center=self.p.center_b).exists())
        b_day = CentreDay.objects.get(center=self.p.center_b, day=FRIDAY)
        self.assertEqual((b_day.due_at, b_day.computed_at), (round_at + RETRY_FAILED_DAY, None))
        self.assertIsNone(CentreDay.objects.get(center=self.p.center_a, day=FRIDAY).due_at)

        self.assertEqual(days_due_compute(now=round_at + RETRY_FAILED_DAY / 2), 0)
        self.assertEqual(days_due_compute(now=round_at + RETRY_FAILED_DAY), 1)
        self.assertEqual(DayResult.objects.filter(center=self.p.center_b, day=FRIDAY).count(), 2)


class SecondReviewTests(ReviewTestCase):
    """Found by the review of the attendance pages. Window 2: 张伟 (A) with 王强 as B too: one B
    for two windows, as a 带班长 is."""

    def setUp(self):
        super().setUp()
        center = self.p.center_a
        self.window2 = Window.objects.create(center=center, number=2, name="不动产登记", kind=WindowKind.ACCEPTANCE)
        self.zhang = Staff.objects.create(center=center, name="张伟", employee_no="003")
        self.sun = Staff.objects.create(center=center, name="孙丽", employee_no="005")
        BackupPost.objects.create(center=center, window=self.window2, holder=self.zhang, backup_staff=self.wang)

    def test_one_b_covers_one_window_at_a_time(self):
        self.approved(self.apply(self.li))  # Monday: 王强 at window 1
        zhang = self.apply(self.zhang, starts_half="pm")
        self.assertEqual(self.refusal(zhang), "B岗王强须在1号窗口 综合受理替岗（10月12日下午），请指定顶岗人员")
        leave_cancel(actor=self.p.manager_a, leave=zhang, now=APPLIED)
        # With a stand-in named, 孙丽 stands at window 2 and 王强 at window 1.
        self.approved(self.apply(self.zhang, starts_half="pm", stand_in=self.sun))
        found = {e.window.number: (e.staff.name, e.post) for e in expected_at_windows(self.p.center_a.pk, MONDAY, "pm")}
        self.assertEqual(found, {1: ("王强", "B岗"), 2: ("孙丽", "顶岗")})

    def test_an_approved_leave_for_this_afternoon_can_be_cancelled_in_the_morning(self):
        leave = self.approved(self.apply(self.li, starts_half="pm"))
        leave = leave_cancel(actor=self.p.staff_a, leave=leave, now=local(MONDAY, 10))
        self.assertEqual(leave.status, LeaveStatus.CANCELLED)
        leave = self.approved(self.apply(self.li, starts_half="pm"))
        with self.assertRaises(Conflict):
            leave_cancel(actor=self.p.staff_a, leave=leave, now=local(MONDAY, 12, 5))

    def test_impossible_dates_are_refused_naming_the_field(self):
        for starts, message in ((date(1, 1, 1), "开始日期：应在2000年至2100年之间"),
                                (date(2028, 1, 3), "开始日期：应在今天前后366天以内")):
            with self.subTest(starts=starts), self.assertRaises(Invalid) as refused:
                self.apply(self.li, starts=starts, ends=starts)
            self.assertEqual(refused.exception.message, message)
        with self.assertRaises(Invalid) as refused:
            services.extra_day_set(actor=self.p.manager_a, center=self.p.center_a, day=date(1900, 1, 6), open_=True,
                                   now=APPLIED)
        self.assertEqual(refused.exception.field, "day")

    def test_a_past_extra_day_cannot_be_closed_and_a_departed_person_not_corrected(self):
        saturday = date(2026, 10, 17)
        services.extra_day_set(actor=self.p.manager_a, center=self.p.center_a, day=saturday, open_=True, now=APPLIED)
        with self.assertRaises(Invalid) as refused:
            services.extra_day_set(actor=self.p.manager_a, center=self.p.center_a, day=saturday, open_=False,
                                   now=local(date(2026, 10, 19), 9))
        self.assertEqual(refused.exception.message, "日期：已过去的加开服务日不能取消")
        self.zhang.is_active = False
        self.zhang.save()
        with self.assertRaises(Invalid) as refused:
            services.correction_record(actor=self.p.manager_a, staff=self.zhang, at=local(FRIDAY, 8, 25),
                                       reason="考勤机故障", now=local(FRIDAY, 18))
        self.assertEqual(refused.exception.field, "staff")

    def test_a_past_day_judged_again_keeps_its_people(self):
        days_due_compute(now=local(FRIDAY, 18))
        self.assertEqual(set(DayResult.objects.filter(day=FRIDAY).values_list("staff__name", flat=True)),
                         {"李娜", "王强", "张伟", "孙丽"})
        newcomer = Staff.objects.create(center=self.p.center_a, name="新人", employee_no="009")
        services.correction_record(actor=self.p.manager_a, staff=self.wang, at=local(FRIDAY, 8, 25), reason="补卡",
                                   now=local(MONDAY, 9))
        days_due_compute(now=local(MONDAY, 9, 1))
        self.assertFalse(DayResult.objects.filter(staff=newcomer, day=FRIDAY).exists())

    def test_a_forgotten_check_in_is_a_missing_punch_not_an_empty_window(self):
        self.punch("001", FRIDAY, "08:20:00", "12:00:00", "17:00:00")  # back after lunch, no punch
        days_due_compute(now=local(FRIDAY, 18))
        li = DayResult.objects.get(staff=self.li, day=FRIDAY)
        self.assertEqual((li.outcome, li.missing_halves), (DayOutcome.MISSING, 1))
        afternoon = WindowHalf.objects.get(window=self.p.window_a, day=FRIDAY, half="pm")
        self.assertEqual((afternoon.arrived_at, afternoon.empty_minutes), (None, 0))
