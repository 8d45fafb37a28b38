"""lib/rows: the one-statement writes store exactly what the ORM would."""

from servicehall.audit.models import AuditEvent
from servicehall.cases.models import Case, CaseItem, CaseMaterial, CaseTransition
from servicehall.cases.services import case_submit
from servicehall.cases.tests.helpers import PERSON, at, item_data, materials, publish
from servicehall.db.rows import insert_values
from servicehall.lib.personal import decrypt
from servicehall.testing import PersonaTestCase


class InsertValuesTests(PersonaTestCase):
    def test_the_parameters_are_what_each_fields_own_preparation_gives(self):
        from django.db import connection

        item = publish(self.p, item_data("法律援助申请"))
        case = case_submit(actor=self.p.staff_a, center=self.p.center_a, items=[item.code], applicant=PERSON,
                           materials=list(materials(item).values()), now=at(2026, 11, 26))
        for model, rows in ((Case, [Case.objects.get(pk=case.pk)]), (CaseItem, list(case.items.all())),
                            (CaseMaterial, list(case.materials.all())), (CaseTransition, list(case.transitions.all())),
                            (AuditEvent, list(AuditEvent.objects.filter(object_id=str(case.pk))))):
            fields = [f for f in model._meta.concrete_fields if not f.primary_key]
            expected = [f.get_db_prep_save(f.pre_save(row, True), connection) for row in rows for f in fields]
            with self.subTest(model=model.__name__):
                # Personal data is encrypted under a fresh nonce each time: compare what it holds.
                self.assertEqual(repr([decrypt(v) for v in insert_values(model, rows)[1]]),
                                 repr([decrypt(v) for v in expected]))
