"""Sign-in, lock-out, passwords, API keys and the security policy; all audited."""

import copy
import hashlib
import hmac
import math
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from servicehall.audit.context import client_ip, current_source_ip
from servicehall.audit.models import Outcome
from servicehall.audit.services import audit_record, snapshot
from servicehall.db.caches import BEARER_KEYS
from servicehall.lib.errors import Invalid, NotFound

from .models import ApiKey, LoginFailure, Role, SecurityPolicy, User, hash_api_key
from .permissions import ADMINS, require, roles_for

BAD_CREDENTIALS = "用户名或密码错误"


class LoginRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _recent_failures(policy: SecurityPolicy, now: datetime):
    return LoginFailure.objects.filter(at__gt=now - timedelta(minutes=policy.login_lock_minutes))


def _latest(rows, n: int) -> list[datetime]:
    return list(rows.order_by("-at").values_list("at", flat=True)[:n])


def _counting(username: str, ip: str | None, policy: SecurityPolicy, now: datetime):
    """The failures at this address that count towards its lock: within the lock window and
    after its last lock (a lock that has run out starts the count afresh)."""
    rows = _recent_failures(policy, now).filter(username=username, source_ip=ip)
    last_lock = rows.filter(locks=True).order_by("-pk").values_list("pk", flat=True).first()
    return rows.filter(pk__gt=last_lock) if last_lock else rows


def unknown_name(typed: str) -> str:
    """A name without an account, as stored: a keyed SM3 fingerprint (repeats of one name
    still count together), never the text, which may be a password typed in the wrong field."""
    key = ("login-name:" + settings.SECRET_KEY).encode()
    return "?" + hmac.new(key, typed.encode(), lambda: hashlib.new("sm3")).hexdigest()[:16]


def _lock_message(until: datetime, now: datetime) -> str:
    minutes = max(1, math.ceil((until - now).total_seconds() / 60))
    return f"登录失败次数过多，已锁定，请{minutes}分钟后再试，或联系安全管理员解锁"


def login_wait(username: str, ip: str | None, now: datetime, policy: SecurityPolicy | None = None) -> str | None:
    """Why a sign-in as `username` from `ip` must wait now, or None.

    1. The lock (等保: `login_max_failures` failures lock for `login_lock_minutes`) holds the
       name at this address only: a stranger's guesses cannot lock its holder out elsewhere.
    2. Back-off by name, every address together (a guesser with many addresses): after
       SH_LOGIN_BACKOFF_AFTER failures each further attempt waits twice as long, up to
       SH_LOGIN_BACKOFF_MAX_SECONDS; the holder waits seconds, never a lock.
    3. Back-off by address, every name together (one address trying many names).
    The messages are the same whether or not the name has an account."""
    policy = policy or SecurityPolicy.current()
    recent = _recent_failures(policy, now)
    lock = _latest(recent.filter(username=username, source_ip=ip, locks=True), 1)
    if lock:
        return _lock_message(lock[0] + timedelta(minutes=policy.login_lock_minutes), now)
    longest = settings.SH_LOGIN_BACKOFF_MAX_SECONDS
    for rows, after in ((recent.filter(username=username), settings.SH_LOGIN_BACKOFF_AFTER),
                        (recent.filter(source_ip=ip), settings.SH_LOGIN_ADDRESS_BACKOFF_AFTER)):
        times = _latest(rows, after + 12)  # 2**12 s is past any sensible longest wait
        if len(times) >= after:
            until = times[0] + timedelta(seconds=min(2 ** (len(times) - after), longest))
            if until > now:
                return f"登录尝试过于频繁，请{math.ceil((until - now).total_seconds())}秒后再试"
    return None


def _one_at_a_time(username: str) -> None:
    """Lock the account's row for the rest of the transaction: claims and confirmations of
    one account's failures take turns, so no check sees half of another's change."""
    User.objects.select_for_update().filter(username=username).first()


def _failure_claim(username: str, ip: str | None, policy: SecurityPolicy, now: datetime) -> LoginFailure | None:
    """Count this attempt as failed before the (slow) password check, so parallel guesses
    cannot slip past the lock; None (and nothing counted) when the lock is already full."""
    with transaction.atomic():
        _one_at_a_time(username)
        if (_recent_failures(policy, now).filter(username=username, source_ip=ip, locks=True).exists()
                or _counting(username, ip, policy, now).count() >= policy.login_max_failures):
            return None
        return LoginFailure.objects.create(username=username, source_ip=ip, at=now)


@transaction.atomic
def _failure_confirm(claim: LoginFailure, policy: SecurityPolicy, now: datetime) -> int:
    """The claimed attempt failed: how many now count here; the one that reaches the limit
    locks the name at this address (and says so in the row)."""
    _one_at_a_time(claim.username)
    here = _counting(claim.username, claim.source_ip, policy, now).filter(pk__lte=claim.pk).count()
    if here == policy.login_max_failures:
        LoginFailure.objects.filter(pk=claim.pk).update(locks=True)
    return here


def login_attempt(*, username: str, password: str, request=None, now: datetime | None = None) -> User:
    """Check credentials, the lock and the back-off (login_wait). Returns the user or raises
    LoginRefused with the message to show; a wrong password, an unknown name and an inactive
    account get the same message. Every attempt is audited."""
    now = now or timezone.now()
    policy = SecurityPolicy.current()
    username = (username or "").strip()[:150]
    ip = client_ip(request) if request is not None else current_source_ip.get()
    user = User.objects.filter(username=username).first()
    # What was typed is kept only when it names an account: people type their password into
    # the name field, and it must not end up in the audit trail or the failure counts.
    name = username if user else unknown_name(username)
    target = {"obj": user} if user else {"object_type": "accounts.user", "object_repr": f"未知账号名 {name}"}
    wait = login_wait(name, ip, now, policy)
    claim = None if wait else _failure_claim(name, ip, policy, now)
    if claim is None:
        audit_record(actor=user, action="auth.login_failed", outcome=Outcome.DENIED, after={"reason": "throttled"},
                     now=now, **target)
        # No wait but no claim: parallel guesses filled the lock while this one came in.
        raise LoginRefused(wait or _lock_message(now + timedelta(minutes=policy.login_lock_minutes), now))
    authenticated = authenticate(request, username=username, password=password)  # hashes even for no account
    if authenticated is None:
        here = _failure_confirm(claim, policy, now)
        # Audited like any failure (等保: failed logins are security events), with the name that
        # was tried when there is no account to point at.
        audit_record(actor=user, action="auth.login_failed", outcome=Outcome.FAILURE,
                     after={"failures_here": here} if user else {"reason": "unknown_user"}, now=now, **target)
        if here >= policy.login_max_failures:
            audit_record(actor=user, action="auth.locked", outcome=Outcome.DENIED, now=now,
                         after={"source_ip": ip, "minutes": policy.login_lock_minutes}, **target)
            raise LoginRefused(login_wait(name, ip, now, policy) or BAD_CREDENTIALS)
        raise LoginRefused(BAD_CREDENTIALS)
    LoginFailure.objects.filter(username=name, source_ip=ip).delete()  # consecutive failures only
    User.objects.filter(pk=authenticated.pk).update(last_login=now)
    audit_record(actor=authenticated, action="auth.login", obj=authenticated, now=now)
    return authenticated


def login_failures_purge(now: datetime | None = None) -> int:
    """The background loop's step: failures older than a day count for nothing any more."""
    now = now or timezone.now()
    return LoginFailure.objects.filter(at__lt=now - timedelta(days=1)).delete()[0]


def password_change(*, actor: User, old_password: str, new_password: str, now: datetime | None = None) -> None:
    """A wrong old password counts as a failed sign-in at this address: a left-open session
    must not become a way to guess the password without limit. Reaching the lock raises
    Invalid with code "locked", and the page signs the session out."""
    now = now or timezone.now()
    policy = SecurityPolicy.current()
    ip = current_source_ip.get()
    wait = login_wait(actor.username, ip, now, policy)
    claim = None if wait else _failure_claim(actor.username, ip, policy, now)
    if claim is None:
        raise Invalid(wait or _lock_message(now + timedelta(minutes=policy.login_lock_minutes), now),
                      field="old_password", code="locked")
    if not actor.check_password(old_password or ""):
        here = _failure_confirm(claim, policy, now)
        audit_record(actor=actor, action="auth.login_failed", obj=actor, outcome=Outcome.FAILURE,
                     after={"failures_here": here, "reason": "old_password"}, now=now)
        if here >= policy.login_max_failures:
            audit_record(actor=actor, action="auth.locked", obj=actor, outcome=Outcome.DENIED, now=now,
                         after={"source_ip": ip, "minutes": policy.login_lock_minutes})
            raise Invalid(f"原密码连续{policy.login_max_failures}次错误，已锁定{policy.login_lock_minutes}分钟",
                          field="old_password", code="locked")
        raise Invalid("原密码不正确", field="old_password")
    LoginFailure.objects.filter(username=actor.username, source_ip=ip).delete()
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
    user.save(update_fields=["password", "must_change_password"])
    LoginFailure.objects.filter(username=user.username).delete()
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
    LoginFailure.objects.filter(username=user.username).delete()
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
    if key is None:
        return None
    if key.last_used_at is None or now - key.last_used_at > timedelta(minutes=5):
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return copy.copy(key.user)


def _active_key(key_hash: str, now: datetime) -> ApiKey | None:
    key = ApiKey.objects.select_related("user").filter(key_hash=key_hash, revoked_at__isnull=True).first()
    if key is None or not key.user.is_active:  # a sign-in lock never stops a device's key
        return None
    return key
