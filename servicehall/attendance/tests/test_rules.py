"""The day's result from shifts, punches and leave (attendance/rules.py), at each threshold."""

from datetime import time

from django.test import SimpleTestCase

from servicehall.attendance.models import DayOutcome
from servicehall.attendance.rules import AM, PM, ShiftHours, arrivals_from, day_result

DAY = [ShiftHours(time(8, 30), time(12, 0)), ShiftHours(time(13, 30), time(17, 0))]


def t(text: str) -> time:
    return time.fromisoformat(text)


class DayResultTests(SimpleTestCase):
    def test_four_punches_within_the_hours_are_a_normal_day(self):
        day = day_result(DAY, [t("08:21:07"), t("12:01:10"), t("13:25:00"), t("17:02:00")])
        self.assertEqual(day.outcome, DayOutcome.NORMAL)
        self.assertEqual([(h.half, h.check_in, h.check_out) for h in day.halves],
                         [(AM, t("08:21:07"), t("12:01:10")), (PM, t("13:25:00"), t("17:02:00"))])
        self.assertEqual((day.late_minutes, day.early_minutes, day.absent_halves), (0, 0, 0))

    def test_late_from_the_first_second_after_the_start_and_half_a_day_absent_at_thirty_minutes(self):
        for check_in, outcome, minutes in (("08:30:00", DayOutcome.NORMAL, 0), ("08:30:01", DayOutcome.LATE, 1),
                                           ("08:31:00", DayOutcome.LATE, 1), ("08:59:59", DayOutcome.LATE, 30),
                                           ("09:00:00", DayOutcome.ABSENT, 0)):  # absent, not also late
            with self.subTest(check_in=check_in):
                day = day_result(DAY, [t(check_in), t("12:00:30"), t("13:29:00"), t("17:00:00")])
                self.assertEqual((day.halves[0].outcome, day.halves[0].late_minutes), (outcome, minutes))
                self.assertEqual(day.halves[1].outcome, DayOutcome.NORMAL)

    def test_leaving_early_and_both(self):
        early = day_result(DAY, [t("08:20"), t("11:45"), t("13:20"), t("16:30")])
        self.assertEqual([(h.outcome, h.early_minutes) for h in early.halves],
                         [(DayOutcome.EARLY, 15), (DayOutcome.ABSENT, 0)])
        self.assertEqual((early.outcome, early.absent_halves, early.early_minutes), (DayOutcome.ABSENT, 1, 15))
        both = day_result(DAY, [t("08:40"), t("11:50"), t("13:20"), t("17:00")])
        self.assertEqual((both.halves[0].outcome, both.outcome, both.late_minutes),
                         (DayOutcome.LATE_AND_EARLY, DayOutcome.LATE_AND_EARLY, 10))

    def test_a_single_punch_is_a_missing_punch_and_a_shift_without_any_is_half_a_day_absent(self):
        day = day_result(DAY, [t("08:20"), t("16:58")])
        self.assertEqual([(h.outcome, h.check_in, h.check_out) for h in day.halves],
                         [(DayOutcome.MISSING, t("08:20"), None), (DayOutcome.MISSING, None, t("16:58"))])
        self.assertEqual(day.early_minutes, 2)
        nobody = day_result(DAY, [t("08:20"), t("12:01")])
        self.assertEqual((nobody.halves[1].outcome, nobody.outcome, nobody.absent_halves),
                         (DayOutcome.ABSENT, DayOutcome.ABSENT, 1))
        self.assertEqual(day_result(DAY, []).absent_halves, 2)

    def test_a_punch_in_the_break_belongs_to_the_nearer_shift(self):
        # Midday break 12:00–13:30: up to 12:45 the morning's check-out, from 12:45 the afternoon's check-in.
        day = day_result(DAY, [t("08:20"), t("12:44:59"), t("12:45"), t("17:00")])
        self.assertEqual([(h.check_in, h.check_out) for h in day.halves],
                         [(t("08:20"), t("12:44:59")), (t("12:45"), t("17:00"))])
        self.assertEqual(day.outcome, DayOutcome.NORMAL)

    def test_a_half_day_on_leave_needs_no_punch(self):
        day = day_result(DAY, [t("13:20"), t("17:01")], {AM: "事假"})
        self.assertEqual([(h.outcome, h.leave) for h in day.halves],
                         [(DayOutcome.LEAVE, "事假"), (DayOutcome.NORMAL, "")])
        self.assertEqual((day.outcome, day.leave_halves), (DayOutcome.NORMAL, 1))
        away = day_result(DAY, [], {AM: "出差", PM: "出差"})
        self.assertEqual((away.outcome, away.absent_halves), (DayOutcome.LEAVE, 0))
        late = day_result(DAY, [t("14:10"), t("17:00")], {AM: "病假"})
        self.assertEqual((late.outcome, late.absent_halves), (DayOutcome.ABSENT, 1))

    def test_a_weekend_service_morning_is_one_shift(self):
        saturday = [ShiftHours(time(9), time(12))]
        self.assertEqual(day_result(saturday, [t("08:55"), t("12:00")]).outcome, DayOutcome.NORMAL)
        self.assertEqual(day_result(saturday, [t("09:05"), t("12:00")]).late_minutes, 5)

    def test_an_arrival_for_a_shift_counts_from_the_middle_of_the_break_before_it(self):
        self.assertEqual(arrivals_from(DAY, 0), time(0, 0))
        self.assertEqual(arrivals_from(DAY, 1), time(12, 45))
        self.assertEqual(arrivals_from([ShiftHours(time(8, 30), time(12)), ShiftHours(time(13), time(17))], 1),
                         time(12, 30))

    def test_two_taps_at_the_door_are_one_check_in_and_no_check_out(self):
        day = day_result(DAY, [t("08:20:01"), t("08:20:04"), t("13:25"), t("17:00")])
        self.assertEqual((day.halves[0].outcome, day.halves[0].check_in, day.halves[0].check_out,
                          day.halves[0].early_minutes), (DayOutcome.MISSING, t("08:20:01"), None, 0))
