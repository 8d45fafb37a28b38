"""Reads of attendance beyond a filter."""

from servicehall.accounts.models import hash_api_key

from .models import Device


def device_by_key(key: str) -> Device | None:
    """The active device whose JSON API key this is."""
    if not key or len(key) > 100:
        return None
    return Device.objects.filter(key_hash=hash_api_key(key), is_active=True).select_related("center").first()
