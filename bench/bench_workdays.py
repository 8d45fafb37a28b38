"""Working-day arithmetic: one call must not grow with the number of days (O(log n))."""

import random
import time
from datetime import date, timedelta

from servicehall.workcalendar.selectors import build_calendar

LIMIT_MICROSECONDS = 20.0


def run() -> None:
    calendar = build_calendar()
    rng = random.Random(7)
    starts = [date(2020, 1, 1) + timedelta(days=rng.randrange(0, 2500)) for _ in range(2000)]
    print("## add_workdays (per call, 2,000 random starts 2020–2026)")
    for days in (1, 20, 250, 3650):
        began = time.perf_counter()
        for start in starts:
            calendar.add_workdays(start, days)
        micro = (time.perf_counter() - began) / len(starts) * 1e6
        verdict = "ok" if micro <= LIMIT_MICROSECONDS else "OVER"
        print(f"days={days:>5}: {micro:6.2f} µs/call   limit {LIMIT_MICROSECONDS:.0f} µs   {verdict}")
    began = time.perf_counter()
    build_calendar()
    print(f"rebuild from the table after an edit: {(time.perf_counter() - began) * 1000:.1f} ms "
          "(once per edit per process)")
