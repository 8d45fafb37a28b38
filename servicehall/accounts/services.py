"""Sign-in, lock-out, passwords, API keys and the security policy; all audited."""

import copy
import math
from datetime import datetime, timedelta

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from servicehall.audit.models import Outcome
from servicehall.audit.services import audit_record, snapshot
from servicehall.db.caches import BEARER_KEYS
from servicehall.lib.errors import Invalid, NotFound

from .models import ApiKey, Role, SecurityPolicy, User, hash_api_key
from .permissions import ADMINS, require, roles_for

BAD_CREDENTIALS = "用户名或密码错误"


class LoginRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def login_attempt(*, username: str, password: str, request=None, now: datetime | None = None) -> User:
    """Check credentials and the lock; count failures and lock after the policy's limit.

    Returns the user or raises LoginRefused with the message to show. A wrong password and an
    unknown user get the same message. Each attempt is claimed before the (slow) password
    check, so parallel guesses cannot slip past the limit.
    """
    now = now or timezone.now()
    policy = SecurityPolicy.current()
    username = (username or "").strip()
    user = User.objects.filter(username=username).first()
    if user is None:
        authenticate(request, username=username, password=password)  # same cost as a real check
        # Audited like any failure (等保: failed logins are security events), with the name
        # that was tried, since there is no account to point at.
        audit_record(actor=None, action="auth.login_failed", object_type="accounts.user",
                     object_repr=username[:150], outcome=Outcome.FAILURE, after={"reason": "unknown_user"}, now=now)
        raise LoginRefused(BAD_CREDENTIALS)
    if not _claim_attempt(user, policy, now):
        raise LoginRefused(_locked_message(user, policy, now))
    authenticated = authenticate(request, username=username, password=password)
    if authenticated is None:
        if _record_failure(user, policy, now):
            raise LoginRefused(f"连续{policy.login_max_failures}次登录失败，账号已锁定{policy.login_lock_minutes}分钟")
        raise LoginRefused(BAD_CREDENTIALS)
    User.objects.filter(pk=authenticated.pk).update(failed_logins=0, locked_until=None, last_login=now)
    audit_record(actor=authenticated, action="auth.login", obj=authenticated, now=now)
    return authenticated


def _claim_attempt(user: User, policy: SecurityPolicy, now: datetime) -> bool:
    """Reserve one of the allowed attempts in one UPDATE; False when the account is locked
    (or its last allowed attempts are being checked right now). An expired lock starts afresh."""
    User.objects.filter(pk=user.pk, locked_until__lte=now).update(locked_until=None, failed_logins=0)
    claimed = User.objects.filter(pk=user.pk, locked_until__isnull=True, failed_logins__lt=policy.login_max_failures)
    return claimed.update(failed_logins=F("failed_logins") + 1) == 1


def _locked_message(user: User, policy: SecurityPolicy, now: datetime) -> str:
    user.refresh_from_db(fields=["failed_logins", "locked_until"])
    until = user.locked_until or now + timedelta(minutes=policy.login_lock_minutes)
    audit_record(actor=user, action="auth.login_failed", obj=user, outcome=Outcome.DENIED, after={"reason": "locked"},
                 now=now)
    minutes = max(1, math.ceil((until - now).total_seconds() / 60))
    return f"账号已锁定，请{minutes}分钟后再试，或联系安全管理员解锁"


@transaction.atomic
def _record_failure(user: User, policy: SecurityPolicy, now: datetime) -> bool:
    """The claimed attempt failed; lock the account once the limit is reached. True when locked."""
    user.refresh_from_db(fields=["failed_logins", "locked_until"])
    audit_record(actor=user, action="auth.login_failed", obj=user, outcome=Outcome.FAILURE,
                 after={"failed_logins": user.failed_logins}, now=now)
    if user.failed_logins < policy.login_max_failures:
        return False
    until = now + timedelta(minutes=policy.login_lock_minutes)
    if User.objects.filter(pk=user.pk, locked_until__isnull=True).update(locked_until=until):
        BEARER_KEYS.clear()
        audit_record(actor=user, action="auth.locked", obj=user, outcome=Outcome.DENIED, after={"locked_until": until},
                     now=now)
    return True


def password_change(*, actor: User, old_password: str, new_password: str, now: datetime | None = None) -> None:
    """A wrong old password counts as a failed sign-in: a left-open session must not become a
    way to guess the password without limit."""
    now = now or timezone.now()
    policy = SecurityPolicy.current()
    if not _claim_attempt(actor, policy, now):
        raise Invalid("账号已锁定，请稍后再试", field="old_password")
    if not actor.check_password(old_password or ""):
        if _record_failure(actor, policy, now):
            raise Invalid(f"原密码连续{policy.login_max_failures}次错误，账号已锁定", field="old_password")
        raise Invalid("原密码不正确", field="old_password")
    User.objects.filter(pk=actor.pk).update(failed_logins=0)
    _set_new_password(actor=actor, old_password=old_password, new_password=new_password, now=now)


@transaction.atomic
def _set_new_password(*, actor: User, old_password: str, new_password: str, now: datetime) -> None:
    if old_password == new_password:
        raise Invalid("新密码不能与原密码相同", field="new_password")
    _validated_password(actor, new_password, "new_password")
    actor.set_password(new_password)
    actor.password_changed_at = now
    actor.must_change_password = False
    actor.save(update_fields=["password", "password_changed_at", "must_change_password"])
    audit_record(actor=actor, action="auth.password_change", obj=actor, now=now)


def account_action(role: str, business_action: str) -> str:
    """The permission an act on an account of `role` needs: an admin's account is the
    security admin's alone (三权分立), a business account is `business_action`'s."""
    return "admin_account.manage" if role in ADMINS else business_action


def _validated_password(user: User, password: str, field: str = "password") -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise Invalid("；".join(exc.messages), field=field) from exc


@transaction.atomic
def account_password_reset(*, actor: User, user: User, password: str, now: datetime | None = None) -> User:
    """Another person sets `user`'s password (a forgotten one). The holder must replace it at
    the next sign-in, and the reset is a security event the security and audit admins see, so
    knowing it never lets an admin act as the user unnoticed."""
    now = now or timezone.now()
    require(actor, account_action(user.role, "account.manage"))
    _validated_password(user, password)
    user.set_password(password)
    user.must_change_password = True
    user.failed_logins = 0
    user.locked_until = None
    user.save(update_fields=["password", "must_change_password", "failed_logins", "locked_until"])
    audit_record(actor=actor, action="account.password_reset", obj=user, after={"下次登录须修改密码": True}, now=now)
    return user


@transaction.atomic
def account_set_active(*, actor: User, user: User, active: bool, now: datetime | None = None) -> User:
    """Switch an account on or off (never deleted: its history stays). Nobody switches their
    own account off, and the last active security admin stays, or nobody could manage admins."""
    require(actor, account_action(user.role, "account.manage"))
    if not active and user.pk == actor.pk:
        raise Invalid("不能停用自己的账号", field="is_active")
    if (not active and user.role == Role.SECADMIN
            and not User.objects.filter(role=Role.SECADMIN, is_active=True).exclude(pk=user.pk).exists()):
        raise Invalid("这是最后一个在用的安全管理员账号，不能停用", field="is_active")
    before = snapshot(user, ["is_active"])
    User.objects.filter(pk=user.pk).update(is_active=active)
    user.refresh_from_db()
    BEARER_KEYS.clear()
    audit_record(actor=actor, action="account.activate" if active else "account.deactivate", obj=user, before=before,
                 after=snapshot(user, ["is_active"]), now=now)
    return user


@transaction.atomic
def account_unlock(*, actor: User, user: User, now: datetime | None = None) -> User:
    require(actor, account_action(user.role, "account.unlock"))
    User.objects.filter(pk=user.pk).update(locked_until=None, failed_logins=0)
    user.refresh_from_db()
    audit_record(actor=actor, action="account.unlock", obj=user, now=now)
    return user


@transaction.atomic
def account_create(*, actor, username: str, password: str, role: str, full_name: str = "",
                   must_change_password: bool = True, now: datetime | None = None) -> User:
    """A new account: a business one by the system admin, an admin's by the security admin,
    any by the installer (create_admins) and load_demo (actor None). Its password was chosen
    by someone else, so the holder changes it at the first sign-in (the demo's need not)."""
    now = now or timezone.now()
    if role not in Role.values:
        raise Invalid("角色不存在", field="role")
    if actor is not None:  # None: the installer (create_admins) or the demo loader
        require(actor, account_action(role, "account.manage"))
    username = (username or "").strip()
    if not username:
        raise Invalid("请填写用户名", field="username")
    if User.objects.filter(username=username).exists():
        raise Invalid("用户名已存在", field="username")
    user = User(username=username, role=role, full_name=full_name, password_changed_at=now,
                is_staff=role in roles_for("admin.site"), must_change_password=must_change_password)
    _validated_password(user, password)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    audit_record(actor=actor, action="account.create", obj=user,
                 after=snapshot(user, ["username", "role", "full_name"]), now=now)
    return user


POLICY_FIELDS = ("password_min_length", "password_min_classes", "password_max_age_days",
                 "login_max_failures", "login_lock_minutes", "idle_minutes")
# The security admin may tighten the policy but never loosen it past 等保2.0 level 3 practice
# (RULES.md): at least 8 characters of 3 classes, change within 90 days, lock after at most 5
# failures for at least 15 minutes, sign out after at most 30 idle minutes.
POLICY_LIMITS = {
    "password_min_length": (8, 64), "password_min_classes": (3, 4), "password_max_age_days": (1, 90),
    "login_max_failures": (3, 5), "login_lock_minutes": (15, 1440), "idle_minutes": (5, 30),
}


@transaction.atomic
def security_policy_update(*, actor: User, now: datetime | None = None, **values) -> SecurityPolicy:
    """Only the security admin changes the policy, within bounds that keep 等保 level 3."""
    require(actor, "security_policy.edit")
    policy = SecurityPolicy.current()
    before = snapshot(policy, list(POLICY_FIELDS)) if policy.pk else None
    for name, value in values.items():
        if name not in POLICY_FIELDS:
            raise Invalid(f"未知的设置项 {name}", field=name)
        low, high = POLICY_LIMITS[name]
        label = SecurityPolicy._meta.get_field(name).verbose_name
        if not isinstance(value, int) or not low <= value <= high:
            raise Invalid(f"{label}应在{low}至{high}之间", field=name)
        setattr(policy, name, value)
    policy.save()
    audit_record(actor=actor, action="security_policy.update", obj=policy, before=before,
                 after=snapshot(policy, list(POLICY_FIELDS)), now=now)
    return policy


@transaction.atomic
def api_key_create(*, actor, user: User, name: str = "", now: datetime | None = None) -> tuple[ApiKey, str]:
    """Returns the stored key and the raw key, which is shown once and never stored."""
    now = now or timezone.now()
    raw = ApiKey.generate()
    key = ApiKey.objects.create(user=user, name=name, prefix=raw[:10], key_hash=hash_api_key(raw), created_at=now)
    audit_record(actor=actor, action="api_key.create", obj=key, after={"user": user.username, "prefix": key.prefix},
                 now=now)
    return key, raw


@transaction.atomic
def api_key_revoke(*, actor, key: ApiKey, now: datetime | None = None) -> ApiKey:
    now = now or timezone.now()
    if key.revoked_at is not None:
        raise NotFound("该密钥已作废")
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=now)
    BEARER_KEYS.clear()
    key.refresh_from_db()
    audit_record(actor=actor, action="api_key.revoke", obj=key, now=now)
    return key


def api_key_user(raw: str, *, now: datetime | None = None) -> User | None:
    """The active user behind a bearer key, or None. Each request gets its own copy of the
    user, so nothing one request attaches to it reaches another."""
    if not raw:
        return None
    now = now or timezone.now()
    key_hash = hash_api_key(raw)
    key = BEARER_KEYS.get(key_hash, lambda: _active_key(key_hash, now))
    if key is None or key.user.is_locked(now):
        return None
    if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=5):
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return copy.copy(key.user)


def _active_key(key_hash: str, now: datetime) -> ApiKey | None:
    key = ApiKey.objects.select_related("user").filter(key_hash=key_hash, revoked_at__isnull=True).first()
    if key is None or not key.user.is_active or key.user.is_locked(now):
        return None
    return key
