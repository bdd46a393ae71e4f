"""The queue of distributed runs: its configuration (:class:`Config`), the Redis client of
its broker and the Celery app whose one task crawls a site (run by
:func:`evalcrawler.distributed.worker.crawl_site`)."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from evalcrawler.errors import ConfigError, WorkersError

logger = logging.getLogger(__name__)

TASK_NAME = "evalcrawl.crawl_site"
DEFAULT_QUEUE = "evalcrawl"
DEFAULT_VISIBILITY_TIMEOUT = 300.0  # a dead worker's site is crawled again after this
DEFAULT_LOCK_TTL = 60.0  # a site lock not refreshed for this long is free
DEFAULT_WORKER_WAIT = 120.0  # no worker consuming the queue for this long is an error
SCHEMES = ("redis", "rediss", "unix")


def _env_seconds(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number of seconds") from None
    if value <= 0:
        raise ConfigError(f"{name} must be more than 0 seconds")
    return value


def safe_broker(url: str) -> str:
    """The broker URL with any password hidden, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc}"))


@dataclass(frozen=True)
class Config:
    """Where the queue is and its timings (the same on the orchestrator and every worker)."""

    broker: str
    queue: str = DEFAULT_QUEUE
    visibility_timeout: float = DEFAULT_VISIBILITY_TIMEOUT
    lock_ttl: float = DEFAULT_LOCK_TTL
    worker_wait: float = DEFAULT_WORKER_WAIT

    @classmethod
    def from_env(
        cls,
        broker: str,
        *,
        queue: str | None = None,
        visibility_timeout: float | None = None,
    ) -> Config:
        """``EVALCRAWL_QUEUE``, ``EVALCRAWL_VISIBILITY_TIMEOUT``, ``EVALCRAWL_SITE_LOCK_TTL``
        and ``EVALCRAWL_WORKER_WAIT`` (seconds) change the defaults; arguments win."""
        if not broker or urlsplit(broker).scheme not in SCHEMES:
            raise ConfigError(
                f"{broker!r} is not a Redis URL; give the broker as redis://host:6379/0 "
                "(rediss:// for TLS)"
            )
        queue = queue or os.environ.get("EVALCRAWL_QUEUE", "").strip() or DEFAULT_QUEUE
        if not queue.replace("-", "").replace("_", "").replace(".", "").isalnum():
            raise ConfigError(f"queue name {queue!r}: use letters, digits, '-', '_' and '.'")
        config = cls(
            broker=broker,
            queue=queue,
            visibility_timeout=visibility_timeout
            or _env_seconds("EVALCRAWL_VISIBILITY_TIMEOUT", DEFAULT_VISIBILITY_TIMEOUT),
            lock_ttl=_env_seconds("EVALCRAWL_SITE_LOCK_TTL", DEFAULT_LOCK_TTL),
            worker_wait=_env_seconds("EVALCRAWL_WORKER_WAIT", DEFAULT_WORKER_WAIT),
        )
        if config.visibility_timeout < config.lock_ttl:
            raise ConfigError(
                f"the visibility timeout ({config.visibility_timeout:g} s) must not be shorter "
                f"than the site lock's lifetime ({config.lock_ttl:g} s)"
            )
        return config

    @property
    def shown(self) -> str:
        return safe_broker(self.broker)

    @property
    def prefix(self) -> str:
        """Every Redis key of this queue starts with this."""
        return f"{self.queue}:"

    @property
    def refresh_every(self) -> float:
        """How often locks and running tasks are kept fresh: three times per lock lifetime."""
        return self.lock_ttl / 3

    @property
    def retry_after(self) -> float:
        """A duplicate that finds its site locked tries again after this (well within the
        visibility timeout: a task waiting for its retry is not kept fresh)."""
        return min(self.lock_ttl, self.visibility_timeout / 3)


def redis_client(config: Config) -> Any:
    """A Redis client of the broker, checked with a PING; one-line error when unreachable."""
    import redis

    client = redis.Redis.from_url(
        config.broker, socket_connect_timeout=5, socket_timeout=10, health_check_interval=30
    )
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        text = str(exc).strip()
        reason = text.splitlines()[0].rstrip(".") if text else type(exc).__name__
        raise WorkersError(
            f"cannot reach the broker at {config.shown}: {reason}; check that Redis runs "
            "there and that the URL is right"
        ) from None
    return client


def check_broker(broker: str) -> Config:
    """The configuration for ``broker``, once Redis answers there (one-line errors)."""
    try:
        import celery  # noqa: F401 - the optional dependency must be there
    except ImportError:
        raise ConfigError(
            'distributed runs need Celery: pip install "evalcrawl[distributed]"'
        ) from None
    config = Config.from_env(broker)
    redis_client(config).close()
    return config


def make_app(config: Config) -> Any:
    """The Celery app of ``config``: broker and result backend on the same Redis."""
    from celery import Celery

    visibility = config.visibility_timeout
    transport = {
        "global_keyprefix": config.prefix,
        "visibility_timeout": visibility,
        # Look for the tasks of dead workers a few times per visibility timeout.
        "unacked_restore_interval": max(1.0, min(10.0, visibility / 4)),
        "unacked_restore_throttle": 1,
        # A worker killed while restoring must not block the others' restores for long.
        "unacked_mutex_expire": max(1, min(60, int(visibility))),
        # Named here because _keep_invisible writes to them.
        "unacked_key": "unacked",
        "unacked_index_key": "unacked_index",
        "socket_connect_timeout": 10,
    }
    app = Celery("evalcrawl", broker=config.broker, backend=config.broker, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=config.queue,
        task_track_started=True,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_expires=timedelta(days=7),
        broker_transport_options=transport,
        result_backend_transport_options={"global_keyprefix": config.prefix},
        broker_connection_retry_on_startup=True,
        # A lost connection does not stop the crawls; their tasks are acknowledged or handed
        # out again (the site lock keeps a second crawl waiting) once it is back.
        worker_cancel_long_running_tasks_on_connection_loss=False,
        worker_send_task_events=False,
        worker_hijack_root_logger=True,
    )

    @app.task(name=TASK_NAME, bind=True, max_retries=None)
    def crawl_site(task: Any, run_id: int, db_url: str, site_pk: int, failures: int = 0) -> str:
        from evalcrawler.distributed.worker import crawl_site as run  # only workers run it

        return run(task, config, run_id, db_url, site_pk, failures)

    return app
