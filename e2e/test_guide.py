"""Journey: a citizen reads the guide on a phone and at the kiosk; a clerk at the information desk."""

import pytest

from e2e.conftest import screenshot
from e2e.test_bureau_creates_center import sign_in
from servicehall.catalog.tests.test_guide import legal_aid, publish, transport
from servicehall.testing import Personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def catalogue():
    p = Personas.build()
    return p, publish(p, p.center_a, legal_aid()), publish(p, p.center_b, transport())


def test_citizen_finds_legal_aid_by_pinyin_initials_on_a_phone(live_server, page):
    _, aid, _ = catalogue()
    page.set_viewport_size({"width": 375, "height": 667})
    page.goto(f"{live_server.url}/guide/")
    page.get_by_label("查找事项").fill("flyz")
    page.get_by_role("button", name="搜索").click()
    page.get_by_role("link", name="法律援助申请受理审查").click()
    page.wait_for_url(f"{live_server.url}/guide/items/{aid.code}/")

    materials = page.locator("#materials")
    assert materials.get_by_text("法律援助申请表").is_visible()
    assert materials.get_by_text("经济困难状况说明表").is_visible()
    assert page.locator("#fees").get_by_text("不收费").is_visible()
    assert page.locator(".g-qr").is_hidden()  # no QR code to open the page on the phone it is already on
    # Readable on the phone: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "guide-phone-item")


def test_older_citizen_taps_initials_at_the_kiosk(live_server, page):
    _, aid, _ = catalogue()
    page.set_viewport_size({"width": 1080, "height": 1920})
    page.goto(f"{live_server.url}/guide/kiosk/")
    assert float(page.evaluate("getComputedStyle(document.body).fontSize").rstrip("px")) >= 24
    key = page.locator(".g-keys a", has_text="F").first
    assert key.bounding_box()["height"] >= 64
    for letter in "FLYZ":
        page.locator(".g-keys a").get_by_text(letter, exact=True).click()
    assert page.get_by_label("查找事项").input_value() == "flyz"
    result = page.get_by_role("link", name="法律援助申请受理审查")
    assert result.bounding_box()["height"] >= 64
    screenshot(page, "guide-kiosk-search")
    result.click()
    page.wait_for_url(f"{live_server.url}/guide/items/{aid.code}/?mode=kiosk")
    assert page.locator("body.kiosk #materials").get_by_text("法律援助申请表").is_visible()
    assert page.get_by_role("link", name="返回首页").last.bounding_box()["height"] >= 64
    screenshot(page, "guide-kiosk-item")


def test_information_desk_finds_an_item_of_another_centre(live_server, page):
    p, _, fee_item = catalogue()
    sign_in(page, live_server.url, "staff_a")
    page.goto(f"{live_server.url}/guide/desk/")
    page.get_by_label("事项名称、关键词、拼音首字母或实施编码").fill("dlysz")
    page.get_by_role("button", name="查询").click()
    row = page.locator("#desk-results tbody tr").first
    assert "道路运输证补办" in row.inner_text()
    assert p.center_b.name in row.inner_text()
    assert "1号 综合受理" in row.inner_text()
    screenshot(page, "guide-desk")
