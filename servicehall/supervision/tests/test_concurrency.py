"""Four sweeps started at once raise each alert exactly once and lose none (PostgreSQL: SQLite
has one writer at a time)."""

import unittest

from django.db import connection
from django.test import TransactionTestCase, override_settings

from servicehall.cases.services import case_submit
from servicehall.cases.tests.helpers import PERSON, at, item_data, materials, publish
from servicehall.supervision.models import Alert, SweepMark
from servicehall.supervision.services import supervision_sweep
from servicehall.testing import FAST_HASHERS, Personas, run_together


@unittest.skipUnless(connection.vendor == "postgresql", "concurrent sweeps need PostgreSQL")
@override_settings(PASSWORD_HASHERS=FAST_HASHERS)
class ConcurrentSweepTests(TransactionTestCase):
    def test_four_sweeps_at_once_raise_each_alert_exactly_once(self):
        p = Personas.build()
        item = publish(p, item_data("法律援助申请"))
        cases = [case_submit(actor=p.staff_a, center=p.center_a, items=[item.code], applicant=PERSON,
                             materials=list(materials(item).values()), now=at(2026, 9, day))
                 for day in (21, 22, 23, 24, 28, 29, 30)]
        now = at(2026, 10, 14, 9)

        errors = run_together(*[lambda: supervision_sweep(now=now)] * 4)

        self.assertEqual(errors, [])
        overdue = Alert.objects.filter(rule__code="case_overdue")
        self.assertEqual(sorted(overdue.values_list("subject_id", flat=True)), sorted(c.pk for c in cases))
        self.assertEqual(overdue.count(), len(cases))
        self.assertEqual(SweepMark.objects.filter(rule__code="case_overdue").count(), 1)
        self.assertEqual(supervision_sweep(now=at(2026, 10, 14, 9).replace(minute=1)), 0)
