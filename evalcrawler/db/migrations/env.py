"""Alembic environment of evalcrawl: run by :mod:`evalcrawler.db.migrate`, never by hand.

The caller passes an open connection (``config.attributes["connection"]``) inside its own
transaction; without one (``alembic`` driven by a URL) an engine is made from the URL.
SQLite gets batch mode, so a revision can alter or drop columns there too.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import create_engine, pool

from evalcrawler.db.migrate import COMPARE_OPTIONS
from evalcrawler.db.models import Base

config = context.config
target_metadata = Base.metadata


def _configure(**kw: Any) -> None:
    context.configure(target_metadata=target_metadata, **COMPARE_OPTIONS, **kw)


def run_offline() -> None:
    _configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
        return
    from evalcrawler.db import normalise_url

    url = normalise_url(config.get_main_option("sqlalchemy.url") or "")
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as conn:
        _configure(connection=conn, render_as_batch=conn.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
