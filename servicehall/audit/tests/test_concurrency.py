"""Rows are chained as they are written: concurrent writers take turns at the chain head, so
the chain has no gap and no seq twice, rolled-back writers leave no trace, and a walk is not
fooled by writers committing while it runs.

Threads need committed data and their own connections, so these are TransactionTestCases;
each thread closes its connection when done.
"""

import threading
import unittest

from django.db import OperationalError, connection, transaction
from django.test import TransactionTestCase

from servicehall.audit.models import AuditChainHead, AuditEvent
from servicehall.audit.selectors import audit_chain_verify
from servicehall.audit.services import audit_record

from .tamper import record_rows

ON_POSTGRESQL = connection.vendor == "postgresql"
PG_ONLY = "concurrent writers need PostgreSQL; SQLite has one writer at a time"


def in_thread(target, *args):
    """Run `target` in a thread with its own connection; returns the thread and its errors."""
    errors: list[BaseException] = []

    def run():
        try:
            target(*args)
        except BaseException as exc:  # noqa: BLE001 (reported by the test)
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def chain_seqs() -> list[int]:
    return list(AuditEvent.objects.filter(seq__isnull=False).order_by("seq").values_list("seq", flat=True))


class Undo(Exception):
    pass


@unittest.skipUnless(ON_POSTGRESQL, PG_ONLY)
class ConcurrentWritersTests(TransactionTestCase):
    THREADS = 8
    PER_THREAD = 25

    def test_eight_writers_at_once_some_rolling_back_leave_one_chain_without_gaps(self):
        self.assertFalse(AuditChainHead.objects.exists())  # the writers also race to create the head
        barrier = threading.Barrier(self.THREADS)

        def writer(i):
            barrier.wait(timeout=10)
            for k in range(self.PER_THREAD):
                try:
                    with transaction.atomic():
                        audit_record(actor=None, action="test.write", object_type="test", object_id=f"{i}-{k}",
                                     object_repr=f"线程{i}第{k}条")
                        if k % 5 == 4:
                            raise Undo  # the change failed after it was audited: its row goes too
                except Undo:
                    pass

        started = [in_thread(writer, i) for i in range(self.THREADS)]
        for thread, _ in started:
            thread.join(60)
        self.assertEqual([e for _, errors in started for e in errors], [])

        expected = self.THREADS * self.PER_THREAD * 4 // 5
        self.assertEqual(AuditEvent.objects.count(), expected)
        self.assertEqual(chain_seqs(), list(range(1, expected + 1)))
        self.assertEqual(AuditChainHead.objects.get().last_seq, expected)
        result = audit_chain_verify()
        self.assertTrue(result.ok, result.problem)
        self.assertEqual((result.checked, result.unsealed), (expected, 0))

    def test_an_open_audited_transaction_holds_the_head_until_it_commits(self):
        audit_record(actor=None, action="test.write", object_repr="先写")
        written, release = threading.Event(), threading.Event()

        def slow_writer():
            with transaction.atomic():
                audit_record(actor=None, action="test.write", object_repr="长事务")
                written.set()
                release.wait(15)

        thread, errors = in_thread(slow_writer)
        try:
            self.assertTrue(written.wait(10))
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '1s'")
            with self.assertRaises(OperationalError), transaction.atomic():
                audit_record(actor=None, action="test.write", object_repr="等不到")  # waits for the head
        finally:
            release.set()
            thread.join(15)
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
        self.assertEqual(errors, [])
        audit_record(actor=None, action="test.write", object_repr="后来者")
        self.assertEqual(list(AuditEvent.objects.order_by("seq").values_list("object_repr", flat=True)),
                         ["先写", "长事务", "后来者"])
        self.assertEqual(chain_seqs(), [1, 2, 3])
        self.assertTrue(audit_chain_verify().ok)


class VerifyWhileWritingTests(TransactionTestCase):
    """`audit_verify` runs from cron while the hall goes on writing."""

    def test_it_does_not_report_rows_committed_during_the_walk_as_slipped_in(self):
        record_rows(3)
        fired = []

        def write_after_head_read(execute, sql, params, many, context):
            result = execute(sql, params, many, context)
            if "audit_auditchainhead" in sql and not fired:
                fired.append(sql)
                thread, errors = in_thread(record_rows, 2)  # another process writes right now
                thread.join(15)
                self.assertEqual(errors, [])
            return result

        with connection.execute_wrapper(write_after_head_read):
            result = audit_chain_verify()

        self.assertTrue(fired)
        self.assertEqual(AuditChainHead.objects.get().last_seq, 5)
        self.assertTrue(result.ok, result.problem)
        self.assertEqual(result.checked, 3)
        self.assertEqual(audit_chain_verify().checked, 5)  # the next walk covers them
