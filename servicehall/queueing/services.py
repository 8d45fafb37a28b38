"""Issuing, calling and transferring tickets; window pauses; appointments.

Citizens' and staff's ticket actions are recorded in the ticket's own history (`TicketEvent`,
which statistics read); the hall sees hundreds of them an hour, so they are not copied into
the audit log. Changes to a centre's queue rules, categories and window pauses are audited.
"""

import secrets
from contextlib import nullcontext
from datetime import date, datetime, timedelta
from functools import cache, lru_cache

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from servicehall.audit.services import audit_record
from servicehall.db.caches import ACTIVE_CATEGORIES, CATEGORIES, WINDOW_LEVELS
from servicehall.db.rows import fetch_models, insert_row, select_columns, update_then_insert
from servicehall.lib.errors import Conflict, Invalid, NotFound, full_clean_or_invalid
from servicehall.lib.identity import IdentityError, validate_citizen_id, validate_credit_code, validate_mobile
from servicehall.org.models import ServiceCenter, Window

from .models import (
    ACTIVE_APPOINTMENT,
    APPOINTMENT_TRANSITIONS,
    TRANSITIONS,
    Appointment,
    AppointmentEvent,
    AppointmentStatus,
    CategoryWindow,
    QueueSettings,
    Ticket,
    TicketCategory,
    TicketCounter,
    TicketEvent,
    TicketStatus,
    WindowState,
)
from .selectors import booking_block_until, hall_changed, slots_for


def settings_for(center: ServiceCenter) -> QueueSettings:
    """The centre's queue settings, created with the defaults on first use."""
    found = QueueSettings.objects.filter(center=center).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return QueueSettings.objects.create(center=center)
    except IntegrityError:
        return QueueSettings.objects.get(center=center)


def _bump_revision(center_id: int) -> None:
    QueueSettings.objects.filter(center_id=center_id).update(revision=F("revision") + 1)
    hall_changed()


def hall_org_changed(sender, instance, **kwargs) -> None:
    """A window or centre was saved or removed (org's signals): the hall displays show window
    names and the centre's name, so their version must change too."""
    _bump_revision(instance.pk if isinstance(instance, ServiceCenter) else instance.center_id)


def _next_seq(category: TicketCategory, day: date) -> int | None:
    """Raise the day's counter of a category and return the new number, or None when the
    day's capacity is used up. The counter row stays locked until the ticket is committed,
    so kiosks of one category issue one after another."""
    capacity = min(category.daily_capacity, 999)
    if capacity < 1:
        return None
    table = connection.ops.quote_name(TicketCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} (center_id, category_id, day, last, waiting) VALUES (%s, %s, %s, 1, 1) "
                       f"ON CONFLICT (category_id, day) DO UPDATE SET last = {table}.last + 1, "
                       f"waiting = {table}.waiting + 1 WHERE {table}.last < %s RETURNING last",
                       [category.center_id, category.pk, connection.ops.adapt_datefield_value(day), capacity])
        row = cursor.fetchone()
    return row[0] if row else None


def _clean_phone(phone: str | None) -> str:
    if not phone:
        return ""
    try:
        return validate_mobile(phone)
    except IdentityError as exc:
        raise Invalid(f"手机号码：{exc.message}", field="phone") from exc


def _clean_id_number(id_number: str | None, now: datetime) -> str:
    if not id_number:
        return ""
    try:
        return validate_citizen_id(id_number, today=timezone.localdate(now))
    except IdentityError as exc:
        raise Invalid(f"身份证号码：{exc.message}", field="id_number") from exc


def _active_category(center: ServiceCenter, prefix: str) -> TicketCategory:
    prefix = (prefix or "").strip().upper()
    category = ACTIVE_CATEGORIES.get((center.pk, prefix), lambda: TicketCategory.objects.filter(
        center=center, prefix=prefix, is_active=True).first())
    if category is None:
        raise Invalid("业务类别：请选择本中心开放的业务类别", field="category")
    return category


def _create_ticket(*, center, category, now, **fields) -> Ticket:
    """Number and store a ticket with its first event. On PostgreSQL one statement does it all
    (`_issue_statement`), so a kiosk waits for one round trip and the category's counter row
    is locked only for that statement; elsewhere the same steps run in a transaction."""
    day = timezone.localdate(now)
    ticket = Ticket(center=center, category=category, day=day, seq=0, issued_at=now, queued_at=now, **fields)
    ticket.ahead_at_issue = None  # the slip's "people ahead", when the issuing statement counted them
    capacity = min(category.daily_capacity, 999)
    if connection.vendor == "postgresql" and capacity >= 1:
        sql, prepared = _issue_statement()
        # On PostgreSQL the ORM's preparation of these field types (no auto_now among them) leaves
        # the values as they are and psycopg adapts them; skipping it saves a call per field.
        params = {f.attname: getattr(ticket, f.attname) for f in prepared}
        with connection.cursor() as cursor:
            cursor.execute(sql, params | {"prefix": category.prefix, "capacity": capacity})
            row = cursor.fetchone()
        if row is not None:
            ticket.pk, ticket.seq, ticket.ahead_at_issue = row
            ticket._state.adding, ticket._state.db = False, connection.alias
    else:
        with transaction.atomic():
            seq = _next_seq(category, day)
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


@cache
def _issue_statement():
    """PostgreSQL: raise the counter (unless the day's capacity is reached), insert the ticket
    and its `issue` event, and say how many wait ahead of it, in one statement. For a plain
    ticket that is the category's waiting count before this one, read from the counter row
    under its lock (counting the backlog cost a heap visit per waiting ticket); a green-channel
    ticket has only the green ones ahead, counted along the small index of such tickets."""
    q = connection.ops.quote_name
    counter, ticket, event = (q(m._meta.db_table) for m in (TicketCounter, Ticket, TicketEvent))
    fields = [f for f in Ticket._meta.concrete_fields if not f.primary_key]
    computed = {"seq": "c.last", "number": "%(prefix)s || lpad(c.last::text, 3, '0')"}
    values = ", ".join(computed.get(f.name, f"%({f.attname})s") for f in fields)
    sql = (
        f"WITH c AS (INSERT INTO {counter} (center_id, category_id, day, last, waiting) "
        f"VALUES (%(center_id)s, %(category_id)s, %(day)s, 1, 1) ON CONFLICT (category_id, day) "
        f"DO UPDATE SET last = {counter}.last + 1, waiting = {counter}.waiting + 1 "
        f"WHERE {counter}.last < %(capacity)s RETURNING last, waiting), "
        f"t AS (INSERT INTO {ticket} ({', '.join(q(f.column) for f in fields)}) SELECT {values} FROM c "
        f"RETURNING id, seq), "
        f"e AS (INSERT INTO {event} (ticket_id, center_id, action, from_status, to_status, window_id, actor_id, at, note) "
        f"SELECT t.id, %(center_id)s, 'issue', '', 'waiting', NULL, NULL, %(issued_at)s, '' FROM t) "
        f"SELECT t.id, t.seq, CASE WHEN %(green_channel)s THEN (SELECT COUNT(*) FROM {ticket} x "
        f"WHERE x.center_id = %(center_id)s AND x.day = %(day)s AND x.category_id = %(category_id)s "
        f"AND x.status = 'waiting' AND x.target_window_id IS NULL AND x.green_channel) "
        f"ELSE GREATEST((SELECT waiting FROM c) - 1, 0) END FROM t"
    )
    return sql, [f for f in fields if f.name not in computed]


def ticket_issue(*, center: ServiceCenter, prefix: str, green_channel: bool = False, phone: str = "",
                 id_number: str = "", now: datetime | None = None) -> Ticket:
    """A new ticket in the category with letter `prefix`, numbered per centre, category and day."""
    now = now or timezone.now()
    category = _active_category(center, prefix)
    phone = _clean_phone(phone)
    id_number = _clean_id_number(id_number, now)
    return _create_ticket(center=center, category=category, now=now, green_channel=green_channel, phone=phone,
                          id_number=id_number)


# Tickets that can jump the arrival order: green channel, appointments, transfers to a window.
# Few at any time, so they are ranked apart from the plain first-come backlog (see `_head_sql`).
RARE = "(t.green_channel OR t.slot_start IS NOT NULL OR t.target_window_id IS NOT NULL)"


# The calling order (window_queue shows it, call-next takes its head): green channel, then a
# checked-in appointment whose slot is running, then the window's priority for the category,
# then arrival.
QUEUE_ORDER = ("{t}green_channel DESC, CASE WHEN {t}slot_start <= %(now)s AND {t}slot_end > %(now)s THEN 0 ELSE 1 END, "
               "{rank}, {t}queued_at, {t}id")


def _queue_sql(*, where: str = "", lock: bool = False, columns: str = "") -> str:
    ticket, link, category = (connection.ops.quote_name(m._meta.db_table) for m in (Ticket, CategoryWindow, TicketCategory))
    return (
        f"SELECT {columns or select_columns(Ticket, 't')}, COALESCE(cw.priority, 0) AS rank FROM {ticket} t "
        f"LEFT JOIN {link} cw ON cw.category_id = t.category_id AND cw.window_id = %(window)s "
        f"LEFT JOIN {category} c ON c.id = t.category_id "
        f"WHERE t.center_id = %(center)s AND t.day = %(day)s AND t.status = 'waiting' "
        f"AND (t.target_window_id = %(window)s OR (t.target_window_id IS NULL AND cw.id IS NOT NULL AND c.is_active)) "
        f"{where} ORDER BY {QUEUE_ORDER.format(t='t.', rank='COALESCE(cw.priority, 0)')} LIMIT %(limit)s"
        + _lock_clause(lock, "t")
    )


def _lock_clause(lock: bool, alias: str) -> str:
    """SKIP LOCKED with LIMIT 1: each window locks only the ticket it claims, so the others
    take the next ones in order instead of waiting or skipping a batch."""
    return f" FOR UPDATE OF {alias} SKIP LOCKED" if lock and connection.features.has_select_for_update_skip_locked else ""


def _queue_params(window: Window, now: datetime, limit: int) -> dict:
    ops = connection.ops
    return {"window": window.pk, "center": window.center_id, "day": ops.adapt_datefield_value(timezone.localdate(now)),
            "now": ops.adapt_datetimefield_value(now), "limit": limit}


def window_queue(window: Window, now: datetime, *, limit: int = 200) -> list[Ticket]:
    """The window's waiting tickets in calling order (QUEUE_ORDER); a transferred ticket keeps
    its place, tickets transferred to another window are left out. Call-next finds the first of
    them the fast way (`_head_sql`); a test holds the two to the same order."""
    return fetch_models(Ticket, _queue_sql(), _queue_params(window, now, limit), extra=("rank",))


def window_waiting_counts(window: Window, now: datetime) -> list[tuple[tuple[str, str], int]]:
    """((prefix, name), count) of every category in the window's queue, all of it."""
    sql = (f"SELECT prefix, name, COUNT(*) FROM ({_queue_sql(columns='c.prefix, c.name')}) q "
           "GROUP BY prefix, name ORDER BY prefix")
    with connection.cursor() as cursor:
        cursor.execute(sql, _queue_params(window, now, limit=10**9))
        return [((prefix, name), n) for prefix, name, n in cursor.fetchall()]


def _window_levels(window: Window) -> tuple[tuple[int, tuple[int, ...]], ...]:
    """(priority, active category ids) of the window, smallest priority number first."""
    def load():
        levels: dict[int, list[int]] = {}
        for category_id, priority in (CategoryWindow.objects.filter(window=window, category__is_active=True)
                                      .values_list("category_id", "priority")):
            levels.setdefault(priority, []).append(category_id)
        return tuple(sorted((p, tuple(ids)) for p, ids in levels.items()))
    return WINDOW_LEVELS.get(window.pk, load)


# What the head of the queue is chosen by (QUEUE_ORDER), and nothing more: the claim reads the rest.
HEAD_COLUMNS = "t.id, t.green_channel, t.slot_start, t.slot_end, t.queued_at"


@lru_cache(maxsize=256)  # one per distinct window set-up
def _head_sql(levels: tuple[tuple[int, tuple[int, ...]], ...], *, gate: str = "") -> str:
    """The id of the first ticket of `window_queue`, locked, without sorting the whole backlog.

    Candidates: the first of the few tickets that can jump the order (RARE), ranked with the
    full order, and the first plain ticket of each of the window's priority `levels`, read in
    arrival order along a partial index, LIMIT 1 each. QUEUE_ORDER then picks among these few.
    Candidates that lose stay locked only until the claim commits. `gate` is an extra condition
    on every candidate (the one-statement call-next's "window free and open")."""
    table = connection.ops.quote_name(Ticket._meta.db_table)
    parts = [_queue_sql(where=f"AND {RARE} {gate}", lock=True, columns=HEAD_COLUMNS)]
    for priority, categories in levels:
        parts.append(
            f"SELECT {HEAD_COLUMNS}, {priority} AS rank FROM {table} t WHERE t.center_id = %(center)s "
            f"AND t.day = %(day)s AND t.status = 'waiting' AND NOT {RARE} "
            f"AND t.category_id IN ({', '.join(map(str, categories))}) {gate} ORDER BY t.queued_at, t.id LIMIT 1"
            + _lock_clause(True, "t"))
    union = " UNION ALL ".join(f"SELECT * FROM ({part}) c{i}" for i, part in enumerate(parts))
    return f"SELECT h.id FROM ({union}) h ORDER BY {QUEUE_ORDER.format(t='h.', rank='h.rank')} LIMIT 1"


# Called after the commit of every finished ticket, with the ticket (higher layers register:
# the review invitation by SMS). Kept as a list so queueing never imports them.
TICKET_FINISHED_HOOKS: list = []


def _transition(ticket: Ticket, to: str, *, action: str, now: datetime, actor=None, event_window_id=None, note="",
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
                _count_waiting(ticket.center_id, *key, delta)
    hall_changed()
    if to == TicketStatus.DONE:
        for hook in TICKET_FINISHED_HOOKS:
            transaction.on_commit(lambda hook=hook: hook(ticket))
    return True


def _waiting_key(ticket: Ticket) -> tuple[int, date] | None:
    """The counter whose `waiting` includes the ticket, if any."""
    if ticket.status == TicketStatus.WAITING and ticket.target_window_id is None:
        return ticket.category_id, ticket.day
    return None


def _count_waiting(center_id: int, category_id: int, day: date, delta: int) -> None:
    """Add `delta` to the category's waiting count of `day` (a transfer may bring the first
    ticket of the day into a category, so the row is created if need be)."""
    table = connection.ops.quote_name(TicketCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} (center_id, category_id, day, last, waiting) VALUES (%s, %s, %s, 0, %s) "
                       f"ON CONFLICT (category_id, day) DO UPDATE SET waiting = {table}.waiting + %s",
                       [center_id, category_id, connection.ops.adapt_datefield_value(day), max(delta, 0), delta])


FINISH_NOTE = "叫下一位时自动结束"


def _require_open(window: Window) -> None:
    if not window.is_active:
        raise Conflict("该窗口已停用", field="window")


def _paused() -> Conflict:
    return Conflict("窗口已暂停服务，请先恢复服务再叫号", field="window", code="window_paused")


def _busy(ticket: Ticket) -> Conflict:
    return Conflict(f"当前号{ticket.number}尚未办理：请先办结、过号或转移", code="window_busy")


def _ready_to_call(window: Window, actor, now: datetime, *, finish_current: bool) -> None:
    """A window calls only when open and free. The ticket it is serving is finished by the
    call (one click to the next citizen); a called ticket that was never started is finished
    too when the clerk says so (`finish_current`: 办结并叫下一位), otherwise it must be
    started, skipped or transferred first, so a no-show is not counted as served."""
    _require_open(window)
    ticket_table, state_table = (connection.ops.quote_name(m._meta.db_table) for m in (Ticket, WindowState))
    paused_sql = f"(SELECT ws.paused FROM {state_table} ws WHERE ws.window_id = %(window)s)"
    # One statement for the usual case (a current ticket to finish); a second only when there is none.
    current = fetch_models(Ticket, f"SELECT {select_columns(Ticket, 't')}, {paused_sql} FROM {ticket_table} t "
                           f"WHERE t.window_id = %(window)s AND t.status IN ('called', 'serving')", {"window": window.pk},
                           extra=("window_paused",))
    if current:
        paused = current[0].window_paused
    else:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {paused_sql}", {"window": window.pk})
            paused = cursor.fetchone()[0]
    if paused:
        raise _paused()
    today = timezone.localdate(now)
    for ticket in current:
        stale = ticket.day != today
        if ticket.status == TicketStatus.CALLED and not stale and not finish_current:
            raise _busy(ticket)
        to = TicketStatus.SKIPPED if ticket.status == TicketStatus.CALLED and stale else TicketStatus.DONE
        _transition(ticket, to, action="finish" if to == TicketStatus.DONE else "skip", now=now, actor=actor,
                    note=FINISH_NOTE)


def ticket_call_next(*, actor, window: Window, now: datetime | None = None, finish_current: bool = False) -> Ticket | None:
    """Claim the first ticket of the window's queue; two windows never get the same one.

    On PostgreSQL one statement does everything (`_call_next_statement`): a clerk presses this
    for every citizen, and eight windows calling at once wait on round trips, not on work.
    Elsewhere the same steps run in a transaction; both are held to one set of tests."""
    now = now or timezone.now()
    if connection.vendor == "postgresql":
        return _call_next_in_one_statement(actor, window, now, finish_current)
    with transaction.atomic():
        _ready_to_call(window, actor, now, finish_current=finish_current)
        with connection.cursor() as cursor:
            cursor.execute(_head_sql(_window_levels(window)), _queue_params(window, now, 1))
            head = cursor.fetchone()
        if head is None:
            return None
        ticket = Ticket.objects.get(pk=head[0])
        if not _transition(ticket, TicketStatus.CALLED, action="call", now=now, actor=actor, event_window_id=window.pk,
                           called_at=now, window=window, staff=actor, recalls=0):
            raise Conflict("叫号繁忙，请重试")
    return _with_category(ticket)


def _with_category(ticket: Ticket) -> Ticket:
    ticket.category = CATEGORIES.get(ticket.category_id, lambda: TicketCategory.objects.get(pk=ticket.category_id))
    return ticket


@lru_cache(maxsize=256)
def _call_next_statement(levels: tuple[tuple[int, tuple[int, ...]], ...]) -> str:
    """PostgreSQL: the rules of `_ready_to_call` and the claim of `_head_sql`, in one statement.

    `cur` locks what the window is serving; `gate` says whether it may call (not paused, and no
    called ticket of today left unfinished unless `finish_current`); if so, `fin` finishes the
    current tickets (a stale called one is skipped), the head of the queue is claimed, and each
    change gets its event row, and the claimed ticket leaves its category's waiting count. The
    rows that come back say which of these happened (the current tickets only when the gate
    refused: otherwise they come back finished).

    The claim finds its row by key alone. `head` locked it while it was waiting (a row that
    changed meanwhile is re-checked or skipped), so asking for `status = 'waiting'` again would
    change nothing but the plan: while the table's statistics are older than the day's tickets,
    PostgreSQL then read every waiting ticket through the waiting-ticket index to find the one,
    1.8 ms per call at 4,200 waiting (auto_explain; docs/decisions.md)."""
    q = connection.ops.quote_name
    ticket, state, event, counter = (q(m._meta.db_table) for m in (Ticket, WindowState, TicketEvent, TicketCounter))
    columns = select_columns(Ticket, "t")
    blanks = ", ".join(["NULL"] * len(Ticket._meta.concrete_fields))
    event_columns = "ticket_id, center_id, action, from_status, to_status, window_id, actor_id, at, note"
    return (
        f"WITH ws AS (SELECT COALESCE((SELECT paused FROM {state} WHERE window_id = %(window)s), false) AS paused), "
        f"cur AS (SELECT {columns} FROM {ticket} t WHERE t.window_id = %(window)s AND t.status IN ('called', 'serving') "
        f"FOR UPDATE), "
        f"gate AS (SELECT NOT ws.paused AND NOT EXISTS (SELECT 1 FROM cur WHERE cur.status = 'called' "
        f"AND cur.day = %(day)s AND NOT %(finish_current)s) AS ok FROM ws), "
        f"fin AS (UPDATE {ticket} t SET status = CASE WHEN cur.status = 'called' AND cur.day <> %(day)s "
        f"THEN 'skipped' ELSE 'done' END FROM cur, gate WHERE t.id = cur.id AND gate.ok "
        f"RETURNING {columns}), "
        f"head AS ({_head_sql(levels, gate='AND (SELECT ok FROM gate)')}), "
        f"claim AS (UPDATE {ticket} t SET status = 'called', called_at = %(now)s, window_id = %(window)s, "
        f"staff_id = %(actor)s, recalls = 0 WHERE t.id = (SELECT id FROM head) RETURNING {columns}), "
        f"ev AS (INSERT INTO {event} ({event_columns}) SELECT fin.id, fin.center_id, "
        f"CASE WHEN fin.status = 'done' THEN 'finish' ELSE 'skip' END, cur.status, fin.status, fin.window_id, "
        f"%(actor)s, %(now)s, %(note)s FROM fin JOIN cur ON cur.id = fin.id UNION ALL SELECT claim.id, "
        f"claim.center_id, 'call', 'waiting', 'called', %(window)s, %(actor)s, %(now)s, '' FROM claim), "
        f"lq AS (UPDATE {counter} k SET waiting = k.waiting - 1 FROM claim WHERE k.category_id = claim.category_id "
        f"AND k.day = claim.day AND claim.target_window_id IS NULL) "
        f"SELECT cur.*, 'current' FROM cur, gate WHERE NOT gate.ok UNION ALL SELECT fin.*, 'finished' FROM fin "
        f"UNION ALL SELECT claim.*, 'called' FROM claim UNION ALL SELECT {blanks}, 'paused' FROM ws WHERE ws.paused"
    )


def _call_next_in_one_statement(actor, window: Window, now: datetime, finish_current: bool) -> Ticket | None:
    _require_open(window)
    params = _queue_params(window, now, 1) | {"finish_current": finish_current, "actor": actor.pk, "note": FINISH_NOTE}
    rows: dict[str, list[Ticket]] = {"current": [], "finished": [], "called": [], "paused": []}
    # Callers run it on its own (autocommit); inside someone's transaction a savepoint keeps a
    # refused double call from breaking that transaction.
    try:
        with transaction.atomic() if connection.in_atomic_block else nullcontext():
            found = fetch_models(Ticket, _call_next_statement(_window_levels(window)), params, extra=("kind",))
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
            for hook in TICKET_FINISHED_HOOKS:
                transaction.on_commit(lambda hook=hook, ticket=ticket: hook(ticket))
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


def _double_call() -> Conflict:
    return Conflict("该窗口刚刚叫过号，请勿重复点击", code="window_busy")


@transaction.atomic
def _call_chosen(actor, window: Window, ticket: Ticket, now: datetime) -> Ticket:
    _ready_to_call(window, actor, now, finish_current=False)
    if ticket.center_id != window.center_id:
        raise NotFound("未找到该号")
    if ticket.day != timezone.localdate(now):
        raise Conflict("只能呼叫今天的号", code="invalid_state")
    if not _transition(ticket, TicketStatus.CALLED, action="call", now=now, actor=actor, event_window_id=window.pk,
                       note="指定呼叫", called_at=now, window=window, staff=actor, recalls=0):
        raise Conflict("该号刚被其他窗口呼叫，请刷新", code="invalid_state")
    return ticket


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
        raise NotFound("不支持的操作")
    to, verb = ACTIONS[action]
    if action == "recall":
        if ticket.status != TicketStatus.CALLED:
            raise Conflict(f"该号当前为“{ticket.get_status_display()}”，不能重呼", code="invalid_state")
        if not Ticket.objects.filter(pk=ticket.pk, status=TicketStatus.CALLED).update(recalls=F("recalls") + 1):
            raise Conflict("该号状态刚发生变化，请刷新", code="invalid_state")
        insert_row(TicketEvent(ticket_id=ticket.pk, center_id=ticket.center_id, action="recall", from_status=ticket.status,
                               to_status=ticket.status, window_id=ticket.window_id, actor=actor, at=now))
        hall_changed()
        ticket.refresh_from_db()
    else:
        if action == "skip" and ticket.status == TicketStatus.CALLED:
            needed = settings_for(ticket.center).recalls_before_skip
            if ticket.recalls < needed:
                raise Conflict(f"需重呼{needed}次仍未到场才能过号（已重呼{ticket.recalls}次）", code="recall_first")
        if not _transition(ticket, to, action=action, now=now, actor=actor, note=verb):
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
    if not _transition(ticket, TicketStatus.WAITING, action="transfer", now=now, actor=actor, note=note,
                       window_id=None, staff=None, called_at=None, recalls=0, **fields):
        raise Conflict("该号状态刚发生变化，请刷新", code="invalid_state")
    ticket.refresh_from_db()
    return ticket


@transaction.atomic
def window_pause(*, actor, window: Window, paused: bool, now: datetime | None = None) -> WindowState:
    """Pause or resume calling at a window (the hall display shows 暂停服务)."""
    now = now or timezone.now()
    settings_for(window.center)
    state, _ = WindowState.objects.select_for_update().get_or_create(window=window)
    if state.paused != paused:
        state.paused, state.since, state.by = paused, now, actor
        state.save()
        _bump_revision(window.center_id)
        audit_record(actor=actor, action="window.pause" if paused else "window.resume", obj=window, center=window.center,
                     after={"paused": paused}, now=now)
    return state


def expire_stale_tickets(now: datetime | None = None) -> int:
    """The background loop's step: close earlier days' tickets and mark missed appointments."""
    now = now or timezone.now()
    return tickets_expire(before=timezone.localdate(now), now=now) + appointments_mark_no_show(now=now)


@transaction.atomic
def tickets_expire(*, before: date, now: datetime | None = None) -> int:
    """Close earlier days' waiting tickets as expired (they are never called on a new day)."""
    now = now or timezone.now()
    count = 0
    for ticket in Ticket.objects.filter(day__lt=before, status=TicketStatus.WAITING):
        count += _transition(ticket, TicketStatus.EXPIRED, action="expire", now=now, note="过期")
    return count


@transaction.atomic
def queue_settings_update(*, actor, center: ServiceCenter, data: dict, now: datetime | None = None) -> QueueSettings:
    """Change a centre's queue rules and texts; `regenerate_keys` issues new device keys."""
    now = now or timezone.now()
    settings = settings_for(center)
    before = {f: getattr(settings, f) for f in data if f != "regenerate_keys"}
    for field, value in data.items():
        if field != "regenerate_keys":
            setattr(settings, field, value)
    if data.get("regenerate_keys"):
        settings.display_key, settings.kiosk_key = secrets.token_urlsafe(18), secrets.token_urlsafe(18)
    full_clean_or_invalid(settings, exclude=["center"])
    settings.revision += 1
    settings.save()
    after = {f: getattr(settings, f) for f in before}
    audit_record(actor=actor, action="queue_settings.update", obj=settings, center=center, before=before,
                 after=after | {"regenerate_keys": bool(data.get("regenerate_keys"))}, now=now)
    return settings


# --- appointments --------------------------------------------------------------------------

def clean_holder(value: str | None, now: datetime) -> str:
    """A citizen ID or, for enterprises, a unified social credit code."""
    text = (value or "").strip().upper()
    if not text:
        raise Invalid("证件号码：请输入身份证号码或统一社会信用代码", field="holder")
    try:
        return validate_citizen_id(text, today=timezone.localdate(now))
    except IdentityError as id_error:
        try:
            return validate_credit_code(text)
        except IdentityError:
            raise Invalid(f"证件号码：{id_error.message}（企业请填写统一社会信用代码）", field="holder") from id_error


def _appointment_transition(appointment: Appointment, to: str, *, action: str, now: datetime) -> bool:
    if to not in APPOINTMENT_TRANSITIONS[AppointmentStatus(appointment.status)]:
        raise Conflict(f"该预约当前为“{appointment.get_status_display()}”，不能再{action}", code="invalid_state")
    updated = Appointment.objects.filter(pk=appointment.pk, status=appointment.status).update(status=to)
    if updated:
        AppointmentEvent.objects.create(appointment=appointment, action=action, from_status=appointment.status,
                                        to_status=to, at=now)
    return bool(updated)


def _new_code() -> str:
    return f"{secrets.randbelow(10**8):08d}"


@transaction.atomic
def appointment_book(*, center: ServiceCenter, prefix: str, day: date, slot_start, holder: str, phone: str,
                     now: datetime | None = None) -> Appointment:
    """Book one slot: on a working day within the centre's window, one per holder, centre and
    day, while the slot has room, and not while repeated no-shows block the holder."""
    now = now or timezone.now()
    category = _active_category(center, prefix)
    holder = clean_holder(holder, now)
    if not phone:
        raise Invalid("手机号码：请填写，用于接收预约提醒", field="phone")
    phone = _clean_phone(phone)
    blocked = booking_block_until(holder, center, now)
    if blocked is not None:
        raise Conflict(f"因多次预约未到，{blocked:%Y年%m月%d日}前不能预约，可现场取号办理", field="holder",
                       code="booking_blocked")
    TicketCategory.objects.select_for_update().filter(pk=category.pk).first()  # serialises bookings of a category
    slot = next((s for s in slots_for(category, day, now) if s["start"] == slot_start), None)
    if slot is None:
        raise Invalid("预约时段：该时段不可预约，请重新选择", field="slot")
    if slot["available"] <= 0:
        raise Conflict("预约时段：该时段已约满，请选择其他时段", field="slot", code="slot_full")
    if Appointment.objects.filter(ACTIVE_APPOINTMENT, center=center, holder=holder, day=day).exists():
        raise Conflict("同一证件每天在本中心只能预约一次", field="holder", code="already_booked")
    for _ in range(5):
        try:
            with transaction.atomic():
                appointment = Appointment.objects.create(center=center, category=category, day=day, slot_start=slot["start"],
                                                         slot_end=slot["end"], code=_new_code(), holder=holder, phone=phone,
                                                         created_at=now)
            break
        except IntegrityError:
            if Appointment.objects.filter(ACTIVE_APPOINTMENT, center=center, holder=holder, day=day).exists():
                raise Conflict("同一证件每天在本中心只能预约一次", field="holder", code="already_booked") from None
    else:
        raise Conflict("预约繁忙，请重试")
    AppointmentEvent.objects.create(appointment=appointment, action="book", to_status=AppointmentStatus.BOOKED, at=now)
    return appointment


def _appointment_by_code(code: str, holder: str, now: datetime) -> Appointment:
    appointment = Appointment.objects.filter(code=(code or "").strip()).select_related("center", "category").first()
    if appointment is None or appointment.holder != clean_holder(holder, now):
        raise NotFound("预约码或证件号码不正确", field="code")
    return appointment


def slot_starts_at(appointment: Appointment) -> datetime:
    return datetime.combine(appointment.day, appointment.slot_start, tzinfo=timezone.get_current_timezone())


@transaction.atomic
def appointment_cancel(*, code: str, holder: str, now: datetime | None = None) -> Appointment:
    """Cancel a booking, with the holder's ID, at least the configured hours before the slot."""
    now = now or timezone.now()
    appointment = _appointment_by_code(code, holder, now)
    hours = settings_for(appointment.center).cancel_hours
    if appointment.status == AppointmentStatus.BOOKED and now > slot_starts_at(appointment) - timedelta(hours=hours):
        raise Conflict(f"距预约时段开始不足{hours}小时，不能取消", code="too_late")
    if not _appointment_transition(appointment, AppointmentStatus.CANCELLED, action="取消", now=now):
        raise Conflict("该预约状态刚发生变化，请刷新", code="invalid_state")
    appointment.refresh_from_db()
    return appointment


@transaction.atomic
def appointment_check_in(*, center: ServiceCenter, code: str, now: datetime | None = None) -> Ticket:
    """At the kiosk: the booking code becomes a ticket called before walk-ins of its slot."""
    now = now or timezone.now()
    appointment = Appointment.objects.filter(code=(code or "").strip(), center=center).select_related("category").first()
    if appointment is None:
        raise NotFound("预约码：未找到本中心的这条预约，请核对", field="code")
    if appointment.day != timezone.localdate(now):
        raise Conflict(f"预约码：该预约是{appointment.day:%m月%d日}的，请当天来签到", field="code", code="wrong_day")
    slot_start = slot_starts_at(appointment)
    slot_end = datetime.combine(appointment.day, appointment.slot_end, tzinfo=slot_start.tzinfo)
    if now >= slot_end:
        raise Conflict("预约码：预约时段已过，请现场取号", field="code", code="too_late")
    if not _appointment_transition(appointment, AppointmentStatus.CHECKED_IN, action="签到", now=now):
        raise Conflict("预约码：该预约已签到或已取消", field="code", code="invalid_state")
    return _create_ticket(center=center, category=appointment.category, now=now, phone=appointment.phone,
                          appointment=appointment, slot_start=slot_start, slot_end=slot_end)


@transaction.atomic
def appointments_mark_no_show(*, now: datetime | None = None) -> int:
    """Bookings whose slot ended without a check-in become no-shows (they count towards a block)."""
    now = now or timezone.now()
    today, clock = timezone.localdate(now), timezone.localtime(now).time()
    late = Appointment.objects.filter(Q(day__lt=today) | Q(day=today, slot_end__lte=clock),
                                      status=AppointmentStatus.BOOKED)
    return sum(_appointment_transition(a, AppointmentStatus.NO_SHOW, action="爽约", now=now) for a in late)


def _check_prefix_free_today(category: TicketCategory, today: date) -> None:
    """Numbers are unique per centre and day: a letter changes only on a day it has not been
    used, and a category that has issued today keeps its letter until tomorrow."""
    if category.pk and Ticket.objects.filter(category=category, day=today).exists():
        raise Invalid("字母：该类别今日已出号，请次日再修改字母", field="prefix")
    if Ticket.objects.filter(center_id=category.center_id, day=today, number__startswith=category.prefix).exists():
        raise Invalid(f"字母：今日已发出“{category.prefix}”开头的号码，请次日再使用该字母", field="prefix")


@transaction.atomic
def category_save(*, actor, center: ServiceCenter, data: dict, windows: dict[int, int],
                  category: TicketCategory | None = None, now: datetime | None = None) -> TicketCategory:
    """Create or change a business category and the windows that serve it (window id → priority)."""
    now = now or timezone.now()
    creating = category is None
    category = category or TicketCategory(center=center)
    before = {} if creating else {f: getattr(category, f) for f in data}
    for field, value in data.items():
        setattr(category, field, value.strip().upper() if field == "prefix" else value)
    full_clean_or_invalid(category, exclude=["center"])
    if TicketCategory.objects.filter(center=center, prefix=category.prefix).exclude(pk=category.pk).exists():
        raise Invalid(f"字母：本中心已有“{category.prefix}”类别", field="prefix")
    if creating or before.get("prefix", category.prefix) != category.prefix:
        _check_prefix_free_today(category, timezone.localdate(now))
    valid = set(Window.objects.filter(center=center, pk__in=list(windows)).values_list("pk", flat=True))
    if set(windows) - valid:
        raise Invalid("办理窗口：只能选择本中心的窗口", field="windows")
    category.save()
    CategoryWindow.objects.filter(category=category).exclude(window_id__in=valid).delete()
    for window_id, priority in windows.items():
        CategoryWindow.objects.update_or_create(category=category, window_id=window_id, defaults={"priority": priority})
    settings_for(center)
    _bump_revision(center.pk)
    audit_record(actor=actor, action=f"ticket_category.{'create' if creating else 'update'}", obj=category, center=center,
                 before=before, after={f: getattr(category, f) for f in data} | {"windows": windows}, now=now)
    return category
