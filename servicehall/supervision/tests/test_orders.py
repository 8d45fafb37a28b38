"""Supervision orders (督办单): issued on alerts, replied, closed or sent back; escalated blue →
orange → red on missed deadlines, on working days only; the staff they name get a reminder,
then a yellow card, then a red one; the centre's heads hear of each by SMS."""

from django.test import override_settings

from servicehall.lib.errors import Conflict, Forbidden, Invalid, NotFound
from servicehall.lib.sms import LoggingBackend
from servicehall.supervision.models import Alert, Card, OrderColor, OrderState
from servicehall.supervision.services import (
    card_issue,
    order_close,
    order_issue,
    order_reply,
    orders_escalate,
    supervision_sweep,
)

from .test_rules import RuleTestCase, at


@override_settings(SH_SMS_BACKEND="servicehall.lib.sms.LoggingBackend")
class OrderTests(RuleTestCase):
    def setUp(self):
        super().setUp()
        LoggingBackend.sent.clear()
        self.p.manager_a.phone = "13900000001"
        self.p.manager_a.save(update_fields=["phone"])
        self.receive(at(2026, 9, 14))  # due 09-20 (a worked Sunday)
        self.receive(at(2026, 9, 15), center=self.p.center_b)
        supervision_sweep(now=at(2026, 9, 29, 9))
        self.alert = Alert.objects.get(rule__code="case_overdue", center=self.p.center_a)

    def issue(self, **changes):
        fields = {"actor": self.p.bureau, "center": self.p.center_a, "alerts": [self.alert],
                  "requirement": "逾期办件立即办结，查明原因并反馈", "days": 1, "now": at(2026, 9, 29, 10)}
        with self.captureOnCommitCallbacks(execute=True):
            return order_issue(**fields | changes)

    def test_an_order_due_before_the_holiday_escalates_on_the_first_working_day_after_it(self):
        order = self.issue()  # 1 working day from 09-29: due 09-30, the last before the National Day holiday
        self.assertEqual((order.color, order.due_date.isoformat()), (OrderColor.BLUE, "2026-09-30"))
        self.assertEqual(list(Card.objects.values_list("staff__username", "kind")), [("staff_a", "reminder")])
        self.assertEqual(LoggingBackend.sent[-1][0], "13900000001")

        for day in (1, 2, 5, 7):  # holidays: nothing moves
            self.assertEqual(orders_escalate(now=at(2026, 10, day, 9)), 0)
        with self.captureOnCommitCallbacks(execute=True):
            self.assertEqual(orders_escalate(now=at(2026, 10, 8, 9)), 1)
        self.assertEqual(orders_escalate(now=at(2026, 10, 8, 10)), 0)  # once

        order.refresh_from_db()
        self.assertEqual((order.color, order.due_date.isoformat()), (OrderColor.ORANGE, "2026-10-09"))
        self.assertIn("橙色督办", LoggingBackend.sent[-1][1])
        with self.captureOnCommitCallbacks(execute=True):
            orders_escalate(now=at(2026, 10, 10, 9))  # 10-10 is a worked Saturday
        order.refresh_from_db()
        self.assertEqual(order.color, OrderColor.RED)
        self.assertEqual(sorted(Card.objects.values_list("kind", flat=True)), ["red", "reminder", "yellow"])
        self.assertEqual(orders_escalate(now=at(2026, 10, 14, 9)), 0)  # red is the top
        self.assertEqual(list(order.transitions.values_list("action", "color")),
                         [("issue", "blue"), ("escalate", "orange"), ("escalate", "red")])

    def test_the_centre_replies_and_the_bureau_sends_it_back_then_closes_it(self):
        order = self.issue(days=3)
        with self.assertRaises(NotFound):
            order_reply(actor=self.p.manager_b, order=order, reply="已办结")
        with self.assertRaisesMessage(Invalid, "整改情况：请填写"):
            order_reply(actor=self.p.manager_a, order=order, reply=" ")
        order = order_reply(actor=self.p.manager_a, order=order, reply="已办结并约谈经办人", evidence="办结通知书",
                            now=at(2026, 9, 30))
        self.assertEqual((order.state, order.replied_by), (OrderState.REPLIED, self.p.manager_a))
        with self.assertRaisesMessage(Invalid, "办结意见：请填写"):
            order_close(actor=self.p.bureau, order=order, accepted=False)
        order = order_close(actor=self.p.bureau, order=order, accepted=False, note="未说明超期原因",
                            now=at(2026, 9, 30, 11))
        self.assertEqual(order.state, OrderState.OPEN)
        order = order_reply(actor=self.p.manager_a, order=order, reply="超期因鉴定延误，已改进流程",
                            now=at(2026, 9, 30, 14))
        order = order_close(actor=self.p.bureau, order=order, accepted=True, now=at(2026, 9, 30, 15))
        self.assertEqual(order.state, OrderState.CLOSED)
        with self.assertRaises(Conflict):
            order_reply(actor=self.p.manager_a, order=order, reply="再次反馈")
        self.assertEqual(orders_escalate(now=at(2026, 10, 14, 9)), 0)  # closed orders never escalate

    def test_only_the_bureau_issues_and_only_on_the_centres_own_alerts(self):
        with self.assertRaises(Forbidden):
            self.issue(actor=self.p.manager_a)
        other = Alert.objects.get(rule__code="case_overdue", center=self.p.center_b)
        with self.assertRaisesMessage(Invalid, "所涉预警：只能选择被督办中心的预警"):
            self.issue(alerts=[self.alert, other])
        for days in (0, 31, "x"):
            with self.subTest(days=days), self.assertRaises(Invalid):
                self.issue(days=days)
        self.assertFalse(Card.objects.exists())

    def test_the_bureau_gives_a_card_to_a_person_of_the_centre_only(self):
        card = card_issue(actor=self.p.bureau, staff=self.p.staff_a, center=self.p.center_a, kind="yellow",
                          reason="当月两次超期", alert=self.alert, now=at(2026, 9, 30))
        self.assertEqual((card.kind, card.alert), ("yellow", self.alert))
        with self.assertRaisesMessage(Invalid, "人员：不是该中心的人员"):
            card_issue(actor=self.p.bureau, staff=self.p.staff_b, center=self.p.center_a, kind="red", reason="x")
        with self.assertRaises(Forbidden):
            card_issue(actor=self.p.manager_a, staff=self.p.staff_a, center=self.p.center_a, kind="red", reason="x")
