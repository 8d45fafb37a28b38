"""Journey: a citizen takes a ticket at the kiosk, a clerk calls it from the window terminal,
the hall display shows it and queues the announcement, the clerk finishes it."""

import pytest

from e2e.conftest import no_sideways_scroll, pdf_pages, screenshot, wait_until
from e2e.test_bureau_creates_center import sign_in
from servicehall.queueing.models import CategoryWindow, Ticket, TicketCategory, TicketStatus
from servicehall.queueing.services import settings_for
from servicehall.testing import Personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_kiosk_to_window_to_hall_display(live_server, browser):
    p = Personas.build()
    category = TicketCategory.objects.create(center=p.center_a, prefix="B", name="法律援助")
    CategoryWindow.objects.create(category=category, window=p.window_a)
    settings = settings_for(p.center_a)
    base = live_server.url

    display_ctx = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    display = display_ctx.new_page()
    display.goto(f"{base}/queue/display/{settings.display_key}/")
    wait_until(display, "document.getElementById('waiting').children.length === 1")

    kiosk_ctx = browser.new_context(viewport={"width": 1080, "height": 1920}, locale="zh-CN")
    kiosk = kiosk_ctx.new_page()
    kiosk.goto(f"{base}/queue/kiosk/{settings.kiosk_key}/")
    no_sideways_scroll(kiosk)
    kiosk.get_by_role("button", name="绿色通道").click()
    kiosk.locator("#phone").click()  # touch only: the on-screen keypad
    assert kiosk.locator("#keypad").is_visible()
    for digit in "13800138000":
        kiosk.locator("#keypad").get_by_role("button", name=digit, exact=True).click()
    screenshot(kiosk, "queue-kiosk-keypad")
    kiosk.locator("#keypad").get_by_role("button", name="确定").click()
    assert kiosk.locator("#phone").input_value() == "13800138000"
    kiosk.locator("#id-number").focus()  # an ID card reader types like a keyboard and ends with Enter
    kiosk.keyboard.type("11010519491231002X")
    kiosk.keyboard.press("Enter")
    assert kiosk.url.endswith(f"/queue/kiosk/{settings.kiosk_key}/")  # Enter did not submit
    kiosk.get_by_role("button", name="B 法律援助").click()
    assert kiosk.locator("#ticket-number").inner_text() == "B001"
    assert "前面还有 0 人" in kiosk.locator(".ahead").inner_text()
    assert kiosk.locator(".qr svg").is_visible()
    screenshot(kiosk, "queue-kiosk-slip")
    issued = Ticket.objects.get()
    assert (issued.green_channel, issued.phone, issued.id_number[-4:]) == (True, "13800138000", "002X")
    kiosk.goto(kiosk.url.split("?")[0])  # the slip again, without printing itself
    pdf = kiosk.pdf(width="80mm", prefer_css_page_size=True)
    assert pdf_pages(pdf) == 1  # the slip is one 80 mm slip

    clerk_ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    clerk = clerk_ctx.new_page()
    sign_in(clerk, base, "staff_a")
    clerk.get_by_role("link", name="窗口叫号").click()  # straight to the clerk's own window (A post)
    assert "1号窗口" in clerk.locator("h1").inner_text()
    assert clerk.locator("#waiting-total").inner_text() == "1"
    clerk.wait_for_load_state("load")  # terminal.js listens for the keys once loaded
    clerk.keyboard.press("F1")
    wait_until(clerk, "document.getElementById('current-number').textContent.trim() === 'B001'")
    assert "绿色通道" in clerk.locator(".terminal-current").inner_text()
    assert "已叫号：B001" in clerk.locator(".messages").inner_text()  # every key says what it did
    screenshot(clerk, "queue-terminal-called")

    wait_until(display, "window.hallAnnouncements.length === 1")
    assert display.evaluate("window.hallAnnouncements") == ["请B001号到1号窗口办理"]
    newest = display.locator("#calls tr").first
    assert (newest.locator(".number").inner_text(), newest.locator(".window").inner_text()) == ("B001", "1号窗口")
    assert "newest" in newest.get_attribute("class")
    assert display.locator("#calls .number").first.bounding_box()["height"] >= 100  # readable from 10 m
    clerk.get_by_role("button", name="重呼（F2）").click()
    wait_until(display, "window.hallAnnouncements.length === 2")  # a recall is announced again
    assert display.locator("#calls tr").count() == 1  # … and is not a second line
    no_sideways_scroll(display)
    assert display.evaluate("document.documentElement.scrollHeight") <= 1080
    screenshot(display, "queue-hall-display")

    clerk.get_by_role("button", name="办结（F4）").click()
    wait_until(clerk, "document.getElementById('current-number').textContent.trim() === '—'")
    assert Ticket.objects.get().status == TicketStatus.DONE
    for ctx in (display_ctx, kiosk_ctx, clerk_ctx):
        ctx.close()
