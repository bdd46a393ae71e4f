"""A rubric is identified by its id, version and content; a run keeps a score set per version.

A copy of gov2013 with a changed veto threshold but the same ``id: gov2013`` replaced the
stored gov2013 scores of a run, and the reports still said "gov2013 v2026.1". Now:

- ``score_sets.rubric_sha256`` is the hash of the rubric's *content* (its parsed YAML as
  canonical JSON, see :func:`evalcrawler.scoring.rubric.content_sha256`), no longer of the
  file's bytes, so a comment or a reformatting is the same rubric. The stored hashes are
  recomputed from the stored ``rubric_text``.
- One (rubric id, version) has one content in a database: scoring under a changed rubric with
  the same id and version is refused (the code checks it; ``ix_score_sets_rubric`` makes the
  lookup an index scan).
- A run keeps one score set per rubric id *and version* (``uq_score_sets_rubric`` replaces
  the unique (run_id, rubric_id)), so a bumped version is stored beside the old one.

Revision ID: 0003
Revises: 0002
Created: 2026-12-02
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
import yaml
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_COLUMNS = ["run_id", "rubric_id"]
NEW_COLUMNS = ["run_id", "rubric_id", "rubric_version"]
NEW_NAME = "uq_score_sets_rubric"
# Names for the unnamed unique constraints of a SQLite table rebuilt in batch mode.
SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_N_name)s"}


def upgrade() -> None:
    # The unique (run_id, rubric_id) of revision 0001 has no name of its own: on SQLite the
    # batch's naming convention names it, on PostgreSQL it is found by its columns.
    _swap_unique(f"uq_score_sets_{'_'.join(OLD_COLUMNS)}", OLD_COLUMNS, NEW_NAME, NEW_COLUMNS)
    op.create_index("ix_score_sets_rubric", "score_sets", ["rubric_id", "rubric_version"])
    _rehash(_content_sha256)


def downgrade() -> None:
    # Two versions of a rubric in one run cannot both stay: the downgrade fails on them.
    op.drop_index("ix_score_sets_rubric", table_name="score_sets")
    _swap_unique(NEW_NAME, NEW_COLUMNS, "score_sets_run_id_rubric_id_key", OLD_COLUMNS)
    _rehash(lambda text: hashlib.sha256(text.encode("utf-8")).hexdigest())


def _swap_unique(old_name: str, old: list[str], new_name: str, new: list[str]) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        with op.batch_alter_table(
            "score_sets", recreate="always", naming_convention=SQLITE_NAMES
        ) as batch:
            batch.drop_constraint(old_name, type_="unique")
            batch.create_unique_constraint(new_name, new)
        return
    for found in sa.inspect(bind).get_unique_constraints("score_sets"):
        if found["column_names"] == old and found["name"]:  # PostgreSQL names every one
            op.drop_constraint(found["name"], "score_sets", type_="unique")
    op.create_unique_constraint(new_name, "score_sets", new)


def _rehash(digest: Any) -> None:
    bind = op.get_bind()
    sets = sa.table(
        "score_sets", sa.column("id"), sa.column("rubric_text"), sa.column("rubric_sha256")
    )
    rows = bind.execute(sa.select(sets.c.id, sets.c.rubric_text)).all()
    for row_id, text in rows:
        try:
            sha = digest(text or "")
        except yaml.YAMLError:  # not a rubric's YAML: its hash is left as it is
            continue
        bind.execute(sa.update(sets).where(sets.c.id == row_id).values(rubric_sha256=sha))


def _content_sha256(text: str) -> str:
    """A copy of evalcrawler.scoring.rubric.content_sha256 as of this revision, applied to the
    YAML text (a migration must not change when the code does)."""
    canonical = json.dumps(
        _canonical(yaml.safe_load(text)), sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value
