"""Audit trail: writers chain their rows as they commit and must not queue behind each other.

Measures audit_record from several threads at once, each row in its own transaction as
services write them, the chain added by the database at each commit (audit/chain.py), then
walks the whole chain. Limits: writers ≥ 300 chained rows/s with 4 threads; the walk ≥ 1,000
rows/s. A city installation of 500 windows writing one audit row each per 30 s makes ~17
rows/s, so 300 rows/s leaves an 18-fold margin for bursts.
"""

import threading
import time

from django.db import close_old_connections, connection, transaction

from servicehall.audit.models import AuditEvent
from servicehall.audit.selectors import audit_chain_verify
from servicehall.audit.services import audit_record

THREADS = 4
PER_THREAD = 250
WRITE_LIMIT = 300.0
WALK_LIMIT = 1000.0


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
    result = audit_chain_verify()
    walk_elapsed = time.perf_counter() - began
    walk_rate = result.checked / walk_elapsed if walk_elapsed else float("inf")
    print(f"chain walk: {walk_rate:,.0f} rows/s ({result.checked} rows, {'intact' if result.ok else result.problem})"
          f"   limit ≥ {WALK_LIMIT:,.0f} rows/s   {'ok' if walk_rate >= WALK_LIMIT and result.ok else 'OVER'}")
    print(f"rows in table: {AuditEvent.objects.count()}")
