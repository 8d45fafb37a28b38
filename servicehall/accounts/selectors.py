"""Reads of accounts beyond a filter."""

from datetime import timedelta

from servicehall.audit.models import AuditEvent

from .models import LoginFailure, SecurityPolicy, User
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


def locks(now) -> list[dict]:
    """The names locked at an address now (services.login_wait's first rule): name, address,
    until, whether an account has that name. A name without an account is listed too: it is
    someone trying names."""
    minutes = timedelta(minutes=SecurityPolicy.current().login_lock_minutes)
    rows = LoginFailure.objects.filter(locks=True, at__gt=now - minutes, at__lte=now).order_by("-at")
    return [{"username": "未知账号名" if r.username.startswith("?") else r.username, "source_ip": r.source_ip,
             "account": not r.username.startswith("?"), "until": r.at + minutes} for r in rows]


def with_locks(users, now) -> list:
    """`users`, each with `lock_until`: when its last lock at some address ends, or None."""
    until = {}
    for lock in locks(now):
        until[lock["username"]] = max(lock["until"], until.get(lock["username"], lock["until"]))
    users = list(users)
    for user in users:
        user.lock_until = until.get(user.username)
    return users
