"""A person's day at work, from the shifts they were due, their punches and their leave: no
database, so that the rules PRACTICE.md gives ("Attendance and AB posts") are read
and tested in one place.

- A shift is a half day (上午 or 下午) from its start to its end; a day's shifts never cross
  midnight and never overlap.
- Each punch belongs to one shift: the one whose hours it falls in, or between two shifts the
  nearer one (the midpoint of the break divides them).
- Within a shift, the first punch before its midpoint is the check-in and the last punch after
  it the check-out (a single punch is one or the other; two taps at the door are one check-in).
- Late (迟到): a check-in after the start (08:30:01 is a minute late); from `absent_minutes`
  late (default 30) it is half a day absent (旷工), and then not also late. Early (早退)
  likewise for a check-out before the end.
- Missing (缺卡): a check-in or a check-out without the other. No punch at all in a shift is
  half a day absent.
- A half day on approved leave (请假, 出差, 调休…) needs no punch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from math import ceil

from .models import DayOutcome

AM, PM = "am", "pm"


# A day shows the worst of its halves; a day wholly on leave shows leave.
ORDER = (DayOutcome.ABSENT, DayOutcome.MISSING, DayOutcome.LATE_AND_EARLY, DayOutcome.LATE, DayOutcome.EARLY,
         DayOutcome.NORMAL, DayOutcome.LEAVE)


@dataclass(frozen=True)
class ShiftHours:
    starts: time
    ends: time

    @property
    def half(self) -> str:
        return AM if self.starts < time(12) else PM


@dataclass(frozen=True)
class HalfDay:
    half: str
    outcome: str
    check_in: time | None = None
    check_out: time | None = None
    late_minutes: int = 0
    early_minutes: int = 0
    leave: str = ""  # the leave's kind when on leave


@dataclass(frozen=True)
class Day:
    halves: tuple[HalfDay, ...] = field(default_factory=tuple)

    @property
    def outcome(self) -> str:
        if not self.halves:
            return ""
        worst = min((h.outcome for h in self.halves), key=ORDER.index)
        if worst in (DayOutcome.LATE, DayOutcome.EARLY) and self.late_minutes and self.early_minutes:
            return DayOutcome.LATE_AND_EARLY  # late in the morning, early in the afternoon
        return worst

    @property
    def late_minutes(self) -> int:
        return sum(h.late_minutes for h in self.halves)

    @property
    def early_minutes(self) -> int:
        return sum(h.early_minutes for h in self.halves)

    @property
    def missing_halves(self) -> int:
        return sum(h.outcome == DayOutcome.MISSING for h in self.halves)

    @property
    def absent_halves(self) -> int:
        return sum(h.outcome == DayOutcome.ABSENT for h in self.halves)

    @property
    def leave_halves(self) -> int:
        return sum(h.outcome == DayOutcome.LEAVE for h in self.halves)


def _minutes(t: time) -> float:
    return t.hour * 60 + t.minute + t.second / 60


def _windows(shifts: list[ShiftHours]) -> list[tuple[float, float]]:
    """Each shift's share of the day for punches: from the midpoint of the break before it to the
    midpoint of the break after it (the whole morning before the first, the evening after the last)."""
    bounds = []
    for i, shift in enumerate(shifts):
        start = 0.0 if i == 0 else (_minutes(shifts[i - 1].ends) + _minutes(shift.starts)) / 2
        end = 24 * 60.0 if i == len(shifts) - 1 else (_minutes(shift.ends) + _minutes(shifts[i + 1].starts)) / 2
        bounds.append((start, end))
    return bounds


def arrivals_from(shifts: list[ShiftHours], index: int) -> time:
    """From when a punch counts as arriving for the shift `index` of the day's `shifts`: the
    midpoint of the break before it (midnight for the first), as `day_result` divides punches.
    A check-out at 12:01 is the morning's, not an arrival for the afternoon."""
    start, _ = _windows(sorted(shifts, key=lambda s: s.starts))[index]
    minutes = int(start)
    return time(minutes // 60, minutes % 60, int(round((start - minutes) * 60)) % 60)


def arrival(shifts: list[ShiftHours], index: int, punches: list[time]) -> time | None:
    """When the person arrived for the shift `index`: their first punch from `arrivals_from`
    to the shift's end; None when they did not come during it."""
    since, ends = arrivals_from(shifts, index), sorted(shifts, key=lambda s: s.starts)[index].ends
    return min((t for t in punches if since <= t < ends), default=None)


def empty_minutes(shifts: list[ShiftHours], index: int, punches: list[time]) -> int:
    """Whole minutes the window of a person due for the shift `index` stood without them after
    its start: to their arrival, or the whole shift when they never came (08:30:59 is no
    empty minute yet). A check-out without a check-in (a forgotten punch, 缺卡) says they were
    there but not since when: no empty minutes are counted."""
    shifts = sorted(shifts, key=lambda s: s.starts)
    shift, (start, end) = shifts[index], _windows(shifts)[index]
    arrived = arrival(shifts, index, punches)
    if arrived is None and any(start <= _minutes(p) < end for p in punches):
        return 0
    until = _minutes(arrived) if arrived is not None else _minutes(shift.ends)
    return max(int(until - _minutes(shift.starts)), 0)


def day_result(shifts: list[ShiftHours], punches: list[time], leave: dict[str, str] | None = None, *,
               absent_minutes: int = 30, until: time | None = None) -> Day:
    """The day of a person due for `shifts` (in order), with the local times of their punches and
    corrections, and `leave` (half → the leave's kind) for the halves they were excused. With
    `until`, only the shifts ended by then are judged; the later ones still take their punches,
    so a 13:20 arrival is never the morning's check-out."""
    leave = leave or {}
    shifts = sorted(shifts, key=lambda s: s.starts)
    halves = []
    for shift, (start, end) in zip(shifts, _windows(shifts), strict=True):
        if until is not None and shift.ends > until:
            continue
        if shift.half in leave:
            halves.append(HalfDay(shift.half, DayOutcome.LEAVE, leave=leave[shift.half]))
            continue
        mine = sorted(p for p in punches if start <= _minutes(p) < end)
        halves.append(_half(shift, mine, absent_minutes))
    return Day(tuple(halves))


def _half(shift: ShiftHours, punches: list[time], absent_minutes: int) -> HalfDay:
    if not punches:
        return HalfDay(shift.half, DayOutcome.ABSENT)
    opens, closes = _minutes(shift.starts), _minutes(shift.ends)
    # A check-in is a punch before the shift's middle, a check-out one after it: two taps at the
    # door at 08:20 are a check-in and no check-out, not a day that ended at 08:20.
    middle = (opens + closes) / 2
    first, last = punches[0], punches[-1]
    check_in = first if _minutes(first) < middle else None
    check_out = last if _minutes(last) >= middle else None
    late = _minutes(check_in) - opens if check_in else 0.0
    early = closes - _minutes(check_out) if check_out else 0.0
    if late >= absent_minutes or early >= absent_minutes:
        # Half a day absent, not also late or early: counted once, as absence.
        return HalfDay(shift.half, DayOutcome.ABSENT, check_in, check_out)
    elif check_in is None or check_out is None:
        outcome = DayOutcome.MISSING
    elif late > 0 and early > 0:
        outcome = DayOutcome.LATE_AND_EARLY
    else:
        outcome = DayOutcome.LATE if late > 0 else DayOutcome.EARLY if early > 0 else DayOutcome.NORMAL
    # Shown in whole minutes, rounded up: 08:30:01 is a minute late.
    return HalfDay(shift.half, outcome, check_in, check_out, ceil(max(late, 0)), ceil(max(early, 0)))
