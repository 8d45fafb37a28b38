"""Statements planned for their own values on every run, on PostgreSQL, and a look at both
plans of a statement.

psycopg prepares a statement once it has run `prepare_threshold` times on a connection
(settings.py), and PostgreSQL may then keep one generic plan for it, made without the
parameters' values. For the hot statements that plan is as good and saves planning. For a
filtered list whose best index depends on the values (a date range and a due-date range, each
of which may keep a few rows or most of them), the generic plan can be a hundred times slower
than the custom one: `planned_per_call` runs a queryset's statement unprepared, so every run is
planned for its values (well under a millisecond of planning). Other databases: no change.
"""

import re
from contextlib import contextmanager

from django.db import connections
from django.db.models.query import ModelIterable, QuerySet


@contextmanager
def unprepared(using: str = "default"):
    """Statements run inside are not prepared by psycopg (nor run as prepared statements)."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    connection.ensure_connection()
    raw = connection.connection
    threshold = raw.prepare_threshold
    raw.prepare_threshold = None
    try:
        yield
    finally:
        raw.prepare_threshold = threshold


class _PlannedPerCall(ModelIterable):
    def __iter__(self):
        with unprepared(self.queryset.db):
            yield from super().__iter__()


def planned_per_call(queryset: QuerySet) -> QuerySet:
    """`queryset`, whose rows (also of its slices and filtered copies) are fetched by an
    unprepared statement. Counts and other aggregates are not affected."""
    clone = queryset.all()
    clone._iterable_class = _PlannedPerCall
    return clone


_NAMED = re.compile(r"%\((\w+)\)s")


def _numbered(sql: str, params) -> tuple[str, list]:
    """`sql` with its placeholders (`%s`, or `%(name)s` with a dict) as `$n`, and the values in
    that order; no parameters at all (None or empty) leave it unchanged."""
    if not params:
        return sql, []
    if isinstance(params, dict):
        names: list[str] = []

        def number(match):
            if match[1] not in names:
                names.append(match[1])
            return f"${names.index(match[1]) + 1}"

        return _NAMED.sub(number, sql), [params[name] for name in names]
    values = list(params)
    for k in range(1, len(values) + 1):
        sql = sql.replace("%s", f"${k}", 1)
    return sql, values


def explain_prepared(sql: str, params, using: str = "default") -> str:
    """EXPLAIN ANALYZE of one statement as the server runs it prepared, with a custom plan (the
    parameters' values known when planning, as for its first runs on a connection) and with the
    generic plan PostgreSQL may switch to after five (psycopg prepares a statement once it has
    run `prepare_threshold` times, settings.py). For the benchmarks' reports: it runs the
    statement twice, so never on a write. `params` as Django's cursor takes them: a list, a
    dict for `%(name)s`, or None."""
    from psycopg import sql as pgsql

    connection = connections[using]
    connection.ensure_connection()
    raw = connection.connection
    numbered, values = _numbered(sql, params)
    args = f"({', '.join(pgsql.Literal(v).as_string(raw) for v in values)})" if values else ""
    out = []
    with raw.cursor() as cursor:
        cursor.execute(f"PREPARE explained_plan AS {numbered}", prepare=False)
        try:
            for mode in ("force_custom_plan", "force_generic_plan"):
                cursor.execute(f"SET plan_cache_mode = {mode}", prepare=False)
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE explained_plan{args}", prepare=False)
                out.append(f"[{mode.split('_')[1]} plan]")
                out.extend(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("RESET plan_cache_mode", prepare=False)
            cursor.execute("DEALLOCATE explained_plan", prepare=False)
    return "\n".join(out)
