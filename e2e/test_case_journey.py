"""Journey: from the ticket being served, a clerk receives a case with one material missing,
prints the one-time notice, registers the supplement, accepts (the due date shows), collects
the one bill; the centre's head approves (never the clerk who accepted it); the clerk completes
the case."""

from decimal import Decimal

import pytest

from e2e.conftest import screenshot
from e2e.test_bureau_creates_center import sign_in
from servicehall.cases.models import BillStatus, Case, CaseStatus
from servicehall.cases.tests.helpers import CITIZEN, item_data, publish
from servicehall.queueing.models import CategoryWindow, TicketCategory
from servicehall.queueing.services import ticket_call_next, ticket_issue
from servicehall.testing import Personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_called_ticket_to_notice_to_completed_case(live_server, browser):
    p = Personas.build()
    item = publish(p, item_data("法律援助申请", fees=[
        {"name": "工本费", "amount": Decimal("10.00"), "legal_basis": "辽价发〔2019〕1号"}]))
    category = TicketCategory.objects.create(center=p.center_a, prefix="B", name="法律援助")
    CategoryWindow.objects.create(category=category, window=p.window_a)
    ticket_issue(center=p.center_a, prefix="B")
    ticket_call_next(actor=p.staff_a, window=p.window_a)
    base = live_server.url

    ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    clerk = ctx.new_page()
    sign_in(clerk, base, "staff_a")
    clerk.goto(f"{base}/queue/window/?window={p.window_a.pk}")
    clerk.get_by_role("link", name="为B001收件受理").click()
    assert "来自排队号 B001" in clerk.locator("main").inner_text()
    clerk.get_by_label(item.name).check()
    clerk.get_by_role("button", name="下一步：核对材料").click()
    clerk.get_by_label("申请人名称").fill("王秀英")
    clerk.get_by_label("身份证号码").fill(CITIZEN[:-1] + "1")  # a wrong check character, said at once in the field
    assert clerk.get_by_text("身份证号码校验位错误，请核对").is_visible()
    clerk.get_by_label("身份证号码").fill(CITIZEN)
    assert clerk.get_by_text("身份证号码校验位错误，请核对").is_hidden()
    clerk.get_by_label("联系电话").fill("13800138000")
    clerk.get_by_label("申请表", exact=True).check()  # the proof of income is missing
    clerk.get_by_role("button", name="提交：材料齐全即受理，不全出具一次性告知书").click()
    clerk.wait_for_url(f"{base}/cases/**")
    assert clerk.locator("#case-status").inner_text() == "待补正材料"
    screenshot(clerk, "case-awaiting-materials")

    with clerk.expect_popup() as popup:
        clerk.locator("#print-notice").click()
    notice = popup.value
    rows = notice.locator("#notice-entries tbody tr").all_inner_texts()
    assert len(rows) == 1 and "收入状况证明" in rows[0]
    screenshot(notice, "case-one-time-notice")
    notice.close()

    clerk.get_by_label("已补交：收入状况证明").check()
    clerk.get_by_role("button", name="登记补正材料").click()
    assert clerk.locator("#case-status").inner_text() == "已收件待受理"
    clerk.get_by_role("button", name="受理", exact=True).click()
    assert clerk.locator("#case-status").inner_text() == "已受理办理中"
    case = Case.objects.get()
    assert case.due_date.strftime("%Y-%m-%d") in clerk.locator("#due-date").inner_text()
    assert case.ticket.number == "B001"

    clerk.get_by_role("button", name="登记已缴费（10.00元）").click()
    assert clerk.locator("#bill-status").inner_text() == "已缴费"
    review = clerk.locator("#review button").inner_text()  # the item's review step, by its own name
    assert review.startswith("完成“") and review.endswith("”环节")
    clerk.locator("#review input[name=reason]").fill("材料齐全，符合条件")
    clerk.locator("#review button").click()
    assert "材料齐全，符合条件" in clerk.locator("#steps").inner_text()
    assert "受理人不能审批本人受理的承诺件" in clerk.locator("#awaiting-approver").inner_text()
    head_ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    head = head_ctx.new_page()  # the centre's head approves, as the item names
    sign_in(head, base, "manager_a")
    head.goto(f"{base}/cases/{case.number}/")
    head.get_by_role("button", name="批准", exact=True).click()
    assert head.locator("#case-status").inner_text() == "已批准"
    head_ctx.close()
    clerk.reload()
    clerk.get_by_role("button", name="办结").click()
    assert clerk.locator("#case-status").inner_text() == "已办结"
    screenshot(clerk, "case-completed")
    case.refresh_from_db()
    assert (case.status, case.bill.status) == (CaseStatus.COMPLETED, BillStatus.PAID)
    ctx.close()
