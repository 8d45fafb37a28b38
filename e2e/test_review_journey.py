"""Journey: a clerk finishes a ticket, the citizen rates 非常不满意 on the window's pad with a
reason, the manager sees the rectification, records the call-back and the correction, and
closes it."""

import pytest

from e2e.conftest import screenshot, wait_until
from e2e.test_bureau_creates_center import sign_in
from servicehall.queueing.models import CategoryWindow, TicketCategory
from servicehall.queueing.services import ticket_act, ticket_call_next, ticket_issue
from servicehall.reviews.models import EvaluationPad, Rectification, RectificationStatus, Review
from servicehall.testing import Personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pad_bad_review_to_closed_rectification(live_server, browser):
    p = Personas.build()
    category = TicketCategory.objects.create(center=p.center_a, prefix="B", name="法律援助")
    CategoryWindow.objects.create(category=category, window=p.window_a)
    pad = EvaluationPad.objects.create(window=p.window_a)
    ticket_issue(center=p.center_a, prefix="B", phone="13800138000")
    ticket_call_next(actor=p.staff_a, window=p.window_a)
    base = live_server.url

    pad_ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    tablet = pad_ctx.new_page()
    tablet.goto(f"{base}/reviews/pad/{pad.key}/")
    assert tablet.locator("#idle").is_visible()

    clerk_ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    clerk = clerk_ctx.new_page()
    sign_in(clerk, base, "staff_a")
    clerk.goto(f"{base}/queue/window/?window={p.window_a.pk}")
    clerk.get_by_role("button", name="办结（F4）").click()
    wait_until(clerk, "document.getElementById('current-number').textContent.trim() === '—'")

    tablet.locator("#rate").wait_for(state="visible", timeout=10000)
    assert "B001" in tablet.locator("#service-label").inner_text()
    screenshot(tablet, "review-pad-rate")
    tablet.get_by_role("button", name="非常不满意").click()
    tablet.locator("#details").wait_for(state="visible")
    review = Review.objects.get()  # kept at the tap: walking away now loses nothing
    assert (review.level, review.channel, review.reasons) == (1, 4, [])
    submit = tablet.get_by_role("button", name="提交", exact=True)
    box = submit.bounding_box()
    assert box["y"] + box["height"] <= 800, box  # submit visible without scrolling
    assert tablet.evaluate("document.documentElement.scrollHeight") <= 800
    tablet.get_by_role("button", name="等候时间过长").click()
    assert tablet.get_by_role("button", name="等候时间过长").get_attribute("aria-pressed") == "true"
    screenshot(tablet, "review-pad-reasons")
    submit.click()
    tablet.locator("#thanks").wait_for(state="visible")
    thanks = tablet.locator("#thanks-text").inner_text()
    assert "月" in thanks and "回访并整改" in thanks, thanks
    screenshot(tablet, "review-pad-thanks")
    review.refresh_from_db()
    assert (review.level, review.channel, review.reasons) == (1, 4, ["等候时间过长"])

    manager_ctx = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    manager = manager_ctx.new_page()
    sign_in(manager, base, "manager_a")
    manager.get_by_role("link", name="差评整改", exact=True).click()
    manager.locator("#rectifications").get_by_role("link").first.click()
    assert manager.locator("#rectification-status").inner_text() == "待回访"
    for label, text, status in (("回访情况", "已电话回访，群众反映高峰期等候时间长", "已回访待核实"),
                                ("核实情况", "调取叫号记录，核实属实", "已核实待整改"),
                                ("整改措施", "高峰时段增开一个综合窗口", "已整改待反馈"),
                                ("反馈内容", "已电话告知群众整改情况", "已反馈办结")):
        manager.get_by_label(label).fill(text)
        manager.locator("#advance button").click()
        assert manager.locator("#rectification-status").inner_text() == status
    screenshot(manager, "review-rectification-closed")
    assert Rectification.objects.get().status == RectificationStatus.CLOSED
    for ctx in (pad_ctx, clerk_ctx, manager_ctx):
        ctx.close()


def test_pad_goes_idle_and_never_shows_the_previous_citizens_prompt(live_server, browser, settings):
    settings.SH_PAD_IDLE_SECONDS = 2
    p = Personas.build()
    category = TicketCategory.objects.create(center=p.center_a, prefix="B", name="法律援助")
    CategoryWindow.objects.create(category=category, window=p.window_a)
    pad = EvaluationPad.objects.create(window=p.window_a)
    ticket_issue(center=p.center_a, prefix="B")
    ticket_act(actor=p.staff_a, ticket=ticket_call_next(actor=p.staff_a, window=p.window_a), action="finish")
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    tablet = context.new_page()
    tablet.goto(f"{live_server.url}/reviews/pad/{pad.key}/")
    tablet.locator("#rate").wait_for(state="visible", timeout=10000)
    tablet.locator("#idle").wait_for(state="visible", timeout=10000)  # nobody rated: back to idle by itself
    tablet.wait_for_timeout(3000)  # several polls later the old prompt has not come back
    assert tablet.locator("#idle").is_visible() and not tablet.locator("#rate").is_visible()
    tablet.reload()
    tablet.wait_for_timeout(2500)
    assert tablet.locator("#idle").is_visible()
    assert not Review.objects.exists()
    context.close()
