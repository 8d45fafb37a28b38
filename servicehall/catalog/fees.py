"""What a fee's charging standard (收费标准) allows, read from the catalogue's own text.

A fee without a fixed amount is charged by its standard, written as the price authority wrote
it: "每份10元" (so 10, 20, 30 …), "200—500元" (a range), "不超过300元" (a cap). The window may
charge only what the standard allows. A standard this reads nothing from ("按标的额收取",
"减收或免收") leaves the amount to the clerk: any non-negative amount with two decimals.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

_NUMBER = r"(\d+(?:\.\d{1,2})?)"
_UNIT = re.compile(rf"每(?:份|件|页|次|本|人|张|户|项|证|个)\s*{_NUMBER}\s*元")
_RANGE = re.compile(rf"{_NUMBER}\s*元?\s*(?:-|—|–|－|~|～|至|到)\s*{_NUMBER}\s*元")
_CAP = re.compile(rf"(?:不超过|不高于|最高|最多|上限)\s*{_NUMBER}\s*元")


@dataclass(frozen=True)
class FeeRule:
    low: Decimal = Decimal(0)
    high: Decimal | None = None
    unit: Decimal | None = None

    def allows(self, amount: Decimal) -> bool:
        if amount < self.low or (self.high is not None and amount > self.high):
            return False
        return self.unit is None or amount % self.unit == 0  # 0: no copies this time

    @property
    def hint(self) -> str:
        """The rule in the words the window's form and refusals use."""
        if self.unit is not None:
            return f"应为{self.unit:g}元的整数倍"
        if self.high is not None:
            return f"应在{self.low:g}至{self.high:g}元之间" if self.low else f"不超过{self.high:g}元"
        return ""


def fee_rule(standard: str) -> FeeRule:
    text = (standard or "").replace(",", "")  # "1,000元"
    if found := _UNIT.search(text):
        return FeeRule(unit=Decimal(found.group(1)))
    if found := _RANGE.search(text):
        low, high = sorted((Decimal(found.group(1)), Decimal(found.group(2))))
        return FeeRule(low=low, high=high)
    if found := _CAP.search(text):
        return FeeRule(high=Decimal(found.group(1)))
    return FeeRule()
