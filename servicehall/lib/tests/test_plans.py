import unittest

from django.contrib.auth.models import Group
from django.db import connection
from django.test import TestCase

from servicehall.lib.plans import planned_per_call


@unittest.skipUnless(connection.vendor == "postgresql", "psycopg prepares statements on PostgreSQL only")
class PlannedPerCallTests(TestCase):
    def prepared(self, marker: str) -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [f"%{marker}%"])
            return cursor.fetchone()[0]

    def test_its_statement_is_never_prepared_and_other_statements_still_are(self):
        Group.objects.create(name="窗口")
        threshold = connection.connection.prepare_threshold
        for _ in range(threshold + 3):
            self.assertEqual([g.name for g in planned_per_call(Group.objects.filter(name__startswith="窗"))[:5]],
                             ["窗口"])
        self.assertEqual(self.prepared('FROM "auth_group"'), 0)
        self.assertEqual(connection.connection.prepare_threshold, threshold)
        for _ in range(threshold + 3):
            list(Group.objects.filter(name__startswith="窗")[:5])
        self.assertEqual(self.prepared('FROM "auth_group"'), 1)
