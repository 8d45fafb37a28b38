"""Journey (JOURNEYS.md 11, issue 20): a citizen files a complaint on the phone page with no
account and is given a number and a query code; the centre's manager signs it, investigates,
resolves and replies; the citizen reads the reply on the status page, is not satisfied, and the
complaint is investigated again (重办1次); the manager replies a second time and the citizen is
satisfied: archived.

The hall's clock: `open_hall` (conftest) puts the test on a working day between 10:00 and 16:00
and the clock only ticks from there (the deadlines come from the working calendar); the test
never travels, so the manager's session is never ended by the idle limit."""

import re

import pytest
from playwright.sync_api import expect

from e2e.conftest import no_sideways_scroll, screenshot
from e2e.test_bureau_creates_center import sign_in
from servicehall.complaints.models import Channel, Complaint, Finding, Handler, Satisfaction, Status
from servicehall.testing import Personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The citizen's phone (JOURNEYS.md: 375 × 667 to 390 × 844), as in test_device_pages.
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "has_touch": True, "is_mobile": True}
PHONE_NUMBER = "13912345678"
FIRST_REPLY = "经调取叫号记录，您反映的等候时间过长属实，已批评教育窗口人员，高峰时段增开一个窗口。"
SECOND_REPLY = "再次核实后，已安排专人在高峰时段引导老年人优先办理，并向您当面致歉。"


def step(page, button: str) -> None:
    """Press one of the file's step buttons and wait for the file to come back with the step in
    its timeline and 已办理 said (the message of the step before is on the page until then)."""
    events = page.locator("#timeline li").count()
    page.get_by_role("button", name=button, exact=True).click()
    expect(page.locator("#timeline li")).to_have_count(events + 1)
    expect(page.locator(".messages")).to_have_text("已办理")


def open_file(page, base: str, number: str, pk: int) -> None:
    """The manager opens the complaint from the list by its number."""
    page.goto(f"{base}/complaints/")
    page.locator("#complaints").get_by_role("link", name=number).click()
    page.wait_for_url(f"{base}/complaints/{pk}/")


def handle_and_reply(page, base: str, complaint: Complaint, *, note: str, finding: str, resolution: str,
                     reply: str) -> None:
    """The manager opens the complaint from the list, records the investigation, resolves it and
    replies, each step one form of the file."""
    open_file(page, base, complaint.number, complaint.pk)
    assert "调查处理中" in page.locator("h1").inner_text()
    page.get_by_label("调查情况").fill(note)
    step(page, "记录调查情况")
    page.get_by_label("调查结论").select_option(label=finding)
    page.get_by_label("处理情况").fill(resolution)
    step(page, "办结处理")
    assert "已处理待答复" in page.locator("h1").inner_text()
    page.get_by_label("答复方式").select_option(label="电话")
    page.get_by_label("答复内容").fill(reply)
    step(page, "答复投诉人")
    assert "已答复待评价" in page.locator("h1").inner_text()


def look_up(phone, base: str, number: str, code: str) -> str:
    """The citizen's status page for the complaint: the progress card's text."""
    phone.goto(f"{base}/complaints/status/")
    phone.locator("#lookup").get_by_label("编号").fill(number)
    phone.locator("#lookup").get_by_label("查询码").fill(code)
    phone.locator("#lookup").get_by_role("button", name="查询").click()
    return phone.locator("#progress").inner_text()


def rate(phone, label: str, note: str = "") -> str:
    """The citizen's word on the reply, on the status page; the page's answer."""
    form = phone.locator("#rate")
    form.get_by_label(label, exact=True).check()
    if note:
        form.get_by_label("您的意见").fill(note)
    form.get_by_role("button", name="提交评价").click()
    return phone.locator("#progress [role=status]").inner_text()


def test_citizen_files_on_the_phone_is_not_satisfied_and_the_complaint_is_handled_again(live_server, browser):
    p = Personas.build()
    base = live_server.url
    citizen = browser.new_context(locale="zh-CN", **PHONE)
    phone = citizen.new_page()
    phone.set_default_timeout(15000)

    # The citizen files on the phone page (the QR code on her slip), no login.
    phone.goto(f"{base}/complaints/public/{p.center_a.code}/?via=qr")
    assert p.center_a.name in phone.locator(".g-lead").inner_text()
    form = phone.locator("#public-complaint")
    form.get_by_label("投诉", exact=True).check()
    form.get_by_label("事由（一句话说明）").fill("等候时间过长")
    form.get_by_label("内容（具体情况）").fill("上午9点取号B003，前面只有2人，等了1个多小时，2号窗口工作人员长时间离开。")
    form.get_by_label("姓名（选填）").fill("王秀兰")
    form.get_by_label("联系电话（选填，手机号码，用于答复）").fill(PHONE_NUMBER)
    no_sideways_scroll(phone)
    screenshot(phone, "e2e-complaint-phone-file")
    submit = form.get_by_role("button", name="提交")
    assert submit.bounding_box()["height"] >= 44  # a thumb's target
    submit.click()
    filed = phone.locator("#filed")
    facts = filed.inner_text()
    number = phone.locator("#filed-number").inner_text()
    code = phone.locator("#filed-code").inner_text()
    assert re.fullmatch(r"TS\d{14}", number) and re.fullmatch(r"\d{6}", code), facts
    assert "前办理并答复您" in facts
    box = phone.locator("#filed-number").bounding_box()
    assert box["height"] < 60, box  # one line: a number split in two is copied wrong
    no_sideways_scroll(phone)
    screenshot(phone, "e2e-complaint-phone-filed")
    complaint = Complaint.objects.get(number=number)
    assert (complaint.status, complaint.channel, complaint.handler, complaint.center) == \
        (Status.RECEIVED, Channel.QR, Handler.CENTRE, p.center_a)
    assert (complaint.name, complaint.phone) == ("王秀兰", PHONE_NUMBER)

    # Before any reply the status page says it was received, and offers no rating.
    progress = look_up(phone, base, number, code)
    assert "已收到，待受理" in progress and "等候时间过长" in progress
    assert phone.locator("#rate").count() == 0

    # The manager signs it, takes it on, investigates, resolves and replies.
    office = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    manager = office.new_page()
    manager.set_default_timeout(15000)
    sign_in(manager, base, "manager_a")
    manager.goto(f"{base}/complaints/")
    row = manager.locator("#complaints tr", has=manager.get_by_role("link", name=number))
    assert "待签收" in row.inner_text() and "扫码" in row.inner_text()
    open_file(manager, base, number, complaint.pk)
    assert PHONE_NUMBER in manager.locator(".facts").inner_text()  # the handler sees whom to call back
    step(manager, "签收")
    step(manager, "受理并调查")
    handle_and_reply(manager, base, complaint, note="调取2号窗口当天叫号记录和监控，询问窗口人员李娜。",
                     finding="属实", resolution="对窗口人员批评教育，高峰时段增开一个综合窗口。", reply=FIRST_REPLY)
    timeline = manager.locator("#timeline").inner_text()
    for label in ("登记", "签收", "受理", "调查", "处理", "答复"):
        assert f"· {label}" in timeline, (label, timeline)

    # The citizen reads the reply on her phone and is not satisfied: it is handled again.
    progress = look_up(phone, base, number, code)
    assert "已答复" in progress and FIRST_REPLY in progress
    assert phone.locator("#rate").is_visible()
    no_sideways_scroll(phone)
    screenshot(phone, "e2e-complaint-phone-status")
    answer = rate(phone, "不满意", "只是批评教育，没有说明以后怎样避免。")
    assert "我们将重新办理" in answer, answer
    assert "调查处理中" in phone.locator("#progress .g-status").inner_text()
    assert phone.locator("#rate").count() == 0
    complaint.refresh_from_db()
    assert (complaint.status, complaint.reopened, complaint.satisfaction, complaint.handler) == \
        (Status.INVESTIGATING, 1, Satisfaction.DISSATISFIED, Handler.CENTRE)

    # The manager sees it back in the list, handles it again and replies a second time.
    manager.goto(f"{base}/complaints/")
    row = manager.locator("#complaints tr", has=manager.get_by_role("link", name=number))
    assert "调查处理中（重办1次）" in row.inner_text(), row.inner_text()
    handle_and_reply(manager, base, complaint, note="回访投诉人，了解其对整改措施的意见。",
                     finding="属实", resolution="设置高峰时段引导岗，老年人优先办理。", reply=SECOND_REPLY)
    assert "不满意，重新办理" in manager.locator("#timeline").inner_text()
    assert "重新办理1次" in manager.locator(".facts").inner_text()

    # The citizen reads the second reply and is satisfied: archived.
    progress = look_up(phone, base, number, code)
    assert "已答复" in progress and SECOND_REPLY in progress
    answer = rate(phone, "满意")
    assert "感谢您的评价，本件已办结" in answer, answer
    assert "已办结" in phone.locator("#progress .g-status").inner_text()
    complaint.refresh_from_db()
    assert (complaint.status, complaint.satisfaction, complaint.finding, complaint.reopened) == \
        (Status.ARCHIVED, Satisfaction.SATISFIED, Finding.UPHELD, 1)
    assert complaint.closed_at is not None

    manager.reload()
    assert "已归档" in manager.locator("h1").inner_text()
    assert "归档" in manager.locator("#timeline").inner_text()
    for context in (citizen, office):
        context.close()
