"""Issuing and calling tickets. Citizens' actions are recorded in the ticket's own history
(`TicketEvent`), staff actions there too; no audit row per ticket (the issue's rule)."""

from datetime import date, datetime

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from servicehall.lib.errors import Conflict, Invalid, NotFound
from servicehall.lib.identity import IdentityError, validate_mobile
from servicehall.org.models import ServiceCenter, Window

from .models import TRANSITIONS, CategoryWindow, Ticket, TicketCategory, TicketCounter, TicketEvent, TicketStatus


def _next_seq(category: TicketCategory, day: date) -> int:
    """The day's next number for a category: one counter row, locked while it is raised."""
    for _ in range(3):
        updated = TicketCounter.objects.filter(category=category, day=day).update(last=F("last") + 1)
        if updated:
            return TicketCounter.objects.get(category=category, day=day).last
        try:
            with transaction.atomic():
                TicketCounter.objects.create(center_id=category.center_id, category=category, day=day, last=1)
            return 1
        except IntegrityError:
            continue  # another kiosk created today's counter first; raise it instead
    raise Conflict("取号繁忙，请重试")


@transaction.atomic
def ticket_issue(*, center: ServiceCenter, prefix: str, green_channel: bool = False, phone: str = "",
                 now: datetime | None = None) -> Ticket:
    """A new ticket in the category with letter `prefix`, numbered per centre, category and day."""
    now = now or timezone.now()
    category = TicketCategory.objects.filter(center=center, prefix=(prefix or "").strip().upper(), is_active=True).first()
    if category is None:
        raise Invalid("请选择业务类别", field="category")
    if phone:
        try:
            phone = validate_mobile(phone)
        except IdentityError as exc:
            raise Invalid(exc.message, field="phone") from exc
    day = timezone.localdate(now)
    seq = _next_seq(category, day)
    if seq > min(category.daily_capacity, 999):
        raise Conflict(f"“{category.name}”今日号源已满，请明日再来或预约", field="category")
    ticket = Ticket.objects.create(center=center, category=category, day=day, seq=seq, number=f"{category.prefix}{seq:03d}",
                                   green_channel=green_channel, phone=phone, issued_at=now, queued_at=now)
    TicketEvent.objects.create(ticket=ticket, center=center, action="issue", to_status=TicketStatus.WAITING, at=now)
    return ticket


def waiting_for_window(window: Window, day: date):
    """The window's queue in calling order: green channel first, then the window's category
    priority, then arrival (a transferred ticket keeps its place)."""
    links = CategoryWindow.objects.filter(window=window, category__is_active=True)
    priority = {link.category_id: link.priority for link in links}
    queue = Ticket.objects.filter(center_id=window.center_id, day=day, status=TicketStatus.WAITING,
                                  category_id__in=list(priority))
    return queue, priority


def _transition(ticket: Ticket, to: str, *, action: str, now: datetime, actor=None, window=None, note="", **fields) -> bool:
    if to not in TRANSITIONS[TicketStatus(ticket.status)]:
        raise Conflict(f"该号当前为“{ticket.get_status_display()}”，不能{note or action}", field=None, code="invalid_state")
    updated = Ticket.objects.filter(pk=ticket.pk, status=ticket.status).update(status=to, **fields)
    if not updated:
        return False
    TicketEvent.objects.create(ticket=ticket, center_id=ticket.center_id, action=action, from_status=ticket.status,
                               to_status=to, window=window or ticket.window, actor=actor, at=now, note=note)
    return True


@transaction.atomic
def ticket_call_next(*, actor, window: Window, now: datetime | None = None) -> Ticket | None:
    """Claim the first ticket of the window's queue; two windows never get the same one."""
    now = now or timezone.now()
    queue, priority = waiting_for_window(window, timezone.localdate(now))
    for _ in range(20):
        candidates = queue
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True, of=("self",))
        rows = list(candidates.order_by("-green_channel", "queued_at", "id")[:50])
        if not rows:
            return None
        rows.sort(key=lambda t: (not t.green_channel, priority.get(t.category_id, 99), t.queued_at, t.id))
        for ticket in rows:
            if _transition(ticket, TicketStatus.CALLED, action="call", now=now, actor=actor, window=window,
                           called_at=now, window_id=window.pk, staff=actor):
                ticket.refresh_from_db()
                return ticket
    raise Conflict("叫号繁忙，请重试")


ACTIONS = {  # action → (target status, Chinese verb)
    "recall": (TicketStatus.CALLED, "重呼"),
    "start": (TicketStatus.SERVING, "开始办理"),
    "finish": (TicketStatus.DONE, "办结"),
    "skip": (TicketStatus.SKIPPED, "过号"),
    "cancel": (TicketStatus.CANCELLED, "取消"),
}


@transaction.atomic
def ticket_act(*, actor, ticket: Ticket, action: str, now: datetime | None = None) -> Ticket:
    """recall / start / finish / skip / cancel; an action that does not fit the state → 409."""
    now = now or timezone.now()
    if action not in ACTIONS:
        raise NotFound("不支持的操作")
    to, verb = ACTIONS[action]
    if action == "recall":
        if ticket.status != TicketStatus.CALLED:
            raise Conflict(f"该号当前为“{ticket.get_status_display()}”，不能重呼", code="invalid_state")
        if not Ticket.objects.filter(pk=ticket.pk, status=TicketStatus.CALLED).update(recalls=F("recalls") + 1):
            raise Conflict("该号状态刚发生变化，请刷新", code="invalid_state")
        TicketEvent.objects.create(ticket=ticket, center_id=ticket.center_id, action="recall", from_status=ticket.status,
                                   to_status=ticket.status, window=ticket.window, actor=actor, at=now)
    elif not _transition(ticket, to, action=action, now=now, actor=actor, note=verb):
        raise Conflict("该号状态刚发生变化，请刷新", code="invalid_state")
    ticket.refresh_from_db()
    return ticket


def expire_stale_tickets(now: datetime | None = None) -> int:
    """The background loop's step: close waiting tickets of days before today."""
    now = now or timezone.now()
    return tickets_expire(before=timezone.localdate(now), now=now)


@transaction.atomic
def tickets_expire(*, before: date, now: datetime | None = None) -> int:
    """Close earlier days' waiting tickets as expired (they are never called on a new day)."""
    now = now or timezone.now()
    count = 0
    for ticket in Ticket.objects.filter(day__lt=before, status=TicketStatus.WAITING):
        count += _transition(ticket, TicketStatus.EXPIRED, action="expire", now=now, note="过期")
    return count
