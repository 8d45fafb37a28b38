"""Proposals by branch centres, decisions by the bureau; every version kept."""

from servicehall.audit.models import AuditEvent
from servicehall.catalog.data import ItemData
from servicehall.catalog.models import ChangeStatus, ItemChangeEvent, ItemStatus, ServiceItem
from servicehall.catalog.services import (
    item_change_approve,
    item_change_cancel,
    item_change_return,
    item_change_revise,
    item_propose,
    item_withdraw_propose,
)
from servicehall.catalog.tests.test_checks import good
from servicehall.lib.errors import Conflict, Forbidden, Invalid, NotFound
from servicehall.testing import PersonaTestCase

THREE_DAY_STEPS = [{"name": n, "days": d} for n, d in (("受理", 0), ("审核", 1), ("审批", 1), ("办结", 1), ("送达", 0))]


def public_item(p, **changes):
    change = item_propose(actor=p.manager_a, center=p.center_a, data=good(windows=[1], **changes))
    item_change_approve(actor=p.bureau, change=change)
    return ServiceItem.objects.get(pk=change.item_id)


class ProposalTests(PersonaTestCase):
    def test_it_publishes_a_new_item_only_when_the_bureau_approves(self):
        change = item_propose(actor=self.p.manager_a, center=self.p.center_a, data=good(windows=[1]))
        item = change.item
        self.assertEqual((change.status, item.status, item.current_version),
                         (ChangeStatus.SUBMITTED, ItemStatus.DRAFT, None))
        item_change_approve(actor=self.p.bureau, change=change)
        item.refresh_from_db()
        self.assertEqual((item.status, item.current_version, item.name),
                         (ItemStatus.ACTIVE, change.version, "食品经营许可"))
        self.assertEqual(item.initials, "spjyxk")
        self.assertTrue(item.code.startswith("21140301-01-"))
        statuses = list(ItemChangeEvent.objects.filter(change=change).values_list("to_status", flat=True))
        self.assertEqual(statuses, ["draft", "submitted", "approved"])
        self.assertTrue(AuditEvent.objects.filter(action="item_change.approve", actor_username="bureau").exists())

    def test_it_refuses_a_proposal_with_a_quality_problem_and_stores_nothing(self):
        with self.assertRaises(Invalid) as raised:
            item_propose(actor=self.p.manager_a, center=self.p.center_a,
                         data=good(fees=[{"name": "工本费", "amount": "10", "legal_basis": ""}]))
        self.assertEqual(raised.exception.field, "fees.1.legal_basis")
        self.assertFalse(ServiceItem.objects.exists())

    def test_it_refuses_windows_the_centre_does_not_have(self):
        with self.assertRaises(Invalid) as raised:
            item_propose(actor=self.p.manager_a, center=self.p.center_a, data=good(windows=[7]))
        self.assertEqual(raised.exception.field, "windows")

    def test_it_keeps_a_manager_to_their_own_centre_and_off_approval(self):
        with self.assertRaises(NotFound):
            item_propose(actor=self.p.manager_a, center=self.p.center_b, data=good())
        for user in (self.p.staff_a, self.p.leader):
            with self.assertRaises((Forbidden, NotFound)):
                item_propose(actor=user, center=self.p.center_a, data=good())
        change = item_propose(actor=self.p.manager_a, center=self.p.center_a, data=good())
        for user in (self.p.manager_a, self.p.staff_a, self.p.leader, self.p.auditadmin):
            with self.subTest(user=user.username), self.assertRaises((Forbidden, NotFound)):
                item_change_approve(actor=user, change=change)
        with self.assertRaises(NotFound):
            item_change_approve(actor=self.p.other_bureau, change=change)
        change.refresh_from_db()
        self.assertEqual(change.status, ChangeStatus.SUBMITTED)

    def test_it_keeps_every_version_and_points_at_the_approved_one(self):
        item = public_item(self.p)
        first = item.current_version
        change = item_propose(actor=self.p.manager_a, center=self.p.center_a, item=item,
                              data=good(windows=[1], promised_days=3, steps=THREE_DAY_STEPS), reason="压缩时限")
        item.refresh_from_db()
        self.assertEqual(item.current_version, first)  # not public before approval
        item_change_approve(actor=self.p.bureau, change=change)
        item.refresh_from_db()
        self.assertEqual(item.current_version.number, 2)
        self.assertEqual(item.current_version.promised_days, 3)
        self.assertEqual(list(item.versions.values_list("number", "promised_days")), [(1, 5), (2, 3)])
        self.assertEqual(change.base_version, first)

    def test_it_allows_one_open_change_per_item(self):
        item = public_item(self.p)
        item_propose(actor=self.p.manager_a, center=self.p.center_a, item=item, data=good(windows=[1], name="改一"))
        with self.assertRaises(Conflict):
            item_propose(actor=self.p.manager_a, center=self.p.center_a, item=item, data=good(windows=[1], name="改二"))

    def test_it_returns_with_a_reason_and_takes_a_revision(self):
        change = item_propose(actor=self.p.manager_a, center=self.p.center_a, data=good())
        with self.assertRaises(Invalid):
            item_change_return(actor=self.p.bureau, change=change, reason="  ")
        item_change_return(actor=self.p.bureau, change=change, reason="设定依据请写明条款")
        change.refresh_from_db()
        self.assertEqual((change.status, change.decision_reason), (ChangeStatus.RETURNED, "设定依据请写明条款"))
        with self.assertRaises(Conflict):
            item_change_approve(actor=self.p.bureau, change=change)
        change = item_change_revise(actor=self.p.manager_a, change=change,
                                    data=good(legal_basis="《食品安全法》第三十五条第一款"))
        self.assertEqual((change.status, change.version.number), (ChangeStatus.SUBMITTED, 2))
        item_change_approve(actor=self.p.bureau, change=change)
        self.assertEqual(ServiceItem.objects.get(pk=change.item_id).current_version.number, 2)

    def test_it_withdraws_an_item_on_approval(self):
        item = public_item(self.p)
        with self.assertRaises(Invalid):
            item_withdraw_propose(actor=self.p.manager_a, item=item, reason="")
        change = item_withdraw_propose(actor=self.p.manager_a, item=item, reason="职能已划转")
        item_change_approve(actor=self.p.bureau, change=change)
        item.refresh_from_db()
        self.assertEqual(item.status, ItemStatus.WITHDRAWN)
        self.assertEqual(item.current_version.number, 1)  # kept on record

    def test_it_refuses_a_second_decision(self):
        change = item_propose(actor=self.p.manager_a, center=self.p.center_a, data=good())
        item_change_approve(actor=self.p.bureau, change=change)
        for decide in (lambda: item_change_approve(actor=self.p.bureau, change=change),
                       lambda: item_change_return(actor=self.p.bureau, change=change, reason="晚了"),
                       lambda: item_change_cancel(actor=self.p.manager_a, change=change)):
            with self.assertRaises(Conflict):
                decide()

    def test_it_saves_a_draft_without_checks_and_checks_on_submit(self):
        change = item_propose(actor=self.p.manager_a, center=self.p.center_a, data=good(faqs=[]), submit=False)
        self.assertEqual(change.status, ChangeStatus.DRAFT)
        from servicehall.catalog.services import item_change_submit

        with self.assertRaises(Invalid) as raised:
            item_change_submit(actor=self.p.manager_a, change=change)
        self.assertEqual(raised.exception.field, "faqs")


class ItemDataTests(PersonaTestCase):
    def test_it_round_trips_through_the_version_json(self):
        item = public_item(self.p, fees=[{"name": "工本费", "amount": "10.50", "legal_basis": "依据"}])
        self.assertEqual(item.current_version.content,
                         good(windows=[1], fees=[{"name": "工本费", "amount": "10.50", "legal_basis": "依据"}]))
        self.assertEqual(str(item.current_version.fee_rows.get().amount), "10.50")
        self.assertEqual(ItemData.model_validate(item.current_version.data).fees[0].name, "工本费")
