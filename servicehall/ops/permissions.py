"""Who may open the home pages (accounts.permissions has the role sets and the check)."""

from servicehall.accounts.permissions import EVERYONE, Rule

ACTIONS = {
    "home.view": Rule(EVERYONE, "查看首页"),
}
