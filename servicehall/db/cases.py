"""The receipt's hand-written SQL: a case's number from its centre's counter, the items a
receipt names, and the one statement that writes a case accepted at receipt.

Why by hand: every receipt of a centre's day raises the same counter row and holds its lock
until it commits, so the receipts of one centre run one after another for as long as that lock
is held. On PostgreSQL a case accepted without fees is one statement run on its own: the lock
is held for the rest of that statement and its commit, never across a round trip to Python
(from 0.06 to about 0.37 of the benchmark's limit; docs/decisions.md, "Receipt is the hot
path"). What a receipt must check and write is in `cases.services.receipt`; cases with fees,
notices and SQLite take the ORM's path there, with the same order of writes, and the case
tests run on both databases.

Tables are named by their model's label, so this package imports no app (db/queue.py says why).
"""

from functools import cache

from django.apps import apps
from django.db import connection

from .rows import insert_values

# The sequence part of a number in SQL (PostgreSQL), as f"{last:04d}" writes it.
_SEQUENCE = "CASE WHEN {last} < 10000 THEN lpad({last}::text, 4, '0') ELSE {last}::text END"


def _model(label: str):
    return apps.get_model(label)


@cache
def _table(label: str) -> str:
    return connection.ops.quote_name(_model(label)._meta.db_table)


def _upsert_counter() -> str:
    counter = _table("cases.CaseCounter")
    return (f"INSERT INTO {counter} (center_id, day, last) VALUES (%s, %s, 1) ON CONFLICT (center_id, day) "
            f"DO UPDATE SET last = {counter}.last + 1 RETURNING last")


def number_case(case, day) -> None:
    """Give a just-inserted case its number: centre code - date - 4-digit sequence of the
    centre's day, from one counter row raised in the case's transaction (so a rolled-back
    receipt gives its number back: no gaps). Concurrent receipts of a centre wait on that row
    from here to their commit, so it is the last write but the audit rows that quote the number."""
    table = _table("cases.Case")
    params = [case.center_id, connection.ops.adapt_datefield_value(day)]
    prefix = f"{case.center.code}-{day:%Y%m%d}-"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # one round trip: raise the counter and set the number
            cursor.execute(f"WITH raised AS ({_upsert_counter()}) UPDATE {table} SET number = %s || "
                           f"{_SEQUENCE.format(last='raised.last')} FROM raised WHERE {table}.id = %s "
                           f"RETURNING {table}.number", params + [prefix, case.pk])
            case.number = cursor.fetchone()[0]
            return
        cursor.execute(_upsert_counter(), params)
        case.number = f"{prefix}{cursor.fetchone()[0]:04d}"
        cursor.execute(f"UPDATE {table} SET number = %s WHERE id = %s", [case.number, case.pk])


def items_in_use(center_id: int, status: str, codes: list[str]) -> list[tuple[str, int, int | None]]:
    """(code, id, current version id) of the centre's items of `status` among `codes`; plain
    SQL, since building the ORM's query cost more than running it."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT code, id, current_version_id FROM {_table('catalog.ServiceItem')} "
                       f"WHERE center_id = %s AND status = %s AND code IN ({', '.join(['%s'] * len(codes))})",
                       [center_id, status, *codes])
        return cursor.fetchall()


def insert_accepted(case, case_items, case_materials, history, audit_events) -> None:
    """PostgreSQL, a case accepted at receipt without fees: raise the centre's counter, insert
    the case with its number, its items and materials, both history rows and both audit rows,
    in one statement. Run on its own it commits at once: the counter row is locked for the
    rest of that statement and its commit only. Nothing is written if any part fails. The
    audit rows quote the number, which is only known in the statement: theirs is set there."""
    day = case.received_on
    case.number = f"{case.center.code}-{day:%Y%m%d}-"
    case_id, number = "(SELECT id FROM k)", "(SELECT number FROM k)"
    with_number = f"jsonb_set(%s::jsonb, '{{number}}', to_jsonb({number}))"
    parts = {
        "c": (_upsert_counter(), [case.center_id, connection.ops.adapt_datefield_value(day)]),
        "k": insert_values(_model("cases.Case"), [case],
                           {"number": f"%s || (SELECT {_SEQUENCE.format(last='last')} FROM c)"}),
        "i": insert_values(_model("cases.CaseItem"), case_items, {"case": case_id}),
        "t": insert_values(_model("cases.CaseTransition"), history, {"case": case_id}),
        "a": insert_values(_model("audit.AuditEvent"), audit_events, {
            "object_id": "(SELECT id::text FROM k)", "object_repr": number, "before": with_number,
            "after": with_number}),
    }
    if case_materials:  # an item may ask for no materials at all
        parts["m"] = insert_values(_model("cases.CaseMaterial"), case_materials, {"case": case_id})
    parts["k"] = (parts["k"][0] + " RETURNING id, number", parts["k"][1])
    sql = "WITH " + ", ".join(f"{name} AS ({part})" for name, (part, _) in parts.items()) + " SELECT id, number FROM k"
    with connection.cursor() as cursor:
        cursor.execute(sql, [p for _, params in parts.values() for p in params])
        case.pk, case.number = cursor.fetchone()
    case._state.adding, case._state.db = False, connection.alias
