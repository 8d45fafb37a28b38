"""Password rules (RULES.md, Security: at least 8 characters mixing three classes, changed
every 90 days), on the change page /accounts/password/ and in the service."""

from datetime import timedelta

from django.contrib.auth import SESSION_KEY
from django.contrib.messages import get_messages
from django.test import override_settings
from django.utils import timezone

from servicehall.accounts.models import LoginFailure, User
from servicehall.accounts.passwords import character_classes
from servicehall.accounts.services import password_change, security_policy_update
from servicehall.audit.models import AuditEvent
from servicehall.lib.errors import Invalid
from servicehall.testing import PASSWORD, PersonaTestCase

CHANGE_URL = "/accounts/password/"
GOOD = "Qz7#kLm2xw"


class PasswordRuleTests(PersonaTestCase):
    def setUp(self):
        self.user = self.p.staff_a
        self.login(self.user)

    def change(self, new, old=PASSWORD, again=None):
        return self.client.post(CHANGE_URL, {"old_password": old, "new_password": new,
                                             "new_password2": new if again is None else again})

    def refused(self, response, field="new_password") -> str:
        self.assertEqual(response.status_code, 200)
        errors = response.context["form"].errors
        self.assertIn(field, errors, errors)
        self.assertTrue(User.objects.get(pk=self.user.pk).check_password(PASSWORD), "password changed anyway")
        self.assertFalse(AuditEvent.objects.filter(action="auth.password_change").exists())
        return " ".join(errors[field])

    def test_it_counts_character_classes(self):
        self.assertEqual([character_classes(p) for p in ("abcdefgh", "abcDEF", "abc123", "aB3", "aB3#", "密码Ab1")],
                         [1, 2, 2, 3, 4, 3])

    def test_it_refuses_a_password_shorter_than_eight_characters(self):
        message = self.refused(self.change("Ab1#xyz"))
        self.assertIn("至少需要8个字符", message)

    def test_it_refuses_a_password_with_only_two_character_classes(self):
        for weak in ("kqzvtrwm7381", "KQZVtrwmpxsn", "kqzv#trw!mps"):
            message = self.refused(self.change(weak))
            self.assertIn("至少3类", message, weak)

    def test_it_refuses_a_wrong_old_password(self):
        message = self.refused(self.change(GOOD, old="Not#ThePass1"), field="old_password")
        self.assertIn("原密码不正确", message)

    def test_it_refuses_a_confirmation_that_does_not_match(self):
        message = self.refused(self.change(GOOD, again=GOOD + "x"), field="new_password2")
        self.assertIn("不一致", message)

    def test_it_refuses_the_old_password_as_the_new_one(self):
        self.assertIn("不能与原密码相同", self.refused(self.change(PASSWORD)))

    def test_it_changes_a_good_password_and_keeps_the_user_signed_in(self):
        response = self.change(GOOD)
        self.assertRedirects(response, "/", fetch_redirect_response=False)
        user = User.objects.get(pk=self.user.pk)
        self.assertTrue(user.check_password(GOOD))
        self.assertLess(timezone.now() - user.password_changed_at, timedelta(minutes=1))
        self.assertEqual(str(self.client.session[SESSION_KEY]), str(self.user.pk))
        self.assertEqual(self.client.get("/").status_code, 200)
        event = AuditEvent.objects.get(action="auth.password_change")
        self.assertEqual(event.actor_id, self.user.pk)
        self.assertNotIn(GOOD, str(event.after) + str(event.before) + event.object_repr)

    def test_it_sends_pages_to_the_change_page_once_the_password_is_older_than_90_days(self):
        User.objects.filter(pk=self.user.pk).update(password_changed_at=timezone.now() - timedelta(days=91))
        for page in ("/", "/org/centers/", "/calendar/", "/audit/"):
            self.assertRedirects(self.client.get(page), CHANGE_URL, fetch_redirect_response=False, msg_prefix=page)
        self.assertEqual(self.client.get(CHANGE_URL).status_code, 200)

    def test_it_does_not_send_a_password_of_89_days_to_the_change_page(self):
        User.objects.filter(pk=self.user.pk).update(password_changed_at=timezone.now() - timedelta(days=89))
        self.assertEqual(self.client.get("/").status_code, 200)

    def test_it_lets_the_user_proceed_after_changing_an_expired_password(self):
        User.objects.filter(pk=self.user.pk).update(password_changed_at=timezone.now() - timedelta(days=200))
        self.assertRedirects(self.client.get("/calendar/"), CHANGE_URL, fetch_redirect_response=False)
        self.assertRedirects(self.change(GOOD), "/", fetch_redirect_response=False)
        self.assertEqual(self.client.get("/calendar/").status_code, 200)
        self.assertEqual(self.client.get("/").status_code, 200)

    def test_it_follows_the_policy_maximum_age(self):
        User.objects.filter(pk=self.user.pk).update(password_changed_at=timezone.now() - timedelta(days=40))
        self.assertEqual(self.client.get("/").status_code, 200)
        security_policy_update(actor=self.p.secadmin, password_max_age_days=30)
        self.assertRedirects(self.client.get("/"), CHANGE_URL, fetch_redirect_response=False)
        security_policy_update(actor=self.p.secadmin, password_max_age_days=60)
        self.assertEqual(self.client.get("/").status_code, 200)

    def test_it_follows_the_policy_minimum_length_and_classes_in_the_service(self):
        now = timezone.now()
        security_policy_update(actor=self.p.secadmin, password_min_length=12, password_min_classes=4)
        with self.assertRaises(Invalid) as caught:
            password_change(actor=self.user, old_password=PASSWORD, new_password="Qz7#kLm2xw", now=now)
        self.assertEqual(caught.exception.field, "new_password")
        self.assertIn("12", caught.exception.message)
        with self.assertRaises(Invalid) as caught:
            password_change(actor=self.user, old_password=PASSWORD, new_password="Qz7kLm2xwPtr", now=now)
        self.assertIn("至少4类", caught.exception.message)
        password_change(actor=self.user, old_password=PASSWORD, new_password="Qz7#kLm2xwPt", now=now)
        self.user.refresh_from_db()
        self.assertEqual(self.user.password_changed_at, now)


class PasswordAgeTests(PersonaTestCase):
    """No account escapes the 90-day rule, however its password was set."""

    def test_it_dates_a_password_without_a_change_date_from_the_account_creation(self):
        user = User.objects.create_user("newcomer", password=GOOD)  # as createsuperuser does
        self.assertIsNone(user.password_changed_at)
        now = timezone.now()
        self.assertFalse(user.password_expired(now, 90))
        User.objects.filter(pk=user.pk).update(date_joined=now - timedelta(days=91))
        self.client.force_login(user)
        self.assertRedirects(self.client.get("/"), CHANGE_URL, fetch_redirect_response=False)

    def test_an_account_added_on_the_admin_site_changes_its_password_first_then_every_90_days(self):
        self.login(self.p.sysadmin)
        response = self.client.post("/admin/accounts/user/add/", {
            "username": "admin_made", "role": "staff", "password1": GOOD, "password2": GOOD})
        self.assertEqual(response.status_code, 302)
        user = User.objects.get(username="admin_made")
        now = timezone.now()
        self.assertTrue(user.must_change_password)
        self.assertTrue(user.password_expired(now, 90))  # the admin knows it: changed before anything else
        User.objects.filter(pk=user.pk).update(must_change_password=False)
        user.refresh_from_db()
        self.assertFalse(user.password_expired(now, 90))
        self.assertTrue(user.password_expired(now + timedelta(days=91), 90))

    def test_it_prefers_the_change_date_to_the_creation_date(self):
        now = timezone.now()
        user = User(date_joined=now - timedelta(days=400), password_changed_at=now - timedelta(days=10))
        self.assertFalse(user.password_expired(now, 90))
        self.assertTrue(user.password_expired(now, 9))
        self.assertFalse(user.password_expired(now + timedelta(days=1000), 0))


class AdminPasswordResetTests(PersonaTestCase):
    def test_it_audits_a_password_reset_on_the_admin_site(self):
        self.login(self.p.sysadmin)
        url = f"/admin/accounts/user/{self.p.staff_b.pk}/password/"
        response = self.client.post(url, {"password1": GOOD, "password2": GOOD, "usable_password": "true"},
                                    REMOTE_ADDR="10.3.3.3")
        self.assertEqual(response.status_code, 302)
        self.assertTrue(User.objects.get(pk=self.p.staff_b.pk).check_password(GOOD))
        event = AuditEvent.objects.get(action="account.password_reset", object_id=str(self.p.staff_b.pk))
        self.assertEqual((event.actor_id, event.source_ip, event.after),
                         (self.p.sysadmin.pk, "10.3.3.3", {"下次登录须修改密码": True}))
        self.assertTrue(User.objects.get(pk=self.p.staff_b.pk).must_change_password)

    def test_it_does_not_audit_a_refused_reset(self):
        self.login(self.p.sysadmin)
        url = f"/admin/accounts/user/{self.p.staff_b.pk}/password/"
        response = self.client.post(url, {"password1": "short", "password2": "short", "usable_password": "true"})
        self.assertEqual(response.status_code, 200)
        self.assertTrue(User.objects.get(pk=self.p.staff_b.pk).check_password(PASSWORD))
        self.assertFalse(AuditEvent.objects.filter(action__in=["admin.change", "account.password_reset"]).exists())
        self.assertFalse(User.objects.get(pk=self.p.staff_b.pk).must_change_password)


@override_settings(SH_LOGIN_BACKOFF_AFTER=100)  # five quick tries reach the lock, not the back-off
class OldPasswordGuessTests(PersonaTestCase):
    def test_it_locks_the_account_and_signs_out_after_too_many_wrong_old_passwords(self):
        client = self.login(self.p.staff_a)
        for attempt in range(5):
            response = client.post("/accounts/password/",
                                   {"old_password": f"Wrong#{attempt}x", "new_password": "Brand#New2026",
                                    "new_password2": "Brand#New2026"})
            if attempt < 4:
                self.assertContains(response, 'data-field="old_password"')
        self.assertRedirects(response, "/accounts/login/", fetch_redirect_response=False)  # signed out
        self.assertIn("已锁定15分钟", [str(m) for m in get_messages(response.wsgi_request)][0])
        self.assertTrue(LoginFailure.objects.filter(username="staff_a", locks=True).exists())
        self.assertRedirects(client.get("/"), "/accounts/login/?next=/", fetch_redirect_response=False)
        self.assertTrue(self.p.staff_a.check_password(PASSWORD))
