"""Sending SMS: one interface, the backend chosen by `SH_SMS_BACKEND`.

No real gateway is connected yet. The default backend writes each message to the
`servicehall.sms` log and keeps the last ones in memory (`LoggingBackend.sent`), so the
review invitations can be followed in development and read back in tests. A gateway backend
needs only a `send(phone, text)` method.
"""

import logging
from collections import deque

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("servicehall.sms")


class LoggingBackend:
    sent: deque = deque(maxlen=200)

    def send(self, phone: str, text: str) -> None:
        self.sent.append((phone, text))
        logger.info("SMS to %s: %s", phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "***", text)


def send_sms(phone: str, text: str) -> None:
    """Send one message; a failing gateway is logged, never raised into the caller's work."""
    if not phone:
        return
    try:
        import_string(getattr(settings, "SH_SMS_BACKEND", "servicehall.lib.sms.LoggingBackend"))().send(phone, text)
    except Exception:  # the gateway's trouble must not undo the service that was given
        logger.exception("SMS to a citizen could not be sent")
