"""Who may do what with cases (accounts.permissions has the role sets and the check)."""

from servicehall.accounts.permissions import (
    BUSINESS,
    EVERY_CENTRE,
    HEADS,
    MANAGERS,
    OPERATORS,
    SUPERVISORS,
    WINDOW_STAFF,
    Rule,
)

ACTIONS = {
    "case.view": Rule(BUSINESS, "查看办件"),
    "case.own_desk": Rule(WINDOW_STAFF, "查看本人的在办件"),  # the clerk's open cases by urgency
    # Receive, notify, accept, review, decide, complete, deliver, bill: the centre's front line.
    "case.handle": Rule(OPERATORS, "办理办件", "只有本中心的窗口人员或负责人可以办理办件"),
    # The decision on a promised item whose catalogue entry names the head as its approver.
    "case.decide_as_head": Rule(MANAGERS, "审批须由负责人审批的办件", "该事项须由分中心负责人（首席代表）审批"),
    # One extension, approved by the body's head (Art. 42).
    "case.extend": Rule(HEADS, "批准延期", "延期须经中心负责人或营商局批准"),
    # A second one-time notice breaks the rule of telling everything at once: the bureau's call.
    "case.notify_again": Rule(SUPERVISORS, "批准再次出具一次性告知书", "再次出具一次性告知书须经营商局批准"),
    # Any of the three above: who may press an action button of a case at all.
    "case.act": Rule(OPERATORS | SUPERVISORS, "办理或审批办件"),
    # The lights' thresholds and credit-code exceptions hold for every centre.
    "case.set_rules": Rule(SUPERVISORS, "设置全部中心的办件规则",
                           "只有主管全部中心的营商局可以设置亮灯规则和信用代码例外", scope=EVERY_CENTRE),
}
