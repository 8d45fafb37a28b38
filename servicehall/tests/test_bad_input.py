"""Input that would crash a database driver gets a 400, never a 500."""

from servicehall.testing import PersonaTestCase


class NulCharacterTests(PersonaTestCase):
    def test_it_answers_400_for_nul_in_paths_queries_and_bodies(self):
        client = self.login(self.p.bureau)
        self.assertEqual(client.get("/org/centers/%00/").status_code, 400)
        response = client.get("/api/v1/centers/%00/windows")
        self.assertEqual((response.status_code, response.json()["error"]), (400, "invalid"))
        self.assertEqual(client.get("/api/v1/audit/events", {"actor": "a\x00"}).status_code, 400)
        response = client.post("/api/v1/centers", {"code": "\u0000", "name": "x", "department": "区司法局"},
                               content_type="application/json")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(client.post("/org/centers/new/", {"name": "a\x00", "code": "1"}).status_code, 400)


class DatabaseDownTests(PersonaTestCase):
    """While the database restarts, clients are told to retry (503, Retry-After), not 500."""

    def test_pages_and_the_api_answer_503_with_retry_after(self):
        from unittest import mock

        from django.db import OperationalError

        self.client.raise_request_exception = False
        down = OperationalError("connection to server at 127.0.0.1 failed: Connection refused")
        with mock.patch("servicehall.org.selectors._visible_center_ids", side_effect=down):
            self.login(self.p.bureau)
            page = self.client.get("/org/centers/")
            api = self.client.get("/api/v1/centers")
        self.assertEqual((page.status_code, page["Retry-After"]), (503, "5"))
        self.assertContains(page, "请几秒钟后重试", status_code=503)
        self.assertEqual((api.status_code, api["Retry-After"], api.json()["error"]), (503, "5", "unavailable"))
