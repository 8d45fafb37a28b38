"""Roles × pages: who may open what, what the navigation shows, and the audit admin's
read-only status (三权分立: the audit admin reads the audit log and changes nothing)."""

from servicehall.accounts.models import Role, SecurityPolicy, User
from servicehall.audit.models import AuditEvent
from servicehall.org.models import District, ServiceCenter, Window
from servicehall.testing import PersonaTestCase
from servicehall.workcalendar.models import CalendarDay, CalendarYear

PAGES = ["/", "/org/centers/", "/org/centers/new/", "/calendar/", "/audit/", "/accounts/security/",
         "/accounts/users/", "/admin/", "/catalog/", "/inquiries/", "/guide/desk/", "/queue/window/", "/cases/",
         "/cases/new/", "/reviews/rectifications/", "/reviews/figures/", "/accounts/admins/", "/supervision/",
         "/supervision/cards/mine/", "/attendance/", "/attendance/mine/", "/attendance/sheet/", "/attendance/leaves/",
         "/attendance/manage/", "/attendance/figures/",
         "/complaints/", "/complaints/new/", "/complaints/figures/", "/complaints/import/"]
# Reached from a page's button, not from the navigation.
SUB_PAGES = {"/org/centers/new/", "/cases/new/", "/complaints/new/", "/complaints/import/"}
# One link (考勤, 投诉) leads to the first of its pages the role may open; the others are reached
# from it: (its pages, the ones it may link to, in order).
GROUPS = [(["/attendance/", "/attendance/mine/", "/attendance/sheet/", "/attendance/leaves/", "/attendance/manage/",
            "/attendance/figures/"], ["/attendance/", "/attendance/mine/", "/attendance/figures/"]),
          (["/complaints/", "/complaints/figures/"], ["/complaints/", "/complaints/figures/"])]
ADMIN_LOGIN = 302  # the admin site sends everyone but the system admin to its own login

# persona        role               /    centers new  calendar audit security users admin catalog inquiries desk queue cases new-case rectifications review-figures admins supervision my-cards attendance mine sheet leaves manage figures complaints new-complaint complaint-figures import  # noqa: E501
TABLE = [
    ("staff_a",     Role.STAFF,       200, 200, 403, 200, 200, 403, 403, ADMIN_LOGIN, 403, 200, 200, 200, 200, 200, 200, 403, 403, 403, 200, 403, 200, 403, 403, 403, 403, 200, 200, 403, 403),  # noqa: E501
    ("manager_a",   Role.MANAGER,     200, 200, 403, 200, 200, 403, 403, ADMIN_LOGIN, 200, 200, 200, 200, 200, 200, 200, 200, 403, 200, 403, 200, 200, 200, 200, 200, 200, 200, 200, 200, 403),  # noqa: E501
    ("bureau",      Role.BUREAU,      200, 200, 200, 200, 200, 403, 403, ADMIN_LOGIN, 200, 200, 200, 403, 200, 403, 200, 200, 403, 200, 403, 200, 403, 200, 200, 403, 200, 200, 200, 200, 200),  # noqa: E501
    ("city_bureau", Role.CITY_BUREAU, 200, 200, 200, 200, 200, 403, 403, ADMIN_LOGIN, 200, 200, 200, 403, 200, 403, 200, 200, 403, 200, 403, 200, 403, 200, 200, 403, 200, 200, 200, 200, 200),  # noqa: E501
    ("leader",      Role.LEADERSHIP,  200, 200, 403, 200, 403, 403, 403, ADMIN_LOGIN, 200, 403, 200, 403, 200, 403, 200, 200, 403, 200, 403, 403, 403, 403, 403, 403, 200, 200, 403, 200, 403),  # noqa: E501
    ("sysadmin",    Role.SYSADMIN,    200, 403, 403, 403, 403, 403, 200, 200, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403),  # noqa: E501
    ("secadmin",    Role.SECADMIN,    200, 403, 403, 403, 403, 200, 200, ADMIN_LOGIN, 403, 403, 403, 403, 403, 403, 403, 403, 200, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403),  # noqa: E501
    ("auditadmin",  Role.AUDITADMIN,  200, 403, 403, 403, 200, 403, 403, ADMIN_LOGIN, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403),  # noqa: E501
]
ADMIN_INDEX_MARK = 'href="/admin/accounts/user/"'  # the index lists the user model; the login page does not


class RolePageTests(PersonaTestCase):
    def test_it_covers_every_role(self):
        self.assertEqual(sorted(role for _, role, *_ in TABLE), sorted(Role.values))
        for persona, role, *_ in TABLE:
            self.assertEqual(getattr(self.p, persona).role, role)

    def test_it_gives_each_role_exactly_the_expected_status_for_each_page(self):
        for persona, _, *statuses in TABLE:
            self.login(getattr(self.p, persona))
            for page, expected in zip(PAGES, statuses, strict=True):
                with self.subTest(persona=persona, page=page):
                    response = self.client.get(page)
                    self.assertEqual(response.status_code, expected)
                    if page == "/admin/" and expected == ADMIN_LOGIN:
                        self.assertTrue(response["Location"].startswith("/admin/login/"), response["Location"])

    def test_it_shows_the_admin_index_to_the_system_admin_only(self):
        for persona, role, *_ in TABLE:
            with self.subTest(persona=persona):
                response = self.login(getattr(self.p, persona)).get("/admin/", follow=True)
                if role == Role.SYSADMIN:
                    self.assertEqual(response.status_code, 200)
                    self.assertContains(response, ADMIN_INDEX_MARK)
                    self.assertEqual(response.redirect_chain, [])
                else:
                    # The admin's login page refuses anyone already signed in (403).
                    self.assertContains(response, "系统管理后台仅限系统管理员", status_code=403)
                    self.assertNotContains(response, ADMIN_INDEX_MARK, status_code=403)

    def test_it_lists_in_the_navigation_exactly_the_pages_the_role_may_open(self):
        for persona, _, *statuses in TABLE:
            with self.subTest(persona=persona):
                self.login(getattr(self.p, persona))
                nav = [item["url"] for item in self.client.get("/").context["nav"]]
                self.assertEqual(len(nav), len(set(nav)))
                openable = {page for page, status in zip(PAGES, statuses, strict=True) if status == 200} - SUB_PAGES
                expected = set(openable)
                for pages, links in GROUPS:
                    link = next((page for page in links if page in openable), None)
                    expected = expected - set(pages) | ({link} if link else set())
                self.assertEqual(set(nav), expected)
                for url in nav:
                    self.assertEqual(self.client.get(url).status_code, 200, url)

    def test_it_marks_the_current_page_in_the_navigation(self):
        nav = self.login(self.p.bureau).get("/calendar/").context["nav"]
        self.assertEqual([item["url"] for item in nav if item["active"]], ["/calendar/"])
        nav = self.client.get("/org/centers/new/").context["nav"]
        self.assertEqual([item["url"] for item in nav if item["active"]], ["/org/centers/"])

    def test_it_sends_anonymous_visitors_to_sign_in(self):
        for page in PAGES:
            with self.subTest(page=page):
                response = self.client.get(page)
                self.assertEqual(response.status_code, 302)
                login = "/admin/login/" if page == "/admin/" else "/accounts/login/"
                self.assertEqual(response["Location"], f"{login}?next={page}")
        self.assertEqual(self.client.get("/accounts/login/").context["nav"], [])

    def test_it_answers_anonymous_api_calls_with_401_and_the_error_shape(self):
        for url in ("/api/v1/centers", "/api/v1/audit/events"):
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 401)
                body = response.json()
                self.assertEqual(set(body), {"error", "message", "field"})
                self.assertEqual((body["error"], body["field"]), ("not_authenticated", None))
        response = self.client.post("/api/v1/centers", {"code": "X1", "name": "x", "department": "区司法局"},
                                    content_type="application/json")
        self.assertEqual(response.status_code, 401)
        self.assertEqual(ServiceCenter.objects.count(), 4)


class AuditAdminReadOnlyTests(PersonaTestCase):
    """Every write the audit admin tries is refused and changes nothing; the same request from
    the role that may make it does change something, so the refusal is not an accident of
    bad form data."""

    def setUp(self):
        self.events_before = AuditEvent.objects.count()

    def as_auditadmin(self):
        return self.login(self.p.auditadmin)

    def assert_no_audit_admin_writes(self):
        self.assertFalse(AuditEvent.objects.filter(actor_id=self.p.auditadmin.pk, outcome="success")
                         .exclude(action__in=["auth.login", "auth.logout"]).exists())

    def test_it_cannot_create_a_centre(self):
        data = {"name": "龙港区行政服务中心税务分中心", "code": "21140309", "department": self.p.dept_a.pk}
        self.assertEqual(self.as_auditadmin().post("/org/centers/new/", data).status_code, 403)
        self.assertFalse(ServiceCenter.objects.filter(code="21140309").exists())
        self.assert_no_audit_admin_writes()
        self.assertEqual(self.login(self.p.bureau).post("/org/centers/new/", data).status_code, 302)
        self.assertTrue(ServiceCenter.objects.filter(code="21140309").exists())

    def test_it_cannot_create_a_centre_through_the_api(self):
        data = {"code": "21140309", "name": "龙港区行政服务中心税务分中心", "department": "区司法局"}
        response = self.as_auditadmin().post("/api/v1/centers", data, content_type="application/json")
        self.assertEqual(response.status_code, 403)
        self.assertEqual(set(response.json()), {"error", "message", "field"})
        self.assertFalse(ServiceCenter.objects.filter(code="21140309").exists())
        response = self.login(self.p.bureau).post("/api/v1/centers", data, content_type="application/json")
        self.assertEqual(response.status_code, 201)

    def test_it_cannot_edit_a_window(self):
        window = self.p.window_a
        url = f"/org/windows/{window.pk}/edit/"
        data = {"number": 1, "name": "改名窗口", "kind": "acceptance", "opens_at": "08:30", "closes_at": "17:00",
                "is_active": "on"}
        self.assertEqual(self.as_auditadmin().post(url, data).status_code, 403)
        self.assertEqual(Window.objects.get(pk=window.pk).name, "综合受理")
        self.assert_no_audit_admin_writes()
        self.assertEqual(self.login(self.p.manager_a).post(url, data).status_code, 302)
        self.assertEqual(Window.objects.get(pk=window.pk).name, "改名窗口")

    def test_it_cannot_set_delete_or_confirm_calendar_days(self):
        CalendarDay.objects.update_or_create(date="2026-01-01", defaults={"is_workday": False, "name": "元旦"})
        days = sorted(CalendarDay.objects.values_list("date", "is_workday", "name"))
        data = {"date": "2026-03-07", "is_workday": "1", "name": "调休上班"}
        client = self.as_auditadmin()
        self.assertEqual(client.post("/calendar/", data).status_code, 403)
        self.assertEqual(client.post("/calendar/days/2026-01-01/delete/").status_code, 403)
        self.assertEqual(client.post("/calendar/years/2027/confirm/", {"confirmed": "1"}).status_code, 403)
        self.assertEqual(sorted(CalendarDay.objects.values_list("date", "is_workday", "name")), days)
        self.assertFalse(CalendarYear.objects.filter(year=2027, confirmed=True).exists())
        self.assert_no_audit_admin_writes()
        self.assertEqual(self.login(self.p.bureau).post("/calendar/", data).status_code, 302)
        self.assertTrue(CalendarDay.objects.filter(date="2026-03-07", is_workday=True).exists())

    def test_it_cannot_change_the_security_policy(self):
        data = {"password_min_length": 8, "password_min_classes": 3, "password_max_age_days": 90,
                "login_max_failures": 4, "login_lock_minutes": 30, "idle_minutes": 20}
        self.assertEqual(self.as_auditadmin().post("/accounts/security/", data).status_code, 403)
        self.assertFalse(SecurityPolicy.objects.exists())
        self.assert_no_audit_admin_writes()
        self.assertEqual(self.login(self.p.secadmin).post("/accounts/security/", data).status_code, 302)
        self.assertEqual(SecurityPolicy.current().idle_minutes, 20)

    def test_it_cannot_unlock_an_account(self):
        from django.utils import timezone

        from servicehall.accounts.models import LoginFailure

        LoginFailure.objects.create(username=self.p.staff_b.username, source_ip="10.0.0.5", at=timezone.now(),
                                    locks=True)
        url = f"/accounts/users/{self.p.staff_b.pk}/unlock/"
        self.assertEqual(self.as_auditadmin().post(url).status_code, 403)
        self.assertTrue(LoginFailure.objects.exists())
        self.assertRedirects(self.login(self.p.secadmin).post(url), "/accounts/users/", fetch_redirect_response=False)
        self.assertFalse(LoginFailure.objects.exists())
        self.assertTrue(AuditEvent.objects.filter(action="account.unlock", actor_id=self.p.secadmin.pk).exists())

    def test_it_cannot_change_anything_on_the_admin_site(self):
        client = self.as_auditadmin()
        district = {"code": "211404", "name": "南票区"}
        new_user = {"username": "planted", "role": "auditadmin", "full_name": "x",
                    "password1": "Plant#2026x", "password2": "Plant#2026x"}
        attempts = [
            ("/admin/org/district/add/", district),
            ("/admin/accounts/user/add/", new_user),
            (f"/admin/accounts/user/{self.p.auditadmin.pk}/change/", {"username": "auditadmin", "role": "sysadmin"}),
            (f"/admin/accounts/user/{self.p.staff_a.pk}/password/",
             {"password1": "Plant#2026x", "password2": "Plant#2026x"}),
        ]
        for url, data in attempts:
            with self.subTest(url=url):
                response = client.post(url, data)
                self.assertEqual(response.status_code, 302)
                self.assertTrue(response["Location"].startswith("/admin/login/"))
        self.assertFalse(District.objects.filter(code="211404").exists())
        self.assertFalse(User.objects.filter(username="planted").exists())
        self.assertEqual(User.objects.get(pk=self.p.auditadmin.pk).role, Role.AUDITADMIN)
        self.assertFalse(User.objects.get(pk=self.p.staff_a.pk).check_password("Plant#2026x"))
        self.assert_no_audit_admin_writes()
        sysadmin = self.login(self.p.sysadmin)
        self.assertEqual(sysadmin.post("/admin/org/district/add/", district).status_code, 302)
        self.assertTrue(District.objects.filter(code="211404").exists())

    def test_it_still_reads_the_audit_log(self):
        self.assertEqual(self.as_auditadmin().get("/audit/").status_code, 200)
        self.assertEqual(self.client.get("/api/v1/audit/events").status_code, 200)
