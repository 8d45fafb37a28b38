"""Audit trail: writers must not queue behind the hash chain; the sealer must keep up.

Measures audit_record inserts from several threads at once (each in its own transaction,
as services do) and the sealer's rate. Limits: writers ≥ 300 rows/s with 4 threads; the
sealer ≥ 1,000 rows/s. A city installation of 500 windows writing one audit row each per
30 s makes ~17 rows/s, so 1,000 rows/s leaves a 60-fold margin for bursts.
"""

import threading
import time

from django.db import close_old_connections, connection, transaction

from servicehall.audit.models import AuditEvent
from servicehall.audit.services import audit_record, audit_seal

THREADS = 4
PER_THREAD = 250
WRITE_LIMIT = 300.0
SEAL_LIMIT = 1000.0


def _writer(errors: list) -> None:
    try:
        for i in range(PER_THREAD):
            with transaction.atomic():
                audit_record(actor=None, action="bench.write", object_type="bench", object_id=str(i), after={"i": i})
    except Exception as exc:  # report, do not hide
        errors.append(exc)
    finally:
        close_old_connections()
        connection.close()


def run() -> None:
    errors: list = []
    threads = [threading.Thread(target=_writer, args=(errors,)) for _ in range(THREADS)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    written = THREADS * PER_THREAD
    write_rate = written / elapsed
    print(f"## audit_record: {THREADS} threads × {PER_THREAD} rows")
    print(f"writes: {write_rate:,.0f} rows/s ({elapsed:.2f} s)   limit ≥ {WRITE_LIMIT:.0f} rows/s   "
          f"{'ok' if write_rate >= WRITE_LIMIT and not errors else 'OVER'}"
          + (f"   errors: {errors[:1]}" if errors else ""))
    began = time.perf_counter()
    sealed = 0
    while True:
        n = audit_seal(batch_size=500)
        if not n:
            break
        sealed += n
    seal_elapsed = time.perf_counter() - began
    seal_rate = sealed / seal_elapsed if seal_elapsed else float("inf")
    print(f"sealing: {seal_rate:,.0f} rows/s ({sealed} rows)   limit ≥ {SEAL_LIMIT:,.0f} rows/s   "
          f"{'ok' if seal_rate >= SEAL_LIMIT else 'OVER'}")
    print(f"rows in table: {AuditEvent.objects.count()}")
