"""The public items API: approved versions only, no key or session needed, one error shape."""

from servicehall.catalog.services import item_change_approve, item_propose
from servicehall.catalog.tests.test_guide import GuideData, legal_aid
from servicehall.org.models import ServiceCenter

LIST_FIELDS = {"code", "name", "center", "center_name", "item_type", "item_type_label", "case_type", "case_type_label",
               "promised_days", "statutory_days", "visits", "online_depth"}


class ItemsListApiTests(GuideData):
    def get(self, **params):
        return self.client.get("/api/v1/items", params)

    def test_it_lists_published_items_without_authentication(self):
        response = self.get()
        self.assertEqual(response.status_code, 200)
        rows = response.json()
        self.assertEqual({r["code"] for r in rows}, {self.aid.code, self.fee_item.code})
        aid = next(r for r in rows if r["code"] == self.aid.code)
        self.assertEqual(set(aid), LIST_FIELDS)
        self.assertEqual(aid, {
            "code": self.aid.code, "name": "法律援助申请受理审查", "center": self.p.center_a.code,
            "center_name": self.p.center_a.name, "item_type": "10", "item_type_label": "其他行政权力",
            "case_type": "promised", "case_type_label": "承诺件", "promised_days": 5, "statutory_days": 7,
            "visits": 1, "online_depth": 3,
        })
        fee = next(r for r in rows if r["code"] == self.fee_item.code)
        self.assertIsNone(fee["statutory_days"])
        self.assertEqual((fee["case_type"], fee["promised_days"]), ("instant", 0))

    def test_it_searches_by_name_keyword_and_pinyin_initials(self):
        for q, code in (("法律援助", self.aid.code), ("打官司", self.aid.code), ("FLYZ", self.aid.code),
                        ("dlysz", self.fee_item.code)):
            with self.subTest(q=q):
                self.assertEqual([r["code"] for r in self.get(q=q).json()], [code])

    def test_it_filters_by_centre(self):
        rows = self.get(center=self.p.center_b.code).json()
        self.assertEqual([r["code"] for r in rows], [self.fee_item.code])
        self.assertEqual(self.get(center=self.p.center_b.code, q="flyz").json(), [])

    def test_it_never_lists_unpublished_items(self):
        names = {"公证申请草稿", "人民调解申请退回", "法律咨询已取消"}
        for params in ({}, {"q": "公证"}, {"q": "rmtj"}, {"q": "法律咨询"}, {"center": self.p.center_a.code}):
            with self.subTest(params=params):
                self.assertFalse(names & {r["name"] for r in self.get(**params).json()})

    def test_it_limits_the_number_of_rows(self):
        self.assertEqual(len(self.get(limit=1).json()), 1)
        for bad in (0, 201, "many"):
            with self.subTest(limit=bad):
                response = self.get(limit=bad)
                self.assertEqual(response.status_code, 400)
                body = response.json()
                self.assertEqual((body["error"], body["field"]), ("invalid", "limit"))
                self.assertTrue(body["message"].startswith("条数"))

    def test_it_refuses_an_overlong_query(self):
        response = self.get(q="法" * 51)
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["field"], "q")
        self.assertTrue(response.json()["message"].startswith("检索词"))

    def test_it_answers_404_for_an_unknown_or_closed_centre(self):
        ServiceCenter.objects.filter(pk=self.p.center_b.pk).update(is_active=False)
        for code in ("nope", self.p.center_b.code):
            response = self.get(center=code)
            self.assertEqual(response.status_code, 404)
            self.assertEqual(response.json(), {"error": "not_found", "message": "未找到该服务中心", "field": "center"})


class ItemDetailApiTests(GuideData):
    def get(self, code):
        return self.client.get(f"/api/v1/items/{code}")

    def test_it_gives_the_approved_content_without_authentication(self):
        response = self.get(self.aid.code)
        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertTrue(LIST_FIELDS <= set(body))
        self.assertEqual(body["version"], 1)
        self.assertEqual((body["center"], body["center_name"]), (self.p.center_a.code, self.p.center_a.name))
        self.assertEqual([m["name"] for m in body["materials"]], ["法律援助申请表", "经济困难状况说明表"])
        self.assertEqual(body["materials"][1]["copies"], 2)
        self.assertEqual(body["fees"], [])
        self.assertEqual(body["windows"], [1])
        self.assertEqual(body["windows_detail"], [{"number": 1, "name": "综合受理"}])
        for field in ("legal_basis", "conditions", "steps", "visits_reason", "appointment", "online_payment",
                      "delivery", "place", "hours", "consult_phone", "complaint_phone", "faqs", "result_name",
                      "result_sample", "keywords", "level", "body_name"):
            self.assertIn(field, body)
        self.assertEqual(body["faqs"][0]["question"], "可以委托他人代为申请吗？")

    def test_it_gives_fee_amounts(self):
        fee = self.get(self.fee_item.code).json()["fees"][0]
        self.assertEqual(fee["name"], "证件工本费")
        self.assertEqual(str(fee["amount"]), "10.00")

    def test_it_shows_a_new_version_only_once_approved(self):
        steps = [{"name": "受理", "days": 0}, {"name": "审查", "days": 3}]
        change = item_propose(actor=self.p.manager_a, center=self.p.center_a, item=self.aid,
                              data=legal_aid(promised_days=3, steps=steps))
        body = self.get(self.aid.code).json()
        self.assertEqual((body["version"], body["promised_days"]), (1, 5))
        item_change_approve(actor=self.p.bureau, change=change)
        body = self.get(self.aid.code).json()
        self.assertEqual((body["version"], body["promised_days"]), (2, 3))
        listed = self.client.get("/api/v1/items", {"q": "flyz"}).json()[0]
        self.assertEqual(listed["promised_days"], 3)

    def test_it_answers_404_for_unknown_and_unpublished_items(self):
        for code in ("nope", self.draft.code, self.returned.code, self.withdrawn.code):
            with self.subTest(code=code):
                response = self.get(code)
                self.assertEqual(response.status_code, 404)
                body = response.json()
                self.assertEqual(body["error"], "not_found")
                self.assertIn("未找到该事项", body["message"])

    def test_it_declares_its_responses_in_the_openapi_document(self):
        paths = self.client.get("/api/v1/openapi.json").json()["paths"]
        listing, detail = paths["/api/v1/items"]["get"], paths["/api/v1/items/{code}"]["get"]
        self.assertEqual(set(listing["responses"]), {"200", "400", "404"})
        self.assertEqual(set(detail["responses"]), {"200", "400", "404"})  # 400: a code past its 40 characters
        self.assertFalse(listing.get("security"))
        self.assertFalse(detail.get("security"))
        self.assertEqual({p["name"] for p in listing["parameters"]}, {"center", "q", "limit"})
