"""Every citizen-facing device page at its real size (JOURNEYS.md): nothing scrolls sideways,
and the phone pages lead on to booking and to the status pages."""

import pytest

from e2e.conftest import no_sideways_scroll, screenshot
from servicehall.cases.services import case_approve, case_complete, case_review, case_submit
from servicehall.cases.tests.helpers import PERSON, item_data, materials, publish
from servicehall.queueing.models import CategoryWindow, TicketCategory
from servicehall.queueing.services import settings_for, ticket_act, ticket_call_next, ticket_issue
from servicehall.reviews.models import EvaluationPad
from servicehall.testing import Personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "has_touch": True, "is_mobile": True}


def test_phone_pages_fit_the_screen_and_lead_on(live_server, browser):
    p = Personas.build()
    item = publish(p, item_data("法律援助申请", appointment=True))
    category = TicketCategory.objects.create(center=p.center_a, prefix="A", name="法律援助")
    CategoryWindow.objects.create(category=category, window=p.window_a)
    ticket_issue(center=p.center_a, prefix="A")
    done = ticket_act(actor=p.staff_a, ticket=ticket_call_next(actor=p.staff_a, window=p.window_a), action="finish")
    case = case_submit(actor=p.staff_a, center=p.center_a, items=[item.code], applicant=PERSON,
                       materials=[m for n, m in materials(item).items() if n != "其他说明材料"])
    case = case_complete(actor=p.staff_a, case=case_approve(actor=p.manager_a,
                                                              case=case_review(actor=p.staff_a, case=case)))
    base = live_server.url
    context = browser.new_context(locale="zh-CN", **PHONE)
    phone = context.new_page()

    phone.goto(f"{base}/guide/items/{item.code}/")
    no_sideways_scroll(phone)
    phone.locator(".g-actions").get_by_role("link", name="网上预约").click()  # the guide leads to booking
    phone.locator("#choose .g-chip").first.click()
    phone.locator("#choose input[name=day]").first.check(force=True)
    phone.get_by_role("button", name="查看可约时段").click()
    phone.locator("#book").wait_for()  # the slots come with the next page
    no_sideways_scroll(phone)
    phone.locator("#book input[name=slot]:not([disabled])").first.check(force=True)
    phone.get_by_label("4. 身份证号码或统一社会信用代码").fill("11010519491231002X")
    phone.get_by_label("5. 手机号码").fill("13800138000")
    screenshot(phone, "phone-book-slots")
    phone.get_by_role("button", name="确认预约").click()
    assert len(phone.locator("#booking-code").inner_text().strip()) == 8
    no_sideways_scroll(phone)
    screenshot(phone, "phone-book-done")

    phone.goto(f"{base}/queue/t/{done.token}/")
    no_sideways_scroll(phone)
    phone.get_by_role("link", name="评价本次服务").click()
    no_sideways_scroll(phone)
    screenshot(phone, "phone-ticket-review")

    phone.get_by_role("link", name="办件进度").click()  # the guide's header leads to the status page
    phone.get_by_label("办件编号").fill(case.number)
    phone.get_by_label("手机号码后4位").fill(PERSON["phone"][-4:])
    phone.get_by_role("button", name="查询").click()
    assert "领取结果" in phone.locator("#collect").inner_text()
    no_sideways_scroll(phone)
    screenshot(phone, "phone-case-status")
    phone.get_by_role("link", name="评价本次办事").click()
    no_sideways_scroll(phone)
    context.close()


def test_kiosk_pad_and_screens_fit_their_devices(live_server, browser):
    p = Personas.build()
    category = TicketCategory.objects.create(center=p.center_a, prefix="A", name="法律援助")
    CategoryWindow.objects.create(category=category, window=p.window_a)
    settings = settings_for(p.center_a)
    pad = EvaluationPad.objects.create(window=p.window_a)
    ticket_issue(center=p.center_a, prefix="A")
    ticket_call_next(actor=p.staff_a, window=p.window_a)
    base = live_server.url
    for path, size in ((f"/queue/kiosk/{settings.kiosk_key}/", (1080, 1920)),
                       (f"/queue/display/{settings.display_key}/", (1920, 1080)),
                       (f"/queue/display/{settings.display_key}/window/{p.window_a.number}/", (800, 480)),
                       (f"/reviews/pad/{pad.key}/", (1280, 800)),
                       ("/guide/kiosk/", (1080, 1920))):
        context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="zh-CN")
        page = context.new_page()
        page.goto(base + path)
        page.wait_for_timeout(300)
        no_sideways_scroll(page)
        context.close()


def test_every_printed_document_is_one_a4_page(live_server, browser):
    from decimal import Decimal

    from e2e.conftest import pdf_pages
    from e2e.test_bureau_creates_center import sign_in
    from servicehall.cases.services import case_refuse, case_suspend

    p = Personas.build()
    item = publish(p, item_data("公证书出具", fees=[
        {"name": "公证费", "amount": Decimal("80.00"), "legal_basis": "辽价发〔2017〕1号"},
        {"name": "副本费", "amount": None, "standard": "每份10元", "legal_basis": "辽价发〔2017〕1号"}]))
    ids = materials(item)
    copies = item.current_version.fee_rows.get(name="副本费")
    accepted = case_submit(actor=p.staff_a, center=p.center_a, items=[item.code], applicant=PERSON,
                           materials=[ids["申请表"], ids["收入状况证明"]], fees={copies.pk: "20"})
    suspended = case_suspend(actor=p.staff_a, case=case_submit(
        actor=p.staff_a, center=p.center_a, items=[item.code], applicant=PERSON,
        materials=[ids["申请表"], ids["收入状况证明"]], fees={copies.pk: "0"}), reason="需要进行笔迹鉴定")
    notified = case_submit(actor=p.staff_a, center=p.center_a, items=[item.code], applicant=PERSON,
                           materials=[ids["申请表"]])
    refused = case_refuse(actor=p.staff_a, case=case_submit(
        actor=p.staff_a, center=p.center_a, items=[item.code], applicant=PERSON, materials=[ids["申请表"]]),
        reason="申请事项不属于本机关职权范围")
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    sign_in(page, live_server.url, "staff_a")
    for case, kind in ((accepted, "receipt"), (accepted, "bill"), (notified, "notice"), (refused, "refusal"),
                       (suspended, "suspension")):
        page.goto(f"{live_server.url}/cases/{case.number}/print/{kind}/")
        assert "〔" in page.locator("#doc-number").inner_text()
        assert "（盖章）" in page.content()
        pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
        assert pdf_pages(pdf) == 1, kind
    context.close()
