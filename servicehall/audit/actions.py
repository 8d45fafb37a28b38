"""Action codes recorded in the audit trail and their Chinese labels for the audit page.

Apps register their own codes with `register`; an unknown code is shown as it is.
"""

LABELS: dict[str, str] = {
    "auth.login": "登录",
    "auth.login_failed": "登录失败",
    "auth.locked": "账号锁定",
    "auth.logout": "退出登录",
    "auth.idle_logout": "超时自动退出",
    "auth.locked_logout": "锁定后强制退出",
    "auth.password_change": "修改密码",
    "account.unlock": "解除锁定",
    "account.create": "创建账号",
    "security_policy.update": "修改安全策略",
    "api_key.create": "创建接口密钥",
    "api_key.revoke": "作废接口密钥",
    "admin.add": "系统管理：新增",
    "admin.change": "系统管理：修改",
    "demo.load": "加载演示数据",
}


def register(codes: dict[str, str]) -> None:
    LABELS.update(codes)


def label_for(code: str) -> str:
    return LABELS.get(code, code)
