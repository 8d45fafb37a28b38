"""Every quality rule trips on a bad item and stays quiet on a good one."""

from decimal import Decimal

from django.test import SimpleTestCase

from servicehall.catalog.checks import check_item
from servicehall.catalog.data import ItemData


def good(**changes) -> ItemData:
    """A licensing item that passes every rule; `changes` break one thing at a time."""
    data = {
        "name": "食品经营许可", "item_type": "01", "legal_basis": "《中华人民共和国食品安全法》第三十五条",
        "case_type": "promised", "statutory_days": 20, "promised_days": 5,
        "steps": [{"name": n, "days": d} for n, d in (("受理", 0), ("审核", 2), ("审批", 2), ("办结", 1), ("送达", 0))],
        "materials": [{"name": "食品经营许可申请书", "originals": 1, "copies": 0}],
        "fees": [], "visits": 1, "visits_reason": "需现场核查经营场所", "online_depth": 3,
        "consult_phone": "0429-3030011", "complaint_phone": "0429-12345",
        "faqs": [{"question": "需要本人到场吗？", "answer": "可委托代理人办理。"}],
        "result_name": "食品经营许可证", "result_sample": "窗口可查阅样本",
    }
    data.update(changes)
    return ItemData.model_validate(data)


FEE = {"name": "工本费", "amount": Decimal("10.00"), "legal_basis": "辽价发〔2019〕1号"}


class QualityRuleTests(SimpleTestCase):
    def rules(self, data):
        return {p.rule for p in check_item(data)}

    def test_it_passes_a_complete_item(self):
        self.assertEqual(check_item(good()), [])

    def test_it_trips_each_rule_on_its_own(self):
        cases = {
            "promised_over_statutory": good(promised_days=25, steps=[]),
            "instant_with_days": good(case_type="instant", promised_days=1, steps=[]),
            "promised_without_days": good(promised_days=0, steps=[]),
            "fee_without_basis": good(fees=[{**FEE, "legal_basis": ""}]),
            "fee_without_amount": good(fees=[{**FEE, "amount": None}]),
            "payment_on_free_item": good(online_payment=True),
            "visits_without_reason": good(visits_reason=""),
            "online_with_visits": good(online_depth=4),
            "licensing_steps": good(steps=[{"name": "受理"}, {"name": "审批"}, {"name": "办结"}]),
            "licensing_faq": good(faqs=[]),
            "same_phones": good(complaint_phone="0429-3030011"),
            "result_without_sample": good(result_sample=""),
            "steps_over_promise": good(steps=[{"name": n, "days": 3}
                                              for n in ("受理", "审核", "审批", "办结", "送达")]),
            "material_without_count": good(materials=[{"name": "照片", "originals": 0, "copies": 0}]),
            "legal_basis": good(legal_basis=""),
            "choice": good(case_type="soon"),
            "body_credit_code": good(body_credit_code="91350100M000100Y4Z"),
        }
        for rule, data in cases.items():
            with self.subTest(rule=rule):
                self.assertIn(rule, self.rules(data))

    def test_it_passes_the_near_misses(self):
        for data in (
            good(promised_days=20),                                     # promised equals statutory
            good(statutory_days=None),                                  # no statutory working-day limit
            good(case_type="instant", promised_days=0, steps=[], item_type="20"),
            good(fees=[FEE], online_payment=True),                      # paid online, fee has a basis
            good(fees=[{**FEE, "amount": None, "standard": "按面积计收"}]),
            good(visits=0, visits_reason="", online_depth=4),           # fully online, no visit
            good(item_type="20", steps=[], faqs=[]),                    # public service: no licensing rules
            good(consult_phone="", complaint_phone=""),
            good(result_name="", result_sample=""),
            good(body_credit_code="11320000MB151840XJ"),
        ):
            with self.subTest(data=data.model_dump(include={"case_type", "promised_days", "fees", "visits",
                                                            "item_type"})):
                self.assertEqual(check_item(data), [])

    def test_it_names_the_field_and_speaks_chinese(self):
        problem = check_item(good(fees=[{**FEE, "legal_basis": ""}]))[0]
        self.assertEqual(problem.field, "fees.1.legal_basis")
        self.assertIn("工本费", problem.message)
        self.assertIn("收费依据", problem.message)
