"""The test Redis: reachable, or the test is skipped (an error under CI=true, where it must run)."""

from __future__ import annotations

import os

import pytest
import redis


def reachable_redis(url: str, *, flush: bool = False) -> redis.Redis:
    """A client of the Redis database at `url`, pinged (and emptied with flush=True)."""
    try:
        client = redis.Redis.from_url(url)
        client.ping()
        if flush:
            client.flushdb()
    except redis.RedisError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and Redis at {url} is unreachable: {exc}")
        pytest.skip(f"Redis unreachable: {exc}")
    return client
