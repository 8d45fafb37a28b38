"""Who may do what with reviews (accounts.permissions has the role sets and the check). A
review itself is given by the citizen's devices and links only, never by an account."""

from servicehall.accounts.permissions import BUSINESS, HEADS, MANAGERS, OPERATORS, OVERSEERS, SUPERVISORS, Rule

ACTIONS = {
    "review.view": Rule(BUSINESS, "查看差评整改"),
    "review.rectify": Rule(OPERATORS, "办理整改", "只有责任单位的人员可以办理整改"),
    "review.assign": Rule(MANAGERS, "指派整改办理人", "只有责任单位负责人可以指派整改办理人"),
    "review.contact": Rule(MANAGERS, "查看评价人电话", "只有责任单位负责人在回访时可以查看评价人电话"),
    "review.appeal": Rule(MANAGERS, "提出差评申诉", "只有被评价中心的负责人可以申诉"),
    "review.appeals": Rule(HEADS, "查看差评申诉"),
    "review.decide_appeal": Rule(SUPERVISORS, "复核差评申诉", "申诉由营商局复核"),
    "review.figures": Rule(OVERSEERS, "查看好差评统计"),
    "review.export": Rule(HEADS, "导出评价数据", "只有营商局和中心负责人可以导出评价数据"),
    "review.mine": Rule(OPERATORS, "查看本人的评价"),
}
