"""A ticket's life apart from calling: issuing (numbered per centre, category and day), the
transition every change goes through, the terminal's other buttons, transfers and the nightly
expiry. Ticket actions are recorded in the ticket's own history (`TicketEvent`, which the
statistics read), not in the audit log: a hall makes hundreds an hour."""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from servicehall.db import queue as sql
from servicehall.db.caches import ACTIVE_CATEGORIES
from servicehall.db.rows import insert_row, update_then_insert
from servicehall.lib.errors import Conflict, Invalid
from servicehall.lib.identity import IdentityError, validate_citizen_id, validate_mobile
from servicehall.lib.signals import send_after_commit
from servicehall.org.models import ServiceCenter, Window

from ..models import TRANSITIONS, Appointment, Ticket, TicketCategory, TicketEvent, TicketStatus
from ..selectors import hall_changed, hall_closed
from ..signals import ticket_finished
from .setup import settings_for


def clean_phone(phone: str | None) -> str:
    if not phone:
        return ""
    try:
        return validate_mobile(phone)
    except IdentityError as exc:
        raise Invalid(exc.labelled("手机号码"), field="phone") from exc


def _clean_id_number(id_number: str | None, now: datetime) -> str:
    if not id_number:
        return ""
    try:
        return validate_citizen_id(id_number, today=timezone.localdate(now))
    except IdentityError as exc:
        raise Invalid(exc.labelled("身份证号码"), field="id_number") from exc


def active_category(center: ServiceCenter, prefix: str) -> TicketCategory:
    prefix = (prefix or "").strip().upper()
    category = ACTIVE_CATEGORIES.get((center.pk, prefix), lambda: TicketCategory.objects.filter(
        center=center, prefix=prefix, is_active=True).first())
    if category is None:
        raise Invalid("业务类别：请选择本中心开放的业务类别", field="category")
    return category


def create_ticket(*, center, category, now, **fields) -> Ticket:
    """Number and store a ticket with its first event. On PostgreSQL one statement does it all
    (`db.queue.issue_statement`), so a kiosk waits for one round trip and the category's
    counter row is locked only for that statement; elsewhere the same steps run in a
    transaction."""
    day = timezone.localdate(now)
    ticket = Ticket(center=center, category=category, day=day, seq=0, issued_at=now, queued_at=now, **fields)
    ticket.ahead_at_issue = None  # the slip's "people ahead", when the issuing statement counted them
    capacity = min(category.daily_capacity, 999)
    if connection.vendor == "postgresql" and capacity >= 1:
        statement, prepared = sql.issue_statement()
        # On PostgreSQL the ORM's preparation of these field types (no auto_now among them) leaves
        # the values as they are and psycopg adapts them; skipping it saves a call per field.
        params = {f.attname: getattr(ticket, f.attname) for f in prepared}
        with connection.cursor() as cursor:
            cursor.execute(statement, params | {"prefix": category.prefix, "capacity": capacity})
            row = cursor.fetchone()
        if row is not None:
            ticket.pk, ticket.seq, ticket.ahead_at_issue = row
            ticket._state.adding, ticket._state.db = False, connection.alias
    elif capacity >= 1:
        with transaction.atomic():
            seq = sql.raise_counter(center.pk, category.pk, day, capacity)
            if seq is not None:
                ticket.seq, ticket.number = seq, f"{category.prefix}{seq:03d}"
                insert_row(ticket)
                insert_row(TicketEvent(ticket=ticket, center=center, action="issue", to_status=TicketStatus.WAITING,
                                       at=now))
    if ticket.pk is None:
        raise Conflict(f"“{category.name}”今日号源已满，请明日再来或预约", field="category")
    ticket.number = f"{category.prefix}{ticket.seq:03d}"
    hall_changed()
    return ticket


def ticket_issue(*, center: ServiceCenter, prefix: str, green_channel: bool = False, phone: str = "",
                 id_number: str = "", now: datetime | None = None) -> Ticket:
    """A new ticket in the category with letter `prefix`, numbered per centre, category and day;
    only on the centre's working days and within its hours."""
    now = now or timezone.now()
    closed = hall_closed(center, now)
    if closed:
        raise Conflict(closed, code="hall_closed")
    category = active_category(center, prefix)
    phone = clean_phone(phone)
    id_number = _clean_id_number(id_number, now)
    return create_ticket(center=center, category=category, now=now, green_channel=green_channel, phone=phone,
                         id_number=id_number)


def announce_finished(ticket: Ticket) -> None:
    """Tell the apps above (reviews) once the finish has committed."""
    send_after_commit(ticket_finished, Ticket, ticket=ticket)


def transition(ticket: Ticket, to: str, *, action: str, now: datetime, actor=None, event_window_id=None, note="",
               **fields) -> bool:
    """Compare-and-set the ticket's status (plus `fields`) and record the event; False when
    another request changed it first. The instance is updated in place."""
    if to not in TRANSITIONS[TicketStatus(ticket.status)]:
        raise Conflict(f"该号当前为“{ticket.get_status_display()}”，不能{note or action}", code="invalid_state")
    event = TicketEvent(ticket_id=ticket.pk, center_id=ticket.center_id, action=action, from_status=ticket.status,
                        to_status=to, window_id=event_window_id or ticket.window_id, actor=actor, at=now, note=note)
    before = _waiting_key(ticket)
    # The queue the caller saw is part of the expected state: a stale copy of a ticket that was
    # called and transferred meanwhile must not move the wrong category's waiting count.
    expected = {"id": ticket.pk, "status": ticket.status, "category_id": ticket.category_id,
                "target_window_id": ticket.target_window_id}
    if not update_then_insert(Ticket, expected, {"status": to, **fields}, event):
        return False
    ticket.status = to
    for name, value in fields.items():
        setattr(ticket, name, value)
    after = _waiting_key(ticket)
    if before != after:
        for key, delta in ((before, -1), (after, 1)):
            if key is not None:
                sql.count_waiting(ticket.center_id, *key, delta)
    hall_changed()
    if to == TicketStatus.DONE:
        announce_finished(ticket)
    return True


def _waiting_key(ticket: Ticket) -> tuple[int, date] | None:
    """The counter whose `waiting` includes the ticket, if any."""
    if ticket.status == TicketStatus.WAITING and ticket.target_window_id is None:
        return ticket.category_id, ticket.day
    return None


ACTIONS = {  # action → (target status, Chinese verb)
    "recall": (TicketStatus.CALLED, "重呼"),
    "start": (TicketStatus.SERVING, "开始办理"),
    "finish": (TicketStatus.DONE, "办结"),
    "skip": (TicketStatus.SKIPPED, "过号"),
    "cancel": (TicketStatus.CANCELLED, "取消"),
}


@transaction.atomic
def ticket_act(*, actor, ticket: Ticket, action: str, now: datetime | None = None) -> Ticket:
    """recall / start / finish / skip / cancel; an action that does not fit the state → 409.

    Skip marks a no-show and is allowed only after the centre's number of recalls, so a
    citizen who is walking to the window is not skipped after one call."""
    now = now or timezone.now()
    if action not in ACTIONS:
        raise Invalid("操作：不支持的叫号操作", field="action")
    to, verb = ACTIONS[action]
    if action == "recall":
        if ticket.status != TicketStatus.CALLED:
            raise Conflict(f"该号当前为“{ticket.get_status_display()}”，不能重呼", code="invalid_state")
        if not Ticket.objects.filter(pk=ticket.pk, status=TicketStatus.CALLED).update(recalls=F("recalls") + 1):
            raise Conflict("该号状态刚发生变化，请刷新", code="invalid_state")
        insert_row(TicketEvent(ticket_id=ticket.pk, center_id=ticket.center_id, action="recall",
                               from_status=ticket.status, to_status=ticket.status, window_id=ticket.window_id,
                               actor=actor, at=now))
        hall_changed()
        ticket.refresh_from_db()
    else:
        if action == "skip" and ticket.status == TicketStatus.CALLED:
            needed = settings_for(ticket.center).recalls_before_skip
            if ticket.recalls < needed:
                raise Conflict(f"需重呼{needed}次仍未到场才能过号（已重呼{ticket.recalls}次）", code="recall_first")
        if not transition(ticket, to, action=action, now=now, actor=actor, note=verb):
            raise Conflict("该号状态刚发生变化，请刷新", code="invalid_state")
    return ticket


@transaction.atomic
def ticket_transfer(*, actor, ticket: Ticket, category: TicketCategory | None = None, window: Window | None = None,
                    now: datetime | None = None) -> Ticket:
    """Send a called or serving ticket back to the queue of another category or window; it
    keeps its number and its place (`queued_at` stays the original issue time)."""
    now = now or timezone.now()
    if (category is None) == (window is None):
        raise Invalid("请选择转往的业务类别或窗口（二选一）", field="category")
    if category is not None and (category.center_id != ticket.center_id or not category.is_active):
        raise Invalid("业务类别：请选择本中心开放的业务类别", field="category")
    if window is not None and (window.center_id != ticket.center_id or not window.is_active):
        raise Invalid("窗口：请选择本中心启用的窗口", field="window")
    if window is not None and window.pk == ticket.window_id:
        raise Invalid("窗口：不能转给本窗口", field="window")
    note = f"转至{category.prefix} {category.name}" if category else f"转至{window.number}号窗口"
    fields = {"category_id": category.pk, "target_window": None} if category else {"target_window_id": window.pk}
    if not transition(ticket, TicketStatus.WAITING, action="transfer", now=now, actor=actor, note=note,
                      window_id=None, staff=None, called_at=None, recalls=0, **fields):
        raise Conflict("该号状态刚发生变化，请刷新", code="invalid_state")
    ticket.refresh_from_db()
    return ticket


@transaction.atomic
def tickets_expire(*, before: date, now: datetime | None = None) -> int:
    """Close earlier days' waiting tickets as expired (they are never called on a new day)."""
    now = now or timezone.now()
    count = 0
    for ticket in Ticket.objects.filter(day__lt=before, status=TicketStatus.WAITING):
        count += transition(ticket, TicketStatus.EXPIRED, action="expire", now=now, note="过期")
    return count


def contact_data_purge(now: datetime | None = None) -> int:
    """Blank the phone and ID numbers of tickets and bookings older than
    SH_PERSONAL_DATA_DAYS (PIPL: kept no longer than needed; the figures keep the rows). A
    booking's ID number is longer needed than the no-show blocks look back (30 days)."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.SH_PERSONAL_DATA_DAYS)
    tickets = Ticket.objects.filter(issued_at__lt=cutoff).exclude(phone_index="", id_number_index="").update(
        phone="", phone_index="", id_number="", id_number_index="")
    bookings = Appointment.objects.filter(day__lt=timezone.localdate(cutoff)).exclude(holder_index="").update(
        holder="", holder_index="", phone="", phone_index="")
    return tickets + bookings
