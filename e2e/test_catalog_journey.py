"""Journey: a manager proposes an item, trips a quality rule, fixes it; the bureau approves;
the citizen finds it in the public guide by pinyin initials."""

import pytest

from e2e.conftest import screenshot
from e2e.test_bureau_creates_center import sign_in
from servicehall.testing import Personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_proposes_bureau_approves_guide_shows(live_server, browser):
    Personas.build()
    base = live_server.url

    manager = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN").new_page()
    sign_in(manager, base, "manager_a")
    manager.get_by_role("link", name="事项清单").first.click()
    manager.get_by_role("link", name="新增事项").click()
    manager.fill("#id_item-name", "公证费减免申请")
    manager.select_option("#id_item-item_type", "20")
    manager.fill("#id_item-legal_basis", "《中华人民共和国法律援助法》第五十三条")
    manager.fill("#id_item-statutory_days", "10")
    manager.fill("#id_item-promised_days", "3")
    manager.fill("#id_item-visits_reason", "需核验身份证件原件")
    manager.check("#id_item-windows_0")
    manager.fill("#id_steps-0-name", "受理")
    manager.fill("#id_steps-0-days", "0")
    manager.fill("#id_steps-1-name", "办结")
    manager.fill("#id_steps-1-days", "3")
    manager.fill("#id_materials-0-name", "公证费减免申请表")
    manager.fill("#id_fees-0-name", "公证费")
    manager.fill("#id_fees-0-amount", "100")
    manager.get_by_role("button", name="提交审核").click()

    error = manager.locator('.field-error[data-field="fees.1.legal_basis"]')
    assert "收费项目“公证费”须填写收费依据" in error.inner_text()
    assert manager.input_value("#id_item-name") == "公证费减免申请"
    screenshot(manager, "catalog-fee-without-basis")
    manager.fill("#id_fees-0-legal_basis", "《公证服务收费管理办法》")
    manager.get_by_role("button", name="提交审核").click()
    assert "已提交营商局审核" in manager.locator(".messages").inner_text()
    assert manager.locator("#change-status").inner_text() == "待审核"

    bureau = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN").new_page()
    sign_in(bureau, base, "bureau")
    bureau.goto(f"{base}/catalog/changes/")
    bureau.locator("#changes").get_by_role("link").first.click()
    assert bureau.locator("#diff").get_by_text("公证费减免申请").first.is_visible()
    bureau.get_by_role("button", name="批准").click()
    assert "已批准" in bureau.locator(".messages").inner_text()
    screenshot(bureau, "catalog-approved")

    citizen = browser.new_context(viewport={"width": 375, "height": 667}, locale="zh-CN").new_page()
    citizen.goto(f"{base}/guide/")
    citizen.get_by_label("查找事项").fill("gzfjmsq")
    citizen.get_by_role("button", name="搜索").click()
    citizen.get_by_role("link", name="公证费减免申请").click()
    assert citizen.locator("#fees").get_by_text("《公证服务收费管理办法》").is_visible()
    screenshot(citizen, "catalog-guide-item")
