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
