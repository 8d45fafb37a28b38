"""Sign-in and lock-out (RULES.md, Security: lock for 15 minutes after 5 failed logins).

The service is driven with an explicit `now`; the login page is driven with real time and a
REMOTE_ADDR, so the audit rows' source address can be checked.
"""

from contextlib import contextmanager
from datetime import timedelta

from django.contrib.auth import SESSION_KEY
from django.test import override_settings
from django.utils import timezone

from servicehall.accounts.models import LoginFailure, SecurityPolicy, User
from servicehall.accounts.services import LoginRefused, account_unlock, login_attempt, security_policy_update
from servicehall.audit.context import current_source_ip
from servicehall.audit.models import AuditEvent
from servicehall.testing import PASSWORD, PersonaTestCase

WRONG = "Wrong#Pass2026"
LOGIN_URL = "/accounts/login/"


@contextmanager
def from_address(ip):
    token = current_source_ip.set(ip)
    try:
        yield
    finally:
        current_source_ip.reset(token)


class LoginServiceTests(PersonaTestCase):
    """The lock holds a name at one address; back-off slows guessing by name and by address.
    Failures are a minute apart unless a test is about back-off (which a minute outlasts)."""

    HOLDER, STRANGER = "10.0.0.1", "10.0.0.66"

    def setUp(self):
        self.now = timezone.now()
        self.user = self.p.staff_a

    def refuse(self, username, password, now=None, ip=STRANGER) -> str:
        with from_address(ip), self.assertRaises(LoginRefused) as caught:
            login_attempt(username=username, password=password, now=now or self.now)
        return caught.exception.message

    def sign_in(self, now=None, ip=HOLDER):
        with from_address(ip):
            return login_attempt(username="staff_a", password=PASSWORD, now=now or self.now)

    def fail_times(self, times, username="staff_a", ip=STRANGER, step=timedelta(minutes=1)) -> list[str]:
        """`times` wrong passwords from `ip`, `step` apart from self.now; self.last is the last."""
        messages = []
        for n in range(times):
            self.last = self.now + n * step
            messages.append(self.refuse(username, WRONG, self.last, ip))
        return messages

    def test_it_signs_in_with_the_right_password(self):
        self.assertEqual(self.sign_in().pk, self.user.pk)
        self.user.refresh_from_db()
        self.assertEqual(self.user.last_login, self.now)

    def test_it_does_not_lock_after_four_wrong_passwords(self):
        self.assertEqual(self.fail_times(4), ["用户名或密码错误"] * 4)
        self.assertEqual(self.sign_in(self.last + timedelta(minutes=1), ip=self.STRANGER).pk, self.user.pk)

    def test_five_wrong_passwords_lock_the_name_at_that_address_for_fifteen_minutes(self):
        messages = self.fail_times(5)
        self.assertIn("锁定", messages[-1])
        self.assertIn("15分钟", self.refuse("staff_a", PASSWORD, self.last))
        self.assertIn("5分钟", self.refuse("staff_a", PASSWORD, self.last + timedelta(minutes=10)))
        self.assertIn("锁定", self.refuse("staff_a", PASSWORD, self.last + timedelta(minutes=14, seconds=59)))
        self.assertEqual(self.sign_in(self.last + timedelta(minutes=15), ip=self.STRANGER).pk, self.user.pk)

    def test_a_stranger_s_guesses_never_lock_the_holder_out_nor_the_device_keys(self):
        from servicehall.accounts.services import api_key_create, api_key_user

        _, key = api_key_create(actor=None, user=self.user)
        self.fail_times(5)
        self.assertIn("锁定", self.refuse("staff_a", PASSWORD, self.last))
        # The holder, at their own terminal, waits out the name's back-off (seconds), no lock.
        self.assertIn("秒后再试", self.refuse("staff_a", PASSWORD, self.last, ip=self.HOLDER))
        self.assertEqual(self.sign_in(self.last + timedelta(seconds=60), ip=self.HOLDER).pk, self.user.pk)
        self.assertEqual(api_key_user(key, now=self.last).pk, self.user.pk)

    def test_quick_guesses_back_off_and_are_not_checked_while_waiting(self):
        self.assertEqual(self.fail_times(3, step=timedelta(0)), ["用户名或密码错误"] * 3)
        waited = self.refuse("staff_a", PASSWORD, self.now)  # the right password, too soon: not even checked
        self.assertIn("请1秒后再试", waited)
        self.assertEqual(self.refuse("staff_a", WRONG, self.now + timedelta(seconds=1)), "用户名或密码错误")
        self.assertIn("请2秒后再试", self.refuse("staff_a", PASSWORD, self.now + timedelta(seconds=1)))
        self.assertEqual(self.sign_in(self.now + timedelta(seconds=3)).pk, self.user.pk)
        self.assertEqual(AuditEvent.objects.filter(action="auth.login_failed", outcome="denied").count(), 2)

    def test_one_address_trying_many_names_backs_off(self):
        for n in range(10):
            self.refuse(f"guess_{n}", WRONG, self.now + timedelta(seconds=20 * n))
        later = self.now + timedelta(seconds=180)
        self.assertIn("秒后再试", self.refuse("staff_a", PASSWORD, later))  # this address, any name
        self.assertEqual(self.sign_in(later, ip=self.HOLDER).pk, self.user.pk)  # other addresses are free

    def test_it_resets_the_failure_count_at_that_address_on_success(self):
        self.fail_times(4)
        self.sign_in(self.last + timedelta(minutes=1), ip=self.STRANGER)
        self.assertFalse(LoginFailure.objects.filter(source_ip=self.STRANGER).exists())
        self.now = self.last + timedelta(minutes=2)
        self.assertEqual(self.fail_times(4), ["用户名或密码错误"] * 4)

    def test_an_unknown_name_gets_the_same_answers_as_an_account(self):
        self.assertEqual(self.refuse("nobody_here", WRONG), self.refuse("staff_a", WRONG, ip="10.0.0.67"))
        self.now += timedelta(minutes=1)
        unknown, known = self.fail_times(5, "nobody_here", "10.0.0.70"), self.fail_times(5, "staff_a", "10.0.0.71")
        self.assertEqual(unknown, known)
        self.assertFalse(User.objects.filter(username="nobody_here").exists())

    def test_it_audits_every_failure_and_the_lock(self):
        self.fail_times(5)
        failures = AuditEvent.objects.filter(action="auth.login_failed", actor_id=self.user.pk).order_by("id")
        self.assertEqual([e.outcome for e in failures], ["failure"] * 5)
        self.assertEqual([e.after["failures_here"] for e in failures], [1, 2, 3, 4, 5])
        self.assertEqual({e.source_ip for e in failures}, {self.STRANGER})
        lock = AuditEvent.objects.get(action="auth.locked")
        self.assertEqual((lock.actor_id, lock.outcome, lock.after), (self.user.pk, "denied",
                                                                      {"source_ip": self.STRANGER, "minutes": 15}))
        self.refuse("staff_a", PASSWORD, self.last + timedelta(minutes=1))
        refused = AuditEvent.objects.filter(action="auth.login_failed", actor_id=self.user.pk).order_by("-id").first()
        self.assertEqual((refused.outcome, refused.after), ("denied", {"reason": "throttled"}))

    def test_it_audits_a_failure_for_an_unknown_username_without_what_was_typed(self):
        """People type their password into the name field: it is never stored."""
        self.refuse("Secret#Pass2026", WRONG)
        self.refuse("Secret#Pass2026", WRONG, self.now + timedelta(minutes=1))
        events = AuditEvent.objects.filter(action="auth.login_failed")
        self.assertEqual([(e.actor_id, e.outcome) for e in events], [(None, "failure")] * 2)
        self.assertEqual(len({e.object_repr for e in events}), 1)  # one fingerprint: repeats still correlate
        self.assertTrue(events[0].object_repr.startswith("未知账号名 ?"))
        stored = [str(e.__dict__) for e in events] + [str(f.__dict__) for f in LoginFailure.objects.all()]
        self.assertFalse([row for row in stored if "Secret" in row])
        self.assertEqual(LoginFailure.objects.count(), 2)

    def test_it_audits_a_successful_login(self):
        self.sign_in()
        event = AuditEvent.objects.get(action="auth.login")
        self.assertEqual((event.actor_id, event.outcome, event.created_at), (self.user.pk, "success", self.now))

    def test_it_refuses_an_inactive_account_with_the_right_password(self):
        User.objects.filter(pk=self.user.pk).update(is_active=False)
        self.assertIn("用户名或密码错误", self.refuse("staff_a", PASSWORD))
        self.assertFalse(AuditEvent.objects.filter(action="auth.login").exists())

    def test_it_follows_the_security_policy_limits(self):
        security_policy_update(actor=self.p.secadmin, login_max_failures=3, login_lock_minutes=30)
        self.assertIn("锁定", self.fail_times(3)[-1])
        self.assertIn("锁定", self.refuse("staff_a", PASSWORD, self.last + timedelta(minutes=29)))
        self.assertEqual(self.sign_in(self.last + timedelta(minutes=30), ip=self.STRANGER).pk, self.user.pk)
        self.assertEqual(SecurityPolicy.current().login_max_failures, 3)

    def test_the_security_admin_s_unlock_clears_every_address(self):
        self.fail_times(5)
        self.fail_times(5, ip="10.0.0.99")
        account_unlock(actor=self.p.secadmin, user=self.user)
        self.assertEqual(self.sign_in(self.last + timedelta(minutes=1), ip=self.STRANGER).pk, self.user.pk)

    def test_parallel_guesses_are_counted_before_they_are_checked(self):
        for _ in range(5):
            LoginFailure.objects.create(username="staff_a", source_ip=self.STRANGER, at=self.now - timedelta(minutes=5))
        with override_settings(SH_LOGIN_BACKOFF_AFTER=100):
            self.assertIn("锁定", self.refuse("staff_a", PASSWORD))


@override_settings(SH_LOGIN_BACKOFF_AFTER=100)  # five quick tries reach the lock, not the back-off
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
        other = self.client.post(LOGIN_URL, {"username": "staff_a", "password": PASSWORD}, REMOTE_ADDR="10.20.30.41")
        self.assertRedirects(other, "/", fetch_redirect_response=False)  # the holder's own terminal

    def test_it_records_outcome_and_source_address_for_each_failure_and_the_lock(self):
        for _ in range(5):
            self.post("staff_a", WRONG)
        self.post("staff_a", PASSWORD)
        rows = AuditEvent.objects.filter(actor_id=self.p.staff_a.pk).order_by("id")
        self.assertEqual([(e.action, e.outcome) for e in rows], [("auth.login_failed", "failure")] * 5 + [
            ("auth.locked", "denied"), ("auth.login_failed", "denied")])  # the right password: refused
        self.assertEqual({e.source_ip for e in rows}, {self.IP})

    def test_it_signs_in_again_once_the_lock_has_run_out(self):
        for _ in range(5):
            self.post("staff_a", WRONG)
        LoginFailure.objects.update(at=timezone.now() - timedelta(minutes=15, seconds=1))
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



@override_settings(SH_LOGIN_BACKOFF_AFTER=100)
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
        for _ in range(5):
            LoginFailure.objects.create(username="sysadmin", source_ip="10.1.1.1", at=timezone.now())
        self.admin_login(PASSWORD)
        self.assertNotIn(SESSION_KEY, self.client.session)
