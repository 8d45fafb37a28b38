"""Chain every audit row in the transaction that writes it (audit/chain.py says how), and chain
the rows an earlier version left for its background sealer, in id order."""

from django.db import migrations

from servicehall.audit.chain import TABLE, drop_trigger_sql, trigger_sql

# tests/tamper.py recreates the trigger from here after a simulated DROP TRIGGER.
SQLITE_FORWARD = "\n---\n".join(trigger_sql("sqlite"))


def _chain_leftovers(cursor, vendor: str) -> None:
    """Rows written before this migration and not yet sealed: re-insert each in id order under
    its own id, so the new trigger chains it exactly as it chains a new row."""
    cursor.execute(f"SELECT id FROM {TABLE} WHERE seq IS NULL ORDER BY id")
    ids = [row[0] for row in cursor.fetchall()]
    if not ids:
        return
    cursor.execute(f"CREATE TEMPORARY TABLE audit_leftovers AS SELECT * FROM {TABLE} WHERE seq IS NULL")
    for event_id in ids:
        # DELETE of an unsealed row is refused on PostgreSQL by the append-only guard; lift it
        # for this migration only (DDL is transactional, the guard is back on at commit).
        cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [event_id])
        cursor.execute(f"INSERT INTO {TABLE} SELECT * FROM audit_leftovers WHERE id = %s", [event_id])
    cursor.execute("DROP TABLE audit_leftovers")
    if vendor == "postgresql":  # chain them now, before the guard is switched on again
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in trigger_sql(vendor):
        schema_editor.execute(statement, params=None)
    with schema_editor.connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER audit_event_guard")
            _chain_leftovers(cursor, vendor)
            cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER audit_event_guard")
        else:
            _chain_leftovers(cursor, vendor)


def backward(apps, schema_editor):
    for statement in drop_trigger_sql(schema_editor.connection.vendor):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_guard_inserts_and_head")]
    operations = [migrations.RunPython(forward, backward)]
