"""Make the database itself keep the case history append-only (as the audit trail is).

PostgreSQL refuses UPDATE and DELETE of a history row; SQLite refuses UPDATE only, because
Django's test flush empties its tables with DELETE. On SQLite a later migration that alters
this table rebuilds it and loses the trigger: such a migration must create it again
(`test_the_history_is_append_only_in_the_database` fails until it does).
"""

from django.db import migrations

from servicehall.audit.sqlscripts import run_vendor_script

PG_FORWARD = """
CREATE OR REPLACE FUNCTION case_transition_guard() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'case history rows are append-only';
END;
$$ LANGUAGE plpgsql;
---
CREATE TRIGGER case_transition_guard BEFORE UPDATE OR DELETE ON cases_casetransition
    FOR EACH ROW EXECUTE FUNCTION case_transition_guard();
"""
PG_BACKWARD = ("DROP TRIGGER IF EXISTS case_transition_guard ON cases_casetransition;\n---\n"
               "DROP FUNCTION IF EXISTS case_transition_guard();")

SQLITE_FORWARD = """
CREATE TRIGGER case_transition_guard BEFORE UPDATE ON cases_casetransition
BEGIN SELECT RAISE(ABORT, 'case history rows are append-only'); END;
"""
SQLITE_BACKWARD = "DROP TRIGGER IF EXISTS case_transition_guard;"


def forward(apps, schema_editor):
    run_vendor_script(schema_editor, postgresql=PG_FORWARD, sqlite=SQLITE_FORWARD)


def backward(apps, schema_editor):
    run_vendor_script(schema_editor, postgresql=PG_BACKWARD, sqlite=SQLITE_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("cases", "0006_receipt_indexes")]
    operations = [migrations.RunPython(forward, backward)]
