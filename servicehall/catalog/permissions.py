"""Who may do what with the catalogue (accounts.permissions has the role sets and the check)."""

from servicehall.accounts.permissions import BUSINESS, HEADS, OVERSEERS, SUPERVISORS, Rule

ACTIONS = {
    "catalog.view": Rule(OVERSEERS, "查看事项清单"),
    "catalog.propose": Rule(HEADS, "提出事项变更", "只有本中心负责人或营商局可以提出事项变更"),
    "catalog.decide": Rule(SUPERVISORS, "审核事项变更", "事项变更由营商局审核"),
    "catalog.export": Rule(BUSINESS, "导出事项清单"),
    "guide.desk": Rule(BUSINESS, "使用综合资讯台"),
}
