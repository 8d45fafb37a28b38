"""The SM3 hash chain: chaining at commit, the append-only guards, and `audit_verify` naming the
first row that was altered, removed, slipped in or written past the chain."""

import hashlib
import hmac
from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from django.utils import timezone

from servicehall.audit.chain import chain_key, mac
from servicehall.audit.models import AuditChainHead, AuditEvent
from servicehall.audit.selectors import audit_chain_verify
from servicehall.audit.services import audit_record
from servicehall.testing import PersonaTestCase

from .tamper import (
    canonical_text,
    chain_pending,
    delete_row,
    disable_guard,
    guard_active,
    guard_bypassed,
    insert_forged,
    is_postgresql,
    names_row,
    raw,
    record_rows,
    row_digest,
    sealed,
    set_column,
    shift_seqs_up,
)


class ChainTestCase(PersonaTestCase):
    def rows(self, n: int):
        return record_rows(n, actor=self.p.staff_a, center=self.p.center_a)

    def sealed_rows(self, n: int):
        rows = self.rows(n)
        chain_pending()
        return [sealed(r) for r in rows]

    def verify_command(self, *args):
        out, err = StringIO(), StringIO()
        call_command("audit_verify", *args, stdout=out, stderr=err)
        return out.getvalue(), err.getvalue()

    def assertChainNames(self, event: AuditEvent):
        """Both the walk and the command name exactly `event`, and the command exits 1."""
        result = audit_chain_verify()
        self.assertFalse(result.ok)
        self.assertEqual(result.event_id, event.pk, result.problem)
        self.assertTrue(names_row(result.problem, event.pk), result.problem)
        out, err = StringIO(), StringIO()
        with self.assertRaises(SystemExit) as exit_:
            call_command("audit_verify", stdout=out, stderr=err)
        self.assertEqual(exit_.exception.code, 1)
        self.assertIn("审计链校验失败", err.getvalue())
        self.assertTrue(names_row(err.getvalue(), event.pk), err.getvalue())
        self.assertEqual(out.getvalue(), "")
        return result


class SealingTests(ChainTestCase):
    def test_it_gives_rows_consecutive_seq_in_commit_order_with_linked_hashes(self):
        rows = self.rows(5)

        chain_pending()  # what COMMIT does on PostgreSQL; SQLite chained them at insert

        rows = [sealed(r) for r in rows]
        self.assertEqual([r.seq for r in rows], [1, 2, 3, 4, 5])
        self.assertEqual(rows[0].prev_hash, "")
        for before, after in zip(rows, rows[1:], strict=False):
            self.assertEqual(after.prev_hash, before.hash)
        for r in rows:
            self.assertRegex(r.hash, r"^[0-9a-f]{64}$")
            self.assertEqual(r.hash, row_digest(r.pk))
            self.assertIsNotNone(r.sealed_at)
        head = AuditChainHead.objects.get()
        self.assertEqual((head.last_seq, head.last_hash), (5, rows[-1].hash))
        result = audit_chain_verify()
        self.assertTrue(result.ok, result.problem)
        self.assertEqual((result.checked, result.outside), (5, 0))

    def test_it_uses_hmac_sm3_keyed_by_the_chain_key_over_every_column(self):
        row = self.sealed_rows(1)[0]
        text = canonical_text(row.pk)
        expected = hmac.new(chain_key(), text.encode(), lambda: hashlib.new("sm3")).hexdigest()
        self.assertEqual(row.hash, expected)
        self.assertNotEqual(row.hash, hmac.new(chain_key(), text.encode(), hashlib.sha256).hexdigest())
        for value in (str(row.pk), "staff_a", "21140301", "window.update", "1号窗口", "\"number\": 1", "10.0.0.8",
                      "2026-03-02", str(row.seq)):
            self.assertIn(value, text)

    def test_it_continues_the_chain_with_rows_written_later(self):
        first = self.sealed_rows(3)
        later = self.rows(2)
        chain_pending()

        later = [sealed(r) for r in later]
        self.assertEqual([r.seq for r in later], [4, 5])
        self.assertEqual(later[0].prev_hash, first[-1].hash)
        self.assertEqual(later[1].prev_hash, later[0].hash)
        result = audit_chain_verify()
        self.assertTrue(result.ok, result.problem)
        self.assertEqual((result.checked, result.outside), (5, 0))

    def test_a_rolled_back_write_leaves_no_gap(self):
        self.sealed_rows(2)
        with transaction.atomic():
            audit_record(actor=None, action="window.update", object_repr="撤回的修改")
            transaction.set_rollback(True)
        kept = audit_record(actor=None, action="window.update", object_repr="保留的修改")
        chain_pending()

        self.assertEqual(sealed(kept).seq, 3)
        self.assertEqual(AuditChainHead.objects.get().last_seq, 3)
        self.assertTrue(audit_chain_verify().ok)

    def test_it_verifies_an_empty_trail_as_intact(self):
        result = audit_chain_verify()
        self.assertTrue(result.ok)
        self.assertEqual((result.checked, result.outside), (0, 0))

    def test_it_chains_the_receipt_rows_written_in_one_statement(self):
        # db/cases.insert_accepted writes a case and its two audit rows in one statement.
        from servicehall.cases.services import case_submit
        from servicehall.cases.tests.helpers import PERSON, item_data, materials, publish

        item = publish(self.p, item_data("法律援助申请"))
        case = case_submit(actor=self.p.staff_a, center=self.p.center_a, items=[item.code], applicant=PERSON,
                           materials=list(materials(item).values()), now=timezone.now())
        chain_pending()
        rows = list(AuditEvent.objects.filter(object_type="cases.case", object_id=str(case.pk)).order_by("seq"))
        self.assertEqual([r.action for r in rows], ["case.receive", "case.accept"])
        self.assertEqual(rows[1].seq, rows[0].seq + 1)
        self.assertEqual(rows[0].object_repr, case.number)
        self.assertTrue(audit_chain_verify().ok)

    def test_it_records_the_source_address_and_snapshot_fields(self):
        row = audit_record(actor=self.p.manager_a, action="window.update", obj=self.p.window_a, center=self.p.center_a,
                           before={"name": "综合受理"}, after={"name": "综合受理（一）"}, source_ip="10.0.0.9")
        chain_pending()
        row = sealed(row)
        self.assertEqual((row.actor_id, row.actor_username, row.actor_role),
                         (self.p.manager_a.pk, "manager_a", "manager"))
        self.assertEqual((row.center_id, row.center_code), (self.p.center_a.pk, "21140301"))
        self.assertEqual((row.object_type, row.object_id), ("org.window", str(self.p.window_a.pk)))
        self.assertEqual(row.after, {"name": "综合受理（一）"})
        self.assertEqual(row.source_ip, "10.0.0.9")
        self.assertTrue(audit_chain_verify().ok)
        self.assertIsNone(audit_record(actor=None, action="auth.login_failed", source_ip="not-an-address").source_ip)


class KeylessSessionTests(ChainTestCase):
    """psql, a script, anything but the application: it has no chain key, so it cannot write."""

    def test_a_session_without_the_chain_key_cannot_write_a_row(self):
        self.sealed_rows(1)
        with self.assertRaises(DatabaseError), transaction.atomic():
            if is_postgresql():
                raw("SELECT set_config('servicehall.audit_key', '', true)")
            else:
                connection.connection.create_function("sh_audit_mac", 1, None)
            try:
                insert_forged(seq=None, prev_hash="", hash="")
                chain_pending()
            finally:
                if not is_postgresql():
                    connection.connection.create_function("sh_audit_mac", 1, mac, deterministic=True)
        self.assertEqual(AuditEvent.objects.count(), 1)
        self.assertTrue(audit_chain_verify().ok)

    def test_it_names_a_row_written_past_the_chaining_trigger(self):
        self.sealed_rows(3)
        with guard_bypassed():
            forged = insert_forged(seq=None, prev_hash="", hash="")

        result = self.assertChainNames(AuditEvent.objects.get(pk=forged))

        self.assertIn("不在审计链中", result.problem)
        self.assertEqual((result.checked, result.outside), (3, 1))


class AppendOnlyTests(ChainTestCase):
    """Without the DBA's bypass, nothing changes a sealed row: not the ORM, not raw SQL."""

    def assertRefused(self, sql, params=()):
        with self.assertRaises(DatabaseError):
            with transaction.atomic():
                raw(sql, params)

    def test_it_has_the_guard_trigger_installed(self):
        self.assertTrue(guard_active())

    def test_it_refuses_a_raw_update_of_a_sealed_row(self):
        row = self.sealed_rows(2)[0]
        self.assertRefused("UPDATE audit_auditevent SET object_repr = %s WHERE id = %s", ["伪造", row.pk])
        self.assertRefused("UPDATE audit_auditevent SET hash = %s WHERE id = %s", ["0" * 64, row.pk])
        self.assertRefused("UPDATE audit_auditevent SET seq = NULL WHERE id = %s", [row.pk])
        self.assertEqual(sealed(row).object_repr, row.object_repr)
        self.assertTrue(audit_chain_verify().ok)

    def test_it_refuses_a_raw_update_of_an_unsealed_row_other_than_sealing_it(self):
        row = self.rows(1)[0]
        self.assertRefused("UPDATE audit_auditevent SET object_repr = %s WHERE id = %s", ["伪造", row.pk])
        self.assertEqual(sealed(row).object_repr, row.object_repr)

    def test_it_refuses_a_chain_field_update_through_the_orm_and_at_the_database(self):
        row = self.sealed_rows(1)[0]
        with self.assertRaises(PermissionError):
            AuditEvent.objects.filter(pk=row.pk).update(hash="0" * 64)
        self.assertRefused("UPDATE audit_auditevent SET hash = %s WHERE id = %s", ["0" * 64, row.pk])
        self.assertEqual(sealed(row).hash, row.hash)

    def test_it_refuses_a_raw_delete_on_postgresql(self):
        if not is_postgresql():
            self.skipTest("SQLite keeps DELETE open for Django's test flush; the chain names the gap instead")
        row = self.sealed_rows(2)[0]
        self.assertRefused("DELETE FROM audit_auditevent WHERE id = %s", [row.pk])
        self.assertTrue(AuditEvent.objects.filter(pk=row.pk).exists())

    def test_it_refuses_save_on_an_existing_row(self):
        row = self.sealed_rows(1)[0]
        row.object_repr = "伪造"
        with self.assertRaises(PermissionError):
            row.save()
        with self.assertRaises(PermissionError):
            row.save(update_fields=["object_repr"])
        self.assertEqual(sealed(row).object_repr, "1号窗口")

    def test_it_refuses_delete_of_a_row(self):
        row = self.sealed_rows(1)[0]
        with self.assertRaises(PermissionError):
            row.delete()
        with self.assertRaises(PermissionError):
            AuditEvent.objects.filter(pk=row.pk).delete()
        with self.assertRaises(PermissionError):
            AuditEvent.objects.all().delete()
        self.assertEqual(AuditEvent.objects.count(), 1)

    def test_it_refuses_a_queryset_update_of_content(self):
        rows = self.sealed_rows(2)
        with self.assertRaises(PermissionError):
            AuditEvent.objects.update(action="auth.login")
        with self.assertRaises(PermissionError):
            AuditEvent.objects.filter(pk=rows[0].pk).update(action="auth.login", hash="0" * 64)
        rows[0].object_repr = "伪造"
        with self.assertRaises(PermissionError), transaction.atomic():  # bulk_update joins the outer transaction
            AuditEvent.objects.bulk_update([rows[0]], ["object_repr"])
        self.assertEqual({r.action for r in AuditEvent.objects.all()}, {"window.update"})
        self.assertTrue(audit_chain_verify().ok)

    def test_it_gets_the_guard_back_when_the_bypass_is_rolled_back(self):
        # A DBA's DROP/DISABLE TRIGGER inside a transaction that rolls back (as every TestCase
        # does) leaves the guard in place: DDL is transactional on both databases.
        row = self.sealed_rows(1)[0]
        with transaction.atomic():
            disable_guard()
            self.assertFalse(guard_active())
            transaction.set_rollback(True)
        self.assertTrue(guard_active())
        self.assertRefused("UPDATE audit_auditevent SET object_repr = %s WHERE id = %s", ["伪造", row.pk])

    def test_it_gets_the_guard_back_after_the_bypass_block(self):
        row = self.sealed_rows(1)[0]
        with guard_bypassed():
            self.assertFalse(guard_active())
        self.assertTrue(guard_active())
        self.assertRefused("UPDATE audit_auditevent SET object_repr = %s WHERE id = %s", ["伪造", row.pk])


class TamperingTests(ChainTestCase):
    """A sealed row changed behind the application's back is named, and only that row."""

    def test_it_names_a_row_whose_object_was_changed(self):
        rows = self.sealed_rows(5)
        with guard_bypassed():
            self.assertEqual(set_column(rows[2].pk, "object_repr", "3号窗口（已撤销）"), 1)
        self.assertEqual(sealed(rows[2]).object_repr, "3号窗口（已撤销）")

        result = self.assertChainNames(rows[2])

        self.assertEqual(result.seq, 3)
        self.assertEqual(result.checked, 2)
        self.assertIn("篡改", result.problem)

    def test_it_names_a_row_whose_after_value_was_changed(self):
        rows = self.sealed_rows(4)
        with guard_bypassed():
            set_column(rows[1].pk, "after", '{"name": "窗口2（改）", "number": 99}')
        self.assertEqual(sealed(rows[1]).after, {"name": "窗口2（改）", "number": 99})

        self.assertChainNames(rows[1])

    def test_it_names_the_first_row_and_the_last_row_when_they_are_changed(self):
        rows = self.sealed_rows(3)
        with guard_bypassed():
            set_column(rows[2].pk, "actor_username", "manager_b")
        self.assertChainNames(rows[2])
        with guard_bypassed():
            set_column(rows[0].pk, "outcome", "denied")
        self.assertChainNames(rows[0])  # the first broken row, not the last

    def test_it_names_a_row_whose_hash_was_changed(self):
        rows = self.sealed_rows(3)
        with guard_bypassed():
            set_column(rows[1].pk, "hash", "0" * 64)
        self.assertChainNames(rows[1])

    def test_it_names_a_row_when_two_rows_swap_places(self):
        rows = self.sealed_rows(4)
        with guard_bypassed():  # seq 2 ↔ 3, each with the chain fields of its new place
            raw("UPDATE audit_auditevent SET seq = -seq WHERE seq IN (2, 3)")
            for row, place in ((rows[1], rows[2]), (rows[2], rows[1])):
                raw("UPDATE audit_auditevent SET seq = %s, prev_hash = %s, hash = %s WHERE id = %s",
                    [place.seq, place.prev_hash, place.hash, row.pk])
        self.assertEqual(list(AuditEvent.objects.order_by("seq").values_list("id", flat=True)),
                         [rows[0].pk, rows[2].pk, rows[1].pk, rows[3].pk])

        result = self.assertChainNames(rows[2])

        self.assertEqual(result.seq, 2)

    def test_it_names_a_row_whose_time_was_moved(self):
        rows = self.sealed_rows(3)
        moved = rows[1].created_at - timedelta(hours=3)
        with guard_bypassed():
            set_column(rows[1].pk, "created_at", connection.ops.adapt_datetimefield_value(moved))
        self.assertEqual(sealed(rows[1]).created_at, moved)
        self.assertChainNames(rows[1])

    def test_it_names_the_row_when_the_chain_is_recomputed_without_the_key(self):
        # The intruder changes row 2 and rebuilds every later hash and the head, but with a
        # guessed key: the keyed SM3 still fails at row 2.
        rows = self.sealed_rows(4)
        with guard_bypassed(), override_settings(SH_AUDIT_CHAIN_KEY="guessed-key"):
            set_column(rows[1].pk, "object_repr", "伪造")
            prev = rows[0].hash
            for r in rows[1:]:
                set_column(r.pk, "prev_hash", prev)
                prev = row_digest(r.pk)
                set_column(r.pk, "hash", prev)
            raw("UPDATE audit_auditchainhead SET last_hash = %s WHERE id = 1", [prev])

        self.assertChainNames(rows[1])

    def test_it_accepts_its_own_chain_only_under_its_own_key(self):
        self.sealed_rows(2)
        self.assertTrue(audit_chain_verify().ok)
        with override_settings(SH_AUDIT_CHAIN_KEY="another-key"):
            result = audit_chain_verify()
        self.assertFalse(result.ok)
        self.assertEqual(result.seq, 1)


class RemovalTests(ChainTestCase):
    def remove(self, row):
        with guard_bypassed():
            self.assertEqual(delete_row(row.pk), 1)

    def test_it_names_the_row_after_a_removed_one(self):
        rows = self.sealed_rows(5)
        self.remove(rows[2])

        result = self.assertChainNames(rows[3])

        self.assertEqual(result.seq, 4)
        self.assertIn("删除", result.problem)

    def test_it_names_the_second_row_when_the_first_is_removed(self):
        rows = self.sealed_rows(3)
        self.remove(rows[0])
        self.assertChainNames(rows[1])

    def test_it_detects_a_truncated_tail(self):
        rows = self.sealed_rows(5)
        self.remove(rows[4])
        self.remove(rows[3])

        result = audit_chain_verify()

        self.assertFalse(result.ok)
        self.assertIsNone(result.event_id)
        self.assertEqual(result.checked, 3)
        self.assertIn("链尾", result.problem)
        self.assertIn("5", result.problem)
        err = StringIO()
        with self.assertRaises(SystemExit) as exit_:
            call_command("audit_verify", stdout=StringIO(), stderr=err)
        self.assertEqual(exit_.exception.code, 1)
        self.assertIn("链尾记录缺失", err.getvalue())

    def test_it_detects_the_whole_chain_removed(self):
        rows = self.sealed_rows(2)
        for r in rows:
            self.remove(r)
        result = audit_chain_verify()
        self.assertFalse(result.ok)
        self.assertIn("链尾", result.problem)


class InsertionTests(ChainTestCase):
    def test_it_names_a_row_forged_into_the_middle(self):
        rows = self.sealed_rows(5)
        with guard_bypassed():
            shift_seqs_up(3)
            forged = insert_forged(seq=3, prev_hash=rows[1].hash, hash=rows[2].hash)
        raw("UPDATE audit_auditchainhead SET last_seq = 6, last_hash = %s WHERE id = 1", [rows[4].hash])

        result = self.assertChainNames(AuditEvent.objects.get(pk=forged))

        self.assertEqual(result.seq, 3)

    def test_it_refuses_inserting_a_sealed_looking_row(self):
        rows = self.sealed_rows(3)
        with self.assertRaises(DatabaseError), transaction.atomic():
            insert_forged(seq=4, prev_hash=rows[2].hash, hash="ab" * 32)
        self.assertEqual(AuditEvent.objects.count(), 3)

    def test_it_refuses_rewinding_the_chain_head(self):
        self.sealed_rows(3)
        with self.assertRaises(DatabaseError), transaction.atomic():
            AuditChainHead.objects.filter(pk=1).update(last_seq=1)
        self.assertEqual(AuditChainHead.objects.get(pk=1).last_seq, 3)

    def test_it_names_a_row_forged_beyond_the_chain_head(self):
        rows = self.sealed_rows(3)
        with guard_bypassed():
            forged = insert_forged(seq=4, prev_hash=rows[2].hash, hash="ab" * 32)

        result = self.assertChainNames(AuditEvent.objects.get(pk=forged))

        self.assertEqual(result.seq, 4)
        self.assertIn("插入", result.problem)

    def test_it_calls_a_row_far_beyond_the_head_inserted_not_a_gap(self):
        rows = self.sealed_rows(3)
        with guard_bypassed():
            forged = insert_forged(seq=9, prev_hash=rows[2].hash, hash="cd" * 32)

        result = self.assertChainNames(AuditEvent.objects.get(pk=forged))

        self.assertIn("超出链尾", result.problem)
        self.assertNotIn("删除", result.problem)

    def test_it_names_a_forged_row_with_a_valid_looking_digest(self):
        # The forged row's prev_hash links correctly and its hash is a real HMAC-SM3, only
        # under the wrong key.
        rows = self.sealed_rows(2)
        with override_settings(SH_AUDIT_CHAIN_KEY="guessed-key"), guard_bypassed():
            forged = insert_forged(seq=3, prev_hash=rows[1].hash, hash="")
            row = AuditEvent.objects.get(pk=forged)
            digest = row_digest(forged)
            set_column(forged, "hash", digest)
        raw("UPDATE audit_auditchainhead SET last_seq = 3, last_hash = %s WHERE id = 1", [digest])

        self.assertChainNames(row)

    def test_it_names_a_row_forged_before_the_first(self):
        self.sealed_rows(2)
        with guard_bypassed():
            forged = insert_forged(seq=0, prev_hash="", hash="ef" * 32)
        self.assertChainNames(AuditEvent.objects.get(pk=forged))


class VerifyCommandTests(ChainTestCase):
    def test_it_reports_an_intact_chain_in_chinese(self):
        self.sealed_rows(3)

        out, err = self.verify_command()

        self.assertEqual(out.strip(), "审计链完整：已校验 3 条。")
        self.assertEqual(err, "")

    def test_it_walks_more_rows_than_one_chunk(self):
        record_rows(2001)
        chain_pending()
        out, _ = self.verify_command()
        self.assertIn("已校验 2001 条", out)

    def test_it_fails_when_a_row_stands_outside_the_chain(self):
        self.sealed_rows(2)
        with guard_bypassed():
            insert_forged(seq=None, prev_hash="", hash="")
        with self.assertRaises(SystemExit) as exit_:
            call_command("audit_verify", stdout=StringIO(), stderr=StringIO())
        self.assertEqual(exit_.exception.code, 1)


class AnchorTests(ChainTestCase):
    """A removed tail with a rewound head passes the walk; the anchor kept outside catches it."""

    def verify(self):
        out, err = StringIO(), StringIO()
        try:
            call_command("audit_verify", stdout=out, stderr=err)
        except SystemExit as exc:
            return exc.code, err.getvalue()
        return 0, out.getvalue()

    def test_it_catches_a_removed_tail_with_a_rewound_head(self):
        rows = self.sealed_rows(5)
        self.assertEqual(self.verify()[0], 0)
        with guard_bypassed():  # rows 4 and 5, and the verification's own row after them
            self.assertEqual(raw("DELETE FROM audit_auditevent WHERE seq > 3"), 3)
            raw("UPDATE audit_auditchainhead SET last_seq = %s, last_hash = %s", [3, rows[2].hash])
        self.assertTrue(audit_chain_verify().ok)  # the walk alone cannot see it
        code, message = self.verify()
        self.assertEqual(code, 1)
        self.assertIn("链尾记录被删除", message)

    def test_it_moves_the_anchor_forward_as_the_chain_grows(self):
        self.sealed_rows(2)
        self.assertEqual(self.verify()[0], 0)
        audit_record(actor=None, action="x.grow")
        chain_pending()
        self.assertEqual(self.verify()[0], 0)
        self.assertEqual(self.verify()[0], 0)


class VerifyButtonTests(PersonaTestCase):
    def test_the_audit_admin_verifies_the_chain_from_the_home_page(self):
        import tempfile
        from pathlib import Path

        record_rows(3)
        chain_pending()
        with tempfile.TemporaryDirectory() as folder, override_settings(
                SH_AUDIT_ANCHOR_FILE=str(Path(folder) / "anchor.json")):
            self.client.force_login(self.p.auditadmin)
            self.assertContains(self.client.get("/"), "校验审计链")
            page = self.client.post("/audit-verify/", follow=True)
            self.assertContains(page, "审计链完整：已校验")
            self.assertTrue((Path(folder) / "anchor.json").exists())
            self.assertEqual(AuditEvent.objects.filter(action="audit.verify", outcome="success").count(), 1)
            self.client.force_login(self.p.secadmin)
            self.assertEqual(self.client.post("/audit-verify/").status_code, 403)
