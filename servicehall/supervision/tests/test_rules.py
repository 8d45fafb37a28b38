"""Each built-in rule fires, does not fire, and is tested at its threshold, on dates across the
National Day holiday of 2026 (10-01 – 10-07, 10-10 worked)."""

from datetime import date, time
from unittest import mock, skipUnless

from django.db import connection
from django.test import TestCase, override_settings

from servicehall.attendance.services import (
    Line,
    device_register,
    leave_apply,
    leave_approve,
    punches_receive,
    shift_save,
)
from servicehall.cases.models import BillLine, CaseTransition
from servicehall.cases.services import (
    case_accept,
    case_approve,
    case_extend,
    case_notify_again,
    case_refuse,
    case_resume,
    case_review,
    case_submit,
    case_supplement,
    case_suspend,
    cases_deem_accepted,
)
from servicehall.cases.tests.helpers import PERSON, at, fee_data, item_data, materials, publish
from servicehall.inquiries.services import inquiry_answer, inquiry_log
from servicehall.lib.errors import Conflict, Forbidden, Invalid
from servicehall.lib.sms import LoggingBackend
from servicehall.org.models import Staff
from servicehall.queueing.models import CategoryWindow, TicketCategory
from servicehall.queueing.services import ticket_act, ticket_call, ticket_call_next, ticket_issue, window_pause
from servicehall.reviews.models import Rectification
from servicehall.reviews.services import rectification_advance, review_submit
from servicehall.reviews.tests.test_services import finished_ticket
from servicehall.supervision.models import Alert, AlertOutcome, AlertState, Level, RuleVersion, SupervisionRule
from servicehall.supervision.rules import BY_CODE, Sweep, evidence_items
from servicehall.supervision.services import rule_update, rules_ensure, supervision_sweep
from servicehall.testing import PersonaTestCase
from servicehall.workcalendar.selectors import get_calendar
from servicehall.workcalendar.services import calendar_day_set


def when(month, day, hour, minute=0, second=0):
    return at(2026, month, day, hour).replace(minute=minute, second=second)


class RuleTestCase(PersonaTestCase):
    def alerts(self, code: str):
        return list(Alert.objects.filter(rule__code=code).order_by("id"))

    def receive(self, when, center=None, present=None):
        """A case received at `when` with every material (accepted at once), or with the
        materials named in `present` only (a one-time notice)."""
        center = center or self.p.center_a
        item = self.items.get(center.pk) or publish(self.p, item_data(f"法律援助申请{center.pk}"), center=center)
        self.items[center.pk] = item
        clerk = self.p.staff_a if center == self.p.center_a else self.p.staff_b
        given = [pk for name, pk in materials(item).items() if present is None or name in present]
        return case_submit(actor=clerk, center=center, items=[item.code], applicant=PERSON, materials=given, now=when)

    def setUp(self):
        self.items = {}


class CaseOverdueTests(RuleTestCase):
    def test_it_fires_the_working_day_after_the_due_date_across_the_holiday_and_only_once(self):
        case = self.receive(at(2026, 9, 30))  # + 5 working days → 2026-10-13
        self.assertEqual(case.due_date.isoformat(), "2026-10-13")
        supervision_sweep(now=at(2026, 10, 8, 9))
        supervision_sweep(now=at(2026, 10, 13, 17))  # the due date itself: not overdue yet
        self.assertEqual(self.alerts("case_overdue"), [])

        supervision_sweep(now=at(2026, 10, 14, 9))
        supervision_sweep(now=when(10, 14, 9, 1))

        [alert] = self.alerts("case_overdue")
        self.assertEqual((alert.subject, alert.subject_id, alert.subject_label), ("case", case.pk, case.number))
        self.assertEqual((alert.center_id, alert.staff_id, alert.level, alert.state),
                         (self.p.center_a.pk, self.p.staff_a.pk, Level.RED, AlertState.OPEN))
        self.assertEqual(alert.evidence, {"due_date": "2026-10-13", "remaining_workdays": -1, "promised_days": 5})
        self.assertEqual(alert.rule_version.number, 1)

    def test_it_closes_itself_when_the_clock_stops(self):
        case = self.receive(at(2026, 9, 30))
        supervision_sweep(now=at(2026, 10, 14, 9))
        case_suspend(actor=self.p.staff_a, case=case, reason="需要现场核查", now=at(2026, 10, 14, 10))

        supervision_sweep(now=when(10, 14, 10, 1))

        [alert] = self.alerts("case_overdue")
        self.assertEqual((alert.state, alert.outcome), (AlertState.CLOSED, AlertOutcome.RESOLVED))
        self.assertEqual(list(alert.transitions.values_list("from_state", "to_state")), [("open", "closed")])

    def test_it_counts_only_the_centre_and_clerk_of_the_case(self):
        self.receive(at(2026, 9, 30))
        self.receive(at(2026, 10, 12), center=self.p.center_b)  # due 10-19: not overdue on 10-14
        supervision_sweep(now=at(2026, 10, 14, 9))
        self.assertEqual([a.center_id for a in self.alerts("case_overdue")], [self.p.center_a.pk])


class CaseDueSoonTests(RuleTestCase):
    def test_it_turns_yellow_at_two_working_days_counting_the_worked_saturday(self):
        case = self.receive(at(2026, 9, 30))  # due 10-13; 10-10 (Sat) is worked
        supervision_sweep(now=at(2026, 10, 8, 9))
        supervision_sweep(now=at(2026, 10, 9, 9))  # 3 working days left: green
        self.assertEqual(self.alerts("case_due_soon"), [])

        supervision_sweep(now=at(2026, 10, 10, 9))  # 2 left: yellow

        [alert] = self.alerts("case_due_soon")
        self.assertEqual((alert.subject_id, alert.level, alert.evidence["remaining_workdays"]),
                         (case.pk, Level.YELLOW, 2))

    def test_it_closes_when_the_case_turns_red_and_the_overdue_alert_takes_over(self):
        self.receive(at(2026, 9, 30))
        supervision_sweep(now=at(2026, 10, 12, 9))
        supervision_sweep(now=at(2026, 10, 14, 9))
        [soon] = self.alerts("case_due_soon")
        self.assertEqual((soon.state, soon.outcome), (AlertState.CLOSED, AlertOutcome.RESOLVED))
        self.assertEqual(len(self.alerts("case_overdue")), 1)


class TicketWaitTests(RuleTestCase):
    def setUp(self):
        super().setUp()
        category = TicketCategory.objects.create(center=self.p.center_a, prefix="B", name="法律援助")
        CategoryWindow.objects.create(category=category, window=self.p.window_a)

    def test_it_fires_at_thirty_minutes_of_waiting_and_not_before(self):
        first = ticket_issue(center=self.p.center_a, prefix="B", now=at(2026, 10, 12, 9))
        ticket_issue(center=self.p.center_a, prefix="B", now=when(10, 12, 9, 20))
        supervision_sweep(now=when(10, 12, 9, 29, 59))
        self.assertEqual(self.alerts("ticket_wait_long"), [])

        supervision_sweep(now=when(10, 12, 9, 30))

        [alert] = self.alerts("ticket_wait_long")
        self.assertEqual((alert.subject_id, alert.subject_label, alert.evidence["waited_minutes"]),
                         (first.pk, first.number, 30))

    def test_a_called_ticket_closes_its_alert_and_a_new_threshold_is_a_new_version(self):
        ticket_issue(center=self.p.center_a, prefix="B", now=at(2026, 10, 12, 9))
        supervision_sweep(now=when(10, 12, 9, 31))
        ticket_call_next(actor=self.p.staff_a, window=self.p.window_a, now=when(10, 12, 9, 32))
        rule = rule_update(actor=self.p.city_bureau, rule=SupervisionRule.objects.get(code="ticket_wait_long"),
                           thresholds={"minutes": 45}, level=Level.RED, enabled=True, now=at(2026, 10, 12, 9))
        late = ticket_issue(center=self.p.center_a, prefix="B", now=at(2026, 10, 12, 10))

        supervision_sweep(now=when(10, 12, 10, 40))  # 40 < 45: nothing
        supervision_sweep(now=when(10, 12, 10, 45))

        first, second = self.alerts("ticket_wait_long")
        self.assertEqual((first.state, first.outcome, first.rule_version.number), ("closed", "resolved", 1))
        self.assertEqual((second.subject_id, second.level, second.rule_version.number), (late.pk, Level.RED, 2))
        self.assertEqual(rule.version, 2)
        self.assertEqual(list(RuleVersion.objects.filter(rule=rule).values_list("number", flat=True)), [1, 2])


@override_settings(SH_RECTIFICATION_DAYS=5)
class RectificationRuleTests(RuleTestCase):
    """A bad review on 2026-09-30 (Wednesday, before the holiday): its rectification is due
    five working days later, on 10-13; the call-back one working day later, on 10-08."""

    def setUp(self):
        super().setUp()
        ticket = finished_ticket(self.p, at(2026, 9, 30))
        review_submit(ticket=ticket, level=1, channel=4, reasons=["等候时间过长"], now=at(2026, 9, 30, 11))
        self.rectification = Rectification.objects.get()

    def test_a_call_back_is_due_the_first_working_day_after_the_holiday(self):
        supervision_sweep(now=at(2026, 10, 8, 17))
        self.assertEqual(self.alerts("review_not_called_back"), [])
        supervision_sweep(now=at(2026, 10, 9, 9))
        [alert] = self.alerts("review_not_called_back")
        self.assertEqual((alert.subject, alert.subject_id, alert.staff_id, alert.window_id),
                         ("rectification", self.rectification.pk, self.p.staff_a.pk, self.p.window_a.pk))
        self.assertEqual(alert.evidence["callback_due"], "2026-10-08")

        rectification_advance(actor=self.p.manager_a, rectification=self.rectification, to="called_back",
                              text="已电话回访评价人", now=at(2026, 10, 9, 10))
        supervision_sweep(now=at(2026, 10, 9, 11))
        self.assertEqual(Alert.objects.get(pk=alert.pk).outcome, AlertOutcome.RESOLVED)

    def test_a_limit_lowered_in_the_day_applies_at_the_next_sweep_though_nothing_changed(self):
        rules_ensure()
        rule = rule_update(actor=self.p.city_bureau, rule=SupervisionRule.objects.get(code="review_not_called_back"),
                           thresholds={"workdays": 3}, level=Level.YELLOW, enabled=True, now=at(2026, 10, 8, 9))
        supervision_sweep(now=at(2026, 10, 9, 8))  # due 10-10 (worked Saturday): not late yet
        self.assertEqual(self.alerts("review_not_called_back"), [])
        rule_update(actor=self.p.city_bureau, rule=rule, thresholds={"workdays": 1}, level=Level.RED, enabled=True,
                    now=at(2026, 10, 9, 9))
        supervision_sweep(now=at(2026, 10, 9, 10))  # the same day, the rectification untouched
        [alert] = self.alerts("review_not_called_back")
        self.assertEqual((alert.rule_version.number, alert.level, alert.evidence["callback_due"]),
                         (3, Level.RED, "2026-10-08"))

    def test_the_rectification_is_overdue_the_working_day_after_its_deadline(self):
        self.assertEqual(self.rectification.deadline.isoformat(), "2026-10-13")
        supervision_sweep(now=at(2026, 10, 13, 17))
        self.assertEqual(self.alerts("rectification_overdue"), [])
        supervision_sweep(now=at(2026, 10, 14, 9))
        [alert] = self.alerts("rectification_overdue")
        self.assertEqual((alert.level, alert.occurrence, alert.evidence["overdue_workdays"]),
                         (Level.RED, "2026-10-13", 1))


class InquiryRuleTests(RuleTestCase):
    def test_a_first_inquiry_is_late_after_one_working_day_and_an_answer_closes_its_alert(self):
        inquiry = inquiry_log(actor=self.p.staff_a, center=self.p.center_a, topic="法律援助需要哪些材料",
                              now=at(2026, 9, 30))
        supervision_sweep(now=at(2026, 10, 8, 17))  # answer due on 10-08, the first working day after
        self.assertEqual(self.alerts("inquiry_unanswered"), [])
        supervision_sweep(now=at(2026, 10, 9, 9))
        [alert] = self.alerts("inquiry_unanswered")
        self.assertEqual((alert.subject_id, alert.staff_id, alert.evidence["answer_due"]),
                         (inquiry.pk, self.p.staff_a.pk, "2026-10-08"))

        inquiry_answer(actor=self.p.staff_a, inquiry=inquiry, answer="申请表和收入状况证明", now=at(2026, 10, 9, 10))
        supervision_sweep(now=at(2026, 10, 9, 11))
        self.assertEqual(Alert.objects.get(pk=alert.pk).state, AlertState.CLOSED)


class CaseRecordRuleTests(RuleTestCase):
    def test_a_deemed_acceptance_is_a_red_alert_on_the_clerk_of_the_case(self):
        case = self.receive(at(2026, 9, 28), present=("申请表",))
        case = case_supplement(actor=self.p.staff_a, case=case, materials=[materials(self.items[self.p.center_a.pk])[
            "收入状况证明"]], now=at(2026, 9, 29))
        cases_deem_accepted(now=at(2026, 10, 12))
        supervision_sweep(now=at(2026, 10, 12, 17))
        self.assertEqual(self.alerts("case_deemed_accepted"), [])  # 5 working days not yet past

        cases_deem_accepted(now=at(2026, 10, 13))
        supervision_sweep(now=at(2026, 10, 13, 9))
        supervision_sweep(now=at(2026, 10, 14, 9))  # stays one alert, and open: it happened

        [alert] = self.alerts("case_deemed_accepted")
        self.assertEqual((alert.subject_id, alert.staff_id, alert.state, alert.level),
                         (case.pk, self.p.staff_a.pk, AlertState.OPEN, Level.RED))

    def test_a_refusal_fires_only_when_its_record_has_no_reason(self):
        written = self.receive(at(2026, 10, 12), present=("申请表",))
        case_refuse(actor=self.p.staff_a, case=written, reason="申请事项不属于本机关职权范围", now=at(2026, 10, 12, 11))
        bare = self.receive(at(2026, 10, 12), present=("申请表",))
        # A record without its reason, as another system might have written it.
        CaseTransition.objects.create(case=bare, center=bare.center, action="refuse", from_status=bare.status,
                                      to_status="refused", actor=self.p.staff_a, at=at(2026, 10, 12, 12),
                                      reason="  ")

        supervision_sweep(now=at(2026, 10, 12, 13))

        [alert] = self.alerts("case_refused_without_reason")
        self.assertEqual((alert.subject_id, alert.subject_label, alert.staff_id, alert.occurrence),
                         (bare.pk, bare.number, self.p.staff_a.pk, str(bare.transitions.get(action="refuse").pk)))
        self.assertEqual(alert.evidence["at"], "2026-10-12T12:00+08:00")  # as the Python-built rules write times
        self.assertEqual(evidence_items(alert.evidence), [("操作", "不予受理"), ("结果", "不予受理"),
                                                          ("理由", "（空）"), ("时间", "2026-10-12 12:00")])

    @skipUnless(connection.vendor == "postgresql", "the plan of PostgreSQL")
    def test_the_history_rules_can_read_the_breach_index_alone(self):
        """The rules' conditions and the index's are the same Q objects: PostgreSQL proves the
        index holds every row each rule asks for (with sequential scans off, it uses it)."""
        sweep = Sweep(now=at(2026, 10, 12, 13), since=None, calendar=get_calendar())
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            for code in ("case_refused_without_reason", "case_second_notice", "case_extension_repeated"):
                sql, params = BY_CODE[code].find(sweep, {}).query.sql_with_params()
                cursor.execute("EXPLAIN " + sql, params)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                with self.subTest(code=code):
                    self.assertIn("casetransition_breach_idx", plan)


@override_settings(SH_SMS_BACKEND="servicehall.lib.sms.LoggingBackend")
class WindowPauseTests(RuleTestCase):
    def setUp(self):
        super().setUp()
        LoggingBackend.sent.clear()
        self.p.manager_a.phone = "13900000001"
        self.p.manager_a.save(update_fields=["phone"])

    def pause(self, when):
        window_pause(actor=self.p.staff_a, window=self.p.window_a, paused=True, now=when)

    def test_fifteen_minutes_of_opening_hours_make_an_empty_post_and_lunch_does_not_count(self):
        self.pause(when(10, 12, 11, 50))  # 10 minutes before the midday break (12:00–13:30)
        supervision_sweep(now=when(10, 12, 13, 34))  # 10 + 4 open minutes
        self.assertEqual(self.alerts("window_paused_long"), [])

        supervision_sweep(now=when(10, 12, 13, 35))  # 10 + 5 = 15

        [alert] = self.alerts("window_paused_long")
        self.assertEqual((alert.subject, alert.subject_id, alert.staff_id, alert.evidence["open_minutes_paused"]),
                         ("window", self.p.window_a.pk, self.p.staff_a.pk, 15))
        self.assertEqual([phone for phone, _ in LoggingBackend.sent], ["13900000001"])  # the manager hears of it
        window_pause(actor=self.p.staff_a, window=self.p.window_a, paused=False, now=when(10, 12, 13, 40))
        supervision_sweep(now=when(10, 12, 13, 41))
        self.assertEqual(Alert.objects.get(pk=alert.pk).outcome, AlertOutcome.RESOLVED)

    def test_a_pause_on_a_holiday_is_no_empty_post(self):
        self.pause(when(10, 5, 9))
        supervision_sweep(now=when(10, 5, 11))
        self.assertEqual(self.alerts("window_paused_long"), [])


class MoreCaseRuleTests(RuleTestCase):
    def test_a_clerks_refused_second_notice_and_the_bureaus_allowed_one_each_raise_an_alert(self):
        case = self.receive(at(2026, 9, 28), present=("申请表",))
        supervision_sweep(now=at(2026, 9, 28, 11))
        self.assertEqual(self.alerts("case_second_notice"), [])  # the first notice is the rule itself
        # Back to received, the income proof still missing: a second notice is what is left.
        case = case_supplement(actor=self.p.staff_a, case=case,
                               materials=[materials(self.items[self.p.center_a.pk])["申请表"]], now=at(2026, 9, 28, 11))
        with self.assertRaises(Forbidden):
            case_notify_again(actor=self.p.staff_a, case=case, reason="漏告知", now=at(2026, 9, 28, 12))
        case_notify_again(actor=self.p.bureau, case=case, reason="首次告知遗漏签章要求，经批准补充告知",
                          now=at(2026, 9, 29))
        supervision_sweep(now=at(2026, 9, 29, 11))
        alerts = self.alerts("case_second_notice")
        self.assertEqual([(a.subject_id, a.staff_id, a.evidence["action"]) for a in alerts],
                         [(case.pk, self.p.staff_a.pk, "notify_refused"), (case.pk, self.p.bureau.pk, "notify")])

    def test_a_day_made_a_holiday_in_the_day_is_counted_by_the_next_sweep(self):
        case = self.receive(at(2026, 9, 1))
        case_suspend(actor=self.p.staff_a, case=case, reason="组织听证", now=at(2026, 9, 2))
        day = get_calendar().add_workdays(get_calendar().add_workdays(date(2026, 9, 2), 30).due, 1).due
        supervision_sweep(now=at(day.year, day.month, day.day, 9))
        [alert] = self.alerts("case_suspended_long")
        self.assertEqual(alert.evidence["suspended_workdays"], 31)
        # At 10:00 the bureau makes a working day of the suspension a holiday: 30 working days,
        # within the limit, though the case did not change.
        calendar_day_set(actor=self.p.city_bureau, day=date(2026, 9, 15), is_workday=False, name="调休",
                         now=at(day.year, day.month, day.day, 10))
        supervision_sweep(now=at(day.year, day.month, day.day, 10).replace(minute=1))
        self.assertEqual(Alert.objects.get(pk=alert.pk).outcome, AlertOutcome.RESOLVED)

    def test_a_suspension_over_thirty_working_days_is_long(self):
        case = self.receive(at(2026, 9, 1))
        case_suspend(actor=self.p.staff_a, case=case, reason="组织听证", now=at(2026, 9, 2))
        # 30 working days after 09-02, across both September holidays and the National Day one.
        day = get_calendar().add_workdays(date(2026, 9, 2), 30).due
        supervision_sweep(now=at(day.year, day.month, day.day, 17))
        self.assertEqual(self.alerts("case_suspended_long"), [])
        following = get_calendar().add_workdays(day, 1).due
        supervision_sweep(now=at(following.year, following.month, following.day, 9))
        [alert] = self.alerts("case_suspended_long")
        self.assertEqual((alert.occurrence, alert.evidence["suspended_workdays"]), ("2026-09-02", 31))
        # The bureau allows 40 working days from 10:00: the 10:01 sweep closes the alert, though
        # the case did not change.
        rule_update(actor=self.p.city_bureau, rule=SupervisionRule.objects.get(code="case_suspended_long"),
                    thresholds={"workdays": 40}, level=Level.YELLOW, enabled=True,
                    now=at(following.year, following.month, following.day, 10))
        supervision_sweep(now=at(following.year, following.month, following.day, 10).replace(minute=1))
        self.assertEqual(Alert.objects.get(pk=alert.pk).outcome, AlertOutcome.RESOLVED)


class TicketServiceTests(RuleTestCase):
    def test_a_service_over_sixty_minutes_from_the_call(self):
        category = TicketCategory.objects.create(center=self.p.center_a, prefix="B", name="法律援助")
        CategoryWindow.objects.create(category=category, window=self.p.window_a)
        ticket_issue(center=self.p.center_a, prefix="B", now=when(10, 12, 9))
        called = ticket_call_next(actor=self.p.staff_a, window=self.p.window_a, now=when(10, 12, 9, 5))
        supervision_sweep(now=when(10, 12, 10, 4))
        self.assertEqual(self.alerts("ticket_service_long"), [])
        supervision_sweep(now=when(10, 12, 10, 5))
        [alert] = self.alerts("ticket_service_long")
        self.assertEqual((alert.subject_id, alert.window_id, alert.staff_id, alert.evidence["service_minutes"]),
                         (called.pk, self.p.window_a.pk, self.p.staff_a.pk, 60))


class StepLimitTests(RuleTestCase):
    def test_a_review_step_over_its_four_days_fires_while_the_case_is_within_its_promise(self):
        case = self.receive(at(2026, 9, 30))  # 审查 4 working days: 10-08, 10-09, 10-10 (worked), 10-12
        supervision_sweep(now=at(2026, 10, 12, 17))
        self.assertEqual(self.alerts("case_step_over_limit"), [])

        supervision_sweep(now=at(2026, 10, 13, 9))

        [alert] = self.alerts("case_step_over_limit")
        self.assertEqual((alert.subject_id, alert.occurrence, alert.evidence["used_workdays"],
                          alert.evidence["limit_workdays"], alert.evidence["done_on"]), (case.pk, "审查", 5, 4, None))
        self.assertEqual(self.alerts("case_overdue"), [])  # due 10-13: the total is still kept
        case = case_review(actor=self.p.staff_a, case=case, now=at(2026, 10, 13, 10))
        case_approve(actor=self.p.manager_a, case=case, now=at(2026, 10, 13, 11))
        supervision_sweep(now=at(2026, 10, 13, 12))
        [alert] = self.alerts("case_step_over_limit")  # done late is still late; the decision took no day
        self.assertEqual(alert.state, AlertState.OPEN)

    def test_a_suspension_within_the_step_is_not_counted(self):
        case = self.receive(at(2026, 9, 30))
        case = case_suspend(actor=self.p.staff_a, case=case, reason="组织听证", now=at(2026, 10, 8))
        case_resume(actor=self.p.staff_a, case=case, now=at(2026, 10, 10))  # 2 working days suspended
        supervision_sweep(now=at(2026, 10, 14, 9))  # 6 working days since acceptance, 2 of them suspended
        self.assertEqual(self.alerts("case_step_over_limit"), [])


class FeeRuleTests(RuleTestCase):
    def setUp(self):
        super().setUp()
        self.notary = publish(self.p, fee_data())
        self.copy_fee = self.notary.current_version.fee_rows.get(name="副本费")  # 每份10元; 公证费 fixed 80元

    def received(self, when):
        """A case whose identity proof came late: received again, to be accepted with its fees."""
        case = case_submit(actor=self.p.staff_a, center=self.p.center_a, items=[self.notary.code], applicant=PERSON,
                           materials=[], now=when)
        return case_supplement(actor=self.p.staff_a, case=case, materials=[materials(self.notary)["身份证明"]],
                               now=when)

    def test_a_refused_charge_at_acceptance_fires_and_the_amount_the_standard_allows_does_not(self):
        case = self.received(at(2026, 11, 2))
        with self.assertRaises(Invalid):
            case_accept(actor=self.p.staff_a, case=case, fees={self.copy_fee.pk: "15"}, now=at(2026, 11, 2, 10))
        lawful = self.received(at(2026, 11, 2))
        case_accept(actor=self.p.staff_a, case=lawful, fees={self.copy_fee.pk: "20"}, now=at(2026, 11, 2, 10))
        with self.assertRaises(Invalid):  # a missing amount is a mistake, not a charge: no alert
            case_accept(actor=self.p.staff_a, case=self.received(at(2026, 11, 2)), fees={}, now=at(2026, 11, 2, 10))

        supervision_sweep(now=at(2026, 11, 2, 11))

        [alert] = self.alerts("case_fee_outside_catalogue")
        self.assertEqual((alert.subject_id, alert.staff_id, alert.level, alert.evidence["action"]),
                         (case.pk, self.p.staff_a.pk, Level.RED, "charge_refused"))
        self.assertIn("不能收15元", alert.evidence["reason"])
        refused = CaseTransition.objects.get(action="charge_refused")
        self.assertEqual(refused.data["fees"], {str(self.copy_fee.pk): "15"})

    def test_a_bill_line_off_the_catalogue_fires_and_the_catalogues_own_amounts_do_not(self):
        case = case_submit(actor=self.p.staff_a, center=self.p.center_a, items=[self.notary.code], applicant=PERSON,
                           materials=list(materials(self.notary).values()), fees={self.copy_fee.pk: "10"},
                           now=at(2026, 11, 2))
        other = case_submit(actor=self.p.staff_a, center=self.p.center_a, items=[self.notary.code],
                            applicant=PERSON, materials=list(materials(self.notary).values()),
                            fees={self.copy_fee.pk: "0"}, now=at(2026, 11, 2))
        supervision_sweep(now=at(2026, 11, 2, 11))
        self.assertEqual(self.alerts("case_fee_outside_catalogue"), [])
        # Written past the services (an import, the database): 80.01 for the fixed 80, 25 by 每份10元.
        BillLine.objects.filter(bill__case=case, name="公证费").update(amount="80.01")
        BillLine.objects.filter(bill__case=other, name="副本费").update(amount="25")
        CaseTransition.objects.create(case=case, center_id=case.center_id, action="pay", from_status=case.status,
                                      to_status=case.status, actor=self.p.staff_a, at=at(2026, 11, 2, 12))

        supervision_sweep(now=at(2026, 11, 2, 13))  # the changed case only, then everything next morning
        supervision_sweep(now=at(2026, 11, 3, 9))

        found = {(a.subject_id, a.evidence["fee"], a.evidence["amount"], a.evidence["problem"])
                 for a in self.alerts("case_fee_outside_catalogue")}
        self.assertEqual(found, {(case.pk, "公证费", "80.01", "金额与目录规定不符"),
                                 (other.pk, "副本费", "25.00", "金额超出收费标准")})


class ExtensionRuleTests(RuleTestCase):
    def test_one_extension_is_lawful_and_a_second_attempt_fires_on_the_head_who_tried(self):
        case = self.receive(at(2026, 11, 2))
        case = case_extend(actor=self.p.manager_a, case=case, days=10, reason="需现场核查", now=at(2026, 11, 3))
        supervision_sweep(now=at(2026, 11, 3, 11))
        self.assertEqual(self.alerts("case_extension_repeated"), [])

        with self.assertRaises(Conflict):
            case_extend(actor=self.p.manager_a, case=case, days=1, reason="再次", now=at(2026, 11, 4))
        supervision_sweep(now=at(2026, 11, 4, 11))

        [alert] = self.alerts("case_extension_repeated")
        self.assertEqual((alert.subject_id, alert.staff_id, alert.evidence["action"], alert.evidence["reason"]),
                         (case.pk, self.p.manager_a.pk, "extend_refused", "再次"))


class PassedOverTests(RuleTestCase):
    def setUp(self):
        super().setUp()
        category = TicketCategory.objects.create(center=self.p.center_a, prefix="B", name="法律援助")
        CategoryWindow.objects.create(category=category, window=self.p.window_a)

    def choose(self, ticket, minute):
        called = ticket_call(actor=self.p.staff_a, window=self.p.window_a, ticket=ticket, now=when(10, 12, 10, minute))
        ticket_act(actor=self.p.staff_a, ticket=called, action="finish", now=when(10, 12, 10, minute, 30))

    def test_more_than_three_chosen_calls_of_later_tickets_fire_and_green_channel_ones_do_not_count(self):
        first = ticket_issue(center=self.p.center_a, prefix="B", now=when(10, 12, 9))
        later = [ticket_issue(center=self.p.center_a, prefix="B", now=when(10, 12, 9, n)) for n in range(1, 5)]
        green = ticket_issue(center=self.p.center_a, prefix="B", green_channel=True, now=when(10, 12, 9, 5))
        for minute, ticket in enumerate([*later[:3], green]):
            self.choose(ticket, minute)
        supervision_sweep(now=when(10, 12, 10, 5))
        self.assertEqual(self.alerts("ticket_passed_over"), [])  # three, and the green channel goes first

        self.choose(later[3], 6)
        supervision_sweep(now=when(10, 12, 10, 7))

        [alert] = self.alerts("ticket_passed_over")
        self.assertEqual((alert.subject_id, alert.window_id, alert.staff_id, alert.evidence["passed_over"]),
                         (first.pk, self.p.window_a.pk, self.p.staff_a.pk, 4))
        self.assertEqual(alert.evidence["at"], "2026-10-12T10:06+08:00")
        ticket_call_next(actor=self.p.staff_a, window=self.p.window_a, now=when(10, 12, 10, 8))
        supervision_sweep(now=when(10, 12, 10, 9))
        [alert] = self.alerts("ticket_passed_over")
        self.assertEqual(alert.state, AlertState.OPEN)  # what happened stays for the bureau to close


class EmptyInstallationTests(TestCase):
    def test_a_sweep_before_any_centre_exists_raises_nothing_and_fails_nothing(self):
        self.assertEqual(supervision_sweep(now=at(2026, 10, 12, 9)), 0)
        self.assertEqual(supervision_sweep(now=at(2026, 10, 12, 9).replace(minute=1)), 0)
        self.assertEqual(supervision_sweep(now=at(2026, 10, 13, 9)), 0)
        self.assertFalse(Alert.objects.exists())


@override_settings(SH_SMS_BACKEND="servicehall.lib.sms.LoggingBackend")
class UnstaffedWindowTests(RuleTestCase):
    """Monday 2026-10-12, shifts 08:30–12:00 and 13:30–17:00; 李娜 holds window 1 (A), 王强 is B."""

    def setUp(self):
        super().setUp()
        LoggingBackend.sent.clear()
        self.p.manager_a.phone = "13900000001"
        self.p.manager_a.save(update_fields=["phone"])
        for name, starts, ends in (("上午", time(8, 30), time(12)), ("下午", time(13, 30), time(17))):
            shift_save(actor=self.p.manager_a, center=self.p.center_a, name=name, starts_at=starts, ends_at=ends,
                       now=at(2026, 10, 9, 8))
        self.device, _ = device_register(actor=self.p.manager_a, center=self.p.center_a, serial="CQZ1", name="大厅",
                                         now=at(2026, 10, 9, 8))
        self.wang = Staff.objects.get(center=self.p.center_a, employee_no="002")

    def punch(self, pin, moment):
        punches_receive(device=self.device, lines=[Line(pin=pin, at=f"{moment:%Y-%m-%d %H:%M:%S}")], now=moment)

    def test_a_holder_not_in_fifteen_minutes_after_the_start_is_an_empty_post_and_the_manager_hears_of_it(self):
        self.punch("001", when(10, 12, 8, 20))  # 李娜 in on time in the morning, out at noon, not back
        self.punch("001", when(10, 12, 12, 1))  # the morning's check-out, no arrival for the afternoon
        supervision_sweep(now=when(10, 12, 8, 45))
        self.assertEqual(self.alerts("window_unstaffed"), [])
        supervision_sweep(now=when(10, 12, 13, 44))
        self.assertEqual(self.alerts("window_unstaffed"), [])
        supervision_sweep(now=when(10, 12, 13, 45))

        [alert] = self.alerts("window_unstaffed")
        self.assertEqual((alert.subject, alert.subject_id, alert.occurrence, alert.staff_id, alert.level),
                         ("window", self.p.window_a.pk, "2026-10-12:pm", self.p.staff_a.pk, Level.RED))
        self.assertEqual(alert.evidence, {"expected": "李娜（A岗）", "shift_starts": "13:30", "minutes_empty": 15,
                                          "limit_minutes": 15})
        text = "【政务服务】龙港区行政服务中心公共法律服务分中心1号窗口 综合受理：窗口空岗（人员未到岗），请立即处理。"
        self.assertEqual(LoggingBackend.sent[-1], ("13900000001", text))
        # She comes back at 13:50: the empty quarter of an hour stays on record, once.
        self.punch("001", when(10, 12, 13, 50))
        supervision_sweep(now=when(10, 12, 13, 51))
        self.assertEqual([a.state for a in self.alerts("window_unstaffed")], [AlertState.OPEN])
        self.assertEqual(len(LoggingBackend.sent), 1)

    def test_an_alert_a_concurrent_sweep_raised_first_sends_no_second_sms(self):
        self.punch("002", when(10, 12, 8, 20))  # B in; A (the one expected) is not
        real = Alert.objects.bulk_create

        def other_sweep_first(alerts, **options):
            # Another sweep, a moment earlier, wrote the same alert between this one's read and write.
            twin = [Alert(**{f.attname: getattr(a, f.attname) for f in Alert._meta.concrete_fields
                             if f.attname != "id"})
                    for a in alerts]
            for alert in twin:
                alert.raised_at = when(10, 12, 8, 49)
            real(twin)
            return real(alerts, **options)

        with mock.patch.object(Alert.objects, "bulk_create", side_effect=other_sweep_first):
            supervision_sweep(now=when(10, 12, 8, 50))
        [alert] = self.alerts("window_unstaffed")
        self.assertEqual(alert.raised_at, when(10, 12, 8, 49))
        self.assertEqual(list(LoggingBackend.sent), [])  # the other sweep's own SMS is its business

    def test_b_is_expected_while_a_is_on_leave_and_nobody_on_a_holiday(self):
        leave = leave_apply(actor=self.p.staff_a, staff=self.p.person_a, kind="personal", starts_on=date(2026, 10, 12),
                            starts_half="am", ends_on=date(2026, 10, 12), ends_half="am", reason="就医",
                            now=at(2026, 10, 9, 9))
        leave_approve(actor=self.p.manager_a, leave=leave, now=at(2026, 10, 9, 10))
        self.punch("002", when(10, 12, 8, 25))  # B in: the window is staffed though A is away
        supervision_sweep(now=when(10, 12, 9))
        self.assertEqual(self.alerts("window_unstaffed"), [])
        supervision_sweep(now=when(10, 5, 9))  # National Day: no duty
        self.assertEqual(self.alerts("window_unstaffed"), [])
        # B is expected in the afternoon? No: A is back, and A has not punched.
        supervision_sweep(now=when(10, 12, 14))
        [alert] = self.alerts("window_unstaffed")
        self.assertEqual(alert.evidence["expected"], "李娜（A岗）")

    def test_when_b_is_expected_and_absent_the_alert_names_b(self):
        leave = leave_apply(actor=self.p.staff_a, staff=self.p.person_a, kind="trip", starts_on=date(2026, 10, 12),
                            starts_half="am", ends_on=date(2026, 10, 12), ends_half="pm", reason="外出培训",
                            now=at(2026, 10, 9, 9))
        leave_approve(actor=self.p.manager_a, leave=leave, now=at(2026, 10, 9, 10))
        self.punch("001", when(10, 12, 8, 20))  # A's punch does not staff the window she is away from
        supervision_sweep(now=when(10, 12, 8, 50))
        [alert] = self.alerts("window_unstaffed")
        self.assertEqual((alert.evidence["expected"], alert.staff_id), ("王强（B岗）", None))
