"""Tests for servicehall.lib.workdays: statutory working-day deadlines."""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicehall.lib.workdays import DueDate, WorkCalendar, chinese_calendar_days

CN_DAYS, CN_YEARS = chinese_calendar_days()
CN_SPECIAL = {d: is_work for d, (is_work, _name) in CN_DAYS.items()}


def cn_calendar(extra=None, extra_years=()):
    """The package's calendar, optionally overlaid with further entries."""
    return WorkCalendar({**CN_SPECIAL, **(extra or {})}, [*CN_YEARS, *extra_years])


CAL = cn_calendar()


def naive_add(cal, start, days):
    """Reference implementation: walk day by day (Art. 82, start not counted)."""
    if days == 0:
        return DueDate(start, cal.is_confirmed(start.year))
    d, left, confirmed = start, days, True
    while left:
        d += timedelta(days=1)
        confirmed = confirmed and cal.is_confirmed(d.year)
        if cal.is_workday(d):
            left -= 1
    return DueDate(d, confirmed)


def naive_between(cal, start, end):
    n, d = 0, start + timedelta(days=1)
    while d <= end:
        n += cal.is_workday(d)
        d += timedelta(days=1)
    return n


class ChineseCalendarDaysTests:
    def test_it_covers_2026_as_a_confirmed_year(self):
        assert 2026 in CN_YEARS
        assert 2027 not in CN_YEARS
        assert CN_YEARS == sorted(CN_YEARS)
        assert CN_YEARS == list(range(CN_YEARS[0], CN_YEARS[-1] + 1))

    def test_it_names_holidays_in_chinese(self):
        assert CN_DAYS[date(2026, 1, 1)] == (False, "元旦")
        assert CN_DAYS[date(2026, 2, 14)] == (True, "春节")
        assert CN_DAYS[date(2026, 4, 5)] == (False, "清明节")
        assert CN_DAYS[date(2026, 5, 9)] == (True, "劳动节")
        assert CN_DAYS[date(2026, 6, 19)] == (False, "端午节")
        assert CN_DAYS[date(2026, 9, 25)] == (False, "中秋节")
        assert CN_DAYS[date(2026, 10, 1)] == (False, "国庆节")
        assert CN_DAYS[date(2015, 9, 3)] == (False, "抗战胜利70周年纪念日")

    def test_it_only_uses_known_chinese_names(self):
        names = {name for _work, name in CN_DAYS.values()}
        assert names <= {"元旦", "春节", "清明节", "劳动节", "端午节", "国庆节", "中秋节", "抗战胜利70周年纪念日"}


# 2026 arrangement (国务院办公厅通知): (first day off, last day off, worked weekend days).
HOLIDAYS_2026 = {
    "元旦": (date(2026, 1, 1), date(2026, 1, 3), [date(2026, 1, 4)]),
    "春节": (date(2026, 2, 15), date(2026, 2, 23), [date(2026, 2, 14), date(2026, 2, 28)]),
    "清明": (date(2026, 4, 4), date(2026, 4, 6), []),
    "劳动节": (date(2026, 5, 1), date(2026, 5, 5), [date(2026, 5, 9)]),
    "端午": (date(2026, 6, 19), date(2026, 6, 21), []),
    "中秋": (date(2026, 9, 25), date(2026, 9, 27), []),
    "国庆": (date(2026, 10, 1), date(2026, 10, 7), [date(2026, 9, 20), date(2026, 10, 10)]),
}


class WorkCalendar2026Tests:
    def test_it_has_248_working_days_in_2026(self):
        assert CAL.workdays_between(date(2025, 12, 31), date(2026, 12, 31)) == 248
        days = [date(2026, 1, 1) + timedelta(days=i) for i in range(365)]
        assert sum(CAL.is_workday(d) for d in days) == 248

    @pytest.mark.parametrize("name", HOLIDAYS_2026)
    def test_it_follows_each_2026_holiday_block(self, name):
        first, last, worked = HOLIDAYS_2026[name]
        d = first
        while d <= last:
            assert not CAL.is_workday(d), d
            d += timedelta(days=1)
        for w in worked:
            assert w.weekday() >= 5 and CAL.is_workday(w), w

    def test_it_keeps_the_law_s_worked_examples(self):
        assert CAL.add_workdays(date(2026, 9, 30), 5) == DueDate(date(2026, 10, 13), True)
        # 09-20 is a Sunday that is worked.
        assert CAL.add_workdays(date(2026, 9, 18), 3) == DueDate(date(2026, 9, 22), True)

    @pytest.mark.parametrize(
        ("start", "days", "due"),
        [
            (date(2025, 12, 31), 1, date(2026, 1, 4)),  # 元旦 off, Sunday 01-04 worked
            (date(2025, 12, 31), 2, date(2026, 1, 5)),
            (date(2026, 2, 13), 1, date(2026, 2, 14)),  # Saturday worked before 春节
            (date(2026, 2, 14), 1, date(2026, 2, 24)),  # straight over 春节
            (date(2026, 2, 27), 1, date(2026, 2, 28)),  # Saturday worked after 春节
            (date(2026, 2, 28), 1, date(2026, 3, 2)),
            (date(2026, 4, 3), 1, date(2026, 4, 7)),  # 清明
            (date(2026, 4, 30), 1, date(2026, 5, 6)),  # 劳动节
            (date(2026, 5, 8), 1, date(2026, 5, 9)),  # Saturday worked after 劳动节
            (date(2026, 6, 18), 1, date(2026, 6, 22)),  # 端午
            (date(2026, 9, 19), 1, date(2026, 9, 20)),  # Sunday worked before 国庆
            (date(2026, 9, 24), 1, date(2026, 9, 28)),  # 中秋
            (date(2026, 9, 30), 1, date(2026, 10, 8)),  # 国庆
            (date(2026, 10, 9), 1, date(2026, 10, 10)),  # Saturday worked after 国庆
            (date(2026, 10, 10), 1, date(2026, 10, 12)),
        ],
    )
    def test_it_adds_across_each_block(self, start, days, due):
        assert CAL.add_workdays(start, days) == DueDate(due, True)


class WorkCalendarYearBoundaryTests:
    def test_it_falls_back_to_monday_friday_for_an_unknown_year(self):
        assert not CAL.is_confirmed(2027)
        assert CAL.add_workdays(date(2026, 12, 30), 3) == DueDate(date(2027, 1, 4), False)
        assert CAL.add_workdays(date(2026, 12, 31), 1) == DueDate(date(2027, 1, 1), False)

    def test_it_stays_confirmed_inside_a_known_year(self):
        assert CAL.add_workdays(date(2026, 12, 25), 2) == DueDate(date(2026, 12, 29), True)
        assert CAL.add_workdays(date(2026, 12, 30), 1) == DueDate(date(2026, 12, 31), True)

    def test_it_is_unconfirmed_from_31_december_even_on_day_zero_next_year(self):
        # 12-31 + 0 is decided on the spot: only 2026 is involved.
        assert CAL.add_workdays(date(2026, 12, 31), 0) == DueDate(date(2026, 12, 31), True)
        assert CAL.add_workdays(date(2027, 1, 4), 0) == DueDate(date(2027, 1, 4), False)

    def test_it_uses_a_confirmed_2027_once_entered(self):
        cal = cn_calendar({date(2027, 1, 1): False}, [2027])
        assert cal.is_confirmed(2027)
        assert cal.add_workdays(date(2026, 12, 30), 3) == DueDate(date(2027, 1, 5), True)

    def test_it_uses_special_days_entered_for_an_unconfirmed_year(self):
        cal = cn_calendar({date(2027, 1, 1): False})
        assert cal.add_workdays(date(2026, 12, 30), 3) == DueDate(date(2027, 1, 5), False)

    def test_it_counts_far_beyond_and_before_the_table(self):
        # 2000 is before the package's 2004 and 2100 long after 2026.
        for start, days in [(date(2000, 1, 3), 10_000), (date(2003, 12, 20), 30), (date(2026, 12, 1), 200_000)]:
            assert CAL.add_workdays(start, days) == naive_add(CAL, start, days)


class WorkCalendarArgumentsTests:
    def test_it_returns_start_for_zero_days(self):
        assert CAL.add_workdays(date(2026, 10, 3), 0) == DueDate(date(2026, 10, 3), True)

    def test_it_rejects_negative_days(self):
        with pytest.raises(ValueError):
            CAL.add_workdays(date(2026, 3, 2), -1)

    def test_it_counts_nothing_between_equal_or_reversed_dates(self):
        assert CAL.workdays_between(date(2026, 3, 2), date(2026, 3, 2)) == 0
        assert CAL.workdays_between(date(2026, 3, 9), date(2026, 3, 2)) == 0

    def test_it_works_with_an_empty_table(self):
        cal = WorkCalendar({}, [])
        assert cal.add_workdays(date(2026, 9, 30), 5) == DueDate(date(2026, 10, 7), False)
        assert cal.workdays_between(date(2025, 12, 31), date(2026, 12, 31)) == 261


starts = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
counts = st.integers(min_value=0, max_value=400)
special_tables = st.dictionaries(
    st.dates(min_value=date(2018, 1, 1), max_value=date(2032, 12, 31)), st.booleans(), max_size=40
)
year_sets = st.sets(st.integers(min_value=2018, max_value=2032), max_size=8)


class WorkCalendarPropertyTests:
    @settings(max_examples=300, deadline=None)
    @given(start=starts, days=counts)
    def test_it_matches_a_day_by_day_count(self, start, days):
        result = CAL.add_workdays(start, days)
        assert result == naive_add(CAL, start, days)
        assert CAL.workdays_between(start, result.due) == days

    @settings(max_examples=200, deadline=None)
    @given(extra=special_tables, years=year_sets, start=starts, days=counts)
    def test_it_matches_a_day_by_day_count_with_extra_special_days(self, extra, years, start, days):
        cal = cn_calendar(extra, years)
        result = cal.add_workdays(start, days)
        assert result == naive_add(cal, start, days)
        assert cal.workdays_between(start, result.due) == days

    @settings(max_examples=200, deadline=None)
    @given(extra=special_tables, years=year_sets, start=starts, days=counts)
    def test_it_matches_a_day_by_day_count_on_a_small_table(self, extra, years, start, days):
        # Only the random entries: starts fall before, inside and after the span.
        cal = WorkCalendar(extra, years)
        result = cal.add_workdays(start, days)
        assert result == naive_add(cal, start, days)
        assert cal.workdays_between(start, result.due) == days

    @settings(max_examples=200, deadline=None)
    @given(extra=special_tables, start=starts, end=starts)
    def test_it_counts_between_like_a_day_by_day_loop(self, extra, start, end):
        cal = WorkCalendar(extra, [2024, 2025])
        assert cal.workdays_between(start, end) == naive_between(cal, start, end)
