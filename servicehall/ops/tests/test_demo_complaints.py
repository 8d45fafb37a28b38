"""The demo's complaints: every state of the flow, several channels, a reopened one, an overdue
one, and a misconduct report the bureau alone handles."""

from io import StringIO

from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone

from servicehall.complaints.models import Complaint, Handler, Status
from servicehall.workcalendar.selectors import get_calendar


class DemoComplaintsTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("load_demo", "--force-demo", stdout=StringIO())

    def test_every_state_several_channels_a_reopened_and_an_overdue_one(self):
        complaints = list(Complaint.objects.all())
        self.assertEqual(len(complaints), 20)  # ten stories at two branches
        self.assertEqual({c.status for c in complaints} - set(Status.values), set())
        self.assertEqual({c.status for c in complaints}, set(Status.values))
        self.assertGreaterEqual(len({c.channel for c in complaints}), 5)
        self.assertEqual(sum(c.reopened == 1 for c in complaints), 2)
        today, calendar = timezone.localdate(), get_calendar()
        self.assertTrue(any(c.light(today, calendar) == "red" for c in complaints))
        self.assertEqual({c.handler for c in complaints if c.kind == "misconduct"}, {Handler.BUREAU})

    def test_loading_again_adds_none(self):
        call_command("load_demo", "--force-demo", stdout=StringIO())
        self.assertEqual(Complaint.objects.count(), 20)
