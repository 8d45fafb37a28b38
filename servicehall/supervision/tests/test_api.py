"""The supervision API spoken over HTTP: scoped lists, the explanation and the closing, errors
in the one shape."""

from servicehall.accounts.services import api_key_create
from servicehall.supervision.models import Alert

from .test_rules import RuleTestCase, at


class SupervisionApiTests(RuleTestCase):
    def setUp(self):
        super().setUp()
        self.receive(at(2026, 9, 28))
        self.receive(at(2026, 9, 30))
        self.receive(at(2026, 9, 30), center=self.p.center_b)
        from servicehall.supervision.services import supervision_sweep

        supervision_sweep(now=at(2026, 10, 14, 9))
        self.b_alert = Alert.objects.get(rule__code="case_overdue", center=self.p.center_b)

    def key(self, user) -> dict:
        return {"HTTP_AUTHORIZATION": f"Bearer {api_key_create(actor=self.p.sysadmin, user=user, name='测试')[1]}"}

    def test_each_sees_the_alerts_of_the_centres_it_sees(self):
        seen = {}
        for user in (self.p.manager_a, self.p.manager_b, self.p.bureau, self.p.leader, self.p.other_bureau):
            response = self.client.get("/api/v1/supervision/alerts", {"rule": "case_overdue"}, **self.key(user))
            self.assertEqual(response.status_code, 200, response.content)
            seen[user.username] = sorted(a["center"] for a in response.json())
        self.assertEqual(seen, {"manager_a": ["21140301", "21140301"], "manager_b": ["21140302"],
                                "bureau": ["21140301", "21140301", "21140302"],
                                "leader": ["21140301", "21140301", "21140302"], "other_bureau": []})
        staff = self.client.get("/api/v1/supervision/alerts", **self.key(self.p.staff_a))
        self.assertEqual((staff.status_code, staff.json()["error"]), (403, "forbidden"))

    def test_a_manager_explains_their_own_alert_and_never_another_centres(self):
        manager_a, manager_b = self.key(self.p.manager_a), self.key(self.p.manager_b)
        url = f"/api/v1/supervision/alerts/{self.b_alert.pk}/explain"
        body = {"explanation": "鉴定机构延期出具意见"}
        refused = self.client.post(url, body, content_type="application/json", **manager_a)
        self.assertEqual((refused.status_code, refused.json()["error"]), (404, "not_found"))
        done = self.client.post(url, body, content_type="application/json", **manager_b)
        self.assertEqual((done.status_code, done.json()["state"], done.json()["explanation"]),
                         (200, "explained", "鉴定机构延期出具意见"))
        again = self.client.post(url, body, content_type="application/json", **manager_b)
        self.assertEqual(again.status_code, 409)
        empty = self.client.post(f"/api/v1/supervision/alerts/{self.b_alert.pk}/close", {"outcome": "maybe"},
                                 content_type="application/json", **self.key(self.p.bureau))
        self.assertEqual((empty.status_code, empty.json()["field"]), (400, "outcome"))
        closed = self.client.post(f"/api/v1/supervision/alerts/{self.b_alert.pk}/close",
                                  {"outcome": "accepted", "note": "说明属实"}, content_type="application/json",
                                  **self.key(self.p.bureau))
        self.assertEqual((closed.status_code, closed.json()["outcome"]), (200, "accepted"))

    def test_the_rules_are_listed_with_their_thresholds_and_versions(self):
        rules = self.client.get("/api/v1/supervision/rules", **self.key(self.p.leader)).json()
        by_code = {r["code"]: r for r in rules}
        self.assertEqual(by_code["ticket_wait_long"]["thresholds"], {"minutes": 30})
        self.assertEqual({r["version"] for r in rules}, {1})
        self.assertGreaterEqual(len(rules), 6)

    def test_the_bureau_orders_and_only_the_centres_manager_replies(self):
        alert = Alert.objects.filter(rule__code="case_overdue", center=self.p.center_a).first()
        body = {"center": self.p.center_a.code, "alerts": [alert.pk], "requirement": "立即办结并说明超期原因",
                "days": 3}
        staff = self.client.post("/api/v1/supervision/orders", body, content_type="application/json",
                                 **self.key(self.p.manager_a))
        self.assertEqual(staff.status_code, 403)
        wrong = self.client.post("/api/v1/supervision/orders", body | {"alerts": [self.b_alert.pk]},
                                 content_type="application/json", **self.key(self.p.bureau))
        self.assertEqual((wrong.status_code, wrong.json()["field"]), (400, "alerts"))
        made = self.client.post("/api/v1/supervision/orders", body, content_type="application/json",
                                **self.key(self.p.bureau))
        self.assertEqual((made.status_code, made.json()["color"], made.json()["alerts"]), (201, "blue", [alert.pk]))
        url = f"/api/v1/supervision/orders/{made.json()['id']}/reply"
        hidden = self.client.post(url, {"reply": "已办结"}, content_type="application/json",
                                  **self.key(self.p.manager_b))
        self.assertEqual(hidden.status_code, 404)
        replied = self.client.post(url, {"reply": "已办结", "evidence": "办结通知书"}, content_type="application/json",
                                   **self.key(self.p.manager_a))
        self.assertEqual((replied.status_code, replied.json()["state"]), (200, "replied"))
        listed = self.client.get("/api/v1/supervision/orders", **self.key(self.p.manager_b)).json()
        self.assertEqual(listed, [])
