"""Parallel guesses cannot slip past the lock: each attempt is claimed before the check."""

import threading
import unittest

from django.db import connection
from django.test import TransactionTestCase, override_settings

from servicehall.accounts.models import LoginFailure, Role, User
from servicehall.accounts.services import LoginRefused, login_attempt
from servicehall.audit.models import AuditEvent
from servicehall.testing import FAST_HASHERS, PASSWORD


@unittest.skipUnless(connection.vendor == "postgresql", "threads against one database are tested on PostgreSQL")
@override_settings(PASSWORD_HASHERS=FAST_HASHERS)
@override_settings(SH_LOGIN_BACKOFF_AFTER=100)  # the lock, not the back-off, is under test
class ParallelGuessTests(TransactionTestCase):
    def test_it_checks_at_most_the_allowed_number_of_parallel_guesses(self):
        User.objects.create_user("target", password=PASSWORD, role=Role.STAFF)
        barrier = threading.Barrier(20)
        outcomes = []

        def guess(n):
            try:
                barrier.wait()
                login_attempt(username="target", password=f"Wrong#{n}xx")
            except LoginRefused as exc:
                outcomes.append(exc.message)
            finally:
                connection.close()

        threads = [threading.Thread(target=guess, args=(n,)) for n in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(len(outcomes), 20)
        checked = AuditEvent.objects.filter(action="auth.login_failed", outcome="failure").count()
        self.assertEqual(checked, 5)
        self.assertEqual(AuditEvent.objects.filter(action="auth.locked").count(), 1)
        self.assertEqual(LoginFailure.objects.filter(username="target", locks=True).count(), 1)
        with self.assertRaises(LoginRefused):
            login_attempt(username="target", password=PASSWORD)
