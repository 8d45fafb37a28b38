"""The demo's attendance: a month of punches judged into days, a leave covered by the B post."""

from io import StringIO

from django.core.management import call_command
from django.test import TestCase

from servicehall.attendance.models import DayOutcome, DayResult, Leave, LeaveStatus, Punch, Shift, WindowHalf
from servicehall.org.models import ServiceCenter


class DemoAttendanceTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("load_demo", "--force-demo", stdout=StringIO())

    def test_every_branch_has_shifts_a_month_of_punches_and_judged_days(self):
        branches = ServiceCenter.objects.filter(kind="branch")
        for branch in branches:
            with self.subTest(branch=branch.code):
                self.assertEqual(list(Shift.objects.filter(center=branch).values_list("name", flat=True)),
                                 ["上午", "下午"])
                self.assertGreater(Punch.objects.filter(center=branch).count(), 200)
                self.assertTrue(DayResult.objects.filter(center=branch).exists())
        outcomes = {o: DayResult.objects.filter(outcome=o).count() for o in DayOutcome.values}
        self.assertGreater(outcomes[DayOutcome.NORMAL], outcomes[DayOutcome.LATE])
        self.assertGreater(outcomes[DayOutcome.LATE], 0)
        self.assertGreater(outcomes[DayOutcome.ABSENT], 0)
        self.assertGreater(outcomes[DayOutcome.LEAVE], 0)

    def test_a_holders_leave_was_approved_and_the_b_post_punched_those_days(self):
        leave = Leave.objects.filter(status=LeaveStatus.APPROVED).select_related("staff").first()
        self.assertIsNotNone(leave)
        post = leave.staff.held_posts.get()
        for day in (leave.starts_on, leave.ends_on):
            with self.subTest(day=day):
                self.assertEqual(DayResult.objects.get(staff=leave.staff, day=day).outcome, DayOutcome.LEAVE)
                self.assertTrue(Punch.objects.filter(staff=post.backup_staff, at__date=day).exists())

    def test_loading_again_adds_no_punch(self):
        count = Punch.objects.count()
        call_command("load_demo", "--force-demo", stdout=StringIO())
        self.assertEqual(Punch.objects.count(), count)

    def test_leaves_wait_for_the_manager_and_for_the_bureau_and_windows_have_their_half_days(self):
        waiting = Leave.objects.filter(status=LeaveStatus.PENDING)
        branches = ServiceCenter.objects.filter(kind="branch").count()
        self.assertEqual(waiting.filter(approved_levels=0, levels=1).count(), branches)  # B's half day
        self.assertEqual(waiting.filter(approved_levels=1, levels=2).count(), branches)  # A's three days
        halves = WindowHalf.objects.all()
        self.assertGreater(halves.count(), 0)
        self.assertEqual(set(halves.values_list("post", flat=True)) - {"A岗", "B岗"}, set())
        self.assertTrue(halves.filter(post="B岗").exists())  # the holder's leave last week
