"""`make bench`: every benchmark prints its figures and the limit it is compared with.

Benchmarks run against a throw-away test database on whatever DATABASE_URL selects
(SQLite by default). They measure; they never fail the build.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicehall.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402


def main() -> None:
    from bench import bench_audit, bench_catalog, bench_workdays

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        print(f"# database: {connection.vendor}")
        bench_workdays.run()
        bench_audit.run()
        bench_catalog.run()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
