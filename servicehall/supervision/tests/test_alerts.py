"""An alert's life: the centre explains, the bureau closes; each step compared-and-set, with
its history row and audit row, and only by whom it belongs to."""

from servicehall.accounts.models import Role
from servicehall.audit.models import AuditEvent
from servicehall.lib.errors import Conflict, Forbidden, Invalid, NotFound
from servicehall.supervision.models import Alert, AlertOutcome, AlertState, Level, SupervisionRule
from servicehall.supervision.services import alert_close, alert_explain, rule_update, supervision_sweep

from .test_rules import RuleTestCase, at


class AlertLifeTests(RuleTestCase):
    def setUp(self):
        super().setUp()
        self.receive(at(2026, 9, 30))
        self.receive(at(2026, 9, 30), center=self.p.center_b)
        supervision_sweep(now=at(2026, 10, 14, 9))
        self.alert_a = Alert.objects.get(rule__code="case_overdue", center=self.p.center_a)
        self.alert_b = Alert.objects.get(rule__code="case_overdue", center=self.p.center_b)

    def test_the_centre_explains_and_the_bureau_upholds(self):
        explained = alert_explain(actor=self.p.manager_a, alert=self.alert_a,
                                  explanation=" 申请人补充鉴定意见，已延误 ", now=at(2026, 10, 14, 10))
        self.assertEqual((explained.state, explained.explanation), (AlertState.EXPLAINED, "申请人补充鉴定意见，已延误"))
        with self.assertRaises(Conflict):
            alert_explain(actor=self.p.manager_a, alert=self.alert_a, explanation="再次说明", now=at(2026, 10, 14, 11))

        closed = alert_close(actor=self.p.bureau, alert=self.alert_a, outcome=AlertOutcome.UPHELD,
                             note="超期属实，计入考核", now=at(2026, 10, 15, 9))

        self.assertEqual((closed.state, closed.outcome, closed.closing_note),
                         (AlertState.CLOSED, AlertOutcome.UPHELD, "超期属实，计入考核"))
        self.assertEqual(list(closed.transitions.values_list("from_state", "to_state", "actor__username")),
                         [("open", "explained", "manager_a"), ("explained", "closed", "bureau")])
        self.assertEqual(list(AuditEvent.objects.filter(object_type="supervision.alert").order_by("id")
                              .values_list("action", flat=True)), ["alert.explain", "alert.close"])
        with self.assertRaises(Conflict):
            alert_close(actor=self.p.bureau, alert=self.alert_a, outcome=AlertOutcome.ACCEPTED)

    def test_only_the_centres_manager_explains_and_only_the_bureau_closes(self):
        for actor in (self.p.staff_a, self.p.leader):
            with self.subTest(actor=actor.role), self.assertRaises(Forbidden):
                alert_explain(actor=actor, alert=self.alert_a, explanation="说明")
        with self.assertRaises(NotFound):  # another centre's alert does not exist for manager_a
            alert_explain(actor=self.p.manager_a, alert=self.alert_b, explanation="说明")
        for actor in (self.p.manager_a, self.p.other_bureau):
            with self.subTest(actor=actor.username), self.assertRaises((Forbidden, NotFound)):
                alert_close(actor=actor, alert=self.alert_a, outcome=AlertOutcome.ACCEPTED)
        self.assertEqual(Alert.objects.get(pk=self.alert_a.pk).state, AlertState.OPEN)

    def test_bad_input_names_its_field_and_changes_nothing(self):
        for text, message in (("  ", "情况说明：请填写"), ("长" * 1001, "情况说明：不能超过1000字")):
            with self.subTest(message=message), self.assertRaisesMessage(Invalid, message):
                alert_explain(actor=self.p.manager_a, alert=self.alert_a, explanation=text)
        with self.assertRaisesMessage(Invalid, "处理结果"):
            alert_close(actor=self.p.bureau, alert=self.alert_a, outcome=AlertOutcome.RESOLVED)
        self.assertEqual(Alert.objects.get(pk=self.alert_a.pk).state, AlertState.OPEN)
        self.assertFalse(self.alert_a.transitions.exists())


class RuleEditTests(RuleTestCase):
    def test_only_a_bureau_over_every_centre_edits_a_rule_and_each_edit_is_a_version(self):
        supervision_sweep(now=at(2026, 10, 12, 9))
        rule = SupervisionRule.objects.get(code="ticket_wait_long")
        for actor in (self.p.manager_a, self.p.bureau, self.p.leader):
            with self.subTest(role=actor.role), self.assertRaises(Forbidden):
                rule_update(actor=actor, rule=rule, thresholds={"minutes": 20}, level=Level.YELLOW, enabled=True)
        for value, message in (("x", "分钟数：应为整数"), (0, "分钟数：应在1至10000之间")):
            with self.subTest(value=value), self.assertRaisesMessage(Invalid, message):
                rule_update(actor=self.p.city_bureau, rule=rule, thresholds={"minutes": value}, level=Level.YELLOW,
                            enabled=True)
        self.assertEqual(self.p.city_bureau.role, Role.CITY_BUREAU)
        rule = rule_update(actor=self.p.city_bureau, rule=rule, thresholds={"minutes": 20}, level=Level.RED,
                           enabled=False, now=at(2026, 10, 12, 10))
        self.assertEqual((rule.version, rule.thresholds, rule.level, rule.enabled), (2, {"minutes": 20}, "red", False))
        event = AuditEvent.objects.get(action="supervision.rule_update")
        self.assertEqual((event.before["thresholds"], event.after["thresholds"]), ({"minutes": 30}, {"minutes": 20}))
