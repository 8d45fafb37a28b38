"""Who may read and edit the working-day calendar (accounts.permissions: role sets and the check)."""

from servicehall.accounts.permissions import BUSINESS, SUPERVISORS, Rule

ACTIONS = {
    "calendar.view": Rule(BUSINESS, "查看工作日历"),
    "calendar.edit": Rule(SUPERVISORS, "修改工作日历", "只有营商局可以修改工作日历"),
}
