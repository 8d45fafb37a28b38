"""Journey: A applies for leave, the manager approves with B on duty; the next morning B's punch
comes from the clock-in terminal (iclock over HTTP) and the day board shows B at A's window. When
B is away too and the stand-in does not come, the window stands empty: the board shows 空岗 and
the supervision sweep raises 窗口空岗（人员未到岗） on the bureau's console.

The hall's clock: `open_hall` (conftest) puts the test on a working day between 10:00 and 16:00;
the leave is for the next working day, and the test travels there (forward, in this process, so
the live server's clock moves too) before the punches come and the board is read."""

import http.client
import re
from datetime import datetime, time
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from e2e.conftest import screenshot
from e2e.test_bureau_creates_center import sign_in
from servicehall.attendance.models import Leave, LeaveStatus, Punch
from servicehall.attendance.services import device_register, leave_apply, leave_approve, shift_save
from servicehall.org.models import Staff
from servicehall.supervision.models import Alert
from servicehall.supervision.services import supervision_sweep
from servicehall.testing import Personas
from servicehall.workcalendar.selectors import get_calendar

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
BEIJING = ZoneInfo("Asia/Shanghai")
SERIAL = "CQZ7232460001"


def office(browser, base, username):
    """A signed-in page of its own (each travel forward ends the sessions of before: idle sign-out)."""
    page = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN").new_page()
    page.set_default_timeout(15000)
    sign_in(page, base, username)
    return page


def centre_with_shifts(p: Personas):
    """The centre's two shifts and its clock-in terminal at the door."""
    shift_save(actor=p.manager_a, center=p.center_a, name="上午", starts_at=time(8, 30), ends_at=time(12))
    shift_save(actor=p.manager_a, center=p.center_a, name="下午", starts_at=time(13, 30), ends_at=time(17))
    device_register(actor=p.manager_a, center=p.center_a, serial=SERIAL, name="一楼大厅")


def next_workday():
    """The working day after today (the open hall's day): the leave's day, "the next morning"."""
    return get_calendar().add_workdays(timezone.localdate(), 1).due


def terminal(base: str, method: str, path: str, body: bytes | None = None) -> tuple[int, str]:
    """What the clock-in terminal says to the server over HTTP, and the answer."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers={"Content-Type": "text/plain"})
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def window_row(board):
    row = board.locator("#windows tbody tr", has_text="1号窗口")
    assert row.count() == 1
    return row


def test_a_on_leave_b_punches_in_and_the_board_shows_b_at_a_window(live_server, browser):
    p = Personas.build()  # 李娜 (001, staff_a) holds window 1, 王强 (002) is its B post
    centre_with_shifts(p)
    base, day = live_server.url, next_workday()

    # A applies for the whole of the next working day on her page.
    clerk = office(browser, base, "staff_a")
    clerk.get_by_role("link", name="考勤", exact=True).click()
    clerk.wait_for_url(f"{base}/attendance/mine/")
    form = clerk.locator("#leave-form")
    form.get_by_label("请假类型").select_option(label="事假")
    form.get_by_label("开始日期").fill(day.isoformat())
    form.get_by_label("开始时段").select_option(label="上午")
    form.get_by_label("结束日期").fill(day.isoformat())
    form.get_by_label("结束时段").select_option(label="下午")
    form.get_by_label("事由").fill("陪同家人就医")
    form.get_by_label("交接说明（交给B岗）").fill("在办的两件法律援助申请已交王强跟进")
    form.get_by_role("button", name="提交申请").click()
    assert "请假申请已提交，等待审批" in clerk.locator(".messages").inner_text()
    mine = clerk.locator("#my-leaves tbody tr", has_text="陪同家人就医")
    assert "待审批" in mine.inner_text()
    assert f"{day.month}月{day.day}日" in mine.inner_text()
    clerk.context.close()

    # The manager approves it on the board: B is on duty that day.
    manager = office(browser, base, "manager_a")
    manager.get_by_role("link", name="考勤", exact=True).click()
    manager.wait_for_url(f"{base}/attendance/")
    pending = manager.locator("#leaves tbody tr", has_text="李娜")
    assert "陪同家人就医" in pending.inner_text()
    pending.get_by_role("button", name="批准").click()
    assert "已批准李娜的请假" in manager.locator(".messages").inner_text()
    assert "没有待审批的请假" in manager.locator("#leaves").inner_text()
    manager.context.close()
    leave = Leave.objects.get()
    assert (leave.status, leave.staff_id, leave.starts_on, leave.ends_on) == (
        LeaveStatus.APPROVED, p.person_a.pk, day, day)

    # The next morning, 08:40: B punched in at the door at 08:26 and the terminal pushes it.
    with time_machine.travel(datetime.combine(day, time(8, 40), tzinfo=BEIJING), tick=True):
        status, options = terminal(base, "GET", f"/iclock/cdata?SN={SERIAL}&options=all&pushver=2.4.1")
        assert status == 200 and options.startswith(f"GET OPTION FROM: {SERIAL}\r\n")
        status, answer = terminal(base, "POST", f"/iclock/cdata?SN={SERIAL}&table=ATTLOG&Stamp=9999",
                                  f"002\t{day.isoformat()} 08:26:13\t0\t1\t0\t0\n".encode())
        assert (status, answer) == (200, "OK: 1")
        assert Punch.objects.get().staff_id == Staff.objects.get(center=p.center_a, employee_no="002").pk

        board = office(browser, base, "manager_a")
        board.goto(f"{base}/attendance/")
        assert f"{day.year}年{day.month}月{day.day}日" in board.locator("main").inner_text()
        cells = [text.strip() for text in window_row(board).locator("td").all_inner_texts()]
        assert cells == ["1号窗口 综合受理", "王强", "B岗", "已到岗 08:26"], cells
        assert "空岗" not in board.locator("#windows").inner_text()
        people = board.locator("#people")
        assert "08:26" in people.locator("tr", has_text="王强").inner_text()
        away = people.locator("tr", has_text="李娜").inner_text()
        assert "未打卡" in away and "事假" in away and f"{day.month}月{day.day}日" in away, away
        screenshot(board, "e2e-attendance-board")

        # The sweep finds the window staffed: no empty-post alert.
        supervision_sweep()
        assert not Alert.objects.filter(rule__code="window_unstaffed").exists()
        board.context.close()


def test_a_and_b_both_away_and_the_stand_in_missing_is_an_empty_post_alert(live_server, browser):
    p = Personas.build()
    centre_with_shifts(p)
    stand_in = Staff.objects.create(center=p.center_a, name="张伟", employee_no="003")
    base, day = live_server.url, next_workday()
    a_leave = leave_apply(actor=p.staff_a, staff=p.person_a, kind="personal", starts_on=day, starts_half="am",
                          ends_on=day, ends_half="pm", reason="陪同家人就医")
    leave_approve(actor=p.manager_a, leave=a_leave)
    b_post = Staff.objects.get(center=p.center_a, employee_no="002")
    leave_apply(actor=p.manager_a, staff=b_post, kind="official", starts_on=day, starts_half="am", ends_on=day,
                ends_half="pm", reason="参加区营商局业务培训", stand_in=stand_in)

    # B is away the same day too: the manager approves it on the approvals page, 张伟 standing in.
    manager = office(browser, base, "manager_a")
    manager.goto(f"{base}/attendance/")
    manager.locator(".subnav").get_by_role("link", name="请假审批").click()
    row = manager.locator("#leaves tbody tr", has_text="王强")
    assert "张伟" in row.inner_text() and "已安排" in row.inner_text()
    row.get_by_label("王强的请假审批意见").fill("同意，由张伟顶岗")
    row.get_by_role("button", name="批准").click()
    assert "已批准王强的请假" in manager.locator(".messages").inner_text()
    manager.context.close()
    assert set(Leave.objects.values_list("status", flat=True)) == {LeaveStatus.APPROVED}

    # The next morning the stand-in does not come; only 李娜, on leave, passes the terminal at
    # 08:20 (her punch staffs nothing). At 08:50 the sweep finds the window empty 20 minutes in.
    with time_machine.travel(datetime.combine(day, time(8, 50), tzinfo=BEIJING), tick=True):
        status, answer = terminal(base, "POST", f"/iclock/cdata?SN={SERIAL}&table=ATTLOG&Stamp=9999",
                                  f"001\t{day.isoformat()} 08:20:05\t0\t1\n".encode())
        assert (status, answer) == (200, "OK: 1")
        supervision_sweep()
        alert = Alert.objects.get(rule__code="window_unstaffed")
        assert (alert.center_id, alert.window_id, alert.level) == (p.center_a.pk, p.window_a.pk, "red")
        assert alert.evidence["expected"] == "张伟（顶岗）"

        board = office(browser, base, "manager_a")
        board.get_by_role("link", name="考勤", exact=True).click()
        board.wait_for_url(f"{base}/attendance/")
        cells = [text.strip() for text in window_row(board).locator("td").all_inner_texts()]
        assert cells[:3] == ["1号窗口 综合受理", "张伟", "顶岗"], cells
        minutes = re.fullmatch(r"空岗 (\d+) 分钟", cells[3])
        assert minutes and 20 <= int(minutes.group(1)) <= 25, cells
        assert "空岗 1 个" in board.locator("h2", has_text="窗口到岗").inner_text()
        board.context.close()

        # The bureau's supervision console shows the alert, and its list says who was missing.
        bureau = office(browser, base, "bureau")
        bureau.get_by_role("link", name="电子监察").click()
        matrix = bureau.locator("#supervision-matrix")
        assert "窗口空岗（人员未到岗）" in matrix.locator("thead").inner_text()
        cell = matrix.locator("tr", has_text="公共法律服务").locator("a[href*='rule=window_unstaffed']")
        assert cell.inner_text() == "1" and "red" in cell.get_attribute("class")
        cell.click()
        listed = bureau.locator("#alerts tbody tr")
        assert listed.count() == 1
        text = listed.inner_text()
        assert "窗口空岗（人员未到岗）" in text and "1号窗口 综合受理" in text, text
        assert "应到岗人员：张伟（顶岗）" in text and "上班时间：08:30" in text, text
        bureau.context.close()
