"""The security policy page /accounts/security/: the security admin's alone (三权分立), kept
within bounds that hold 等保 level 3, and audited."""

from django.test import override_settings

from servicehall.accounts.models import SecurityPolicy
from servicehall.accounts.services import POLICY_LIMITS, security_policy_update
from servicehall.audit.models import AuditEvent
from servicehall.lib.errors import Forbidden, Invalid
from servicehall.testing import PersonaTestCase

URL = "/accounts/security/"
DEFAULTS = {"password_min_length": 8, "password_min_classes": 3, "password_max_age_days": 90,
            "login_max_failures": 5, "login_lock_minutes": 15, "idle_minutes": 30}


def policy_values() -> dict:
    policy = SecurityPolicy.current()
    return {name: getattr(policy, name) for name in DEFAULTS}


class SecurityPolicyPageTests(PersonaTestCase):
    def form_data(self, **changes):
        return {**DEFAULTS, **changes}

    def test_it_starts_from_the_rules_figures(self):
        self.assertEqual(policy_values(), DEFAULTS)

    @override_settings(SH_IDLE_MINUTES=20)
    def test_it_takes_its_defaults_from_settings_until_saved(self):
        self.assertEqual(SecurityPolicy.current().idle_minutes, 20)

    def test_it_opens_for_the_security_admin(self):
        response = self.login(self.p.secadmin).get(URL)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.context["form"].initial["idle_minutes"], 30)

    def test_it_refuses_everyone_else(self):
        others = [self.p.staff_a, self.p.manager_a, self.p.bureau, self.p.city_bureau, self.p.leader,
                  self.p.sysadmin, self.p.auditadmin]
        for user in others:
            with self.subTest(user=user.username):
                self.login(user)
                self.assertEqual(self.client.get(URL).status_code, 403)
                self.assertEqual(self.client.post(URL, self.form_data(idle_minutes=5)).status_code, 403)
        self.assertFalse(SecurityPolicy.objects.exists())
        self.assertFalse(AuditEvent.objects.filter(action="security_policy.update").exists())

    def test_it_sends_an_anonymous_visitor_to_sign_in(self):
        response = self.client.post(URL, self.form_data(idle_minutes=5))
        self.assertRedirects(response, f"/accounts/login/?next={URL}", fetch_redirect_response=False)
        self.assertFalse(SecurityPolicy.objects.exists())

    def test_it_saves_the_policy_and_audits_the_change(self):
        self.login(self.p.secadmin)
        response = self.client.post(URL, self.form_data(idle_minutes=20, login_max_failures=4), REMOTE_ADDR="10.9.8.7")
        self.assertRedirects(response, URL, fetch_redirect_response=False)
        self.assertEqual(policy_values(), {**DEFAULTS, "idle_minutes": 20, "login_max_failures": 4})
        first = AuditEvent.objects.get(action="security_policy.update")
        self.assertEqual((first.actor_id, first.outcome, first.source_ip), (self.p.secadmin.pk, "success", "10.9.8.7"))
        self.assertIsNone(first.before)
        self.assertEqual(first.after["idle_minutes"], 20)

        self.client.post(URL, self.form_data(idle_minutes=15, login_max_failures=4))
        self.assertEqual(SecurityPolicy.objects.count(), 1)
        second = AuditEvent.objects.filter(action="security_policy.update").order_by("-id").first()
        self.assertEqual((second.before["idle_minutes"], second.after["idle_minutes"]), (20, 15))

    def test_it_refuses_values_out_of_bounds_naming_the_field(self):
        self.login(self.p.secadmin)
        for name, (low, high) in POLICY_LIMITS.items():
            label = str(SecurityPolicy._meta.get_field(name).verbose_name)
            for value in (low - 1, high + 1):
                with self.subTest(field=name, value=value):
                    response = self.client.post(URL, self.form_data(**{name: value}))
                    self.assertEqual(response.status_code, 200)
                    errors = response.context["form"].errors
                    self.assertEqual(list(errors), [name])
                    if value >= 0:  # a negative number is already refused by the form field
                        self.assertIn(label, errors[name][0])
                        self.assertIn(f"{low}至{high}", errors[name][0])
        self.assertFalse(SecurityPolicy.objects.exists())
        self.assertFalse(AuditEvent.objects.filter(action="security_policy.update").exists())

    def test_it_accepts_the_bounds_themselves(self):
        self.login(self.p.secadmin)
        for bound in (0, 1):
            values = {name: limits[bound] for name, limits in POLICY_LIMITS.items()}
            self.assertRedirects(self.client.post(URL, values), URL, fetch_redirect_response=False)
            self.assertEqual(policy_values(), values)

    def test_it_refuses_a_value_that_is_not_a_number(self):
        self.login(self.p.secadmin)
        response = self.client.post(URL, self.form_data(idle_minutes="三十"))
        self.assertEqual(list(response.context["form"].errors), ["idle_minutes"])
        self.assertFalse(SecurityPolicy.objects.exists())


class SecurityPolicyServiceTests(PersonaTestCase):
    def test_it_refuses_every_role_but_the_security_admin(self):
        for user in (self.p.sysadmin, self.p.auditadmin, self.p.bureau, self.p.staff_a):
            with self.subTest(user=user.username), self.assertRaises(Forbidden):
                security_policy_update(actor=user, idle_minutes=10)
        self.assertEqual(policy_values(), DEFAULTS)

    def test_it_names_the_field_that_is_out_of_bounds(self):
        with self.assertRaises(Invalid) as caught:
            security_policy_update(actor=self.p.secadmin, idle_minutes=20, login_lock_minutes=2)
        self.assertEqual(caught.exception.field, "login_lock_minutes")
        self.assertIn("锁定时长", caught.exception.message)
        self.assertEqual(policy_values(), DEFAULTS)

    def test_it_refuses_an_unknown_setting(self):
        with self.assertRaises(Invalid) as caught:
            security_policy_update(actor=self.p.secadmin, session_forever=1)
        self.assertEqual(caught.exception.field, "session_forever")
        self.assertFalse(SecurityPolicy.objects.exists())

    def test_it_refuses_a_value_that_is_not_an_integer(self):
        with self.assertRaises(Invalid):
            security_policy_update(actor=self.p.secadmin, idle_minutes="30")
