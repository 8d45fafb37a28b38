"""The background loop runs every task the apps declare, each at its own interval, and two
copies of it at once never do one piece of work twice."""

import unittest
from datetime import date
from io import StringIO
from unittest import mock

from django.core.management import call_command
from django.db import connection
from django.test import SimpleTestCase, TransactionTestCase, override_settings

from servicehall.cases.models import Case, CaseStatus
from servicehall.cases.services import case_submit, case_supplement, cases_deem_accepted
from servicehall.cases.tests.helpers import PERSON, at, item_data, materials, publish
from servicehall.ops.management.commands.run_workers import declared_tasks
from servicehall.testing import FAST_HASHERS, Personas, run_together


class DeclaredTaskTests(SimpleTestCase):
    def test_every_app_task_is_declared_with_its_interval_and_why_copies_are_safe(self):
        tasks = {task.name: task for task in declared_tasks()}
        self.assertEqual(set(tasks), {"login_failures_purge", "idempotent_requests_purge",
                                      "tickets_expire", "contact_data_purge", "cases_deem_accepted",
                                      "status_failures_purge", "rater_phones_purge", "supervision_sweep",
                                      "orders_escalate", "attendance_days_compute"})
        for task in tasks.values():
            with self.subTest(task=task.name):
                self.assertGreater(task.every, 0)
                self.assertGreater(len(task.safe_in_copies), 40)

    def test_list_prints_each_task(self):
        out = StringIO()
        call_command("run_workers", "--list", stdout=out)
        lines = out.getvalue().splitlines()
        self.assertEqual(len(lines), 10)
        self.assertTrue(any(line.startswith("status_failures_purge") and "every 3600 s" in line for line in lines))


class LoopTests(SimpleTestCase):
    """The loop itself, with stand-in tasks and clock: a task that did work runs again at once,
    one that did none waits its interval, and one that fails does not stop the others."""

    def test_each_task_runs_on_its_own_interval_and_a_failure_stops_nothing(self):
        from servicehall.lib.registry import Task

        runs = []
        clock = {"now": 0.0}
        backlog = iter([3, 0])  # did work, then nothing

        def busy():
            runs.append(("busy", clock["now"]))
            return next(backlog, 0)

        def broken():
            runs.append(("broken", clock["now"]))
            raise RuntimeError("boom")

        def sleep(seconds):
            clock["now"] += seconds
            if clock["now"] > 12 or len(runs) > 50:
                raise KeyboardInterrupt

        tasks = [Task("busy", busy, every=5, safe_in_copies="-"), Task("broken", broken, every=10, safe_in_copies="-")]
        with mock.patch("servicehall.ops.management.commands.run_workers.declared_tasks", return_value=tasks), \
                mock.patch("servicehall.ops.management.commands.run_workers.time.monotonic", lambda: clock["now"]), \
                mock.patch("servicehall.ops.management.commands.run_workers.time.sleep", sleep), \
                mock.patch("servicehall.ops.management.commands.run_workers.close_old_connections"), \
                self.assertLogs("servicehall.workers", "ERROR"), self.assertRaises(KeyboardInterrupt):
            call_command("run_workers", stdout=StringIO())
        busy_at = [t for name, t in runs if name == "busy"]
        broken_at = [t for name, t in runs if name == "broken"]
        self.assertEqual(busy_at[:2], [0.0, 0.0])  # it did work: again at once
        self.assertEqual([round(t) for t in busy_at[2:]], [5, 10])  # then every 5 s
        self.assertEqual([round(t) for t in broken_at], [0, 10])


@unittest.skipUnless(connection.vendor == "postgresql", "threads against one database are tested on PostgreSQL")
@override_settings(PASSWORD_HASHERS=FAST_HASHERS)
class TwoLoopsTests(TransactionTestCase):
    def test_two_copies_of_the_deemed_acceptance_accept_each_case_once(self):
        p = Personas.build()
        item = publish(p, item_data("法律援助申请"))
        wanted = materials(item)
        for _ in range(6):
            case = case_submit(actor=p.staff_a, center=p.center_a, items=[item.code], applicant=PERSON,
                               materials=[wanted["申请表"]], now=at(2026, 9, 28))
            case_supplement(actor=p.staff_a, case=case, materials=list(wanted.values()), now=at(2026, 9, 29))
        counts = []
        with self.assertNoLogs("servicehall.cases", "ERROR"):
            errors = run_together(*[lambda: counts.append(cases_deem_accepted(now=at(2026, 10, 13)))] * 2)
        self.assertEqual(errors, [])
        self.assertEqual(sum(counts), 6)
        self.assertEqual(Case.objects.filter(status=CaseStatus.ACCEPTED, deemed_accepted=True,
                                             accepted_on=date(2026, 9, 29)).count(), 6)
        for case in Case.objects.all():
            self.assertEqual(case.transitions.filter(action="accept").count(), 1)
