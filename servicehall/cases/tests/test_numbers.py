"""Case numbers under concurrent receipts: unique and gapless, also when a receipt fails
after it took its number."""

import threading
import unittest
from decimal import Decimal

from django.db import IntegrityError, connection
from django.test import TransactionTestCase, override_settings
from django.utils import timezone

from servicehall.audit.models import AuditEvent
from servicehall.audit.selectors import audit_chain_verify
from servicehall.cases.models import Case, CaseCounter, CaseTransition
from servicehall.cases.services import case_submit
from servicehall.queueing.models import Ticket
from servicehall.testing import FAST_HASHERS, Personas

from .helpers import PERSON, item_data, materials, publish

RECEIPTS = 12


@unittest.skipUnless(connection.vendor == "postgresql", "threads against one database are tested on PostgreSQL")
@override_settings(PASSWORD_HASHERS=FAST_HASHERS)
class ConcurrentNumberTests(TransactionTestCase):
    def test_numbers_stay_unique_and_gapless_when_receipts_fail_after_numbering(self):
        p = Personas.build()
        # Without fees a case is written by one statement; with a fee, by the transaction that
        # also writes its bill: both ways are raced here.
        plain = publish(p, item_data("法律援助申请"))
        charged = publish(p, item_data("公证书出具", fees=[
            {"name": "公证费", "amount": Decimal("80.00"), "legal_basis": "辽价发〔2017〕1号"}]))
        now = timezone.now()
        barrier = threading.Barrier(RECEIPTS)
        numbers, refused = [], []

        def receive(n):
            item = plain if n % 2 else charged
            # A ticket that does not exist fails the foreign key check at commit, after the
            # receipt took its number.
            ticket = Ticket(pk=10**9, center=p.center_a) if n % 3 == 0 else None
            try:
                barrier.wait()
                case = case_submit(actor=p.staff_a, center=p.center_a, items=[item.code], applicant=PERSON,
                                   materials=list(materials(item).values()), ticket=ticket, now=now)
                numbers.append(case.number)
            except IntegrityError:
                refused.append(n)
            finally:
                connection.close()

        threads = [threading.Thread(target=receive, args=(n,)) for n in range(RECEIPTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(sorted(refused), [n for n in range(RECEIPTS) if n % 3 == 0])
        stored = sorted(Case.objects.values_list("number", flat=True))
        self.assertEqual(sorted(numbers), stored)
        self.assertEqual([int(number.rsplit("-", 1)[1]) for number in stored], list(range(1, len(stored) + 1)))
        # The audit rows of the failed receipts went with them; the chain has no gap.
        self.assertTrue(audit_chain_verify().ok)
        self.assertEqual(CaseCounter.objects.get().last, len(stored))
        for case in Case.objects.all():
            self.assertEqual(list(CaseTransition.objects.filter(case=case).order_by("id")
                                  .values_list("action", flat=True)),
                             ["receive", "accept"])
            self.assertEqual(list(AuditEvent.objects.filter(object_type="cases.case", object_id=str(case.pk))
                                  .order_by("id").values_list("action", "object_repr")),
                             [("case.receive", case.number), ("case.accept", case.number)])
