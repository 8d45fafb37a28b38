"""Reads of accounts beyond a filter."""

from servicehall.audit.models import AuditEvent

from .models import User
from .permissions import ADMINS

# What the security admin watches: accounts created, switched on or off, unlocked, and every
# password set by someone other than its holder (the way an admin could act as a user).
ACCOUNT_EVENTS = ("account.create", "account.password_reset", "account.activate", "account.deactivate",
                  "account.unlock", "admin.add")


def admin_accounts():
    return User.objects.filter(role__in=ADMINS).order_by("role", "username")


def account_events(limit: int = 15):
    """The latest account events, newest first."""
    return AuditEvent.objects.filter(action__in=ACCOUNT_EVENTS, object_type="accounts.user").order_by("-id")[:limit]
