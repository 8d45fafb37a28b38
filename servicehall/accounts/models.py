"""Users, roles, login security and API keys.

One role per user: the three admin roles must stay separate (三权分立), and a role mix on one
account would defeat that. Which centres a user may see is decided by org memberships
(`servicehall.org.selectors.visible_centers`), not here, because accounts sits below org.
"""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models

from .roles import Role


class User(AbstractUser):
    role = models.CharField("角色", max_length=20, choices=Role.choices, default=Role.STAFF)
    full_name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("手机号码", max_length=20, blank=True)
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)
    # Set when someone else chose this password (a new account, an admin's reset): the holder
    # must replace it before doing anything, so an admin who knows it cannot quietly act as them.
    must_change_password = models.BooleanField("下次登录须修改密码", default=False)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self):
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    def get_short_name(self) -> str:
        """What the admin greets the user by (欢迎，系统管理员), never the account in capitals."""
        return self.display_name

    def password_expired(self, now, max_age_days: int) -> bool:
        """Set by someone else, or older than the policy allows. An account whose password was
        set outside the change page (createsuperuser, create_user) has no change date; its
        password dates from the account's creation, so it cannot escape the rule."""
        if self.must_change_password:
            return True
        changed = self.password_changed_at or self.date_joined
        if not max_age_days or changed is None:
            return False
        return now - changed > timedelta(days=max_age_days)


class LoginFailure(models.Model):
    """One failed sign-in (or wrong old password), by the name typed and the source address.

    The back-off and the lock are counted from these rows (services.login_attempt), so a lock
    holds one account at one address, never the account everywhere, and a name that has no
    account is counted exactly like one that has. A success deletes its own address's rows
    (consecutive failures); the security admin's unlock deletes an account's rows; the
    background loop drops rows older than a day. The audit trail keeps every attempt."""

    username = models.CharField("用户名", max_length=150)
    source_ip = models.GenericIPAddressField("来源地址", null=True, blank=True)
    at = models.DateTimeField("时间")
    locks = models.BooleanField("达到次数而锁定", default=False)  # the failure that reached the limit

    class Meta:
        verbose_name = "登录失败"
        verbose_name_plural = "登录失败"
        indexes = [models.Index(fields=["username", "at"], name="login_failure_user_idx"),
                   models.Index(fields=["source_ip", "at"], name="login_failure_source_idx")]

    def __str__(self):
        return f"{self.username} {self.source_ip or ''} {self.at:%Y-%m-%d %H:%M:%S}"


class IdempotentRequest(models.Model):
    """The first answer to a write sent with an `Idempotency-Key` header (ticket issue, case
    receipt): a client that lost the answer and sends again gets this one, not a second ticket
    or case. Kept a day (accounts.tasks)."""

    scope = models.CharField("调用方", max_length=40)  # user:<id> or kiosk:<centre id>
    operation = models.CharField("接口", max_length=40)
    key = models.CharField("幂等键", max_length=100)
    status = models.PositiveSmallIntegerField("状态码")
    body = models.BinaryField("应答")
    created_at = models.DateTimeField("时间")

    class Meta:
        verbose_name = "幂等请求"
        verbose_name_plural = "幂等请求"
        constraints = [models.UniqueConstraint(fields=["scope", "operation", "key"], name="idempotent_request_key")]

    def __str__(self):
        return f"{self.operation} {self.key}"


class SecurityPolicy(models.Model):
    """The live login-security figures; one row, edited by the security admin.

    Defaults come from settings (env `SH_*`), so a fresh installation follows RULES.md.
    """

    password_min_length = models.PositiveIntegerField("密码最小长度", default=8)
    password_min_classes = models.PositiveIntegerField("密码至少包含的字符类别数", default=3)
    password_max_age_days = models.PositiveIntegerField("密码有效期（天）", default=90)
    login_max_failures = models.PositiveIntegerField("连续失败锁定次数", default=5)
    login_lock_minutes = models.PositiveIntegerField("锁定时长（分钟）", default=15)
    idle_minutes = models.PositiveIntegerField("无操作自动退出（分钟）", default=30)
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "安全策略"
        verbose_name_plural = "安全策略"

    @classmethod
    def current(cls) -> "SecurityPolicy":
        policy = cls.objects.order_by("pk").first()
        if policy is None:
            policy = cls(
                password_min_length=settings.SH_PASSWORD_MIN_LENGTH,
                password_min_classes=settings.SH_PASSWORD_MIN_CLASSES,
                password_max_age_days=settings.SH_PASSWORD_MAX_AGE_DAYS,
                login_max_failures=settings.SH_LOGIN_MAX_FAILURES,
                login_lock_minutes=settings.SH_LOGIN_LOCK_MINUTES,
                idle_minutes=settings.SH_IDLE_MINUTES,
            )
        return policy

    def __str__(self):
        return "安全策略"


def hash_api_key(raw: str) -> str:
    """API keys are random 256-bit strings, so a plain SHA-256 is enough (no stretching)."""
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiKey(models.Model):
    """A bearer key for devices and the district platform; only its hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys", verbose_name="用户")
    name = models.CharField("用途", max_length=100, blank=True)
    prefix = models.CharField("前缀", max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField("创建时间")
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    revoked_at = models.DateTimeField("作废时间", null=True, blank=True)

    class Meta:
        verbose_name = "接口密钥"
        verbose_name_plural = "接口密钥"

    def __str__(self):
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def generate() -> str:
        return "sh_" + secrets.token_urlsafe(32)
