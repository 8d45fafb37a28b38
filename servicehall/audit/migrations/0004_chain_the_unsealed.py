"""From now on rows are chained as they are written (services.audit_record) and a row outside
the chain is reported as written some other way. Chain the rows the background sealer had not
reached yet, in id order, as it would have."""

from django.db import migrations
from django.utils import timezone


def chain_pending(apps, schema_editor):
    from servicehall.audit.chain import row_digest

    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditChainHead = apps.get_model("audit", "AuditChainHead")
    pending = list(AuditEvent.objects.filter(seq__isnull=True).order_by("id"))
    if not pending:
        return
    head, _ = AuditChainHead.objects.get_or_create(pk=1)
    seq, prev, now = head.last_seq, head.last_hash, timezone.now()
    for row in pending:
        seq += 1
        row.seq, row.prev_hash = seq, prev
        prev = row_digest(row)
        AuditEvent.objects.filter(pk=row.pk, seq__isnull=True).update(seq=seq, prev_hash=row.prev_hash, hash=prev,
                                                                      sealed_at=now)
    AuditChainHead.objects.filter(pk=head.pk).update(last_seq=seq, last_hash=prev, updated_at=now)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_guard_inserts_and_head")]
    operations = [migrations.RunPython(chain_pending, migrations.RunPython.noop)]
