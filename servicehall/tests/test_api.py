"""The API base: health, the OpenAPI document, the one error shape."""

import json

from django.db import connection
from django.test import SimpleTestCase

from servicehall.accounts.services import api_key_create
from servicehall.testing import PersonaTestCase, during_opening_hours


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


class FieldLabelTests(SimpleTestCase):
    def test_every_request_field_has_a_chinese_name(self):
        """A validation message names the field in Chinese ("主管部门：应为文本"): every field of
        every request body and query of the API has its label."""
        from servicehall.api import FIELD_LABELS, api

        schema = api.get_openapi_schema()
        components = schema.get("components", {}).get("schemas", {})

        def fields(node, seen=()):
            if "$ref" in node:
                name = node["$ref"].rsplit("/", 1)[-1]
                if name in seen:
                    return
                node = components[name]
                seen = (*seen, name)
            for key in ("anyOf", "allOf", "oneOf"):
                for part in node.get(key, []):
                    yield from fields(part, seen)
            if "items" in node:
                yield from fields(node["items"], seen)
            for name, prop in node.get("properties", {}).items():
                yield name
                yield from fields(prop, seen)

        missing = set()
        for path, methods in schema["paths"].items():
            for method, operation in methods.items():
                names = [p["name"] for p in operation.get("parameters", []) if p["in"] in {"query", "path"}]
                body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
                names += list(fields(body.get("schema", {})))
                missing |= {f"{method.upper()} {path}: {n}" for n in names if n not in FIELD_LABELS}
        self.maxDiff = None
        self.assertEqual(sorted(missing), [])


class StatedLimitsTests(SimpleTestCase):
    """The document states the bound of every value a request may carry: each string its
    maximum length (or its choices or format), each number its range, each list its size, and
    dates as YYYY-MM-DD text."""

    def test_every_request_value_has_its_bound_in_the_document(self):
        from servicehall.api import api

        schema = api.get_openapi_schema()
        components = schema.get("components", {}).get("schemas", {})
        unbounded = []

        def walk(where, node):
            while "$ref" in node:
                node = components[node["$ref"].rsplit("/", 1)[-1]]
            for key in ("anyOf", "allOf", "oneOf"):
                for part in node.get(key, []):
                    walk(where, part)
            kind = node.get("type")
            if kind == "object" or "properties" in node:
                for name, prop in node.get("properties", {}).items():
                    walk(f"{where}.{name}", prop)
            elif kind == "array":
                if "maxItems" not in node:
                    unbounded.append(f"{where}: list without maxItems")
                walk(f"{where}[]", node.get("items", {}))
            elif kind == "string" and not ({"maxLength", "enum", "const"} & set(node)
                                           or node.get("format") in {"date", "date-time", "time"}):
                unbounded.append(f"{where}: text without maxLength")
            elif kind in {"integer", "number"} and not ({"minimum", "exclusiveMinimum"} & set(node)
                                                        and {"maximum", "exclusiveMaximum"} & set(node)):
                unbounded.append(f"{where}: number without minimum and maximum")

        for path, methods in schema["paths"].items():
            for method, operation in methods.items():
                for parameter in operation.get("parameters", []):
                    walk(f"{method.upper()} {path} {parameter['in']}:{parameter['name']}", parameter["schema"])
                for content in operation.get("requestBody", {}).get("content", {}).values():
                    walk(f"{method.upper()} {path} body", content["schema"])
        self.maxDiff = None
        self.assertEqual(unbounded, [])


@during_opening_hours
class ApiContractTests(PersonaTestCase):
    """What the API's documentation promises, spoken over HTTP."""

    def test_no_credentials_is_401_for_every_method_not_the_csrf_403(self):
        client = self.client_class(enforce_csrf_checks=True)
        for method, path in (("post", "/api/v1/cases"), ("get", "/api/v1/rectifications"),
                             ("post", f"/api/v1/windows/{self.p.window_a.pk}/call-next")):
            response = getattr(client, method)(path, {}, content_type="application/json")
            with self.subTest(path=path):
                self.assertEqual((response.status_code, response.json()["error"]), (401, "not_authenticated"))
        client.force_login(self.p.staff_a)  # a signed-in session still needs its CSRF token
        self.assertEqual(client.post("/api/v1/cases", {}, content_type="application/json").status_code, 403)

    def test_the_public_item_names_each_materials_id_for_a_receipt(self):
        from servicehall.cases.models import Case
        from servicehall.cases.tests.helpers import PERSON, item_data, publish

        item = publish(self.p, item_data("法律援助申请"))
        detail = self.client.get(f"/api/v1/items/{item.code}").json()
        ids = [m["id"] for m in detail["materials"] if m["required"]]
        self.assertEqual([m["name"] for m in detail["materials"]], ["申请表", "收入状况证明", "其他说明材料"])
        _, key = api_key_create(actor=None, user=self.p.staff_a)
        case = self.client.post("/api/v1/cases", {"center": self.p.center_a.code, "items": [item.code],
                                                  "applicant": PERSON, "materials": ids},
                                content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}")
        self.assertEqual((case.status_code, case.json()["status"]), (201, "accepted"))
        self.assertEqual(Case.objects.get().materials.filter(state="received").count(), 2)

    def test_an_error_names_the_requests_own_field(self):
        self.client.force_login(self.p.bureau)
        for department in ([1], None, {"名称": 1}):
            response = self.client.post("/api/v1/centers", {"code": "21140399", "name": "x", "department": department},
                                        content_type="application/json")
            with self.subTest(department=department):
                self.assertEqual((response.status_code, response.json()["field"]), (400, "department"))
                self.assertTrue(response.json()["message"].startswith("主管部门："))

    def test_the_hall_state_takes_the_centres_users_by_session_or_key(self):
        hall = f"/api/v1/centers/{self.p.center_a.code}/hall"
        _, key = api_key_create(actor=None, user=self.p.staff_a)
        _, other = api_key_create(actor=None, user=self.p.staff_b)
        self.assertEqual(self.client.get(hall, HTTP_AUTHORIZATION=f"Bearer {key}").status_code, 200)
        self.assertEqual(self.client.get(hall, HTTP_AUTHORIZATION=f"Bearer {other}").status_code, 404)
        self.assertEqual(self.client.get(hall, HTTP_AUTHORIZATION="Bearer wrong").status_code, 401)
        self.assertEqual(self.client.get(hall).status_code, 401)
        self.client.force_login(self.p.staff_a)
        self.assertEqual(self.client.get(hall).status_code, 200)


class DatesAndTimesTests(PersonaTestCase):
    """Dates are YYYY-MM-DD text, never numbers; moments carry their offset both ways."""

    def test_a_date_given_as_a_number_is_refused_naming_the_field(self):
        for start in ("0", "20261207", "1765000000", "2026-1-7"):
            with self.subTest(start=start):
                response = self.client.get("/api/v1/calendar/due-date", {"start": start, "days": 3})
                self.assertEqual((response.status_code, response.json()["field"]), (400, "start"))
                self.assertEqual(response.json()["message"], "起算日：日期格式应为YYYY-MM-DD")
        response = self.client.get("/api/v1/calendar/due-date", {"start": "2026-12-07", "days": 3})
        self.assertEqual((response.status_code, response.json()["due"]), (200, "2026-12-10"))
        booking = {"category": "A", "day": 20261207, "slot": "09:00", "holder": "11010519491231002X",
                   "phone": "13800138000"}
        response = self.client.post(f"/api/v1/centers/{self.p.center_a.code}/appointments", booking,
                                    content_type="application/json")
        self.assertEqual((response.status_code, response.json()["field"]), (400, "day"))

    def test_a_moment_without_its_offset_is_refused_and_answers_are_in_beijing_time(self):
        from servicehall.audit.services import audit_record

        _, key = api_key_create(actor=self.p.sysadmin, user=self.p.bureau, name="交换")
        auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
        response = self.client.get("/api/v1/reviews/export", {"since": "2026-12-01T09:00:00"}, **auth)
        self.assertEqual((response.status_code, response.json()["field"]), (400, "since"))
        self.assertIn("时区", response.json()["message"])
        self.assertEqual(self.client.get("/api/v1/reviews/export", {"since": "2026-12-01T09:00:00+08:00"},
                                         **auth).status_code, 200)
        from datetime import datetime
        from datetime import timezone as dt_timezone

        event = audit_record(actor=self.p.bureau, action="center.update", center=self.p.center_a,
                             now=datetime(2026, 12, 7, 1, 30, tzinfo=dt_timezone.utc))
        _, audit_key = api_key_create(actor=self.p.secadmin, user=self.p.auditadmin, name="审计")
        answer = self.client.get(f"/api/v1/audit/events/{event.pk}", HTTP_AUTHORIZATION=f"Bearer {audit_key}")
        self.assertEqual(answer.json()["created_at"], "2026-12-07T09:30:00+08:00")
