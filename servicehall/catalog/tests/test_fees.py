"""Reading a fee's charging standard: per unit, a range, a cap, or nothing to read."""

from decimal import Decimal

from django.test import SimpleTestCase

from servicehall.catalog.fees import FeeRule, fee_rule


class FeeRuleTests(SimpleTestCase):
    def test_the_standards_price_authorities_write(self):
        self.assertEqual(fee_rule("每份10元"), FeeRule(unit=Decimal(10)))
        self.assertEqual(fee_rule("按页收费，每页 0.5 元"), FeeRule(unit=Decimal("0.5")))
        self.assertEqual(fee_rule("200—500元/件"), FeeRule(low=Decimal(200), high=Decimal(500)))
        self.assertEqual(fee_rule("500元至200元"), FeeRule(low=Decimal(200), high=Decimal(500)))
        self.assertEqual(fee_rule("不超过1,000元"), FeeRule(high=Decimal(1000)))
        self.assertEqual(fee_rule("减收或免收"), FeeRule())
        self.assertEqual(fee_rule(""), FeeRule())

    def test_what_each_allows(self):
        copies = fee_rule("每份10元")
        self.assertEqual([copies.allows(Decimal(a)) for a in ("0", "10", "30", "15", "-10")],
                         [True, True, True, False, False])
        band = fee_rule("200-500元")
        self.assertEqual([band.allows(Decimal(a)) for a in ("199.99", "200", "500", "500.01")],
                         [False, True, True, False])
        self.assertEqual((copies.hint, band.hint, fee_rule("最高300元").hint, fee_rule("按标的额").hint),
                         ("应为10元的整数倍", "应在200至500元之间", "不超过300元", ""))
