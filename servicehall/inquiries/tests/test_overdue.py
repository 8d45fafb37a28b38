"""Open inquiries older than one working day, counted on local dates with the holiday table:
overdue once the working day after the day asked has ended."""

from servicehall.inquiries.selectors import overdue_for
from servicehall.inquiries.services import inquiry_answer, inquiry_close, inquiry_hand_over
from servicehall.workcalendar.selectors import get_calendar

from .helpers import InquiryTestCase, local

FRIDAY = local(2026, 3, 13, 16, 30)


class OverdueTests(InquiryTestCase):
    def overdue(self, user, now):
        listed = list(overdue_for(user, now))
        calendar = get_calendar()
        for inquiry in listed:  # the indexed query and the rule on one object agree
            self.assertTrue(inquiry.is_overdue(now, calendar))
        return listed

    def test_it_waits_over_the_weekend_after_a_friday(self):
        inquiry = self.log(at=FRIDAY)
        for now in (local(2026, 3, 13, 23, 59), local(2026, 3, 14, 10, 0), local(2026, 3, 15, 22, 0),
                    local(2026, 3, 16, 23, 59)):
            with self.subTest(now=now):
                self.assertEqual(self.overdue(self.p.staff_a, now), [])
                self.assertFalse(inquiry.is_overdue(now, get_calendar()))
        self.assertEqual(self.overdue(self.p.staff_a, local(2026, 3, 17, 0, 5)), [inquiry])

    def test_it_waits_through_the_national_day_holiday(self):
        inquiry = self.log(at=local(2026, 9, 30, 15, 0))
        for day in range(1, 9):  # 1–7 October off; 8 October is the working day after
            with self.subTest(day=day):
                self.assertEqual(self.overdue(self.p.staff_a, local(2026, 10, day, 12, 0)), [])
        self.assertEqual(self.overdue(self.p.staff_a, local(2026, 10, 9, 8, 30)), [inquiry])
        self.assertEqual(inquiry.working_days_open(local(2026, 10, 9, 8, 30), get_calendar()), 2)

    def test_it_counts_a_worked_weekend_day(self):
        inquiry = self.log(at=local(2026, 9, 18, 10, 0))  # Friday; Sunday 20 September is worked (调休)
        self.assertEqual(self.overdue(self.p.staff_a, local(2026, 9, 20, 12, 0)), [])
        self.assertEqual(self.overdue(self.p.staff_a, local(2026, 9, 21, 12, 0)), [inquiry])

    def test_it_counts_local_dates_not_utc_dates(self):
        # 07:00 in the hall is 23:00 UTC the day before: still the same local day at 18:00.
        inquiry = self.log(at=local(2026, 3, 11, 7, 0))
        self.assertEqual(self.overdue(self.p.staff_a, local(2026, 3, 12, 18, 0)), [])
        self.assertEqual(self.overdue(self.p.staff_a, local(2026, 3, 13, 0, 1)), [inquiry])

    def test_it_follows_the_owner_after_a_hand_over(self):
        inquiry = self.log(at=FRIDAY)
        inquiry_hand_over(actor=self.p.staff_a, inquiry=inquiry, to_user=self.colleague, note="移交", now=FRIDAY)
        tuesday = local(2026, 3, 17, 9, 0)
        self.assertEqual(self.overdue(self.p.staff_a, tuesday), [])
        self.assertEqual([i.pk for i in self.overdue(self.colleague, tuesday)], [inquiry.pk])

    def test_it_drops_answered_and_closed_inquiries(self):
        answered = self.log(at=FRIDAY)
        inquiry_answer(actor=self.p.staff_a, inquiry=answered, answer="答复", now=FRIDAY)
        closed = self.log(at=FRIDAY)
        inquiry_close(actor=self.p.staff_a, inquiry=closed, note="来访人已离开", now=FRIDAY)
        still_open = self.log(at=FRIDAY)
        self.assertEqual(self.overdue(self.p.staff_a, local(2026, 3, 17, 9, 0)), [still_open])

    def test_it_lists_only_the_users_own(self):
        self.log(at=FRIDAY)
        tuesday = local(2026, 3, 17, 9, 0)
        for user in (self.p.manager_a, self.colleague, self.p.staff_b, self.p.bureau):
            with self.subTest(user=user.username):
                self.assertEqual(self.overdue(user, tuesday), [])
