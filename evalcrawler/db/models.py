"""Database models (SQLAlchemy 2): runs, sites, page facts, links, checks, probes and scores.

One schema serves SQLite (the default file) and PostgreSQL. A *run* is the crawl of one region
for one evaluation year; it can be scored under any number of rubrics (one *score set* per
rubric), always from the stored facts alone.

A change of this schema needs a migration too (``evalcrawler/db/migrations``; how to draft one
is in :mod:`evalcrawler.db.migrate`): a test fails when the models and the migrations disagree.
Strings are TEXT unless they are short codes of our own; SafeText, UTCDateTime and Real make
SQLite and PostgreSQL store the same values (see each class).
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timezone
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class SafeText(TypeDecorator[str]):
    """Text without NUL characters. PostgreSQL cannot store them (SQLite can) and crawled
    pages may contain them; they are dropped on every database, so both store the same."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value and "\x00" in value:
            return value.replace("\x00", "")
        return value


class UTCDateTime(TypeDecorator[datetime]):
    """A naive UTC timestamp. An aware datetime is converted to UTC first: PostgreSQL would
    convert it to the session's time zone, SQLite would drop the offset."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            return value.astimezone(timezone.utc).replace(tzinfo=None)
        return value


class Real(TypeDecorator[float]):
    """A float where NaN is stored as NULL on every database (SQLite does so by itself;
    PostgreSQL would keep the NaN and give back what SQLite never does)."""

    impl = Float
    cache_ok = True

    def process_bind_param(self, value: float | None, dialect: Dialect) -> float | None:
        return None if value is not None and value != value else value


def url_hash(url: str) -> str:
    """A fixed-length key for a URL (URLs can be longer than an index allows)."""
    return hashlib.sha1(url.encode("utf-8", "surrogatepass")).hexdigest()


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class Run(Base):
    """The crawl of a region for an evaluation year."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[str] = mapped_column(SafeText, index=True)
    region_name: Mapped[str] = mapped_column(SafeText, default="")
    year: Mapped[int] = mapped_column(Integer)
    rubric_id: Mapped[str] = mapped_column(SafeText)  # the rubric the run was started with
    as_of: Mapped[date | None] = mapped_column(Date, nullable=True)  # fixed by --as-of/region
    crawl_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    # new → crawling → crawled → scored; or interrupted / failed (resumable)
    status: Mapped[str] = mapped_column(String(20), default="new")
    superseded: Mapped[bool] = mapped_column(Boolean, default=False)  # replaced by a --fresh run
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    region: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # snapshot of the file
    lock_owner: Mapped[str | None] = mapped_column(SafeText, nullable=True)
    lock_heartbeat: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    message: Mapped[str] = mapped_column(SafeText, default="")
    warc_dir: Mapped[str | None] = mapped_column(SafeText, nullable=True)

    sites: Mapped[list[Site]] = relationship(back_populates="run", order_by="Site.id")


class Site(Base):
    __tablename__ = "sites"
    __table_args__ = (UniqueConstraint("run_id", "site_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[str] = mapped_column(SafeText)
    region_id: Mapped[str] = mapped_column(SafeText, default="")
    name_zh: Mapped[str] = mapped_column(SafeText, default="")
    name: Mapped[str] = mapped_column(SafeText, default="")
    level: Mapped[str] = mapped_column(String(20))
    url: Mapped[str] = mapped_column(SafeText)
    aliases: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # crawl progress: pending → crawling → done
    crawl_state: Mapped[str] = mapped_column(String(20), default="pending")
    # measured | partial | blocked | unreachable (set when the crawl of the site is done)
    status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    reason: Mapped[str | None] = mapped_column(SafeText, nullable=True)
    home_url: Mapped[str | None] = mapped_column(SafeText, nullable=True)  # the URL that answered
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    run: Mapped[Run] = relationship(back_populates="sites")


class Page(Base):
    """Facts of one fetched page (see evalcrawler.facts.PageFacts)."""

    __tablename__ = "pages"
    __table_args__ = (
        UniqueConstraint("run_id", "url_hash"),
        Index("ix_pages_site", "site_pk"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    site_pk: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(SafeText)
    url_hash: Mapped[str] = mapped_column(String(40))
    final_url: Mapped[str] = mapped_column(SafeText, default="")
    status: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(SafeText, nullable=True)
    is_html: Mapped[bool] = mapped_column(Boolean, default=False)
    is_home: Mapped[bool] = mapped_column(Boolean, default=False)
    title: Mapped[str] = mapped_column(SafeText, default="")
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    text: Mapped[str] = mapped_column(SafeText, default="")
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the rest of PageFacts
    warc_record: Mapped[str | None] = mapped_column(SafeText, nullable=True)


class Link(Base):
    """One link of a stored page."""

    __tablename__ = "links"
    __table_args__ = (
        Index("ix_links_site", "site_pk"),
        Index("ix_links_page", "page_id"),
        Index("ix_links_run", "run_id", "id"),  # a run's links in order (scoring, reset)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    site_pk: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    page_id: Mapped[int] = mapped_column(ForeignKey("pages.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(SafeText)
    text: Mapped[str] = mapped_column(SafeText, default="")
    nav: Mapped[bool] = mapped_column(Boolean, default=False)
    pager: Mapped[bool] = mapped_column(Boolean, default=False)


class LinkCheck(Base):
    """The check of an internal link target that was not crawled as a page."""

    __tablename__ = "link_checks"
    __table_args__ = (UniqueConstraint("run_id", "site_pk", "url_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    site_pk: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(SafeText)
    url_hash: Mapped[str] = mapped_column(String(40))
    status: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(SafeText, nullable=True)
    final_url: Mapped[str | None] = mapped_column(SafeText, nullable=True)
    method: Mapped[str] = mapped_column(String(8), default="HEAD")
    content_type: Mapped[str] = mapped_column(SafeText, default="")
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Probe(Base):
    __tablename__ = "probes"
    __table_args__ = (UniqueConstraint("run_id", "site_pk", "kind", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    site_pk: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    seq: Mapped[int] = mapped_column(Integer, default=0)
    url: Mapped[str] = mapped_column(SafeText)
    status: Mapped[int] = mapped_column(Integer, default=0)
    ok: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    elapsed_ms: Mapped[float | None] = mapped_column(Real, nullable=True)
    error: Mapped[str | None] = mapped_column(SafeText, nullable=True)
    final_url: Mapped[str | None] = mapped_column(SafeText, nullable=True)
    headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    probed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ScoreSet(Base):
    """The scores of one run under one rubric.

    A rubric is identified by its id and version, and those by its content: one (id, version)
    has one ``rubric_sha256`` in the whole database (a changed copy under the same id and
    version is refused, see :func:`evalcrawler.db.scores.check_rubric_identity`), and a run
    keeps one score set per rubric id and version."""

    __tablename__ = "score_sets"
    __table_args__ = (
        UniqueConstraint("run_id", "rubric_id", "rubric_version", name="uq_score_sets_rubric"),
        Index("ix_score_sets_rubric", "rubric_id", "rubric_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    rubric_id: Mapped[str] = mapped_column(SafeText)
    rubric_title: Mapped[str] = mapped_column(SafeText, default="")
    rubric_version: Mapped[str] = mapped_column(SafeText, default="")
    rubric_sha256: Mapped[str] = mapped_column(String(64), default="")
    rubric_text: Mapped[str] = mapped_column(SafeText, default="")  # the YAML, for the appendix
    as_of: Mapped[date] = mapped_column(Date)
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Measurement(Base):
    __tablename__ = "measurements"
    __table_args__ = (UniqueConstraint("score_set_id", "site_pk", "metric"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    score_set_id: Mapped[int] = mapped_column(ForeignKey("score_sets.id", ondelete="CASCADE"))
    site_pk: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(64))
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    reason: Mapped[str | None] = mapped_column(SafeText, nullable=True)
    evidence_url: Mapped[str | None] = mapped_column(SafeText, nullable=True)


class IndicatorScore(Base):
    __tablename__ = "indicator_scores"
    __table_args__ = (UniqueConstraint("score_set_id", "site_pk", "indicator_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    score_set_id: Mapped[int] = mapped_column(ForeignKey("score_sets.id", ondelete="CASCADE"))
    site_pk: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    indicator_id: Mapped[str] = mapped_column(SafeText)
    category: Mapped[str] = mapped_column(String(32))
    name_zh: Mapped[str] = mapped_column(SafeText, default="")
    name: Mapped[str] = mapped_column(SafeText, default="")
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    score: Mapped[float | None] = mapped_column(Real, nullable=True)
    max_score: Mapped[float] = mapped_column(Real)
    status: Mapped[str] = mapped_column(String(20))  # scored | not_measured | manual
    evidence_url: Mapped[str | None] = mapped_column(SafeText, nullable=True)
    evidence_text: Mapped[str | None] = mapped_column(SafeText, nullable=True)
    note: Mapped[str | None] = mapped_column(SafeText, nullable=True)


class SiteScore(Base):
    __tablename__ = "site_scores"
    __table_args__ = (UniqueConstraint("score_set_id", "site_pk"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    score_set_id: Mapped[int] = mapped_column(ForeignKey("score_sets.id", ondelete="CASCADE"))
    site_pk: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    rank: Mapped[int | None] = mapped_column(Integer, nullable=True)
    total: Mapped[float | None] = mapped_column(Real, nullable=True)
    categories: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # category → 0–100
    veto: Mapped[bool] = mapped_column(Boolean, default=False)
    veto_reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20))
    pages: Mapped[int] = mapped_column(Integer, default=0)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # columns, threads
