"""The month sheet (page and Excel), my attendance and leave, the leave approvals, the
manager's shifts and corrections, the district's figures with empty posts, and signing in at
the window terminal: on the October 2026 calendar (holiday to 10-07, worked Saturday 10-10),
two centres with unequal data."""

import io
from datetime import date, time

import time_machine
from openpyxl import load_workbook

from servicehall.attendance.models import Correction, Leave, LeaveStatus, Punch, PunchSource, Shift, WindowHalf
from servicehall.attendance.services import (
    Line,
    days_due_compute,
    device_register,
    leave_apply,
    leave_approve,
    punches_receive,
    shift_save,
)
from servicehall.audit.models import AuditEvent
from servicehall.org.models import Staff
from servicehall.queueing.models import WindowState

from .test_days import DayTestCase, local

FRIDAY, WORKED_SATURDAY, MONDAY = date(2026, 10, 9), date(2026, 10, 10), date(2026, 10, 12)


class MonthTestCase(DayTestCase):
    """Centre A: 李娜 (A post) normal on Friday, absent on the worked Saturday, on sick leave on
    Monday; 王强 (B) 10 minutes late on Friday and 20 on Monday, when he stands at 李娜's window.
    Centre B: its 李娜 normal on Friday, its 王强 absent."""

    def setUp(self):
        super().setUp()
        setup = local(date(2026, 9, 30), 8)
        for name, starts, ends in (("上午", time(8, 30), time(12)), ("下午", time(13, 30), time(17))):
            shift_save(actor=self.p.manager_b, center=self.p.center_b, name=name, starts_at=starts, ends_at=ends,
                       now=setup)
        self.device_b, _ = device_register(actor=self.p.manager_b, center=self.p.center_b, serial="YS1", name="大厅",
                                           now=setup)
        leave = leave_apply(actor=self.p.staff_a, staff=self.li, kind="sick", starts_on=MONDAY, starts_half="am",
                            ends_on=MONDAY, ends_half="pm", reason="就医", now=local(FRIDAY, 9))
        leave_approve(actor=self.p.manager_a, leave=leave, now=local(FRIDAY, 10))
        self.punch("001", FRIDAY, "08:20:00", "12:00:00", "13:20:00", "17:00:00")
        self.punch("002", FRIDAY, "08:40:00", "12:00:00", "13:20:00", "17:00:00")
        self.punch("002", WORKED_SATURDAY, "08:20:00", "12:00:00", "13:20:00", "17:00:00")
        self.punch("002", MONDAY, "08:50:00", "12:00:00", "13:20:00", "17:00:00")
        punches_receive(device=self.device_b, lines=[Line(pin="001", at=f"{FRIDAY} {t}") for t in
                                                     ("08:25:00", "12:00:00", "13:25:00", "17:01:00")],
                        now=local(FRIDAY, 17, 30))
        days_due_compute(now=local(MONDAY, 18))


class MonthSheetTests(MonthTestCase):
    def test_the_sheet_shows_each_day_as_a_sign_and_the_totals(self):
        self.client.force_login(self.p.manager_a)
        page = self.client.get("/attendance/sheet/?month=2026-10")
        rows = {row.staff.name: row for row, _, _ in page.context["rows"]}
        signs = {row.staff.name: {day: sign for day, (sign, _, _) in enumerate(cells, start=1) if sign}
                 for row, cells, _ in page.context["rows"]}
        self.assertEqual(signs["李娜"], {9: "√", 10: "旷", 12: "假"})
        self.assertEqual(signs["王强"], {9: "迟", 10: "√", 12: "迟"})
        li, wang = rows["李娜"].totals, rows["王强"].totals
        self.assertEqual((li.duty_halves, li.absent_halves, li.leave_halves, li.rate), (6, 2, 2, 50.0))
        self.assertEqual((wang.late_times, wang.late_minutes, wang.rate), (2, 30, 100.0))
        off = {cells[i][2] for _, cells, _ in page.context["rows"] for i in (2, 9)}  # 10-03 holiday, 10-10 worked
        self.assertEqual(off, {True, False})
        self.assertContains(page, 'title="10月9日 迟到；上午 签到08:40 签退12:00；下午 签到13:20 签退17:00"')
        self.assertContains(page, 'title="10月12日 请假；上午 病假；下午 病假"')

    def test_the_excel_reads_back_as_the_page(self):
        self.client.force_login(self.p.manager_a)
        response = self.client.get("/attendance/sheet/?month=2026-10&export=xlsx")
        sheet = load_workbook(io.BytesIO(response.content)).active
        rows = list(sheet.iter_rows(values_only=True))
        self.assertIn("2026年10月考勤表", rows[0][0])
        self.assertEqual(rows[1][:3], ("工号", "姓名", "1"))
        li = next(r for r in rows if r[1] == "李娜")
        self.assertEqual((li[0], li[2 + 8], li[2 + 9], li[2 + 11]), ("001", "√", "旷", "假"))
        self.assertEqual(li[2 + 31:], (3.0, "50.0%", 0, 0, 0, 0, 1.0, 1.0))

    def test_another_centres_sheet_is_a_404_and_staff_have_none(self):
        self.client.force_login(self.p.manager_b)
        self.assertEqual(self.client.get("/attendance/sheet/?center=21140301").status_code, 404)
        self.client.force_login(self.p.staff_a)
        self.assertEqual(self.client.get("/attendance/sheet/").status_code, 403)


class MyAttendanceTests(MonthTestCase):
    def test_staff_see_their_own_month_and_leaves_only(self):
        self.client.force_login(self.p.staff_a)
        page = self.client.get("/attendance/mine/?month=2026-10")
        self.assertEqual([day.day for day, cell in page.context["days"] if cell], [9, 10, 12])
        self.assertEqual(page.context["row"].totals.rate, 50.0)
        self.assertContains(page, "就医")
        self.assertNotContains(page, "王强</td>")

    def test_a_refused_application_names_the_field_and_keeps_what_was_typed(self):
        self.client.force_login(self.p.staff_a)
        data = {"kind": "personal", "starts_on": "2026-10-20", "starts_half": "pm", "ends_on": "2026-10-19",
                "ends_half": "pm", "reason": "孩子家长会", "handover": "两件待补正办件"}
        page = self.client.post("/attendance/mine/", data)
        self.assertEqual(page.status_code, 400)
        self.assertContains(page, "结束日期：不能早于开始", status_code=400)
        self.assertContains(page, 'value="孩子家长会"', status_code=400)
        self.assertContains(page, "两件待补正办件", status_code=400)
        self.assertEqual(Leave.objects.count(), 1)
        data["ends_on"] = "2026-10-20"
        with time_machine.travel(local(MONDAY, 18), tick=False):
            self.assertRedirects(self.client.post("/attendance/mine/", data), "/attendance/mine/")
        leave = Leave.objects.get(reason="孩子家长会")
        self.assertEqual((leave.staff, leave.status, leave.handover), (self.li, LeaveStatus.PENDING, "两件待补正办件"))
        with time_machine.travel(local(MONDAY, 18), tick=False):
            self.client.post(f"/attendance/leaves/{leave.pk}/change/", {"action": "cancel"})
        leave.refresh_from_db()
        self.assertEqual(leave.status, LeaveStatus.CANCELLED)

    def test_a_leave_of_another_centre_cannot_be_touched(self):
        other = Staff.objects.get(center=self.p.center_b, employee_no="002")
        leave = leave_apply(actor=self.p.manager_b, staff=other, kind="personal", starts_on=date(2026, 10, 20),
                            starts_half="am", ends_on=date(2026, 10, 20), ends_half="am", reason="事",
                            now=local(MONDAY, 9))
        self.client.force_login(self.p.staff_a)
        self.assertEqual(self.client.post(f"/attendance/leaves/{leave.pk}/change/", {"action": "cancel"}).status_code,
                         404)
        self.client.force_login(self.p.manager_a)
        self.assertEqual(self.client.post(f"/attendance/leaves/{leave.pk}/decide/").status_code, 404)
        leave.refresh_from_db()
        self.assertEqual(leave.status, LeaveStatus.PENDING)


class LeaveApprovalPageTests(MonthTestCase):
    def test_the_bureau_approves_the_second_level_from_its_page(self):
        leave = leave_apply(actor=self.p.staff_a, staff=self.li, kind="annual", starts_on=date(2026, 10, 20),
                            starts_half="am", ends_on=date(2026, 10, 21), ends_half="pm", reason="年休",
                            now=local(MONDAY, 9))
        self.client.force_login(self.p.bureau)
        rows = self.client.get("/attendance/leaves/").context["rows"]
        self.assertEqual([(row[0].pk, row[1]) for row in rows], [(leave.pk, False)])  # the manager's turn first
        leave_approve(actor=self.p.manager_a, leave=leave, now=local(MONDAY, 10))
        rows = self.client.get("/attendance/leaves/").context["rows"]
        self.assertEqual([(row[0].pk, row[1], row[2]) for row in rows], [(leave.pk, True, [])])
        response = self.client.post(f"/attendance/leaves/{leave.pk}/decide/", {"decision": "approve", "back": "leaves"})
        self.assertRedirects(response, "/attendance/leaves/?center=21140301")
        leave.refresh_from_db()
        self.assertEqual((leave.status, leave.approved_levels), (LeaveStatus.APPROVED, 2))
        self.client.force_login(self.p.manager_b)
        self.assertEqual(self.client.get("/attendance/leaves/?status=all").context["rows"], [])


class ManagePageTests(MonthTestCase):
    def test_a_refused_shift_keeps_the_input_and_a_correction_is_recorded(self):
        self.client.force_login(self.p.manager_a)
        page = self.client.post("/attendance/manage/", {"form": "shift", "name": "晚班", "starts_at": "18:00",
                                                        "ends_at": "20:00", "on_workdays": "1"})
        self.assertContains(page, "每个半天只能设一个班次", status_code=400)
        self.assertContains(page, 'value="晚班"', status_code=400)
        self.assertEqual(Shift.objects.filter(center=self.p.center_a).count(), 2)
        with time_machine.travel(local(MONDAY, 18), tick=False):
            response = self.client.post("/attendance/manage/", {
                "form": "correction", "staff": self.li.pk, "day": "2026-10-10", "time": "08:25",
                "reason": "考勤机故障"})
        self.assertRedirects(response, "/attendance/manage/?center=21140301")
        correction = Correction.objects.get()
        self.assertEqual((correction.staff, correction.at, correction.reason),
                         (self.li, local(WORKED_SATURDAY, 8, 25), "考勤机故障"))
        page = self.client.post("/attendance/manage/", {"form": "correction", "staff": self.li.pk, "day": "2026-13-01",
                                                        "time": "08:25", "reason": "考勤机故障"})
        self.assertContains(page, "补卡日期：日期格式应为YYYY-MM-DD", status_code=400)
        self.assertEqual(Correction.objects.count(), 1)

    def test_another_centres_person_cannot_be_corrected(self):
        other = Staff.objects.get(center=self.p.center_b, employee_no="001")
        self.client.force_login(self.p.manager_a)
        for staff in (other.pk, "²"):
            page = self.client.post("/attendance/manage/", {"form": "correction", "staff": staff, "day": "2026-10-10",
                                                            "time": "08:25", "reason": "考勤机故障"})
            self.assertContains(page, "人员：请选择本中心人员", status_code=400)
        self.assertEqual(Correction.objects.count(), 0)


class FiguresTests(MonthTestCase):
    def test_the_windows_empty_halves_are_derived_with_the_days(self):
        halves = {(h.day, h.half): (h.staff.name if h.staff else None, h.post, h.arrived_at, h.empty_minutes)
                  for h in WindowHalf.objects.filter(center=self.p.center_a)}
        self.assertEqual(halves[(FRIDAY, "am")], ("李娜", "A岗", time(8, 20), 0))
        self.assertEqual(halves[(WORKED_SATURDAY, "am")], ("李娜", "A岗", None, 210))
        self.assertEqual(halves[(MONDAY, "am")], ("王强", "B岗", time(8, 50), 20))
        self.assertEqual(halves[(MONDAY, "pm")], ("王强", "B岗", time(13, 20), 0))

    def test_each_centres_rate_and_empty_posts_and_the_district_total(self):
        self.client.force_login(self.p.bureau)
        page = self.client.get("/attendance/figures/?year=2026&month=10")
        table = {row[0]: row for row in page.context["table"]}
        a, b = table[self.p.center_a.name], table[self.p.center_b.name]
        # A: 12 duty halves, 2 on leave, 2 absent → 80 %; empty: Saturday's two halves and Monday
        # morning's 20 minutes (more than 15).  B: Friday (its 王强 absent) and Monday (nobody
        # came): 8 halves, 6 absent → 25 %; its window empty all Monday.
        self.assertEqual(a[1:], [2, 6.0, "80.0%", 2, 0, 0, 1.0, 1.0, 3, 440])
        self.assertEqual(b[1:], [2, 4.0, "25.0%", 0, 0, 0, 3.0, 0.0, 2, 420])
        self.assertEqual(page.context["total"][1:], [4, 10.0, "55.6%", 2, 0, 0, 4.0, 1.0, 5, 860])
        self.assertEqual(page.context["chart"]["empty"][list(table).index(self.p.center_a.name)][9], 440)
        workbook = load_workbook(io.BytesIO(self.client.get("/attendance/figures/?year=2026&month=10&export=xlsx")
                                            .content)).active
        rows = list(workbook.iter_rows(values_only=True))
        self.assertEqual(rows[1][0], "中心")
        self.assertEqual(rows[-1][0], "合计")
        self.assertEqual(rows[-1][-2:], (5, 860))

    def test_a_manager_sees_their_own_centre_only(self):
        self.client.force_login(self.p.manager_b)
        table = self.client.get("/attendance/figures/?year=2026&month=10").context["table"]
        self.assertEqual([row[0] for row in table], [self.p.center_b.name])


class TerminalSignTests(DayTestCase):
    def test_signing_in_and_out_at_the_terminal_punches_and_opens_or_pauses_the_window(self):
        window = self.p.center_a.windows.get(number=1)
        moments = [(local(MONDAY, 8, 25, 30), "in"), (local(MONDAY, 12, 1), "out"), (local(MONDAY, 13, 25), "in"),
                   (local(MONDAY, 17, 2), "out")]
        for at, action in moments:
            with time_machine.travel(at, tick=False):
                self.client.logout()  # each a fresh session: the idle limit ends one over lunch
                self.client.force_login(self.p.staff_a)
                response = self.client.post(f"/attendance/windows/{window.pk}/sign/", {"action": action})
                self.assertRedirects(response, f"/queue/window/?window={window.pk}", fetch_redirect_response=False)
                self.assertEqual(WindowState.objects.get(window=window).paused, action == "out")
        punches = list(Punch.objects.filter(staff=self.li).values_list("source", "state", "at"))
        self.assertEqual(punches, [(PunchSource.TERMINAL, 0 if action == "in" else 1, at) for at, action in moments])
        self.assertEqual(AuditEvent.objects.filter(action__startswith="attendance.sign").count(), 4)
        days_due_compute(now=local(MONDAY, 18))
        self.assertEqual(self.results(MONDAY)["001"].outcome, "normal")

    def test_another_centres_window_is_a_404_and_nothing_is_punched(self):
        window = self.p.center_b.windows.get(number=1)
        self.client.force_login(self.p.staff_a)
        self.assertEqual(self.client.post(f"/attendance/windows/{window.pk}/sign/", {"action": "in"}).status_code, 404)
        self.assertEqual(Punch.objects.count(), 0)


class LeavePeriodTests(DayTestCase):
    def test_a_leave_reads_as_people_say_it(self):
        for starts, starts_half, ends, ends_half, said in (
                (MONDAY, "pm", MONDAY, "pm", "10月12日下午"), (MONDAY, "am", MONDAY, "pm", "10月12日全天"),
                (MONDAY, "am", date(2026, 10, 14), "pm", "10月12日至10月14日"),
                (MONDAY, "pm", date(2026, 10, 13), "am", "10月12日下午至10月13日上午")):
            leave = Leave(staff=self.li, starts_on=starts, starts_half=starts_half, ends_on=ends, ends_half=ends_half)
            self.assertEqual(leave.period, said)


class BadInputPageTests(DayTestCase):
    def test_odd_posts_to_the_manage_page_are_refused_naming_the_field(self):
        self.client.force_login(self.p.manager_a)
        other = Shift.objects.create(center=self.p.center_b, name="上午", starts_at=time(8, 30), ends_at=time(12))
        for shift in ("abc", "²", str(other.pk)):
            page = self.client.post("/attendance/manage/", {"form": "shift", "shift": shift, "name": "早班",
                                                            "starts_at": "08:00", "ends_at": "11:00",
                                                            "on_workdays": "1"})
            self.assertContains(page, "修改或新增：未找到该班次", status_code=400)
        page = self.client.post("/attendance/manage/", {"form": "correction", "staff": self.li.pk, "day": "0001-01-01",
                                                        "time": "08:25", "reason": "补卡"})
        self.assertContains(page, "补卡日期：应在2000年至2100年之间", status_code=400)
        self.assertEqual(Shift.objects.filter(center=self.p.center_a).count(), 2)
        self.assertEqual(Correction.objects.count(), 0)

    def test_a_device_key_is_shown_once_on_the_answer_and_kept_out_of_cookies(self):
        self.client.force_login(self.p.manager_a)
        page = self.client.post("/attendance/manage/", {"form": "device", "serial": "CQZ2", "name": "二楼"})
        key = page.context["new_key"]
        self.assertTrue(key.startswith("dev_"))
        self.assertContains(page, key)
        self.assertNotIn(key, str(page.cookies))
        self.assertNotContains(self.client.get("/attendance/manage/"), key)

    def test_a_sign_without_in_or_out_changes_nothing_and_bad_figures_periods_are_said(self):
        window = self.p.center_a.windows.get(number=1)
        self.client.force_login(self.p.staff_a)
        page = self.client.post(f"/attendance/windows/{window.pk}/sign/", {}, follow=True)
        self.assertContains(page, "签到签退：请按“上班签到”或“下班签退”")
        self.assertEqual(Punch.objects.count(), 0)
        self.client.force_login(self.p.bureau)
        for year in ("99999", "²"):
            page = self.client.get(f"/attendance/figures/?year={year}&month=13")
            self.assertContains(page, "年份：应为2000至2100之间的年份")
            self.assertContains(page, "月份：应为1至12")
        response = self.client.get("/attendance/figures/?year=2026&export=xlsx")
        self.assertIn("attendance-figures-2026.xlsx", response["Content-Disposition"])
