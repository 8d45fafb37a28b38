"""Idle sign-out (RULES.md, Security: sign out after 30 idle minutes) and sign-out.

The middleware reads the wall clock, so a test moves the session's last activity
(`sh_last_seen`) into the past instead of waiting.
"""

import time

from django.contrib.auth import SESSION_KEY

from servicehall.accounts.middleware import SESSION_KEY as LAST_SEEN
from servicehall.accounts.services import api_key_create, security_policy_update
from servicehall.audit.models import AuditEvent
from servicehall.testing import PersonaTestCase

MINUTE = 60


class IdleSignOutTests(PersonaTestCase):
    def setUp(self):
        self.login(self.p.staff_a)

    def idle_for(self, minutes: float) -> float:
        """Pretend the last activity was `minutes` ago; returns that timestamp."""
        session = self.client.session
        session[LAST_SEEN] = stamp = time.time() - minutes * MINUTE
        session.save()
        return stamp

    def signed_in(self) -> bool:
        return SESSION_KEY in self.client.session

    def assert_error_shape(self, response, status, code):
        self.assertEqual(response.status_code, status)
        self.assertEqual(response["Content-Type"].split(";")[0], "application/json")
        body = response.json()
        self.assertEqual(set(body), {"error", "message", "field"})
        self.assertEqual(body["error"], code)
        self.assertTrue(body["message"])
        return body

    def test_it_records_activity_on_a_page_request(self):
        before = time.time()
        self.assertEqual(self.client.get("/").status_code, 200)
        self.assertGreaterEqual(self.client.session[LAST_SEEN], before)

    def test_it_keeps_a_session_that_was_active_within_thirty_minutes(self):
        stamp = self.idle_for(29)
        self.assertEqual(self.client.get("/").status_code, 200)
        self.assertTrue(self.signed_in())
        self.assertGreater(self.client.session[LAST_SEEN], stamp)

    def test_it_signs_out_a_page_request_after_thirty_idle_minutes(self):
        self.idle_for(31)
        response = self.client.get("/calendar/")
        self.assertRedirects(response, "/accounts/login/?next=/calendar/", fetch_redirect_response=False)
        self.assertFalse(self.signed_in())
        self.assertRedirects(self.client.get("/"), "/accounts/login/?next=/", fetch_redirect_response=False)
        event = AuditEvent.objects.get(action="auth.idle_logout")
        self.assertEqual(event.actor_id, self.p.staff_a.pk)

    def test_it_keeps_the_query_string_when_it_sends_an_idle_user_to_sign_in(self):
        self.idle_for(31)
        response = self.client.get("/calendar/", {"year": "2026"})
        self.assertRedirects(response, "/accounts/login/?next=/calendar/%3Fyear%3D2026", fetch_redirect_response=False)

    def test_it_answers_an_idle_api_request_with_401_and_the_error_shape(self):
        self.assertEqual(self.client.get("/api/v1/centers").status_code, 200)
        self.idle_for(31)
        self.assert_error_shape(self.client.get("/api/v1/centers"), 401, "not_authenticated")
        self.assertFalse(self.signed_in())
        self.assert_error_shape(self.client.get("/api/v1/centers"), 401, "not_authenticated")

    def test_it_does_not_count_a_poll_as_activity(self):
        stamp = self.idle_for(20)
        self.assertEqual(self.client.get("/", HTTP_X_SH_POLL="1").status_code, 200)
        self.assertEqual(self.client.get("/api/v1/centers", HTTP_X_SH_POLL="1").status_code, 200)
        self.assertEqual(self.client.session[LAST_SEEN], stamp)
        self.client.get("/")
        self.assertGreater(self.client.session[LAST_SEEN], stamp)

    def test_it_signs_out_a_poll_of_an_idle_session_with_401(self):
        self.idle_for(31)
        self.assert_error_shape(self.client.get("/", HTTP_X_SH_POLL="1"), 401, "not_authenticated")
        self.assertFalse(self.signed_in())

    def test_it_follows_the_policy_idle_minutes(self):
        self.idle_for(11)
        self.assertEqual(self.client.get("/").status_code, 200)
        security_policy_update(actor=self.p.secadmin, idle_minutes=10)
        self.idle_for(9)
        self.assertEqual(self.client.get("/").status_code, 200)
        self.idle_for(11)
        self.assertRedirects(self.client.get("/"), "/accounts/login/?next=/", fetch_redirect_response=False)
        self.assertFalse(self.signed_in())

    def test_it_follows_a_shorter_idle_time_when_the_policy_says_so(self):
        security_policy_update(actor=self.p.secadmin, idle_minutes=10)
        self.idle_for(9)
        self.assertEqual(self.client.get("/").status_code, 200)
        self.idle_for(11)
        self.client.get("/")
        self.assertFalse(self.signed_in())

    def test_it_signs_out_an_idle_session_even_when_the_request_carries_an_authorization_header(self):
        # A stolen, idle session cookie must not be revived by adding any Authorization header.
        self.idle_for(31)
        response = self.client.get("/api/v1/centers", HTTP_AUTHORIZATION="Bearer made-up")
        self.assert_error_shape(response, 401, "not_authenticated")
        self.assertFalse(self.signed_in())
        self.login(self.p.staff_a)
        self.idle_for(31)
        response = self.client.get("/calendar/", HTTP_AUTHORIZATION="Bearer made-up")
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith("/accounts/login/"))

    def test_it_still_serves_a_valid_api_key_sent_beside_an_idle_session(self):
        _, raw = api_key_create(actor=None, user=self.p.staff_a)
        self.idle_for(31)
        response = self.client.get("/api/v1/centers", HTTP_AUTHORIZATION=f"Bearer {raw}")
        self.assertEqual(response.status_code, 200)
        self.assertEqual([c["code"] for c in response.json()], [self.p.center_a.code])
        self.assertFalse(self.signed_in())


class LogoutTests(PersonaTestCase):
    def test_it_signs_out_on_post_and_audits_it(self):
        self.login(self.p.manager_a)
        response = self.client.post("/accounts/logout/", REMOTE_ADDR="10.0.0.9")
        self.assertRedirects(response, "/accounts/login/", fetch_redirect_response=False)
        self.assertNotIn(SESSION_KEY, self.client.session)
        event = AuditEvent.objects.get(action="auth.logout")
        self.assertEqual((event.actor_id, event.source_ip), (self.p.manager_a.pk, "10.0.0.9"))

    def test_it_does_not_sign_out_on_get(self):
        self.login(self.p.manager_a)
        self.assertEqual(self.client.get("/accounts/logout/").status_code, 405)
        self.assertIn(SESSION_KEY, self.client.session)
