"""Database access: engines for SQLite (default) and PostgreSQL, sessions, schema creation."""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from evalcrawler.errors import DatabaseError

DEFAULT_DB_FILE = "evalcrawl.db"
BACKENDS = ("sqlite", "postgresql")  # the databases evalcrawl works with


def default_url() -> str:
    """``EVALCRAWL_DB`` if set, else a SQLite file ``evalcrawl.db`` in the working directory."""
    return os.environ.get("EVALCRAWL_DB") or f"sqlite:///{DEFAULT_DB_FILE}"


def normalise_url(url: str) -> str:
    """Accept a bare file path as a SQLite database; pick psycopg 3 for postgresql:// URLs."""
    if "://" not in url:
        return f"sqlite:///{url}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def json_dumps(value: Any) -> str:
    """JSON for the database: NaN and infinities become null (PostgreSQL refuses them, and
    they are not JSON), so both databases store the same document."""
    try:
        return json.dumps(value, allow_nan=False)
    except ValueError:
        return json.dumps(_finite(value), allow_nan=False)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the report read while the crawl process writes; foreign keys for cascades.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str | None = None, *, create: bool = True, existing: bool = False) -> Engine:
    """Open the database at ``url`` (default :func:`default_url`) at the current schema.

    With ``create`` (the default) an empty database gets the schema, a database from before
    migrations is stamped, and an outdated or newer one is refused with a one-line
    :class:`DatabaseError` (see :mod:`evalcrawler.db.migrate`); ``create=False`` only connects
    (``evalcrawl db upgrade`` and ``db current`` use it). ``existing``: a SQLite file that does
    not exist is an error, not a new database (the commands that read stored runs: a mistyped
    ``--db`` must not look like an empty database).
    """
    raw = url or default_url()
    try:
        parsed = make_url(normalise_url(raw))
    except (ArgumentError, ValueError):
        raise DatabaseError(
            f"cannot parse database URL {safe_url(raw)!r}; use sqlite:///path/file.db or "
            "postgresql://user@host/dbname"
        ) from None
    backend = parsed.get_backend_name()
    if backend not in BACKENDS:
        raise DatabaseError(
            f"cannot use database {safe_url(raw)}: evalcrawl works with SQLite and PostgreSQL "
            f"only, not {backend!r}; use sqlite:///path/file.db or postgresql://user@host/dbname"
        )
    path = sqlite_file(raw)
    if path is not None:
        folder = path.parent
        if not folder.is_dir():
            raise DatabaseError(
                f"cannot open database {safe_url(raw)}: folder {folder} does not exist; "
                "create it first"
            )
        if existing and not path.exists():
            raise DatabaseError(
                f"no database file {path}; check --db (or EVALCRAWL_DB): `evalcrawl run` "
                "creates the database, the other commands read it"
            )
    try:
        engine = create_engine(parsed, pool_pre_ping=True, json_serializer=json_dumps)
    except ImportError as exc:
        hint = (
            'install the PostgreSQL driver: pip install "evalcrawl[postgres]"'
            if parsed.get_backend_name() == "postgresql"
            else "install its database driver"
        )
        raise DatabaseError(f"cannot use database {safe_url(raw)}: {exc}; {hint}") from None
    except (ArgumentError, SQLAlchemyError) as exc:
        raise DatabaseError(f"cannot use database {safe_url(raw)}: {exc}") from None
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    _close_when_dropped(engine)
    if create:
        from evalcrawler.db.migrate import ensure_current

        try:
            ensure_current(engine, safe_url(raw))
        except OperationalError as exc:
            engine.dispose()
            raise unreachable(raw, exc) from None
        except DBAPIError as exc:  # e.g. no permission to create the tables
            engine.dispose()
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise DatabaseError(f"cannot use database {safe_url(raw)}: {reason}") from None
        except DatabaseError:
            engine.dispose()
            raise
    return engine


def unreachable(url: str, exc: OperationalError) -> DatabaseError:
    """The one-line error for a database that cannot be opened (no password shown)."""
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    return DatabaseError(
        f"cannot open database {safe_url(url)}: {reason}; check that the server runs "
        "and the URL (--db or EVALCRAWL_DB) is right"
    )


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases, in-memory ones and bad URLs)."""
    try:
        parsed = make_url(normalise_url(url))
    except (ArgumentError, ValueError):
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).expanduser().resolve()


def _close_when_dropped(engine: Engine) -> None:
    """Close the pooled connections of an engine that is dropped without ``dispose()``.

    Otherwise the driver closes them when they are garbage-collected, and psycopg warns
    (ResourceWarning: connection deleted while still open), which the test suite treats as an
    error. The finalizer holds the open connections, never the engine (the pool refers to the
    engine, so it cannot hold the pool): it runs before the driver's own finalizers.
    """
    open_connections: dict[int, Any] = {}

    def opened(dbapi_connection: Any, _record: Any) -> None:
        open_connections[id(dbapi_connection)] = dbapi_connection

    def closed(dbapi_connection: Any, _record: Any) -> None:
        open_connections.pop(id(dbapi_connection), None)

    event.listen(engine, "connect", opened)
    event.listen(engine, "close", closed)
    event.listen(engine, "close_detached", lambda dbapi_connection: closed(dbapi_connection, None))
    weakref.finalize(engine, _close_all, open_connections)


def _close_all(connections: dict[int, Any]) -> None:
    for connection in list(connections.values()):
        with contextlib.suppress(Exception):
            connection.close()
    connections.clear()


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    try:
        shown = url if "://" in url else normalise_url(url)  # as given, not postgresql+psycopg
        return make_url(shown).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return re.sub(r"(://[^:/@]*:).*@", r"\1***@", url)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    factory = sessionmaker(engine, expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
