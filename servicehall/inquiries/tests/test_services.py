"""Logging, answering, handing over and closing: compare-and-set, history and audit rows."""

from servicehall.audit.models import AuditEvent
from servicehall.inquiries.models import FirstInquiry, InquiryEvent
from servicehall.inquiries.services import inquiry_answer, inquiry_close, inquiry_hand_over, inquiry_log
from servicehall.lib.errors import Conflict, Forbidden, Invalid, NotFound

from .helpers import InquiryTestCase, local, public_item

MONDAY = local(2026, 3, 16, 9, 30)


class LogTests(InquiryTestCase):
    def test_it_makes_the_person_asked_the_owner(self):
        inquiry = self.log(at=MONDAY, asker_name="张三丰", asker_phone="+86 138-1234-5678")
        self.assertEqual((inquiry.owner, inquiry.taken_by, inquiry.status), (self.p.staff_a, self.p.staff_a, "open"))
        self.assertEqual(inquiry.asker_phone, "13812345678")
        self.assertEqual(inquiry.asked_at, MONDAY)
        event = InquiryEvent.objects.get(inquiry=inquiry)
        self.assertEqual((event.from_status, event.to_status, event.actor, event.at),
                         ("", "open", self.p.staff_a, MONDAY))

    def test_it_writes_an_audit_row_without_the_full_phone(self):
        inquiry = self.log(at=MONDAY, asker_name="张三丰", asker_phone="13812345678")
        row = AuditEvent.objects.get(action="inquiry.log")
        self.assertEqual((row.object_id, row.center_id, row.actor_id),
                         (str(inquiry.pk), self.p.center_a.pk, self.p.staff_a.pk))
        self.assertEqual(row.after["asker_phone"], "138****5678")
        self.assertEqual(row.after["asker_name"], "张*丰")
        self.assertNotIn("13812345678", str(row.after))

    def test_it_refuses_a_bad_phone_naming_the_field(self):
        with self.assertRaises(Invalid) as caught:
            self.log(at=MONDAY, asker_phone="12345")
        self.assertEqual(caught.exception.field, "asker_phone")
        self.assertIn("手机号码", caught.exception.message)
        self.assertFalse(FirstInquiry.objects.exists())

    def test_it_refuses_an_empty_topic_a_window_of_another_centre_and_a_future_time(self):
        for fields, field in (({"topic": "  "}, "topic"), ({"window": self.p.window_b}, "window"),
                              ({"asked_at": local(2026, 3, 16, 12, 0)}, "asked_at")):
            with self.subTest(field=field), self.assertRaises(Invalid) as caught:
                inquiry_log(actor=self.p.staff_a, center=self.p.center_a, now=MONDAY,
                            **{"topic": "问题", "window": self.p.window_a, **fields})
            self.assertEqual(caught.exception.field, field)
        self.assertFalse(FirstInquiry.objects.exists())
        self.assertFalse(AuditEvent.objects.filter(action="inquiry.log").exists())

    def test_it_accepts_no_window_for_the_hall_and_a_named_item(self):
        item = public_item(self.p, self.p.center_a, "法律援助申请")
        inquiry = self.log(at=MONDAY, window=None, item=item)
        self.assertIsNone(inquiry.window)
        self.assertEqual(inquiry.item, item)

    def test_it_refuses_staff_of_another_centre_and_the_bureau(self):
        with self.assertRaises(NotFound):
            inquiry_log(actor=self.p.staff_b, center=self.p.center_a, topic="问题", now=MONDAY)
        with self.assertRaises(Forbidden):
            inquiry_log(actor=self.p.bureau, center=self.p.center_a, topic="问题", now=MONDAY)


class AnswerTests(InquiryTestCase):
    def test_it_records_the_answer_history_and_audit(self):
        inquiry = self.log(at=MONDAY)
        later = local(2026, 3, 16, 9, 40)
        inquiry = inquiry_answer(actor=self.p.staff_a, inquiry=inquiry, answer="带身份证和申请表即可。", now=later)
        self.assertEqual((inquiry.status, inquiry.answer, inquiry.answered_at),
                         ("answered", "带身份证和申请表即可。", later))
        event = inquiry.events.last()
        self.assertEqual((event.from_status, event.to_status, event.at), ("open", "answered", later))
        row = AuditEvent.objects.get(action="inquiry.answer")
        self.assertEqual((row.before["status"], row.after["status"]), ("open", "answered"))

    def test_it_refuses_an_empty_answer_and_changes_nothing(self):
        inquiry = self.log(at=MONDAY)
        with self.assertRaises(Invalid) as caught:
            inquiry_answer(actor=self.p.staff_a, inquiry=inquiry, answer="   ", now=MONDAY)
        self.assertEqual(caught.exception.field, "answer")
        inquiry.refresh_from_db()
        self.assertEqual(inquiry.status, "open")
        self.assertEqual(inquiry.events.count(), 1)

    def test_it_lets_a_manager_of_the_centre_stand_in_but_not_a_colleague(self):
        inquiry = self.log(at=MONDAY)
        with self.assertRaises(Forbidden):
            inquiry_answer(actor=self.colleague, inquiry=inquiry, answer="答复", now=MONDAY)
        with self.assertRaises(NotFound):
            inquiry_answer(actor=self.p.staff_b, inquiry=inquiry, answer="答复", now=MONDAY)
        inquiry_answer(actor=self.p.manager_a, inquiry=inquiry, answer="答复", now=MONDAY)
        self.assertEqual(FirstInquiry.objects.get().status, "answered")


class HandOverTests(InquiryTestCase):
    def test_it_makes_the_named_person_the_owner(self):
        inquiry = self.log(at=MONDAY)
        inquiry = inquiry_hand_over(actor=self.p.staff_a, inquiry=inquiry, to_user=self.colleague,
                                    note="涉及公证，移交公证窗口张伟", now=MONDAY)
        self.assertEqual((inquiry.status, inquiry.owner, inquiry.taken_by),
                         ("handed_over", self.colleague, self.p.staff_a))
        self.assertEqual((inquiry.handed_over_by, inquiry.handover_note),
                         (self.p.staff_a, "涉及公证，移交公证窗口张伟"))
        event = inquiry.events.last()
        self.assertEqual((event.to_status, event.to_owner, event.actor),
                         ("handed_over", self.colleague, self.p.staff_a))
        row = AuditEvent.objects.get(action="inquiry.hand_over")
        self.assertEqual((row.before["owner_id"], row.after["owner_id"]), (self.p.staff_a.pk, self.colleague.pk))

    def test_it_lets_the_new_owner_answer_and_the_old_one_no_longer(self):
        inquiry = inquiry_hand_over(actor=self.p.staff_a, inquiry=self.log(at=MONDAY), to_user=self.colleague,
                                    note="移交", now=MONDAY)
        with self.assertRaises(Forbidden):
            inquiry_answer(actor=self.p.staff_a, inquiry=inquiry, answer="答复", now=MONDAY)
        inquiry = inquiry_answer(actor=self.colleague, inquiry=inquiry, answer="已电话答复", now=MONDAY)
        self.assertEqual(inquiry.status, "answered")

    def test_it_lets_the_receiver_hand_it_on_again(self):
        inquiry = inquiry_hand_over(actor=self.p.staff_a, inquiry=self.log(at=MONDAY), to_user=self.colleague,
                                    note="移交", now=MONDAY)
        inquiry = inquiry_hand_over(actor=self.colleague, inquiry=inquiry, to_user=self.p.manager_a,
                                    note="请负责人协调", now=MONDAY)
        self.assertEqual((inquiry.status, inquiry.owner), ("handed_over", self.p.manager_a))
        self.assertEqual(inquiry.events.count(), 3)

    def test_it_refuses_an_unnamed_foreign_or_same_receiver_and_an_empty_note(self):
        inquiry = self.log(at=MONDAY)
        cases = ((None, "移交", "to_user"), (self.p.staff_b, "移交", "to_user"), (self.p.bureau, "移交", "to_user"),
                 (self.p.staff_a, "移交", "to_user"), (self.colleague, "  ", "note"))
        for to_user, note, field in cases:
            with self.subTest(to_user=to_user, note=note), self.assertRaises(Invalid) as caught:
                inquiry_hand_over(actor=self.p.staff_a, inquiry=inquiry, to_user=to_user, note=note, now=MONDAY)
            self.assertEqual(caught.exception.field, field)
        inquiry.refresh_from_db()
        self.assertEqual((inquiry.status, inquiry.owner), ("open", self.p.staff_a))
        self.assertFalse(AuditEvent.objects.filter(action="inquiry.hand_over").exists())

    def test_it_refuses_a_stale_copy_after_someone_else_handed_it_over(self):
        inquiry = self.log(at=MONDAY)
        stale = FirstInquiry.objects.get(pk=inquiry.pk)
        inquiry_hand_over(actor=self.p.manager_a, inquiry=inquiry, to_user=self.colleague, note="移交", now=MONDAY)
        with self.assertRaises(Conflict):
            inquiry_answer(actor=self.p.staff_a, inquiry=stale, answer="答复", now=MONDAY)
        self.assertEqual(FirstInquiry.objects.get().owner, self.colleague)


class CloseTests(InquiryTestCase):
    def test_it_closes_an_answered_inquiry_without_a_note(self):
        inquiry = inquiry_answer(actor=self.p.staff_a, inquiry=self.log(at=MONDAY), answer="答复", now=MONDAY)
        inquiry = inquiry_close(actor=self.p.staff_a, inquiry=inquiry, now=MONDAY)
        self.assertEqual((inquiry.status, inquiry.closed_at), ("closed", MONDAY))
        self.assertEqual(list(inquiry.events.values_list("to_status", flat=True)), ["open", "answered", "closed"])
        self.assertTrue(AuditEvent.objects.filter(action="inquiry.close", object_id=str(inquiry.pk)).exists())

    def test_it_needs_a_reason_to_close_an_unanswered_inquiry(self):
        inquiry = self.log(at=MONDAY)
        with self.assertRaises(Invalid) as caught:
            inquiry_close(actor=self.p.staff_a, inquiry=inquiry, note="", now=MONDAY)
        self.assertEqual(caught.exception.field, "note")
        inquiry = inquiry_close(actor=self.p.staff_a, inquiry=inquiry, note="来访人已离开，留有电话待回访", now=MONDAY)
        self.assertEqual((inquiry.status, inquiry.close_note), ("closed", "来访人已离开，留有电话待回访"))


class TransitionTests(InquiryTestCase):
    def test_it_answers_conflict_for_every_illegal_transition(self):
        closed = inquiry_close(actor=self.p.staff_a, inquiry=self.log(at=MONDAY), note="无需答复", now=MONDAY)
        answered = inquiry_answer(actor=self.p.staff_a, inquiry=self.log(at=MONDAY), answer="答复", now=MONDAY)
        calls = (
            lambda: inquiry_answer(actor=self.p.staff_a, inquiry=closed, answer="再答复", now=MONDAY),
            lambda: inquiry_hand_over(actor=self.p.staff_a, inquiry=closed, to_user=self.colleague, note="移交",
                                      now=MONDAY),
            lambda: inquiry_close(actor=self.p.staff_a, inquiry=closed, note="再办结", now=MONDAY),
            lambda: inquiry_answer(actor=self.p.staff_a, inquiry=answered, answer="再答复", now=MONDAY),
            lambda: inquiry_hand_over(actor=self.p.staff_a, inquiry=answered, to_user=self.colleague, note="移交",
                                      now=MONDAY),
        )
        for n, call in enumerate(calls):
            with self.subTest(n=n), self.assertRaises(Conflict) as caught:
                call()
            self.assertEqual(caught.exception.status, 409)
        with self.assertRaises(Conflict) as caught:
            inquiry_answer(actor=self.p.staff_a, inquiry=closed, answer="再答复", now=MONDAY)
        self.assertEqual(caught.exception.message, "该首问当前为“已办结”，不能答复")
        self.assertEqual(InquiryEvent.objects.filter(inquiry=closed).count(), 2)
        self.assertEqual(InquiryEvent.objects.filter(inquiry=answered).count(), 2)

    def test_it_checks_the_stored_status_not_the_copy_in_hand(self):
        inquiry = self.log(at=MONDAY)
        stale = FirstInquiry.objects.get(pk=inquiry.pk)
        inquiry_answer(actor=self.p.staff_a, inquiry=inquiry, answer="答复", now=MONDAY)
        with self.assertRaises(Conflict):
            inquiry_answer(actor=self.p.staff_a, inquiry=stale, answer="第二次答复", now=MONDAY)
        self.assertEqual(FirstInquiry.objects.get().answer, "答复")
        self.assertEqual(AuditEvent.objects.filter(action="inquiry.answer").count(), 1)
