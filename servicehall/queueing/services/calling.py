"""Calling: the window's queue in calling order, call-next (the head of that queue, claimed so
two windows never get the same citizen) and calling a chosen ticket.

A window serves one citizen at a time. Call-next finishes the ticket being served (one click
to the next citizen); a called ticket that was never started is finished too only when the
clerk says so (办结并叫下一位), otherwise it must be started, skipped or transferred first, so a
no-show is not counted as served. On PostgreSQL call-next is one statement
(`db.queue.call_next_statement`); on SQLite the same rules run here as Python steps in a
transaction (`_ready_to_call`, then `db.queue.head_sql`). The queue's tests run on both.
"""

from contextlib import nullcontext
from datetime import datetime

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from servicehall.db import queue as sql
from servicehall.db.caches import CATEGORIES, WINDOW_LEVELS
from servicehall.db.rows import fetch_models
from servicehall.lib.errors import Conflict, NotFound
from servicehall.org.models import Window

from ..models import CHOSEN_CALL, CategoryWindow, Ticket, TicketCategory, TicketStatus
from ..selectors import hall_changed
from .tickets import announce_finished, transition


def queue_params(window: Window, now: datetime, limit: int) -> dict:
    ops = connection.ops
    return {"window": window.pk, "center": window.center_id, "day": ops.adapt_datefield_value(timezone.localdate(now)),
            "now": ops.adapt_datetimefield_value(now), "limit": limit}


def window_queue(window: Window, now: datetime, *, limit: int = 200) -> list[Ticket]:
    """The window's waiting tickets in calling order (`db.queue.QUEUE_ORDER`); a transferred
    ticket keeps its place, tickets transferred to another window are left out. Call-next
    finds the first of them the fast way (`db.queue.head_sql`); a test holds the two to the
    same order."""
    return fetch_models(Ticket, sql.queue_sql(), queue_params(window, now, limit), extra=("rank",))


def window_waiting_counts(window: Window, now: datetime) -> list[tuple[tuple[str, str], int]]:
    """((prefix, name), count) of every category in the window's queue, all of it."""
    with connection.cursor() as cursor:
        cursor.execute(sql.waiting_counts_sql(), queue_params(window, now, limit=10**9))
        return [((prefix, name), n) for prefix, name, n in cursor.fetchall()]


def window_levels(window: Window) -> tuple[tuple[int, tuple[int, ...]], ...]:
    """(priority, active category ids) of the window, smallest priority number first."""
    def load():
        levels: dict[int, list[int]] = {}
        for category_id, priority in (CategoryWindow.objects.filter(window=window, category__is_active=True)
                                      .values_list("category_id", "priority")):
            levels.setdefault(priority, []).append(category_id)
        return tuple(sorted((p, tuple(ids)) for p, ids in levels.items()))
    return WINDOW_LEVELS.get(window.pk, load)


FINISH_NOTE = "叫下一位时自动结束"


def _require_open(window: Window) -> None:
    if not window.is_active:
        raise Conflict("该窗口已停用", field="window")


def _paused() -> Conflict:
    return Conflict("窗口已暂停服务，请先恢复服务再叫号", field="window", code="window_paused")


def _busy(ticket: Ticket) -> Conflict:
    return Conflict(f"当前号{ticket.number}尚未办理：请先办结、过号或转移", code="window_busy")


def _double_call() -> Conflict:
    return Conflict("该窗口刚刚叫过号，请勿重复点击", code="window_busy")


def _ready_to_call(window: Window, actor, now: datetime, *, finish_current: bool) -> None:
    """A window calls only when open and free; what it is serving is finished by the call
    (see the module's docstring)."""
    _require_open(window)
    # One statement for the usual case (a current ticket to finish); a second only when there is none.
    current = fetch_models(Ticket, sql.current_sql(), {"window": window.pk}, extra=("window_paused",))
    if current:
        paused = current[0].window_paused
    else:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {sql.paused_sql()}", {"window": window.pk})
            paused = cursor.fetchone()[0]
    if paused:
        raise _paused()
    today = timezone.localdate(now)
    for ticket in current:
        stale = ticket.day != today
        if ticket.status == TicketStatus.CALLED and not stale and not finish_current:
            raise _busy(ticket)
        to = TicketStatus.SKIPPED if ticket.status == TicketStatus.CALLED and stale else TicketStatus.DONE
        transition(ticket, to, action="finish" if to == TicketStatus.DONE else "skip", now=now, actor=actor,
                   note=FINISH_NOTE)


def ticket_call_next(*, actor, window: Window, now: datetime | None = None,
                     finish_current: bool = False) -> Ticket | None:
    """Claim the first ticket of the window's queue; two windows never get the same one.

    On PostgreSQL one statement does everything: a clerk presses this for every citizen, and
    eight windows calling at once wait on round trips, not on work. Elsewhere the same steps
    run in a transaction; both are held to one set of tests."""
    now = now or timezone.now()
    if connection.vendor == "postgresql":
        return _call_next_in_one_statement(actor, window, now, finish_current)
    with transaction.atomic():
        _ready_to_call(window, actor, now, finish_current=finish_current)
        with connection.cursor() as cursor:
            cursor.execute(sql.head_sql(window_levels(window)), queue_params(window, now, 1))
            head = cursor.fetchone()
        if head is None:
            return None
        ticket = Ticket.objects.get(pk=head[0])
        if not transition(ticket, TicketStatus.CALLED, action="call", now=now, actor=actor, event_window_id=window.pk,
                          called_at=now, window=window, staff=actor, recalls=0):
            raise Conflict("叫号繁忙，请重试")
    return _with_category(ticket)


def _with_category(ticket: Ticket) -> Ticket:
    ticket.category = CATEGORIES.get(ticket.category_id, lambda: TicketCategory.objects.get(pk=ticket.category_id))
    return ticket


def _call_next_in_one_statement(actor, window: Window, now: datetime, finish_current: bool) -> Ticket | None:
    _require_open(window)
    params = queue_params(window, now, 1) | {"finish_current": finish_current, "actor": actor.pk, "note": FINISH_NOTE}
    rows: dict[str, list[Ticket]] = {"current": [], "finished": [], "called": [], "paused": []}
    # Callers run it on its own (autocommit); inside someone's transaction a savepoint keeps a
    # refused double call from breaking that transaction.
    try:
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            found = fetch_models(Ticket, sql.call_next_statement(window_levels(window)), params, extra=("kind",))
    except IntegrityError:  # ticket_one_current_per_window: another press at this window called first
        raise _double_call() from None
    for row in found:
        rows[row.kind].append(row)
    if rows["paused"]:
        raise _paused()
    if not rows["finished"]:
        today = timezone.localdate(now)
        for ticket in rows["current"]:
            if ticket.status == TicketStatus.CALLED and ticket.day == today and not finish_current:
                raise _busy(ticket)
    if rows["finished"] or rows["called"]:
        hall_changed()
    for ticket in rows["finished"]:
        if ticket.status == TicketStatus.DONE:
            announce_finished(ticket)
    if not rows["called"]:
        return None
    ticket = rows["called"][0]
    ticket.window, ticket.staff = window, actor
    return _with_category(ticket)


def ticket_call(*, actor, window: Window, ticket: Ticket, now: datetime | None = None) -> Ticket:
    """Call one chosen waiting ticket (a citizen at the desk, a ticket from another category)."""
    try:
        return _call_chosen(actor, window, ticket, now or timezone.now())
    except IntegrityError:  # ticket_one_current_per_window: the window called someone meanwhile
        raise _double_call() from None


@transaction.atomic
def _call_chosen(actor, window: Window, ticket: Ticket, now: datetime) -> Ticket:
    _ready_to_call(window, actor, now, finish_current=False)
    if ticket.center_id != window.center_id:
        raise NotFound("未找到该号")
    if ticket.day != timezone.localdate(now):
        raise Conflict("只能呼叫今天的号", code="invalid_state")
    if not transition(ticket, TicketStatus.CALLED, action="call", now=now, actor=actor, event_window_id=window.pk,
                      note=CHOSEN_CALL, called_at=now, window=window, staff=actor, recalls=0):
        raise Conflict("该号刚被其他窗口呼叫，请刷新", code="invalid_state")
    return ticket
