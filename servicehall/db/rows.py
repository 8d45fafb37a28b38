"""One-statement writes for the hottest paths (issuing and calling tickets, receiving cases),
where building a query through the ORM costs more than the database's work.

Values pass through each field's own `get_db_prep_save`, so every database the project runs
on stores exactly what `Model.save()` and `QuerySet.update()` would; `insert_values` skips
that for the field types where it changes nothing (`PLAIN_FIELDS`). No model signals are
sent: use these only for rows that nothing listens to.
"""

from functools import cache

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db import models as m
from django.db.models import Model

# Exactly these types (not subclasses, which may convert), with a sample value: their pre_save
# and get_db_prep_save change a value at most by wrapping it in one type for the driver (on
# PostgreSQL integers become Int2/Int4/Int8, which keeps a prepared statement's parameter types
# stable), so that wrapping is all `insert_values` does. Dates, JSON, decimals and anything with
# auto_now take the field's own path.
PLAIN_FIELDS = {m.CharField: "", m.TextField: "", m.BooleanField: False, m.IntegerField: 0, m.PositiveIntegerField: 0,
                m.PositiveSmallIntegerField: 0, m.SmallIntegerField: 0, m.BigIntegerField: 0, m.ForeignKey: 0,
                m.OneToOneField: 0}


@cache
def _wrapper(field, vendor: str):
    """How `field` prepares a value on `vendor`: None for its own path, else the type it wraps
    values in (`object` when it passes them as they are)."""
    db = connections[DEFAULT_DB_ALIAS]
    if type(field) not in PLAIN_FIELDS:
        return None
    sample = PLAIN_FIELDS[type(field)]
    if isinstance(field, m.ForeignKey) and not isinstance(field.target_field, (m.AutoField, m.BigAutoField)):
        return None
    prepared = field.get_db_prep_save(sample, db)
    return object if type(prepared) is type(sample) else type(prepared)


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


def insert_values(model: type[Model], rows, computed: dict[str, str] | None = None) -> tuple[str, list]:
    """`INSERT INTO <table> (<columns>) VALUES (…), (…)` for new `rows` of `model` (automatic
    primary key) and its parameters, to compose one statement of several writes (`WITH … AS
    (INSERT …)` on PostgreSQL). A field named in `computed` takes that SQL expression in every
    row; an expression holding one `%s` gets the row's own value there. The expressions are
    part of the statement's cached shape: constant SQL, never values."""
    if not rows:
        raise ValueError("insert_values needs at least one row")
    head, row_sql, valued = _insert_shape(model, tuple(sorted((computed or {}).items())))
    db = connections[DEFAULT_DB_ALIAS]  # once, not through the proxy for every value
    params = [f.get_db_prep_save(f.pre_save(row, True), db) if wrap is None
              else value if wrap is object or value is None else wrap(value)
              for row in rows for f, wrap in valued for value in (getattr(row, f.attname),)]
    return head + ", ".join([row_sql] * len(rows)), params


@cache
def _insert_shape(model: type[Model], computed: tuple[tuple[str, str], ...]) -> tuple[str, str, tuple]:
    """What `insert_values` writes for any rows of `model`: the statement's head up to VALUES,
    one row's `(…)`, and the fields that take a parameter, each with its `_wrapper`."""
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    db = connections[DEFAULT_DB_ALIAS]
    quote = db.ops.quote_name
    named = dict(computed)
    expressions = [named.get(f.name, "%s") for f in fields]
    valued = tuple((f, _wrapper(f, db.vendor)) for f, expression in zip(fields, expressions, strict=True)
                   if "%s" in expression)
    head = f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES "
    return head, f"({', '.join(expressions)})", valued


def _update_sql(model: type[Model], where: dict, values: dict) -> tuple[str, list]:
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
    conditions = [f"{c} IS NULL" if p is None else f"{c} = %s"
                  for c, p in zip(where_columns, where_params, strict=True)]
    sql = (f"UPDATE {quote(meta.db_table)} SET {', '.join(c + ' = %s' for c in set_columns)} "
           f"WHERE {' AND '.join(conditions)}")
    return sql, set_params + [p for p in where_params if p is not None]


def update_where(model: type[Model], where: dict, values: dict) -> int:
    """UPDATE the rows whose fields equal `where` with `values` (field name → value; a model
    instance stands for its key; None matches NULL). Returns the number of rows changed: a
    compare-and-set when `where` holds the expected state."""
    sql, params = _update_sql(model, where, values)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def update_then_insert(model: type[Model], where: dict, values: dict, row: Model) -> bool:
    """`update_where`, and only if a row changed, `insert_row(row)` (a state change and its
    history row). On PostgreSQL both go in one statement, one round trip; call it inside a
    transaction elsewhere."""
    if connection.vendor != "postgresql":
        if not update_where(model, where, values):
            return False
        insert_row(row)
        return True
    update, update_params = _update_sql(model, where, values)
    insert, fields = _insert_sql(type(row))
    head, _, _ = insert.partition(" VALUES ")
    marks = ", ".join(["%s"] * len(fields))
    pk = connection.ops.quote_name(row._meta.pk.column)
    sql = f"WITH changed AS ({update} RETURNING 1) {head} SELECT {marks} FROM changed RETURNING {pk}"
    values_in = [f.get_db_prep_save(f.pre_save(row, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, update_params + values_in)
        found = cursor.fetchone()
    if found is None:
        return False
    row.pk = found[0]
    row._state.adding, row._state.db = False, connection.alias
    return True


@cache
def _reader(model: type[Model]) -> tuple[list, list]:
    columns = [field.get_col(model._meta.db_table) for field in model._meta.concrete_fields]
    converters = [connection.ops.get_db_converters(column) + column.field.get_db_converters(connection)
                  for column in columns]
    return columns, converters


def select_columns(model: type[Model], alias: str) -> str:
    """The model's columns, in field order, for a SELECT that `fetch_models` reads."""
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(f.column)}" for f in model._meta.concrete_fields)


def fetch_models(model: type[Model], sql: str, params, extra: tuple[str, ...] = ()) -> list[Model]:
    """Run `sql` (which selects `select_columns(model, …)` and then the `extra` columns) and
    build model instances, converting values as the ORM does; each extra column becomes an
    attribute. A lighter `Model.objects.raw()` for statements run on every call."""
    columns, converters = _reader(model)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    found = []
    for row in rows:
        values = list(row[:len(columns)])
        for i, chain in enumerate(converters):
            for convert in chain:
                values[i] = convert(values[i], columns[i], connection)
        obj = model.from_db(connection.alias, None, values)
        for name, value in zip(extra, row[len(columns):], strict=True):
            setattr(obj, name, value)
        found.append(obj)
    return found


def cache_long_statements() -> None:
    """Let psycopg keep its conversion of the long one-statement writes.

    psycopg turns a statement's `%s` placeholders into `$n` on every execute and keeps the
    result only for statements of at most 4,096 characters and 50 parameters
    (`psycopg._queries`). A case accepted at receipt is one statement of about 9,000
    characters and 100 parameters, converted again on every request: 0.1 ms of Python of
    the 2 ms the request costs. The writes here take a few shapes (by the number of items and
    materials), and the cache is an LRU of 128 statements: it cannot grow, and statements
    used on every request stay in it while one-off ones (a bulk insert, a long IN list) pass
    through. A psycopg without these names is left as it is."""
    try:
        from psycopg import _queries
    except ImportError:
        return
    if hasattr(_queries, "MAX_CACHED_STATEMENT_LENGTH") and hasattr(_queries, "MAX_CACHED_STATEMENT_PARAMS"):
        _queries.MAX_CACHED_STATEMENT_LENGTH = max(_queries.MAX_CACHED_STATEMENT_LENGTH, 16_384)
        _queries.MAX_CACHED_STATEMENT_PARAMS = max(_queries.MAX_CACHED_STATEMENT_PARAMS, 256)
