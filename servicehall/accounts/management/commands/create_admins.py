"""At installation: the first account of each of the three admins (三权分立).

After this, admin accounts are created and changed only by the security admin
(/accounts/admins/); business accounts by the system admin. Each password is printed once and
must be changed at the first sign-in.
"""

import secrets
import string

from django.core.management.base import BaseCommand

from servicehall.accounts.models import User
from servicehall.accounts.roles import Role
from servicehall.accounts.services import account_create

FIRST_ADMINS = ((Role.SYSADMIN, "sysadmin", "系统管理员"), (Role.SECADMIN, "secadmin", "安全管理员"),
                (Role.AUDITADMIN, "auditadmin", "审计管理员"))


def one_time_password() -> str:
    """16 random characters with every class the password rules may ask for."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(12)) + "#" + secrets.choice(string.ascii_uppercase) \
        + secrets.choice(string.ascii_lowercase) + secrets.choice(string.digits)


class Command(BaseCommand):
    help = "Create the first system, security and audit admin accounts (each only if that role has none)."

    def add_arguments(self, parser):
        parser.add_argument("--prefix", default="", help="put before each username (e.g. lg_ → lg_sysadmin)")

    def handle(self, *args, **options):
        for role, username, label in FIRST_ADMINS:
            if User.objects.filter(role=role).exists():
                self.stdout.write(f"{label}账号已存在，未新建（此后由安全管理员在“管理员账号”页面管理）。")
                continue
            password = one_time_password()
            user = account_create(actor=None, username=options["prefix"] + username, password=password, role=role,
                                  full_name=label)
            self.stdout.write(f"已创建{label}账号 {user.username}，初始密码 {password}（仅显示一次，首次登录须修改）")
