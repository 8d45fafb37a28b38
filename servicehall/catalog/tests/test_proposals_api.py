"""Proposals and decisions over the API, with the same checks as the pages."""

from servicehall.catalog.models import ChangeStatus, ItemChange, ServiceItem
from servicehall.catalog.tests.test_checks import good
from servicehall.testing import PersonaTestCase


def payload(**changes):
    body = good(windows=[1], **changes).model_dump(mode="json")
    body.update({"center": "21140301", "item": None})
    return body


class ProposalApiTests(PersonaTestCase):
    def post(self, user, url, body):
        return self.login(user).post(url, body, content_type="application/json")

    def test_it_refuses_a_fee_without_basis_naming_the_field(self):
        response = self.post(self.p.manager_a, "/api/v1/proposals",
                             payload(fees=[{"name": "工本费", "amount": "10", "legal_basis": ""}]))
        self.assertEqual(response.status_code, 400)
        body = response.json()
        self.assertEqual((body["error"], body["field"]), ("check_fee_without_basis", "fees.1.legal_basis"))
        self.assertIn("收费依据", body["message"])
        self.assertFalse(ServiceItem.objects.exists())

    def test_it_runs_the_whole_cycle_and_publishes_on_approval(self):
        response = self.post(self.p.manager_a, "/api/v1/proposals", payload())
        self.assertEqual(response.status_code, 201, response.content)
        proposal = response.json()
        self.assertEqual((proposal["status"], proposal["kind"], proposal["problems"]), ("submitted", "new", []))
        url = f"/api/v1/proposals/{proposal['id']}/approve"
        self.assertEqual(self.post(self.p.manager_a, url, {}).status_code, 403)
        self.assertEqual(self.client.get(f"/api/v1/items/{proposal['item']}").status_code, 404)
        response = self.post(self.p.bureau, url, {"reason": "同意"})
        self.assertEqual(response.json()["status"], "approved")
        self.client.logout()
        self.assertEqual(self.client.get(f"/api/v1/items/{proposal['item']}").json()["name"], "食品经营许可")
        self.assertEqual(self.post(self.p.bureau, url, {}).status_code, 409)

    def test_it_keeps_a_manager_to_their_centre(self):
        response = self.post(self.p.manager_b, "/api/v1/proposals", payload())
        self.assertEqual(response.status_code, 404)
        self.assertFalse(ItemChange.objects.exists())
        self.post(self.p.manager_a, "/api/v1/proposals", payload())
        change = ItemChange.objects.get()
        self.assertEqual(self.login(self.p.manager_b).get(f"/api/v1/proposals/{change.pk}").status_code, 404)
        self.assertEqual(self.login(self.p.manager_b).get("/api/v1/proposals").json(), [])

    def test_it_saves_a_draft_with_its_problems_listed(self):
        response = self.post(self.p.manager_a, "/api/v1/proposals", {**payload(faqs=[]), "submit": False})
        body = response.json()
        self.assertEqual((response.status_code, body["status"]), (201, ChangeStatus.DRAFT))
        self.assertEqual([p["rule"] for p in body["problems"]], ["licensing_faq"])

    def test_it_returns_only_with_a_reason(self):
        proposal = self.post(self.p.manager_a, "/api/v1/proposals", payload()).json()
        url = f"/api/v1/proposals/{proposal['id']}/return"
        response = self.post(self.p.bureau, url, {"reason": ""})
        self.assertEqual((response.status_code, response.json()["field"]), (400, "reason"))
        self.assertEqual(self.post(self.p.bureau, url, {"reason": "请补充常见问题"}).json()["status"], "returned")

    def test_it_revises_submits_cancels_and_withdraws(self):
        draft = self.post(self.p.manager_a, "/api/v1/proposals", {**payload(faqs=[]), "submit": False}).json()
        response = self.post(self.p.manager_a, f"/api/v1/proposals/{draft['id']}/submit", {})
        self.assertEqual((response.status_code, response.json()["field"]), (400, "faqs"))
        response = self.login(self.p.manager_a).put(f"/api/v1/proposals/{draft['id']}", payload(),
                                                    content_type="application/json")
        self.assertEqual((response.json()["status"], response.json()["version"]), ("submitted", 2))
        self.assertEqual(self.post(self.p.bureau, f"/api/v1/proposals/{draft['id']}/cancel", {}).status_code, 403)
        self.post(self.p.bureau, f"/api/v1/proposals/{draft['id']}/approve", {})
        withdrawal = self.post(self.p.manager_a, f"/api/v1/items/{draft['item']}/withdraw", {"reason": "职能划转"})
        self.assertEqual((withdrawal.status_code, withdrawal.json()["kind"]), (201, "withdraw"))
        self.assertEqual(self.post(self.p.manager_a, f"/api/v1/proposals/{withdrawal.json()['id']}/cancel", {})
                         .json()["status"], "cancelled")

    def test_it_refuses_codes_outside_the_tables_even_for_a_draft(self):
        response = self.post(self.p.manager_a, "/api/v1/proposals", {**payload(item_type="99"), "submit": False})
        self.assertEqual((response.status_code, response.json()["field"]), (400, "item_type"))
        self.assertFalse(ServiceItem.objects.exists())

    def test_it_refuses_a_second_item_of_the_same_name_and_huge_lists(self):
        self.post(self.p.manager_a, "/api/v1/proposals", payload())
        response = self.post(self.p.manager_a, "/api/v1/proposals", payload())
        self.assertEqual((response.status_code, response.json()["field"]), (409, "name"))
        response = self.post(self.p.manager_a, "/api/v1/proposals",
                             payload(name="另一事项") | {"steps": [{"name": "受理"}] * 31})
        self.assertEqual((response.status_code, response.json()["field"]), (400, "steps"))
        self.assertTrue(response.json()["message"].startswith("办理流程"))
