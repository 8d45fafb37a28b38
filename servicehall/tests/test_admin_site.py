"""The Django admin is the system admin's alone, and its changes are audited."""

from servicehall.accounts.models import User
from servicehall.audit.models import AuditEvent
from servicehall.testing import PersonaTestCase


class AdminSiteTests(PersonaTestCase):
    def test_it_admits_only_the_system_admin(self):
        self.assertEqual(self.login(self.p.sysadmin).get("/admin/").status_code, 200)
        for user in (self.p.secadmin, self.p.auditadmin, self.p.bureau, self.p.manager_a):
            with self.subTest(user=user.username):
                response = self.login(user).get("/admin/accounts/user/")
                self.assertEqual(response.status_code, 302)
                self.assertIn("/admin/login/", response["Location"])

    def test_it_audits_an_account_created_in_the_admin(self):
        response = self.login(self.p.sysadmin).post("/admin/accounts/user/add/", {
            "username": "new_clerk", "role": "staff", "full_name": "新人",
            "password1": "Clerk#2026x", "password2": "Clerk#2026x"})
        self.assertEqual(response.status_code, 302, response.content.decode()[:2000])
        user = User.objects.get(username="new_clerk")
        event = AuditEvent.objects.get(action="admin.add", object_id=str(user.pk))
        self.assertEqual(event.actor_username, "sysadmin")
        self.assertNotIn("password", event.after)

    def test_it_refuses_a_weak_password_in_the_admin(self):
        response = self.login(self.p.sysadmin).post("/admin/accounts/user/add/", {
            "username": "weak", "role": "staff", "password1": "abcdefgh", "password2": "abcdefgh"})
        self.assertEqual(response.status_code, 200)
        self.assertFalse(User.objects.filter(username="weak").exists())

    def test_it_shows_the_system_admin_business_accounts_only_never_an_admin_s(self):
        """三权分立: the admins' accounts, its own included, are the security admin's."""
        client = self.login(self.p.sysadmin)
        listed = client.get("/admin/accounts/user/").content.decode()
        self.assertIn(self.p.staff_a.username, listed)
        for target in (self.p.sysadmin, self.p.secadmin, self.p.auditadmin):
            with self.subTest(target=target.username):
                self.assertNotIn(f"/admin/accounts/user/{target.pk}/change/", listed)
                client.post(f"/admin/accounts/user/{target.pk}/change/", {"username": target.username, "role": "staff"})
                client.post(f"/admin/accounts/user/{target.pk}/password/",
                            {"password1": "Taken#Over2026", "password2": "Taken#Over2026", "usable_password": "true"})
                target.refresh_from_db()
                self.assertIn(target.role, {"sysadmin", "secadmin", "auditadmin"})
                self.assertFalse(target.check_password("Taken#Over2026"))
        page = client.get(f"/admin/accounts/user/{self.p.staff_a.pk}/change/").content.decode()
        self.assertIn('name="role"', page)
        for role in ("sysadmin", "secadmin", "auditadmin"):
            self.assertNotIn(f'value="{role}"', page)
            self.assertNotIn(f'value="{role}"', client.get("/admin/accounts/user/add/").content.decode())

    def test_it_refuses_to_create_an_admin_account(self):
        client = self.login(self.p.sysadmin)
        for role in ("sysadmin", "secadmin", "auditadmin"):
            with self.subTest(role=role):
                response = client.post("/admin/accounts/user/add/", {
                    "username": f"new_{role}", "role": role, "password1": "Clerk#2026x", "password2": "Clerk#2026x"})
                self.assertEqual(response.status_code, 200)
                self.assertFalse(User.objects.filter(username=f"new_{role}").exists())
