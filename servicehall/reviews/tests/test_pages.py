"""The pad, the QR evaluation, the review API's credentials and the rectification pages."""

from datetime import timedelta

from django.test import override_settings
from django.utils import timezone

from servicehall.accounts.services import api_key_create
from servicehall.audit.models import AuditEvent
from servicehall.lib.errors import Conflict
from servicehall.queueing.models import CategoryWindow, TicketCategory
from servicehall.queueing.services import ticket_act, ticket_call_next, ticket_issue
from servicehall.reviews.models import EvaluationPad, Rectification, RectificationStatus, Review
from servicehall.testing import PersonaTestCase, during_opening_hours


def finished(test, category, phone=""):
    """A ticket of window A, finished, with its finish's after-commit work run."""
    p = test.p
    ticket_issue(center=p.center_a, prefix=category.prefix, phone=phone)
    ticket = ticket_call_next(actor=p.staff_a, window=p.window_a)
    with test.captureOnCommitCallbacks(execute=True):
        ticket_act(actor=p.staff_a, ticket=ticket, action="finish")
    return ticket


@during_opening_hours
class ReviewPageTests(PersonaTestCase):
    def setUp(self):
        category = TicketCategory.objects.create(center=self.p.center_a, prefix="A", name="综合")
        CategoryWindow.objects.create(category=category, window=self.p.window_a)
        self.pad = EvaluationPad.objects.create(window=self.p.window_a)
        ticket_issue(center=self.p.center_a, prefix="A", phone="13800138000")
        self.ticket = ticket_call_next(actor=self.p.staff_a, window=self.p.window_a)

    def post_review(self, body, **headers):
        return self.client.post("/api/v1/reviews", body, content_type="application/json", **headers)

    def test_a_pad_rates_only_the_service_it_is_offering_now(self):
        ticket_act(actor=self.p.staff_a, ticket=self.ticket, action="finish")
        ticket_issue(center=self.p.center_a, prefix="A")
        later = ticket_act(actor=self.p.staff_a, ticket=ticket_call_next(actor=self.p.staff_a, window=self.p.window_a),
                           action="finish")
        self.assertEqual(self.client.get(f"/reviews/pad/{self.pad.key}/state").json()["service"]["ticket"], later.pk)
        earlier = self.post_review({"ticket": self.ticket.pk, "level": 1, "channel": 4}, HTTP_X_PAD_KEY=self.pad.key)
        self.assertEqual(earlier.status_code, 403)
        self.assertIn("正在邀请评价", earlier.json()["message"])
        self.assertFalse(Review.objects.exists())
        self.assertEqual(self.post_review({"ticket": later.pk, "level": 5, "channel": 4},
                                          HTTP_X_PAD_KEY=self.pad.key).status_code, 201)
        again = self.post_review({"ticket": later.pk, "level": 1, "channel": 4}, HTTP_X_PAD_KEY=self.pad.key)
        self.assertEqual(again.json()["error"], "already_reviewed")  # a second tap: told it is rated

    def test_a_bad_level_is_named_as_the_review_s_not_the_catalogue_s(self):
        ticket_act(actor=self.p.staff_a, ticket=self.ticket, action="finish")
        answer = self.post_review({"ticket": self.ticket.pk, "level": "很好", "channel": 4},
                                  HTTP_X_PAD_KEY=self.pad.key).json()
        self.assertEqual(answer["field"], "level")
        self.assertTrue(answer["message"].startswith("评价："), answer["message"])

    def test_the_pad_offers_the_finished_ticket_once_and_only_for_its_window(self):
        state = f"/reviews/pad/{self.pad.key}/state"
        self.assertIsNone(self.client.get(state).json()["service"])
        ticket_act(actor=self.p.staff_a, ticket=self.ticket, action="finish")
        service = self.client.get(state).json()["service"]
        self.assertEqual((service["ticket"], service["kind"]), (self.ticket.pk, "ticket"))
        self.assertContains(self.client.get(f"/reviews/pad/{self.pad.key}/"), "非常不满意")
        other = EvaluationPad.objects.create(window=self.p.window_b)
        body = {"ticket": self.ticket.pk, "level": 1, "channel": 4, "reasons": ["等候时间过长"]}
        self.assertEqual(self.post_review(body, HTTP_X_PAD_KEY=other.key).status_code, 403)
        created = self.post_review(body, HTTP_X_PAD_KEY=self.pad.key)
        self.assertEqual(created.status_code, 201, created.content)
        self.assertTrue(created.json()["bad"] and created.json()["rectification_deadline"])
        again = self.post_review(body | {"level": 5}, HTTP_X_PAD_KEY=self.pad.key)
        self.assertEqual((again.status_code, again.json()["error"]), (409, "already_reviewed"))
        self.assertIsNone(self.client.get(state).json()["service"])

    def test_nobody_else_can_post_a_review(self):
        ticket_act(actor=self.p.staff_a, ticket=self.ticket, action="finish")
        body = {"ticket": self.ticket.pk, "level": 5, "channel": 3}
        self.assertEqual(self.post_review(body).status_code, 403)  # no pad, no token
        self.assertEqual(self.post_review(body | {"token": "guess"}).status_code, 403)
        _, key = api_key_create(actor=None, user=self.p.staff_a)
        self.assertEqual(self.post_review(body, HTTP_AUTHORIZATION=f"Bearer {key}").status_code, 403)  # not the clerk
        self.assertEqual(self.post_review(body | {"token": self.ticket.token, "channel": 4}).status_code, 403)
        self.assertEqual(self.post_review(body | {"token": self.ticket.token, "level": 9}).json()["field"], "level")
        self.assertFalse(Review.objects.exists())
        self.assertEqual(self.post_review(body | {"token": self.ticket.token}).status_code, 201)

    def test_the_qr_page_rates_a_finished_ticket(self):
        page = f"/reviews/t/{self.ticket.token}/"
        self.assertContains(self.client.get(page), "办结后即可在此评价")
        ticket_act(actor=self.p.staff_a, ticket=self.ticket, action="finish")
        self.assertContains(self.client.get(f"/queue/t/{self.ticket.token}/"), "评价本次服务")
        self.assertContains(self.client.post(page, {"level": "2", "reasons": ["服务态度不好"]}), "您已评价：不满意")
        review = Review.objects.get()
        self.assertEqual((review.channel, review.reasons), (3, ["服务态度不好"]))

    def test_the_manager_follows_a_bad_review_up_and_staff_never_see_the_reviewer(self):
        ticket_act(actor=self.p.staff_a, ticket=self.ticket, action="finish")
        self.post_review({"ticket": self.ticket.pk, "level": 1, "channel": 4, "reasons": ["等候时间过长"]},
                         HTTP_X_PAD_KEY=self.pad.key)
        rectification = Rectification.objects.get()
        url = f"/reviews/rectifications/{rectification.pk}/"
        self.client.force_login(self.p.staff_a)
        page = self.client.get(url)
        self.assertNotContains(page, "13800138000")
        self.assertNotContains(page, "查看评价人电话")
        self.client.force_login(self.p.staff_b)
        self.assertEqual(self.client.get(url).status_code, 404)
        self.client.force_login(self.p.manager_a)
        self.assertContains(self.client.get("/reviews/rectifications/"), "等候时间过长")
        shown = self.client.post(url, {"action": "contact"}, follow=True)
        self.assertContains(shown, "13800138000")
        self.assertTrue(AuditEvent.objects.filter(action="review.contact_view").exists())
        for to, text in (("called_back", "已回访"), ("verified", "属实"), ("rectified", "增开窗口"),
                         ("closed", "已反馈")):
            self.client.post(url, {"to": to, "text": text})
        rectification.refresh_from_db()
        self.assertEqual(rectification.status, RectificationStatus.CLOSED)
        self.assertFalse(rectification.overdue(timezone.localdate()))
        self.client.logout()
        self.client.post(f"/reviews/t/{self.ticket.token}/", {"verdict": "basically"})
        rectification.refresh_from_db()
        self.assertEqual(rectification.rater_verdict, "basically")

    def test_the_rectification_api_lists_the_users_centres(self):
        ticket_act(actor=self.p.staff_a, ticket=self.ticket, action="finish")
        self.post_review({"ticket": self.ticket.pk, "level": 2, "channel": 4}, HTTP_X_PAD_KEY=self.pad.key)
        _, mine = api_key_create(actor=None, user=self.p.manager_a)
        _, other = api_key_create(actor=None, user=self.p.manager_b)
        rows = self.client.get("/api/v1/rectifications?state=open", HTTP_AUTHORIZATION=f"Bearer {mine}").json()
        self.assertEqual([(r["center"], r["status"], r["overdue"]) for r in rows],
                         [(self.p.center_a.code, "open", False)])
        self.assertEqual(self.client.get("/api/v1/rectifications", HTTP_AUTHORIZATION=f"Bearer {other}").json(), [])
        bad = self.client.get("/api/v1/rectifications?state=nope", HTTP_AUTHORIZATION=f"Bearer {mine}")
        self.assertEqual((bad.status_code, bad.json()["field"]), (400, "state"))

    def test_a_comment_that_looks_like_a_formula_is_exported_as_text(self):
        import io

        from openpyxl import load_workbook

        ticket_act(actor=self.p.staff_a, ticket=self.ticket, action="finish")
        comment = "=cmd|' /C calc'!A0"
        self.post_review({"ticket": self.ticket.pk, "level": 1, "channel": 4, "comment": comment},
                         HTTP_X_PAD_KEY=self.pad.key)
        self.client.force_login(self.p.manager_a)
        sheet = load_workbook(io.BytesIO(self.client.get("/reviews/export.xlsx?since=2026-01-01").content)).active
        column = [c.value for c in sheet[1]].index("评价内容") + 1
        self.assertEqual((sheet.cell(2, column).value, sheet.cell(2, column).data_type), (comment, "s"))

    def test_the_exchange_export_maps_both_codings_as_json_and_excel(self):
        import io

        from openpyxl import load_workbook

        ticket_act(actor=self.p.staff_a, ticket=self.ticket, action="finish")
        self.post_review({"ticket": self.ticket.pk, "level": 1, "channel": 4, "comment": "排队太久"},
                         HTTP_X_PAD_KEY=self.pad.key)
        _, bureau = api_key_create(actor=None, user=self.p.bureau)
        rows = self.client.get("/api/v1/reviews/export", {"since": "2026-01-01T00:00:00+08:00"},
                               HTTP_AUTHORIZATION=f"Bearer {bureau}").json()
        row = rows[0]
        self.assertEqual((row["satisfaction"], row["satisfaction_gbt39046"], row["satisfaction_label"], row["pf"]),
                         (1, 5, "非常不满意", 4))
        self.assertRegex(row["time"], r"^\d{8}T\d{6}$")
        self.assertEqual((row["region"], row["handler"], row["count"]),
                         (self.p.district.code, self.p.staff_a.display_name, 1))
        self.assertNotIn("13800138000", str(row))
        _, staff = api_key_create(actor=None, user=self.p.staff_a)
        self.assertEqual(self.client.get("/api/v1/reviews/export", HTTP_AUTHORIZATION=f"Bearer {staff}").status_code,
                         403)
        _, other = api_key_create(actor=None, user=self.p.manager_b)
        self.assertEqual(self.client.get("/api/v1/reviews/export", HTTP_AUTHORIZATION=f"Bearer {other}").json(), [])
        self.client.force_login(self.p.manager_a)
        sheet = load_workbook(io.BytesIO(self.client.get("/reviews/export.xlsx?since=2026-01-01").content)).active
        header = [c.value for c in sheet[1]]
        values = dict(zip(header, [c.value for c in sheet[2]], strict=True))
        self.assertEqual((values["满意度（交换接口）"], values["满意度（GB/T 39046）"], values["评价内容"]),
                         (1, 5, "排队太久"))
        self.assertEqual(self.client.get("/reviews/export.xlsx?since=bad").status_code, 400)

    def test_a_finished_ticket_with_a_phone_gets_the_sms_link_and_rates_through_it(self):
        from servicehall.lib.sms import LoggingBackend

        LoggingBackend.sent.clear()
        with self.captureOnCommitCallbacks(execute=True):
            ticket_act(actor=self.p.staff_a, ticket=self.ticket, action="finish")
        phone, text = LoggingBackend.sent[-1]
        link = f"/reviews/t/{self.ticket.token}/?via=sms"
        self.assertEqual(phone, "13800138000")
        self.assertIn(f"http://127.0.0.1:8000{link}", text)  # absolute: a phone can open it
        with override_settings(SH_PUBLIC_BASE_URL="https://zwfw.example.gov.cn"):
            second = finished(self, self.ticket.category, "13900139000")
        self.assertIn(f"https://zwfw.example.gov.cn/reviews/t/{second.token}/?via=sms", LoggingBackend.sent[-1][1])
        self.client.post(link, {"level": "5"})
        self.assertEqual(Review.objects.get().channel, 7)

    def test_the_bureau_decides_appeals_on_its_page(self):
        from servicehall.reviews.services import appeal_file

        ticket_act(actor=self.p.staff_a, ticket=self.ticket, action="finish")
        self.post_review({"ticket": self.ticket.pk, "level": 1, "channel": 4}, HTTP_X_PAD_KEY=self.pad.key)
        appeal = appeal_file(actor=self.p.manager_a, review=Review.objects.get(), reason="评价人未在本窗口办事")
        self.client.force_login(self.p.manager_a)
        page = self.client.get("/reviews/appeals/")
        self.assertContains(page, "评价人未在本窗口办事")
        self.assertNotContains(page, 'value="accept"')
        self.client.force_login(self.p.bureau)
        self.client.post("/reviews/appeals/", {"appeal": appeal.pk, "decision": "accept", "reason": ""})
        self.assertFalse(Review.objects.get().excluded)  # the opinion is required
        self.client.post("/reviews/appeals/", {"appeal": appeal.pk, "decision": "accept", "reason": "核实为误评"})
        self.assertTrue(Review.objects.get().excluded)
        self.client.force_login(self.p.manager_b)
        self.assertNotContains(self.client.get("/reviews/appeals/"), "评价人未在本窗口办事")

    def test_home_pages_show_open_rectifications_and_the_bureaus_counts(self):
        ticket_act(actor=self.p.staff_a, ticket=self.ticket, action="finish")
        self.post_review({"ticket": self.ticket.pk, "level": 2, "channel": 4}, HTTP_X_PAD_KEY=self.pad.key)
        self.client.force_login(self.p.manager_a)
        self.assertContains(self.client.get("/"), "不满意 · 1号窗口")
        self.client.force_login(self.p.bureau)
        home = self.client.get("/")
        self.assertContains(home, "待复核申诉")
        self.assertContains(home, "评价 1，差评 1")

    def test_staff_see_their_own_reviews_but_not_who_gave_them(self):
        ticket_act(actor=self.p.staff_a, ticket=self.ticket, action="finish")
        self.post_review({"ticket": self.ticket.pk, "level": 2, "channel": 4, "comment": "有点慢"},
                         HTTP_X_PAD_KEY=self.pad.key)
        self.client.force_login(self.p.staff_a)
        page = self.client.get("/reviews/mine/")
        self.assertContains(page, "有点慢")
        self.assertNotContains(page, "13800138000")
        self.assertNotContains(page, "138****8000")
        self.client.force_login(self.p.staff_b)
        self.assertNotContains(self.client.get("/reviews/mine/"), "有点慢")


@during_opening_hours
class PadTests(PersonaTestCase):
    """The pad stores the level at the tap; reasons amend it for a few minutes; going idle
    retires the prompt; a visit that became a case is rated once, as the case."""

    def setUp(self):
        self.category = TicketCategory.objects.create(center=self.p.center_a, prefix="A", name="综合")
        CategoryWindow.objects.create(category=self.category, window=self.p.window_a)
        self.pad = EvaluationPad.objects.create(window=self.p.window_a)
        self.state = f"/reviews/pad/{self.pad.key}/state"

    def api(self, method, path, body=None, key=None):
        return getattr(self.client, method)(path, body, content_type="application/json",
                                            HTTP_X_PAD_KEY=key or self.pad.key)

    def test_the_level_is_kept_at_the_tap_and_reasons_amend_it_within_minutes(self):
        ticket = finished(self, self.category)
        tapped = self.api("post", "/api/v1/reviews", {"ticket": ticket.pk, "level": 1, "channel": 4})
        self.assertEqual(tapped.status_code, 201, tapped.content)
        review = Review.objects.get()  # the citizen may walk away now: the review and its rectification exist
        self.assertEqual((review.level, review.reasons), (1, []))
        self.assertEqual(Rectification.objects.get().review, review)
        amend = f"/api/v1/reviews/{review.pk}"
        other = EvaluationPad.objects.create(window=self.p.window_b)
        self.assertEqual(self.api("patch", amend, {"reasons": ["其他"]}, key=other.key).status_code, 404)
        self.assertEqual(self.api("patch", amend, {"reasons": ["插队"]}).json()["field"], "reasons")
        self.assertEqual(self.api("patch", amend, {}).json()["field"], "reasons")
        done = self.api("patch", amend, {"reasons": ["等候时间过长", "服务态度不好"], "comment": " 排队一小时 "})
        self.assertEqual(done.status_code, 200, done.content)
        review.refresh_from_db()
        self.assertEqual((review.reasons, review.comment), (["等候时间过长", "服务态度不好"], "排队一小时"))
        again = self.api("patch", amend, {"reasons": ["其他"]})
        self.assertEqual((again.status_code, again.json()["error"]), (409, "review_closed"))
        self.assertEqual(Review.objects.get().reasons, ["等候时间过长", "服务态度不好"])

    def test_amending_closes_after_the_set_minutes(self):
        from servicehall.reviews.services import review_amend, review_submit

        ticket = finished(self, self.category)
        tapped = timezone.now()
        review = review_submit(ticket=ticket, level=2, channel=4, now=tapped)
        with override_settings(SH_REVIEW_AMEND_MINUTES=5):
            with self.assertRaises(Conflict):
                review_amend(review=review, reasons=["其他"], now=tapped + timedelta(minutes=5, seconds=1))
            review_amend(review=review, reasons=["其他"], now=tapped + timedelta(minutes=4, seconds=59))
        self.assertEqual(Review.objects.get().reasons, ["其他"])

    def test_going_idle_retires_the_prompt_until_the_next_service(self):
        first = finished(self, self.category)
        self.assertEqual(self.client.get(self.state).json()["service"]["ticket"], first.pk)
        self.assertEqual(self.api("post", "/api/v1/pads/idle", key="wrong").status_code, 403)
        self.assertEqual(self.api("post", "/api/v1/pads/idle").status_code, 204)
        self.assertIsNone(self.client.get(self.state).json()["service"])  # the next citizen sees no old prompt
        second = finished(self, self.category)
        self.assertEqual(self.client.get(self.state).json()["service"]["ticket"], second.pk)
        self.assertFalse(Review.objects.exists())

    def test_the_idle_screen_names_the_clerk_at_the_window(self):
        self.assertIsNone(self.client.get(self.state).json()["clerk"])
        finished(self, self.category)
        person = self.p.person_a
        self.assertEqual(self.client.get(self.state).json()["clerk"],
                         {"name": person.name, "employee_no": person.employee_no})

    def test_a_visit_that_became_a_case_is_rated_once_as_the_case(self):
        from servicehall.cases.services import case_approve, case_complete, case_review, case_submit
        from servicehall.cases.tests.helpers import PERSON, item_data, materials, publish
        from servicehall.lib.sms import LoggingBackend

        item = publish(self.p, item_data("法律援助申请"))
        ticket_issue(center=self.p.center_a, prefix="A", phone="13800138000")
        ticket = ticket_call_next(actor=self.p.staff_a, window=self.p.window_a)
        case = case_submit(actor=self.p.staff_a, center=self.p.center_a, items=[item.code], applicant=PERSON,
                           materials=[m for n, m in materials(item).items() if n != "其他说明材料"], ticket=ticket)
        LoggingBackend.sent.clear()
        with self.captureOnCommitCallbacks(execute=True):
            ticket_act(actor=self.p.staff_a, ticket=ticket, action="finish")
        self.assertEqual(list(LoggingBackend.sent), [])  # no invitation for the ticket
        self.assertIsNone(self.client.get(self.state).json()["service"])  # the pad does not ask for it
        refused = self.api("post", "/api/v1/reviews", {"ticket": ticket.pk, "level": 5, "channel": 4})
        self.assertEqual((refused.status_code, refused.json()["error"]), (409, "rate_the_case"))
        self.assertRedirects(self.client.get(f"/reviews/t/{ticket.token}/"), f"/reviews/c/{case.review_token}/")
        with self.captureOnCommitCallbacks(execute=True):
            case_complete(actor=self.p.staff_a, case=case_approve(
                actor=self.p.manager_a, case=case_review(actor=self.p.staff_a, case=case)))
        self.assertEqual(len(LoggingBackend.sent), 1)  # one SMS for the visit, for the case
        self.assertIn(f"/reviews/c/{case.review_token}/?via=sms", LoggingBackend.sent[0][1])
        self.assertEqual(self.client.get(self.state).json()["service"]["case"], case.number)
        self.assertEqual(self.api("post", "/api/v1/reviews", {"case": case.number, "level": 5, "channel": 4})
                         .status_code, 201)
        self.assertIsNone(self.client.get(self.state).json()["service"])
