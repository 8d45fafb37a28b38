"""Who may do what with complaints (accounts.permissions has the role sets and the check)."""

from servicehall.accounts.permissions import MANAGERS, OPERATORS, OVERSEERS, SUPERVISORS, Rule

ACTIONS = {
    # A centre's people read what their centre handles; the bureau all of its district's;
    # leadership reads what the centres handle (an alert on its console links to the file).
    "complaint.view": Rule(OPERATORS | OVERSEERS, "查看投诉与意见建议"),
    # Whoever takes a complaint at a window, the desk or the phone records it.
    "complaint.file": Rule(OPERATORS | SUPERVISORS, "登记投诉", "只有窗口人员、分中心负责人和营商局可以登记投诉"),
    # The centre's manager handles what names the centre; the bureau what names the manager,
    # reports misconduct, or came back dissatisfied a second time.
    "complaint.handle": Rule(MANAGERS, "办理投诉", "投诉由分中心负责人办理"),
    "complaint.handle_bureau": Rule(SUPERVISORS, "办理转营商局的投诉", "该投诉由营商局办理"),
    # Only the bureau extends a complaint's deadline.
    "complaint.extend": Rule(SUPERVISORS, "延长投诉办理期限", "投诉办理期限只能由营商局延长"),
    # The bureau takes in the 12345 hotline's export of work orders (Excel).
    "complaint.import": Rule(SUPERVISORS, "导入12345工单", "12345工单由营商局导入"),
    # Monthly figures by kind, channel and centre (counts, rates; nobody named).
    "complaint.figures": Rule(OVERSEERS, "查看投诉统计"),
}
