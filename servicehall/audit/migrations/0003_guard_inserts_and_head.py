"""Close two gaps the chain tests found.

- A row may only be INSERTed unsealed (seq NULL, no hash): a forged row with a sequence
  number would otherwise block the sealer with a unique-key conflict.
- The chain head may only move forward: rewinding it to hide a removed tail would need a
  trigger bypass, like any other tampering.
"""

from django.db import migrations

from servicehall.audit.sqlscripts import run_vendor_script

PG_FORWARD = """
CREATE OR REPLACE FUNCTION audit_event_insert_guard() RETURNS trigger AS $$
BEGIN
    IF NEW.seq IS NOT NULL OR NEW.hash <> '' OR NEW.prev_hash <> '' THEN
        RAISE EXCEPTION 'audit rows are inserted unsealed';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
---
CREATE TRIGGER audit_event_insert_guard BEFORE INSERT ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION audit_event_insert_guard();
---
CREATE OR REPLACE FUNCTION audit_head_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NEW.last_seq < OLD.last_seq THEN
        RAISE EXCEPTION 'the audit chain head only moves forward';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
---
CREATE TRIGGER audit_head_guard BEFORE UPDATE OR DELETE ON audit_auditchainhead
    FOR EACH ROW EXECUTE FUNCTION audit_head_guard();
"""
PG_BACKWARD = """
DROP TRIGGER IF EXISTS audit_event_insert_guard ON audit_auditevent;
---
DROP FUNCTION IF EXISTS audit_event_insert_guard();
---
DROP TRIGGER IF EXISTS audit_head_guard ON audit_auditchainhead;
---
DROP FUNCTION IF EXISTS audit_head_guard();
"""

SQLITE_FORWARD = """
CREATE TRIGGER audit_event_insert_guard BEFORE INSERT ON audit_auditevent
WHEN NEW.seq IS NOT NULL OR NEW.hash <> '' OR NEW.prev_hash <> ''
BEGIN SELECT RAISE(ABORT, 'audit rows are inserted unsealed'); END;
---
CREATE TRIGGER audit_head_guard BEFORE UPDATE ON audit_auditchainhead
WHEN NEW.last_seq < OLD.last_seq
BEGIN SELECT RAISE(ABORT, 'the audit chain head only moves forward'); END;
"""
SQLITE_BACKWARD = """
DROP TRIGGER IF EXISTS audit_event_insert_guard;
---
DROP TRIGGER IF EXISTS audit_head_guard;
"""


def forward(apps, schema_editor):
    run_vendor_script(schema_editor, postgresql=PG_FORWARD, sqlite=SQLITE_FORWARD)


def backward(apps, schema_editor):
    run_vendor_script(schema_editor, postgresql=PG_BACKWARD, sqlite=SQLITE_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]
    operations = [migrations.RunPython(forward, backward)]
