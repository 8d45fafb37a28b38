"""The audit log page and API: the audit admin reads and filters everything, managers and the
bureau their centres, window staff their own actions, and nobody can change a row."""

from datetime import datetime
from zoneinfo import ZoneInfo

from django.contrib import admin
from django.urls import NoReverseMatch, Resolver404, resolve, reverse

from servicehall.audit import urls as audit_urls
from servicehall.audit.models import AuditEvent
from servicehall.audit.selectors import audit_chain_verify
from servicehall.audit.services import audit_record
from servicehall.testing import PersonaTestCase

from .tamper import chain_pending

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment on 2026-03-<day>, Beijing time."""
    return datetime(2026, 3, day, hour, minute, tzinfo=SHANGHAI)


class AuditPageTestCase(PersonaTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        p = cls.p

        def rec(actor, center, action, when, repr_):
            return audit_record(actor=actor, action=action, center=center, object_type="org.window", object_id="1",
                                object_repr=repr_, after={"name": repr_}, source_ip="10.1.2.3", now=when)

        cls.a_staff_morning = rec(p.staff_a, p.center_a, "window.update", at(2, 9), "A窗口早")
        cls.a_staff_view = rec(p.staff_a, p.center_a, "staff.view", at(2, 10), "李娜")
        cls.a_staff_next_day = rec(p.staff_a, p.center_a, "window.update", at(3, 9), "A窗口次日")
        # 00:30 Beijing time on the 3rd is still the 2nd in UTC: it belongs to the 3rd.
        cls.a_staff_after_midnight = rec(p.staff_a, p.center_a, "staff.view", at(3, 0, 30), "王强")
        cls.a_manager = rec(p.manager_a, p.center_a, "center.update", at(2, 11), "A中心")
        cls.b_staff = rec(p.staff_b, p.center_b, "window.update", at(2, 9, 30), "B窗口")
        cls.b_manager = rec(p.manager_b, p.center_b, "staff.create", at(2, 14), "B人员")
        cls.a_staff_signin = rec(p.staff_a, None, "auth.login", at(2, 8, 55), "staff_a")
        cls.other_district = rec(p.other_bureau, p.other_center, "center.update", at(2, 15), "连山")
        chain_pending()

    def page_ids(self, user, **params) -> list[int]:
        response = self.login(user).get(reverse("audit:events"), params)
        self.assertEqual(response.status_code, 200)
        return [e.pk for e in response.context["page"].object_list]

    def api_ids(self, user, **params) -> list[int]:
        response = self.login(user).get("/api/v1/audit/events", params)
        self.assertEqual(response.status_code, 200, response.content)
        return [e["id"] for e in response.json()]

    def ids(self, *events) -> set[int]:
        return {e.pk for e in events}


class AuditPageTests(AuditPageTestCase):
    def test_it_shows_the_audit_admin_every_row_newest_first(self):
        response = self.login(self.p.auditadmin).get(reverse("audit:events"))

        self.assertEqual(response.status_code, 200)
        rows = list(response.context["page"].object_list)
        self.assertEqual(len(rows), 9)
        self.assertEqual(rows[0].pk, self.a_staff_next_day.pk)
        self.assertContains(response, "审计日志")
        self.assertContains(response, "修改窗口")  # the Chinese label of window.update
        self.assertContains(response, "10.1.2.3")

    def test_it_filters_one_clerk_on_one_day(self):
        ids = self.page_ids(self.p.auditadmin, actor="staff_a", date_from="2026-03-02", date_to="2026-03-02")
        self.assertEqual(set(ids), self.ids(self.a_staff_morning, self.a_staff_view, self.a_staff_signin))

    def test_it_counts_a_row_by_its_beijing_date(self):
        ids = self.page_ids(self.p.auditadmin, actor="staff_a", date_from="2026-03-03", date_to="2026-03-03")
        self.assertEqual(set(ids), self.ids(self.a_staff_next_day, self.a_staff_after_midnight))

    def test_it_filters_by_centre(self):
        ids = self.page_ids(self.p.auditadmin, center="21140302")
        self.assertEqual(set(ids), self.ids(self.b_staff, self.b_manager))

    def test_it_filters_by_action_and_action_prefix(self):
        self.assertEqual(set(self.page_ids(self.p.auditadmin, action="staff.view")),
                         self.ids(self.a_staff_view, self.a_staff_after_midnight))
        self.assertEqual(set(self.page_ids(self.p.auditadmin, action="window")),
                         self.ids(self.a_staff_morning, self.a_staff_next_day, self.b_staff))

    def test_it_combines_filters(self):
        ids = self.page_ids(self.p.auditadmin, actor="staff_a", center="21140301", action="window.update",
                            date_from="2026-03-02", date_to="2026-03-02")
        self.assertEqual(ids, [self.a_staff_morning.pk])

    def test_it_finds_nothing_for_an_unknown_actor(self):
        response = self.login(self.p.auditadmin).get(reverse("audit:events"), {"actor": "nobody"})
        self.assertEqual(list(response.context["page"].object_list), [])
        self.assertContains(response, "没有符合条件的记录")

    def test_it_shows_one_row_with_its_chain_fields(self):
        response = self.login(self.p.auditadmin).get(reverse("audit:event", args=[self.a_manager.pk]))
        self.assertEqual(response.status_code, 200)
        event = AuditEvent.objects.get(pk=self.a_manager.pk)
        self.assertContains(response, f"审计记录 #{event.pk}")
        self.assertContains(response, event.hash)
        self.assertContains(response, "修改中心")

    def test_it_asks_anonymous_visitors_to_sign_in(self):
        response = self.client.get(reverse("audit:events"))
        self.assertEqual(response.status_code, 302)
        self.assertIn(reverse("accounts:login"), response["Location"])
        self.assertEqual(self.client.get("/api/v1/audit/events").status_code, 401)


class AuditApiTests(AuditPageTestCase):
    def test_it_filters_one_clerk_on_one_day(self):
        ids = self.api_ids(self.p.auditadmin, actor="staff_a", day="2026-03-02")
        self.assertEqual(set(ids), self.ids(self.a_staff_morning, self.a_staff_view, self.a_staff_signin))

    def test_it_filters_by_centre_and_action(self):
        self.assertEqual(set(self.api_ids(self.p.auditadmin, center="21140302")),
                         self.ids(self.b_staff, self.b_manager))
        self.assertEqual(self.api_ids(self.p.auditadmin, action="center.update", center="21140301"),
                         [self.a_manager.pk])

    def test_it_returns_one_row_with_its_chain_place(self):
        response = self.login(self.p.auditadmin).get(f"/api/v1/audit/events/{self.b_staff.pk}")
        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertEqual((body["id"], body["actor"], body["center"], body["action"]),
                         (self.b_staff.pk, "staff_b", "21140302", "window.update"))
        self.assertEqual(body["action_label"], "修改窗口")
        self.assertEqual(body["after"], {"name": "B窗口"})
        self.assertIsNotNone(body["seq"])

    def test_it_answers_400_for_a_bad_day(self):
        response = self.login(self.p.auditadmin).get("/api/v1/audit/events", {"day": "2026-02-30"})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["field"], "day")

    def test_it_gives_the_number_of_rows_asked_within_the_stated_range(self):
        self.assertEqual(len(self.api_ids(self.p.auditadmin, limit=2)), 2)
        for limit, message in ((0, "条数：不能小于1"), (1001, "条数：不能大于1000")):
            response = self.login(self.p.auditadmin).get("/api/v1/audit/events", {"limit": limit})
            self.assertEqual((response.status_code, response.json()["field"], response.json()["message"]),
                             (400, "limit", message))


class AuditScopeTests(AuditPageTestCase):
    def test_it_shows_a_manager_the_rows_of_their_centre_only(self):
        expected = self.ids(self.a_staff_morning, self.a_staff_view, self.a_staff_next_day,
                            self.a_staff_after_midnight, self.a_manager)
        self.assertEqual(set(self.page_ids(self.p.manager_a)), expected)
        self.assertEqual(set(self.api_ids(self.p.manager_a)), expected)

    def test_it_gives_a_manager_404_for_a_row_of_another_centre(self):
        client = self.login(self.p.manager_a)
        self.assertEqual(client.get(reverse("audit:event", args=[self.a_staff_view.pk])).status_code, 200)
        self.assertEqual(client.get(reverse("audit:event", args=[self.b_staff.pk])).status_code, 404)
        self.assertEqual(client.get(f"/api/v1/audit/events/{self.a_staff_view.pk}").status_code, 200)
        response = client.get(f"/api/v1/audit/events/{self.b_staff.pk}")
        self.assertEqual(response.status_code, 404)
        self.assertEqual(response.json()["error"], "not_found")

    def test_it_hides_other_centres_even_when_a_manager_filters_for_them(self):
        self.assertEqual(self.page_ids(self.p.manager_a, center="21140302"), [])
        self.assertEqual(self.api_ids(self.p.manager_a, actor="staff_b"), [])

    def test_it_shows_window_staff_only_their_own_actions(self):
        # Their own sign-in carries no centre, and is theirs to see.
        expected = self.ids(self.a_staff_morning, self.a_staff_view, self.a_staff_next_day, self.a_staff_after_midnight,
                            self.a_staff_signin)
        self.assertEqual(set(self.page_ids(self.p.staff_a)), expected)
        self.assertEqual(set(self.api_ids(self.p.staff_a)), expected)
        client = self.login(self.p.staff_a)
        self.assertEqual(client.get(reverse("audit:event", args=[self.a_manager.pk])).status_code, 404)
        self.assertEqual(client.get(f"/api/v1/audit/events/{self.a_manager.pk}").status_code, 404)

    def test_it_shows_the_bureau_its_district_only(self):
        district = self.ids(self.a_staff_morning, self.a_staff_view, self.a_staff_next_day,
                            self.a_staff_after_midnight, self.a_manager, self.b_staff, self.b_manager)
        self.assertEqual(set(self.page_ids(self.p.bureau)), district)
        self.assertEqual(set(self.page_ids(self.p.other_bureau)), self.ids(self.other_district))

    def test_it_refuses_leadership_and_the_other_admins(self):
        for user in (self.p.leader, self.p.secadmin, self.p.sysadmin):
            client = self.login(user)
            with self.subTest(role=user.role):
                self.assertEqual(client.get(reverse("audit:events")).status_code, 403)
                self.assertEqual(client.get(reverse("audit:event", args=[self.a_manager.pk])).status_code, 403)
                self.assertEqual(client.get("/api/v1/audit/events").status_code, 403)
                self.assertEqual(client.get(f"/api/v1/audit/events/{self.a_manager.pk}").status_code, 403)


class AuditReadOnlyTests(AuditPageTestCase):
    def table(self):
        return list(AuditEvent.objects.order_by("id").values())

    def test_it_has_no_url_that_changes_a_row(self):
        self.assertEqual({p.name for p in audit_urls.urlpatterns}, {"events", "event"})
        for path in (f"/audit/{self.a_manager.pk}/edit/", f"/audit/{self.a_manager.pk}/delete/",
                     f"/audit/{self.a_manager.pk}/change/"):
            with self.subTest(path=path), self.assertRaises(Resolver404):
                resolve(path)

    def test_it_changes_nothing_on_post(self):
        before = self.table()
        client = self.login(self.p.auditadmin)
        client.post(reverse("audit:events"), {"id": self.a_manager.pk, "action": "auth.login", "object_repr": "改"})
        client.post(reverse("audit:event", args=[self.a_manager.pk]), {"action": "auth.login", "object_repr": "改"})
        self.assertEqual(self.table(), before)
        self.assertTrue(audit_chain_verify().ok)

    def test_it_offers_no_write_method_on_the_api(self):
        before = self.table()
        client = self.login(self.p.auditadmin)
        url = f"/api/v1/audit/events/{self.a_manager.pk}"
        for method in ("put", "patch", "delete"):
            with self.subTest(method=method):
                response = getattr(client, method)(url, {"object_repr": "改"}, content_type="application/json")
                self.assertEqual(response.status_code, 405)
        self.assertEqual(client.post("/api/v1/audit/events", {"action": "auth.login"},
                                     content_type="application/json").status_code, 405)
        self.assertEqual(self.table(), before)

    def test_it_has_no_django_admin_page_for_audit_rows(self):
        self.assertFalse(admin.site.is_registered(AuditEvent))
        with self.assertRaises(NoReverseMatch):
            reverse("admin:audit_auditevent_change", args=[self.a_manager.pk])
        client = self.login(self.p.sysadmin)
        self.assertEqual(client.get("/admin/").status_code, 200)  # the admin works, just not for audit rows
        self.assertEqual(client.get(f"/admin/audit/auditevent/{self.a_manager.pk}/change/").status_code, 404)
        self.assertEqual(client.get("/admin/audit/auditevent/").status_code, 404)
        before = self.table()
        client.post(f"/admin/audit/auditevent/{self.a_manager.pk}/change/", {"object_repr": "改"})
        self.assertEqual(self.table(), before)

    def test_it_keeps_the_audit_admin_out_of_the_django_admin(self):
        response = self.login(self.p.auditadmin).get("/admin/")
        self.assertEqual(response.status_code, 302)


class AuditDetailTests(AuditPageTestCase):
    def test_it_shows_roles_objects_and_fields_in_chinese(self):
        response = self.login(self.p.auditadmin).get(reverse("audit:event", args=[self.a_staff_morning.pk]))
        self.assertContains(response, "窗口人员")  # the actor's role
        self.assertContains(response, "窗口 A窗口早")  # the object's kind and name
        self.assertContains(response, "<td>窗口名称</td>", html=False)
        self.assertNotContains(response, "org.window")

    def test_it_shows_coded_values_and_names_in_chinese(self):
        from servicehall.catalog.services import item_change_approve, item_propose
        from servicehall.catalog.tests.test_checks import good

        change = item_propose(actor=self.p.manager_a, center=self.p.center_a, data=good())
        item_change_approve(actor=self.p.bureau, change=change)
        event = AuditEvent.objects.filter(action="item_change.approve").get()
        page = self.login(self.p.auditadmin).get(reverse("audit:event", args=[event.pk]))
        self.assertContains(page, "<td>待审核</td><td>已批准</td>", html=False)
        self.assertNotContains(page, "submitted")
        self.assertContains(page, self.p.center_a.name)
        listing = self.login(self.p.auditadmin).get(reverse("audit:events"))
        self.assertContains(listing, f'{self.p.bureau.display_name}<span class="muted">（bureau）</span>', html=False)


class ModelLabelTests(PersonaTestCase):
    def test_every_model_has_a_chinese_label_of_its_own(self):
        """What the audit trail, the admin and every page print of an object is never
        "Rectification object (13)"."""
        from django.apps import apps
        from django.db import models

        plain = [m._meta.label for m in apps.get_models()
                 if m.__module__.startswith("servicehall") and m.__str__ is models.Model.__str__]
        self.assertEqual(plain, [])
