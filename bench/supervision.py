"""Electronic supervision at size (issue 18): the sweep and the bureau's console over
1,000,000 cases, 2,000,000 tickets and 500,000 reviews.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/servicehall .venv/bin/python bench/supervision.py

How:

- The same throw-away database and organisation as bench/cases.py (`bench_server`,
  `build_data`, `generate`: 1,000,000 cases over four centres, about 11 % open). Then, with
  SQL, the cases' history (an acceptance and a decision row each, where they apply),
  2,000,000 tickets over the past two years (today's: 400, some of them waiting since the
  morning) and 500,000 reviews, 3 % bad, each bad one with a rectification (most closed, the
  last ones open, some past their deadline).
- Timed in this process, against that database, through the services the background loop
  and the pages call:
  1. the first full sweep (no marks yet), which raises every alert, against a plain
     `INSERT … SELECT` of the same rows into a copy of the alert table, measured right after
     (target: the sweep at least 25 % of that rate);
  2. a sweep with nothing changed, the minute after (target < 200 ms);
  3. a sweep after 1,000 open cases changed (a history row each, as a suspension or a decision
     writes; target < 1 s);
  4. the bureau's console page, the whole view in-process, 20 runs after 3 warm-ups (p50 and
     p99; target < 300 ms).
- Slow figures never fail; a failed check (an alert raised twice, an overdue case without its
  alert) exits 1. The last line is one JSON object.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0] or ".").resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)  # bench/queue.py would shadow the standard library's `queue`
else:
    sys.path.insert(0, str(ROOT))

import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from datetime import timedelta  # noqa: E402

from bench import cases as case_bench  # noqa: E402
from bench.queue import bench_server  # noqa: E402

TICKETS = 2_000_000
REVIEWS = 500_000
CHANGED = 1_000
CONSOLE_RUNS, CONSOLE_WARMUP = 20, 3
FIRST_RATIO_TARGET, QUIET_TARGET_MS, CHANGED_TARGET_MS, CONSOLE_TARGET_MS = 0.25, 200.0, 1000.0, 300.0


def generate_queue_and_reviews(data, now) -> dict:
    """Tickets, reviews and rectifications with SQL (see the module's docstring)."""
    from django.db import connection
    from django.utils import timezone

    from servicehall.cases.models import Case, CaseTransition
    from servicehall.queueing.models import Ticket, TicketCategory
    from servicehall.reviews.models import Rectification, Review

    categories = [TicketCategory.objects.create(center=center, prefix="A", name="综合受理").pk
                  for center in data.centers]
    ticket, review, rect = Ticket._meta.db_table, Review._meta.db_table, Rectification._meta.db_table
    case, history = Case._meta.db_table, CaseTransition._meta.db_table
    today = timezone.localdate(now)
    began = time.perf_counter()
    with connection.cursor() as cursor:
        # The cases' history: an acceptance row for each accepted case and a decision row for
        # each decided one (at 10:00 and 15:00 local, never later than an hour ago), so that the
        # sweep's "changed since" lookups search a history of realistic size.
        cursor.execute(f"""
            INSERT INTO {history} (case_id, center_id, action, step, from_status, to_status, at, reason, data)
            SELECT id, center_id, 'accept', '', 'received', 'accepted',
                   LEAST((accepted_on + time '10:00') AT TIME ZONE 'Asia/Shanghai', %(now)s - interval '1 hour'),
                   '', '{{}}'::jsonb
            FROM {case} WHERE accepted_on IS NOT NULL
            UNION ALL
            SELECT id, center_id, CASE WHEN status = 'denied' THEN 'deny' ELSE 'approve' END, '', 'accepted',
                   CASE WHEN status = 'denied' THEN 'denied' ELSE 'approved' END,
                   LEAST((decided_on + time '15:00') AT TIME ZONE 'Asia/Shanghai', %(now)s - interval '1 hour'),
                   CASE WHEN status = 'denied' THEN '不符合法定条件' ELSE '' END, '{{}}'::jsonb
            FROM {case} WHERE decided_on IS NOT NULL
        """, {"now": now})
        # History: 2,000,000 finished tickets over two years, 09:00–16:00 local.
        cursor.execute(f"""
            INSERT INTO {ticket} (center_id, category_id, day, seq, number, status, green_channel, phone, phone_index,
                id_number, id_number_index, token, issued_at, queued_at, called_at, recalls)
            SELECT (%(centers)s::bigint[])[1 + g %% 4], (%(categories)s::bigint[])[1 + g %% 4], d, g, 'A' || g, 'done',
                   false, '', '', '', '', substr(md5('t' || g::text), 1, 24),
                   (d + time '09:00' + (g %% 420) * interval '1 minute') AT TIME ZONE 'Asia/Shanghai',
                   (d + time '09:00' + (g %% 420) * interval '1 minute') AT TIME ZONE 'Asia/Shanghai',
                   (d + time '09:10' + (g %% 420) * interval '1 minute') AT TIME ZONE 'Asia/Shanghai', 0
            FROM (SELECT g, %(today)s::date - 1 - (g %% 730) AS d FROM generate_series(1, %(n)s) AS g) AS s
        """, {"centers": [c.pk for c in data.centers], "categories": categories, "today": today, "n": TICKETS})
        # Today: 400 tickets since 08:30, the last 120 still waiting (the earliest of them long).
        cursor.execute(f"""
            INSERT INTO {ticket} (center_id, category_id, day, seq, number, status, green_channel, phone, phone_index,
                id_number, id_number_index, token, issued_at, queued_at, called_at, recalls)
            SELECT (%(centers)s::bigint[])[1 + g %% 4], (%(categories)s::bigint[])[1 + g %% 4], %(today)s, g,
                   'A' || lpad(g::text, 3, '0'), CASE WHEN g > 280 THEN 'waiting' ELSE 'done' END, false, '', '', '',
                   '', substr(md5('today' || g::text), 1, 24), %(now)s - (400 - g) * interval '40 seconds',
                   %(now)s - (400 - g) * interval '40 seconds',
                   CASE WHEN g > 280 THEN NULL ELSE %(now)s - (400 - g) * interval '30 seconds' END, 0
            FROM generate_series(1, 400) AS g
        """, {"centers": [c.pk for c in data.centers], "categories": categories, "today": today, "now": now})
        # Every fourth finished ticket rated at the window, 3 % of them badly.
        cursor.execute(f"""
            INSERT INTO {review} (center_id, ticket_id, level, channel, comment, reasons, rater_name, rater_phone,
                rater_phone_index, created_at, excluded, excluded_reason)
            SELECT center_id, id, CASE WHEN id %% 100 < 3 THEN 1 ELSE 5 END, 4, '',
                   CASE WHEN id %% 100 < 3 THEN '["等候时间过长"]'::jsonb ELSE '[]'::jsonb END, '', '', '',
                   called_at + interval '10 minutes', false, ''
            FROM {ticket} WHERE status = 'done' AND id %% 4 = 0 ORDER BY id LIMIT %(n)s
        """, {"n": REVIEWS})
        # Bad reviews' rectifications: closed, except those of the last 15 days.
        cursor.execute(f"""
            INSERT INTO {rect} (review_id, center_id, status, deadline, calendar_confirmed, callback_outcome,
                verification, rectification, reply, rater_verdict, created_at, closed_on)
            SELECT id, center_id, CASE WHEN created_at > now() - interval '15 days' THEN 'open' ELSE 'closed' END,
                   (created_at AT TIME ZONE 'Asia/Shanghai')::date + 7, true, '', '', '', '', '', created_at,
                   CASE WHEN created_at > now() - interval '15 days' THEN NULL
                        ELSE (created_at AT TIME ZONE 'Asia/Shanghai')::date + 5 END
            FROM {review} WHERE level = 1
        """)
        for table in (history, ticket, review, rect):
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute(f"SELECT count(*) FROM {ticket}")
        tickets = cursor.fetchone()[0]
        cursor.execute(f"SELECT count(*), count(*) FILTER (WHERE status <> 'closed') FROM {rect}")
        rectifications, open_rectifications = cursor.fetchone()
        cursor.execute(f"SELECT count(*) FROM {history}")
        history_rows = cursor.fetchone()[0]
    return {"case_history": int(history_rows), "tickets": int(tickets), "reviews": REVIEWS,
            "rectifications": int(rectifications), "open_rectifications": int(open_rectifications),
            "generate_queue_s": time.perf_counter() - began}


def first_sweep_against_insert(now) -> dict:
    """The first sweep (every alert raised), then a plain INSERT … SELECT of the same rows."""
    from django.db import connection

    from servicehall.supervision.models import Alert
    from servicehall.supervision.services import rules_ensure, supervision_sweep

    rules_ensure(now)
    began = time.perf_counter()
    supervision_sweep(now=now)
    sweep_s = time.perf_counter() - began
    raised = Alert.objects.count()
    table = Alert._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE bench_alert_copy (LIKE {table} INCLUDING ALL)")
        began = time.perf_counter()
        cursor.execute(f"INSERT INTO bench_alert_copy SELECT * FROM {table}")
        insert_s = time.perf_counter() - began
        cursor.execute("DROP TABLE bench_alert_copy")
    sweep_rate, insert_rate = raised / sweep_s, raised / insert_s
    return {"first_sweep_s": sweep_s, "alerts_raised": raised, "first_sweep_per_s": sweep_rate,
            "insert_select_per_s": insert_rate, "first_ratio": sweep_rate / insert_rate}


def timed_sweep(now) -> float:
    from servicehall.supervision.services import supervision_sweep

    began = time.perf_counter()
    supervision_sweep(now=now)
    return (time.perf_counter() - began) * 1000


def change_cases(now, n: int) -> int:
    """`n` open cases get a history row each (as a decision or a suspension writes) and are
    decided; returns how many."""
    from django.db import connection

    from servicehall.cases.models import Case, CaseTransition

    case, history = Case._meta.db_table, CaseTransition._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"""
            WITH picked AS (SELECT id, center_id, status FROM {case} WHERE status = 'accepted'
                            ORDER BY due_date LIMIT %s),
                 decided AS (UPDATE {case} c SET status = 'approved', decided_on = %s FROM picked
                             WHERE c.id = picked.id RETURNING c.id, c.center_id)
            INSERT INTO {history} (case_id, center_id, action, step, from_status, to_status, at, reason, data)
            SELECT id, center_id, 'approve', '', 'accepted', 'approved', %s, '', '{{}}'::jsonb FROM decided
        """, [n, now.date(), now])
        return cursor.rowcount


def check_alerts(now) -> dict:
    """No alert twice; every overdue case still open has its open alert."""
    from django.db.models import Count
    from django.utils import timezone

    from servicehall.cases.models import Case
    from servicehall.supervision.models import Alert

    twice = (Alert.objects.values("rule", "subject", "subject_id", "occurrence").annotate(n=Count("id"))
             .filter(n__gt=1).count())
    today = timezone.localdate(now)
    overdue = Case.objects.filter(status="accepted", due_date__lt=today)
    alerted = Alert.objects.filter(rule__code="case_overdue", state__in=["open", "explained"]).values("subject_id")
    missing = overdue.exclude(pk__in=alerted).count()
    return {"duplicates": twice, "overdue_cases": overdue.count(), "overdue_without_alert": missing}


def console_times(now) -> list[float]:
    from django.test import RequestFactory

    from servicehall.accounts.models import User
    from servicehall.supervision.views import console

    user = User.objects.get(username="bench_bureau")
    factory, times = RequestFactory(), []
    for run in range(CONSOLE_WARMUP + CONSOLE_RUNS):
        request = factory.get("/supervision/")
        request.user = user
        began = time.perf_counter()
        response = console(request)
        assert response.status_code == 200
        if run >= CONSOLE_WARMUP:
            times.append((time.perf_counter() - began) * 1000)
    return times


def main() -> int:
    with bench_server(case_bench.build_data, "4 centres for supervision") as bench:
        from django.utils import timezone

        bench.stop()  # the measures run in this process
        now = timezone.now()
        print(f"# generating {case_bench.CASES:,} cases, {TICKETS:,} tickets, {REVIEWS:,} reviews…", flush=True)
        made = case_bench.generate(bench.data, timezone.localdate(now))
        made |= generate_queue_and_reviews(bench.data, now)
        print(f"# generated in {made['generate_s'] + made['generate_queue_s']:.1f} s; sweeping…", flush=True)
        first = first_sweep_against_insert(now)
        quiet = [timed_sweep(now + timedelta(minutes=m)) for m in (1, 2, 3)]
        changed = change_cases(now + timedelta(minutes=4), CHANGED)
        after_change = timed_sweep(now + timedelta(minutes=5))
        checks = check_alerts(now + timedelta(minutes=5))
        console = console_times(now + timedelta(minutes=5))
        quiet_ms, console_p50 = statistics.median(quiet), statistics.median(console)
        console_p99 = sorted(console)[max(0, int(len(console) * 0.99) - 1)]
        print(f"first sweep  {first['alerts_raised']:,} alerts in {first['first_sweep_s']:.2f} s = "
              f"{first['first_sweep_per_s']:,.0f}/s; INSERT … SELECT of the same rows "
              f"{first['insert_select_per_s']:,.0f}/s; ratio {first['first_ratio']:.3f} "
              f"(target ≥ {FIRST_RATIO_TARGET}) "
              f"{'ok' if first['first_ratio'] >= FIRST_RATIO_TARGET else 'BELOW TARGET'}")
        print(f"quiet sweep  median of 3: {quiet_ms:.1f} ms (target < {QUIET_TARGET_MS:.0f} ms) "
              f"{'ok' if quiet_ms < QUIET_TARGET_MS else 'OVER'}")
        print(f"after change {changed:,} cases decided: {after_change:.1f} ms "
              f"(target < {CHANGED_TARGET_MS:.0f} ms) {'ok' if after_change < CHANGED_TARGET_MS else 'OVER'}")
        print(f"console      p50 {console_p50:.1f} ms, p99 {console_p99:.1f} ms "
              f"(target < {CONSOLE_TARGET_MS:.0f} ms) {'ok' if console_p50 < CONSOLE_TARGET_MS else 'OVER'}")
        print(f"checks       {checks}")
        failed = bool(checks["duplicates"] or checks["overdue_without_alert"])
        summary = {**{k: round(v, 3) if isinstance(v, float) else v for k, v in (made | first).items()},
                   "quiet_sweep_ms": round(quiet_ms, 1), "changed_cases": changed,
                   "changed_sweep_ms": round(after_change, 1), "console_p50_ms": round(console_p50, 1),
                   "console_p99_ms": round(console_p99, 1), **checks, "checks_failed": failed}
        print(json.dumps(summary, ensure_ascii=False), flush=True)
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
