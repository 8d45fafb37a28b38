"""The request's source address, so services need not thread it through every call."""

from contextvars import ContextVar

current_source_ip: ContextVar[str | None] = ContextVar("current_source_ip", default=None)


def client_ip(request) -> str | None:
    """REMOTE_ADDR, or the first X-Forwarded-For hop when a trusted proxy sets SH_TRUST_PROXY."""
    from django.conf import settings

    if getattr(settings, "SH_TRUST_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


class SourceAddressMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_source_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            current_source_ip.reset(token)
