"""Who may do what, in one place: the named role sets and the one check.

Each app declares its actions in its own permissions.py (`ACTIONS`: action code → `Rule`, read
through lib/registry.py). Everything asks the same question, `can(user, action, center=None)`:
pages (`web.requires`), API operations (`web.permitted`, checked with the key or session before
the request is read), templates (`{% can %}` and the navigation), services (`require`) and the
admin site. A generated test walks every declared action for every role, on a centre of one's
own and one of another's (servicehall/tests/test_permissions.py).

A rule is the roles that may act and which centres: with a centre given, it must be one the
user may see (org's rule, named in settings as SH_CENTRE_SCOPE, since accounts sits below org);
rules that hold for every centre (`scope=EVERY_CENTRE`) need a user who sees every centre of the
installation. Whether an object is in a state to act on (a closed case, an inquiry owned by
another) is the service's business, not this module's.
"""

from functools import cache
from importlib import import_module
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from servicehall.lib.errors import Forbidden, NotFound
from servicehall.lib.registry import app_modules

from .roles import Role

# --- named role sets -------------------------------------------------------------------------

SUPERVISORS = frozenset({Role.BUREAU, Role.CITY_BUREAU})  # 营商局: supervises its centres, decides
MANAGERS = frozenset({Role.MANAGER})  # 分中心负责人
HEADS = SUPERVISORS | MANAGERS  # the head of a body: manages a centre, approves an extension
OPERATORS = frozenset({Role.STAFF, Role.MANAGER})  # the front line of a centre: windows, cases, desk
WINDOW_STAFF = frozenset({Role.STAFF})  # 窗口人员: serve at a window, own their cases
LEADERSHIP = frozenset({Role.LEADERSHIP})  # 领导小组: reads, never writes
OVERSEERS = HEADS | LEADERSHIP  # read the management pages (catalogue, figures)
BUSINESS = OPERATORS | SUPERVISORS | LEADERSHIP  # every business role
SYSTEM_ADMIN = frozenset({Role.SYSADMIN})  # 三权分立: the three admins never share a power
SECURITY_ADMIN = frozenset({Role.SECADMIN})
AUDIT_ADMIN = frozenset({Role.AUDITADMIN})
ACCOUNT_ADMINS = SYSTEM_ADMIN | SECURITY_ADMIN
ADMINS = SYSTEM_ADMIN | SECURITY_ADMIN | AUDIT_ADMIN
EVERYONE = frozenset(Role.values)

# Which centres a role sees (org's scope rule reads these): every centre; every centre of the
# districts the user's memberships are in; their centres and every centre of the departments
# they belong to (dual management); their centres. The three admins see none.
SEES_ALL_CENTRES = frozenset({Role.CITY_BUREAU})
SEES_DISTRICT = frozenset({Role.BUREAU, Role.LEADERSHIP})
SEES_DEPARTMENT_CENTRES = MANAGERS
SEES_OWN_CENTRES = WINDOW_STAFF

CENTRE = "centre"  # with a centre: one the user may see
EVERY_CENTRE = "every centre"  # the user must see every centre of the installation


class Rule(NamedTuple):
    roles: frozenset
    label: str  # what the action is, in Chinese (the refusal names it)
    denied: str = ""  # the refusal, when "没有<label>的权限" says it badly
    scope: str = CENTRE

    @property
    def refusal(self) -> str:
        return self.denied or f"没有{self.label}的权限"


@cache
def actions() -> dict[str, Rule]:
    """Every declared action, from every app's permissions.py."""
    declared: dict[str, Rule] = {}
    for module in app_modules("permissions"):
        for code, rule in module.ACTIONS.items():
            if code in declared:
                raise ImproperlyConfigured(f"permission action {code} is declared twice")
            declared[code] = rule
    return declared


def rule(action: str) -> Rule:
    try:
        return actions()[action]
    except KeyError:
        raise ImproperlyConfigured(f"undeclared permission action {action!r}") from None


def roles_for(action: str) -> frozenset:
    """The roles that may do `action` (for a query of the people who may, e.g. a hand-over)."""
    return rule(action).roles


@cache
def _centre_scope():
    """Org's scope rule (SH_CENTRE_SCOPE names the module): `visible_center_ids(user)` and
    `all_center_ids()`."""
    return import_module(settings.SH_CENTRE_SCOPE)


def visible_centre_ids(user) -> tuple[int, ...]:
    return _centre_scope().visible_center_ids(user)


def _active(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def _sees_every_centre(user) -> bool:
    return set(_centre_scope().all_center_ids()) <= set(visible_centre_ids(user))


def can(user, action: str, center=None) -> bool:
    """May `user` do `action` (at `center`, a centre or its id, when given)?"""
    found = rule(action)
    if not _active(user) or user.role not in found.roles:
        return False
    if found.scope == EVERY_CENTRE:
        return _sees_every_centre(user)
    return center is None or getattr(center, "pk", center) in visible_centre_ids(user)


def require(user, action: str, center=None, *, message: str = "") -> None:
    """`can`, or the refusal: 404 for a centre the user may not see (its existence is not
    revealed), 403 with `message` or the action's own otherwise."""
    if can(user, action, center):
        return
    found = rule(action)
    if (found.scope == CENTRE and center is not None and _active(user)
            and getattr(center, "pk", center) not in visible_centre_ids(user)):
        raise NotFound("未找到")
    raise Forbidden(message or found.refusal)


ACTIONS = {
    "account.list": Rule(ACCOUNT_ADMINS, "查看账号"),
    "account.password": Rule(EVERYONE, "修改本人密码"),
    # 三权分立: the system admin manages business accounts; the admins' own accounts (all three
    # roles) are the security admin's alone; the audit admin only reads. The target's role
    # decides which action a service asks for (services.account_action).
    "account.unlock": Rule(ACCOUNT_ADMINS, "解除账号锁定", "只有安全管理员或系统管理员可以解锁账号"),
    "account.manage": Rule(SYSTEM_ADMIN, "管理业务账号", "业务账号只能由系统管理员创建和修改"),
    "admin_account.manage": Rule(SECURITY_ADMIN, "管理管理员账号", "管理员账号只能由安全管理员创建和修改"),
    "security_policy.edit": Rule(SECURITY_ADMIN, "修改安全策略", "只有安全管理员可以修改安全策略"),
    "admin.site": Rule(SYSTEM_ADMIN, "进入系统管理后台", "系统管理后台仅限系统管理员"),
    # Which rows: org's audit reader rule (SH_AUDIT_READER_SCOPE), which asks this for the role.
    "audit.read": Rule(AUDIT_ADMIN | OPERATORS | SUPERVISORS, "查看审计日志"),
    "audit.verify": Rule(AUDIT_ADMIN, "校验审计链", "只有审计管理员可以校验审计链"),
}
