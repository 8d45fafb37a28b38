"""The catalogue pages of managers and the bureau: propose, fix, review, compare, oversee."""

from servicehall.catalog.models import ChangeStatus, ItemChange, ServiceItem
from servicehall.catalog.services import item_change_approve, item_propose
from servicehall.catalog.tests.test_checks import good
from servicehall.testing import PersonaTestCase


def form_post(**item):
    """A POST for the item form: main fields, one step set, one material, one fee."""
    data = {"item-name": "道路货物运输经营许可", "item-item_type": "20",
            "item-legal_basis": "《道路运输条例》第二十四条", "item-level": "county", "item-case_type": "promised",
            "item-approver": "head",
            "item-statutory_days": "20", "item-promised_days": "5", "item-visits": "1",
            "item-visits_reason": "核验原件", "item-online_depth": "3", "item-windows": ["1"], "center": "21140301",
            "action": "submit"}
    for name, rows in (("steps", [{"name": "受理", "days": "0"}, {"name": "办结", "days": "5"}]),
                       ("materials", [{"name": "申请表", "source": "applicant", "originals": "1", "copies": "0",
                                       "required": "on", "form": "paper"}]),
                       ("fees", [{"name": "工本费", "amount": "10", "legal_basis": ""}]),
                       ("faqs", [])):
        data[f"{name}-TOTAL_FORMS"] = str(max(len(rows), 1))
        data[f"{name}-INITIAL_FORMS"] = "0"
        for i, row in enumerate(rows):
            for key, value in row.items():
                data[f"{name}-{i}-{key}"] = value
        if not rows:
            data[f"{name}-0-question"] = ""
    data.update({f"item-{k}": v for k, v in item.items()})
    return data


class ProposalPageTests(PersonaTestCase):
    def test_it_puts_the_quality_problem_on_the_fee_row_and_keeps_the_input(self):
        client = self.login(self.p.manager_a)
        response = client.post("/catalog/new/?center=21140301", form_post())
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'data-field="fees.1.legal_basis"')
        self.assertContains(response, "收费项目“工本费”须填写收费依据")
        self.assertContains(response, 'value="道路货物运输经营许可"')
        self.assertFalse(ServiceItem.objects.exists())
        fixed = form_post()
        fixed["fees-0-legal_basis"] = "辽价发〔2019〕1号"
        response = client.post("/catalog/new/?center=21140301", fixed)
        change = ItemChange.objects.get()
        self.assertRedirects(response, f"/catalog/changes/{change.pk}/")
        self.assertEqual(change.status, ChangeStatus.SUBMITTED)
        self.assertEqual(change.version.content.fees[0].legal_basis, "辽价发〔2019〕1号")

    def test_it_lets_the_bureau_approve_and_not_the_manager(self):
        change = item_propose(actor=self.p.manager_a, center=self.p.center_a, data=good(windows=[1]))
        url = f"/catalog/changes/{change.pk}/decide/"
        refused = self.login(self.p.manager_a).post(url, {"decision": "approve"}, follow=True)
        self.assertContains(refused, "事项变更由营商局审核")  # said on the change's page; nothing changed
        self.assertNotContains(refused, 'value="approve"')  # and no button offers it
        change.refresh_from_db()
        self.assertEqual(change.status, ChangeStatus.SUBMITTED)
        self.assertContains(self.login(self.p.manager_a).get(f"/catalog/changes/{change.pk}/"), "撤销申请")
        page = self.login(self.p.bureau).get(f"/catalog/changes/{change.pk}/")
        self.assertContains(page, "批准")
        self.assertContains(page, "食品经营许可")
        self.assertNotContains(page, "撤销申请")  # the bureau returns a centre's proposal, never withdraws it
        self.login(self.p.bureau).post(url, {"decision": "approve"})
        change.refresh_from_db()
        self.assertEqual(change.status, ChangeStatus.APPROVED)

    def test_it_requires_a_reason_to_return(self):
        change = item_propose(actor=self.p.manager_a, center=self.p.center_a, data=good())
        response = self.login(self.p.bureau).post(f"/catalog/changes/{change.pk}/decide/",
                                                  {"decision": "return", "reason": ""}, follow=True)
        self.assertContains(response, "退回须写明理由")
        change.refresh_from_db()
        self.assertEqual(change.status, ChangeStatus.SUBMITTED)

    def test_it_hides_another_centres_items_and_proposals(self):
        change = item_propose(actor=self.p.manager_a, center=self.p.center_a, data=good(windows=[1]))
        item_change_approve(actor=self.p.bureau, change=change)
        client = self.login(self.p.manager_b)
        for url in (f"/catalog/changes/{change.pk}/", f"/catalog/items/{change.item.code}/",
                    f"/catalog/items/{change.item.code}/change/", "/catalog/new/?center=21140301"):
            with self.subTest(url=url):
                self.assertEqual(client.get(url).status_code, 404)
        self.assertNotContains(client.get("/catalog/"), "食品经营许可")

    def test_it_compares_versions_field_by_field(self):
        change = item_propose(actor=self.p.manager_a, center=self.p.center_a, data=good(windows=[1]))
        item_change_approve(actor=self.p.bureau, change=change)
        item = ServiceItem.objects.get()
        second = item_propose(actor=self.p.manager_a, center=self.p.center_a, item=item,
                              data=good(windows=[1], visits=0, visits_reason=""))
        item_change_approve(actor=self.p.bureau, change=second)
        response = self.login(self.p.manager_a).get(f"/catalog/items/{item.code}/compare/?a=1&b=2")
        rows = {r["field"]: r for r in response.context["rows"]}
        self.assertTrue(rows["visits"]["changed"])
        self.assertEqual((rows["visits"]["old"], rows["visits"]["new"]), ("1", "0"))
        self.assertFalse(rows["name"]["changed"])


class OversightPageTests(PersonaTestCase):
    def test_it_lists_failing_items_by_centre(self):
        from servicehall.catalog.models import ItemVersion
        from servicehall.catalog.services import _new_version

        # Published before the checks knew better: a 即办件 promising one working day.
        data = good(name="巡游出租汽车经营许可", case_type="instant", promised_days=1)
        item = ServiceItem.objects.create(center=self.p.center_a, code="21140301-01-0009",
                                          created_at="2026-11-01T00:00Z", status="active", name=data.name)
        version = _new_version(actor=None, item=item, data=data, now=item.created_at)
        ItemVersion.objects.filter(pk=version.pk).update(approved_at=item.created_at)
        ServiceItem.objects.filter(pk=item.pk).update(current_version=version)
        response = self.login(self.p.bureau).get("/catalog/health/")
        self.assertContains(response, "巡游出租汽车经营许可")
        self.assertContains(response, "即办件应当场办结")
        self.assertNotContains(self.login(self.p.manager_b).get("/catalog/health/"), "巡游出租汽车经营许可")

    def test_it_shows_entry_and_speed_figures(self):
        change = item_propose(actor=self.p.manager_a, center=self.p.center_a, data=good(windows=[1]))
        item_change_approve(actor=self.p.bureau, change=change)
        client = self.login(self.p.bureau)
        client.post("/catalog/figures/", {"department": self.p.dept_a.pk, "item_total": "4"})
        response = client.get("/catalog/figures/")
        row = next(r for r in response.context["rows"] if r.center == self.p.center_a)
        self.assertEqual((row.items, row.held, row.entry_rate), (1, 4, 25.0))
        self.assertEqual((row.statutory_avg, row.promised_avg, row.speedup_rate), (20.0, 5.0, 75.0))
        self.assertContains(response, "echarts.min.js")
        self.assertEqual(self.login(self.p.manager_a).post("/catalog/figures/", {"department": self.p.dept_a.pk,
                                                                                  "item_total": "9"}).status_code, 403)


class OddInputTests(PersonaTestCase):
    def test_it_answers_404_not_500_for_a_malformed_department(self):
        self.assertEqual(self.login(self.p.bureau).post("/catalog/figures/", {"department": "abc", "item_total": "3"})
                         .status_code, 404)
