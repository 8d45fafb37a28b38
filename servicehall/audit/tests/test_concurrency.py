"""Writers chain their rows as they commit: the chain head is locked at commit only, so an open
transaction that wrote a row holds nobody up, and the chain follows the order of commits.

Threads need committed data and their own connections, so these are TransactionTestCases;
each thread closes its connection when done.
"""

import threading
import unittest

from django.db import connection, transaction
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


@unittest.skipUnless(ON_POSTGRESQL, PG_ONLY)
class ConcurrentWritersTests(TransactionTestCase):
    THREADS = 8
    PER_THREAD = 25

    def test_it_chains_rows_from_eight_writers_at_once_without_gaps(self):
        barrier = threading.Barrier(self.THREADS)

        def writer(i):
            barrier.wait(timeout=10)
            for k in range(self.PER_THREAD):
                with transaction.atomic():
                    audit_record(actor=None, action="test.write", object_type="test", object_id=f"{i}-{k}",
                                 object_repr=f"线程{i}第{k}条")

        started = [in_thread(writer, i) for i in range(self.THREADS)]
        for thread, _ in started:
            thread.join(30)
        self.assertEqual([e for _, errors in started for e in errors], [])

        expected = self.THREADS * self.PER_THREAD
        self.assertEqual(AuditEvent.objects.count(), expected)
        self.assertEqual(chain_seqs(), list(range(1, expected + 1)))
        self.assertEqual(len(set(AuditEvent.objects.values_list("object_id", flat=True))), expected)
        result = audit_chain_verify()
        self.assertTrue(result.ok, result.problem)
        self.assertEqual((result.checked, result.outside), (expected, 0))

    def test_an_open_transaction_that_wrote_a_row_holds_no_other_writer_up(self):
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
                cursor.execute("SET lock_timeout = '2s'")  # a writer that waited would fail here
            with transaction.atomic():
                audit_record(actor=None, action="test.write", object_repr="后来者")
        finally:
            release.set()
            thread.join(15)
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
        self.assertEqual(errors, [])
        # The long transaction wrote first but committed last: the chain follows the commits.
        self.assertEqual(list(AuditEvent.objects.order_by("seq").values_list("object_repr", flat=True)),
                         ["后来者", "长事务"])
        self.assertEqual(chain_seqs(), [1, 2])
        self.assertEqual(AuditChainHead.objects.get().last_seq, 2)
        self.assertTrue(audit_chain_verify().ok)

    def test_a_rolled_back_transaction_leaves_no_gap_among_concurrent_writers(self):
        barrier = threading.Barrier(4)

        def writer(i):
            barrier.wait(timeout=10)
            for k in range(10):
                with transaction.atomic():
                    audit_record(actor=None, action="test.write", object_id=f"{i}-{k}")
                    if k % 3 == 0:
                        transaction.set_rollback(True)

        started = [in_thread(writer, i) for i in range(4)]
        for thread, _ in started:
            thread.join(30)
        self.assertEqual([e for _, errors in started for e in errors], [])
        self.assertEqual(AuditEvent.objects.count(), 4 * 6)
        self.assertEqual(chain_seqs(), list(range(1, 25)))
        self.assertTrue(audit_chain_verify().ok)


class VerifyWhileWritingTests(TransactionTestCase):
    """`audit_verify` runs from cron while the hall keeps writing."""

    def test_it_does_not_report_rows_committed_during_the_walk_as_slipped_in(self):
        record_rows(3)
        fired = []

        def write_after_head_read(execute, sql, params, many, context):
            result = execute(sql, params, many, context)
            if "audit_auditchainhead" in sql and not fired:
                fired.append(sql)
                thread, errors = in_thread(record_rows, 2)  # a clerk's change commits right now
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
