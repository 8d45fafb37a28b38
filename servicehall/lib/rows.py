"""One-statement writes for the hottest paths (issuing and calling tickets), where building a
query through the ORM costs more than the database's work.

Values pass through each field's own `get_db_prep_save`, so every database the project runs
on stores exactly what `Model.save()` and `QuerySet.update()` would. No model signals are
sent: use these only for rows that nothing listens to.
"""

from functools import cache

from django.db import connection
from django.db.models import Model


@cache
def _insert_sql(model: type[Model]) -> tuple[str, tuple]:
    meta = model._meta
    fields = tuple(f for f in meta.concrete_fields if not f.primary_key)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    return (f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({marks}) RETURNING {quote(meta.pk.column)}",
            fields)


def insert_row(obj: Model) -> Model:
    """INSERT `obj` (a new row with an automatic primary key) and set its primary key."""
    sql, fields = _insert_sql(type(obj))
    values = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        obj.pk = cursor.fetchone()[0]
    obj._state.adding, obj._state.db = False, connection.alias
    return obj


def update_where(model: type[Model], where: dict, values: dict) -> int:
    """UPDATE the rows whose fields equal `where` with `values` (field name → value; a model
    instance stands for its key). Returns the number of rows changed: a compare-and-set when
    `where` holds the expected state."""
    meta = model._meta
    quote = connection.ops.quote_name

    def prepared(items: dict) -> tuple[list[str], list]:
        columns, params = [], []
        for name, value in items.items():
            field = meta.get_field(name)
            if isinstance(value, Model):
                value = value.pk
            columns.append(quote(field.column))
            params.append(field.get_db_prep_save(value, connection))
        return columns, params

    set_columns, set_params = prepared(values)
    where_columns, where_params = prepared(where)
    sql = (f"UPDATE {quote(meta.db_table)} SET {', '.join(c + ' = %s' for c in set_columns)} "
           f"WHERE {' AND '.join(c + ' = %s' for c in where_columns)}")
    with connection.cursor() as cursor:
        cursor.execute(sql, set_params + where_params)
        return cursor.rowcount
