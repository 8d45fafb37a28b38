"""Start the system as `make run` does (scripts/run), ask /api/v1/health, crash a web worker
under load and the background loop, see both come back, stop it.

Runs on a fresh SQLite database in a temporary folder, whatever DATABASE_URL the suite uses.
"""

import http.client
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def our_processes(var_dir) -> dict[int, tuple[int, str]]:
    """pid → (parent pid, command line) of the processes started with this run's SH_VAR_DIR."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if f"SH_VAR_DIR={var_dir}".encode() in environ:
            found[int(entry.name)] = (parent, cmdline)
    return found


def web_workers(var_dir) -> set[int]:
    """Granian's worker processes: children of the granian process with the same command."""
    processes = our_processes(var_dir)
    return {pid for pid, (parent, cmd) in processes.items()
            if "granian" in cmd and "granian" in processes.get(parent, (0, ""))[1]}


def background_loops(var_dir) -> set[int]:
    return {pid for pid, (_, cmd) in our_processes(var_dir).items() if "run_workers" in cmd and "python" in cmd}


def wait_for(condition, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    return condition()


class Load:
    """Threads that ask the health endpoint without pause, counting answers and failures."""

    def __init__(self, port: int, threads: int = 4):
        self.url = f"http://127.0.0.1:{port}/api/v1/health"
        self.ok = 0
        self.failures: list[float] = []  # when each failed request ended (monotonic)
        self.running = True
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(threads)]
        for thread in self.threads:
            thread.start()

    def run(self):
        while self.running:
            try:
                with urllib.request.urlopen(self.url, timeout=5) as response:
                    response.read()
                self.ok += 1
            except (OSError, http.client.HTTPException):
                self.failures.append(time.monotonic())

    def stop(self):
        self.running = False
        for thread in self.threads:
            thread.join(timeout=10)


def crash_a_web_worker_under_load(port: int, var_dir) -> None:
    workers = wait_for(lambda: web_workers(var_dir) if len(web_workers(var_dir)) == 2 else set(), 10)
    assert len(workers) == 2, our_processes(var_dir)
    load = Load(port)
    try:
        assert wait_for(lambda: load.ok >= 20, 30)
        victim = min(workers)
        killed_at = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        # granian starts a new worker beside the survivor, and the hall goes on answering.
        replaced = wait_for(lambda: len(web_workers(var_dir) - {victim}) == 2, 15)
        assert replaced, our_processes(var_dir)
        answered = load.ok
        assert wait_for(lambda: load.ok >= answered + 50, 15)
    finally:
        load.stop()
    # Only what the dead worker held when it died may fail: every failure ends within moments
    # of the kill, and none after (the survivor and the new worker serve everything since).
    late = [round(t - killed_at, 2) for t in load.failures if t - killed_at > 3]
    assert not late and all(t >= killed_at for t in load.failures), (load.ok, load.failures, late)


def crash_the_background_loop(port: int, var_dir) -> None:
    loops = wait_for(lambda: background_loops(var_dir), 10)
    assert len(loops) == 1, our_processes(var_dir)
    victim = loops.pop()
    os.kill(victim, signal.SIGKILL)
    restarted = wait_for(lambda: background_loops(var_dir) - {victim}, 15)
    assert restarted, our_processes(var_dir)
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=5) as response:
        assert response.status == 200  # the web server did not go down with it


def test_make_run_starts_serves_survives_crashes_and_stops(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update({"PORT": str(port), "SH_VAR_DIR": str(tmp_path)})
    process = subprocess.Popen([str(ROOT / "scripts" / "run")], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    body, lines = None, []
    # Read the output as it comes, to stop only after the script has printed its banner: the
    # server may answer before the script's own check has seen it and printed the address.
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    try:
        # Migrating and loading the demo takes about 70 s on an idle 2-core machine; the limit is
        # about whether it comes up at all, with room for a busy machine.
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2) as response:
                    body = response.read().decode()
                    break
            except OSError:
                time.sleep(0.5)
        assert body == '{"status": "ok", "database": "sqlite"}', body
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5) as response:
            assert "登录" in response.read().decode()
        # The banner's last line, which only scripts/run prints (the workers' own start line also
        # ends in "按 Ctrl-C 停止" and may come first).
        while time.monotonic() < deadline and process.poll() is None and not any("演示账号见上方" in x for x in lines):
            time.sleep(0.2)
        crash_a_web_worker_under_load(port, tmp_path)
        crash_the_background_loop(port, tmp_path)
        assert process.poll() is None, "scripts/run stopped when one of its processes died"
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        reader.join(timeout=10)
    output = "".join(lines)
    assert "http://127.0.0.1:%d/" % port in output
    assert "bureau" in output and "Longgang@2026" in output
    assert "后台任务 已退出，1 秒后重新启动。" in output
    assert "ServiceHall 已停止。" in output
    assert (tmp_path / "servicehall.sqlite3").exists()
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, "the server still listens after Ctrl-C"
