import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API beside live_server


@pytest.fixture(autouse=True)
def _audit_anchor_per_test(settings, tmp_path):
    """audit_verify remembers the chain head in a file; each test gets its own."""
    settings.SH_AUDIT_ANCHOR_FILE = str(tmp_path / "audit-anchor.json")


@pytest.fixture(autouse=True)
def _fresh_hot_caches():
    """Each test starts with empty per-process caches: rolled-back rows send no signals, and
    SQLite may give a later test's rows the same ids."""
    from servicehall.db.hotcache import clear_all

    clear_all()
    yield
    clear_all()
