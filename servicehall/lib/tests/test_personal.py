"""Personal data at rest: SM4-GCM ciphertext in the columns, lookups by the keyed SM3 hash,
rotatable keys, and the numbers found again by exact match."""

import base64
from datetime import date, time

from django.db import connection
from django.test import SimpleTestCase, override_settings

from servicehall.lib import personal
from servicehall.lib.personal import blind_index, decrypt, encrypt
from servicehall.testing import PersonaTestCase

CITIZEN = "11010519491231002X"
KEY_1 = "1:" + base64.b64encode(b"k" * 16).decode()
KEY_2 = "2:" + base64.b64encode(b"n" * 16).decode()


class CipherTests(SimpleTestCase):
    def tearDown(self):
        personal._keys_from.cache_clear()

    def test_equal_numbers_give_unequal_ciphertexts_that_decrypt_to_them(self):
        first, second = encrypt(CITIZEN), encrypt(CITIZEN)
        self.assertNotEqual(first, second)
        self.assertTrue(first.startswith("sm4g:"))
        self.assertNotIn(CITIZEN, first)
        self.assertEqual((decrypt(first), decrypt(second)), (CITIZEN, CITIZEN))
        self.assertEqual((encrypt(""), decrypt(""), decrypt("13800138000")), ("", "", "13800138000"))

    def test_a_changed_ciphertext_is_an_error_not_a_wrong_number(self):
        stored = encrypt(CITIZEN)
        prefix, number, body = stored.split(":")
        raw = bytearray(base64.b64decode(body))
        raw[15] ^= 1
        with self.assertRaises(ValueError):
            decrypt(f"{prefix}:{number}:{base64.b64encode(bytes(raw)).decode()}")

    def test_a_new_key_encrypts_and_the_old_still_decrypts(self):
        with override_settings(SH_DATA_KEYS=KEY_1):
            old = encrypt(CITIZEN)
        with override_settings(SH_DATA_KEYS=f"{KEY_2},{KEY_1}"):
            self.assertEqual(decrypt(old), CITIZEN)
            new = encrypt(CITIZEN)
            self.assertEqual((personal.key_number_of(old), personal.key_number_of(new)), (1, 2))
        with override_settings(SH_DATA_KEYS=KEY_2), self.assertRaises(ValueError):
            decrypt(old)  # the old key withdrawn: unreadable, as intended

    def test_the_lookup_hash_is_keyed_and_normalised(self):
        self.assertEqual(blind_index(CITIZEN), blind_index(" 11010519491231002x "))
        self.assertEqual(len(blind_index(CITIZEN)), 64)
        default = blind_index(CITIZEN)
        with override_settings(SH_DATA_INDEX_KEY=base64.b64encode(b"i" * 16).decode()):
            self.assertNotEqual(blind_index(CITIZEN), default)  # without the key, no hash can be matched
        self.assertEqual(blind_index(""), "")


class AtRestTests(PersonaTestCase):
    """What the database holds after the services write, and that lookups still find it."""

    def raw(self, table: str, columns: str) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {columns} FROM {table}")
            return cursor.fetchall()

    def test_tickets_appointments_and_cases_hold_ciphertext_and_are_found_by_number(self):
        from servicehall.cases.selectors import case_list
        from servicehall.cases.services import case_submit
        from servicehall.cases.tests.helpers import PERSON, at, item_data, materials, publish
        from servicehall.queueing.models import Appointment, CategoryWindow, TicketCategory
        from servicehall.queueing.services import appointment_book

        category = TicketCategory.objects.create(center=self.p.center_a, prefix="A", name="综合受理")
        CategoryWindow.objects.create(category=category, window=self.p.window_a)
        appointment_book(center=self.p.center_a, prefix="A", day=date(2026, 11, 27), slot_start=time(9, 30),
                         holder=CITIZEN, phone="13800138000", now=at(2026, 11, 26))
        item = publish(self.p, item_data("法律援助申请"))
        case = case_submit(actor=self.p.staff_a, center=self.p.center_a, items=[item.code], applicant=PERSON,
                           materials=list(materials(item).values()), now=at(2026, 11, 26))
        stored = self.raw("queueing_appointment", "holder, phone, holder_index") + self.raw(
            "cases_case", "applicant_id, applicant_phone, applicant_id_index")
        for holder, phone, index in stored:
            self.assertTrue(holder.startswith("sm4g:") and phone.startswith("sm4g:"), (holder, phone))
            self.assertEqual(len(index), 64)
        self.assertNotIn(CITIZEN, str(stored))
        self.assertNotIn(PERSON["id_number"], str(stored))
        self.assertEqual(Appointment.objects.get(holder=CITIZEN.lower()).phone, "13800138000")
        found = case_list(self.p.staff_a, {"q": PERSON["id_number"]}, now=at(2026, 11, 26))
        self.assertEqual([c.pk for c in found], [case.pk])
        self.assertEqual(case_list(self.p.staff_a, {"q": "110105198001010016"}, now=at(2026, 11, 26)).count(), 0)


class RetentionTests(PersonaTestCase):
    """Contact data of tickets, bookings and reviews goes after SH_PERSONAL_DATA_DAYS; cases keep
    theirs with the file."""

    def test_old_contact_data_is_blanked_and_recent_kept(self):
        from datetime import datetime, timedelta
        from zoneinfo import ZoneInfo

        from servicehall.queueing.models import Appointment, CategoryWindow, Ticket, TicketCategory
        from servicehall.queueing.services import contact_data_purge
        from servicehall.reviews.models import Review
        from servicehall.reviews.services import rater_phones_purge

        now = datetime(2026, 12, 1, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
        category = TicketCategory.objects.create(center=self.p.center_a, prefix="A", name="综合受理")
        CategoryWindow.objects.create(category=category, window=self.p.window_a)
        common = {"center": self.p.center_a, "category": category, "phone": "13800138000", "id_number": CITIZEN}
        old = Ticket.objects.create(number="A001", seq=1, day=date(2026, 6, 3), issued_at=now - timedelta(days=181),
                                    queued_at=now - timedelta(days=181), **common)
        recent = Ticket.objects.create(number="A002", seq=2, day=date(2026, 6, 5), issued_at=now - timedelta(days=179),
                                       queued_at=now - timedelta(days=179), **common)
        booking = {"center": self.p.center_a, "category": category, "slot_start": time(9), "slot_end": time(10),
                   "holder": CITIZEN, "phone": "13800138000"}
        old_booking = Appointment.objects.create(code="00000001", day=date(2026, 6, 1), created_at=now, **booking)
        Appointment.objects.create(code="00000002", day=date(2026, 6, 10), created_at=now, **booking)
        rated = Review.objects.create(center=self.p.center_a, ticket=old, level=5, channel=4, rater_phone="13800138000",
                                      created_at=now - timedelta(days=200))

        self.assertEqual(contact_data_purge(now=now), 2)
        self.assertEqual(rater_phones_purge(now=now), 1)
        old.refresh_from_db(), recent.refresh_from_db(), old_booking.refresh_from_db(), rated.refresh_from_db()
        self.assertEqual((old.phone, old.id_number, old.phone_index), ("", "", ""))
        self.assertEqual((recent.phone, recent.id_number), ("13800138000", CITIZEN))
        self.assertEqual((old_booking.holder, old_booking.phone), ("", ""))
        self.assertEqual(Appointment.objects.filter(holder=CITIZEN).count(), 1)
        self.assertEqual(rated.rater_phone, "")
        self.assertEqual((contact_data_purge(now=now), rater_phones_purge(now=now)), (0, 0))  # nothing twice


class RekeyTests(PersonaTestCase):
    def tearDown(self):
        personal._keys_from.cache_clear()

    def test_rekey_moves_every_value_to_the_new_key_and_lookups_still_work(self):
        from io import StringIO

        from django.core.management import call_command

        from servicehall.inquiries.services import inquiry_log

        with override_settings(SH_DATA_KEYS=KEY_1):
            inquiry = inquiry_log(actor=self.p.staff_a, center=self.p.center_a, topic="咨询", window=self.p.window_a,
                                  asker_phone="13800138000")
        with override_settings(SH_DATA_KEYS=f"{KEY_2},{KEY_1}"):
            out = StringIO()
            call_command("personal_data_rekey", stdout=out)
            self.assertIn("重新加密 1 条", out.getvalue())
            with connection.cursor() as cursor:
                cursor.execute("SELECT asker_phone FROM inquiries_firstinquiry WHERE id = %s", [inquiry.pk])
                self.assertEqual(personal.key_number_of(cursor.fetchone()[0]), 2)
        with override_settings(SH_DATA_KEYS=KEY_2):  # the old key withdrawn
            from servicehall.inquiries.models import FirstInquiry

            self.assertEqual(FirstInquiry.objects.get(asker_phone="13800138000").asker_phone, "13800138000")
