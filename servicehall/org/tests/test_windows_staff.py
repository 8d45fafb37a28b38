"""Windows, staff and AB posts: forms for managers and the bureau, clear messages, audit rows."""

from servicehall.audit.models import AuditEvent
from servicehall.org.models import BackupPost, Staff, Window
from servicehall.testing import PersonaTestCase

WINDOW = {"number": 2, "name": "公证受理", "kind": "acceptance", "opens_at": "08:30", "closes_at": "17:00",
          "is_active": "on"}


class WindowFormTests(PersonaTestCase):
    def test_it_lets_the_manager_add_a_window(self):
        client = self.login(self.p.manager_a)
        response = client.post(f"/org/centers/{self.p.center_a.code}/windows/new/", WINDOW)
        self.assertRedirects(response, f"/org/centers/{self.p.center_a.code}/")
        window = Window.objects.get(center=self.p.center_a, number=2)
        self.assertEqual(window.name, "公证受理")
        self.assertTrue(AuditEvent.objects.filter(action="window.create", object_id=str(window.pk),
                                                  center_id=self.p.center_a.pk).exists())

    def test_it_refuses_a_duplicate_number_naming_the_field(self):
        client = self.login(self.p.manager_a)
        response = client.post(f"/org/centers/{self.p.center_a.code}/windows/new/", {**WINDOW, "number": 1})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'data-field="number"')
        self.assertContains(response, "本中心已有该窗口号")
        self.assertEqual(Window.objects.filter(center=self.p.center_a).count(), 1)

    def test_it_refuses_closing_before_opening(self):
        response = self.login(self.p.manager_a).post(
            f"/org/centers/{self.p.center_a.code}/windows/new/", {**WINDOW, "opens_at": "17:00", "closes_at": "08:30"})
        self.assertContains(response, "结束办公时间须晚于开始办公时间")
        self.assertFalse(Window.objects.filter(center=self.p.center_a, number=2).exists())

    def test_it_lets_the_bureau_edit_and_records_before_and_after(self):
        response = self.login(self.p.bureau).post(f"/org/windows/{self.p.window_a.pk}/edit/",
                                                  {**WINDOW, "number": 1, "name": "法律援助"})
        self.assertEqual(response.status_code, 302)
        event = AuditEvent.objects.get(action="window.update")
        self.assertEqual((event.before["name"], event.after["name"]), ("综合受理", "法律援助"))

    def test_it_refuses_window_staff_and_leadership(self):
        for user in (self.p.staff_a, self.p.leader):
            response = self.login(user).post(f"/org/centers/{self.p.center_a.code}/windows/new/", WINDOW)
            self.assertEqual(response.status_code, 403)
        self.assertFalse(Window.objects.filter(number=2).exists())


class StaffFormTests(PersonaTestCase):
    def test_it_adds_staff_with_a_checked_phone(self):
        client = self.login(self.p.manager_a)
        url = f"/org/centers/{self.p.center_a.code}/staff/new/"
        response = client.post(url, {"name": "赵敏", "employee_no": "003", "phone": "1381234", "is_active": "on"})
        self.assertContains(response, "手机号码")
        self.assertContains(response, 'data-field="phone"')
        self.assertFalse(Staff.objects.filter(employee_no="003").exists())
        response = client.post(url, {"name": "赵敏", "employee_no": "003", "phone": "13900001111", "is_active": "on"})
        self.assertEqual(response.status_code, 302)
        self.assertTrue(Staff.objects.filter(center=self.p.center_a, employee_no="003", phone="13900001111").exists())

    def test_it_refuses_a_duplicate_employee_number_in_the_centre_only(self):
        client = self.login(self.p.manager_a)
        response = client.post(f"/org/centers/{self.p.center_a.code}/staff/new/",
                               {"name": "赵敏", "employee_no": "001"})
        self.assertContains(response, "本中心已有该工号")

    def test_it_keeps_staff_on_a_post_from_being_set_inactive(self):
        response = self.login(self.p.manager_a).post(f"/org/staff/{self.p.person_a.pk}/edit/",
                                                     {"name": "李娜", "employee_no": "001"})
        self.assertContains(response, "该人员仍在AB岗上")
        self.p.person_a.refresh_from_db()
        self.assertTrue(self.p.person_a.is_active)

    def test_it_audits_opening_a_staff_record_with_personal_data(self):
        self.login(self.p.manager_a).get(f"/org/staff/{self.p.person_a.pk}/edit/")
        self.assertTrue(AuditEvent.objects.filter(action="staff.view", object_id=str(self.p.person_a.pk)).exists())

    def test_it_shows_the_phone_masked_on_the_detail_page(self):
        response = self.login(self.p.manager_a).get(f"/org/staff/{self.p.person_a.pk}/")
        self.assertContains(response, "138****5678")
        self.assertNotContains(response, "13812345678")


class BackupPostTests(PersonaTestCase):
    def url(self):
        return f"/org/windows/{self.p.window_a.pk}/post/"

    def test_it_names_a_holder_and_a_different_stand_in(self):
        zhao = Staff.objects.create(center=self.p.center_a, name="赵敏", employee_no="003")
        response = self.login(self.p.manager_a).post(self.url(),
                                                     {"holder": zhao.pk, "backup_staff": self.p.person_a.pk})
        self.assertEqual(response.status_code, 302)
        post = BackupPost.objects.get(window=self.p.window_a)
        self.assertEqual((post.holder, post.backup_staff), (zhao, self.p.person_a))
        self.assertTrue(AuditEvent.objects.filter(action="backup_post.set").exists())

    def test_it_refuses_the_same_person_on_both_posts(self):
        response = self.login(self.p.manager_a).post(self.url(),
                                                     {"holder": self.p.person_a.pk, "backup_staff": self.p.person_a.pk})
        self.assertContains(response, "B岗不能与A岗为同一人")
        self.assertNotEqual(BackupPost.objects.get(window=self.p.window_a).backup_staff, self.p.person_a)

    def test_it_offers_only_the_centres_own_staff(self):
        response = self.login(self.p.manager_a).post(self.url(),
                                                     {"holder": self.p.person_b.pk, "backup_staff": self.p.person_a.pk})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'data-field="holder"')
        self.assertEqual(BackupPost.objects.get(window=self.p.window_a).holder, self.p.person_a)

    def test_it_lists_windows_without_a_post_on_the_managers_home(self):
        Window.objects.create(center=self.p.center_a, number=5, name="咨询", kind="inquiry")
        response = self.login(self.p.manager_a).get("/")
        self.assertContains(response, "5号窗口 咨询")
