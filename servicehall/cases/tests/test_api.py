"""The case API: shapes, errors with their fields, transitions, and centre scope."""

from servicehall.accounts.services import api_key_create
from servicehall.cases.models import Case, CaseCounter, CaseStatus

from .helpers import PERSON, materials
from .test_services import CaseTestCase


class CaseApiTests(CaseTestCase):
    def setUp(self):
        _, self.key = api_key_create(actor=None, user=self.p.staff_a)

    def post(self, url, data=None, key=None):
        return self.client.post(url, data or {}, content_type="application/json",
                                HTTP_AUTHORIZATION=f"Bearer {key or self.key}")

    def get(self, url, key=None):
        return self.client.get(url, HTTP_AUTHORIZATION=f"Bearer {key or self.key}")

    def create(self, **changes):
        ids = materials(self.aid)
        body = {"center": self.p.center_a.code, "items": [self.aid.code], "applicant": PERSON,
                "materials": [ids["申请表"], ids["收入状况证明"]], "ticket": None} | changes
        return self.post("/api/v1/cases", body)

    def test_a_retried_receipt_with_the_same_idempotency_key_is_one_case(self):
        ids = materials(self.aid)
        body = {"center": self.p.center_a.code, "items": [self.aid.code], "applicant": PERSON,
                "materials": [ids["申请表"], ids["收入状况证明"]], "ticket": None}

        def send(key, user_key=None):
            return self.client.post("/api/v1/cases", body, content_type="application/json",
                                    HTTP_AUTHORIZATION=f"Bearer {user_key or self.key}", HTTP_IDEMPOTENCY_KEY=key)

        first, again = send("receipt-7f3a"), send("receipt-7f3a")
        self.assertEqual((first.status_code, again.status_code), (201, 201))
        self.assertEqual(again.json()["number"], first.json()["number"])
        self.assertEqual(Case.objects.count(), 1)
        _, colleague = api_key_create(actor=None, user=self.p.manager_a)
        self.assertNotEqual(send("receipt-7f3a", colleague).json()["number"], first.json()["number"])  # per caller
        self.assertEqual(Case.objects.count(), 2)
        refused = send("x" * 101)
        self.assertEqual((refused.status_code, refused.json()["field"]), (400, "Idempotency-Key"))

    def test_a_case_goes_from_notice_to_delivery(self):
        ids = materials(self.aid)
        created = self.create(materials=[ids["申请表"]])
        self.assertEqual(created.status_code, 201, created.content)
        body = created.json()
        self.assertEqual((body["status"], [m["name"] for m in body["missing_materials"]], body["due_date"]),
                         ("awaiting_materials", ["收入状况证明"], None))
        number = body["number"]
        wrong = self.post(f"/api/v1/cases/{number}/approve")
        self.assertEqual((wrong.status_code, wrong.json()["error"]), (409, "invalid_state"))
        self.assertEqual(self.post(f"/api/v1/cases/{number}/supplement", {"materials": [ids["收入状况证明"]]})
                         .json()["status"], "received")
        accepted = self.post(f"/api/v1/cases/{number}/accept").json()
        self.assertEqual(accepted["status"], "accepted")
        self.assertTrue(accepted["due_date"] and accepted["calendar_confirmed"] is True)
        self.assertIn(accepted["light"], ("green", "yellow", "red"))
        self.assertIsInstance(accepted["remaining_workdays"], int)
        self.assertEqual(accepted["applicant"]["id"], "110105********002X")
        early = self.post(f"/api/v1/cases/{number}/approve")  # the item's 审查 step comes first
        self.assertEqual((early.status_code, early.json()["error"]), (409, "steps_pending"))
        reviewed = self.post(f"/api/v1/cases/{number}/review", {"reason": "材料真实有效，符合援助条件"}).json()
        self.assertEqual([(s["name"], s["state"]) for s in reviewed["steps"]],
                         [("受理", "done"), ("审查", "done"), ("决定", "current")])
        self.assertEqual(reviewed["steps"][1]["opinion"], "材料真实有效，符合援助条件")
        again = self.post(f"/api/v1/cases/{number}/review")
        self.assertEqual((again.status_code, again.json()["error"]), (409, "no_review_step"))
        own = self.post(f"/api/v1/cases/{number}/approve")  # the clerk who accepted it does not decide it
        self.assertEqual((own.status_code, own.json()["message"]),
                         (403, "受理人不能审批本人受理的承诺件，请由审批人审批"))
        _, head = api_key_create(actor=None, user=self.p.manager_a)
        self.assertEqual(self.post(f"/api/v1/cases/{number}/approve", key=head).status_code, 200)
        for action in ("complete", "deliver"):
            response = self.post(f"/api/v1/cases/{number}/{action}")
            self.assertEqual(response.status_code, 200, response.content)
        detail = self.get(f"/api/v1/cases/{number}").json()
        self.assertEqual(detail["status"], "delivered")
        self.assertEqual([h["action"] for h in detail["history"]],
                         ["receive", "notify", "supplement", "accept", "review", "approve", "complete", "deliver"])
        self.assertEqual([h["step"] for h in detail["history"][3:6]], ["受理", "审查", "决定"])
        self.assertIsNone(detail["bill"])

    def test_the_receipt_answer_is_exactly_the_documented_one(self):
        """Receiving a case answers without ninja's second validation (api_schemas.hot_json):
        accepted or awaiting materials, it must still be exactly CaseCreatedOut."""
        from servicehall.cases.api import CaseCreatedOut

        ids = materials(self.aid)
        for created in (self.create(), self.create(materials=[ids["申请表"]])):
            self.assertEqual(created.status_code, 201, created.content)
            self.assertEqual(created["Content-Type"], "application/json; charset=utf-8")
            self.assertEqual(set(created.json()), set(CaseCreatedOut.model_fields))
            self.assertEqual(CaseCreatedOut.model_validate(created.json()).model_dump(mode="json"), created.json())

    def test_bad_input_names_the_field_and_stores_nothing(self):
        response = self.create(applicant=PERSON | {"id_number": "110105194912310021"})
        self.assertEqual((response.status_code, response.json()["field"]), (400, "applicant.id_number"))
        self.assertEqual(self.create(items=[]).json()["field"], "items")
        self.assertEqual(self.create(materials=["x"]).status_code, 400)
        self.assertFalse(Case.objects.exists())
        self.assertFalse(CaseCounter.objects.exists())
        number = self.create().json()["number"]
        response = self.post(f"/api/v1/cases/{number}/suspend", {"reason": ""})
        self.assertEqual((response.status_code, response.json()["field"]), (400, "reason"))
        response = self.post(f"/api/v1/cases/{number}/nonsense")
        self.assertIn(response.status_code, (400, 404))
        self.assertEqual(Case.objects.get().status, CaseStatus.ACCEPTED)

    def test_other_centres_see_nothing_and_the_bureau_only_reads(self):
        number = self.create().json()["number"]
        _, other = api_key_create(actor=None, user=self.p.staff_b)
        self.assertEqual(self.get(f"/api/v1/cases/{number}", key=other).status_code, 404)
        self.assertEqual(self.post(f"/api/v1/cases/{number}/approve", key=other).status_code, 404)
        created = self.post("/api/v1/cases", {"center": self.p.center_a.code, "items": [self.aid.code],
                                              "applicant": PERSON, "materials": []}, key=other)
        self.assertEqual(created.status_code, 404)
        _, bureau = api_key_create(actor=None, user=self.p.bureau)
        self.assertEqual(self.get(f"/api/v1/cases/{number}", key=bureau).status_code, 200)
        self.assertEqual(self.post(f"/api/v1/cases/{number}/approve", key=bureau).status_code, 403)
        extended = self.post(f"/api/v1/cases/{number}/extend", {"days": 3, "reason": "需现场核查"}, key=bureau)
        self.assertEqual((extended.status_code, extended.json()["extended_days"]), (200, 3))
        self.assertEqual(self.get(f"/api/v1/cases/{number}").status_code, 200)
        self.assertEqual(Case.objects.get().status, CaseStatus.ACCEPTED)
