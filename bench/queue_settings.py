"""Settings for the server that `bench/queue.py` starts: the production settings unchanged,
plus one URL (`/bench/limit`) for the limit the queue figures are compared with.

Everything else (middleware, database options, `SH_PRODUCTION`) comes from
`servicehall.settings` and the environment, so the benchmark measures the real setup.
"""

from servicehall.settings import *  # noqa: F401,F403

ROOT_URLCONF = "bench.queue_urls"
