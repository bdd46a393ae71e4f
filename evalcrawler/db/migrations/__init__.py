"""Alembic migrations of the evalcrawl schema (see :mod:`evalcrawler.db.migrate`)."""
