"""Half-day slots of a leave, and who stands at a window when its people are away: plain reads
the leave services and the day's results share."""

from datetime import date, timedelta

from django.db.models import Q

from servicehall.org.models import BackupPost

from .models import Half, Leave, LeaveStatus

HALVES = (Half.AM, Half.PM)


def slots(starts_on: date, starts_half: str, ends_on: date, ends_half: str) -> list[tuple[date, str]]:
    """The half days from the first to the last, both included, in order."""
    found, day = [], starts_on
    while day <= ends_on:
        for half in HALVES:
            if (day, HALVES.index(half)) < (starts_on, HALVES.index(starts_half)):
                continue
            if (day, HALVES.index(half)) > (ends_on, HALVES.index(ends_half)):
                continue
            found.append((day, half))
        day += timedelta(days=1)
    return found


def leave_slots(leave: Leave) -> list[tuple[date, str]]:
    return slots(leave.starts_on, leave.starts_half, leave.ends_on, leave.ends_half)


def slot_label(slot: tuple[date, str]) -> str:
    day, half = slot
    return f"{day.month}月{day.day}日{Half(half).label}"


def approved_leaves(staff_ids, first: date, last: date, exclude: int | None = None) -> list[Leave]:
    """Approved leaves of these people that touch the days from `first` to `last`."""
    leaves = Leave.objects.filter(staff_id__in=staff_ids, status=LeaveStatus.APPROVED, starts_on__lte=last,
                                  ends_on__gte=first)
    if exclude is not None:
        leaves = leaves.exclude(pk=exclude)
    return list(leaves)


def centre_leaves(center_id: int, first: date, last: date, exclude: int | None = None) -> list[Leave]:
    """Approved leaves of the centre's people that touch the days from `first` to `last`."""
    leaves = (Leave.objects.filter(center_id=center_id, status=LeaveStatus.APPROVED, starts_on__lte=last,
                                   ends_on__gte=first).select_related("staff", "stand_in"))
    if exclude is not None:
        leaves = leaves.exclude(pk=exclude)
    return list(leaves)


def bookings(leaves: list[Leave]) -> dict[int, dict[tuple[date, str], list[Leave]]]:
    """For each person named as the stand-in (顶岗) of these leaves, the half days they are
    booked for, with the leaves that name them."""
    booked: dict[int, dict] = {}
    for leave in leaves:
        if leave.stand_in_id:
            for slot in leave_slots(leave):
                booked.setdefault(leave.stand_in_id, {}).setdefault(slot, []).append(leave)
    return booked


def away_slots(leaves: list[Leave]) -> dict[int, dict[tuple[date, str], Leave]]:
    """For each person, the half days their leaves cover, with the leave."""
    away: dict[int, dict] = {}
    for leave in leaves:
        for slot in leave_slots(leave):
            away.setdefault(leave.staff_id, {})[slot] = leave
    return away


def posts_of(staff_id: int) -> list[BackupPost]:
    """The window posts a person holds as A or stands in for as B."""
    return list(BackupPost.objects.filter(Q(holder_id=staff_id) | Q(backup_staff_id=staff_id))
                .select_related("window", "holder", "backup_staff"))


def at_window(post: BackupPost, slot, away: dict[int, dict], stand_ins: list) -> object | None:
    """Who stands at the post's window in `slot`: A, else B, else a stand-in named on their
    leave (顶岗), else nobody."""
    for person in (post.holder, post.backup_staff, *stand_ins):
        if person is not None and person.is_active and slot not in away.get(person.pk, {}):
            return person
    return None
