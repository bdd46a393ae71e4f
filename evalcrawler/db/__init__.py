"""Database access: engines for SQLite (default) and PostgreSQL, sessions, schema creation."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from evalcrawler.db.models import Base
from evalcrawler.errors import DatabaseError

DEFAULT_DB_FILE = "evalcrawl.db"


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


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    # WAL lets the report read while the crawl process writes; foreign keys for cascades.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str | None = None, *, create: bool = True) -> Engine:
    """Open the database at ``url`` (default :func:`default_url`); create the schema if missing."""
    raw = url or default_url()
    try:
        parsed = make_url(normalise_url(raw))
    except ArgumentError:
        raise DatabaseError(
            f"cannot parse database URL {raw!r}; use sqlite:///path/file.db or "
            "postgresql://user@host/dbname"
        ) from None
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        folder = Path(parsed.database).expanduser().resolve().parent
        if not folder.is_dir():
            raise DatabaseError(
                f"cannot open database {raw!r}: folder {folder} does not exist; create it first"
            )
    try:
        engine = create_engine(parsed, pool_pre_ping=True)
    except (ArgumentError, ImportError, SQLAlchemyError) as exc:
        raise DatabaseError(f"cannot use database {raw!r}: {exc}") from None
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    if create:
        try:
            Base.metadata.create_all(engine)
        except OperationalError as exc:
            engine.dispose()
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise DatabaseError(
                f"cannot open database {safe_url(raw)}: {reason}; check that the server runs "
                "and the URL (--db or EVALCRAWL_DB) is right"
            ) from None
    return engine


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    try:
        return make_url(normalise_url(url)).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def has_schema(engine: Engine) -> bool:
    return inspect(engine).has_table("runs")


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
