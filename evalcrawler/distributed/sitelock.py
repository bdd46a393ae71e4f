"""The per-site lock of distributed runs: a site is crawled by one process at a time.

A lock in Redis (``SET NX PX``) that expires unless refreshed; the worker running a site's task
holds it and hands it down to the crawl child (``EVALCRAWL_SITE_LOCK``), which keeps it fresh
too (:func:`child_site_lock`), so a child that outlives its worker for a moment still holds it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import signal
import socket
import threading
import uuid
from collections.abc import Iterator
from typing import Any

logger = logging.getLogger(__name__)

LOCK_ENV = "EVALCRAWL_SITE_LOCK"  # the crawl child's copy of its site lock (JSON)


def db_key(db_url: str) -> str:
    from evalcrawler.db import safe_url

    return hashlib.sha1(safe_url(db_url).encode()).hexdigest()[:12]


def lock_key(db_url: str, run_id: int, site_pk: int) -> str:
    """The site lock's key. Not under a queue's prefix: a site is one site whatever queue."""
    return f"evalcrawl:site-lock:{db_key(db_url)}:{run_id}:{site_pk}"


_REFRESH = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


class SiteLock:
    """A lock in Redis that expires unless refreshed; its value names the holder."""

    def __init__(self, client: Any, key: str, ttl: float, token: str | None = None) -> None:
        self.client = client
        self.key = key
        self.ttl_ms = max(1, int(ttl * 1000))
        self.token = token or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

    def acquire(self) -> bool:
        return bool(self.client.set(self.key, self.token, nx=True, px=self.ttl_ms))

    def refresh(self) -> bool:
        """Extend the lock; False when it is no longer ours (it expired and was taken)."""
        return bool(self.client.eval(_REFRESH, 1, self.key, self.token, self.ttl_ms))

    def release(self) -> None:
        self.client.eval(_RELEASE, 1, self.key, self.token)

    def holder(self) -> str | None:
        value = self.client.get(self.key)
        return value.decode() if value else None

    def to_env(self, broker: str) -> str:
        return json.dumps(
            {"broker": broker, "key": self.key, "token": self.token, "ttl_ms": self.ttl_ms}
        )


@contextlib.contextmanager
def child_site_lock() -> Iterator[None]:
    """In a crawl child started by a worker: keep refreshing the worker's site lock for as
    long as this process runs (so a child that outlives a killed worker for a moment still
    holds it), and stop the crawl cleanly should the lock be lost. A no-op elsewhere."""
    raw = os.environ.get(LOCK_ENV)
    if not raw:
        yield
        return
    import redis

    spec = json.loads(raw)
    client = redis.Redis.from_url(spec["broker"], socket_connect_timeout=5, socket_timeout=10)
    lock = SiteLock(client, spec["key"], spec["ttl_ms"] / 1000, spec["token"])
    stop = threading.Event()

    def refresh() -> None:
        while not stop.wait(lock.ttl_ms / 3000):
            try:
                kept = lock.refresh()
            except redis.RedisError as exc:
                logger.warning("cannot refresh the site lock: %s", exc)
                continue
            if not kept:
                logger.error("the site lock was lost: stopping this crawl (it is resumed later)")
                os.kill(os.getpid(), signal.SIGTERM)
                return

    thread = threading.Thread(target=refresh, name="site-lock", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
        client.close()
