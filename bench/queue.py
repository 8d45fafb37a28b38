"""Queue calling under load (issue 4): tickets issued and called per second, p50/p99 latency,
and correctness (no duplicate numbers, no ticket called twice, no gaps), each against a limit
measured in the same run on the same server.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/servicehall .venv/bin/python bench/queue.py

Why it is built this way:

- PostgreSQL only. The figures are about the production setup and its row locks (the ticket
  counter, SKIP LOCKED claims); SQLite serialises every writer and would measure something
  else. Without a PostgreSQL `DATABASE_URL` it stops with exit status 2.
- A throw-away database (`servicehall_bench_<pid>`) on the server `DATABASE_URL` names: it is
  created, migrated and filled here and always dropped at the end, so the named database is
  never touched and two runs never collide.
- The production server setup, started here on a free loopback port: granian WSGI with 2
  workers (`WEB_WORKERS`) of 2 threads (`WEB_THREADS`), as in scripts/run, `SH_PRODUCTION=1`,
  fresh random secrets, as `scripts/run` starts it. The settings
  module `bench.queue_settings` is the production settings plus one URL, `/bench/limit`: the
  smallest Django view that writes (one INSERT in autocommit, JSON back), through the same
  middleware. Its rate, measured in the same run with the same client and concurrency, is the
  limit every queue figure is compared with, so the ratios say how close the queue comes to
  "Django plus one write" on this machine, whatever the machine.
- The client: 32 (or 8) concurrent keep-alive HTTP/1.1 connections driven by one asyncio loop
  with a minimal HTTP parser. A thread per client would spend the GIL on http.client; this
  costs the shared 2 cores as little as a Python client can, and the same client measures the
  limit, so the ratio is fair.
- Phases, each bounded in time (and the tickets in count, under the 26 x 999 numbers a day
  that 26 categories A-Z give): limit; issuing (32 kiosks spread over the categories);
  calling (8 windows, each pressing finish-and-call-next, one request per citizen, until the
  backlog is gone or time is up);
  mixed (32 kiosks and 8 windows at once: contention, rates reported); display (32 screens
  polling the state with If-None-Match, counting 304/s). Issuing and calling are measured in
  phases of their own because the targets (each >= 40 % of the limit) only make sense apart:
  at once they share one server, and their sum cannot pass 100 % of it.
- Correctness is checked with SQL on the database after the run: duplicate numbers (per
  centre and day, and per category and day), tickets with more than one `call` event, and
  gaps (every category's numbers are exactly 1..counter.last). The client also checks that no
  ticket id came back from two call-next answers.
- Slow figures never fail: they are printed with their targets. Correctness failures (or a
  server that does not start) exit 1. The last line is one JSON object.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "queue":
    # A script in bench/ (`python bench/run.py`) has bench/ first on sys.path, so `import queue`
    # (psycopg, concurrent.futures, logging.handlers…) found this file instead of the standard
    # library's module. Hand the real one over: the import system returns what sys.modules holds
    # once this file has run. The definitions below are harmless and go unused.
    _saved_path = sys.path[:]
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
    del sys.modules["queue"]
    try:
        import queue as _stdlib_queue
    finally:
        sys.path[:] = _saved_path
    sys.modules["queue"] = _stdlib_queue
elif sys.path and Path(sys.path[0] or ".").resolve() == ROOT / "bench":
    # `python bench/queue.py`: the same shadowing, avoided by putting the project first instead.
    sys.path[0] = str(ROOT)
else:
    sys.path.insert(0, str(ROOT))

import asyncio  # noqa: E402
import base64  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import secrets  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import string  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from types import SimpleNamespace  # noqa: E402
from urllib.parse import urlsplit, urlunsplit  # noqa: E402

KIOSKS = 32
WINDOWS = 8
DISPLAYS = 32
PREFIXES = string.ascii_uppercase  # 26 categories, each 999 numbers a day
CAPACITY = 999
TICKET_BUDGET = 24_000  # < 26 x 999, so no category runs out
ISSUE_BUDGET = 12_000  # the issuing phase's share; the mixed phase gets the rest
PHASE_SECONDS = 8.0
LIMIT_SECONDS = 5.0  # twice: first and last, so a load that drifts during the run hits both sides
DISPLAY_SECONDS = 5.0
WARMUP_SECONDS = 1.0
GRACE_SECONDS = 15.0  # a phase's stragglers are cancelled this long after its end
SERVER_START_SECONDS = 30.0

RATIO_TARGET = 0.4  # issuing and call-next through the ordinary API path (ninja, its auth and handlers)
P99_TARGET_MS = 100.0
DISPLAY_TARGET = 2_000.0
BUSY_WARNING = 0.15  # share of the CPUs busy with other work above which the figures are flagged


# --- the HTTP client ------------------------------------------------------------------------

class Http:
    """One keep-alive HTTP/1.1 connection: just enough of the protocol for these endpoints."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.host_header = f"{host}:{port}".encode()
        self.reader = self.writer = None

    async def request(self, method: bytes, path: bytes, headers: bytes = b"", body: bytes = b""):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        try:
            self.writer.write(b"%s %s HTTP/1.1\r\nHost: %s\r\n%sContent-Length: %d\r\n\r\n%s"
                              % (method, path, self.host_header, headers, len(body), body))
            head = await self.reader.readuntil(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            status = int(lines[0].split(b" ", 2)[1])
            fields = {}
            for line in lines[1:]:
                if line:
                    name, _, value = line.partition(b":")
                    fields[name.strip().lower()] = value.strip()
            if status in (204, 304) or status < 200:
                content = b""
            elif b"content-length" in fields:
                content = await self.reader.readexactly(int(fields[b"content-length"]))
            elif fields.get(b"transfer-encoding", b"").lower() == b"chunked":
                content = await self._chunked()
            else:
                content = await self.reader.read()
                fields[b"connection"] = b"close"
            if fields.get(b"connection", b"").lower() == b"close":
                self.close()
            return status, fields, content
        except BaseException:
            self.close()
            raise

    async def _chunked(self) -> bytes:
        parts = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


@dataclass
class Stats:
    """What one phase saw: latencies per kind of request, answers by status, error samples."""

    name: str
    started: float = 0.0
    ended: float = 0.0
    latencies: dict = field(default_factory=dict)  # kind -> [ms]
    statuses: dict = field(default_factory=dict)  # (kind, status) -> count
    errors: int = 0
    samples: list = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return max(1e-9, self.ended - self.started)

    def ok(self, kind: str, began: float, status, body: bytes = b"") -> None:
        self.latencies.setdefault(kind, []).append((time.perf_counter() - began) * 1000)
        self.statuses[(kind, status)] = self.statuses.get((kind, status), 0) + 1

    def bad(self, kind: str, began: float, status, body: bytes = b"") -> None:
        self.ok(kind, began, status)
        self.errors += 1
        if len(self.samples) < 5:
            self.samples.append(f"{kind} {status} {body[:200].decode(errors='replace')}")

    def count(self, kind: str, status: int) -> int:
        return self.statuses.get((kind, status), 0)

    def rate(self, kind: str, status: int) -> float:
        return self.count(kind, status) / self.seconds

    def pct(self, q: float, *kinds: str) -> float:
        values = sorted(v for k in kinds for v in self.latencies.get(k, []))
        if not values:
            return 0.0
        return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


@dataclass
class Target:
    """The server's address and the keys and ids the clients use."""

    host: str
    port: int
    code: str
    kiosk_key: str
    display_key: str
    windows: list  # [(window id, raw bearer key)]


class Run:
    """State shared by the clients across phases."""

    def __init__(self, target: Target):
        self.t = target
        self.budget = 0
        self.full: set[str] = set()
        self.called_ids: list[int] = []
        self.etag = b""
        self.backlog = 0


async def limit_client(run: Run, stats: Stats, stop_at: float, i: int) -> None:
    http = Http(run.t.host, run.t.port)
    headers = b"Content-Type: application/json\r\n"
    while time.perf_counter() < stop_at:
        began = time.perf_counter()
        try:
            status, _, body = await http.request(b"POST", b"/bench/limit", headers, b'{"n":%d}' % i)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            stats.bad("limit", began, type(exc).__name__)
            continue
        (stats.ok if status == 201 else stats.bad)("limit", began, status, body)
    http.close()


async def kiosk_client(run: Run, stats: Stats, stop_at: float, i: int) -> None:
    http = Http(run.t.host, run.t.port)
    path = f"/api/v1/centers/{run.t.code}/tickets".encode()
    headers = b"Content-Type: application/json\r\nX-Kiosk-Key: %s\r\n" % run.t.kiosk_key.encode()
    turn = i
    while time.perf_counter() < stop_at and run.budget > 0:
        open_prefixes = [p for p in PREFIXES if p not in run.full]
        if not open_prefixes:
            break
        prefix = open_prefixes[turn % len(open_prefixes)]
        turn += 1
        run.budget -= 1
        began = time.perf_counter()
        try:
            status, _, body = await http.request(b"POST", path, headers, b'{"category":"%s"}' % prefix.encode())
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            stats.bad("issue", began, type(exc).__name__)
            continue
        if status == 201:
            stats.ok("issue", began, status)
        elif status == 409 and b"category" in body:  # the category's numbers are used up today
            stats.ok("issue", began, status)
            run.full.add(prefix)
        else:
            stats.bad("issue", began, status, body)
    http.close()


async def window_client(run: Run, stats: Stats, stop_at: float, i: int, *, stop_when_empty: bool) -> None:
    """A window clerk pressing 办结并叫下一位: each call-next finishes the ticket called before
    (`?finish_current=true`), one request per citizen, as the terminal sends it."""
    window_id, key = run.t.windows[i]
    http = Http(run.t.host, run.t.port)
    auth = b"Authorization: Bearer %s\r\n" % key.encode()
    call_path = f"/api/v1/windows/{window_id}/call-next?finish_current=true".encode()
    while time.perf_counter() < stop_at:
        began = time.perf_counter()
        try:
            status, _, body = await http.request(b"POST", call_path, auth)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            stats.bad("call", began, type(exc).__name__)
            continue
        if status == 204:
            stats.ok("call", began, status)
            if stop_when_empty:
                break
            await asyncio.sleep(0.01)
            continue
        if status != 200:
            stats.bad("call", began, status, body)
            continue
        stats.ok("call", began, status)
        run.called_ids.append(json.loads(body)["id"])
    http.close()


async def display_client(run: Run, stats: Stats, stop_at: float, i: int) -> None:
    http = Http(run.t.host, run.t.port)
    path = f"/queue/display/{run.t.display_key}/state".encode()
    while time.perf_counter() < stop_at:
        began = time.perf_counter()
        try:
            status, fields, body = await http.request(b"GET", path, b"If-None-Match: %s\r\n" % run.etag)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            stats.bad("state", began, type(exc).__name__)
            continue
        if status == 200:
            run.etag = fields.get(b"etag", b"")
        (stats.ok if status in (200, 304) else stats.bad)("state", began, status, body)
    http.close()


async def phase(name: str, seconds: float, clients) -> Stats:
    """Run `clients` (functions of stats and stop time) together for `seconds`, no longer."""
    stats = Stats(name)
    stats.started = time.perf_counter()
    stop_at = stats.started + seconds
    tasks = [asyncio.ensure_future(client(stats, stop_at)) for client in clients]
    done, pending = await asyncio.wait(tasks, timeout=seconds + GRACE_SECONDS)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending)
        stats.errors += len(pending)
        stats.samples.append(f"{len(pending)} clients still waiting {GRACE_SECONDS:.0f} s after the phase; cancelled")
    for task in done:
        if task.exception() is not None:
            stats.errors += 1
            if len(stats.samples) < 5:
                stats.samples.append(f"client failed: {task.exception()!r}")
    stats.ended = time.perf_counter()
    return stats


async def load(run: Run) -> dict:
    """All phases, in order; each returns its Stats."""
    k, w, d = range(KIOSKS), range(WINDOWS), range(DISPLAYS)

    def limits(n):
        return [lambda s, t, i=i: limit_client(run, s, t, i) for i in range(n)]

    def kiosks():
        return [lambda s, t, i=i: kiosk_client(run, s, t, i) for i in k]

    def windows(stop_when_empty):
        return [lambda s, t, i=i: window_client(run, s, t, i, stop_when_empty=stop_when_empty) for i in w]

    result = {}
    result["warm-up limit"] = await phase("warm-up", WARMUP_SECONDS, limits(KIOSKS))
    result["limit"] = await phase("limit", LIMIT_SECONDS, limits(KIOSKS))
    run.budget = 200
    result["warm-up issue"] = await phase("warm-up", WARMUP_SECONDS, kiosks())
    run.budget = ISSUE_BUDGET
    result["issue"] = await phase("issue", PHASE_SECONDS, kiosks())
    result["warm-up call"] = await phase("warm-up", WARMUP_SECONDS / 2, windows(True))
    run.backlog = await asyncio.to_thread(waiting_count)
    result["call"] = await phase("call", PHASE_SECONDS, windows(True))
    issued = sum(s.count("issue", 201) for s in result.values())
    run.budget = max(0, TICKET_BUDGET - issued)
    result["mixed"] = await phase("mixed", PHASE_SECONDS, kiosks() + windows(False))
    http = Http(run.t.host, run.t.port)
    status, fields, _ = await http.request(b"GET", f"/queue/display/{run.t.display_key}/state".encode())
    http.close()
    run.etag = fields.get(b"etag", b"")
    result["display"] = await phase("display", DISPLAY_SECONDS,
                                    [lambda s, t, i=i: display_client(run, s, t, i) for i in d])
    result["limit again"] = await phase("limit", LIMIT_SECONDS, limits(KIOSKS))
    return result


def waiting_count() -> int:
    """Tickets waiting now: the backlog call-next orders (its cost grows with it)."""
    from django.db import connection

    from servicehall.queueing.models import Ticket, TicketStatus

    try:
        return Ticket.objects.filter(status=TicketStatus.WAITING).count()
    finally:
        connection.close()


# --- database, data and server ----------------------------------------------------------------

def refuse_unless_postgres() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        script = f"bench/{Path(sys.argv[0]).name}"
        print(f"{script} needs PostgreSQL (it refuses SQLite): set DATABASE_URL, e.g.\n"
              f"  DATABASE_URL=postgres://postgres@127.0.0.1:5432/servicehall .venv/bin/python {script}",
              file=sys.stderr)
        sys.exit(2)
    return url


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def admin_execute(url: str, sql: str) -> None:
    """Run `sql` in autocommit on the server's maintenance database."""
    import psycopg

    for maintenance in ("postgres", "template1"):
        try:
            conn = psycopg.connect(with_database(url, maintenance), autocommit=True, connect_timeout=10)
        except psycopg.OperationalError:
            continue
        with conn:
            conn.execute(sql)
        return
    raise RuntimeError("cannot reach the PostgreSQL server that DATABASE_URL names")


def build_data() -> Target:
    """One centre, 8 windows with one staff member (and API key) each, 26 categories A-Z of
    999 numbers a day, each served by every window."""
    from datetime import time as clock
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from servicehall.accounts.models import Role, User
    from servicehall.accounts.services import api_key_create
    from servicehall.org.models import CenterKind, Department, District, Membership, ServiceCenter, Window
    from servicehall.queueing.models import CategoryWindow, TicketCategory
    from servicehall.queueing.services import settings_for
    from servicehall.workcalendar.models import CalendarDay

    district = District.objects.create(code="211403", name="龙港区")
    department = Department.objects.create(district=district, name="区营商局")
    # Open round the clock, and today and tomorrow working days, so the benchmark runs at any
    # hour of any day (tickets are issued only within a centre's hours on working days).
    center = ServiceCenter.objects.create(code="21140300", name="龙港区行政服务中心", kind=CenterKind.CENTER,
                                          district=district, department=department, opens_at=clock(0, 0),
                                          closes_at=clock(23, 59, 59), break_starts=None, break_ends=None)
    today = timezone.localdate()
    for day in (today, today + timedelta(days=1)):
        CalendarDay.objects.update_or_create(date=day, defaults={"is_workday": True, "name": "压测"})
    settings = settings_for(center)
    windows = []
    for number in range(1, WINDOWS + 1):
        window = Window.objects.create(center=center, number=number, name=f"综合受理{number}")
        user = User(username=f"bench_staff_{number}", role=Role.STAFF, full_name=f"窗口{number}")
        user.set_unusable_password()  # bearer keys only; skips the deliberately slow hasher
        user.save()
        Membership.objects.create(user=user, center=center)
        _, raw = api_key_create(actor=None, user=user, name="bench")
        windows.append((window, raw))
    for prefix in PREFIXES:
        category = TicketCategory.objects.create(center=center, prefix=prefix, name=f"业务{prefix}",
                                                 daily_capacity=CAPACITY)
        CategoryWindow.objects.bulk_create(CategoryWindow(category=category, window=w, priority=1) for w, _ in windows)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_limit (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now(), "
                       "body text NOT NULL)")
    return Target("127.0.0.1", 0, center.code, settings.kiosk_key, settings.display_key,
                  [(w.pk, raw) for w, raw in windows])


def cpu_busy(seconds: float = 1.0) -> float | None:
    """The share of all CPUs busy over `seconds` (from /proc/stat), or None where there is none.
    Taken before and after the run: other work on the machine lowers every figure."""
    def sample():
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
        return sum(values), values[3] + values[4]  # total, idle + iowait

    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    return 1 - (idle1 - idle0) / max(1, total1 - total0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def web_threads() -> str:
    """Threads per worker: `WEB_THREADS`, else the default of scripts/run."""
    return os.environ.get("WEB_THREADS", "2")


def personal_data_keys() -> dict:
    """This run's personal-data keys, one set for the server and this process (which reads
    what the server wrote)."""
    os.environ.setdefault("SH_DATA_KEYS", "1:" + base64.b64encode(secrets.token_bytes(16)).decode())
    os.environ.setdefault("SH_DATA_INDEX_KEY", base64.b64encode(secrets.token_bytes(16)).decode())
    return {name: os.environ[name] for name in ("SH_DATA_KEYS", "SH_DATA_INDEX_KEY")}


def start_server(database_url: str, port: int, log):
    """The production web server (scripts/web), on a free loopback port."""
    env = dict(os.environ, DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="bench.queue_settings", SH_PRODUCTION="1",
               SECRET_KEY=secrets.token_urlsafe(48), SH_AUDIT_CHAIN_KEY=secrets.token_urlsafe(48), DEBUG="0",
               ALLOWED_HOSTS="127.0.0.1", SH_PUBLIC_BASE_URL=f"http://127.0.0.1:{port}",
               HOST="127.0.0.1", PORT=str(port), WEB_THREADS=web_threads(), SH_BIN_DIR=str(Path(sys.executable).parent),
               **personal_data_keys(),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    return subprocess.Popen([str(ROOT / "scripts" / "web")], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def wait_ready(proc, port: int) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not answer within {SERVER_START_SECONDS:.0f} s")


def stop_server(proc) -> None:
    """Stop the server we started: its own process group (granian and its workers)."""
    if proc is None or proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def check_correctness(called_ids: list[int]) -> dict:
    from django.db import connection

    from servicehall.queueing.models import Ticket, TicketCounter, TicketEvent

    ticket, counter, event = (m._meta.db_table for m in (Ticket, TicketCounter, TicketEvent))
    with connection.cursor() as cursor:
        cursor.execute(f"""
            SELECT
              (SELECT count(*) FROM {ticket}),
              (SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) n FROM {ticket}
                 GROUP BY center_id, day, number HAVING count(*) > 1) d),
              (SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) n FROM {ticket}
                 GROUP BY category_id, day, seq HAVING count(*) > 1) d),
              (SELECT count(*) FROM (SELECT ticket_id FROM {event} WHERE action = 'call'
                 GROUP BY ticket_id HAVING count(*) > 1) d),
              (SELECT count(*) FROM {event} WHERE action = 'call')
        """)
        tickets, dup_number, dup_seq, double_db, calls = (int(v) for v in cursor.fetchone())
        # Every number 1..counter.last of a category and day is a ticket, and no ticket lies
        # outside its counter's range.
        cursor.execute(f"""
            WITH expected AS (
              SELECT c.category_id, c.day, s.seq FROM {counter} c, generate_series(1, c.last) AS s(seq)
            )
            SELECT
              (SELECT count(*) FROM expected e LEFT JOIN {ticket} t
                 ON t.category_id = e.category_id AND t.day = e.day AND t.seq = e.seq WHERE t.id IS NULL),
              (SELECT count(*) FROM {ticket} t LEFT JOIN expected e
                 ON t.category_id = e.category_id AND t.day = e.day AND t.seq = e.seq WHERE e.seq IS NULL)
        """)
        missing, stray = (int(v) for v in cursor.fetchone())
    double_clients = len(called_ids) - len(set(called_ids))
    return {"tickets": tickets, "calls": calls, "duplicates": max(dup_number, dup_seq),
            "double_calls": max(double_db, double_clients), "double_calls_db": double_db,
            "double_calls_seen_by_clients": double_clients, "gaps": missing + stray,
            "gaps_missing": missing, "gaps_stray": stray}


# --- report ---------------------------------------------------------------------------------------

def r1(x: float) -> float:
    return round(x, 1)


def report(result: dict, checks: dict, run: Run, server: str, busy: tuple) -> dict:
    lims, iss, cal, mix, dis = ([result["limit"], result["limit again"]],
                                *(result[k] for k in ("issue", "call", "mixed", "display")))
    limit_rates = [s.rate("limit", 201) for s in lims]
    limit_per_s = sum(limit_rates) / len(limit_rates)
    lim_lat = Stats("limit", latencies={"limit": [v for s in lims for v in s.latencies.get("limit", [])]})
    issue_per_s = iss.rate("issue", 201)
    call_per_s = cal.rate("call", 200)
    issue_ratio = issue_per_s / limit_per_s if limit_per_s else 0.0
    call_ratio = call_per_s / limit_per_s if limit_per_s else 0.0
    p99 = max(iss.pct(0.99, "issue"), cal.pct(0.99, "call"))
    p50 = max(iss.pct(0.50, "issue"), cal.pct(0.50, "call"))
    display_304 = dis.rate("state", 304)
    errors = sum(s.errors for s in result.values())
    issued_ok = sum(s.count("issue", 201) for s in result.values())
    calls_ok = sum(s.count("call", 200) for s in result.values())
    want = RATIO_TARGET * limit_per_s

    def mark(ok: bool) -> str:
        return "ok" if ok else "BELOW TARGET"

    def lat(stats: Stats, *kinds: str) -> str:
        return f"p50 {stats.pct(.5, *kinds):6.1f} ms  p99 {stats.pct(.99, *kinds):6.1f} ms"

    print(f"# queue benchmark: {server}")
    shown = " / ".join("?" if b is None else f"{b:.0%}" for b in busy)
    print(f"# client: one asyncio loop, keep-alive HTTP/1.1 connections; CPUs busy with other work before / after "
          f"the run: {shown}" + ("  (other work shares the machine: every figure is lower, and the ratios noisier)"
                                 if any(b is not None and b > BUSY_WARNING for b in busy) else ""))
    print(f"limit    {KIOSKS} clients, POST /bench/limit (1 INSERT, JSON)   {limit_per_s:7.1f} req/s      "
          f"{lat(lim_lat, 'limit')}   (first {limit_rates[0]:.0f}/s, last {limit_rates[1]:.0f}/s)")
    print(f"issue    {KIOSKS} kiosks, POST …/tickets                     {issue_per_s:7.1f} tickets/s  "
          f"{lat(iss, 'issue')}   {issue_ratio:.2f} of the limit (target ≥ {RATIO_TARGET:.2f}, ≥ {want:.0f}/s) "
          f"{mark(issue_ratio >= RATIO_TARGET)}")
    print(f"call     {WINDOWS} windows, finish-and-call-next            {call_per_s:7.1f} calls/s    "
          f"{lat(cal, 'call')}   {call_ratio:.2f} of the limit (target ≥ {RATIO_TARGET:.2f}, ≥ {want:.0f}/s) "
          f"{mark(call_ratio >= RATIO_TARGET)}")
    print(f"         ({run.backlog} tickets waiting when calling began)")
    print(f"latency  p99 of issuing and calling                        {p99:7.1f} ms  "
          f"(target < {P99_TARGET_MS:.0f} ms) {mark(p99 < P99_TARGET_MS)}")
    print(f"mixed    {KIOSKS} kiosks and {WINDOWS} windows at once            {mix.rate('issue', 201):7.1f} tickets/s  "
          f"{lat(mix, 'issue')}")
    print(f"                                                       {mix.rate('call', 200):7.1f} calls/s    "
          f"{lat(mix, 'call')} (call-next)")
    print(f"display  {DISPLAYS} screens, GET state with If-None-Match    {display_304:7.1f} 304/s      "
          f"{lat(dis, 'state')}   (target ≥ {DISPLAY_TARGET:.0f}/s) {mark(display_304 >= DISPLAY_TARGET)}")
    print(f"checks   {checks['tickets']} tickets ({issued_ok} answered 201), {checks['calls']} calls ({calls_ok} "
          f"answered 200): duplicates {checks['duplicates']}, double calls {checks['double_calls']}, gaps "
          f"{checks['gaps']} (targets 0) "
          f"{'FAILED' if checks['duplicates'] or checks['double_calls'] or checks['gaps'] else 'ok'}")
    if errors:
        print(f"errors   {errors} unexpected answers, for example:")
        for stats in result.values():
            for sample in stats.samples:
                print(f"  [{stats.name}] {sample}")
    return {
        "issue_per_s": r1(issue_per_s), "call_per_s": r1(call_per_s), "limit_per_s": r1(limit_per_s),
        "issue_ratio": round(issue_ratio, 3), "call_ratio": round(call_ratio, 3), "p50_ms": r1(p50), "p99_ms": r1(p99),
        "issue_p99_ms": r1(iss.pct(.99, "issue")), "call_p99_ms": r1(cal.pct(.99, "call")),
        "backlog_at_call": run.backlog, "mixed_issue_per_s": r1(mix.rate("issue", 201)),
        "mixed_call_per_s": r1(mix.rate("call", 200)),
        "mixed_p99_ms": r1(max(mix.pct(.99, "issue"), mix.pct(.99, "call"))),
        "display_304_per_s": r1(display_304), "duplicates": checks["duplicates"],
        "double_calls": checks["double_calls"],
        "gaps": checks["gaps"], "tickets": checks["tickets"], "calls": checks["calls"], "errors": errors,
        "cpu_busy_before": None if busy[0] is None else round(busy[0], 2),
        "cpu_busy_after": None if busy[1] is None else round(busy[1], 2),
    }


@contextmanager
def bench_server(build, described: str):
    """A throw-away database (`servicehall_bench_<pid>`) on the server DATABASE_URL names,
    migrated and filled by `build()`, and the production server on a free loopback port.
    Yields what the benchmark needs; the server and the database go away on exit, also on
    `kill` (SIGTERM)."""
    url = refuse_unless_postgres()
    name = f"servicehall_bench_{os.getpid()}"
    bench_url = with_database(url, name)
    os.environ["DATABASE_URL"] = bench_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "servicehall.settings"
    personal_data_keys()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    busy_before = cpu_busy()
    admin_execute(url, f'CREATE DATABASE "{name}"')
    proc = None
    log = tempfile.TemporaryFile(mode="w+")
    try:
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        began = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        data = build()
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('server_version')")
            pg_version = cursor.fetchone()[0]
        connection.close()
        port = free_port()
        proc = start_server(bench_url, port, log)
        wait_ready(proc, port)
        print(f"# set-up {time.perf_counter() - began:.1f} s (database {name}, migrated, {described})", flush=True)
        yield SimpleNamespace(
            data=data, port=port, busy_before=busy_before, stop=lambda: stop_server(proc),
            log_tail=lambda: _log_tail(log),
            server=(f"granian WSGI, {os.environ.get('WEB_WORKERS', '2')} workers x {web_threads()} "
                    f"threads, production settings, "
                    f"127.0.0.1:{port}; PostgreSQL {pg_version}; {os.cpu_count()} CPUs shared with the client"))
    finally:
        stop_server(proc)
        log.close()
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # django may not be set up yet
            pass
        admin_execute(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _log_tail(log) -> None:
    """The server's last words, printed when requests failed."""
    log.seek(0)
    tail = log.read()[-2000:]
    if tail.strip():
        print("server log (tail):\n" + tail)


def main() -> int:
    with bench_server(build_data, f"1 centre, {WINDOWS} windows, {len(PREFIXES)} categories") as bench:
        target = bench.data
        target.port = bench.port
        run = Run(target)
        result = asyncio.run(load(run))
        bench.stop()
        busy_after = cpu_busy()
        checks = check_correctness(run.called_ids)
        summary = report(result, checks, run, bench.server, (bench.busy_before, busy_after))
        if summary["errors"]:
            bench.log_tail()
        print(json.dumps(summary, ensure_ascii=False), flush=True)
        return 1 if (checks["duplicates"] or checks["double_calls"] or checks["gaps"]) else 0


if __name__ == "__main__":
    sys.exit(main())
