"""Statements planned for their own values on every run, on PostgreSQL.

psycopg prepares a statement once it has run `prepare_threshold` times on a connection
(settings.py), and PostgreSQL may then keep one generic plan for it, made without the
parameters' values. For the hot statements that plan is as good and saves planning. For a
filtered list whose best index depends on the values (a date range and a due-date range, each
of which may keep a few rows or most of them), the generic plan can be a hundred times slower
than the custom one: `planned_per_call` runs a queryset's statement unprepared, so every run is
planned for its values (well under a millisecond of planning). Other databases: no change.
"""

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
