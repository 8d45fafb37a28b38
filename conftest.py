import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API beside live_server


@pytest.fixture(autouse=True)
def _audit_anchor_per_test(settings, tmp_path):
    """audit_verify remembers the chain head in a file; each test gets its own."""
    settings.SH_AUDIT_ANCHOR_FILE = str(tmp_path / "audit-anchor.json")
