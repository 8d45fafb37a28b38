"""Logging filters named in settings.LOGGING."""

import logging


class RefusalsOnOneLine(logging.Filter):
    """A refused request (403, 404) is an expected answer, not a fault: Django logs a
    PermissionDenied with its traceback, which buries real errors. Keep the one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) in (403, 404):
            record.exc_info = None
            record.exc_text = None
        return True
