"""三权分立, tried as each admin would: every admin against every admin action, judged by what
changed; and a password someone else set never lets them act as its holder unnoticed."""

from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from servicehall.accounts.models import LoginFailure, SecurityPolicy, User
from servicehall.audit.models import AuditEvent
from servicehall.testing import PASSWORD, PersonaTestCase

NEW = "Fresh#Pass2026"
ADMIN_PERSONAS = ("sysadmin", "secadmin", "auditadmin")


class AdminActionTests(PersonaTestCase):
    """Each action is tried through its page; it took effect or changed nothing."""

    def lock(self, user):
        LoginFailure.objects.create(username=user.username, source_ip="10.0.0.66", at=timezone.now(), locks=True)

    def create_business_account(self, client):
        client.post("/admin/accounts/user/add/", {"username": "made_clerk", "role": "staff",
                                                  "password1": NEW, "password2": NEW})
        return User.objects.filter(username="made_clerk").exists()

    def create_admin_account(self, client):
        client.post("/accounts/admins/", {"username": "made_secadmin", "role": "secadmin", "full_name": "新安全员",
                                          "password": NEW, "password2": NEW})
        return User.objects.filter(username="made_secadmin", role="secadmin").exists()

    def create_admin_in_the_admin_site(self, client):
        client.post("/admin/accounts/user/add/", {"username": "made_auditor", "role": "auditadmin",
                                                  "password1": NEW, "password2": NEW})
        return User.objects.filter(username="made_auditor").exists()

    def reset_business_password(self, client):
        client.post(f"/admin/accounts/user/{self.p.staff_a.pk}/password/",
                    {"password1": NEW, "password2": NEW, "usable_password": "true"})
        return User.objects.get(pk=self.p.staff_a.pk).check_password(NEW)

    def reset_admin_password(self, client):
        client.post(f"/accounts/admins/{self.p.auditadmin.pk}/password/", {"password": NEW, "password2": NEW})
        return User.objects.get(pk=self.p.auditadmin.pk).check_password(NEW)

    def reset_security_admin_password_in_the_admin_site(self, client):
        client.post(f"/admin/accounts/user/{self.p.secadmin.pk}/password/",
                    {"password1": NEW, "password2": NEW, "usable_password": "true"})
        return User.objects.get(pk=self.p.secadmin.pk).check_password(NEW)

    def deactivate_admin(self, client):
        client.post(f"/accounts/admins/{self.p.auditadmin.pk}/active/", {"active": "0"})
        return not User.objects.get(pk=self.p.auditadmin.pk).is_active

    def edit_security_policy(self, client):
        client.post("/accounts/security/", {"password_min_length": 12, "password_min_classes": 3,
                                            "password_max_age_days": 60, "login_max_failures": 5,
                                            "login_lock_minutes": 15, "idle_minutes": 30})
        return SecurityPolicy.current().password_min_length == 12

    def unlock_business_account(self, client):
        self.lock(self.p.staff_b)
        client.post(f"/accounts/users/{self.p.staff_b.pk}/unlock/")
        return not LoginFailure.objects.filter(username=self.p.staff_b.username).exists()

    def unlock_admin_account(self, client):
        self.lock(self.p.auditadmin)
        client.post(f"/accounts/users/{self.p.auditadmin.pk}/unlock/")
        return not LoginFailure.objects.filter(username=self.p.auditadmin.username).exists()

    def read_audit_log(self, client):
        return client.get("/audit/").status_code == 200

    def verify_audit_chain(self, client):
        client.post("/audit-verify/")
        return AuditEvent.objects.filter(action="audit.verify").exists()

    def enter_admin_site(self, client):
        return client.get("/admin/").status_code == 200

    EXPECTED = {  # action → the admins it works for
        "create_business_account": {"sysadmin"},
        "create_admin_account": {"secadmin"},
        "create_admin_in_the_admin_site": set(),
        "reset_business_password": {"sysadmin"},
        "reset_admin_password": {"secadmin"},
        "reset_security_admin_password_in_the_admin_site": set(),
        "deactivate_admin": {"secadmin"},
        "edit_security_policy": {"secadmin"},
        "unlock_business_account": {"sysadmin", "secadmin"},
        "unlock_admin_account": {"secadmin"},
        "read_audit_log": {"auditadmin"},
        "verify_audit_chain": {"auditadmin"},
        "enter_admin_site": {"sysadmin"},
    }

    def test_every_admin_against_every_admin_action(self):
        for action, allowed in self.EXPECTED.items():
            for persona in ADMIN_PERSONAS:
                with self.subTest(action=action, admin=persona):
                    sid = self.savepoint()
                    try:
                        took_effect = getattr(self, action)(self.login(getattr(self.p, persona)))
                        self.assertEqual(took_effect, persona in allowed)
                    finally:
                        self.rollback(sid)

    def savepoint(self):
        from django.db import transaction

        return transaction.savepoint()

    def rollback(self, sid):
        from django.db import transaction

        transaction.savepoint_rollback(sid)
        self.client.logout()

    def test_the_audit_admin_changes_nothing_but_its_own_password(self):
        from servicehall.accounts.permissions import actions

        allowed = {code for code, found in actions().items() if "auditadmin" in found.roles}
        self.assertEqual(allowed, {"account.password", "audit.read", "audit.verify", "home.view"})


class PasswordSetByAnotherTests(PersonaTestCase):
    def test_a_reset_password_must_be_changed_and_the_reset_is_seen_by_the_security_and_audit_admins(self):
        self.login(self.p.sysadmin).post(f"/admin/accounts/user/{self.p.staff_a.pk}/password/",
                                         {"password1": NEW, "password2": NEW, "usable_password": "true"})
        self.client.logout()
        # Whoever signs in with it (the admin who chose it, say) can do nothing but change it.
        response = self.client.post("/accounts/login/", {"username": self.p.staff_a.username, "password": NEW})
        self.assertEqual(response.status_code, 302)
        for page in ("/", "/cases/", "/queue/window/"):
            self.assertRedirects(self.client.get(page), "/accounts/password/", fetch_redirect_response=False)
        answer = self.client.get(f"/api/v1/centers/{self.p.center_a.code}/hall")
        self.assertEqual((answer.status_code, answer.json()["error"]), (403, "password_change_required"))
        self.client.post("/accounts/password/", {"old_password": NEW, "new_password": "Mine#Only2026",
                                                 "new_password2": "Mine#Only2026"})
        self.assertEqual(self.client.get("/cases/").status_code, 200)
        self.assertFalse(User.objects.get(pk=self.p.staff_a.pk).must_change_password)

        events = self.login(self.p.secadmin).get("/accounts/users/").content.decode()
        self.assertIn("重置密码", events)
        self.assertIn(self.p.staff_a.display_name, events)
        self.assertNotIn("最近的账号事件", self.login(self.p.sysadmin).get("/accounts/users/").content.decode())
        trail = self.login(self.p.auditadmin).get("/audit/?action=account.password_reset").content.decode()
        self.assertIn(self.p.sysadmin.username, trail)
        self.assertIn(self.p.staff_a.display_name, trail)
        self.assertNotIn(self.p.staff_b.display_name, trail)

    def test_the_security_admin_s_reset_of_an_admin_is_forced_the_same_way(self):
        self.login(self.p.secadmin).post(f"/accounts/admins/{self.p.sysadmin.pk}/password/",
                                         {"password": NEW, "password2": NEW})
        sysadmin = User.objects.get(pk=self.p.sysadmin.pk)
        self.assertTrue(sysadmin.must_change_password)
        self.client.force_login(sysadmin)
        self.assertRedirects(self.client.get("/admin/"), "/accounts/password/", fetch_redirect_response=False)

    def test_nobody_switches_off_their_own_or_the_last_security_admin(self):
        client = self.login(self.p.secadmin)
        client.post(f"/accounts/admins/{self.p.secadmin.pk}/active/", {"active": "0"})
        self.assertTrue(User.objects.get(pk=self.p.secadmin.pk).is_active)
        second = User.objects.create_user("secadmin2", password=PASSWORD, role="secadmin")
        client.post(f"/accounts/admins/{second.pk}/active/", {"active": "0"})
        self.assertFalse(User.objects.get(pk=second.pk).is_active)


class CreateAdminsTests(PersonaTestCase):
    def test_it_creates_the_first_of_each_admin_once_with_a_password_to_change(self):
        User.objects.filter(role__in=["sysadmin", "secadmin", "auditadmin"]).delete()
        out = StringIO()
        call_command("create_admins", "--prefix", "lg_", stdout=out)
        created = User.objects.filter(username__in=["lg_sysadmin", "lg_secadmin", "lg_auditadmin"])
        self.assertEqual(sorted(u.role for u in created), ["auditadmin", "secadmin", "sysadmin"])
        self.assertTrue(all(u.must_change_password for u in created))
        line = next(x for x in out.getvalue().splitlines() if "lg_secadmin" in x)
        password = line.split("初始密码 ")[1].split("（")[0]
        self.assertTrue(User.objects.get(username="lg_secadmin").check_password(password))
        again = StringIO()
        call_command("create_admins", stdout=again)
        self.assertEqual(User.objects.filter(role__in=["sysadmin", "secadmin", "auditadmin"]).count(), 3)
        self.assertEqual(again.getvalue().count("已存在"), 3)
