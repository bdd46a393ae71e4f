"""Index links by run; unbounded text for names and ids that come from users and servers.

- ``ix_links_run (run_id, id)``: loading a run's facts for scoring (``SELECT … FROM links
  WHERE run_id = ? ORDER BY id``) and forgetting a crawl (``DELETE FROM links WHERE run_id =
  ?``) walked every link of every run in the database (EXPLAIN on PostgreSQL: a scan of
  ``links_pkey`` filtered on run_id, and a sequential scan for the delete). Links are the
  largest table — about 20 per page — and one database keeps every year's runs.
- Region, site, rubric and indicator ids and names come from user files, a content type from
  servers and the lock owner from the host name: none has a natural length limit, and
  PostgreSQL refused a longer value (``value too long for type character varying(64)``)
  where SQLite took it. They become TEXT. On PostgreSQL that changes no stored row and
  rebuilds no index; SQLite never enforced the lengths, so nothing changes there.

Revision ID: 0002
Revises: 0001
Created: 2026-11-27
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WIDENED = {
    "runs": {"region_id": 64, "region_name": 200, "rubric_id": 64, "lock_owner": 200},
    "sites": {"site_id": 64, "region_id": 64, "name_zh": 200, "name": 300},
    "link_checks": {"content_type": 200},
    "score_sets": {"rubric_id": 64, "rubric_version": 64},
    "indicator_scores": {"indicator_id": 64},
}


def upgrade() -> None:
    op.create_index("ix_links_run", "links", ["run_id", "id"], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        return  # SQLite stores VARCHAR(n) as TEXT already
    for table, columns in WIDENED.items():
        for column, length in columns.items():
            op.alter_column(table, column, type_=sa.Text(), existing_type=sa.String(length))


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        for table, columns in WIDENED.items():
            for column, length in columns.items():
                op.alter_column(table, column, type_=sa.String(length), existing_type=sa.Text())
    op.drop_index("ix_links_run", table_name="links")
