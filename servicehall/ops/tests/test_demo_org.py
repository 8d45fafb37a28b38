"""The Longgang demo: idempotent, named as the notice requires, accounts listed as JSON."""

import json
from io import StringIO
from unittest import mock

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import F
from django.test import TestCase

from servicehall.accounts.models import User
from servicehall.attendance.models import Device
from servicehall.org.models import BackupPost, ServiceCenter, Window, branch_name_error
from servicehall.testing import during_opening_hours


class LoadDemoTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("load_demo", "--force-demo", stdout=StringIO())

    def test_it_creates_the_district_centre_and_branches_with_valid_names(self):
        center = ServiceCenter.objects.get(code="21140300")
        self.assertEqual((center.name, center.kind, center.district.code), ("龙港区行政服务中心", "center", "211403"))
        branches = ServiceCenter.objects.filter(kind="branch")
        self.assertGreaterEqual(branches.count(), 8)
        for branch in branches:
            self.assertIsNone(branch_name_error(branch.name, "龙港区"), branch.name)
        market = branches.filter(department__name="区市场监管局")
        self.assertGreaterEqual(market.count(), 2)

    def test_it_gives_every_window_an_ab_post(self):
        self.assertEqual(Window.objects.filter(post__isnull=True).count(), 0)
        self.assertFalse(BackupPost.objects.filter(holder=F("backup_staff")).exists())

    def test_every_branch_has_one_clock_in_terminal_of_its_own(self):
        devices = {device.center.code: device.serial for device in Device.objects.select_related("center")}
        branches = set(ServiceCenter.objects.filter(kind="branch").values_list("code", flat=True))
        self.assertEqual(set(devices), branches)
        self.assertEqual(devices["21140301"], "LG21140301")

    def test_it_is_idempotent(self):
        counts = (ServiceCenter.objects.count(), Window.objects.count(), User.objects.count(),
                  BackupPost.objects.count(), Device.objects.count())
        out = StringIO()
        call_command("load_demo", "--force-demo", stdout=out)
        self.assertEqual(counts, (ServiceCenter.objects.count(), Window.objects.count(), User.objects.count(),
                                  BackupPost.objects.count(), Device.objects.count()))
        self.assertIn("bureau", out.getvalue())
        self.assertIn("Longgang@2026", out.getvalue())

    def test_it_lists_the_accounts_as_json(self):
        out = StringIO()
        call_command("demo_accounts", "--json", stdout=out)
        rows = json.loads(out.getvalue())
        by_name = {r["username"]: r for r in rows}
        self.assertEqual(set(rows[0]), {"username", "role", "centers", "window"})
        self.assertEqual(by_name["bureau"]["role"], "bureau")
        roles = {r["role"] for r in rows}
        self.assertTrue({"bureau", "manager", "staff", "leadership", "sysadmin", "secadmin", "auditadmin"} <= roles)
        staff = by_name["gf_staff1"]
        self.assertEqual(staff["centers"], ["21140301"])
        window = Window.objects.get(pk=staff["window"])
        self.assertEqual(window.center.code, "21140301")
        self.assertEqual(window.post.holder.user.username, "gf_staff1")
        for code in ServiceCenter.objects.filter(kind="branch").values_list("code", flat=True):
            self.assertTrue(any(r["role"] == "manager" and code in r["centers"] for r in rows), code)
            self.assertTrue(any(r["role"] == "staff" and code in r["centers"] for r in rows), code)

    def test_it_lets_the_demo_accounts_sign_in(self):
        response = self.client.post("/accounts/login/", {"username": "gf_staff1", "password": "Longgang@2026"})
        self.assertRedirects(response, "/")

    @during_opening_hours
    def test_every_demo_centre_can_issue_and_call_tickets(self):
        from servicehall.queueing.models import TicketCategory
        from servicehall.queueing.services import ticket_call_next, ticket_issue

        for center in ServiceCenter.objects.all():
            self.assertEqual(list(TicketCategory.objects.filter(center=center).values_list("prefix", flat=True)),
                             ["A", "B"])
        center = ServiceCenter.objects.get(code="21140300")
        ticket = ticket_issue(center=center, prefix="A")
        window = Window.objects.filter(center=center).first()
        self.assertEqual(ticket_call_next(actor=User.objects.get(username="bureau"), window=window), ticket)
        out = StringIO()
        call_command("queue_devices", stdout=out)
        self.assertIn("/queue/kiosk/", out.getvalue())


class DemoRefusedTests(TestCase):
    """The demo's accounts share a published password: never in production, never by accident
    on a real database."""

    def refusal(self, *args) -> CommandError:
        with self.assertRaises(CommandError) as raised:
            call_command("load_demo", *args, stdout=StringIO())
        self.assertEqual(raised.exception.returncode, 3)  # scripts/run goes on without the demo
        self.assertFalse(User.objects.exists())
        return raised.exception

    def test_it_refuses_in_production_even_when_forced(self):
        with self.settings(PRODUCTION=True):
            self.assertIn("SH_PRODUCTION=1", str(self.refusal()))
            self.refusal("--force-demo")

    def test_it_refuses_a_database_other_than_sqlite_unless_forced(self):
        with mock.patch.object(connection, "vendor", "postgresql"):
            self.assertIn("--force-demo", str(self.refusal()))
