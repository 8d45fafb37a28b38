"""Journey: the bureau creates a branch centre, mistypes its name, reads the message, fixes it."""

import pytest

from e2e.conftest import screenshot
from servicehall.testing import PASSWORD, Personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


def test_bureau_creates_a_branch_centre_after_fixing_its_name(live_server, page):
    Personas.build()
    base = live_server.url
    sign_in(page, base, "bureau")
    page.get_by_role("link", name="服务中心").first.click()
    page.get_by_role("link", name="新建分中心").click()

    page.get_by_label("分中心名称").fill("档案分中心")
    page.get_by_label("中心编码").fill("21140309")
    page.get_by_label("主管部门").select_option(label="区司法局")
    page.get_by_role("button", name="保存").click()

    error = page.locator('.field-error[data-field="name"]')
    assert "龙港区行政服务中心XX分中心" in error.inner_text()
    assert page.get_by_label("中心编码").input_value() == "21140309"
    screenshot(page, "center-name-refused")

    page.get_by_label("分中心名称").fill("龙港区行政服务中心档案分中心")
    page.get_by_role("button", name="保存").click()
    page.wait_for_url(f"{base}/org/centers/")
    assert "已新建“龙港区行政服务中心档案分中心”" in page.locator(".messages").inner_text()
    assert page.locator("#centers").get_by_role("link", name="龙港区行政服务中心档案分中心").is_visible()
    screenshot(page, "center-created")


def test_window_staff_sees_only_their_centre(live_server, page):
    Personas.build()
    base = live_server.url
    sign_in(page, base, "staff_a")
    page.goto(f"{base}/org/centers/")
    table = page.locator("#centers").inner_text()
    assert "公共法律服务分中心" in table and "运输管理分中心" not in table
    page.goto(f"{base}/org/centers/21140302/")
    assert "页面不存在" in page.content()
