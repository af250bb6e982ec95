"""Helpers for the production-serving tests: dead ports, a Redis cache at an address, a clean env."""

import os
import socket
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV")


def dead_port() -> int:
    """A local TCP port nothing listens on (just released by the OS)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_port() -> int:
    return dead_port()


def redis_cache_at(url: str) -> dict:
    """CACHES with the shared cache at `url` (as CACHE_URL=url gives)."""
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        },
        "counters": {"BACKEND": "config.cache.CountersCache"},
    }


def clean_env(**env: str) -> dict[str, str]:
    """A process environment with only PATH and the like from the shell, plus `env`."""
    clean = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
    clean.update(env, DJANGO_SETTINGS_MODULE="config.settings")
    return clean
