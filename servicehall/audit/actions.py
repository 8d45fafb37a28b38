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


GROUPS: dict[str, str] = {
    "auth": "登录与会话", "account": "账号", "security_policy": "安全策略", "api_key": "接口密钥",
    "admin": "系统管理", "demo": "演示数据",
}


def register(codes: dict[str, str], groups: dict[str, str] | None = None) -> None:
    LABELS.update(codes)
    GROUPS.update(groups or {})


def grouped_choices() -> list:
    """Choices for a filter: per group, "all of the group" (the prefix) and each action."""
    choices = []
    for prefix, group in sorted(GROUPS.items()):
        codes = sorted((code, label) for code, label in LABELS.items() if code.split(".")[0] == prefix)
        if codes:
            choices.append((group, [(prefix, f"{group}（全部）")] + codes))
    return choices


ROLE_LABELS: dict[str, str] = {}


def register_roles(labels: dict[str, str]) -> None:
    ROLE_LABELS.update(labels)


def role_label(code: str) -> str:
    return ROLE_LABELS.get(code, code)


def label_for(code: str) -> str:
    return LABELS.get(code, code)
