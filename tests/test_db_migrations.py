"""Schema migrations on SQLite and on PostgreSQL: the migrations build the schema of the models,
new and pre-migration databases are taken care of, outdated and newer ones are refused with a
one-line error, and ``evalcrawl db upgrade`` upgrades last year's database in place."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from evalcrawler import pipeline
from evalcrawler.cli import main
from evalcrawler.db import make_engine, safe_url, session_scope, store
from evalcrawler.db.facts import load_site_facts
from evalcrawler.db.migrate import (
    BASE_REVISION,
    HEAD,
    differences,
    script,
    state,
    upgrade_to,
)
from evalcrawler.errors import DatabaseError
from evalcrawler.reports.data import load_report_data
from tests.databases import backend_params, database
from tests.test_db_store import crawl, new_run, region


@pytest.fixture(params=backend_params())
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database without any schema, once on SQLite and once on PostgreSQL."""
    with database(request.param, tmp_path / "db", empty=True) as url:
        yield url


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def at_revision(url: str, revision: str, *, stamped: bool = True):  # type: ignore[no-untyped-def]
    """An engine on a database built by the migrations up to ``revision`` (not checked)."""
    engine = make_engine(url, create=False)
    upgrade_to(engine, revision)
    if not stamped:  # as evalcrawl created it before it had migrations
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE alembic_version"))
    return engine


def test_head_is_the_newest_revision_of_one_line():
    revisions = [s.revision for s in script().walk_revisions()]
    assert revisions == [HEAD, "0002", BASE_REVISION] == ["0003", "0002", "0001"]
    assert script().get_current_head() == HEAD


def test_migrations_build_exactly_the_schema_of_the_models(empty_db):
    """A schema change must come with a revision: models and migrations never disagree."""
    engine = at_revision(empty_db, "head")
    with engine.connect() as conn:
        assert differences(conn) == []
    assert state(engine).kind == "current"


def test_a_new_database_gets_the_current_schema(empty_db):
    engine = make_engine(empty_db)
    found = state(engine)
    assert (found.kind, found.revision) == ("current", HEAD)
    with engine.connect() as conn:
        assert differences(conn) == []


def test_the_first_revision_differs_from_head_by_the_second(empty_db):
    engine = at_revision(empty_db, BASE_REVISION)
    with engine.connect() as conn:
        changes = differences(conn)
    assert ("add_index", "ix_links_run") in {
        (c[0], c[1].name) for c in changes if isinstance(c, tuple)
    }


def test_a_database_from_before_migrations_is_stamped_and_must_be_upgraded(empty_db):
    at_revision(empty_db, BASE_REVISION, stamped=False)
    shown = safe_url(empty_db)
    code, output = cli("db", "current", "--db", empty_db)
    assert (code, output) == (
        0,
        f"{shown}: created before evalcrawl had migrations (revision 0001); the current "
        f"revision is {HEAD}\nRun `evalcrawl db upgrade --db {shown}` (after a backup).\n",
    )
    with pytest.raises(DatabaseError) as caught:
        make_engine(empty_db)
    assert caught.value.message == (
        f"database {shown} has schema revision 0001, this evalcrawl needs {HEAD}; back it up, "
        f"then run `evalcrawl db upgrade --db {shown}`"
    )
    engine = make_engine(empty_db, create=False)
    assert (state(engine).kind, state(engine).revision) == ("old", BASE_REVISION)  # stamped
    code, output = cli("runs", "--db", empty_db)
    assert code == 1
    assert output == f"Error: {caught.value.message}\n"


def test_a_database_of_a_newer_evalcrawl_is_refused(db_url):
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    shown = safe_url(db_url)
    message = (
        f"database {shown} has schema revision 0099, written by a newer evalcrawl (this one "
        f"knows up to {HEAD}); upgrade evalcrawl (pip install -U evalcrawl)"
    )
    with pytest.raises(DatabaseError) as caught:
        make_engine(db_url)
    assert caught.value.message == message
    code, output = cli("db", "upgrade", "--db", db_url)
    assert code == 1 and "newer than this evalcrawl" in output and "upgrade evalcrawl" in output
    assert cli("db", "current", "--db", db_url) == (
        0,
        f"{shown}: revision 0099, newer than this evalcrawl (which knows up to {HEAD})\n",
    )


def test_db_upgrade_of_a_new_or_current_database(empty_db):
    shown = safe_url(empty_db)
    assert cli("db", "upgrade", "--db", empty_db) == (
        0,
        f"Created the schema of {shown} at revision {HEAD}\n",
    )
    assert cli("db", "upgrade", "--db", empty_db) == (
        0,
        f"{shown} is at revision {HEAD} already; nothing to do\n",
    )
    assert cli("db", "current", "--db", empty_db) == (0, f"{shown}: revision {HEAD} (current)\n")


def test_db_current_creates_no_sqlite_file(tmp_path):
    path = tmp_path / "none.db"
    assert cli("db", "current", "--db", f"sqlite:///{path}") == (
        0,
        f"sqlite:///{path}: empty (no evalcrawl schema yet); this evalcrawl creates revision "
        f"{HEAD}\n",
    )
    assert not path.exists()


def test_last_years_database_is_upgraded_in_place(empty_db):
    """A database at revision 0001 holding a crawled and scored run: `evalcrawl db upgrade`
    brings it to the current schema, and every stored fact and score is still there."""
    old = at_revision(empty_db, BASE_REVISION, stamped=False)  # evalcrawl 0.1's database
    run_id = new_run(old)
    crawl(old, empty_db, run_id)
    pipeline.score(old, run_id, "gov2013")
    with session_scope(old) as session:
        facts_before = load_site_facts(session, store.get_run(session, run_id))
    report_before = load_report_data(old, run_id)
    if old.dialect.name == "postgresql":  # the old schema limited names to 64 characters
        with pytest.raises(DBAPIError, match="too long"):
            new_run(old, region(id="x" * 70))
    old.dispose()

    code, output = cli("db", "upgrade", "--db", empty_db)
    assert (code, output) == (
        0,
        f"Upgraded {safe_url(empty_db)} from revision 0001 (created before migrations) to {HEAD}\n",
    )
    engine = make_engine(empty_db)  # opens without complaint now
    assert state(engine).revision == HEAD
    with engine.connect() as conn:
        assert differences(conn) == []
    indexes = {i["name"] for i in inspect(engine).get_indexes("links")}
    assert "ix_links_run" in indexes
    with session_scope(engine) as session:
        assert load_site_facts(session, store.get_run(session, run_id)) == facts_before
    assert load_report_data(engine, run_id) == report_before
    new_run(engine, region(id="x" * 70), year=2027)  # the new schema takes long ids
    code, output = cli("runs", "--db", empty_db)
    assert code == 0
    assert [line.split()[1:6] for line in output.splitlines()[1:]] == [
        ["store", "2026", "scored", "2", "4"],
        ["store", "2027", "new", "2", "0"],
    ]


def test_messages_never_show_the_password(tmp_path):
    url = "postgresql://evalcrawl:s3cret-pw@127.0.0.1:1/evalcrawl"
    for args in (["runs"], ["db", "current"], ["db", "upgrade"], ["report", "--run", "1"]):
        code, output = cli(*args, "--db", url)
        assert code == 1, output
        assert "s3cret" not in output
        assert output.startswith("Error: cannot open database postgresql://evalcrawl:***@")


@pytest.mark.services
def test_password_is_hidden_on_a_working_server(tmp_path):
    with database("postgresql", tmp_path) as url:
        with_password = make_url(url).set(password="s3cret-pw").render_as_string(False)
        for args in (["db", "upgrade"], ["db", "current"]):
            _code, output = cli(*args, "--db", with_password)
            assert "s3cret" not in output and ":***@" in output, output


def test_the_upgrade_to_0003_rehashes_stored_rubrics_by_their_content(empty_db):
    """Revision 0002 stored the hash of the rubric file's bytes; 0003 recomputes every stored
    hash from the stored text as the hash of its content, so the same rubric scores again and
    a changed copy under its id and version is refused."""
    import hashlib

    from evalcrawler.db.models import ScoreSet
    from evalcrawler.errors import RubricError
    from evalcrawler.scoring.rubric import load_rubric

    old = at_revision(empty_db, "0002")
    run_id = new_run(old)
    crawl(old, empty_db, run_id)
    pipeline.score(old, run_id, "gov2013")
    gov = load_rubric("gov2013")
    file_hash = hashlib.sha256(gov.text.encode("utf-8")).hexdigest()
    with old.begin() as conn:  # what evalcrawl wrote before 0003
        conn.execute(text("UPDATE score_sets SET rubric_sha256 = :h"), {"h": file_hash})
    old.dispose()

    assert cli("db", "upgrade", "--db", empty_db) == (
        0,
        f"Upgraded {safe_url(empty_db)} from revision 0002 to {HEAD}\n",
    )
    engine = make_engine(empty_db)
    with engine.connect() as conn:
        assert differences(conn) == []
        assert conn.execute(text("SELECT rubric_sha256 FROM score_sets")).scalars().all() == [
            gov.sha256
        ]
    assert gov.sha256 != file_hash
    pipeline.score(engine, run_id, "gov2013")  # the same rubric: scored again in place
    with session_scope(engine) as session:
        assert session.query(ScoreSet).count() == 1
    lax = load_rubric("gov2013")
    lax._sha256 = "f" * 64  # a changed copy under the same id and version
    with pytest.raises(RubricError, match="is stored in this database with other content"):
        from evalcrawler.db.scores import check_rubric_identity

        with session_scope(engine) as session:
            check_rubric_identity(session, rubric_id="gov2013", version="2026.1", sha256=lax.sha256)
