"""The list, logging, detail and action pages; the overdue card on the home page."""

from datetime import timedelta

from django.utils import timezone

from servicehall.audit.models import AuditEvent
from servicehall.inquiries.models import FirstInquiry
from servicehall.inquiries.services import inquiry_close, inquiry_hand_over

from .helpers import InquiryTestCase, public_item

NEW = {"topic": "申请法律援助需要哪些材料", "asker_name": "张三丰", "asker_phone": "13812345678"}


class ListPageTests(InquiryTestCase):
    def test_it_masks_the_phone_and_name_in_the_list(self):
        self.log(asker_name="张三丰", asker_phone="13812345678")
        response = self.login(self.p.staff_a).get("/inquiries/")
        self.assertContains(response, "138****5678")
        self.assertContains(response, "张*丰")
        self.assertNotContains(response, "13812345678")
        self.assertNotContains(response, "张三丰")

    def test_it_filters_open_closed_and_mine(self):
        self.log(topic="问题一")
        closed = self.log(topic="问题二")
        inquiry_close(actor=self.p.staff_a, inquiry=closed, note="无需答复")
        self.log(self.p.manager_a, topic="问题三")
        client = self.login(self.p.staff_a)
        for query, shown, hidden in (({}, ["问题一", "问题三"], ["问题二"]),
                                     ({"state": "closed"}, ["问题二"], ["问题一"]),
                                     ({"state": "all"}, ["问题一", "问题二", "问题三"], []),
                                     ({"state": "open", "mine": "on"}, ["问题一"], ["问题二", "问题三"])):
            with self.subTest(query=query):
                response = client.get("/inquiries/", query)
                for text in shown:
                    self.assertContains(response, text)
                for text in hidden:
                    self.assertNotContains(response, text)

    def test_it_shows_only_the_users_centres(self):
        self.log(topic="甲中心的问题")
        self.assertNotContains(self.login(self.p.staff_b).get("/inquiries/"), "甲中心的问题")
        self.assertContains(self.login(self.p.bureau).get("/inquiries/"), "甲中心的问题")

    def test_it_refuses_a_bad_filter_with_a_message(self):
        self.log(topic="甲中心的问题")
        response = self.login(self.p.staff_a).get("/inquiries/", {"state": "bogus"})
        self.assertContains(response, 'data-field="state"')
        self.assertNotContains(response, "甲中心的问题")

    def test_it_is_closed_to_the_admins_and_leadership(self):
        for user in (self.p.sysadmin, self.p.auditadmin, self.p.leader):
            with self.subTest(user=user.username):
                self.assertEqual(self.login(user).get("/inquiries/").status_code, 403)


class NewPageTests(InquiryTestCase):
    def test_it_logs_an_inquiry_at_the_users_window(self):
        client = self.login(self.p.staff_a)
        page = client.get("/inquiries/new/")
        self.assertContains(page, f'<option value="{self.p.window_a.pk}" selected>')
        response = client.post("/inquiries/new/", {**NEW, "window": self.p.window_a.pk})
        inquiry = FirstInquiry.objects.get()
        self.assertRedirects(response, f"/inquiries/{inquiry.pk}/")
        self.assertEqual((inquiry.owner, inquiry.window, inquiry.center),
                         (self.p.staff_a, self.p.window_a, self.p.center_a))
        self.assertTrue(AuditEvent.objects.filter(action="inquiry.log", object_id=str(inquiry.pk)).exists())

    def test_it_finds_the_item_by_name_or_pinyin_initials(self):
        item = public_item(self.p, self.p.center_a, "法律援助申请")
        public_item(self.p, self.p.center_b, "法律援助（乙）")
        client = self.login(self.p.staff_a)
        self.assertContains(client.get("/inquiries/new/"), '<option value="法律援助申请">')
        client.post("/inquiries/new/", {**NEW, "item_name": "flyz"})
        self.assertEqual(FirstInquiry.objects.get().item, item)

    def test_it_puts_bad_input_on_the_field_and_stores_nothing(self):
        client = self.login(self.p.staff_a)
        cases = (({**NEW, "asker_phone": "12345"}, "asker_phone", "手机号码格式不正确"),
                 ({**NEW, "topic": ""}, "topic", "这个字段是必填项"),
                 ({**NEW, "item_name": "不存在的事项"}, "item_name", "未找到名称含“不存在的事项”的事项"),
                 ({**NEW, "window": self.p.window_b.pk}, "window", "选择一个有效的选项"),
                 ({**NEW, "asked_at": "2099-01-01T09:00"}, "asked_at", "咨询时间不能晚于当前时间"),
                 ({**NEW, "asked_at": "明天"}, "asked_at", "输入一个有效的日期/时间"))
        for data, field, message in cases:
            with self.subTest(field=field):
                response = client.post("/inquiries/new/", data)
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, f'data-field="{field}"')
                self.assertContains(response, message)
                self.assertContains(response, 'value="张三丰"')  # what was typed is kept
        self.assertFalse(FirstInquiry.objects.exists())

    def test_it_is_for_staff_and_managers_only(self):
        self.assertEqual(self.login(self.p.manager_a).get("/inquiries/new/").status_code, 200)
        for user in (self.p.bureau, self.p.leader, self.p.sysadmin):
            with self.subTest(user=user.username):
                self.assertEqual(self.login(user).post("/inquiries/new/", NEW).status_code, 403)
        self.assertEqual(self.login(self.p.staff_a).get("/inquiries/new/", {"center": self.p.center_b.code})
                         .status_code, 404)
        self.assertFalse(FirstInquiry.objects.exists())


class DetailPageTests(InquiryTestCase):
    def test_it_answers_404_to_staff_of_another_centre(self):
        inquiry = self.log(asker_phone="13812345678")
        client = self.login(self.p.staff_b)
        self.assertEqual(client.get(f"/inquiries/{inquiry.pk}/").status_code, 404)
        for action, data in (("answer", {"answer-answer": "答复"}),
                             ("hand-over", {"handover-to_user": self.p.staff_b.pk, "handover-note": "移交"}),
                             ("close", {"close-note": "办结"})):
            with self.subTest(action=action):
                self.assertEqual(client.post(f"/inquiries/{inquiry.pk}/{action}/", data).status_code, 404)
        self.assertEqual(client.get("/inquiries/999999/").status_code, 404)
        self.assertEqual(FirstInquiry.objects.get().status, "open")

    def test_it_shows_the_full_phone_to_the_owner_only_and_audits_it(self):
        inquiry = self.log(asker_name="张三丰", asker_phone="13812345678")
        self.assertContains(self.login(self.p.staff_a).get(f"/inquiries/{inquiry.pk}/"), "13812345678")
        self.assertTrue(AuditEvent.objects.filter(action="inquiry.view", actor_id=self.p.staff_a.pk).exists())
        for user in (self.colleague, self.p.bureau):
            with self.subTest(user=user.username):
                response = self.login(user).get(f"/inquiries/{inquiry.pk}/")
                self.assertContains(response, "138****5678")
                self.assertNotContains(response, "13812345678")
                self.assertNotContains(response, 'id="answer"')

    def test_it_answers_then_closes_through_the_forms(self):
        inquiry = self.log()
        client = self.login(self.p.staff_a)
        response = client.post(f"/inquiries/{inquiry.pk}/answer/", {"answer-answer": "带身份证和经济困难证明。"})
        self.assertRedirects(response, f"/inquiries/{inquiry.pk}/")
        client.post(f"/inquiries/{inquiry.pk}/close/", {"close-note": ""})
        inquiry.refresh_from_db()
        self.assertEqual((inquiry.status, inquiry.answer), ("closed", "带身份证和经济困难证明。"))
        self.assertEqual(list(inquiry.events.values_list("to_status", flat=True)), ["open", "answered", "closed"])

    def test_it_keeps_an_empty_answer_on_the_field(self):
        inquiry = self.log()
        response = self.login(self.p.staff_a).post(f"/inquiries/{inquiry.pk}/answer/", {"answer-answer": ""})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'data-field="answer"')
        self.assertEqual(FirstInquiry.objects.get().status, "open")

    def test_it_answers_409_for_an_illegal_transition(self):
        inquiry = self.log()
        inquiry_close(actor=self.p.staff_a, inquiry=inquiry, note="来访人已离开")
        client = self.login(self.p.staff_a)
        response = client.post(f"/inquiries/{inquiry.pk}/answer/", {"answer-answer": "答复"})
        self.assertEqual(response.status_code, 409)
        self.assertContains(response, "该首问当前为“已办结”，不能答复", status_code=409)
        self.assertEqual(client.post(f"/inquiries/{inquiry.pk}/close/", {}).status_code, 409)

    def test_it_refuses_the_bureau_to_act(self):
        inquiry = self.log()
        response = self.login(self.p.bureau).post(f"/inquiries/{inquiry.pk}/answer/", {"answer-answer": "答复"})
        self.assertEqual(response.status_code, 403)
        self.assertEqual(FirstInquiry.objects.get().status, "open")


class HandOverPageTests(InquiryTestCase):
    def test_it_hands_over_to_a_named_person_who_sees_it_on_the_home_page(self):
        inquiry = self.log(at=timezone.now() - timedelta(days=10), topic="公证费用能否减免")
        client = self.login(self.p.staff_a)
        self.assertContains(client.get("/"), f'href="/inquiries/{inquiry.pk}/"')
        response = client.post(f"/inquiries/{inquiry.pk}/hand-over/", {"handover-to_user": self.colleague.pk,
                                                                       "handover-note": "涉及公证费用，请张伟答复"})
        self.assertRedirects(response, f"/inquiries/{inquiry.pk}/")
        self.assertNotContains(client.get("/"), f'href="/inquiries/{inquiry.pk}/"')
        home = self.login(self.colleague).get("/")
        self.assertContains(home, "超过一个工作日未办结的首问")
        self.assertContains(home, f'href="/inquiries/{inquiry.pk}/"')
        self.assertContains(home, "公证费用能否减免")

    def test_it_shows_the_card_to_a_manager_who_received_one(self):
        inquiry = self.log(at=timezone.now() - timedelta(days=10), topic="律师咨询预约")
        inquiry_hand_over(actor=self.p.staff_a, inquiry=inquiry, to_user=self.p.manager_a, note="请负责人协调")
        self.assertContains(self.login(self.p.manager_a).get("/"), "律师咨询预约")

    def test_it_offers_only_people_of_the_centre(self):
        inquiry = self.log()
        page = self.login(self.p.staff_a).get(f"/inquiries/{inquiry.pk}/")
        self.assertContains(page, f'<option value="{self.colleague.pk}">')
        self.assertContains(page, f'<option value="{self.p.manager_a.pk}">')
        self.assertNotContains(page, f'<option value="{self.p.staff_b.pk}">')
        response = self.login(self.p.staff_a).post(f"/inquiries/{inquiry.pk}/hand-over/", {
            "handover-to_user": self.p.staff_b.pk, "handover-note": "移交"})
        self.assertContains(response, 'data-field="to_user"')
        self.assertEqual(FirstInquiry.objects.get().owner, self.p.staff_a)


class DeskToInquiryTests(InquiryTestCase):
    def test_it_starts_a_first_inquiry_from_the_desk_with_the_item_filled_in(self):
        other = public_item(self.p, self.p.center_b, "道路货物运输经营许可")  # another centre's item
        client = self.login(self.p.staff_a)
        response = client.get("/inquiries/new/", {"item": other.code})
        self.assertContains(response, 'value="道路货物运输经营许可"')
        self.assertContains(response, "咨询道路货物运输经营许可")
        client.post("/inquiries/new/", {**NEW, "item_name": other.name, "item_code": other.code})
        self.assertEqual(FirstInquiry.objects.get().item, other)
