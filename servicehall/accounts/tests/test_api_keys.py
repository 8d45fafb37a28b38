"""API keys for devices and the district platform: `manage.py create_api_key`, bearer
authentication on /api/v1/, hash-only storage, revocation."""

from datetime import timedelta
from io import StringIO

from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from servicehall.accounts.models import ApiKey, User, hash_api_key
from servicehall.accounts.services import api_key_create, api_key_revoke, api_key_user
from servicehall.audit.models import AuditEvent
from servicehall.lib.errors import NotFound
from servicehall.testing import PersonaTestCase

CENTERS = "/api/v1/centers"


def create_key(username: str, *args) -> tuple[str, str]:
    out = StringIO()
    call_command("create_api_key", username, *args, stdout=out)
    text = out.getvalue()
    return text.strip().splitlines()[-1], text


class ApiKeyTests(PersonaTestCase):
    def get(self, raw: str, url: str = CENTERS):
        return self.client.get(url, HTTP_AUTHORIZATION=f"Bearer {raw}")

    def assert_401(self, response):
        self.assertEqual(response.status_code, 401)
        body = response.json()
        self.assertEqual(set(body), {"error", "message", "field"})
        self.assertEqual((body["error"], body["field"]), ("not_authenticated", None))
        self.assertTrue(body["message"])

    def test_it_prints_the_key_as_the_last_line(self):
        raw, text = create_key("staff_a", "--name", "取号机")
        self.assertTrue(raw.startswith("sh_"))
        self.assertGreaterEqual(len(raw), 40)
        key = ApiKey.objects.get()
        self.assertEqual((key.user_id, key.name, key.prefix), (self.p.staff_a.pk, "取号机", raw[:10]))
        self.assertIn(key.prefix, text.splitlines()[0])
        self.assertNotEqual(create_key("staff_a")[0], raw)

    def test_it_authenticates_with_the_printed_key_as_a_bearer(self):
        raw, _ = create_key("staff_a")
        response = self.get(raw)
        self.assertEqual(response.status_code, 200)
        self.assertEqual([c["code"] for c in response.json()], [self.p.center_a.code])  # staff_a's scope
        bureau_raw, _ = create_key("bureau")
        codes = {c["code"] for c in self.get(bureau_raw).json()}
        self.assertEqual(codes, {self.p.main.code, self.p.center_a.code, self.p.center_b.code})

    def test_it_does_not_open_a_session_for_a_bearer_request(self):
        raw, _ = create_key("staff_a")
        self.get(raw)
        self.assertEqual(self.client.get(CENTERS).status_code, 401)
        self.assertRedirects(self.client.get("/"), "/accounts/login/?next=/", fetch_redirect_response=False)

    def test_it_stores_only_the_hash(self):
        raw, _ = create_key("staff_a")
        key = ApiKey.objects.get()
        self.assertEqual(key.key_hash, hash_api_key(raw))
        self.assertNotIn(raw, key.key_hash)
        holding = []  # every column of every table, scanned for the raw key
        with connection.cursor() as cursor:
            tables = connection.introspection.table_names(cursor)
            for table in tables:
                cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
                holding += [table for row in cursor.fetchall() for value in row if raw in str(value)]
        self.assertIn("accounts_apikey", tables)
        self.assertEqual(holding, [])
        self.assertTrue(AuditEvent.objects.filter(action="api_key.create", object_id=str(key.pk)).exists())

    def test_it_refuses_a_revoked_key(self):
        raw, _ = create_key("staff_a")
        self.assertEqual(self.get(raw).status_code, 200)
        api_key_revoke(actor=self.p.sysadmin, key=ApiKey.objects.get())
        self.assert_401(self.get(raw))
        self.assertTrue(AuditEvent.objects.filter(action="api_key.revoke", actor_id=self.p.sysadmin.pk).exists())
        with self.assertRaises(NotFound):
            api_key_revoke(actor=self.p.sysadmin, key=ApiKey.objects.get())

    def test_it_refuses_a_made_up_key(self):
        raw, _ = create_key("staff_a")
        for fake in ("sh_" + "A" * 43, raw[:-1], raw + "x", raw.upper(), "", hash_api_key(raw)):
            with self.subTest(fake=fake):
                self.assert_401(self.get(fake))

    def test_it_refuses_a_key_without_the_bearer_scheme(self):
        raw, _ = create_key("staff_a")
        self.assert_401(self.client.get(CENTERS, HTTP_AUTHORIZATION=raw))
        self.assert_401(self.client.get(CENTERS, HTTP_AUTHORIZATION=f"Basic {raw}"))

    def test_it_refuses_the_key_of_a_deactivated_user(self):
        raw, _ = create_key("staff_a")
        User.objects.filter(pk=self.p.staff_a.pk).update(is_active=False)
        self.assert_401(self.get(raw))

    def test_it_refuses_an_unknown_or_inactive_username(self):
        with self.assertRaises(CommandError):
            create_key("nobody_here")
        User.objects.filter(pk=self.p.staff_b.pk).update(is_active=False)
        with self.assertRaises(CommandError):
            create_key("staff_b")
        self.assertFalse(ApiKey.objects.exists())

    def test_it_records_when_a_key_was_last_used(self):
        now = timezone.now()
        key, raw = api_key_create(actor=None, user=self.p.staff_a, now=now)
        self.assertIsNone(key.last_used_at)
        self.assertEqual(api_key_user(raw, now=now).pk, self.p.staff_a.pk)
        key.refresh_from_db()
        self.assertEqual(key.last_used_at, now)
        api_key_user(raw, now=now + timedelta(minutes=4))  # within 5 minutes: no write
        key.refresh_from_db()
        self.assertEqual(key.last_used_at, now)
        api_key_user(raw, now=now + timedelta(minutes=6))
        key.refresh_from_db()
        self.assertEqual(key.last_used_at, now + timedelta(minutes=6))

    def test_it_finds_no_user_for_an_empty_or_unknown_key(self):
        self.assertIsNone(api_key_user(""))
        self.assertIsNone(api_key_user("sh_unknown"))


class LockedKeyOwnerTests(PersonaTestCase):
    def test_a_sign_in_lock_never_stops_the_owner_s_keys(self):
        """A device's key is not a password: guesses at the owner's sign-in (locking it at the
        guesser's address) must not switch the hall's kiosks and pads off."""
        from django.test import override_settings

        from servicehall.accounts.services import LoginRefused, api_key_create, login_attempt

        _, raw = api_key_create(actor=None, user=self.p.bureau)
        with override_settings(SH_LOGIN_BACKOFF_AFTER=100):
            for _ in range(6):
                with self.assertRaises(LoginRefused):
                    login_attempt(username=self.p.bureau.username, password="Wrong#Pass2026")
        self.assertEqual(self.client.get("/api/v1/centers", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code, 200)


class RevokedElsewhereTests(PersonaTestCase):
    def test_a_key_revoked_by_another_process_stops_working_within_one_second(self):
        from unittest import mock

        from servicehall.db import hotcache

        _, raw = api_key_create(actor=None, user=self.p.bureau)
        start = hotcache.time.monotonic()
        with mock.patch.object(hotcache.time, "monotonic", return_value=start):
            self.assertIsNotNone(api_key_user(raw))  # now in this process's memory
        ApiKey.objects.update(revoked_at=timezone.now())  # another worker's write: no signal here
        with mock.patch.object(hotcache.time, "monotonic", return_value=start + 0.5):
            self.assertIsNotNone(api_key_user(raw))  # within the stated bound
        with mock.patch.object(hotcache.time, "monotonic", return_value=start + 1.001):
            self.assertIsNone(api_key_user(raw))
