"""Who may do what in electronic supervision (accounts.permissions has the role sets and the check)."""

from servicehall.accounts.permissions import EVERY_CENTRE, MANAGERS, OVERSEERS, SUPERVISORS, WINDOW_STAFF, Rule

ACTIONS = {
    "supervision.view": Rule(OVERSEERS, "查看电子监察"),
    "supervision.rules": Rule(SUPERVISORS, "修改监察规则", "只有营商局可以修改监察规则", scope=EVERY_CENTRE),
    "supervision.explain": Rule(MANAGERS, "预警情况说明", "只有被预警中心的负责人可以作出说明"),
    "supervision.decide": Rule(SUPERVISORS, "关闭监察预警", "预警由营商局关闭"),
    "supervision.order": Rule(SUPERVISORS, "下发和办结督办单", "督办单由营商局下发和办结"),
    "supervision.reply": Rule(MANAGERS, "反馈督办单", "只有被督办中心的负责人可以反馈"),
    "supervision.card": Rule(SUPERVISORS, "出具提醒和红黄牌", "提醒和红黄牌由营商局出具"),
    # Window staff; a manager reads the centre's cards, their own among them, on the console's tab.
    "supervision.mine": Rule(WINDOW_STAFF, "查看本人的提醒和红黄牌"),
}
