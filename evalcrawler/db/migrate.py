"""Schema migrations (Alembic): which schema a database has, and bringing it up to date.

The migration scripts ship in :mod:`evalcrawler.db.migrations`. Every command opens its
database through :func:`evalcrawler.db.make_engine`, which calls :func:`ensure_current`:

- an **empty** database gets the current schema: created from the models and stamped at the
  head revision, as Alembic recommends for new databases (the test suite checks that the
  migrations build exactly the schema of the models);
- a database created **before evalcrawl had migrations** (its tables, no ``alembic_version``)
  is stamped at the first revision, the schema that code created;
- a database at an **older** revision is never changed behind the user's back: the command
  stops with a one-line error asking to back it up and run ``evalcrawl db upgrade``;
- a database at a revision this evalcrawl does not know was written by a **newer** evalcrawl:
  the error asks to upgrade evalcrawl.

:func:`upgrade` (``evalcrawl db upgrade``) applies the missing revisions. On PostgreSQL a
transaction-scoped advisory lock keeps two processes from creating or upgrading one database
at the same time, and an upgrade runs in one transaction (all or nothing). On SQLite foreign
keys are switched off while a migration runs (batch migrations copy tables, and dropping the
old copy of a table must not cascade into the rows that refer to it) and the change runs in
one ``BEGIN IMMEDIATE`` transaction.

A schema change is a new revision, never an edit of models.py alone. To write one, change the
models, then let Alembic draft it from a database at the current head::

    python -c "from alembic import command; from evalcrawler.db.migrate import alembic_config;
    command.revision(alembic_config('sqlite:///head.db'), 'what changed', autogenerate=True,
    rev_id='0003')"

and review the draft in ``evalcrawler/db/migrations/versions/`` (SQLite needs batch mode,
which ``env.py`` turns on).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, String, TypeDecorator, inspect, text

from evalcrawler.errors import DatabaseError

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

MIGRATIONS = Path(__file__).resolve().with_name("migrations")
BASE_REVISION = "0001"
"""The schema that evalcrawl created before it had migrations."""
HEAD = "0003"
"""The newest revision in ``migrations/versions`` (a test checks it). Knowing it here lets
every command check its database without importing Alembic."""

_PG_LOCK_KEY = 0x65766C63  # 'evlc': pg_advisory_xact_lock key for schema changes


@dataclass(frozen=True)
class SchemaState:
    """Where a database stands: its revision, the code's head, and what that means."""

    revision: str | None  # None: no alembic_version (empty, or created before migrations)
    head: str
    kind: str  # empty | unstamped | current | old | newer

    def describe(self) -> str:
        if self.kind == "empty":
            return f"empty (no evalcrawl schema yet); this evalcrawl creates revision {self.head}"
        if self.kind == "unstamped":
            return (
                f"created before evalcrawl had migrations (revision {BASE_REVISION}); "
                f"the current revision is {self.head}"
            )
        if self.kind == "current":
            return f"revision {self.revision} (current)"
        if self.kind == "old":
            return f"revision {self.revision}; the current revision is {self.head}"
        return (
            f"revision {self.revision}, newer than this evalcrawl (which knows up to {self.head})"
        )


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    """An Alembic configuration for the packaged migrations (no alembic.ini needed)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _compare_type(
    ctx: Any, inspected_column: Any, metadata_column: Any, inspected_type: Any, metadata_type: Any
) -> bool | None:
    """SQLite stores every string type as TEXT and enforces no length: VARCHAR(64) and TEXT are
    the same column there (revision 0002 widens such columns on PostgreSQL only)."""
    if isinstance(metadata_type, TypeDecorator):
        metadata_type = metadata_type.impl_instance  # SafeText is TEXT, UTCDateTime DATETIME …
    if ctx.dialect.name == "sqlite" and isinstance(inspected_type, String):
        return not isinstance(metadata_type, String)
    return None  # Alembic's own comparison


def _render_item(kind: str, obj: Any, autogen_context: Any) -> str | bool:
    """Drafted revisions name the plain type (``sa.Text()``), not the models' decorators."""
    if kind == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl_instance!r}"
    return False


COMPARE_OPTIONS: dict[str, Any] = {"compare_type": _compare_type, "render_item": _render_item}
"""How autogenerate compares a database with the models (env.py and :func:`differences`)."""


def differences(conn: Connection) -> list[Any]:
    """What differs between the database's schema and the models (empty when they agree)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from evalcrawler.db.models import Base

    context = MigrationContext.configure(conn, opts=dict(COMPARE_OPTIONS))
    return list(compare_metadata(context, Base.metadata))


@functools.cache
def script() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


def stamped_revision(conn: Connection) -> str | None:
    """The revision recorded in ``alembic_version`` (None when there is none)."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    revisions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(revisions) > 1:
        raise DatabaseError(
            f"the database records several schema revisions ({', '.join(sorted(revisions))}); "
            "evalcrawl's migrations have one line of revisions: repair alembic_version"
        )
    return revisions[0] if revisions else None


def state_of(conn: Connection) -> SchemaState:
    """The schema state of the database behind ``conn`` (read only)."""
    rev = stamped_revision(conn)
    if rev is None:
        kind = "unstamped" if inspect(conn).has_table("runs") else "empty"
    elif rev == HEAD:
        kind = "current"
    else:
        from alembic.util import CommandError

        try:
            known = script().get_revision(rev) is not None
        except CommandError:
            known = False
        kind = "old" if known else "newer"
    return SchemaState(rev, HEAD, kind)


def state(engine: Engine) -> SchemaState:
    with engine.connect() as conn:
        return state_of(conn)


def ensure_current(engine: Engine, shown_url: str) -> None:
    """Bring a new or pre-migration database to a known revision; refuse old and newer ones.

    ``shown_url`` is the URL as messages show it (password hidden).
    """
    found = state(engine)
    if found.kind in ("empty", "unstamped"):
        with _schema_change(engine) as conn:
            found = state_of(conn)  # another process may have been first
            if found.kind == "empty":
                _create(conn)
            elif found.kind == "unstamped":
                _stamp(conn, BASE_REVISION)
            found = state_of(conn)
    if found.kind == "old":
        raise DatabaseError(
            f"database {shown_url} has schema revision {found.revision}, this evalcrawl needs "
            f"{found.head}; back it up, then run `evalcrawl db upgrade --db {shown_url}`"
        )
    if found.kind == "newer":
        raise DatabaseError(
            f"database {shown_url} has schema revision {found.revision}, written by a newer "
            f"evalcrawl (this one knows up to {found.head}); upgrade evalcrawl "
            "(pip install -U evalcrawl)"
        )


def upgrade(engine: Engine, shown_url: str) -> tuple[SchemaState, SchemaState]:
    """Apply the missing revisions (``evalcrawl db upgrade``). Returns the states before/after."""
    with _schema_change(engine) as conn:
        before = state_of(conn)
        if before.kind == "newer":
            raise DatabaseError(
                f"database {shown_url} has schema revision {before.revision}, newer than this "
                f"evalcrawl (which knows up to {before.head}); upgrade evalcrawl "
                "(pip install -U evalcrawl)"
            )
        if before.kind == "empty":
            _create(conn)
        elif before.kind != "current":
            from alembic import command

            if before.kind == "unstamped":
                _stamp(conn, BASE_REVISION)
            command.upgrade(alembic_config(connection=conn), "head")
        after = state_of(conn)
    return before, after


def upgrade_to(engine: Engine, revision: str) -> None:
    """Apply the revisions up to ``revision`` only (tests build old databases with it)."""
    from alembic import command

    with _schema_change(engine) as conn:
        command.upgrade(alembic_config(connection=conn), revision)


def _create(conn: Connection) -> None:
    from evalcrawler.db.models import Base

    Base.metadata.create_all(conn)
    _stamp(conn, HEAD)


def _stamp(conn: Connection, revision: str) -> None:
    from alembic import command

    command.stamp(alembic_config(connection=conn), revision)


@contextmanager
def _schema_change(engine: Engine) -> Iterator[Connection]:
    """One transaction for a schema change: serialised on PostgreSQL and SQLite, foreign keys
    off on SQLite (restored afterwards, after checking that no row lost its parent)."""
    conn = engine.connect()
    sqlite = conn.dialect.name == "sqlite"
    try:
        if sqlite:
            # The pragma takes effect only outside a transaction: commit the autobegin first.
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        conn.begin()
        if sqlite:
            # pysqlite starts no transaction before DDL: start one that holds the write lock,
            # so the change is atomic and two processes cannot make it at once.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        try:
            yield conn
            if sqlite and conn.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                raise DatabaseError(
                    "a migration left rows without their parent row; nothing was changed "
                    "(please report this)"
                )
        except BaseException:
            conn.rollback()
            raise
        conn.commit()
    finally:
        if sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            conn.commit()
        conn.close()


# ------------------------------------------------------------- by URL (the CLI)


def database_state(url: str | None = None) -> tuple[str, SchemaState]:
    """The shown URL and schema state of a database (``evalcrawl db current``); changes nothing
    and creates no SQLite file."""
    from sqlalchemy.exc import OperationalError

    from evalcrawler.db import default_url, make_engine, safe_url, sqlite_file, unreachable

    raw = url or default_url()
    path = sqlite_file(raw)
    if path is not None and not path.exists():
        return safe_url(raw), SchemaState(None, HEAD, "empty")
    engine = make_engine(raw, create=False)
    try:
        return safe_url(raw), state(engine)
    except OperationalError as exc:
        raise unreachable(raw, exc) from None
    finally:
        engine.dispose()


def upgrade_database(url: str | None = None) -> tuple[str, SchemaState, SchemaState]:
    """Upgrade a database to this evalcrawl's schema (``evalcrawl db upgrade``)."""
    from sqlalchemy.exc import OperationalError

    from evalcrawler.db import default_url, make_engine, safe_url, unreachable

    raw = url or default_url()
    engine = make_engine(raw, create=False)
    try:
        before, after = upgrade(engine, safe_url(raw))
    except OperationalError as exc:
        raise unreachable(raw, exc) from None
    finally:
        engine.dispose()
    return safe_url(raw), before, after
