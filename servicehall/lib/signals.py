"""Sending a signal once the write it announces has committed.

Apps tell higher apps what happened through Django signals (each app's `signals.py` says what
it sends; receivers connect in their AppConfig.ready()), so no lower app imports a higher one.
"""

import logging

from django.db import transaction

logger = logging.getLogger("servicehall.signals")


def send_after_commit(signal, sender, **kwargs) -> None:
    """Send `signal` when the current transaction commits (at once outside one). A receiver
    that fails is logged and the others still run: the write it follows has committed, and
    what a receiver does (an SMS) must never turn that into an error."""

    def send() -> None:
        for receiver, result in signal.send_robust(sender, **kwargs):
            if isinstance(result, Exception):
                logger.error("receiver %r of %s failed", receiver, sender, exc_info=result)

    transaction.on_commit(send)
