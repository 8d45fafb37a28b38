"""Shifts, extra service days, corrections (补卡) and each person's day computed from them, on
the 2026 calendar: the National Day holiday (10-01 – 10-07) and its worked Saturday (10-10)."""

from datetime import date, datetime, time

from django.utils import timezone

from servicehall.attendance.models import CentreDay, DayOutcome, DayResult, Punch
from servicehall.attendance.services import (
    Line,
    correction_record,
    day_results_compute,
    days_due_compute,
    device_register,
    extra_day_set,
    punches_receive,
    shift_save,
)
from servicehall.lib.errors import Forbidden, Invalid, NotFound
from servicehall.org.models import Staff
from servicehall.testing import PersonaTestCase
from servicehall.workcalendar.services import calendar_day_set


def local(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second), tzinfo=timezone.get_current_timezone())


FRIDAY, HOLIDAY, WORKED_SATURDAY = date(2026, 10, 9), date(2026, 10, 5), date(2026, 10, 10)
SATURDAY = date(2026, 10, 17)


class DayTestCase(PersonaTestCase):
    def setUp(self):
        setup = local(date(2026, 9, 30), 8)
        for name, starts, ends in (("上午", time(8, 30), time(12)), ("下午", time(13, 30), time(17))):
            shift_save(actor=self.p.manager_a, center=self.p.center_a, name=name, starts_at=starts, ends_at=ends,
                       now=setup)
        self.device, _ = device_register(actor=self.p.manager_a, center=self.p.center_a, serial="CQZ1", name="大厅",
                                         now=setup)
        self.li, self.wang = self.p.person_a, Staff.objects.get(center=self.p.center_a, employee_no="002")
        CentreDay.objects.all().delete()  # the day the shifts were set is not what these tests look at

    def punch(self, pin: str, day: date, *times: str, now: datetime | None = None):
        lines = [Line(pin=pin, at=f"{day} {t}") for t in times]
        punches_receive(device=self.device, lines=lines, now=now or local(day, 17, 30))

    def results(self, day: date) -> dict[str, DayResult]:
        return {r.staff.employee_no: r for r in DayResult.objects.filter(day=day).select_related("staff")}


class DayResultTests(DayTestCase):
    def test_a_working_day_is_judged_when_its_shifts_are_over_and_once(self):
        self.punch("001", FRIDAY, "08:21:07", "12:01:10", "13:25:00", "17:02:00")
        self.punch("002", FRIDAY, "08:45:00", "12:00:30")

        self.assertEqual(days_due_compute(now=local(FRIDAY, 23, 30)), 1)

        results = self.results(FRIDAY)
        self.assertEqual((results["001"].outcome, results["001"].late_minutes), (DayOutcome.NORMAL, 0))
        wang = results["002"]
        self.assertEqual((wang.outcome, wang.late_minutes, wang.absent_halves), (DayOutcome.ABSENT, 15, 1))
        self.assertEqual([(h["half"], h["outcome"], h["check_in"]) for h in wang.halves],
                         [("am", "late", "08:45:00"), ("pm", "absent", None)])
        self.assertEqual(days_due_compute(now=local(FRIDAY, 23, 31)), 0)
        self.assertEqual(set(DayResult.objects.values_list("center_id", flat=True)), {self.p.center_a.pk})

    def test_today_judges_the_shifts_that_ended_and_comes_back_at_the_next_end(self):
        self.punch("001", FRIDAY, "08:21:07", "12:01:10", now=local(FRIDAY, 12, 5))
        self.assertEqual(days_due_compute(now=local(FRIDAY, 12, 30)), 1)
        li = self.results(FRIDAY)["001"]
        self.assertEqual([h["half"] for h in li.halves], ["am"])  # the afternoon is not over
        self.assertEqual(CentreDay.objects.get(center=self.p.center_a, day=FRIDAY).due_at, local(FRIDAY, 17))

        self.assertEqual(days_due_compute(now=local(FRIDAY, 16, 59)), 0)
        self.assertEqual(days_due_compute(now=local(FRIDAY, 17, 0)), 1)
        li = self.results(FRIDAY)["001"]
        self.assertEqual([(h["half"], h["outcome"]) for h in li.halves], [("am", "normal"), ("pm", "absent")])
        self.assertIsNone(CentreDay.objects.get(center=self.p.center_a, day=FRIDAY).due_at)

    def test_an_afternoon_arrival_is_not_the_mornings_check_out_while_the_afternoon_runs(self):
        # Left at 11:00 (an hour early), back at 13:20: at 14:00 the morning is judged early.
        self.punch("001", FRIDAY, "08:21:00", "11:00:00", "13:20:00", now=local(FRIDAY, 13, 21))
        days_due_compute(now=local(FRIDAY, 14))
        [morning] = self.results(FRIDAY)["001"].halves
        self.assertEqual((morning["outcome"], morning["check_out"], morning["early_minutes"]),
                         (DayOutcome.ABSENT, "11:00:00", 0))  # an hour early: absent, not also early

    def test_a_day_nobody_punched_is_judged_too(self):
        days_due_compute(now=local(FRIDAY, 17, 30))
        self.assertEqual({no: r.absent_halves for no, r in self.results(FRIDAY).items()}, {"001": 2, "002": 2})

    def test_the_worked_saturday_counts_the_holiday_does_not_and_an_extra_day_has_its_own_shifts(self):
        for day in (HOLIDAY, WORKED_SATURDAY, SATURDAY):
            self.punch("001", day, "08:25:00", "12:00:00", "13:29:00", "17:00:00")
        shift_save(actor=self.p.manager_a, center=self.p.center_a, name="周六", starts_at=time(9), ends_at=time(12),
                   on_workdays=False, on_extra_days=True, now=local(date(2026, 10, 12), 8))
        extra_day_set(actor=self.p.manager_a, center=self.p.center_a, day=SATURDAY, open_=True, note="周末延时服务",
                      now=local(date(2026, 10, 12), 8))
        days_due_compute(now=local(SATURDAY, 23))

        self.assertEqual(self.results(HOLIDAY), {})
        self.assertEqual(self.results(WORKED_SATURDAY)["001"].outcome, DayOutcome.NORMAL)
        saturday = self.results(SATURDAY)["001"]
        self.assertEqual([(h["half"], h["check_in"], h["check_out"]) for h in saturday.halves],
                         [("am", "08:25:00", "17:00:00")])
        self.assertEqual(self.results(SATURDAY)["002"].absent_halves, 1)

    def test_a_correction_fills_a_missing_punch_and_the_punch_log_is_untouched(self):
        self.punch("002", FRIDAY, "08:20:00", "12:00:30", "13:20:00")
        days_due_compute(now=local(FRIDAY, 18))
        self.assertEqual(self.results(FRIDAY)["002"].outcome, DayOutcome.MISSING)

        correction_record(actor=self.p.manager_a, staff=self.wang, at=local(FRIDAY, 17, 5),
                          reason="考勤机故障，已核实本人17:05离岗", now=local(date(2026, 10, 12), 9))
        days_due_compute(now=local(date(2026, 10, 12), 9, 1))

        self.assertEqual(self.results(FRIDAY)["002"].outcome, DayOutcome.NORMAL)
        self.assertEqual(Punch.objects.filter(staff=self.wang).count(), 3)

    def test_computing_a_day_again_gives_the_same_results(self):
        self.punch("001", FRIDAY, "08:31:00", "12:00:00", "13:30:00", "16:50:00")
        day_results_compute(self.p.center_a.pk, FRIDAY, local(FRIDAY, 18))
        first = list(DayResult.objects.values_list("staff_id", "outcome", "late_minutes", "early_minutes", "halves"))
        day_results_compute(self.p.center_a.pk, FRIDAY, local(FRIDAY, 19))
        again = list(DayResult.objects.values_list("staff_id", "outcome", "late_minutes", "early_minutes", "halves"))
        self.assertEqual(sorted(first), sorted(again))
        self.assertEqual(DayResult.objects.get(staff=self.li).outcome, DayOutcome.LATE_AND_EARLY)


class ShiftAndCorrectionInputTests(DayTestCase):
    def test_bad_shifts_are_refused_naming_the_field(self):
        for starts, ends, workdays, extra, field, message in (
                (time(12), time(8), True, False, "ends_at", "下班时间：须晚于上班时间（班次不能跨越午夜）"),
                (time(12), time(12), True, False, "ends_at", "下班时间：须晚于上班时间（班次不能跨越午夜）"),
                (time(11), time(14), True, False, "starts_at", "上班时间：与班次“上午 08:30—12:00”重叠"),
                (time(18), time(20), False, False, "on_workdays", "上班日期：工作日和加开服务日至少选一项"),
                (time(18), time(20), True, False, "starts_at",
                 "上班时间：下午已有班次“下午 13:30—17:00”，每个半天只能设一个班次"),
                (None, time(20), True, False, "starts_at", "上班时间：请填写")):
            with self.subTest(message=message), self.assertRaises(Invalid) as refused:
                shift_save(actor=self.p.manager_a, center=self.p.center_a, name="加班", starts_at=starts, ends_at=ends,
                           on_workdays=workdays, on_extra_days=extra)
            self.assertEqual((refused.exception.field, refused.exception.message), (field, message))
        # The same hours on extra days only do not overlap the working-day shifts.
        shift_save(actor=self.p.manager_a, center=self.p.center_a, name="周末", starts_at=time(11), ends_at=time(14),
                   on_workdays=False, on_extra_days=True)
        self.assertEqual(self.p.center_a.shifts.count(), 3)

    def test_only_the_centres_manager_sets_shifts_extra_days_and_corrections(self):
        for actor, refusal in ((self.p.manager_b, NotFound), (self.p.staff_a, Forbidden), (self.p.bureau, Forbidden)):
            with self.subTest(actor=actor.username):
                with self.assertRaises(refusal):
                    shift_save(actor=actor, center=self.p.center_a, name="加班", starts_at=time(18), ends_at=time(20))
                with self.assertRaises(refusal):
                    extra_day_set(actor=actor, center=self.p.center_a, day=SATURDAY, open_=True)
                with self.assertRaises(refusal):
                    correction_record(actor=actor, staff=self.wang, at=local(FRIDAY, 17), reason="补卡")
        self.assertEqual(self.p.center_a.shifts.count(), 2)

    def test_bad_corrections_and_extra_days_are_refused_naming_the_field(self):
        now = local(FRIDAY, 12)
        for at, reason, field, message in ((local(FRIDAY, 13), "补卡", "at", "补卡时间：不能晚于现在"),
                                           (local(FRIDAY, 8), " ", "reason", "补卡理由：请填写"),
                                           (None, "补卡", "at", "补卡时间：请填写")):
            with self.subTest(message=message), self.assertRaises(Invalid) as refused:
                correction_record(actor=self.p.manager_a, staff=self.wang, at=at, reason=reason, now=now)
            self.assertEqual((refused.exception.field, refused.exception.message), (field, message))
        with self.assertRaises(Invalid) as refused:
            extra_day_set(actor=self.p.manager_a, center=self.p.center_a, day=FRIDAY, open_=True)
        self.assertEqual(refused.exception.message, "日期：该日本就是工作日，不需要加开")
        self.assertFalse(self.wang.corrections.exists())


class CalendarEditTests(DayTestCase):
    def test_a_day_made_a_holiday_after_it_was_judged_loses_its_results(self):
        self.punch("001", FRIDAY, "08:21:00", "12:01:00")
        days_due_compute(now=local(FRIDAY, 18))
        self.assertEqual(set(self.results(FRIDAY)), {"001", "002"})

        calendar_day_set(actor=self.p.city_bureau, day=FRIDAY, is_workday=False, name="临时调休",
                         now=local(date(2026, 10, 12), 9))
        self.assertEqual(days_due_compute(now=local(date(2026, 10, 12), 9, 1)), 1)

        self.assertEqual(self.results(FRIDAY), {})  # no duty that day any more
        self.assertEqual(days_due_compute(now=local(date(2026, 10, 12), 9, 2)), 0)
