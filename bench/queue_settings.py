"""Settings for the server that `bench/queue.py` starts: the production settings unchanged,
plus one URL (`/bench/limit`) for the limit the queue figures are compared with.

Everything else (middleware, database options, `SH_PRODUCTION`) comes from
`servicehall.settings` and the environment, so the benchmark measures the real setup. For the
measurement that decides whether keyed API requests keep skipping the session middleware
(docs/decisions.md), `BENCH_KEYED_LANE=0` runs the same server without that middleware, so the
two can be interleaved; the application itself has one path.
"""

import os

from servicehall.settings import *  # noqa: F401,F403
from servicehall.settings import MIDDLEWARE

ROOT_URLCONF = "bench.queue_urls"
if os.environ.get("BENCH_KEYED_LANE") == "0":
    MIDDLEWARE = [path for path in MIDDLEWARE if path != "servicehall.api_lane.KeyedApiMiddleware"]
