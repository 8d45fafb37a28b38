"""Keyed API requests (a bearer or kiosk key, no cookie) skip the session middleware
(`api_lane.KeyedApiMiddleware`): the same answers, headers, scope and errors as through the
whole chain."""

import json

from django.conf import settings
from django.http import HttpResponse
from django.test import RequestFactory

from servicehall.accounts.services import api_key_create
from servicehall.api_lane import NOT_FOR_KEYED, KeyedApiMiddleware
from servicehall.cases.models import Case
from servicehall.cases.tests.helpers import PERSON, item_data, materials, publish
from servicehall.queueing.services import settings_for
from servicehall.queueing.tests.test_tickets import categories
from servicehall.testing import PersonaTestCase

HEADERS = ("Content-Type", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy",
           "Cross-Origin-Opener-Policy", "Content-Language", "Vary")


class KeyedApiTests(PersonaTestCase):
    def setUp(self):
        categories(self.p)
        self.kiosk_key = settings_for(self.p.center_a).kiosk_key
        self.key_a = api_key_create(actor=None, user=self.p.staff_a, name="受理终端")[1]
        self.item = publish(self.p, item_data("法律援助申请"))
        self.case_body = {"center": self.p.center_a.code, "items": [self.item.code], "applicant": PERSON,
                          "materials": list(materials(self.item).values())}

    def post(self, url, body, **headers):
        return self.client.post(url, json.dumps(body), content_type="application/json", **headers)

    def test_every_middleware_is_decided_for_keyed_requests(self):
        self.assertEqual(set(settings.MIDDLEWARE), set(settings.KEYED_API_MIDDLEWARE) | set(NOT_FOR_KEYED))
        self.assertFalse(set(settings.KEYED_API_MIDDLEWARE) & set(NOT_FOR_KEYED))
        keyed = [path for path in settings.MIDDLEWARE if path in settings.KEYED_API_MIDDLEWARE]
        self.assertEqual(keyed, settings.KEYED_API_MIDDLEWARE)  # in the order MIDDLEWARE gives them

    def test_which_requests_take_the_lane(self):
        passed_on = HttpResponse(status=299)
        middleware = KeyedApiMiddleware(lambda request: passed_on)
        factory = RequestFactory()
        bearer = {"HTTP_AUTHORIZATION": f"Bearer {self.key_a}"}
        tickets = f"/api/v1/centers/{self.p.center_a.code}/tickets"
        body = json.dumps(self.case_body)
        accepted = middleware(factory.post("/api/v1/cases", body, content_type="application/json", **bearer))
        self.assertEqual((accepted.status_code, json.loads(accepted.content)["status"]), (201, "accepted"))
        issued = middleware(factory.post(tickets, '{"category": "A"}', content_type="application/json",
                                         HTTP_X_KIOSK_KEY=self.kiosk_key))
        self.assertEqual((issued.status_code, json.loads(issued.content)["number"]), (201, "A001"))
        number = json.loads(accepted.content)["number"]
        self.assertEqual(json.loads(middleware(factory.get(f"/api/v1/cases/{number}", **bearer)).content)["number"],
                         number)
        for request in (factory.post("/api/v1/cases", body, content_type="application/json", HTTP_COOKIE="sessionid=x",
                                     **bearer),  # a browser: the full chain, CSRF included
                        factory.post("/api/v1/cases", body, content_type="application/json",
                                     HTTP_AUTHORIZATION="Bearer not-a-key"),  # the API answers it, as always
                        factory.post(tickets, "{}", content_type="application/json", HTTP_X_KIOSK_KEY="not-a-key"),
                        factory.post("/api/v1/cases", body, content_type="application/json"),
                        factory.get("/api/v1/no-such-thing", **bearer),
                        factory.get("/cases/", **bearer)):  # pages are never keyed
            self.assertIs(middleware(request), passed_on)
        self.assertEqual(Case.objects.count(), 1)

    def test_the_lane_answers_as_the_whole_chain_does(self):
        bearer = {"HTTP_AUTHORIZATION": f"Bearer {self.key_a}"}
        lane = self.post("/api/v1/cases", self.case_body, **bearer)
        chain = self.post("/api/v1/cases", self.case_body, HTTP_COOKIE="a=b", **bearer)
        self.assertEqual((lane.status_code, chain.status_code), (201, 201))
        self.assertEqual((hasattr(lane.wsgi_request, "keyed_lane"), hasattr(chain.wsgi_request, "keyed_lane")),
                         (True, False))
        self.assertEqual(set(lane.json()), set(chain.json()))
        for header in HEADERS:
            self.assertEqual(lane.get(header), chain.get(header), header)
        bad = dict(self.case_body, applicant=dict(PERSON, id_number="110105194912310021"))
        refused = [self.post("/api/v1/cases", bad, **bearer),
                   self.post("/api/v1/cases", bad, HTTP_COOKIE="a=b", **bearer)]
        self.assertEqual([r.status_code for r in refused], [400, 400])
        self.assertEqual(refused[0].json(), refused[1].json())
        self.assertEqual(refused[0].json()["field"], "applicant.id_number")
        nul = self.client.post("/api/v1/cases", '{"center": "\\u0000"}', content_type="application/json", **bearer)
        self.assertEqual((nul.status_code, nul.json()["error"]), (400, "invalid"))
        self.assertEqual(Case.objects.count(), 2)

    def test_the_lane_keeps_each_key_to_its_centre(self):
        other = api_key_create(actor=None, user=self.p.staff_b, name="受理终端")[1]
        refused = self.post("/api/v1/cases", self.case_body, HTTP_AUTHORIZATION=f"Bearer {other}")
        self.assertEqual((refused.status_code, refused.json()["error"]), (404, "not_found"))
        other_kiosk = settings_for(self.p.center_b).kiosk_key
        issued = self.post(f"/api/v1/centers/{self.p.center_a.code}/tickets", {"category": "A"},
                           HTTP_X_KIOSK_KEY=other_kiosk)
        self.assertIn(issued.status_code, (403, 404))
        self.assertEqual(Case.objects.count(), 0)

    def test_a_view_that_takes_no_key_sees_nobody_in_the_lane_too(self):
        """The hall document takes a display key or a signed-in user, not a bearer key: the lane
        must not hand the key's user to a view that does not authenticate keys itself."""
        bearer = {"HTTP_AUTHORIZATION": f"Bearer {self.key_a}"}
        url = f"/api/v1/centers/{self.p.center_a.code}/hall"
        lane, chain = self.client.get(url, **bearer), self.client.get(url, HTTP_COOKIE="a=b", **bearer)
        self.assertEqual((lane.status_code, chain.status_code), (401, 401))
        self.assertTrue(hasattr(lane.wsgi_request, "keyed_lane"))

    def test_errors_around_the_view_are_answered_as_by_the_whole_chain(self):
        bearer = {"HTTP_AUTHORIZATION": f"Bearer {self.key_a}"}
        foreign = self.post("/api/v1/cases", self.case_body, HTTP_HOST="elsewhere.example", **bearer)
        self.assertEqual((foreign.status_code, foreign.json()["error"]), (400, "invalid"))
        self.assertFalse(hasattr(foreign.wsgi_request, "keyed_lane"))  # a host not allowed: the whole way
        huge = dict(self.case_body, applicant=dict(PERSON, name="王" * 1_500_000))  # past the upload limit
        lane = self.post("/api/v1/cases", huge, **bearer)
        chain = self.post("/api/v1/cases", huge, HTTP_COOKIE="a=b", **bearer)
        self.assertTrue(hasattr(lane.wsgi_request, "keyed_lane"))
        for header in HEADERS[:-1]:  # Vary: Cookie is on every lane answer (it depends on there being none)
            self.assertEqual(lane.get(header), chain.get(header), header)
        self.assertEqual((lane.status_code, lane.content), (chain.status_code, chain.content))
        self.assertEqual(lane.status_code, 400)
        self.assertEqual(Case.objects.count(), 0)
