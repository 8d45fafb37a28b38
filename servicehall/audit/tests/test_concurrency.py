"""The chain is not a lock: writers only INSERT, the sealer alone holds the head.

Threads need committed data and their own connections, so these are TransactionTestCases;
each thread closes its connection when done.
"""

import threading
import unittest
from io import StringIO

from django.core.management import call_command
from django.db import OperationalError, connection, transaction
from django.test import TransactionTestCase

from servicehall.audit.models import AuditChainHead, AuditEvent
from servicehall.audit.selectors import audit_chain_verify
from servicehall.audit.services import audit_record, audit_seal

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


def seal_all() -> int:
    total = 0
    while n := audit_seal():
        total += n
    return total


@unittest.skipUnless(ON_POSTGRESQL, PG_ONLY)
class ConcurrentWritersTests(TransactionTestCase):
    THREADS = 8
    PER_THREAD = 25

    def test_it_takes_rows_from_eight_writers_at_once_and_seals_them_without_gaps(self):
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
        self.assertEqual(seal_all(), expected)
        self.assertEqual(chain_seqs(), list(range(1, expected + 1)))
        self.assertEqual(len(set(AuditEvent.objects.values_list("object_id", flat=True))), expected)
        result = audit_chain_verify()
        self.assertTrue(result.ok, result.problem)
        self.assertEqual((result.checked, result.unsealed), (expected, 0))

    def test_it_keeps_writing_and_sealing_while_both_run_concurrently(self):
        stop = threading.Event()
        sealed_counts: list[int] = []
        barrier = threading.Barrier(self.THREADS + 2)

        def writer(i):
            barrier.wait(timeout=10)
            for k in range(self.PER_THREAD):
                with transaction.atomic():
                    audit_record(actor=None, action="test.write", object_id=f"{i}-{k}")

        def sealer():
            barrier.wait(timeout=10)
            while not stop.is_set():
                sealed_counts.append(audit_seal(batch_size=7))

        writers = [in_thread(writer, i) for i in range(self.THREADS)]
        sealers = [in_thread(sealer) for _ in range(2)]
        for thread, _ in writers:
            thread.join(30)
        stop.set()
        for thread, _ in sealers:
            thread.join(30)
        self.assertEqual([e for _, errors in writers + sealers for e in errors], [])

        expected = self.THREADS * self.PER_THREAD
        rest = seal_all()
        self.assertEqual(sum(sealed_counts) + rest, expected)
        self.assertEqual(chain_seqs(), list(range(1, expected + 1)))
        result = audit_chain_verify()
        self.assertTrue(result.ok, result.problem)
        self.assertEqual(result.checked, expected)

    def test_it_records_while_the_sealer_holds_the_chain_head(self):
        audit_record(actor=None, action="test.write")
        seal_all()
        locked, release = threading.Event(), threading.Event()

        def sealer_mid_batch():
            with transaction.atomic():
                AuditChainHead.objects.select_for_update().get(pk=1)
                locked.set()
                release.wait(15)

        thread, errors = in_thread(sealer_mid_batch)
        try:
            self.assertTrue(locked.wait(10))
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '2s'")  # a writer that waited would fail here
            with transaction.atomic():
                audit_record(actor=None, action="test.write", object_repr="封存进行中写入")
            with self.assertRaises(OperationalError), transaction.atomic():
                audit_seal()  # the proof that the head really is held
        finally:
            release.set()
            thread.join(15)
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
        self.assertEqual(errors, [])
        self.assertEqual(seal_all(), 1)
        self.assertTrue(audit_chain_verify().ok)

    def test_it_lets_others_write_and_seal_past_an_open_writer_transaction(self):
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
                cursor.execute("SET lock_timeout = '2s'")
            audit_record(actor=None, action="test.write", object_repr="后来者")
            self.assertEqual(audit_seal(), 1)  # the uncommitted row is not seen, and not waited for
        finally:
            release.set()
            thread.join(15)
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
        self.assertEqual(errors, [])
        self.assertEqual(audit_seal(), 1)  # the long transaction's row joins the chain after it commits
        self.assertEqual(list(AuditEvent.objects.order_by("seq").values_list("object_repr", flat=True)),
                         ["后来者", "长事务"])
        self.assertEqual(chain_seqs(), [1, 2])
        self.assertTrue(audit_chain_verify().ok)


@unittest.skipUnless(ON_POSTGRESQL, PG_ONLY)
class ConcurrentSealersTests(TransactionTestCase):
    ROWS = 300

    def run_sealers(self, count: int, batch_size: int) -> list[list[int]]:
        barrier = threading.Barrier(count)
        results: list[list[int]] = [[] for _ in range(count)]

        def sealer(i):
            barrier.wait(timeout=10)
            while n := audit_seal(batch_size=batch_size):
                results[i].append(n)

        started = [in_thread(sealer, i) for i in range(count)]
        for thread, _ in started:
            thread.join(60)
        self.assertEqual([e for _, errors in started for e in errors], [])
        return results

    def test_it_never_gives_a_seq_twice_or_skips_one_with_two_sealers(self):
        record_rows(self.ROWS)
        self.assertFalse(AuditChainHead.objects.exists())  # both sealers also race to create the head

        results = self.run_sealers(2, batch_size=10)

        self.assertEqual(sum(map(sum, results)), self.ROWS)  # no row sealed twice
        self.assertEqual(chain_seqs(), list(range(1, self.ROWS + 1)))
        self.assertEqual(AuditChainHead.objects.get().last_seq, self.ROWS)
        result = audit_chain_verify()
        self.assertTrue(result.ok, result.problem)
        self.assertEqual(result.checked, self.ROWS)

    def test_it_never_gives_a_seq_twice_or_skips_one_with_four_sealers(self):
        record_rows(self.ROWS)
        audit_seal(batch_size=1)

        results = self.run_sealers(4, batch_size=3)

        self.assertEqual(sum(map(sum, results)), self.ROWS - 1)
        self.assertEqual(chain_seqs(), list(range(1, self.ROWS + 1)))
        self.assertTrue(audit_chain_verify().ok)


class VerifyWhileSealingTests(TransactionTestCase):
    """`audit_verify` runs from cron while `run_workers` seals every two seconds."""

    def test_it_does_not_report_rows_sealed_during_the_walk_as_slipped_in(self):
        record_rows(3)
        seal_all()
        record_rows(2)
        fired = []

        def seal_after_head_read(execute, sql, params, many, context):
            result = execute(sql, params, many, context)
            if "audit_auditchainhead" in sql and not fired:
                fired.append(sql)
                thread, errors = in_thread(audit_seal)  # another process seals right now
                thread.join(15)
                self.assertEqual(errors, [])
            return result

        with connection.execute_wrapper(seal_after_head_read):
            result = audit_chain_verify()

        self.assertTrue(fired)
        self.assertEqual(AuditChainHead.objects.get().last_seq, 5)
        self.assertTrue(result.ok, result.problem)
        self.assertEqual(result.checked, 3)
        self.assertEqual(audit_chain_verify().checked, 5)  # the next walk covers them


class BackgroundLoopTests(TransactionTestCase):
    # run_workers closes stale connections each round, which a TestCase's open transaction
    # cannot survive; hence a TransactionTestCase.
    def test_it_seals_in_one_round_of_the_background_loop(self):
        rows = record_rows(3)
        out = StringIO()

        call_command("run_workers", "--once", stdout=out)

        self.assertEqual([AuditEvent.objects.get(pk=r.pk).seq for r in rows], [1, 2, 3])
        self.assertIn("后台任务已停止", out.getvalue())
        self.assertTrue(audit_chain_verify().ok)
