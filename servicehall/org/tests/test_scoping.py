"""Staff of one centre never see another centre's windows, staff or audit rows (404)."""

from servicehall.audit.services import audit_record
from servicehall.org.models import ServiceCenter, Staff, Window
from servicehall.org.selectors import visible_center_ids
from servicehall.testing import PersonaTestCase


class CenterScopeTests(PersonaTestCase):
    def codes(self, user):
        return set(ServiceCenter.objects.filter(pk__in=visible_center_ids(user)).values_list("code", flat=True))

    def test_it_limits_staff_and_managers_to_their_centres(self):
        self.assertEqual(self.codes(self.p.staff_a), {"21140301"})
        self.assertEqual(self.codes(self.p.manager_b), {"21140302"})

    def test_it_gives_the_district_bureau_its_district_only(self):
        self.assertEqual(self.codes(self.p.bureau), {"21140300", "21140301", "21140302"})
        self.assertEqual(self.codes(self.p.other_bureau), {"21140200"})
        self.assertEqual(self.codes(self.p.leader), {"21140300", "21140301", "21140302"})

    def test_it_gives_the_city_bureau_every_district(self):
        self.assertEqual(self.codes(self.p.city_bureau), {"21140300", "21140301", "21140302", "21140200"})

    def test_it_lets_department_managers_co_manage_their_branch_centres(self):
        from servicehall.accounts.models import Role, User
        from servicehall.org.models import Membership

        dept_manager = User.objects.create_user("dept", role=Role.MANAGER)
        Membership.objects.create(user=dept_manager, department=self.p.dept_b)
        self.assertEqual(self.codes(dept_manager), {"21140302"})

    def test_it_gives_the_security_admin_no_business_data(self):
        self.assertEqual(self.codes(self.p.secadmin), set())

    def test_it_filters_centre_owned_rows_through_for_user(self):
        self.assertEqual(list(Window.objects.for_user(self.p.staff_a)), [self.p.window_a])
        self.assertNotIn(self.p.person_b, Staff.objects.for_user(self.p.staff_a))


class CrossCentrePagesTests(PersonaTestCase):
    def setUp(self):
        self.row_b = audit_record(actor=self.p.manager_b, action="window.update", obj=self.p.window_b,
                                  center=self.p.center_b)
        self.row_a = audit_record(actor=self.p.manager_a, action="window.update", obj=self.p.window_a,
                                  center=self.p.center_a)

    def test_it_answers_404_for_another_centres_pages(self):
        for user in (self.p.staff_a, self.p.manager_a):
            client = self.login(user)
            for url in (
                f"/org/centers/{self.p.center_b.code}/",
                f"/org/centers/{self.p.center_b.code}/edit/",
                f"/org/centers/{self.p.center_b.code}/windows/new/",
                f"/org/windows/{self.p.window_b.pk}/edit/",
                f"/org/windows/{self.p.window_b.pk}/post/",
                f"/org/staff/{self.p.person_b.pk}/",
                f"/org/staff/{self.p.person_b.pk}/edit/",
                f"/audit/{self.row_b.pk}/",
            ):
                with self.subTest(user=user.username, url=url):
                    self.assertEqual(client.get(url).status_code, 404)

    def test_it_answers_404_for_another_centres_api_resources(self):
        for user in (self.p.staff_a, self.p.manager_a):
            client = self.login(user)
            for url in (
                f"/api/v1/windows/{self.p.window_b.pk}",
                f"/api/v1/staff/{self.p.person_b.pk}",
                f"/api/v1/centers/{self.p.center_b.code}/windows",
                f"/api/v1/centers/{self.p.center_b.code}/staff",
                f"/api/v1/audit/events/{self.row_b.pk}",
            ):
                with self.subTest(user=user.username, url=url):
                    response = client.get(url)
                    self.assertEqual(response.status_code, 404)
                    self.assertEqual(response.json()["error"], "not_found")

    def test_it_shows_own_centre_resources(self):
        client = self.login(self.p.manager_a)
        self.assertEqual(client.get(f"/org/centers/{self.p.center_a.code}/").status_code, 200)
        self.assertEqual(client.get(f"/api/v1/windows/{self.p.window_a.pk}").status_code, 200)
        self.assertEqual(client.get(f"/audit/{self.row_a.pk}/").status_code, 200)

    def test_it_lists_only_visible_centres_in_the_api(self):
        codes = [c["code"] for c in self.login(self.p.staff_a).get("/api/v1/centers").json()]
        self.assertEqual(codes, ["21140301"])
        codes = {c["code"] for c in self.login(self.p.other_bureau).get("/api/v1/centers").json()}
        self.assertEqual(codes, {"21140200"})

    def test_it_hides_other_districts_from_a_district_bureau(self):
        client = self.login(self.p.other_bureau)
        self.assertEqual(client.get(f"/org/centers/{self.p.center_a.code}/").status_code, 404)
        self.assertEqual(client.get(f"/api/v1/windows/{self.p.window_a.pk}").status_code, 404)

    def test_it_refuses_writes_to_another_centre_and_changes_nothing(self):
        client = self.login(self.p.manager_a)
        response = client.post(f"/org/windows/{self.p.window_b.pk}/edit/", {
            "number": 9, "name": "改名", "kind": "acceptance", "opens_at": "08:30", "closes_at": "17:00",
            "is_active": "on"})
        self.assertEqual(response.status_code, 404)
        self.p.window_b.refresh_from_db()
        self.assertEqual(self.p.window_b.name, "综合受理")

    def test_it_masks_staff_phone_numbers_in_lists(self):
        data = self.login(self.p.manager_a).get(f"/api/v1/centers/{self.p.center_a.code}/staff").json()
        self.assertIn("138****5678", [s["phone"] for s in data])
        self.assertNotIn("13812345678", str(data))
