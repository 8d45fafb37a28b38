"""A refused request is logged as one line, a real error with its traceback."""

import io
import logging

from servicehall.testing import PersonaTestCase


class RefusalLogTests(PersonaTestCase):
    def setUp(self):
        self.handler = next(h for h in logging.getLogger().handlers
                            if any(type(f).__name__ == "RefusalsOnOneLine" for f in h.filters))
        self.stream, self.handler.stream = self.handler.stream, io.StringIO()

    def tearDown(self):
        self.handler.stream = self.stream

    def test_a_403_is_one_line_without_a_traceback(self):
        self.login(self.p.staff_a)
        self.assertEqual(self.client.get("/accounts/security/").status_code, 403)
        output = self.handler.stream.getvalue()
        self.assertIn("Forbidden", output)
        self.assertNotIn("Traceback", output)
        self.assertEqual(len(output.strip().splitlines()), 1, output)

    def test_an_error_keeps_its_traceback(self):
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("servicehall.test").exception("failed", extra={"status_code": 500})
        self.assertIn("Traceback", self.handler.stream.getvalue())
