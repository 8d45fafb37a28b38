"""The API's one error shape, importable by every app's api.py."""

from ninja import Schema


class ErrorOut(Schema):
    error: str
    message: str
    field: str | None = None


def errors(*statuses: int) -> dict:
    """Response declarations for the error statuses an endpoint can give."""
    return {status: ErrorOut for status in statuses}
