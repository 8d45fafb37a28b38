"""Working-day arithmetic for statutory deadlines (工作日计算).

Pure Python on purpose (no Django): the deadline rules are the legally
sensitive part of the platform and must be testable in isolation and
reusable from the ORM layer, management commands and the API alike.

Rules encoded here:

* A day is a working day if it is Monday–Friday, unless the holiday table
  says otherwise: ``False`` marks a day off (法定节假日, even on a weekday),
  ``True`` marks a weekend day that is worked (调休上班).
* Administrative Licensing Law Art. 82: a period counted in days starts on
  the day *after* the triggering day, so ``start`` itself never counts.
* Years whose official holiday arrangement is not yet published are counted
  Monday–Friday; a due date that depends on such a year is flagged
  ``confirmed=False`` so the UI can warn that it may still move.

Performance: counting is done through a cumulative "working days up to
ordinal" function that is O(log n) (``bisect`` over a precomputed span of
working-day ordinals) inside the span covered by the holiday table and O(1)
closed-form Monday–Friday arithmetic outside it, so no method loops day by
day however long the period is.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

__all__ = ["DueDate", "WorkCalendar", "chinese_calendar_days", "HOLIDAY_NAMES_ZH"]


@dataclass(frozen=True)
class DueDate:
    """A computed deadline and whether it rests only on published calendars."""

    due: date
    # True when every day crossed (start+1 .. due; for days=0 the start day)
    # lies in a year whose holiday arrangement is confirmed.
    confirmed: bool


def _weekdays_upto(ordinal: int) -> int:
    """Number of Monday–Friday days with ordinal in [1, ordinal].

    Ordinal 1 (0001-01-01) is a Monday, so each block of 7 ordinals starting
    at 1 is Mon..Sun; this gives the count in O(1).
    """
    q, r = divmod(ordinal, 7)
    return 5 * q + min(r, 5)


def _nth_weekday_ordinal(k: int) -> int:
    """Smallest ordinal o with ``_weekdays_upto(o) >= k`` (k >= 1): the k-th weekday."""
    q, r = divmod(k - 1, 5)
    return 7 * q + r + 1


class WorkCalendar:
    """A working-day calendar: Monday–Friday plus a table of exceptions."""

    def __init__(self, special_days: Mapping[date, bool], confirmed_years: Iterable[int]):
        self._special: dict[date, bool] = {d: bool(v) for d, v in special_days.items()}
        self._confirmed_years: list[int] = sorted(set(confirmed_years))

        years = {d.year for d in self._special} | set(self._confirmed_years)
        if years:
            # One year of margin either side keeps boundary lookups inside the
            # table; outside it everything is plain Monday–Friday anyway.
            lo_year = max(min(years) - 1, date.min.year)
            hi_year = min(max(years) + 1, date.max.year)
            self._lo = date(lo_year, 1, 1).toordinal()
            self._hi = date(hi_year, 12, 31).toordinal()
            self._work: list[int] = [
                o for o in range(self._lo, self._hi + 1) if self._is_workday_ordinal(o)
            ]
        else:
            # Empty span: every query falls through to Monday–Friday arithmetic.
            self._lo, self._hi, self._work = 1, 0, []
        # Working days before the span (Monday–Friday) and the running total at
        # its end, so counts on both sides of the span line up.
        self._base = _weekdays_upto(self._lo - 1)
        self._top = self._base + len(self._work)

    # -- single days -------------------------------------------------------

    def _is_workday_ordinal(self, ordinal: int) -> bool:
        return self.is_workday(date.fromordinal(ordinal))

    def is_workday(self, d: date) -> bool:
        """Whether ``d`` is a working day (exceptions first, else Monday–Friday)."""
        special = self._special.get(d)
        if special is not None:
            return special
        return d.weekday() < 5

    def is_confirmed(self, year: int) -> bool:
        """Whether ``year``'s official holiday arrangement is known."""
        i = bisect_left(self._confirmed_years, year)
        return i < len(self._confirmed_years) and self._confirmed_years[i] == year

    def _years_confirmed(self, first: int, last: int) -> bool:
        """Whether every year in [first, last] is confirmed, in O(log n)."""
        if last < first:
            return True
        n = bisect_right(self._confirmed_years, last) - bisect_left(self._confirmed_years, first)
        return n == last - first + 1

    # -- cumulative counting -------------------------------------------------

    def _count_upto(self, ordinal: int) -> int:
        """Working days with ordinal in [1, ordinal]; monotone, used for differences."""
        if ordinal < self._lo:
            return _weekdays_upto(ordinal)
        if ordinal <= self._hi:
            return self._base + bisect_right(self._work, ordinal)
        return self._top + _weekdays_upto(ordinal) - _weekdays_upto(self._hi)

    def _kth_workday(self, k: int) -> int:
        """Ordinal of the k-th working day counted from ordinal 1 (inverse of ``_count_upto``)."""
        if k <= self._base:
            return _nth_weekday_ordinal(k)
        if k <= self._top:
            return self._work[k - self._base - 1]
        return _nth_weekday_ordinal(k - self._top + _weekdays_upto(self._hi))

    def workday_index(self, d: date) -> int:
        """Number of working days on or before ``d`` (since 0001-01-01).

        Only differences are meaningful; two indexes subtract to the number
        of working days between two dates.
        """
        return self._count_upto(d.toordinal())

    # -- periods -------------------------------------------------------------

    def add_workdays(self, start: date, days: int) -> DueDate:
        """The due date ``days`` working days after ``start`` (Art. 82: start not counted).

        ``days == 0`` means decided on the spot: the due date is ``start``.
        """
        if days < 0:
            raise ValueError(f"days must not be negative, got {days}")
        if days == 0:
            return DueDate(start, self.is_confirmed(start.year))
        due = date.fromordinal(self._kth_workday(self.workday_index(start) + days))
        # Days crossed are start+1 .. due; start+1 only differs from start's
        # year when start is 31 December.
        first_year = start.year + 1 if (start.month, start.day) == (12, 31) else start.year
        return DueDate(due, self._years_confirmed(first_year, due.year))

    def workdays_between(self, start: date, end: date) -> int:
        """Working days d with start < d <= end (0 if end <= start).

        Used to extend a deadline by the working days a case was suspended.
        """
        if end <= start:
            return 0
        return self.workday_index(end) - self.workday_index(start)


# The package's English names mapped to the names used in the service hall.
HOLIDAY_NAMES_ZH: dict[str, str] = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def chinese_calendar_days() -> tuple[dict[date, tuple[bool, str]], list[int]]:
    """Read the ``chinesecalendar`` package's State Council arrangements.

    Returns ``{date: (is_workday, Chinese holiday name)}`` for every holiday
    and every extra working day the package knows, and the sorted years it
    covers (those become the confirmed years). Imported lazily so the module
    stays usable where the package is not installed.
    """
    from chinese_calendar import constants

    days: dict[date, tuple[bool, str]] = {}
    for d, name in constants.holidays.items():
        days[d] = (False, HOLIDAY_NAMES_ZH.get(name, name))
    for d, name in constants.workdays.items():
        days[d] = (True, HOLIDAY_NAMES_ZH.get(name, name))

    if not constants.holidays:
        return days, []
    # The package itself supports exactly the years from its first to its
    # last holiday (chinese_calendar.utils._validate_date).
    first = min(constants.holidays).year
    last = max(constants.holidays).year
    return days, list(range(first, last + 1))
