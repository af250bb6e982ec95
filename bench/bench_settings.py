"""Settings for bench/bench_matrix.py's server only: the product's settings plus a bench-only URLconf.

The environment (DEBUG=0, DATABASE_URL, ALLOWED_HOSTS...) is set by the script before start-up,
so config.settings reads it exactly as in production.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bench_urls"
