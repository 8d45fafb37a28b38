"""The queue's hand-written SQL: numbering, the calling order, the head of a window's queue,
issuing and calling in one statement each, the waiting counters and the hall's event mark.

Why by hand: a kiosk's ticket and a window's call-next are pressed all day, and building them
through the ORM cost more Python than the database's work; on PostgreSQL each is one statement,
so a kiosk or window waits for one round trip and the category's counter row (the queue of
concurrent issues) is locked only for that statement (docs/decisions.md, "Queue calling").
What the rules are is in `queueing.services`; on SQLite the same rules run there as Python
steps in a transaction, and the queue's tests run on both databases to hold the twins together.

Tables are named by their model's label ("queueing.Ticket", as a ForeignKey names another
app's model), so this package imports no app. Statements are built once per shape and kept
(`functools.cache`): their text never depends on values, which go in as parameters.
"""

from functools import cache, lru_cache

from django.apps import apps
from django.db import connection

from .rows import select_columns


def _model(label: str):
    return apps.get_model(label)


@cache
def _table(label: str) -> str:
    return connection.ops.quote_name(_model(label)._meta.db_table)


# --- numbers and waiting counts ---------------------------------------------------------------

def raise_counter(center_id: int, category_id: int, day, capacity: int) -> int | None:
    """Raise the day's counter of a category and return the new number, or None when the day's
    `capacity` is used up. The row stays locked until the caller's transaction commits, so
    kiosks of one category issue one after another."""
    table = _table("queueing.TicketCounter")
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} (center_id, category_id, day, last, waiting) VALUES (%s, %s, %s, 1, 1) "
                       f"ON CONFLICT (category_id, day) DO UPDATE SET last = {table}.last + 1, "
                       f"waiting = {table}.waiting + 1 WHERE {table}.last < %s RETURNING last",
                       [center_id, category_id, connection.ops.adapt_datefield_value(day), capacity])
        row = cursor.fetchone()
    return row[0] if row else None


def count_waiting(center_id: int, category_id: int, day, delta: int) -> None:
    """Add `delta` to the category's waiting count of `day` (a transfer may bring the first
    ticket of the day into a category, so the row is created if need be)."""
    table = _table("queueing.TicketCounter")
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} (center_id, category_id, day, last, waiting) VALUES (%s, %s, %s, 0, %s) "
                       f"ON CONFLICT (category_id, day) DO UPDATE SET waiting = {table}.waiting + %s",
                       [center_id, category_id, connection.ops.adapt_datefield_value(day), max(delta, 0), delta])


@cache
def issue_statement() -> tuple[str, list]:
    """PostgreSQL: raise the counter (unless the day's capacity is reached), insert the ticket
    and its `issue` event, and say how many wait ahead of it, in one statement. For a plain
    ticket that is the category's waiting count before this one, read from the counter row
    under its lock (counting the backlog cost a heap visit per waiting ticket); a green-channel
    ticket has only the green ones ahead, counted along the small index of such tickets.
    Returns the statement and the ticket's fields that are its named parameters (`attname`)."""
    q = connection.ops.quote_name
    counter, ticket, event = (_table(label) for label in ("queueing.TicketCounter", "queueing.Ticket",
                                                          "queueing.TicketEvent"))
    fields = [f for f in _model("queueing.Ticket")._meta.concrete_fields if not f.primary_key]
    computed = {"seq": "c.last", "number": "%(prefix)s || lpad(c.last::text, 3, '0')"}
    values = ", ".join(computed.get(f.name, f"%({f.attname})s") for f in fields)
    sql = (
        f"WITH c AS (INSERT INTO {counter} (center_id, category_id, day, last, waiting) "
        f"VALUES (%(center_id)s, %(category_id)s, %(day)s, 1, 1) ON CONFLICT (category_id, day) "
        f"DO UPDATE SET last = {counter}.last + 1, waiting = {counter}.waiting + 1 "
        f"WHERE {counter}.last < %(capacity)s RETURNING last, waiting), "
        f"t AS (INSERT INTO {ticket} ({', '.join(q(f.column) for f in fields)}) SELECT {values} FROM c "
        f"RETURNING id, seq), "
        f"e AS (INSERT INTO {event} (ticket_id, center_id, action, from_status, to_status, window_id, actor_id, at, "
        f"note) SELECT t.id, %(center_id)s, 'issue', '', 'waiting', NULL, NULL, %(issued_at)s, '' FROM t) "
        f"SELECT t.id, t.seq, CASE WHEN %(green_channel)s THEN (SELECT COUNT(*) FROM {ticket} x "
        f"WHERE x.center_id = %(center_id)s AND x.day = %(day)s AND x.category_id = %(category_id)s "
        f"AND x.status = 'waiting' AND x.target_window_id IS NULL AND x.green_channel) "
        f"ELSE GREATEST((SELECT waiting FROM c) - 1, 0) END FROM t"
    )
    return sql, [f for f in fields if f.name not in computed]


# Asked by every slip and status page: one plain statement, along the category's waiting index
# (no centre named, as in issue_statement). The order is the calling order's (QUEUE_ORDER)
# without the window's own priority: green channel, then a checked-in appointment whose slot
# is running, then arrival.
_RUNNING = "CASE WHEN slot_start <= %(now)s AND slot_end > %(now)s THEN 0 ELSE 1 END"
_AHEAD_SQL = (
    "SELECT COUNT(*) FROM {ticket} WHERE day = %(day)s AND category_id = %(category)s "
    "AND status = 'waiting' AND target_window_id IS NULL AND ((green_channel AND NOT %(green)s) "
    f"OR (green_channel = %(green)s AND ({_RUNNING} < %(running)s OR ({_RUNNING} = %(running)s "
    "AND (queued_at < %(queued)s OR (queued_at = %(queued)s AND id < %(id)s))))))"
)


def waiting_ahead(ticket, now) -> int:
    """How many waiting tickets of the ticket's category are called before it at `now`: green
    channel first, then appointments in their slot, then arrival order."""
    ops = connection.ops
    running = 0 if ticket.slot_start is not None and ticket.slot_start <= now < ticket.slot_end else 1
    with connection.cursor() as cursor:
        cursor.execute(_AHEAD_SQL.format(ticket=_table("queueing.Ticket")), {
            "day": ops.adapt_datefield_value(ticket.day), "category": ticket.category_id,
            "green": ticket.green_channel, "queued": ops.adapt_datetimefield_value(ticket.queued_at), "id": ticket.pk,
            "now": ops.adapt_datetimefield_value(now), "running": running})
        return cursor.fetchone()[0]


# --- the calling order ------------------------------------------------------------------------

# Tickets that can jump the arrival order: green channel, appointments, transfers to a window.
# Few at any time, so they are ranked apart from the plain first-come backlog (see `head_sql`).
RARE = "(t.green_channel OR t.slot_start IS NOT NULL OR t.target_window_id IS NOT NULL)"

# The calling order (the terminal's list shows it, call-next takes its head): green channel,
# then a checked-in appointment whose slot is running, then the window's priority for the
# category, then arrival.
QUEUE_ORDER = ("{t}green_channel DESC, CASE WHEN {t}slot_start <= %(now)s AND {t}slot_end > %(now)s THEN 0 ELSE 1 END, "
               "{rank}, {t}queued_at, {t}id")


def queue_sql(*, where: str = "", lock: bool = False, columns: str = "") -> str:
    """The window's waiting tickets in QUEUE_ORDER, with their rank; parameters `window`,
    `center`, `day`, `now`, `limit` (`queueing.services.calling.queue_params`)."""
    ticket, link, category = (_table(label) for label in ("queueing.Ticket", "queueing.CategoryWindow",
                                                          "queueing.TicketCategory"))
    return (
        f"SELECT {columns or select_columns(_model('queueing.Ticket'), 't')}, COALESCE(cw.priority, 0) AS rank "
        f"FROM {ticket} t LEFT JOIN {link} cw ON cw.category_id = t.category_id AND cw.window_id = %(window)s "
        f"LEFT JOIN {category} c ON c.id = t.category_id "
        f"WHERE t.center_id = %(center)s AND t.day = %(day)s AND t.status = 'waiting' "
        f"AND (t.target_window_id = %(window)s OR (t.target_window_id IS NULL AND cw.id IS NOT NULL AND c.is_active)) "
        f"{where} ORDER BY {QUEUE_ORDER.format(t='t.', rank='COALESCE(cw.priority, 0)')} LIMIT %(limit)s"
        + lock_clause(lock, "t")
    )


def waiting_counts_sql() -> str:
    """(letter, name, count) of every category in a window's whole queue."""
    return (f"SELECT prefix, name, COUNT(*) FROM ({queue_sql(columns='c.prefix, c.name')}) q "
            "GROUP BY prefix, name ORDER BY prefix")


def lock_clause(lock: bool, alias: str) -> str:
    """SKIP LOCKED with LIMIT 1: each window locks only the ticket it claims, so the others
    take the next ones in order instead of waiting or skipping a batch."""
    return (f" FOR UPDATE OF {alias} SKIP LOCKED" if lock and connection.features.has_select_for_update_skip_locked
            else "")


# What the head of the queue is chosen by (QUEUE_ORDER), and nothing more: the claim reads the rest.
HEAD_COLUMNS = "t.id, t.green_channel, t.slot_start, t.slot_end, t.queued_at"


@lru_cache(maxsize=256)  # one per distinct window set-up
def head_sql(levels: tuple[tuple[int, tuple[int, ...]], ...], *, gate: str = "") -> str:
    """The id of the first ticket of the window's queue, locked, without sorting the backlog.

    Candidates: the first of the few tickets that can jump the order (RARE), ranked with the
    full order, and the first plain ticket of each of the window's priority `levels`, read in
    arrival order along a partial index, LIMIT 1 each. QUEUE_ORDER then picks among these few.
    Candidates that lose stay locked only until the claim commits. `gate` is an extra condition
    on every candidate (the one-statement call-next's "window free and open")."""
    table = _table("queueing.Ticket")
    parts = [queue_sql(where=f"AND {RARE} {gate}", lock=True, columns=HEAD_COLUMNS)]
    for priority, categories in levels:
        parts.append(
            f"SELECT {HEAD_COLUMNS}, {priority} AS rank FROM {table} t WHERE t.center_id = %(center)s "
            f"AND t.day = %(day)s AND t.status = 'waiting' AND NOT {RARE} "
            f"AND t.category_id IN ({', '.join(map(str, categories))}) {gate} ORDER BY t.queued_at, t.id LIMIT 1"
            + lock_clause(True, "t"))
    union = " UNION ALL ".join(f"SELECT * FROM ({part}) c{i}" for i, part in enumerate(parts))
    return f"SELECT h.id FROM ({union}) h ORDER BY {QUEUE_ORDER.format(t='h.', rank='h.rank')} LIMIT 1"


def current_sql() -> str:
    """What a window is calling or serving, with whether it is paused (`window_paused`)."""
    ticket = _table("queueing.Ticket")
    return (f"SELECT {select_columns(_model('queueing.Ticket'), 't')}, {paused_sql()} FROM {ticket} t "
            f"WHERE t.window_id = %(window)s AND t.status IN ('called', 'serving')")


def paused_sql() -> str:
    return f"(SELECT ws.paused FROM {_table('queueing.WindowState')} ws WHERE ws.window_id = %(window)s)"


@lru_cache(maxsize=256)
def call_next_statement(levels: tuple[tuple[int, tuple[int, ...]], ...]) -> str:
    """PostgreSQL: the rules of `calling.ready_to_call` and the claim of `head_sql`, in one
    statement.

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
    ticket, state, event, counter = (_table(label) for label in ("queueing.Ticket", "queueing.WindowState",
                                                                 "queueing.TicketEvent", "queueing.TicketCounter"))
    model = _model("queueing.Ticket")
    columns = select_columns(model, "t")
    blanks = ", ".join(["NULL"] * len(model._meta.concrete_fields))
    event_columns = "ticket_id, center_id, action, from_status, to_status, window_id, actor_id, at, note"
    return (
        f"WITH ws AS (SELECT COALESCE((SELECT paused FROM {state} WHERE window_id = %(window)s), false) AS paused), "
        f"cur AS (SELECT {columns} FROM {ticket} t WHERE t.window_id = %(window)s "
        f"AND t.status IN ('called', 'serving') FOR UPDATE), "
        f"gate AS (SELECT NOT ws.paused AND NOT EXISTS (SELECT 1 FROM cur WHERE cur.status = 'called' "
        f"AND cur.day = %(day)s AND NOT %(finish_current)s) AS ok FROM ws), "
        f"fin AS (UPDATE {ticket} t SET status = CASE WHEN cur.status = 'called' AND cur.day <> %(day)s "
        f"THEN 'skipped' ELSE 'done' END FROM cur, gate WHERE t.id = cur.id AND gate.ok "
        f"RETURNING {columns}), "
        f"head AS ({head_sql(levels, gate='AND (SELECT ok FROM gate)')}), "
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


# --- the hall display -------------------------------------------------------------------------

# The centre's event mark: the largest and the sum of its last EVENT_MARK_SPAN event ids. Ids
# are taken at insert but committed in any order, so the largest alone may already count an
# event whose earlier neighbour is still uncommitted; when that one commits, the sum changes
# (an id inside the span replaces a smaller one), and so do the version and the document. An
# event that commits after EVENT_MARK_SPAN later events of its centre is missed until the next.
EVENT_MARK_SPAN = 64
_MARK_SQL = ("SELECT CAST(COALESCE(MAX(id), 0) AS TEXT) || '.' || CAST(COALESCE(SUM(id), 0) AS TEXT) "
             "FROM {events} WHERE center_id = {center} AND id >= COALESCE(("
             "SELECT id FROM {events} WHERE center_id = {center} ORDER BY id DESC LIMIT 1 OFFSET {offset}), 0)")


def _mark_sql(center: str) -> str:
    """The mark's query, for the centre id given as `center` (a placeholder or a column)."""
    return _MARK_SQL.format(events=_table("queueing.TicketEvent"), center=center, offset=EVENT_MARK_SPAN - 1)


def event_mark(center_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(_mark_sql("%s"), [center_id, center_id])
        return cursor.fetchone()[0]


def display_lookup(display_key: str) -> dict | None:
    """One query for a display's poll: its centre, the settings revision and the event mark."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT s.center_id, s.revision, ({_mark_sql('s.center_id')}) "
                       f"FROM {_table('queueing.QueueSettings')} s WHERE s.display_key = %s", [display_key])
        row = cursor.fetchone()
    return None if row is None else {"center_id": row[0], "revision": row[1], "mark": row[2]}
