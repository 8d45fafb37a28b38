"""The supervision pages as their users use them: the bureau's console and lists, the order
made from ticked alerts, the manager's explanation and reply, a clerk's own cards."""

from django.urls import reverse

from servicehall.supervision.models import Alert, Card, SupervisionOrder
from servicehall.supervision.services import supervision_sweep

from .test_rules import RuleTestCase, at


class SupervisionPageTests(RuleTestCase):
    def setUp(self):
        super().setUp()
        self.receive(at(2026, 9, 14))
        self.receive(at(2026, 9, 15))
        self.receive(at(2026, 9, 15), center=self.p.center_b)
        supervision_sweep(now=at(2026, 9, 29, 9))

    def test_the_console_counts_open_alerts_per_centre_and_rule_and_links_each_number(self):
        page = self.login(self.p.bureau).get(reverse("supervision:console"))
        self.assertEqual(page.status_code, 200)
        rows = {row["center"].code: row for row in page.context["matrix"]}
        overdue = [r.code for r in page.context["rules"]].index("case_overdue")
        self.assertEqual((rows["21140301"]["cells"][overdue]["n"], rows["21140302"]["cells"][overdue]["n"]), (2, 1))
        self.assertEqual(rows["21140301"]["cells"][overdue]["light"], "red")
        self.assertContains(page, "center=21140301&amp;rule=case_overdue&amp;state=unclosed")
        self.assertEqual(page.context["tiles"]["red"], 3)
        self.assertEqual([len(level["counts"]) for level in page.context["chart"]["levels"]], [30, 30])
        manager = self.login(self.p.manager_a).get(reverse("supervision:console"))
        self.assertEqual([row["center"].code for row in manager.context["matrix"]], ["21140301"])

    def test_the_bureau_turns_ticked_alerts_into_an_order_and_the_manager_replies(self):
        ids = list(Alert.objects.filter(center=self.p.center_a, rule__code="case_overdue").values_list("pk", flat=True))
        client = self.login(self.p.bureau)
        empty = client.post(reverse("supervision:alerts"), {"requirement": "办结", "days": 3}, follow=True)
        self.assertContains(empty, "所涉预警：请至少勾选一条预警")
        made = client.post(reverse("supervision:alerts"), {"alert": ids, "requirement": "两件超期办件立即办结",
                                                           "days": 3, "color": "blue"}, follow=True)
        order = SupervisionOrder.objects.get()
        self.assertRedirects(made, reverse("supervision:order", args=[order.pk]))
        self.assertEqual(sorted(order.alerts.values_list("pk", flat=True)), sorted(ids))
        self.assertEqual(Card.objects.filter(order=order).count(), 1)  # both cases are staff_a's

        manager = self.login(self.p.manager_a)
        page = manager.get(reverse("supervision:order", args=[order.pk]))
        self.assertContains(page, "提交反馈")
        manager.post(reverse("supervision:order", args=[order.pk]), {"action": "reply", "reply": "已全部办结"})
        order.refresh_from_db()
        self.assertEqual((order.state, order.reply), ("replied", "已全部办结"))
        self.login(self.p.bureau).post(reverse("supervision:order", args=[order.pk]), {"action": "close"})
        order.refresh_from_db()
        self.assertEqual(order.state, "closed")

    def test_a_manager_explains_on_the_alerts_page_and_a_clerk_reads_their_own_cards(self):
        alert = Alert.objects.filter(center=self.p.center_a).first()
        manager = self.login(self.p.manager_a)
        self.assertContains(manager.get(reverse("supervision:alert", args=[alert.pk])), "提交说明")
        refused = manager.post(reverse("supervision:alert", args=[alert.pk]), {"action": "explain", "explanation": " "},
                               follow=True)
        self.assertContains(refused, "情况说明：请填写")
        manager.post(reverse("supervision:alert", args=[alert.pk]), {"action": "explain", "explanation": "鉴定延误"})
        self.assertEqual(Alert.objects.get(pk=alert.pk).state, "explained")
        other = Alert.objects.filter(center=self.p.center_b).first()
        self.assertEqual(manager.get(reverse("supervision:alert", args=[other.pk])).status_code, 404)

        Card.objects.create(staff=self.p.staff_a, center=self.p.center_a, kind="yellow", reason="两次超期",
                            issued_at=at(2026, 9, 30))
        mine = self.login(self.p.staff_a).get(reverse("supervision:my_cards"))
        self.assertContains(mine, "两次超期")
        self.assertContains(mine, "黄牌")
        named = Alert.objects.filter(staff=self.p.staff_a, subject="case").first()  # the clerk's overdue case
        self.assertContains(mine, f'<a href="{reverse("cases:detail", args=[named.subject_label])}">')
        self.assertEqual(self.login(self.p.staff_a).get(reverse("supervision:console")).status_code, 403)
