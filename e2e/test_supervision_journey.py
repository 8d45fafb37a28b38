"""Journey 10: the bureau sees an overdue case on the supervision console, turns its alert into
an order; the centre's manager replies; the bureau closes it. An unanswered order goes orange."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from e2e.conftest import screenshot
from e2e.test_bureau_creates_center import sign_in
from servicehall.cases.services import case_submit
from servicehall.cases.tests.helpers import PERSON, item_data, materials, publish
from servicehall.supervision.models import Alert, SupervisionOrder
from servicehall.supervision.services import order_issue, orders_escalate, supervision_sweep
from servicehall.testing import Personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
BEIJING = ZoneInfo("Asia/Shanghai")


def office(browser, base, username):
    page = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN").new_page()
    sign_in(page, base, username)
    return page


def test_an_overdue_case_becomes_an_order_replied_and_closed_and_a_missed_one_goes_orange(live_server, browser):
    p = Personas.build()
    item = publish(p, item_data("法律援助申请"))
    for day in (14, 15):  # due 09-20 (a worked Sunday) and 09-21
        case_submit(actor=p.staff_a, center=p.center_a, items=[item.code], applicant=PERSON,
                    materials=list(materials(item).values()), now=datetime(2026, 9, day, 10, tzinfo=BEIJING))
    supervision_sweep()  # today: both long overdue
    base = live_server.url

    bureau = office(browser, base, "bureau")
    bureau.get_by_role("link", name="电子监察").click()
    matrix = bureau.locator("#supervision-matrix")
    cell = matrix.locator("tr", has_text="公共法律服务").get_by_role("link", name="2").first
    screenshot(bureau, "supervision-console")
    cell.click()
    assert bureau.locator("#alerts tbody tr").count() == 2
    for box in bureau.locator("#alerts input[type=checkbox]").all():
        box.check()
    bureau.fill("#requirement", "两件超期办件立即办结，查明原因并书面反馈")
    bureau.fill("#days", "3")
    bureau.get_by_role("button", name="下发督办单").click()
    assert "已下发督办单" in bureau.locator(".messages").inner_text()
    order = SupervisionOrder.objects.get()
    assert order.alerts.count() == 2

    manager = office(browser, base, "manager_a")
    manager.get_by_role("link", name="电子监察").click()
    manager.get_by_role("link", name="督办单").first.click()
    manager.get_by_role("link", name=f"第{order.pk}号").click()
    manager.fill("#reply", "两件均已办结，对经办人进行了提醒谈话")
    manager.get_by_role("button", name="提交反馈").click()
    assert "已反馈" in manager.locator(".messages").inner_text()
    screenshot(manager, "supervision-order-replied")

    bureau.goto(f"{base}/supervision/orders/{order.pk}/")
    bureau.get_by_role("button", name="审核通过并办结").click()
    assert "督办单已办结" in bureau.locator(".messages").inner_text()
    order.refresh_from_db()
    assert order.state == "closed"

    # Another order nobody answers: the background loop turns it orange after its deadline.
    missed = order_issue(actor=p.bureau, center=p.center_a, alerts=list(Alert.objects.all()[:1]),
                         requirement="说明超期原因", days=1, now=datetime(2026, 10, 12, 9, tzinfo=BEIJING))
    orders_escalate(now=datetime(2026, 10, 14, 9, tzinfo=BEIJING))
    bureau.goto(f"{base}/supervision/orders/{missed.pk}/")
    assert "橙色督办" in bureau.locator("h1").inner_text()
    assert "逾期未办理，升级为橙色督办" in bureau.locator("body").inner_text()
