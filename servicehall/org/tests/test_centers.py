"""Branch centres: the notice's naming pattern, who may create them, the API contract."""

from servicehall.audit.models import AuditEvent
from servicehall.lib.errors import Forbidden, Invalid
from servicehall.org.models import ServiceCenter, branch_name_error
from servicehall.org.services import center_create, center_update
from servicehall.testing import PersonaTestCase

GOOD = "龙港区行政服务中心档案分中心"


class BranchNameTests(PersonaTestCase):
    def test_it_accepts_names_of_the_notice_pattern(self):
        for name in (GOOD, "龙港区行政服务中心税务分中心", "龙港区行政服务中心市场监管龙湾分中心"):
            self.assertIsNone(branch_name_error(name, "龙港区"), name)

    def test_it_refuses_names_that_do_not_fit_and_shows_the_pattern(self):
        for name in ("龙港区档案分中心", "连山区行政服务中心档案分中心", "龙港区行政服务中心分中心",
                     "龙港区行政服务中心档案中心", "龙港区行政服务中心 档案 分中心", "档案分中心", "",
                     "龙港区行政服务中心龙港区行政服务中心档案分中心"):
            with self.subTest(name=name):
                message = branch_name_error(name, "龙港区")
                self.assertIn("龙港区行政服务中心XX分中心", message)

    def test_it_checks_the_name_against_the_centres_own_district(self):
        with self.assertRaises(Invalid) as raised:
            center_create(actor=self.p.city_bureau, code="21140209", name="龙港区行政服务中心档案分中心",
                          department=self.p.other_center.department, district=self.p.other_district)
        self.assertEqual(raised.exception.field, "name")
        self.assertIn("连山区行政服务中心XX分中心", raised.exception.message)


class CenterCreateTests(PersonaTestCase):
    def test_it_lets_the_bureau_create_a_branch_with_an_audit_row(self):
        center = center_create(actor=self.p.bureau, code="21140309", name=GOOD, department=self.p.dept_a)
        self.assertEqual((center.kind, center.district, center.parent), ("branch", self.p.district, self.p.main))
        event = AuditEvent.objects.get(action="center.create")
        self.assertEqual((event.actor_username, event.center_id, event.after["name"]), ("bureau", center.pk, GOOD))

    def test_it_refuses_everyone_but_the_bureau(self):
        for user in (self.p.manager_a, self.p.staff_a, self.p.leader, self.p.auditadmin, self.p.sysadmin):
            with self.subTest(user=user.username), self.assertRaises(Forbidden):
                center_create(actor=user, code="21140309", name=GOOD, department=self.p.dept_a)
        self.assertFalse(ServiceCenter.objects.filter(code="21140309").exists())

    def test_it_keeps_a_district_bureau_inside_its_district(self):
        with self.assertRaises(Forbidden):
            center_create(actor=self.p.other_bureau, code="21140309", name=GOOD, department=self.p.dept_a,
                          district=self.p.district)

    def test_it_lets_only_the_bureau_rename_a_branch(self):
        with self.assertRaises(Forbidden):
            center_update(actor=self.p.manager_a, center=self.p.center_a, name="龙港区行政服务中心法律分中心")
        center_update(actor=self.p.manager_a, center=self.p.center_a, address="龙湾大街1号")
        center_update(actor=self.p.bureau, center=self.p.center_a, name="龙港区行政服务中心法律分中心")
        self.p.center_a.refresh_from_db()
        self.assertEqual((self.p.center_a.name, self.p.center_a.address),
                         ("龙港区行政服务中心法律分中心", "龙湾大街1号"))

    def test_it_leaves_switching_off_and_reassigning_a_centre_to_the_bureau(self):
        for changes in ({"is_active": False}, {"department": self.p.dept_b}):
            with self.subTest(changes=changes), self.assertRaises(Forbidden):
                center_update(actor=self.p.manager_a, center=self.p.center_a, **changes)
        self.p.center_a.refresh_from_db()
        self.assertTrue(self.p.center_a.is_active)
        center_update(actor=self.p.bureau, center=self.p.center_a, is_active=False)
        self.p.center_a.refresh_from_db()
        self.assertFalse(self.p.center_a.is_active)

    def test_it_refuses_a_bad_rename_and_keeps_the_old_name(self):
        with self.assertRaises(Invalid):
            center_update(actor=self.p.bureau, center=self.p.center_a, name="法律分中心")
        self.assertEqual(ServiceCenter.objects.get(pk=self.p.center_a.pk).name, "龙港区行政服务中心公共法律服务分中心")


class CenterApiTests(PersonaTestCase):
    def post(self, user, payload):
        return self.login(user).post("/api/v1/centers", payload, content_type="application/json")

    def test_it_creates_a_centre_and_lists_it(self):
        response = self.post(self.p.bureau, {"code": "21140309", "name": GOOD, "department": "区司法局"})
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(response.json(), {"code": "21140309", "name": GOOD, "kind": "branch", "district": "211403",
                                           "district_name": "龙港区", "department": "区司法局", "parent": "21140300"})
        listed = {c["code"]: c for c in self.login(self.p.bureau).get("/api/v1/centers").json()}
        self.assertEqual(listed["21140300"]["kind"], "center")
        self.assertIn("21140309", listed)

    def test_it_answers_400_naming_the_field_for_a_bad_name(self):
        response = self.post(self.p.bureau, {"code": "21140309", "name": "档案分中心", "department": "区司法局"})
        self.assertEqual(response.status_code, 400)
        body = response.json()
        self.assertEqual((body["error"], body["field"]), ("invalid", "name"))
        self.assertIn("龙港区行政服务中心XX分中心", body["message"])
        self.assertFalse(ServiceCenter.objects.filter(code="21140309").exists())

    def test_it_answers_400_for_missing_fields_and_unknown_department(self):
        response = self.post(self.p.bureau, {"code": "21140309", "department": "区司法局"})
        self.assertEqual((response.status_code, response.json()["field"]), (400, "name"))
        response = self.post(self.p.bureau, {"code": "21140309", "name": GOOD, "department": "不存在的局"})
        self.assertEqual((response.status_code, response.json()["field"]), (400, "department"))
        response = self.post(self.p.bureau, {"code": "x", "name": GOOD, "department": "区司法局"})
        self.assertEqual((response.status_code, response.json()["field"]), (400, "code"))

    def test_it_answers_409_for_a_code_in_use_and_403_for_staff(self):
        response = self.post(self.p.bureau, {"code": "21140301", "name": GOOD, "department": "区司法局"})
        self.assertEqual((response.status_code, response.json()["field"]), (409, "code"))
        response = self.post(self.p.manager_a, {"code": "21140309", "name": GOOD, "department": "区司法局"})
        self.assertEqual((response.status_code, response.json()["error"]), (403, "forbidden"))


class CenterPagesTests(PersonaTestCase):
    def test_it_shows_the_pattern_on_the_form_and_keeps_the_input(self):
        client = self.login(self.p.bureau)
        response = client.post("/org/centers/new/",
                               {"name": "档案分中心", "code": "21140309", "department": self.p.dept_a.pk})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "龙港区行政服务中心XX分中心")
        self.assertContains(response, 'value="档案分中心"')
        self.assertFalse(ServiceCenter.objects.filter(code="21140309").exists())
        response = client.post("/org/centers/new/", {"name": GOOD, "code": "21140309", "department": self.p.dept_a.pk})
        self.assertRedirects(response, "/org/centers/")
        self.assertContains(client.get("/org/centers/"), GOOD)
