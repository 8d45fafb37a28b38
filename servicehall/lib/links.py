"""Addresses a citizen's phone opens: QR codes, printed links and SMS links.

Behind a proxy or on a kiosk's intranet address the request's host is not one a phone reaches,
and an SMS has no request at all, so every such link is built on SH_PUBLIC_BASE_URL (for example
https://zwfw.longgang.gov.cn; `make run` sets it to its own address; production must set it).
"""

from django.conf import settings


def public_url(path: str) -> str:
    """`path` (starting with /) on the public address."""
    return f"{settings.SH_PUBLIC_BASE_URL.rstrip('/')}{path}"
