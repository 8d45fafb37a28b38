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

    def test_it_keeps_the_system_admin_from_changing_its_own_role(self):
        client = self.login(self.p.sysadmin)
        url = f"/admin/accounts/user/{self.p.sysadmin.pk}/change/"
        page = client.get(url)
        self.assertNotContains(page, 'name="role"')
        client.post(url, {"username": "sysadmin", "role": "auditadmin", "full_name": "x", "is_active": "on"})
        self.p.sysadmin.refresh_from_db()
        self.assertEqual(self.p.sysadmin.role, "sysadmin")
        other = f"/admin/accounts/user/{self.p.staff_a.pk}/change/"
        self.assertContains(client.get(other), 'name="role"')

    def test_it_keeps_the_security_and_audit_admins_out_of_the_system_admins_reach(self):
        client = self.login(self.p.sysadmin)
        for target in (self.p.secadmin, self.p.auditadmin):
            with self.subTest(target=target.username):
                client.post(f"/admin/accounts/user/{target.pk}/change/", {"username": target.username, "role": "staff"})
                client.post(f"/admin/accounts/user/{target.pk}/password/",
                            {"password1": "Taken#Over2026", "password2": "Taken#Over2026"})
                target.refresh_from_db()
                self.assertIn(target.role, {"secadmin", "auditadmin"})
                self.assertFalse(target.check_password("Taken#Over2026"))
        page = client.get(f"/admin/accounts/user/{self.p.staff_a.pk}/change/").content.decode()
        self.assertNotIn('value="auditadmin"', page)
