"""Smoke test: start the system as `make run` does (scripts/run), ask /api/v1/health, stop it.

Runs on a fresh SQLite database in a temporary folder, whatever DATABASE_URL the suite uses.
"""

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


def test_make_run_starts_serves_health_and_stops(tmp_path):
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
    assert "ServiceHall 已停止。" in output
    assert (tmp_path / "servicehall.sqlite3").exists()
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, "the server still listens after Ctrl-C"
