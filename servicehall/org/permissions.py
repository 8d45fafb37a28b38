"""Who may do what with the organisation (accounts.permissions has the role sets and the check)."""

from servicehall.accounts.permissions import BUSINESS, HEADS, SUPERVISORS, Rule

ACTIONS = {
    "center.view": Rule(BUSINESS, "查看服务中心"),
    "center.create": Rule(SUPERVISORS, "新建分中心", "只有营商局可以新建分中心"),
    "center.manage": Rule(HEADS, "管理该中心", "您没有管理该中心的权限"),  # windows, staff, AB posts, hours
    "center.define": Rule(SUPERVISORS, "修改中心名称、主管部门和启用状态"),  # what makes a centre what it is
    "department.item_total": Rule(SUPERVISORS, "填报部门事项总数", "只有营商局可以填报部门事项总数"),
}
