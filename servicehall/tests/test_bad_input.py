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


class SecurityHeaderTests(PersonaTestCase):
    def test_every_page_carries_the_content_security_policy(self):
        self.login(self.p.staff_a)
        for url in ("/", "/cases/", "/guide/", "/accounts/login/", "/api/v1/health"):
            with self.subTest(url=url):
                policy = self.client.get(url)["Content-Security-Policy"]
                self.assertIn("script-src 'self'", policy)
                self.assertIn("frame-ancestors 'none'", policy)

    def test_no_template_has_an_inline_script_or_handler(self):
        import re
        from pathlib import Path

        root = Path(__file__).resolve().parents[1] / "templates"
        for path in root.rglob("*.html"):
            text = path.read_text(encoding="utf-8")
            with self.subTest(template=str(path.relative_to(root))):
                self.assertEqual(re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", text), [])
                self.assertEqual(re.findall(r"\son[a-z]+\s*=", text), [])

    def test_over_https_plain_http_is_redirected_and_hsts_sent(self):
        with self.settings(SECURE_SSL_REDIRECT=True, SECURE_HSTS_SECONDS=31_536_000,
                           SECURE_REDIRECT_EXEMPT=[r"^api/v1/health$"]):
            plain = self.client.get("/guide/")
            self.assertEqual((plain.status_code, plain["Location"]), (301, "https://testserver/guide/"))
            self.assertEqual(self.client.get("/api/v1/health").status_code, 200)  # the balancer's check
            secure = self.client.get("/guide/", secure=True)
            self.assertEqual(secure["Strict-Transport-Security"], "max-age=31536000")

    def test_the_production_flag_sh_https_turns_both_on(self):
        import os
        import subprocess
        import sys

        env = dict(os.environ, SH_HTTPS="1")
        script = ("import os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'servicehall.settings'); "
                  "from django.conf import settings; print(settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_SECONDS)")
        out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
        self.assertEqual(out.stdout.split(), ["True", "31536000"])


class MalformedBodyTests(PersonaTestCase):
    """Whatever arrives, the API answers in its one error shape."""

    def test_an_oversized_or_malformed_body_gets_the_json_error_shape(self):
        from django.conf import settings

        too_big = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
        bodies = {
            "oversized JSON": (too_big, "application/json"),
            "oversized form": (f"a={too_big}", "application/x-www-form-urlencoded"),
            "malformed multipart": ("--nope\r\nContent-Disposition: form-data\r\n\r\nx",
                                    "multipart/form-data; boundary=b"),
            "multipart without a boundary": ("x", "multipart/form-data"),
        }
        for label, (body, kind) in bodies.items():
            with self.subTest(label):
                response = self.client.generic("POST", "/api/v1/cases", body, content_type=kind)
                self.assertIn(response.status_code, (400, 401, 413), response.content[:200])
                self.assertTrue(response["Content-Type"].startswith("application/json"), response["Content-Type"])
                self.assertEqual(set(response.json()), {"error", "message", "field"})
