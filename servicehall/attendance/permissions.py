"""Who may do what with attendance (accounts.permissions has the role sets and the check)."""

from servicehall.accounts.permissions import MANAGERS, Rule

ACTIONS = {
    # The centre's manager registers the centre's clock-in terminals.
    "attendance.devices": Rule(MANAGERS, "登记考勤机", "只有分中心负责人可以登记本中心的考勤机"),
    # Shifts, extra service days and corrections (补卡) of the centre.
    "attendance.manage": Rule(MANAGERS, "管理本中心考勤", "只有分中心负责人可以管理本中心的班次、加开服务日和补卡"),
}
