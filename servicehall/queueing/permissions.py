"""Who may operate and set up the queue (accounts.permissions has the role sets and the check).
Devices (kiosks, hall displays) have no account: their key binds them to their centre."""

from servicehall.accounts.permissions import HEADS, OPERATORS, Rule

ACTIONS = {
    "queue.operate": Rule(OPERATORS, "操作叫号", "只有本中心的窗口人员或负责人可以操作叫号"),
    "queue.setup": Rule(HEADS, "设置叫号", "只有本中心负责人或营商局可以设置叫号"),
}
