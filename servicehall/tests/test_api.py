"""The API base: health, the OpenAPI document, the one error shape."""

import json

from django.db import connection

from servicehall.testing import PersonaTestCase


class ApiBaseTests(PersonaTestCase):
    def test_it_reports_health_and_the_database(self):
        response = self.client.get("/api/v1/health")
        self.assertEqual(response.json(), {"status": "ok", "database": connection.vendor})
        self.assertIn(connection.vendor, {"sqlite", "postgresql"})

    def test_it_serves_the_openapi_document_and_the_docs_page(self):
        document = self.client.get("/api/v1/openapi.json").json()
        self.assertIn("/api/v1/centers", document["paths"])
        self.assertEqual(self.client.get("/api/v1/docs").status_code, 200)

    def test_it_declares_every_error_response_with_the_error_shape(self):
        document = self.client.get("/api/v1/openapi.json").json()
        post = document["paths"]["/api/v1/centers"]["post"]["responses"]
        self.assertTrue({"201", "400", "401", "403", "409"} <= set(post))
        self.assertNotIn("422", json.dumps(document["paths"]))
        schema = post["400"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
        self.assertEqual(set(document["components"]["schemas"][schema]["properties"]), {"error", "message", "field"})
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                if operation.get("security"):
                    with self.subTest(path=path, method=method):
                        self.assertIn("401", operation["responses"])

    def test_it_answers_401_with_the_error_shape(self):
        response = self.client.get("/api/v1/centers")
        self.assertEqual(response.status_code, 401)
        self.assertEqual(response.json()["error"], "not_authenticated")
        self.assertIsNone(response.json()["field"])

    def test_it_answers_400_for_malformed_json(self):
        client = self.login(self.p.bureau)
        response = client.post("/api/v1/centers", "{not json", content_type="application/json")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(set(response.json()), {"error", "message", "field"})

    def test_it_answers_404_in_the_error_shape_for_unknown_api_paths(self):
        response = self.login(self.p.bureau).get("/api/v1/no-such-thing")
        self.assertEqual(response.status_code, 404)
        self.assertEqual(response.json()["error"], "not_found")

    def test_it_keeps_the_error_shape_for_wrong_methods_and_says_fields_in_chinese(self):
        response = self.login(self.p.bureau).delete("/api/v1/centers")
        self.assertEqual(response.status_code, 405)
        self.assertEqual(response.json()["error"], "method_not_allowed")
        response = self.client.get("/api/v1/calendar/due-date", {"start": "2026-09-30", "days": "x"})
        self.assertTrue(response.json()["message"].startswith("工作日数"))
        self.assertEqual(response.json()["field"], "days")


class KeyedRequestTests(PersonaTestCase):
    def test_a_view_that_takes_no_bearer_key_does_not_take_one(self):
        """The hall document takes a display key or a signed-in user: a bearer key alone is
        nobody there."""
        from servicehall.accounts.services import api_key_create

        key = api_key_create(actor=None, user=self.p.staff_a, name="叫号终端")[1]
        response = self.client.get(f"/api/v1/centers/{self.p.center_a.code}/hall", HTTP_AUTHORIZATION=f"Bearer {key}")
        self.assertEqual((response.status_code, response.json()["error"]), (401, "not_authenticated"))
