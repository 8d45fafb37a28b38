"""The request's source address, so services need not thread it through every call."""

import ipaddress
from contextvars import ContextVar

current_source_ip: ContextVar[str | None] = ContextVar("current_source_ip", default=None)


def client_ip(request) -> str | None:
    """REMOTE_ADDR, or behind the trusted proxy (SH_TRUST_PROXY) the X-Forwarded-For hop it
    appended: the last one (the client writes whatever it likes before it). Anything that is
    not an address is None, never stored or compared as one."""
    from django.conf import settings

    address = request.META.get("REMOTE_ADDR") or ""
    if getattr(settings, "SH_TRUST_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            address = forwarded.split(",")[-1].strip()
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


class SourceAddressMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_source_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            current_source_ip.reset(token)
