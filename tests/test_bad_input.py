"""Bad input through the CLI, as a user or a scheduler meets it: one line, a fix, an exit code.

Every case runs ``python -m evalcrawler`` in a subprocess and asserts the exact ``Error: …``
line on stderr, the documented exit code (README, "Exit codes": 1 error, 2 usage) and that
nothing was stored half-written (no database created for input that is wrong before the run
starts, report files replaced all together or not at all, scores saved in one transaction).

Read-only folders and full disks cannot be made for real everywhere (root writes into a
``chmod 555`` folder; a small file system needs a mount): ``tests/faults/sitecustomize.py``
makes the CLI's own writes under a given path fail as the file system would, with the real
error numbers (``EROFS``; ``ENOSPC`` through ``/dev/full``, which fails every write).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from evalcrawler.cli import main
from evalcrawler.db import make_engine, scores, session_scope, sqlite_file
from evalcrawler.db.models import IndicatorScore, Measurement, ScoreSet, SiteScore
from evalcrawler.reports.writers import CSV_FILES
from tests.test_cli import run_cli
from tests.test_rubric import BROKEN, CASES

FAULTS = Path(__file__).resolve().parent / "faults"

REGION_OK = "id: r\nname: R\nsites:\n  - id: a\n    name_zh: 甲\n    level: county\n"
SITE_URL = "    url: http://a.gov.cn/\n"


def cli(args: list[str], cwd: Path, fault: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("EVALCRAWL_DB", None)
    if fault:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(FAULTS), env.get("PYTHONPATH")]))
        env["EVALCRAWL_TEST_FAULT"] = fault
    return run_cli(args, env, cwd, timeout=60)


def one_error_line(proc: subprocess.CompletedProcess) -> str:
    """The whole of stderr, which must be one line: ``Error: …``."""
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("bad-input")
    bad = {
        "syntax.yaml": "id: r\nname: R\nsites:\n  - id: a\n    name_zh: 甲\n   level: county\n",
        "unknown-key.yaml": REGION_OK + SITE_URL + "    homepage: http://a.gov.cn/\n",
        "duplicate.yaml": REGION_OK + SITE_URL + REGION_OK.split("sites:\n")[1] + SITE_URL,
        "bad-url.yaml": REGION_OK + "    url: www.a.gov.cn\n",
        "bad-level.yaml": REGION_OK.replace("county", "town") + SITE_URL,
        "ok.yaml": REGION_OK + SITE_URL,
        "bad-port.yaml": REGION_OK + "    url: http://a.gov.cn:70000/\n",
        "bad-alias-port.yaml": REGION_OK + SITE_URL + "    aliases: [http://b.gov.cn:0/]\n",
        "huge-delay.yaml": "crawl:\n  delay: 86400\n" + REGION_OK + SITE_URL,
        "alias-bomb.yaml": alias_bomb(),
        "misspelt.yaml": "id: r\nname: R\ncrawl:\n  max_page: 30\n  delay: -1\nsites:\n"
        "  - id: a\n    nme_zh: 甲\n    level: county\n" + SITE_URL,
        "misspelt-top.yaml": "id: r\nname: R\nsite:\n  - id: a\n",
    }
    for name, text in bad.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def alias_bomb(levels: int = 9) -> str:
    """A few hundred bytes of YAML anchors that expand to 9^9 values when read naively."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for n in range(1, levels + 1):
        refs = ", ".join([f"*a{n - 1}"] * 9)
        lines.append(f"a{n}: &a{n} [{refs}]")
    return "\n".join(lines) + "\n" + REGION_OK + SITE_URL


CONFIG_ERRORS = [
    (
        "region-syntax",
        ["--region", "syntax.yaml"],
        "Error: syntax.yaml:6: invalid YAML: expected <block end>, but found "
        "'<block mapping start>'",
    ),
    (
        "region-unknown-key",
        ["--region", "unknown-key.yaml"],
        "Error: unknown-key.yaml:8: sites[0].homepage: unknown key; check the spelling against "
        "the documentation",
    ),
    (
        "region-duplicate-site",
        ["--region", "duplicate.yaml"],
        "Error: duplicate.yaml:8: sites[1].id: duplicate site id 'a' (also sites[0]); site ids "
        "must be unique",
    ),
    (
        "region-bad-url",
        ["--region", "bad-url.yaml"],
        "Error: bad-url.yaml:7: sites[0].url: 'www.a.gov.cn' is not an http(s) URL; write it "
        "as https://host/",
    ),
    (
        "region-bad-port",
        ["--region", "bad-port.yaml"],
        "Error: bad-port.yaml:7: sites[0].url: 'http://a.gov.cn:70000/' has a bad port; a port "
        "is a number from 1 to 65535",
    ),
    (
        "region-bad-alias-port",
        ["--region", "bad-alias-port.yaml"],
        "Error: bad-alias-port.yaml:8: sites[0].aliases: 'http://b.gov.cn:0/' has port 0; a "
        "port is a number from 1 to 65535",
    ),
    (
        # Every problem, in the order of the file, and the nearest key for a misspelt one.
        "region-misspelt-keys",
        ["--region", "misspelt.yaml"],
        "Error: misspelt.yaml:4: crawl.max_page: unknown key; check the spelling against the "
        "documentation; did you mean 'max_pages'?; also line 5: crawl.delay: must be >= 0.0; "
        "also line 7: sites[0].name_zh: required key is missing; also line 8: sites[0].nme_zh: "
        "unknown key; check the spelling against the documentation; did you mean 'name_zh'?",
    ),
    (
        "region-misspelt-top-key",
        ["--region", "misspelt-top.yaml"],
        "Error: misspelt-top.yaml:1: sites: required key is missing; also line 3: site: "
        "unknown key; check the spelling against the documentation; did you mean 'sites'?",
    ),
    (
        "region-huge-delay",
        ["--region", "huge-delay.yaml"],
        "Error: huge-delay.yaml:2: crawl.delay: must be <= 3600.0",
    ),
    (
        "region-alias-bomb",
        ["--region", "alias-bomb.yaml"],
        "Error: alias-bomb.yaml:6: YAML aliases expand to more than 100,000 values; write the "
        "values out instead of aliasing them",
    ),
    (
        "region-bad-level",
        ["--region", "bad-level.yaml"],
        "Error: bad-level.yaml:6: sites[0].level: must be one of 'municipal', 'district', "
        "'county' or 'county_city'",
    ),
    (
        "region-unknown-id",
        ["--region", "atlantis"],
        "Error: unknown region 'atlantis'; bundled regions: demo, taiyuan (or give the path of "
        "a region YAML file)",
    ),
    (
        "region-missing-file",
        ["--region", "nowhere.yaml"],
        "Error: nowhere.yaml: no such file; check the path",
    ),
    (
        "rubric-unknown-id",
        ["--region", "ok.yaml", "--rubric", "gov2099"],
        "Error: unknown rubric 'gov2099'; did you mean 'gov2013'? bundled rubrics: "
        "checklist2019, gov2013 (or give the path of a rubric YAML file)",
    ),
    (
        "rubric-invalid-file",
        ["--region", "ok.yaml", "--rubric", str(BROKEN / CASES[1][0])],
        f"Error: {BROKEN / CASES[1][0]}:{CASES[1][1]}",
    ),
    (
        "db-folder-missing",
        ["--region", "ok.yaml", "--db", "sqlite:///no/such/folder/x.db"],
        "Error: cannot open database sqlite:///no/such/folder/x.db: folder {cwd}/no/such/folder "
        "does not exist; create it first",
    ),
    (
        "db-unparsable",
        ["--region", "ok.yaml", "--db", "postgresql://a:b@host:notaport/x"],
        "Error: cannot parse database URL 'postgresql://a:***@host:notaport/x'; use "
        "sqlite:///path/file.db or postgresql://user@host/dbname",
    ),
]


@pytest.fixture(scope="module")
def config_errors(files) -> dict[str, subprocess.CompletedProcess]:
    """Every case run at once (each is a short process): ``run`` for all, ``crawl`` for one."""
    jobs = {name: ["run", *args, "--out", "out"] for name, args, _ in CONFIG_ERRORS}
    jobs["crawl"] = ["crawl", "--region", "unknown-key.yaml", "--out", "out"]
    with ThreadPoolExecutor(max_workers=4) as pool:
        done = {name: pool.submit(cli, args, files) for name, args in jobs.items()}
        return {name: future.result() for name, future in done.items()}


@pytest.mark.parametrize(
    ("name", "expected"), [(c[0], c[2]) for c in CONFIG_ERRORS], ids=[c[0] for c in CONFIG_ERRORS]
)
def test_bad_configuration_is_one_line_and_stores_nothing(files, config_errors, name, expected):
    proc = config_errors[name]
    assert proc.returncode == 1, proc.stderr
    assert one_error_line(proc) == expected.format(cwd=files)
    assert proc.stdout == ""
    assert not (files / "evalcrawl.db").exists()  # nothing stored


def test_crawl_command_reports_bad_configuration_alike(config_errors):
    proc = config_errors["crawl"]
    assert proc.returncode == 1
    assert one_error_line(proc) == config_errors["region-unknown-key"].stderr.strip()


def test_unreachable_database_names_it_without_the_password(files):
    pytest.importorskip("psycopg")
    url = "postgresql://nobody:s3cret@127.0.0.1:1/evalcrawl"
    proc = cli(["run", "--region", "ok.yaml", "--db", url, "--out", "out"], files)
    assert proc.returncode == 1
    line = one_error_line(proc)
    assert line.startswith("Error: cannot open database postgresql://nobody:***@127.0.0.1:1/")
    assert line.endswith("; check that the server runs and the URL (--db or EVALCRAWL_DB) is right")
    assert "s3cret" not in proc.stderr + proc.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["score", "--run", "7"],
            "Error: no run 7 in this database; `evalcrawl runs` lists the runs",
        ),
        (
            ["report", "--run", "7"],
            "Error: no run 7 in the database; list the stored runs with `evalcrawl runs`",
        ),
    ],
    ids=["score", "report"],
)
def test_unknown_run_id(tmp_path, args, expected):
    make_engine(f"sqlite:///{tmp_path / 'x.db'}").dispose()  # a database without run 7
    proc = cli([*args, "--db", f"sqlite:///{tmp_path / 'x.db'}"], tmp_path)
    assert proc.returncode == 1
    assert one_error_line(proc) == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--max-pages", "0"],
            "Invalid value for '--max-pages': 0 is not in the range 1<=x<=1000000.",
        ),
        (
            ["--as-of", "2026-13-01"],
            "Invalid value for '--as-of': '2026-13-01' is not a date; write it as YYYY-MM-DD",
        ),
        (
            ["--delay", "-1"],
            "Invalid value for '--delay': -1.0 is not in the range 0<=x<=3600.0.",
        ),
        ([], "Missing option '--region'."),
    ],
    ids=["max-pages", "as-of", "delay", "no-region"],
)
def test_bad_usage_exits_2(files, args, message):
    region = [] if not args else ["--region", "ok.yaml"]
    proc = cli(["run", *region, *args], files)
    assert proc.returncode == 2
    assert proc.stderr.splitlines()[-1] == f"Error: {message}"
    assert proc.stderr.splitlines()[0] == "Usage: evalcrawl run [OPTIONS]"


def test_read_only_out_folder_fails_before_crawling(tmp_path):
    """The report folder is checked first: an annual job must not crawl for hours and then
    find it cannot write its results."""
    (tmp_path / "ok.yaml").write_text(REGION_OK + SITE_URL, encoding="utf-8")
    readonly = tmp_path / "readonly"
    readonly.mkdir()
    db = tmp_path / "x.db"
    for out in (readonly, readonly / "2026"):
        proc = cli(
            ["run", "--region", "ok.yaml", "--db", f"sqlite:///{db}", "--out", str(out)],
            tmp_path,
            fault=f"EROFS:{readonly}/*",
        )
        assert proc.returncode == 1
        assert one_error_line(proc) == (
            f"Error: cannot write in report folder {out}: Read-only file system; choose another "
            "--out or make the folder writable"
        )
        assert not db.exists()  # no run was created, nothing crawled
    assert list(readonly.iterdir()) == []


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_disk_full_while_writing_the_report_keeps_the_old_report(demo_crawl, tmp_path):
    """The XLSX, written last, hits a full disk: the error says so, and every report file of
    the earlier run is still there unchanged — the new set is all renamed in, or none."""
    out = tmp_path / "out"
    out.mkdir()
    names = [*CSV_FILES, "report.html", "report.xlsx"]  # every report file
    for name in names:
        (out / name).write_text(f"the earlier {name}\n", encoding="utf-8")
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.iterdir()}
    args = ["report", "--run", str(demo_crawl.run_id), "--db", demo_crawl.db_url, "--out", str(out)]
    proc = cli(args, tmp_path, fault=f"ENOSPC:{out}/.report.xlsx.*")
    assert proc.returncode == 1
    assert one_error_line(proc) == (
        f"Error: cannot write reports in {out}: No space left on device; check the folder's "
        "permissions and free space"
    )
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.iterdir()}
    assert after == before  # no file replaced, no temporary file left
    # With space again, the same command writes the whole set.
    again = cli(args, tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith(f"Wrote 11 files to {out}: scores.csv, ")
    assert sorted(p.name for p in out.iterdir()) == sorted(names)
    assert (out / "scores.csv").read_bytes().startswith("\ufeffrank,site_id".encode())


def test_scores_are_saved_in_one_transaction(demo_crawl, tmp_path, monkeypatch):
    """A database that fails in the middle of saving a scoring (a full disk) keeps the earlier
    scoring of that rubric whole, and the error says how to go on."""
    path = sqlite_file(demo_crawl.db_url)
    if path is None:
        pytest.skip("copies the session's SQLite database")
    copy = tmp_path / "copy.db"
    with sqlite3.connect(path) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    url = f"sqlite:///{copy}"
    engine = make_engine(url)

    def counts() -> tuple[int, ...]:
        with session_scope(engine) as session:
            sets = session.scalars(select(ScoreSet.id).where(ScoreSet.run_id == demo_crawl.run_id))
            return (
                tuple(sorted(sets)),
                *(
                    session.scalar(select(func.count()).select_from(model))
                    for model in (Measurement, IndicatorScore, SiteScore)
                ),
            )

    before = counts()
    assert before[1] > 0
    made = {"n": 0}
    real = scores._row_dict

    def failing(obj):
        # Called for each column of each site, after the old scoring was deleted and while
        # the new one is being built: the database "fills up" half way.
        made["n"] += 1
        if made["n"] == 20:
            raise OperationalError(
                "INSERT INTO site_scores", {}, sqlite3.OperationalError("database or disk is full")
            )
        return real(obj)

    monkeypatch.setattr(scores, "_row_dict", failing)
    result = CliRunner().invoke(main, ["score", "--run", str(demo_crawl.run_id), "--db", url])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: cannot save the scores of run {demo_crawl.run_id}: database or disk is full; "
        "nothing was saved and earlier scores are kept: free disk space (or fix the database) "
        "and run the same command again\n"
    )
    assert made["n"] == 20
    assert counts() == before
    engine.dispose()


@pytest.mark.parametrize(
    "command",
    [["runs"], ["score", "--run", "1"], ["report", "--run", "1"], ["extract", "--run", "1"]],
)
def test_a_mistyped_database_path_is_an_error_not_a_new_database(tmp_path, command):
    typo = tmp_path / "evalcrawl-2026.db"
    proc = cli([*command, "--db", str(typo)], tmp_path)
    assert proc.returncode == 1
    assert one_error_line(proc) == (
        f"Error: no database file {typo}; check --db (or EVALCRAWL_DB): `evalcrawl run` "
        "creates the database, the other commands read it"
    )
    assert not typo.exists()


def test_runs_of_an_empty_database_names_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    make_engine(url).dispose()
    proc = cli(["runs", "--db", url], tmp_path)
    assert (proc.returncode, proc.stdout) == (
        0,
        f"No runs yet in {url}. Start one with `evalcrawl run --region demo`.\n",
    )


@pytest.mark.parametrize(
    ("url", "backend"),
    [("mysql://me@dbhost/evalcrawl", "mysql"), ("foo://", "foo"), ("oracle://x", "oracle")],
)
def test_only_sqlite_and_postgresql_are_databases(tmp_path, url, backend):
    proc = cli(["runs", "--db", url], tmp_path)
    assert proc.returncode == 1
    assert one_error_line(proc) == (
        f"Error: cannot use database {url}: evalcrawl works with SQLite and PostgreSQL only, "
        f"not {backend!r}; use sqlite:///path/file.db or postgresql://user@host/dbname"
    )
