"""Databases for tests: a private SQLite file, or a fresh PostgreSQL database.

The tests that touch a database run on both SQLite and PostgreSQL (the ``db_url`` fixture in
conftest.py). ``EVALCRAWL_TEST_DB`` chooses:

- unset: both; PostgreSQL is the server at ``postgresql://postgres@127.0.0.1:5432/postgres``
  (skipped when it is down, a failure under ``EVALCRAWL_REQUIRE_SERVICES=1``);
- ``postgresql://user@host/maintenance-db``: PostgreSQL only, on that server, for every test
  that uses a database (also those that otherwise use one SQLite file); the user must be
  allowed to create databases;
- ``sqlite``: SQLite only.

Each PostgreSQL test database is created as a copy of a template that already holds the
current schema (``CREATE DATABASE … TEMPLATE …``, a few tens of milliseconds) and dropped
afterwards. Names carry the pid of the test process, so databases left behind by a killed
run are dropped by the next one.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

SETTING = "EVALCRAWL_TEST_DB"
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
PREFIX = "evalcrawl_test_"


def _setting() -> str:
    return os.environ.get(SETTING, "").strip()


def backends() -> list[str]:
    """The database kinds the suite runs on (see the module docstring)."""
    setting = _setting()
    if not setting:
        return ["sqlite", "postgresql"]
    if setting.startswith("sqlite"):
        return ["sqlite"]
    if setting.startswith("postgres"):
        return ["postgresql"]
    raise pytest.UsageError(f"{SETTING}={setting!r}: use sqlite or a postgresql:// URL")


def default_backend() -> str:
    """The one database of tests that use a single one (SQLite unless PostgreSQL is asked)."""
    return "postgresql" if _setting().startswith("postgres") else "sqlite"


def backend_params() -> list[object]:
    """``pytest.param`` per backend; PostgreSQL carries the ``services`` mark."""
    return [
        pytest.param(b, id=b, marks=[pytest.mark.services] if b == "postgresql" else [])
        for b in backends()
    ]


class PostgresServer:
    """The PostgreSQL server of the tests: creates and drops databases on it."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        self.url = parsed.set(drivername="postgresql")
        self.shown = self.url.render_as_string(hide_password=True)
        self._available: bool | None = None
        self._template: str | None = None
        self._names = itertools.count()

    def _admin(self):  # type: ignore[no-untyped-def]
        import psycopg

        conninfo = self.url.render_as_string(hide_password=False)
        return psycopg.connect(conninfo, autocommit=True, connect_timeout=5)

    def available(self) -> bool:
        if self._available is None:
            try:
                import psycopg  # noqa: F401 - the driver is part of what must be there

                with self._admin() as conn:
                    conn.execute("SELECT 1")
                self._available = True
                self._drop_leftovers()
            except Exception:
                self._available = False
        return self._available

    def url_of(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def _drop_leftovers(self) -> None:
        """Drop test databases of test processes that no longer run."""
        with self._admin() as conn:
            names = [
                row[0]
                for row in conn.execute(
                    "SELECT datname FROM pg_database WHERE datname LIKE %s", (PREFIX + "%",)
                )
            ]
            for name in names:
                match = re.match(rf"{PREFIX}(?:tmpl_)?(\d+)_", name)
                if match and not _alive(int(match.group(1))):
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _template_name(self) -> str:
        if self._template is None:
            from evalcrawler.db import make_engine

            name = f"{PREFIX}tmpl_{os.getpid()}_{os.urandom(3).hex()}"
            with self._admin() as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            make_engine(self.url_of(name)).dispose()  # the current schema, stamped
            self._template = name
        return self._template

    def create(self, *, empty: bool = False) -> str:
        """A new database with the current schema (or ``empty``); returns its name."""
        name = f"{PREFIX}{os.getpid()}_{next(self._names)}_{os.urandom(3).hex()}"
        template = "template0" if empty else self._template_name()
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return name

    def drop(self, name: str) -> None:
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        if self._template is not None and self._available:
            with contextlib.suppress(Exception):
                self.drop(self._template)
            self._template = None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_server: PostgresServer | None = None


def server() -> PostgresServer:
    global _server
    if _server is None:
        setting = _setting()
        _server = PostgresServer(setting if setting.startswith("postgres") else DEFAULT_SERVER)
    return _server


_session_databases: list[str] = []


def close_server() -> None:
    if _server is not None:
        for name in _session_databases:
            with contextlib.suppress(Exception):
                _server.drop(name)
        _session_databases.clear()
        _server.close()


def session_database(sqlite_path: Path) -> str:
    """A database of the default backend that lives until the end of the test session, for
    fixtures shared by many tests: the SQLite file ``sqlite_path``, or a PostgreSQL database
    under ``EVALCRAWL_TEST_DB=postgresql://…``."""
    if default_backend() == "sqlite":
        sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{sqlite_path}"
    pg = need_postgres()
    name = pg.create()
    _session_databases.append(name)
    return pg.url_of(name)


def need_postgres() -> PostgresServer:
    """The server, or skip (fail under EVALCRAWL_REQUIRE_SERVICES=1) when it is down."""
    from tests.conftest import need

    pg = server()
    need(pg.available(), f"PostgreSQL at {pg.shown}")
    return pg


@contextlib.contextmanager
def database(backend: str, folder: Path, *, empty: bool = False) -> Iterator[str]:
    """A fresh database of ``backend`` for one test (or module); yields its URL.

    ``empty``: no schema at all (by default PostgreSQL databases come with the current
    schema, as the first ``make_engine`` would create it; SQLite files are created by it).
    """
    if backend == "sqlite":
        folder.mkdir(parents=True, exist_ok=True)
        yield f"sqlite:///{folder / 'evalcrawl.db'}"
        return
    pg = need_postgres()
    name = pg.create(empty=empty)
    try:
        yield pg.url_of(name)
    finally:
        pg.drop(name)
