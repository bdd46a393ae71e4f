"""Distributed crawls: one Celery task per site, run by `evalcrawl worker` processes on any number
of machines that share one Redis (the broker) and one database.

``evalcrawl run --workers redis://…`` prepares the run as usual, enqueues one task per site not
yet done (:func:`crawl_with_workers`), waits while the workers crawl (showing progress from the
database, as the local crawl does), marks the run crawled, then scores and reports. A worker
(:func:`run_worker`) runs each task by starting ``python -m evalcrawler.crawl --run ID
--db URL --site PK``: the ordinary crawl child, limited to that site. It resumes the site from
the database like any crawl and streams its facts to the shared database; results never pass
through the broker.

Delivery and politeness, on the Redis transport:

* Tasks are acknowledged late (after the crawl), one at a time per worker slot
  (``worker_prefetch_multiplier=1``). Redis has no consumer liveness: an unacknowledged task is
  handed out again only after the *visibility timeout*, whoever held it. So a worker keeps the
  tasks it runs fresh (``worker._keep_invisible``, every few seconds): a running crawl is never
  handed out again however long it lasts, and the task of a worker killed mid-site is handed
  to another worker one visibility timeout after that worker's last sign of life.
* A site is crawled by one process at a time: the task takes a per-site lock in Redis
  (``SET NX PX``, refreshed while the crawl child runs, by the worker and by the child itself,
  so a child that outlives its worker for a moment still holds it). A task that finds the lock
  taken (a redelivered duplicate) retries later; one that finds the site done returns. Tasks
  are therefore idempotent, and enqueuing a site twice is harmless.
* The workers run tasks in threads (``--pool threads``): a task only supervises its crawl child
  (the crawling happens in that child process), so a thread per slot is all it needs, every
  task dies with its worker (nothing forked is left without the connection that acknowledges),
  and the worker still answers the orchestrator's "who consumes this queue?" while all its
  slots crawl.
* A warm shutdown (SIGTERM, Ctrl-C) stops the crawl children cleanly and puts their sites back
  in the queue, so another worker resumes them at once.

All keys of a queue live under ``<queue>:`` in Redis, so several queues (teams, test runs) can
share one Redis without taking each other's tasks. See docs/distributed.md.

The package: :mod:`~evalcrawler.distributed.broker` (the queue's configuration, Redis and the
Celery app), :mod:`~evalcrawler.distributed.sitelock` (the per-site lock),
:mod:`~evalcrawler.distributed.worker` (``evalcrawl worker``: running a site's task) and
:mod:`~evalcrawler.distributed.orchestrator` (``run --workers``: enqueuing and waiting).
"""

from __future__ import annotations

from evalcrawler.distributed.broker import Config, check_broker, make_app
from evalcrawler.distributed.orchestrator import crawl_with_workers
from evalcrawler.distributed.sitelock import SiteLock, child_site_lock, lock_key
from evalcrawler.distributed.worker import run_worker

__all__ = [
    "Config",
    "SiteLock",
    "check_broker",
    "child_site_lock",
    "crawl_with_workers",
    "lock_key",
    "make_app",
    "run_worker",
]
