"""Sign-in and lock-out (RULES.md, Security: lock for 15 minutes after 5 failed logins).

The service is driven with an explicit `now`; the login page is driven with real time and a
REMOTE_ADDR, so the audit rows' source address can be checked.
"""

from datetime import timedelta

from django.contrib.auth import SESSION_KEY
from django.utils import timezone

from servicehall.accounts.models import SecurityPolicy, User
from servicehall.accounts.services import LoginRefused, login_attempt, security_policy_update
from servicehall.audit.models import AuditEvent
from servicehall.testing import PASSWORD, PersonaTestCase

WRONG = "Wrong#Pass2026"
LOGIN_URL = "/accounts/login/"


class LoginServiceTests(PersonaTestCase):
    def setUp(self):
        self.now = timezone.now()
        self.user = self.p.staff_a

    def refuse(self, username, password, now=None) -> str:
        with self.assertRaises(LoginRefused) as caught:
            login_attempt(username=username, password=password, now=now or self.now)
        return caught.exception.message

    def fail_times(self, times, now=None, username=None):
        return [self.refuse(username or self.user.username, WRONG, now) for _ in range(times)]

    def test_it_signs_in_with_the_right_password(self):
        user = login_attempt(username="staff_a", password=PASSWORD, now=self.now)
        self.assertEqual(user.pk, self.user.pk)
        self.user.refresh_from_db()
        self.assertEqual(self.user.last_login, self.now)

    def test_it_does_not_lock_after_four_wrong_passwords(self):
        self.fail_times(4)
        self.user.refresh_from_db()
        self.assertEqual(self.user.failed_logins, 4)
        self.assertIsNone(self.user.locked_until)
        self.assertEqual(login_attempt(username="staff_a", password=PASSWORD, now=self.now).pk, self.user.pk)

    def test_it_locks_the_account_for_fifteen_minutes_after_five_wrong_passwords(self):
        messages = self.fail_times(5)
        self.assertIn("锁定", messages[-1])
        self.user.refresh_from_db()
        self.assertEqual(self.user.locked_until, self.now + timedelta(minutes=15))

    def test_it_refuses_the_right_password_while_locked(self):
        self.fail_times(5)
        message = self.refuse("staff_a", PASSWORD, self.now + timedelta(minutes=14, seconds=59))
        self.assertIn("锁定", message)

    def test_it_tells_how_many_minutes_the_lock_still_lasts(self):
        self.fail_times(5)
        self.assertIn("15分钟", self.refuse("staff_a", PASSWORD, self.now))
        self.assertIn("5分钟", self.refuse("staff_a", PASSWORD, self.now + timedelta(minutes=10)))
        self.assertIn("1分钟", self.refuse("staff_a", PASSWORD, self.now + timedelta(minutes=14, seconds=30)))

    def test_it_lets_the_right_password_in_again_after_fifteen_minutes(self):
        self.fail_times(5)
        later = self.now + timedelta(minutes=15)
        self.assertEqual(login_attempt(username="staff_a", password=PASSWORD, now=later).pk, self.user.pk)
        self.user.refresh_from_db()
        self.assertEqual(self.user.failed_logins, 0)
        self.assertIsNone(self.user.locked_until)

    def test_it_does_not_count_attempts_made_while_locked(self):
        self.fail_times(5)
        self.fail_times(3, now=self.now + timedelta(minutes=1))
        self.user.refresh_from_db()
        self.assertEqual(self.user.failed_logins, 5)  # stays at the limit until the lock ends
        self.assertEqual(self.user.locked_until, self.now + timedelta(minutes=15))
        self.assertEqual(AuditEvent.objects.filter(action="auth.login_failed", outcome="failure").count(), 5)

    def test_it_resets_the_failure_count_on_success(self):
        self.fail_times(4)
        login_attempt(username="staff_a", password=PASSWORD, now=self.now)
        self.user.refresh_from_db()
        self.assertEqual(self.user.failed_logins, 0)
        self.fail_times(4)
        self.user.refresh_from_db()
        self.assertIsNone(self.user.locked_until)
        self.assertEqual(login_attempt(username="staff_a", password=PASSWORD, now=self.now).pk, self.user.pk)

    def test_it_gives_an_unknown_username_the_same_message_as_a_wrong_password(self):
        unknown = self.refuse("nobody_here", WRONG)
        wrong = self.refuse("staff_a", WRONG)
        self.assertEqual(unknown, wrong)
        self.assertIn("用户名或密码错误", unknown)

    def test_it_does_not_create_or_lock_anything_for_an_unknown_username(self):
        self.fail_times(6, username="nobody_here")
        self.assertFalse(User.objects.filter(username="nobody_here").exists())
        self.assertFalse(User.objects.filter(locked_until__isnull=False).exists())

    def test_it_audits_every_failure_and_the_lock(self):
        self.fail_times(5)
        failures = AuditEvent.objects.filter(action="auth.login_failed", actor_id=self.user.pk).order_by("id")
        self.assertEqual([e.outcome for e in failures], ["failure"] * 5)
        self.assertEqual([e.after["failed_logins"] for e in failures], [1, 2, 3, 4, 5])
        self.assertTrue(all(e.created_at == self.now and e.actor_username == "staff_a" for e in failures))
        lock = AuditEvent.objects.get(action="auth.locked")
        self.assertEqual((lock.actor_id, lock.outcome, lock.object_id), (self.user.pk, "denied", str(self.user.pk)))
        self.refuse("staff_a", PASSWORD, self.now + timedelta(minutes=1))
        refused = AuditEvent.objects.filter(action="auth.login_failed", actor_id=self.user.pk).order_by("-id").first()
        self.assertEqual((refused.outcome, refused.after), ("denied", {"reason": "locked"}))

    def test_it_audits_a_failure_for_an_unknown_username(self):
        self.refuse("nobody_here", WRONG)
        event = AuditEvent.objects.get(action="auth.login_failed")
        self.assertEqual((event.actor_id, event.outcome, event.object_repr), (None, "failure", "nobody_here"))

    def test_it_audits_a_successful_login(self):
        login_attempt(username="staff_a", password=PASSWORD, now=self.now)
        event = AuditEvent.objects.get(action="auth.login")
        self.assertEqual((event.actor_id, event.outcome, event.created_at), (self.user.pk, "success", self.now))

    def test_it_refuses_an_inactive_account_with_the_right_password(self):
        User.objects.filter(pk=self.user.pk).update(is_active=False)
        self.assertIn("用户名或密码错误", self.refuse("staff_a", PASSWORD))
        self.assertFalse(AuditEvent.objects.filter(action="auth.login").exists())

    def test_it_follows_the_security_policy_limits(self):
        security_policy_update(actor=self.p.secadmin, login_max_failures=3, login_lock_minutes=30)
        messages = self.fail_times(3)
        self.assertIn("锁定", messages[-1])
        self.user.refresh_from_db()
        self.assertEqual(self.user.locked_until, self.now + timedelta(minutes=30))
        self.assertIn("锁定", self.refuse("staff_a", PASSWORD, self.now + timedelta(minutes=29)))
        self.assertEqual(login_attempt(username="staff_a", password=PASSWORD,
                                       now=self.now + timedelta(minutes=30)).pk, self.user.pk)
        self.assertEqual(SecurityPolicy.current().login_max_failures, 3)


class LoginPageTests(PersonaTestCase):
    IP = "10.20.30.40"

    def post(self, username, password, **extra):
        return self.client.post(LOGIN_URL, {"username": username, "password": password, **extra}, REMOTE_ADDR=self.IP)

    def page_error(self, response) -> str:
        self.assertEqual(response.status_code, 200)
        return " ".join(response.context["form"].non_field_errors())

    def signed_in_user_id(self):
        return self.client.session.get(SESSION_KEY)

    def test_it_signs_in_and_redirects_home(self):
        response = self.post("staff_a", PASSWORD)
        self.assertRedirects(response, "/", fetch_redirect_response=False)
        self.assertEqual(str(self.signed_in_user_id()), str(self.p.staff_a.pk))
        event = AuditEvent.objects.get(action="auth.login")
        self.assertEqual((event.actor_id, event.source_ip), (self.p.staff_a.pk, self.IP))

    def test_it_locks_the_account_after_five_wrong_passwords_on_the_page(self):
        for _ in range(4):
            self.assertIn("用户名或密码错误", self.page_error(self.post("staff_a", WRONG)))
        self.assertIn("锁定", self.page_error(self.post("staff_a", WRONG)))
        message = self.page_error(self.post("staff_a", PASSWORD))
        self.assertIn("锁定", message)
        self.assertIsNone(self.signed_in_user_id())
        user = User.objects.get(pk=self.p.staff_a.pk)
        self.assertTrue(user.is_locked(timezone.now()))
        self.assertFalse(user.is_locked(timezone.now() + timedelta(minutes=15, seconds=1)))

    def test_it_records_outcome_and_source_address_for_each_failure_and_the_lock(self):
        for _ in range(5):
            self.post("staff_a", WRONG)
        self.post("staff_a", PASSWORD)
        rows = AuditEvent.objects.filter(actor_id=self.p.staff_a.pk).order_by("id")
        self.assertEqual([(e.action, e.outcome) for e in rows], [("auth.login_failed", "failure")] * 5 + [
            ("auth.locked", "denied"), ("auth.login_failed", "denied")])
        self.assertEqual({e.source_ip for e in rows}, {self.IP})

    def test_it_signs_in_again_once_the_lock_has_run_out(self):
        for _ in range(5):
            self.post("staff_a", WRONG)
        User.objects.filter(pk=self.p.staff_a.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
        self.assertRedirects(self.post("staff_a", PASSWORD), "/", fetch_redirect_response=False)
        self.assertEqual(str(self.signed_in_user_id()), str(self.p.staff_a.pk))

    def test_it_shows_an_unknown_username_the_same_message_as_a_wrong_password(self):
        unknown = self.page_error(self.post("nobody_here", WRONG))
        wrong = self.page_error(self.post("staff_a", WRONG))
        self.assertEqual(unknown, wrong)
        self.assertIn("用户名或密码错误", unknown)
        event = AuditEvent.objects.filter(action="auth.login_failed", actor_id__isnull=True).get()
        self.assertEqual((event.outcome, event.source_ip), ("failure", self.IP))

    def test_it_requires_both_fields(self):
        response = self.client.post(LOGIN_URL, {"username": "", "password": ""})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(set(response.context["form"].errors), {"username", "password"})
        self.assertFalse(AuditEvent.objects.exists())

    def test_it_follows_a_local_next_url(self):
        response = self.post("staff_a", PASSWORD, next="/calendar/?year=2026")
        self.assertRedirects(response, "/calendar/?year=2026", fetch_redirect_response=False)

    def test_it_refuses_to_redirect_to_another_site(self):
        for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
            self.client.logout()
            response = self.post("staff_a", PASSWORD, next=target)
            self.assertRedirects(response, "/", fetch_redirect_response=False, msg_prefix=target)



class AdminLoginTests(PersonaTestCase):
    """The admin site's own login form must not be a side door around the lock-out: whatever
    it does, five wrong passwords and a lock must keep the right password out."""

    def setUp(self):
        User.objects.filter(pk=self.p.sysadmin.pk).update(is_staff=True)  # as account_create makes it

    def admin_login(self, password):
        return self.client.post("/admin/login/?next=/admin/", {"username": "sysadmin", "password": password,
                                                               "next": "/admin/"}, REMOTE_ADDR="10.1.1.1")

    def test_it_does_not_let_the_admin_login_guess_passwords_past_the_limit(self):
        for _ in range(5):
            self.admin_login(WRONG)
        self.admin_login(PASSWORD)
        self.assertNotIn(SESSION_KEY, self.client.session)

    def test_it_sends_the_admin_login_to_the_platform_login(self):
        response = self.client.get("/admin/login/?next=/admin/accounts/user/")
        self.assertRedirects(response, "/accounts/login/?next=/admin/accounts/user/", fetch_redirect_response=False)
        self.client.force_login(self.p.bureau)
        self.assertEqual(self.client.get("/admin/login/").status_code, 403)

    def test_it_refuses_a_locked_account_on_the_admin_login(self):
        User.objects.filter(pk=self.p.sysadmin.pk).update(locked_until=timezone.now() + timedelta(minutes=15))
        self.admin_login(PASSWORD)
        self.assertNotIn(SESSION_KEY, self.client.session)
