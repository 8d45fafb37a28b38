"""Leave (请假): applied for by half days, approved by the manager (and the bureau past a day),
refused while a window would stand empty; A and B never away together without a stand-in."""

from datetime import date, time

from servicehall.attendance.models import DayOutcome, DayResult, LeaveEvent, LeaveStatus
from servicehall.attendance.selectors import expected_at_windows
from servicehall.attendance.services import (
    days_due_compute,
    leave_apply,
    leave_approve,
    leave_cancel,
    leave_reject,
    leave_return,
)
from servicehall.lib.errors import Conflict, Forbidden, Invalid, NotFound
from servicehall.org.models import Staff

from .test_days import DayTestCase, local

MONDAY, TUESDAY, WEDNESDAY = date(2026, 10, 12), date(2026, 10, 13), date(2026, 10, 14)
APPLIED = local(date(2026, 10, 9), 9)


class LeaveTests(DayTestCase):
    def apply(self, staff=None, starts=MONDAY, starts_half="am", ends=MONDAY, ends_half="pm", **extra):
        staff = staff or self.li
        actor = extra.pop("actor", self.p.staff_a if staff == self.li else self.p.manager_a)
        return leave_apply(actor=actor, staff=staff, kind=extra.pop("kind", "personal"), starts_on=starts,
                           starts_half=starts_half, ends_on=ends, ends_half=ends_half,
                           reason=extra.pop("reason", "家中有事"), now=extra.pop("now", APPLIED), **extra)

    def test_a_day_covered_by_b_is_approved_by_the_manager_and_the_day_shows_leave(self):
        leave = self.apply(handover="本周三件待补正办件已交王强")
        self.assertEqual((leave.status, leave.levels), (LeaveStatus.PENDING, 1))
        leave = leave_approve(actor=self.p.manager_a, leave=leave, now=local(date(2026, 10, 9), 10))
        self.assertEqual((leave.status, leave.approved_levels), (LeaveStatus.APPROVED, 1))
        self.assertEqual(list(leave.events.values_list("action", "to_status")),
                         [("apply", "pending"), ("approve", "approved")])

        self.punch("002", MONDAY, "08:20:00", "12:00:00", "13:20:00", "17:00:00")
        days_due_compute(now=local(MONDAY, 18))
        li = DayResult.objects.get(staff=self.li, day=MONDAY)
        self.assertEqual((li.outcome, li.leave_halves, li.absent_halves), (DayOutcome.LEAVE, 2, 0))
        self.assertEqual([h["leave"] for h in li.halves], ["事假", "事假"])

    def test_a_longer_leave_goes_on_to_the_bureau(self):
        leave = self.apply(ends=TUESDAY, ends_half="am")  # three half days
        self.assertEqual(leave.levels, 2)
        leave = leave_approve(actor=self.p.manager_a, leave=leave, now=APPLIED)
        self.assertEqual((leave.status, leave.approved_levels), (LeaveStatus.PENDING, 1))
        with self.assertRaises(Forbidden):
            leave_approve(actor=self.p.manager_a, leave=leave, now=APPLIED)
        leave = leave_approve(actor=self.p.bureau, leave=leave, now=APPLIED)
        self.assertEqual((leave.status, leave.approved_levels), (LeaveStatus.APPROVED, 2))

    def test_a_and_b_never_away_together_without_a_stand_in(self):
        wang_leave = self.apply(staff=self.wang, starts=MONDAY, starts_half="pm", ends=TUESDAY, ends_half="am")
        self.assertEqual(leave_approve(actor=self.p.manager_a, leave=wang_leave, now=APPLIED).status,
                         LeaveStatus.APPROVED)  # two half days: the manager's alone
        li_leave = self.apply(starts=MONDAY, ends=MONDAY)

        with self.assertRaises(Conflict) as refused:
            leave_approve(actor=self.p.manager_a, leave=li_leave, now=APPLIED)
        self.assertEqual(refused.exception.message, "A岗和B岗不能同时请假（王强已请假：10月12日下午），请指定顶岗人员")
        self.assertEqual(refused.exception.field, "stand_in")
        li_leave.refresh_from_db()
        self.assertEqual((li_leave.status, li_leave.approved_levels), (LeaveStatus.PENDING, 0))

        # With a stand-in from the department, the window is covered.
        zhao = Staff.objects.create(center=self.p.center_a, name="赵敏", employee_no="009")
        covered = self.apply(starts=TUESDAY, starts_half="pm", ends=TUESDAY, stand_in=zhao)
        self.assertEqual(leave_approve(actor=self.p.manager_a, leave=covered, now=APPLIED).status,
                         LeaveStatus.APPROVED)

    def test_a_window_without_b_is_refused_naming_the_uncovered_half_days(self):
        self.wang.is_active = False
        self.wang.save()
        leave = self.apply(starts=MONDAY, starts_half="pm", ends=WEDNESDAY, ends_half="am")
        with self.assertRaises(Conflict) as refused:
            leave_approve(actor=self.p.manager_a, leave=leave, now=APPLIED)
        self.assertEqual(refused.exception.message,
                         "以下时段窗口无人顶岗：10月12日下午、10月13日上午、10月13日下午、10月14日上午")

    def test_half_days_without_duty_do_not_count_and_a_leave_of_none_is_refused(self):
        # Friday afternoon to Monday morning: the weekend has no duty, two half days in all.
        leave = self.apply(starts=date(2026, 10, 16), starts_half="pm", ends=date(2026, 10, 19), ends_half="am")
        self.assertEqual(leave.levels, 1)
        with self.assertRaises(Invalid) as refused:
            self.apply(starts=date(2026, 10, 3), ends=date(2026, 10, 4))  # the National Day holiday
        self.assertEqual(refused.exception.message, "开始日期：所选时段内没有上班时段，不需要请假")

    def test_bad_applications_name_their_field_and_change_nothing(self):
        for extra, field, message in (
                ({"kind": "holiday"}, "kind", "类型：请选择请假类型"),
                ({"starts": None}, "starts_on", "开始日期：请填写"),
                ({"ends_half": "noon"}, "ends_half", "结束时段：应为上午或下午"),
                ({"starts": TUESDAY, "ends": MONDAY}, "ends_on", "结束日期：不能早于开始"),
                ({"starts_half": "pm", "ends_half": "am"}, "ends_on", "结束日期：不能早于开始"),
                ({"reason": " "}, "reason", "事由：请填写"),
                ({"stand_in": "self"}, "stand_in", "顶岗人员：须为本中心在岗的其他人员"),
                ({"stand_in": "other_department"}, "stand_in", "顶岗人员：须为本中心在岗的其他人员")):
            if extra.get("stand_in") == "self":
                extra["stand_in"] = self.li
            elif extra.get("stand_in") == "other_department":
                extra["stand_in"] = self.p.person_b
            with self.subTest(message=message, field=field), self.assertRaises(Invalid) as refused:
                self.apply(**extra)
            self.assertEqual((refused.exception.field, refused.exception.message), (field, message))
        self.apply()
        with self.assertRaises(Conflict) as twice:
            self.apply(starts=MONDAY, starts_half="pm", ends=TUESDAY)
        self.assertEqual(twice.exception.message, "开始日期：与本人已有的请假时段重叠")
        self.assertEqual(LeaveEvent.objects.count(), 1)

    def test_who_may_apply_and_approve(self):
        with self.assertRaises(Forbidden):  # another person's leave
            self.apply(staff=self.wang, actor=self.p.staff_a)
        with self.assertRaises(NotFound):  # another centre's person
            self.apply(staff=self.p.person_b, actor=self.p.manager_a)
        leave = self.apply()
        for actor, refusal in ((self.p.staff_a, Forbidden), (self.p.manager_b, NotFound), (self.p.bureau, Forbidden)):
            with self.subTest(actor=actor.username), self.assertRaises(refusal):
                leave_approve(actor=actor, leave=leave, now=APPLIED)
        self.assertEqual(leave_reject(actor=self.p.manager_a, leave=leave, note="窗口业务高峰，请改期",
                                      now=APPLIED).status, LeaveStatus.REJECTED)
        with self.assertRaises(Conflict):
            leave_approve(actor=self.p.manager_a, leave=leave, now=APPLIED)

    def test_cancel_before_it_starts_and_an_early_return_after(self):
        leave = leave_approve(actor=self.p.manager_a, leave=self.apply(), now=APPLIED)
        self.assertEqual(leave_cancel(actor=self.p.staff_a, leave=leave, now=APPLIED).status, LeaveStatus.CANCELLED)

        leave = self.apply(starts=MONDAY, ends=TUESDAY, ends_half="pm")
        leave_approve(actor=self.p.manager_a, leave=leave, now=APPLIED)
        leave = leave_approve(actor=self.p.bureau, leave=leave, now=APPLIED)
        with self.assertRaises(Conflict) as started:
            leave_cancel(actor=self.p.staff_a, leave=leave, now=local(MONDAY, 10))
        self.assertEqual(started.exception.message, "请假已经开始，请办理销假（提前返岗）")
        with self.assertRaises(Invalid):
            leave_return(actor=self.p.staff_a, leave=leave, ends_on=WEDNESDAY, ends_half="am", now=local(MONDAY, 10))
        leave = leave_return(actor=self.p.staff_a, leave=leave, ends_on=MONDAY, ends_half="pm", now=local(MONDAY, 18))
        self.assertEqual((leave.status, leave.ends_on, leave.ends_half), (LeaveStatus.APPROVED, MONDAY, "pm"))

        self.punch("001", TUESDAY, "08:25:00", "12:00:00", "13:25:00", "17:00:00")
        days_due_compute(now=local(TUESDAY, 18))
        self.assertEqual(DayResult.objects.get(staff=self.li, day=TUESDAY).outcome, DayOutcome.NORMAL)
        tuesday = DayResult.objects.get(staff=self.li, day=TUESDAY)
        self.assertEqual(time.fromisoformat(tuesday.halves[0]["check_in"]), time(8, 25))

    def test_who_is_expected_at_the_window_a_then_b_then_the_stand_in(self):
        def expected():
            [found] = expected_at_windows(self.p.center_a.pk, MONDAY, "am")
            return (found.window, found.staff.name if found.staff else None, found.post)

        self.assertEqual(expected(), (self.p.window_a, "李娜", "A岗"))
        leave_approve(actor=self.p.manager_a, leave=self.apply(), now=APPLIED)
        self.assertEqual(expected(), (self.p.window_a, "王强", "B岗"))
        zhao = Staff.objects.create(center=self.p.center_a, name="赵敏", employee_no="009")
        wang = self.apply(staff=self.wang, starts=MONDAY, ends=MONDAY, ends_half="am", stand_in=zhao)
        leave_approve(actor=self.p.manager_a, leave=wang, now=APPLIED)
        self.assertEqual(expected(), (self.p.window_a, "赵敏", "顶岗"))

    def test_a_stand_in_on_leave_covers_nothing_and_nobody_approves_their_own_leave(self):
        zhao = Staff.objects.create(center=self.p.center_a, name="赵敏", employee_no="009")
        own = leave_apply(actor=self.p.manager_a, staff=zhao, kind="annual", starts_on=MONDAY, starts_half="am",
                          ends_on=MONDAY, ends_half="am", reason="年休假", now=APPLIED)
        leave_approve(actor=self.p.manager_a, leave=own, now=APPLIED)
        wang = self.apply(staff=self.wang, starts=MONDAY, ends=MONDAY, ends_half="am")
        leave_approve(actor=self.p.manager_a, leave=wang, now=APPLIED)
        li = self.apply(starts=MONDAY, ends=MONDAY, ends_half="am", stand_in=zhao)
        with self.assertRaises(Conflict) as refused:
            leave_approve(actor=self.p.manager_a, leave=li, now=APPLIED)
        self.assertIn("A岗和B岗不能同时请假", refused.exception.message)

        boss = Staff.objects.create(center=self.p.center_a, name="何明", employee_no="090", user=self.p.manager_a)
        mine = leave_apply(actor=self.p.manager_a, staff=boss, kind="personal", starts_on=TUESDAY, starts_half="am",
                           ends_on=TUESDAY, ends_half="am", reason="家中有事", now=APPLIED)
        with self.assertRaises(Forbidden) as self_approved:
            leave_approve(actor=self.p.manager_a, leave=mine, now=APPLIED)
        self.assertEqual(self_approved.exception.message, "不能审批本人的请假")
