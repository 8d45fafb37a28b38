"""Make the database itself refuse changes to sealed audit rows.

The only UPDATE allowed is the sealer's, which gives an unsealed row its place in the chain.
PostgreSQL also refuses DELETE. SQLite does not, because Django's test flush empties tables
with DELETE there; the hash chain still names any removed row.
"""

from django.db import migrations

from servicehall.audit.sqlscripts import run_vendor_script

PG_FORWARD = """
CREATE OR REPLACE FUNCTION audit_event_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit rows are append-only';
    END IF;
    IF NOT (OLD.seq IS NULL AND NEW.seq IS NOT NULL) THEN
        RAISE EXCEPTION 'audit rows are append-only';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
---
CREATE TRIGGER audit_event_guard BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_guard();
"""
PG_BACKWARD = "DROP TRIGGER IF EXISTS audit_event_guard ON audit_auditevent;\n---\nDROP FUNCTION IF EXISTS audit_event_guard();"

SQLITE_FORWARD = """
CREATE TRIGGER audit_event_guard BEFORE UPDATE ON audit_auditevent
WHEN NOT (OLD.seq IS NULL AND NEW.seq IS NOT NULL)
BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END;
"""
SQLITE_BACKWARD = "DROP TRIGGER IF EXISTS audit_event_guard;"


def forward(apps, schema_editor):
    run_vendor_script(schema_editor, postgresql=PG_FORWARD, sqlite=SQLITE_FORWARD)


def backward(apps, schema_editor):
    run_vendor_script(schema_editor, postgresql=PG_BACKWARD, sqlite=SQLITE_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
