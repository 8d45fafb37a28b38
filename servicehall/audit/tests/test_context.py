"""The request's source address as audit rows and rate limits see it."""

from django.test import RequestFactory, SimpleTestCase, override_settings

from servicehall.audit.context import client_ip


class ClientIpTests(SimpleTestCase):
    def ip(self, **meta):
        return client_ip(RequestFactory().get("/", **meta))

    def test_the_address_the_trusted_proxy_appended_and_nothing_that_is_not_an_address(self):
        self.assertEqual(self.ip(REMOTE_ADDR="10.0.0.9"), "10.0.0.9")
        self.assertEqual(self.ip(REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="1.2.3.4"), "10.0.0.9")  # not trusted
        with override_settings(SH_TRUST_PROXY=True):
            # The client wrote the first hop; the proxy appended the last.
            self.assertEqual(self.ip(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7"),
                             "203.0.113.7")
            self.assertIsNone(self.ip(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="abc"))
        self.assertIsNone(self.ip(REMOTE_ADDR="not-an-address"))
