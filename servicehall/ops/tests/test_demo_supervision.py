"""The demo's supervision: alerts of at least six rules, two open orders (one overdue and
escalated), cards for some staff; every alert points at a record that really breaks its rule."""

from io import StringIO

from django.core.management import call_command
from django.test import TestCase, override_settings
from django.utils import timezone

from servicehall.cases.models import Case
from servicehall.ops.demo.supervision import load_demo_supervision
from servicehall.org.models import District
from servicehall.reviews.models import Rectification
from servicehall.supervision.models import Alert, Card, OrderColor, OrderState, SupervisionOrder
from servicehall.supervision.services import supervision_sweep
from servicehall.testing import FAST_HASHERS


@override_settings(PASSWORD_HASHERS=FAST_HASHERS)
class DemoSupervisionTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("load_demo", "--force-demo", stdout=StringIO())

    def test_alerts_of_six_rules_each_on_a_record_of_its_centre(self):
        rules = set(Alert.objects.values_list("rule__code", flat=True))
        self.assertGreaterEqual(len(rules), 6, rules)
        for alert in Alert.objects.filter(subject="case"):
            case = Case.objects.get(pk=alert.subject_id)
            self.assertEqual((case.number, case.center_id), (alert.subject_label, alert.center_id))
        for alert in Alert.objects.filter(subject="rectification"):
            self.assertEqual(Rectification.objects.get(pk=alert.subject_id).center_id, alert.center_id)
        records = Alert.objects.filter(subject__in=["case", "rectification", "inquiry"])
        before = set(records.values_list("pk", "state"))
        supervision_sweep()  # the demo's alerts are what the rules find now: a sweep changes none of them
        self.assertEqual(set(records.values_list("pk", "state")), before)

    def test_two_open_orders_one_overdue_and_escalated_and_cards_for_staff(self):
        orders = list(SupervisionOrder.objects.filter(state=OrderState.OPEN).order_by("issued_at"))
        self.assertEqual(len(orders), 2)
        late, recent = orders
        self.assertEqual(late.color, OrderColor.ORANGE)
        self.assertLess(late.due_date, timezone.localdate())
        self.assertEqual(list(late.transitions.values_list("action", flat=True)), ["issue", "escalate"])
        self.assertEqual(recent.color, OrderColor.BLUE)
        self.assertTrue(all(alert.center_id == order.center_id for order in orders for alert in order.alerts.all()))
        cards = Card.objects.all()
        self.assertGreaterEqual(len({card.staff_id for card in cards}), 2)
        for card in cards:
            self.assertTrue(card.staff.memberships.filter(center=card.center).exists())
        self.assertEqual(load_demo_supervision(District.objects.get()), 0)  # loading again adds nothing
