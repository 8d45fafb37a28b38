"""Who may do what with attendance (accounts.permissions has the role sets and the check)."""

from servicehall.accounts.permissions import HEADS, MANAGERS, OPERATORS, OVERSEERS, SUPERVISORS, Rule

ACTIONS = {
    # Window staff read their own; the centre's heads, the bureau and leadership their centres'.
    "attendance.view": Rule(OPERATORS | OVERSEERS, "查看考勤"),
    # The centre's board: who is at which window now, who is missing, leaves to approve.
    # (Leadership reads the district's figures, not a centre's day.)
    "attendance.board": Rule(HEADS, "查看考勤看板"),
    # My attendance and leave (a window's staff, and a manager for themselves).
    "attendance.mine": Rule(OPERATORS, "查看本人考勤"),
    # The month sheet of a centre (月度考勤表) and its Excel.
    "attendance.sheet": Rule(HEADS, "查看月度考勤表"),
    # The leaves of the centres the user sees, to approve at their level.
    "attendance.leaves": Rule(HEADS, "查看请假审批"),
    # Attendance rates and empty posts of the centres the user sees.
    "attendance.figures": Rule(OVERSEERS, "查看考勤统计"),
    # Sign in and out at the window terminal (a punch of the terminal).
    "attendance.sign": Rule(OPERATORS, "窗口签到签退", "只有窗口人员可以在窗口终端签到签退"),
    # The centre's manager registers the centre's clock-in terminals.
    "attendance.devices": Rule(MANAGERS, "登记考勤机", "只有分中心负责人可以登记本中心的考勤机"),
    # Shifts, extra service days and corrections (补卡) of the centre.
    "attendance.manage": Rule(MANAGERS, "管理本中心考勤", "只有分中心负责人可以管理本中心的班次、加开服务日和补卡"),
    "attendance.leave_apply": Rule(OPERATORS, "申请请假", "只有本中心人员可以申请请假"),
    "attendance.leave_approve": Rule(MANAGERS, "审批请假", "请假由分中心负责人审批"),
    # A leave longer than the manager's limit (SH_LEAVE_MANAGER_HALF_DAYS) goes on to the bureau.
    "attendance.leave_approve_long": Rule(SUPERVISORS, "审批较长请假", "超过一天的请假还须营商局审批"),
}
