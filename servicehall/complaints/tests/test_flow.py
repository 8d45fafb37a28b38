"""A complaint's life (GB/T 36113-2018: 受理 → 调查 → 处置 → 意见反馈 → 归档) on the district's
calendar: deadlines across the National Day holiday, reopened once, a second dissatisfaction
sent to the bureau; routing to the bureau when it names the manager or reports misconduct."""

from datetime import date, datetime, time

from django.test import override_settings
from django.utils import timezone

from servicehall.audit.models import AuditEvent
from servicehall.complaints.models import Complaint, ComplaintEvent, Handler, Status
from servicehall.complaints.services import (
    complaint_accept,
    complaint_archive,
    complaint_extend,
    complaint_file,
    complaint_note,
    complaint_rate,
    complaint_refuse,
    complaint_reply,
    complaint_resolve,
    complaint_sign,
    complaint_status_lookup,
    query_code_hash,
    upheld,
)
from servicehall.lib.errors import Conflict, Forbidden, Invalid, NotFound
from servicehall.lib.sms import LoggingBackend
from servicehall.org.models import Staff
from servicehall.reviews.tests.test_services import finished_ticket
from servicehall.testing import PersonaTestCase


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_current_timezone())


EVE = date(2026, 9, 30)  # the day before the National Day holiday (10-01 – 10-07; 10-10 worked)


class ComplaintTestCase(PersonaTestCase):
    def file(self, center=None, channel="window", kind="complaint", **extra):
        extra.setdefault("title", "窗口工作人员态度生硬")
        extra.setdefault("content", "上午在1号窗口办理时，工作人员不耐烦，未说明缺少的材料。")
        extra.setdefault("name", "赵先生")
        extra.setdefault("phone", "13812345678")
        return complaint_file(actor=extra.pop("actor", self.p.staff_a), channel=channel, kind=kind,
                              center=center or self.p.center_a, now=extra.pop("now", at(EVE)), **extra)


class FlowTests(ComplaintTestCase):
    def test_deadlines_count_working_days_across_the_national_day_holiday(self):
        complaint, code = self.file()
        self.assertRegex(complaint.number, r"^TS20260930[0-9]{6}$")
        self.assertEqual(complaint.query_code_hash, query_code_hash(complaint.number, code))
        self.assertEqual((complaint.sign_due, complaint.due), (date(2026, 10, 8), date(2026, 10, 20)))
        simple, _ = self.file(simple=True)
        self.assertEqual((simple.number[:10], simple.due), ("TS20260930", date(2026, 10, 13)))
        self.assertNotEqual(simple.number, complaint.number)
        praise, _ = self.file(kind="praise", title="表扬1号窗口")
        self.assertEqual(praise.due, date(2026, 10, 13))

    def test_the_whole_way_with_one_reopening_then_the_bureau(self):
        complaint, _ = self.file(window=self.p.window_a.pk, staff=self.p.person_a.pk)
        manager = self.p.manager_a
        complaint = complaint_sign(actor=manager, complaint=complaint, now=at(date(2026, 10, 8), 9))
        complaint = complaint_accept(actor=manager, complaint=complaint, now=at(date(2026, 10, 8), 9, 5))
        complaint = complaint_note(actor=manager, complaint=complaint, note="调取1号窗口录像，询问李娜",
                                   now=at(date(2026, 10, 8), 11))
        complaint = complaint_resolve(actor=manager, complaint=complaint, finding="upheld",
                                      resolution="已批评教育李娜，并一次性告知所缺材料", now=at(date(2026, 10, 9)))
        self.assertTrue(upheld(complaint))
        complaint = complaint_reply(actor=manager, complaint=complaint, method="phone",
                                    reply="经调查情况属实，已对工作人员批评教育。", now=at(date(2026, 10, 9), 15))
        # Not satisfied: investigated again by the centre, with a new deadline from today.
        complaint = complaint_rate(actor=None, complaint=complaint, satisfaction="dissatisfied", note="没有道歉",
                                   now=at(date(2026, 10, 12)))
        self.assertEqual((complaint.status, complaint.reopened, complaint.handler, complaint.due),
                         (Status.INVESTIGATING, 1, Handler.CENTRE, date(2026, 10, 26)))
        complaint = complaint_resolve(actor=manager, complaint=complaint, finding="upheld", resolution="当面致歉",
                                      now=at(date(2026, 10, 13)))
        complaint = complaint_reply(actor=manager, complaint=complaint, method="sms", reply="已安排当面致歉",
                                    now=at(date(2026, 10, 13), 11))
        # Not satisfied again: the bureau has it now; the centre can no longer act on it.
        complaint = complaint_rate(actor=None, complaint=complaint, satisfaction="dissatisfied",
                                   now=at(date(2026, 10, 14)))
        self.assertEqual((complaint.status, complaint.reopened, complaint.handler), (Status.INVESTIGATING, 2,
                                                                                    Handler.BUREAU))
        with self.assertRaises(Forbidden):
            complaint_note(actor=manager, complaint=complaint, note="补充", now=at(date(2026, 10, 14)))
        self.assertFalse(Complaint.objects.for_user(manager).filter(pk=complaint.pk).exists())
        complaint = complaint_resolve(actor=self.p.bureau, complaint=complaint, finding="upheld",
                                      resolution="约谈分中心负责人，责令整改", now=at(date(2026, 10, 15)))
        complaint = complaint_reply(actor=self.p.bureau, complaint=complaint, method="letter", reply="营商局复核意见",
                                    now=at(date(2026, 10, 15), 11))
        # The bureau's answer is the last: archived, dissatisfied on record.
        complaint = complaint_rate(actor=None, complaint=complaint, satisfaction="dissatisfied",
                                   now=at(date(2026, 10, 16)))
        self.assertEqual((complaint.status, complaint.satisfaction), (Status.ARCHIVED, "dissatisfied"))
        self.assertEqual(list(complaint.events.values_list("action", flat=True)),
                         ["file", "sign", "accept", "note", "resolve", "reply", "reopen", "resolve", "reply",
                          "escalate", "resolve", "reply", "archive"])
        self.assertEqual(AuditEvent.objects.filter(action__startswith="complaint.").count(), 13)

    @override_settings(SH_SMS_BACKEND="servicehall.lib.sms.LoggingBackend")
    def test_a_reply_by_sms_is_sent_to_the_complainant(self):
        LoggingBackend.sent.clear()
        complaint, _ = self.file()
        for step in (complaint_sign, complaint_accept):
            complaint = step(actor=self.p.manager_a, complaint=complaint, now=at(EVE, 11))
        complaint = complaint_resolve(actor=self.p.manager_a, complaint=complaint, finding="upheld", resolution="整改",
                                      now=at(EVE, 12))
        with self.captureOnCommitCallbacks(execute=True):
            complaint_reply(actor=self.p.manager_a, complaint=complaint, method="sms", reply="已增开窗口",
                            now=at(EVE, 13))
        [(phone, text)] = list(LoggingBackend.sent)
        self.assertEqual(phone, "13812345678")
        self.assertIn(complaint.number, text)
        self.assertIn("已增开窗口", text)

    def test_a_satisfied_complainant_closes_it_and_steps_out_of_order_are_refused(self):
        complaint, _ = self.file()
        with self.assertRaises(Conflict):
            complaint_reply(actor=self.p.manager_a, complaint=complaint, method="phone", reply="x", now=at(EVE))
        complaint = complaint_sign(actor=self.p.manager_a, complaint=complaint, now=at(EVE, 11))
        complaint = complaint_accept(actor=self.p.manager_a, complaint=complaint, now=at(EVE, 11))
        complaint = complaint_resolve(actor=self.p.manager_a, complaint=complaint, finding="not_upheld",
                                      resolution="录像显示工作人员已一次性告知", now=at(EVE, 14))
        self.assertFalse(upheld(complaint))
        complaint = complaint_reply(actor=self.p.manager_a, complaint=complaint, method="phone", reply="经核实……",
                                    now=at(EVE, 15))
        complaint = complaint_rate(actor=self.p.manager_a, complaint=complaint, satisfaction="basic",
                                   now=at(EVE, 16))
        self.assertEqual((complaint.status, complaint.satisfaction), (Status.ARCHIVED, "basic"))

    def test_a_refusal_needs_a_ground_and_its_reason(self):
        complaint, _ = self.file(anonymous=True)
        self.assertEqual((complaint.name, complaint.phone), ("", ""))
        complaint = complaint_sign(actor=self.p.manager_a, complaint=complaint, now=at(EVE, 11))
        for ground, reason, field in (("", "x", "ground"), ("anonymous", "", "reason")):
            with self.subTest(field=field), self.assertRaises(Invalid) as refused:
                complaint_refuse(actor=self.p.manager_a, complaint=complaint, ground=ground, reason=reason)
            self.assertEqual(refused.exception.field, field)
        complaint = complaint_refuse(actor=self.p.manager_a, complaint=complaint, ground="anonymous",
                                     reason="匿名反映，未提供时间、窗口等可核实的事实", now=at(EVE, 12))
        self.assertEqual((complaint.status, complaint.refusal_ground), (Status.REFUSED, "anonymous"))
        with self.assertRaises(Invalid) as refused:  # nobody to phone
            complaint_reply(actor=self.p.manager_a, complaint=complaint, method="phone", reply="x")
        self.assertEqual(refused.exception.field, "method")

    def test_only_the_bureau_extends_and_only_later(self):
        complaint, _ = self.file()
        with self.assertRaises(Forbidden):
            complaint_extend(actor=self.p.manager_a, complaint=complaint, due=date(2026, 10, 30), reason="复杂")
        with self.assertRaises(Invalid):
            complaint_extend(actor=self.p.bureau, complaint=complaint, due=date(2026, 10, 20), reason="复杂")
        complaint = complaint_extend(actor=self.p.bureau, complaint=complaint, due=date(2026, 10, 30),
                                     reason="涉及三个部门，需联合调查", now=at(date(2026, 10, 9)))
        self.assertEqual((complaint.due, complaint.extended, complaint.status),
                         (date(2026, 10, 30), True, Status.RECEIVED))


class IntakeTests(ComplaintTestCase):
    def test_a_work_order_received_earlier_runs_from_its_receipt_and_is_recorded_when_filed(self):
        complaint, _ = self.file(channel="hotline", hotline_order="GD1", received_at=at(EVE, 9),
                                 now=at(date(2026, 10, 9), 15))
        self.assertEqual((complaint.number[:10], complaint.received_at, complaint.due),
                         ("TS20260930", at(EVE, 9), date(2026, 10, 20)))
        self.assertEqual(complaint.events.get().at, at(date(2026, 10, 9), 15))
        self.assertEqual(AuditEvent.objects.get(action="complaint.file").created_at, at(date(2026, 10, 9), 15))


    def test_what_it_names_must_be_of_that_centre(self):
        other_staff = Staff.objects.get(center=self.p.center_b, employee_no="001")
        ticket = finished_ticket(self.p, at(EVE), centre="b")
        for field, value in (("window", self.p.window_b.pk), ("staff", other_staff.pk), ("ticket", ticket.pk),
                             ("window", "abc")):
            with self.subTest(field=field), self.assertRaises(Invalid) as refused:
                self.file(**{field: value})
            self.assertEqual(refused.exception.field, field)
            self.assertIn(self.p.center_a.name, refused.exception.message)
        self.assertEqual(Complaint.objects.count(), 0)

    def test_bad_text_and_phone_are_refused_naming_the_field(self):
        for extra, field in (({"title": ""}, "title"), ({"content": "长" * 5001}, "content"),
                             ({"phone": "12345"}, "phone"), ({"kind": "rant"}, "kind"),
                             ({"channel": "hotline"}, "hotline_order")):
            with self.subTest(field=field), self.assertRaises(Invalid) as refused:
                self.file(**extra)
            self.assertEqual(refused.exception.field, field)
        with self.assertRaises(Forbidden):  # the public cannot claim the window's channel
            self.file(actor=None, channel="window")
        complaint, _ = self.file(actor=None, channel="web", content="<script>alert(1)</script>=HYPERLINK(\"x\")")
        self.assertEqual(complaint.content, "<script>alert(1)</script>=HYPERLINK(\"x\")")  # stored as typed
        self.assertIsNone(complaint.filed_by)

    def test_a_12345_work_order_is_filed_once(self):
        self.file(channel="hotline", hotline_order="GD20260930001")
        with self.assertRaises(Conflict) as refused:
            self.file(channel="hotline", hotline_order="GD20260930001")
        self.assertEqual(refused.exception.field, "hotline_order")
        self.assertEqual(Complaint.objects.count(), 1)


class RoutingTests(ComplaintTestCase):
    def test_a_misconduct_report_goes_to_the_bureau_and_the_centre_never_sees_it(self):
        report, _ = self.file(kind="misconduct", title="索要好处费", name="钱女士")
        self.assertEqual(report.handler, Handler.BUREAU)
        for user in (self.p.manager_a, self.p.staff_a):
            self.assertFalse(Complaint.objects.for_user(user).filter(pk=report.pk).exists())
        self.assertTrue(Complaint.objects.for_user(self.p.bureau).filter(pk=report.pk).exists())
        with self.assertRaises(Forbidden):
            complaint_sign(actor=self.p.manager_a, complaint=report)
        complaint_sign(actor=self.p.bureau, complaint=report, now=at(EVE, 11))

    def test_a_complaint_about_the_manager_goes_to_the_bureau(self):
        manager_staff = Staff.objects.create(center=self.p.center_a, user=self.p.manager_a, name="何明",
                                             employee_no="900")
        about_manager, _ = self.file(staff=manager_staff.pk)
        about_clerk, _ = self.file(staff=self.p.person_a.pk)
        self.assertEqual((about_manager.handler, about_clerk.handler), (Handler.BUREAU, Handler.CENTRE))

    def test_one_centre_cannot_see_anothers(self):
        mine, _ = self.file()
        theirs, _ = self.file(actor=self.p.staff_b, center=self.p.center_b)
        self.assertEqual(list(Complaint.objects.for_user(self.p.manager_a)), [mine])
        self.assertEqual(list(Complaint.objects.for_user(self.p.manager_b)), [theirs])
        with self.assertRaises(NotFound):
            complaint_sign(actor=self.p.manager_b, complaint=mine)
        self.assertEqual(ComplaintEvent.objects.filter(complaint=mine).count(), 1)


class StatusLookupTests(ComplaintTestCase):
    def test_the_number_and_query_code_open_it_and_guessing_slows_down(self):
        complaint, code = self.file(actor=None, channel="web")
        wrong = f"{(int(code) + 1) % 10 ** 6:06d}"
        self.assertEqual(complaint_status_lookup(number=complaint.number.lower(), code=code, ip="10.0.0.1",
                                                 now=at(EVE, 11)), complaint)
        for attempt in range(3):
            with self.subTest(attempt=attempt), self.assertRaises(Invalid) as refused:
                complaint_status_lookup(number=complaint.number, code=wrong, ip="10.0.0.2", now=at(EVE, 11))
            self.assertEqual(refused.exception.field, "number")
        with self.assertRaises(Forbidden) as waiting:  # the fourth try from there waits, even with the right code
            complaint_status_lookup(number=complaint.number, code=code, ip="10.0.0.2", now=at(EVE, 11))
        self.assertIn("15秒后再试", waiting.exception.message)
        self.assertEqual(complaint_status_lookup(number=complaint.number, code=code, ip="10.0.0.2",
                                                 now=at(EVE, 11, 1)), complaint)
        with self.assertRaises(Invalid):
            complaint_status_lookup(number="TS20991231000001", code=code, ip="10.0.0.3", now=at(EVE, 11))



class ReviewFixTests(ComplaintTestCase):
    """Found by the review of the complaints app."""

    def replied(self, reply_at=None, **extra):
        complaint, code = self.file(**extra)
        manager = self.p.manager_a
        for step in (complaint_sign, complaint_accept):
            complaint = step(actor=manager, complaint=complaint, now=at(EVE, 11))
        complaint = complaint_resolve(actor=manager, complaint=complaint, finding="upheld", resolution="整改",
                                      now=at(EVE, 12))
        return complaint_reply(actor=manager, complaint=complaint, method="phone", reply="已整改",
                               now=reply_at or at(EVE, 13)), code

    def test_nobody_rates_before_the_reply_nor_a_refusal(self):
        complaint, _ = self.file()
        complaint = complaint_accept(actor=self.p.manager_a, complaint=complaint_sign(
            actor=self.p.manager_a, complaint=complaint, now=at(EVE, 11)), now=at(EVE, 11))
        with self.assertRaises(Conflict):  # the manager cannot restart the clock by "dissatisfied"
            complaint_rate(actor=self.p.manager_a, complaint=complaint, satisfaction="dissatisfied")
        complaint.refresh_from_db()
        self.assertEqual((complaint.reopened, complaint.due), (0, date(2026, 10, 20)))

    def test_a_reply_is_archived_unrated_only_after_the_complainant_had_their_days(self):
        complaint, _ = self.replied()
        with self.assertRaises(Conflict) as refused:
            complaint_archive(actor=self.p.manager_a, complaint=complaint, now=at(date(2026, 10, 10)))
        self.assertIn("2026年10月10日前评价", refused.exception.message)  # 3 working days after 09-30
        complaint = complaint_archive(actor=self.p.manager_a, complaint=complaint, now=at(date(2026, 10, 12)))
        self.assertEqual((complaint.status, complaint.satisfaction), (Status.ARCHIVED, "no_answer"))

    def test_staff_never_read_a_complaint_about_themselves(self):
        about_her, _ = self.file(staff=self.p.person_a.pk)  # person_a is staff_a's own record
        other, _ = self.file()
        self.assertEqual(list(Complaint.objects.for_user(self.p.staff_a)), [other])
        self.assertEqual(set(Complaint.objects.for_user(self.p.manager_a)), {about_her, other})

    def test_a_late_reply_stays_late_after_a_reopening(self):
        complaint, _ = self.replied(reply_at=at(date(2026, 10, 26)))  # due 10-20: late
        self.assertFalse(complaint.answered_on_time)
        complaint = complaint_rate(actor=None, complaint=complaint, satisfaction="dissatisfied",
                                   now=at(date(2026, 10, 27)))
        complaint = complaint_resolve(actor=self.p.manager_a, complaint=complaint, finding="upheld",
                                      resolution="再次整改", now=at(date(2026, 10, 28)))
        complaint = complaint_reply(actor=self.p.manager_a, complaint=complaint, method="phone", reply="已再次整改",
                                    now=at(date(2026, 10, 28), 15))
        self.assertFalse(complaint.answered_on_time)

    def test_an_extension_is_a_working_day_within_one_more_period(self):
        complaint, _ = self.file()  # due 10-20 (Tuesday)
        for due in (date(2026, 10, 31), date(9999, 12, 31)):
            with self.subTest(due=due), self.assertRaises(Invalid) as refused:
                complaint_extend(actor=self.p.bureau, complaint=complaint, due=due, reason="复杂")
            self.assertIn("最晚为2026年11月03日", refused.exception.message)
        complaint_extend(actor=self.p.bureau, complaint=complaint, due=date(2026, 11, 3), reason="复杂")

    def test_odd_digits_in_an_id_are_refused_naming_the_field(self):
        with self.assertRaises(Invalid) as refused:
            self.file(window="²")
        self.assertEqual(refused.exception.field, "window")
