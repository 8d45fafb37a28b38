"""Attendance at size (issue 19): a clock-in terminal's 10,000-line ATTLOG upload over the iclock
protocol, to the production server, and the same upload again.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/servicehall .venv/bin/python bench/attendance.py

How:

- A throw-away database (`bench_server`): a branch centre with 250 people (工号 0001–0250) and
  one registered terminal; the production server on a loopback port.
- The terminal's upload: 10,000 ATTLOG lines (40 punches of each person over four weeks, in
  and out), POSTed as one request, as a terminal does after a day or weeks offline. Timed from
  the request to the answer, three times: the first stores every punch, the next two must
  change nothing (a retried upload). Target: each < 2 s.
- A plain `INSERT … SELECT` of the same 10,000 rows into a copy of the punch table, measured
  right after, is printed beside it for scale.
- A failed check (a punch missing or stored twice, an answer other than `OK: 10000`) exits 1;
  slow figures never fail. The last line is one JSON object.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0] or ".").resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)  # bench/queue.py would shadow the standard library's `queue`
else:
    sys.path.insert(0, str(ROOT))

import http.client  # noqa: E402
import json  # noqa: E402
import time  # noqa: E402
from datetime import date, timedelta  # noqa: E402
from types import SimpleNamespace  # noqa: E402

from bench.queue import bench_server  # noqa: E402

PEOPLE = 250
LINES = 10_000
UPLOAD_TARGET_S = 2.0
SERIAL = "CQZ7232460001"


def build_data() -> SimpleNamespace:
    from django.utils import timezone

    from servicehall.accounts.models import Role, User
    from servicehall.attendance.services import device_register
    from servicehall.org.models import CenterKind, Department, District, Membership, ServiceCenter, Staff

    district = District.objects.create(code="211403", name="龙港区")
    main = ServiceCenter.objects.create(code="21140300", name="龙港区行政服务中心", kind=CenterKind.CENTER,
                                        district=district,
                                        department=Department.objects.create(district=district, name="区营商局"))
    center = ServiceCenter.objects.create(code="21140301", name="龙港区行政服务中心公共法律服务分中心",
                                          district=district, parent=main,
                                          department=Department.objects.create(district=district, name="区司法局"))
    manager = User(username="bench_manager", role=Role.MANAGER, full_name="负责人")
    manager.set_unusable_password()
    manager.save()
    Membership.objects.create(user=manager, center=center)
    Staff.objects.bulk_create([Staff(center=center, name=f"窗口人员{n}", employee_no=f"{n:04d}")
                               for n in range(1, PEOPLE + 1)])
    device_register(actor=manager, center=center, serial=SERIAL, name="一楼大厅", now=timezone.now())
    return SimpleNamespace(center=center)


def attlog(today: date) -> bytes:
    """40 punches of each person: in at 08:2x and out at 17:0x on 20 working days before today."""
    lines, day = [], today
    days: list[date] = []
    while len(days) < LINES // PEOPLE // 2:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    for person in range(1, PEOPLE + 1):
        for d in days:
            lines.append(f"{person:04d}\t{d} 08:{20 + person % 10}:{person % 60:02d}\t0\t1\t0\t0\t0\t0\t0\t0")
            lines.append(f"{person:04d}\t{d} 17:0{person % 10}:{person % 60:02d}\t1\t1\t0\t0\t0\t0\t0\t0")
    return ("\n".join(lines) + "\n").encode()


def upload(port: int, body: bytes) -> tuple[float, int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    began = time.perf_counter()
    connection.request("POST", f"/iclock/cdata?SN={SERIAL}&table=ATTLOG&Stamp=9999", body=body,
                       headers={"Content-Type": "text/plain"})
    response = connection.getresponse()
    text = response.read().decode()
    took = time.perf_counter() - began
    connection.close()
    return took, response.status, text


def plain_insert_s() -> float:
    """The same rows copied by the database alone, for scale."""
    from django.db import connection

    from servicehall.attendance.models import Punch

    table = Punch._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE bench_punch_copy (LIKE {table} INCLUDING ALL)")
        began = time.perf_counter()
        cursor.execute(f"INSERT INTO bench_punch_copy SELECT * FROM {table}")
        took = time.perf_counter() - began
        cursor.execute("DROP TABLE bench_punch_copy")
    return took


def main() -> int:
    with bench_server(build_data, f"a branch centre with {PEOPLE} people and one terminal") as bench:
        from django.utils import timezone

        from servicehall.attendance.models import Punch

        body = attlog(timezone.localdate())
        runs = [upload(bench.port, body) for _ in range(3)]
        stored = Punch.objects.count()
        distinct = Punch.objects.values("pin", "at").distinct().count()
        insert_s = plain_insert_s()
        bench.stop()
    times = [took for took, _, _ in runs]
    answers_ok = all(status == 200 and text == f"OK: {LINES}" for _, status, text in runs)
    failed = not answers_ok or stored != LINES or distinct != LINES
    print(f"# {bench.server}")
    for n, (took, status, text) in enumerate(runs, 1):
        label = "first upload" if n == 1 else "again       "
        print(f"{label} {LINES:,} lines in {took:.2f} s (target < {UPLOAD_TARGET_S:.0f} s) "
              f"{'ok' if took < UPLOAD_TARGET_S else 'OVER'}; answer {status} {text!r}")
    print(f"plain INSERT … SELECT of the same rows: {insert_s:.3f} s (for scale)")
    print(f"checks       punches stored {stored:,} of {LINES:,}, distinct {distinct:,}"
          f"{'' if not failed else ' FAILED'}")
    print(json.dumps({"lines": LINES, "first_upload_s": round(times[0], 3), "again_s": [round(t, 3) for t in times[1:]],
                      "plain_insert_s": round(insert_s, 3), "stored": stored, "distinct": distinct,
                      "checks_failed": failed}), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
