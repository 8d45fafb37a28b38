"""Chinese labels of the audit trail's action codes and of the roles, for the audit page.

Each app declares the codes it writes in its AppConfig (`audit_actions`, and `audit_groups`
for the page's filter, by code prefix); accounts declares the role labels (`audit_roles`).
They are read through `lib.registry`, since audit sits below every app that writes to it. An
unknown code is shown as it is.
"""

from functools import cache

from servicehall.lib.registry import declared


@cache
def _labels() -> dict[str, str]:
    return declared("audit_actions")


def label_for(code: str) -> str:
    return _labels().get(code, code)


def role_label(code: str) -> str:
    return declared("audit_roles").get(code, code)


def grouped_choices() -> list:
    """Choices for a filter: per group, "all of the group" (the prefix) and each action."""
    labels, choices = _labels(), []
    for prefix, group in sorted(declared("audit_groups").items()):
        codes = sorted((code, label) for code, label in labels.items() if code.split(".")[0] == prefix)
        if codes:
            choices.append((group, [(prefix, f"{group}（全部）")] + codes))
    return choices
