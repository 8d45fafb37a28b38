import unittest

from django.contrib.auth.models import Group
from django.db import connection
from django.test import TestCase

from servicehall.db.plans import _numbered, explain_prepared, planned_per_call


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


@unittest.skipUnless(connection.vendor == "postgresql", "PREPARE and plan_cache_mode are PostgreSQL's")
class ExplainPreparedTests(TestCase):
    """The benchmarks show both plans of a slow read's slowest statement, whatever parameters
    Django's cursor took for it (bench/cases.py crashed on a statement that had none)."""

    def explained(self, sql, params) -> str:
        text = explain_prepared(sql, params)
        self.assertIn("[custom plan]", text)
        self.assertIn("[generic plan]", text)
        return text

    def test_it_explains_a_statement_without_parameters(self):
        for params in (None, [], ()):
            with self.subTest(params=params):
                self.assertIn("Result", self.explained("SELECT 1", params))

    def test_it_explains_positional_and_named_parameters(self):
        Group.objects.create(name="窗口")
        self.explained('SELECT id FROM auth_group WHERE name = %s AND id > %s', ["窗口", 0])
        text = self.explained('SELECT id FROM auth_group WHERE name = %(name)s OR name = %(name)s AND id > %(low)s',
                              {"name": "窗口", "low": 0})
        self.assertIn("auth_group", text)

    def test_it_leaves_the_connection_as_it_found_it(self):
        self.explained("SELECT 1", None)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE name = 'explained_plan'")
            self.assertEqual(cursor.fetchone()[0], 0)
            cursor.execute("SHOW plan_cache_mode")
            self.assertEqual(cursor.fetchone()[0], "auto")


class NumberedTests(unittest.TestCase):
    def test_it_numbers_each_named_parameter_once_in_order_of_first_use(self):
        self.assertEqual(_numbered("a = %(x)s AND b = %(y)s OR c = %(x)s", {"y": 2, "x": 1}),
                         ("a = $1 AND b = $2 OR c = $1", [1, 2]))

    def test_it_numbers_positional_parameters_and_leaves_none_alone(self):
        self.assertEqual(_numbered("a = %s AND b = %s", (1, 2)), ("a = $1 AND b = $2", [1, 2]))
        self.assertEqual(_numbered("SELECT 1", None), ("SELECT 1", []))
