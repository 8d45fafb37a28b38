"""Attendance reads at size (issue 19): a 50-person centre's month sheet (target < 200 ms) and
the district's attendance figures for a year, over 1,000 staff and 12 months of punches
(target < 1 s).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/servicehall .venv/bin/python bench/attendance_sheets.py

How:

- A throw-away database (`bench_server`, as the other benchmarks; the server it starts is
  stopped at once: every measure runs in this process): a district of 20 centres (the district
  centre and 19 branches) of 50 people each (工号 0001–0050), 25 AB windows each (A岗 the
  person of the window's number, B岗 the person 25 after), a morning and an afternoon shift
  (08:30–12:00, 13:30–17:00), one registered terminal; a bureau user of the district and the
  manager of one branch.
- With SQL, for every working day of 2026 by the app's calendar (`get_calendar().is_workday`,
  seeded by the migrations), whatever today is: each person's day drawn once (about 8 % late,
  2 % early, 1 % missing the afternoon's check-out, 0.5 % absent, 3 % on leave for the day, the
  rest on time), and from it their punches (4 a day, fewer on such days: about 1,000,000), their
  `DayResult` with its halves as `day_results_compute` writes them, and each AB window's
  `WindowHalf` for both half days (about 250,000; a late A岗 leaves the window empty for the
  minutes they were late, an absent one for the whole shift, a holder on leave is replaced by
  B岗). Foreign-key triggers are off for that session while it writes (as bench/cases.py),
  then VACUUM ANALYZE.
- Timed in this process, 1 warm-up run then `RUNS` runs each (p50 and p99):
  1. `month_sheet` of a branch for October 2026, and the page as served
     (GET /attendance/sheet/?center=…&month=2026-10 through Django's test client, logged in as
     the branch's manager): target < 200 ms;
  2. `attendance_figures` of the 20 centres for 2026 (the empty-post limit
     `SH_EMPTY_POST_MINUTES`), and the page (GET /attendance/figures/?year=2026 as the bureau):
     target < 1 s.
  The reads run with the production database settings (server-side binding; psycopg prepares
  a statement after its 5th run and PostgreSQL may then keep a generic plan), so the later runs
  see the plan a long-lived connection keeps. Beside each read, for scale, a plain SQL
  statement over the same rows measured the same way: fetching the centre's month of results
  for the sheet, a grouped sum of the same rows for the figures. A read over its target is
  shown with the median time of each of its statements and EXPLAIN ANALYZE of the slowest one
  (custom and generic plan). The share of the CPUs busy with other work before and after the
  run is printed: on a shared machine every figure is higher.
- Slow figures never fail; a failed check (the sheet's or the figures' counts other than
  the table's, a page other than 200) exits 1. The last line is one JSON object.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0] or ".").resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)  # bench/queue.py would shadow the standard library's `queue`
else:
    sys.path.insert(0, str(ROOT))

import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from datetime import date, timedelta  # noqa: E402
from types import SimpleNamespace  # noqa: E402

from bench.cases import Statements, pct  # noqa: E402
from bench.queue import BUSY_WARNING, bench_server, cpu_busy  # noqa: E402

CENTRES = 20
PEOPLE = 50  # per centre
WINDOWS = 25  # AB windows per centre: A岗 person n, B岗 person n + 25
YEAR = 2026
SHEET_MONTH = date(YEAR, 10, 1)
RUNS, WARMUP = 20, 1
SHEET_TARGET_MS, FIGURES_TARGET_MS = 200.0, 1000.0

# A person's day, drawn once: (kind, cumulative share).
DAY_MIX = (("late", 0.08), ("early", 0.10), ("missing", 0.11), ("absent", 0.115), ("leave", 0.145))
SHIFTS = (("上午", "08:30", "12:00"), ("下午", "13:30", "17:00"))
SHIFT_MINUTES = 210  # each shift's length: a window nobody came to stood empty this long


def build_data() -> SimpleNamespace:
    """The district's 20 centres, each with its people, AB windows, shifts and terminal; a
    bureau user and one branch's manager."""
    from datetime import time as clock

    from django.utils import timezone

    from servicehall.accounts.models import Role, User
    from servicehall.attendance.models import Device, Shift
    from servicehall.org.models import (
        BackupPost,
        CenterKind,
        Department,
        District,
        Membership,
        ServiceCenter,
        Staff,
        Window,
    )

    def user(username: str, role: str, full_name: str, center) -> User:
        u = User(username=username, role=role, full_name=full_name)
        u.set_unusable_password()  # force_login only; skips the deliberately slow hasher
        u.save()
        Membership.objects.create(user=u, center=center)
        return u

    now = timezone.now()
    district = District.objects.create(code="211403", name="龙港区")
    main = ServiceCenter.objects.create(code="21140300", name="龙港区行政服务中心", kind=CenterKind.CENTER,
                                        district=district,
                                        department=Department.objects.create(district=district, name="区营商局"))
    centers = [main]
    for n in range(1, CENTRES):
        dept = Department.objects.create(district=district, name=f"区第{n}派驻局")
        centers.append(ServiceCenter.objects.create(code=f"211403{n:02d}", name=f"龙港区行政服务中心第{n}分中心",
                                                    district=district, department=dept, parent=main))
    for center in centers:
        people = Staff.objects.bulk_create([Staff(center=center, name=f"人员{center.code[-2:]}-{n}",
                                                  employee_no=f"{n:04d}") for n in range(1, PEOPLE + 1)])
        windows = Window.objects.bulk_create([Window(center=center, number=n, name=f"综合受理{n}")
                                              for n in range(1, WINDOWS + 1)])
        BackupPost.objects.bulk_create([BackupPost(center=center, window=w, holder=people[n],
                                                   backup_staff=people[n + WINDOWS])
                                        for n, w in enumerate(windows)])
        Shift.objects.bulk_create([Shift(center=center, name=name, starts_at=clock.fromisoformat(starts),
                                         ends_at=clock.fromisoformat(ends)) for name, starts, ends in SHIFTS])
        Device.objects.create(center=center, serial=f"BENCH{center.code}", name="一楼大厅", registered_at=now)
    bureau = user("bench_bureau", Role.BUREAU, "营商局考勤管理员", main)
    manager = user("bench_manager", Role.MANAGER, "分中心负责人", centers[1])
    return SimpleNamespace(centers=centers, sheet_center=centers[1], bureau=bureau, manager=manager)


def generate() -> dict:
    """Punches, day results and windows' half days of every working day of YEAR, with SQL (see
    the module's docstring), then VACUUM ANALYZE."""
    from django.db import DatabaseError, connection

    from servicehall.attendance.models import DayResult, Punch, WindowHalf
    from servicehall.org.models import BackupPost, ServiceCenter, Staff
    from servicehall.workcalendar.selectors import get_calendar

    calendar = get_calendar()
    first = date(YEAR, 1, 1)
    days = [d for d in (first + timedelta(days=n) for n in range(366)) if d.year == YEAR and calendar.is_workday(d)]
    staff, punch, result, half, post, centre = (m._meta.db_table for m in (Staff, Punch, DayResult, WindowHalf,
                                                                             BackupPost, ServiceCenter))
    kind = " ".join(f"WHEN u < {share} THEN '{name}'" for name, share in DAY_MIX)
    began = time.perf_counter()
    with connection.cursor() as cursor:
        try:
            cursor.execute("SET session_replication_role = replica")  # see bench/cases.py
            triggers_off = True
        except DatabaseError:
            triggers_off = False
        # Each person's day, drawn once: its kind, minutes late or early (m), a jitter (j,
        # seconds) and the four punch times it makes (NULL: no punch).
        cursor.execute(f"""
            CREATE TEMP TABLE bench_day AS
            WITH drawn AS (
                SELECT s.id AS staff_id, s.center_id, s.employee_no AS pin, d.day, random() AS u,
                       1 + floor(random() * 29)::int AS m, floor(random() * 600)::int AS j
                FROM {staff} s CROSS JOIN unnest(%s::date[]) AS d(day)
            ), typed AS (
                SELECT *, CASE {kind} ELSE 'normal' END AS kind FROM drawn
            )
            SELECT staff_id, center_id, pin, day, kind, m,
                   CASE WHEN kind IN ('absent', 'leave') THEN NULL
                        WHEN kind = 'late' THEN time '08:30' + m * interval '1 minute'
                        ELSE time '08:20' + j * interval '1 second' END AS am_in,
                   CASE WHEN kind IN ('absent', 'leave') THEN NULL
                        ELSE time '12:00' + j * interval '1 second' END AS am_out,
                   CASE WHEN kind IN ('absent', 'leave') THEN NULL
                        ELSE time '13:20' + j * interval '1 second' END AS pm_in,
                   CASE WHEN kind IN ('absent', 'leave', 'missing') THEN NULL
                        WHEN kind = 'early' THEN time '17:00' - m * interval '1 minute'
                        ELSE time '17:00' + j * interval '1 second' END AS pm_out
            FROM typed
        """, [days])
        cursor.execute("ANALYZE bench_day")
        drawn = time.perf_counter()
        # The punches as the terminal sent them: in and out, morning and afternoon.
        cursor.execute(f"""
            INSERT INTO {punch} (center_id, staff_id, serial, pin, at, source, state, verify, received_at)
            SELECT d.center_id, d.staff_id, 'BENCH' || c.code, d.pin,
                   (d.day + p.t) AT TIME ZONE 'Asia/Shanghai', 'device', p.state, 15,
                   (d.day + p.t) AT TIME ZONE 'Asia/Shanghai' + interval '3 seconds'
            FROM bench_day d JOIN {centre} c ON c.id = d.center_id
            CROSS JOIN LATERAL (VALUES (d.am_in, 0), (d.am_out, 1), (d.pm_in, 0), (d.pm_out, 1)) AS p(t, state)
            WHERE p.t IS NOT NULL
        """)
        punched = time.perf_counter()
        # The day's result with its halves, as day_results_compute writes them.
        cursor.execute(f"""
            INSERT INTO {result} (center_id, staff_id, day, outcome, late_minutes, early_minutes, duty_halves,
                absent_halves, missing_halves, leave_halves, halves, computed_at)
            SELECT center_id, staff_id, day, kind,
                   CASE WHEN kind = 'late' THEN m ELSE 0 END, CASE WHEN kind = 'early' THEN m ELSE 0 END, 2,
                   CASE WHEN kind = 'absent' THEN 2 ELSE 0 END, CASE WHEN kind = 'missing' THEN 1 ELSE 0 END,
                   CASE WHEN kind = 'leave' THEN 2 ELSE 0 END,
                   jsonb_build_array(
                       jsonb_build_object('half', 'am',
                           'outcome', CASE WHEN kind IN ('late', 'absent', 'leave') THEN kind ELSE 'normal' END,
                           'leave', CASE WHEN kind = 'leave' THEN '年休假' ELSE '' END,
                           'late_minutes', CASE WHEN kind = 'late' THEN m ELSE 0 END, 'early_minutes', 0,
                           'check_in', to_char(am_in, 'HH24:MI:SS'), 'check_out', to_char(am_out, 'HH24:MI:SS')),
                       jsonb_build_object('half', 'pm',
                           'outcome', CASE WHEN kind IN ('early', 'missing', 'absent', 'leave') THEN kind
                                           ELSE 'normal' END,
                           'leave', CASE WHEN kind = 'leave' THEN '年休假' ELSE '' END,
                           'late_minutes', 0, 'early_minutes', CASE WHEN kind = 'early' THEN m ELSE 0 END,
                           'check_in', to_char(pm_in, 'HH24:MI:SS'), 'check_out', to_char(pm_out, 'HH24:MI:SS'))),
                   (day + time '17:05') AT TIME ZONE 'Asia/Shanghai'
            FROM bench_day
        """)
        resulted = time.perf_counter()
        # Each AB window's half days: A岗, or B岗 while A is on leave; empty until they arrived.
        cursor.execute(f"""
            INSERT INTO {half} (center_id, window_id, day, half, staff_id, post, starts_at, arrived_at, empty_minutes)
            SELECT a.center_id, bp.window_id, a.day, h.half, w.staff_id, w.post, h.starts, w.arrived,
                   CASE WHEN w.arrived IS NULL THEN %s
                        ELSE greatest(floor(extract(epoch FROM w.arrived - h.starts) / 60), 0)::int END
            FROM {post} bp
            JOIN bench_day a ON a.staff_id = bp.holder_id
            JOIN bench_day b ON b.staff_id = bp.backup_staff_id AND b.day = a.day
            CROSS JOIN LATERAL (VALUES ('am', time '08:30', a.am_in, b.am_in),
                                       ('pm', time '13:30', a.pm_in, b.pm_in)) AS h(half, starts, a_in, b_in)
            CROSS JOIN LATERAL (SELECT CASE WHEN a.kind = 'leave' THEN bp.backup_staff_id ELSE bp.holder_id END,
                                       CASE WHEN a.kind = 'leave' THEN 'B岗' ELSE 'A岗' END,
                                       CASE WHEN a.kind = 'leave' THEN h.b_in ELSE h.a_in END)
                                AS w(staff_id, post, arrived)
        """, [SHIFT_MINUTES])
        halved = time.perf_counter()
        cursor.execute("DROP TABLE bench_day")
        if triggers_off:
            cursor.execute("SET session_replication_role = DEFAULT")
        for table in (punch, result, half):
            cursor.execute(f"VACUUM ANALYZE {table}")
        counts = {}
        for name, table in (("punches", punch), ("day_results", result), ("window_halves", half)):
            cursor.execute(f"SELECT count(*), pg_total_relation_size(%s) FROM {table}", [table])
            rows, size = cursor.fetchone()
            counts[name], counts[f"{name}_mb"] = int(rows), size / 2**20
    ended = time.perf_counter()
    return {"workdays": len(days), **counts, "generate_s": ended - began, "draw_s": drawn - began,
            "insert_punches_s": punched - drawn, "insert_results_s": resulted - punched,
            "insert_halves_s": halved - resulted, "vacuum_s": ended - halved, "triggers_off": triggers_off}


# --- the reads ------------------------------------------------------------------------------------

def read(fn, target_ms: float) -> dict:
    """`fn` once unmeasured, then RUNS times: latencies (ms), the last result, each statement's
    median; over the target, the plans of the slowest statement."""
    from django.db import connection

    from servicehall.db.plans import explain_prepared

    result = None
    for _ in range(WARMUP):
        result = fn()
    times, statements = [], Statements()
    with connection.execute_wrapper(statements):
        for _ in range(RUNS):
            began = time.perf_counter()
            result = fn()
            times.append((time.perf_counter() - began) * 1000)
    medians = {k: statistics.median(v) for k, v in statements.times.items()}
    slowest, plans = statements.slowest(), ""
    if slowest is not None and pct(times, .5) >= target_ms:
        plans = f"{slowest}\n" + explain_prepared(*statements.last[slowest])
    return {"times": times, "result": result, "statements": medians, "plans": plans}


def plain(sql: str, params) -> dict:
    """A plain statement over the same rows, timed as the reads are: the database's part alone."""
    from django.db import connection

    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    return read(run, float("inf"))


def page(user, path: str, params: dict):
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)

    def get():
        response = client.get(path, params)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} answered {response.status_code}")
        return response
    return get


def measure(data) -> dict:
    from django.conf import settings

    from servicehall.attendance.models import DayResult, WindowHalf
    from servicehall.attendance.selectors import attendance_figures, month_days, month_sheet

    center, first, last = data.sheet_center, SHEET_MONTH, month_days(SHEET_MONTH)[-1]
    year_first, year_last = date(YEAR, 1, 1), date(YEAR, 12, 31)
    ids, limit = [c.pk for c in data.centers], settings.SH_EMPTY_POST_MINUTES
    result, half = DayResult._meta.db_table, WindowHalf._meta.db_table
    out = {
        "sheet": read(lambda: month_sheet(center, first), SHEET_TARGET_MS),
        "sheet_plain": plain(f"SELECT * FROM {result} WHERE center_id = %s AND day BETWEEN %s AND %s",
                             [center.pk, first, last]),
        "sheet_page": read(page(data.manager, "/attendance/sheet/", {"center": center.code,
                                                                     "month": f"{first:%Y-%m}"}), SHEET_TARGET_MS),
        "figures": read(lambda: attendance_figures(data.centers, year_first, year_last, limit), FIGURES_TARGET_MS),
        "figures_plain": plain(f"""
            SELECT center_id, extract(month FROM day), sum(duty_halves), sum(absent_halves), count(*)
            FROM {result} WHERE center_id = ANY(%s) AND day BETWEEN %s AND %s GROUP BY 1, 2
            UNION ALL
            SELECT center_id, extract(month FROM day), sum(empty_minutes), 0, count(*)
            FROM {half} WHERE center_id = ANY(%s) AND day BETWEEN %s AND %s GROUP BY 1, 2
        """, [ids, year_first, year_last, ids, year_first, year_last]),
        "figures_page": read(page(data.bureau, "/attendance/figures/", {"year": str(YEAR)}), FIGURES_TARGET_MS),
    }
    return out


def check(data, reads: dict) -> dict:
    """The sheet and the figures against the tables, counted with SQL."""
    from django.conf import settings
    from django.db import connection

    from servicehall.attendance.models import DayResult, WindowHalf
    from servicehall.attendance.selectors import month_days

    result, half = DayResult._meta.db_table, WindowHalf._meta.db_table
    sheet = reads["sheet"]["result"]
    days = month_days(SHEET_MONTH)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*), count(*) FILTER (WHERE late_minutes > 0) FROM {result} "
                       "WHERE center_id = %s AND day BETWEEN %s AND %s", [data.sheet_center.pk, days[0], days[-1]])
        sheet_results, sheet_late = cursor.fetchone()
        cursor.execute(f"SELECT sum(duty_halves), count(*) FILTER (WHERE late_minutes > 0), "
                       f"count(*) FILTER (WHERE missing_halves > 0) FROM {result} WHERE day BETWEEN %s AND %s",
                       [date(YEAR, 1, 1), date(YEAR, 12, 31)])
        duty, late, missing = cursor.fetchone()
        cursor.execute(f"SELECT count(*), coalesce(sum(empty_minutes), 0) FROM {half} "
                       "WHERE empty_minutes > %s AND day BETWEEN %s AND %s",
                       [settings.SH_EMPTY_POST_MINUTES, date(YEAR, 1, 1), date(YEAR, 12, 31)])
        empty_times, empty_minutes = cursor.fetchone()
    figures, _ = reads["figures"]["result"]
    shown = {"duty_halves": sum(f.totals.duty_halves for f in figures),
             "late_times": sum(f.totals.late_times for f in figures),
             "missing_times": sum(f.totals.missing_times for f in figures),
             "empty_times": sum(f.empty_times for f in figures),
             "empty_minutes": sum(f.empty_minutes for f in figures)}
    counted = {"duty_halves": int(duty), "late_times": int(late), "missing_times": int(missing),
               "empty_times": int(empty_times), "empty_minutes": int(empty_minutes)}
    sheet_cells = sum(cell is not None for row in sheet.rows for cell in row.cells)
    checks = {
        "sheet_rows": len(sheet.rows), "sheet_cells": sheet_cells, "sheet_results": int(sheet_results),
        "sheet_late": sum(row.totals.late_times for row in sheet.rows), "sheet_late_counted": int(sheet_late),
        "figures_centres": len(figures), "figures_people": sum(f.people for f in figures),
        "figures": shown, "counted": counted,
    }
    checks["failed"] = bool(len(sheet.rows) != PEOPLE or sheet_cells != sheet_results
                            or checks["sheet_late"] != sheet_late or len(figures) != CENTRES
                            or checks["figures_people"] != CENTRES * PEOPLE or shown != counted)
    return checks


# --- report ---------------------------------------------------------------------------------------

def mark(ok: bool) -> str:
    return "ok" if ok else "OVER"


def r1(x: float) -> float:
    return round(x, 1)


def report(reads: dict, made: dict, checks: dict, data, busy: tuple) -> dict:
    def line(label: str, what: str, key: str, target_ms: float, plain_key: str | None = None) -> None:
        figures = reads[key]
        p50, p99 = pct(figures["times"], .5), pct(figures["times"], .99)
        sql = sum(figures["statements"].values())
        text = (f"{label:8s} {what}: p50 {p50:6.1f} ms, p99 {p99:6.1f} ms (target < {target_ms:.0f} ms) "
                f"{mark(p50 < target_ms)}; in SQL {sql:.1f} ms over {len(figures['statements'])} statements, "
                f"outside SQL (Python, templates) {p50 - sql:.1f} ms")
        if plain_key:
            text += f"; plain SQL over the same rows p50 {pct(reads[plain_key]['times'], .5):.1f} ms (for scale)"
        print(text)

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version')")
        pg_version = cursor.fetchone()[0]
    shown = " / ".join("?" if b is None else f"{b:.0%}" for b in busy)
    print(f"# attendance sheets benchmark: reads in this process, production database settings; PostgreSQL "
          f"{pg_version}; {os.cpu_count()} CPUs, busy with other work before / after the run: {shown}"
          + ("  (other work shares the machine: every figure is higher, and noisier)"
             if any(b is not None and b > BUSY_WARNING for b in busy) else ""))
    print(f"data     {CENTRES} centres x {PEOPLE} people, {made['workdays']} working days of {YEAR}: "
          f"{made['punches']:,} punches ({made['punches_mb']:.0f} MB), {made['day_results']:,} day results "
          f"({made['day_results_mb']:.0f} MB), {made['window_halves']:,} windows' half days "
          f"({made['window_halves_mb']:.0f} MB) in {made['generate_s']:.1f} s (drawing the days "
          f"{made['draw_s']:.1f} s, punches {made['insert_punches_s']:.1f} s, "
          f"results {made['insert_results_s']:.1f} s, half days {made['insert_halves_s']:.1f} s, "
          f"VACUUM ANALYZE {made['vacuum_s']:.1f} s)" + ("" if made["triggers_off"] else
                                                          " (foreign-key triggers on: not a superuser)"))
    month = f"{SHEET_MONTH:%Y-%m}"
    print(f"# {RUNS} runs each after {WARMUP} warm-up; pages through Django's test client, whole view in-process")
    line("sheet", f"month_sheet, {PEOPLE} people, {month}", "sheet", SHEET_TARGET_MS, "sheet_plain")
    line("page", f"GET /attendance/sheet/?center={data.sheet_center.code}&month={month} as the manager",
         "sheet_page", SHEET_TARGET_MS)
    line("figures", f"attendance_figures, {CENTRES} centres, {CENTRES * PEOPLE:,} people, {YEAR}", "figures",
         FIGURES_TARGET_MS, "figures_plain")
    line("page", f"GET /attendance/figures/?year={YEAR} as the bureau", "figures_page", FIGURES_TARGET_MS)
    print(f"checks   sheet {checks['sheet_rows']} rows, {checks['sheet_cells']:,} days shown of "
          f"{checks['sheet_results']:,} results, late {checks['sheet_late']} of {checks['sheet_late_counted']}; "
          f"figures {checks['figures_centres']} centres, {checks['figures_people']:,} people, {checks['figures']} "
          f"against {checks['counted']} {'FAILED' if checks['failed'] else 'ok'}")
    for key in ("sheet", "sheet_page", "figures", "figures_page"):
        if reads[key]["plans"]:
            times = ", ".join(f"{k} {v:.1f} ms" for k, v in reads[key]["statements"].items())
            print(f"slow     {key}: statements (median of the measured runs): {times}")
            print(f"plan     {key}, slowest statement, EXPLAIN ANALYZE: " + reads[key]["plans"].replace("\n", "\n  "))
    summary = {k: r1(v) if isinstance(v, float) else v for k, v in made.items()}
    summary |= {f"cpu_busy_{k}": None if b is None else round(b, 2) for k, b in zip(("before", "after"), busy,
                                                                                     strict=True)}
    for key in ("sheet", "sheet_plain", "sheet_page", "figures", "figures_plain", "figures_page"):
        summary[f"{key}_p50_ms"] = r1(pct(reads[key]["times"], .5))
        summary[f"{key}_p99_ms"] = r1(pct(reads[key]["times"], .99))
    return summary | {"checks_failed": checks["failed"]}


def main() -> int:
    described = f"{CENTRES} centres x {PEOPLE} people, {WINDOWS} AB windows each"
    with bench_server(build_data, described) as bench:
        bench.stop()  # the measures run in this process
        print(f"# generating a year of attendance for {CENTRES * PEOPLE:,} people…", flush=True)
        made = generate()
        print(f"# generated in {made['generate_s']:.1f} s; timing the reads…", flush=True)
        reads = measure(bench.data)
        busy_after = cpu_busy()
        checks = check(bench.data, reads)
        summary = report(reads, made, checks, bench.data, (bench.busy_before, busy_after))
        print(json.dumps(summary, ensure_ascii=False), flush=True)
        return 1 if summary["checks_failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
