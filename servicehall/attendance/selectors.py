"""Reads of attendance beyond a filter."""

from datetime import date
from typing import NamedTuple

from servicehall.accounts.models import hash_api_key
from servicehall.accounts.permissions import WINDOW_STAFF
from servicehall.org.models import BackupPost, Staff, Window

from .leave import approved_leaves, at_window, away_slots
from .models import Device


def device_by_key(key: str) -> Device | None:
    """The active device whose JSON API key this is."""
    if not key or len(key) > 100:
        return None
    return Device.objects.filter(key_hash=hash_api_key(key), is_active=True).select_related("center").first()


class Expected(NamedTuple):
    """Who is due at a window in a half day, and as what: A岗, B岗 or 顶岗 (a named stand-in)."""
    window: Window
    staff: Staff | None
    post: str


def expected_at_windows(center_id: int, day: date, half: str) -> list[Expected]:
    """Each AB post's window of the centre in the half day: A, or B when A is on approved leave,
    or the stand-in named on their leave when both are away, or nobody."""
    posts = list(BackupPost.objects.filter(center_id=center_id, window__is_active=True)
                 .select_related("holder", "backup_staff", "window").order_by("window__number"))
    people = {p.holder_id for p in posts} | {p.backup_staff_id for p in posts}
    leaves = approved_leaves(people, day, day)
    away = away_slots(leaves)
    slot = (day, half)
    found = []
    for post in posts:
        stand_ins = [leave.stand_in for leave in leaves
                     if leave.staff_id in (post.holder_id, post.backup_staff_id) and leave.stand_in_id
                     and slot in away.get(leave.staff_id, {})]
        person = at_window(post, slot, away, stand_ins)
        label = ("A岗" if person == post.holder else "B岗" if person == post.backup_staff
                 else "顶岗" if person is not None else "")
        found.append(Expected(post.window, person, label))
    return found


def sees_own_only(user) -> bool:
    """A window's staff reads their own attendance; managers, the bureau and leadership their
    centres'."""
    return user.role in WINDOW_STAFF
