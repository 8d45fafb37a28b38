"""Who may do what with first inquiries (accounts.permissions has the role sets and the check)."""

from servicehall.accounts.permissions import MANAGERS, OPERATORS, SUPERVISORS, Rule

ACTIONS = {
    "inquiry.view": Rule(OPERATORS | SUPERVISORS, "查看首问登记"),
    # Who takes questions at a desk or window, and so may be handed an inquiry over.
    "inquiry.log": Rule(OPERATORS, "登记首问", "只有窗口人员和分中心负责人可以登记首问"),
    # The centre's manager stands in for an absent owner.
    "inquiry.take_over": Rule(MANAGERS, "代为处理首问"),
}
