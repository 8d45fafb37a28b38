from django.apps import AppConfig

from .roles import Role


class AccountsConfig(AppConfig):
    name = "servicehall.accounts"
    verbose_name = "账号与安全"
    # Labels of the audit trail (lib/registry.py)
    audit_roles = dict(Role.choices)
    audit_actions = {
        "auth.login": "登录", "auth.login_failed": "登录失败", "auth.locked": "账号锁定", "auth.logout": "退出登录",
        "auth.idle_logout": "超时自动退出", "auth.locked_logout": "锁定后强制退出", "auth.password_change": "修改密码",
        "account.unlock": "解除锁定", "account.create": "创建账号",
        "account.password_reset": "重置密码", "account.activate": "启用账号", "account.deactivate": "停用账号",
        "security_policy.update": "修改安全策略",
        "api_key.create": "创建接口密钥", "api_key.revoke": "作废接口密钥",
        "admin.add": "系统管理：新增", "admin.change": "系统管理：修改",
    }
    audit_groups = {"auth": "登录与会话", "account": "账号", "security_policy": "安全策略", "api_key": "接口密钥",
                    "admin": "系统管理"}
