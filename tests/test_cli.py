"""The command line: help texts in the README, errors users see, the offline Taiyuan run,
and the packaging (the wheel carries the rubrics, regions and templates)."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
import zipfile
from datetime import date
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from evalcrawler.cli import main
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def run_cli(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 120):
    return subprocess.run(
        [sys.executable, "-m", "evalcrawler", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=timeout,
    )


def all_commands(group: click.Group, prefix: str = "evalcrawl") -> list[tuple[str, click.Command]]:
    out = []
    for name, cmd in group.commands.items():
        if cmd.hidden:
            continue
        out.append((f"{prefix} {name}", cmd))
        if isinstance(cmd, click.Group):
            out.extend(all_commands(cmd, f"{prefix} {name}"))
    return out


def test_every_command_has_help_and_is_in_the_readme():
    for path, cmd in all_commands(main):
        assert (cmd.help or "").strip(), f"{path} has no help text"
        leaf = path.split()[-1]
        assert re.search(rf"evalcrawl[^\n`]*\b{leaf}\b", README), f"{path} is not in the README"


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"]])
def test_readme_shows_the_real_help(args, tmp_path):
    env = dict(os.environ, COLUMNS="80")
    proc = run_cli(args, env, tmp_path)
    assert proc.returncode == 0
    shown = f"$ evalcrawl {' '.join(args)}\n{proc.stdout}"
    assert shown in README, "README's help block is out of date"


def test_version_through_python_m(tmp_path):
    proc = run_cli(["--version"], dict(os.environ), tmp_path)
    assert proc.returncode == 0
    assert proc.stdout.strip() == "evalcrawl, version 0.1.0"


def test_unknown_region_is_a_one_line_error(tmp_path, cli_env):
    proc = run_cli(["run", "--region", "nowhere"], cli_env, tmp_path)
    assert proc.returncode == 1
    assert proc.stderr == (
        "Error: unknown region 'nowhere'; bundled regions: demo, taiyuan "
        "(or give the path of a region YAML file)\n"
    )


def test_bad_region_file_names_file_line_and_key(tmp_path, cli_env):
    path = tmp_path / "r.yaml"
    path.write_text(
        "id: r\nname: R\nsites:\n  - id: a\n    name_zh: 甲\n    level: town\n"
        "    url: http://a.gov.cn/\n",
        encoding="utf-8",
    )
    proc = run_cli(["run", "--region", str(path)], cli_env, tmp_path)
    assert proc.returncode == 1
    assert proc.stderr == (
        f"Error: {path}:6: sites[0].level: must be one of 'municipal', 'district', 'county' "
        "or 'county_city'\n"
    )


def test_unknown_option_is_usage_error(tmp_path, cli_env):
    proc = run_cli(["run", "--region", "demo", "--max-page", "3"], cli_env, tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.endswith("Error: No such option '--max-page'. Did you mean '--max-pages'?\n")


def test_regions_list_and_show():
    runner = CliRunner()
    listed = runner.invoke(main, ["regions", "list"])
    assert listed.exit_code == 0
    assert re.search(r"^taiyuan\s+Taiyuan\s+太原市\s+11$", listed.output, re.M)
    shown = runner.invoke(main, ["regions", "show", "taiyuan"])
    assert shown.exit_code == 0
    assert re.search(
        r"^qingxu\s+county\s+清徐县人民政府\s+https://www.qingxu.gov.cn/\s+"
        r"http://www.qx.gov.cn/$",
        shown.output,
        re.M,
    )
    assert re.search(r"^gujiao\s+county_city\s+古交市人民政府", shown.output, re.M)


def test_taiyuan_without_internet_marks_every_site_unreachable(tmp_path, cli_env):
    """No network: every site unreachable, none ranked, the documented exit code (4), no
    traceback; each run's reports and crawl.log in its own folder, and the same command again
    crawls the sites again (no --fresh needed).

    The test environment's address guard refuses every host outside loopback (as a machine
    without internet would fail every lookup) — no request leaves the machine.
    """
    year = date.today().year
    proc = run_cli(["run", "--region", "taiyuan"], cli_env, tmp_path, timeout=240)
    assert proc.returncode == 4, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.splitlines()[-1] == (
        "Note: none of the 11 sites could be reached, so none is ranked; check the network "
        "connection (or the site addresses) and run the same command again: it crawls again "
        "the sites not measured"
    )
    out = tmp_path / "evalcrawl-out" / f"taiyuan-{year}"
    assert proc.stdout.splitlines()[-1].startswith(
        f"Wrote 11 files to evalcrawl-out/taiyuan-{year}: scores.csv, "
    )
    with (out / "scores.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 11
    assert {r["status"] for r in rows} == {"unreachable"}
    assert {r["rank"] for r in rows} == {""}
    assert {r["total"] for r in rows} == {""}
    umask = os.umask(0o022)
    os.umask(umask)
    assert (out / "crawl.log").stat().st_mode & 0o777 == 0o666 & ~umask
    assert (out / "report.html").stat().st_mode & 0o777 == 0o666 & ~umask

    # Another year of the region: its own folder, the first one left as it was.
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    other = run_cli(
        ["run", "--region", "taiyuan", "--year", str(year - 1)], cli_env, tmp_path, timeout=240
    )
    assert other.returncode == 4, other.stderr
    assert sorted(p.name for p in (tmp_path / "evalcrawl-out").iterdir()) == [
        f"taiyuan-{year - 1}",
        f"taiyuan-{year}",
    ]
    assert (tmp_path / "evalcrawl-out" / f"taiyuan-{year - 1}" / "crawl.log").stat().st_size
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before

    # The same command again crawls the unmeasured sites again.
    again = run_cli(["run", "--region", "taiyuan"], cli_env, tmp_path, timeout=240)
    assert again.returncode == 4, again.stderr
    assert again.stderr.splitlines()[0].startswith(
        f"run 1: taiyuan {year} exists; crawling again the 11 not measured (unreachable: taiyuan, "
    )
    assert "crawling: 11/11 sites done" in again.stderr

    # score and report without --out: the run's own folder; score prints the ranking.
    scored = run_cli(["score", "--run", "2"], cli_env, tmp_path)
    assert scored.returncode == 4, scored.stderr
    assert scored.stdout.splitlines()[0].split() == [
        "rank",
        "site_id",
        "name_zh",
        "total",
        "status",
        "veto",
    ]
    assert scored.stdout.splitlines()[-1].startswith(
        f"Wrote 11 files to evalcrawl-out/taiyuan-{year - 1}: scores.csv, "
    )
    rebuilt = run_cli(["report", "--run", "1"], cli_env, tmp_path)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert rebuilt.stdout.startswith(f"Wrote 11 files to evalcrawl-out/taiyuan-{year}: ")


def test_wheel_contains_rubrics_regions_templates_and_migrations(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    wheel = next(tmp_path.glob("evalcrawl-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in [
        "evalcrawler/rubrics/gov2013.yaml",
        "evalcrawler/rubrics/checklist2019.yaml",
        "evalcrawler/regions/taiyuan.yaml",
        "evalcrawler/regions/demo.yaml",
        "evalcrawler/demo/truth.json",
        "evalcrawler/demo/certs/demo-ca.pem",
        "evalcrawler/demo/certs/demo-ca-key.pem",
        "evalcrawler/reports/templates/report.html.j2",
        "evalcrawler/spiders/site.py",
        "evalcrawler/scoring/engine.py",
        "evalcrawler/db/migrations/env.py",
        "evalcrawler/db/migrations/script.py.mako",
    ]:
        assert expected in names, expected
    # Every schema revision ships, or an installed evalcrawl cannot upgrade a database.
    versions = ROOT / "evalcrawler" / "db" / "migrations" / "versions"
    revisions = sorted(p.name for p in versions.glob("[0-9]*.py"))
    assert len(revisions) >= 2
    for name in revisions:
        assert f"evalcrawler/db/migrations/versions/{name}" in names, name


def test_readme_demo_ranking_is_the_pinned_baseline():
    """The ranking the README shows for the demo is what the demo gives (tests/baselines)."""
    import json

    pinned = json.loads((ROOT / "tests" / "baselines" / "demo-gov2013.json").read_text("utf-8"))
    block = README[README.index("rank  site_id   name_zh") : README.index("Wrote 11 files")]
    shown = {line.split()[1]: line.split() for line in block.splitlines()[1:]}
    assert set(shown) == set(pinned["scores"])
    for site_id, scores in pinned["scores"].items():
        rank, _, _, total, status, veto = shown[site_id]
        assert (rank, total, status, veto) == (
            scores["rank"],
            scores["total"],
            scores["status"],
            scores["veto"],
        ), site_id


def test_a_year_far_from_the_as_of_date_is_refused(tmp_path, cli_env):
    from evalcrawler.errors import ConfigError
    from evalcrawler.pipeline import check_year

    today = date.today()
    proc = run_cli(["run", "--region", "taiyuan", "--year", "1999"], cli_env, tmp_path)
    assert proc.returncode == 1
    assert proc.stderr == (
        f"Error: --year 1999 is more than a year from today's date {today.isoformat()}, and "
        "the sites are crawled as they are now; leave out --year (it is then "
        f"{today.year}), or give the evaluation's date with --as-of\n"
    )
    # Within a year of the as-of date (an evaluation of last year made in January) is fine.
    check_year(today.year - 1, None)
    check_year(today.year + 1, None)
    check_year(1999, date(1999, 11, 20))
    with pytest.raises(
        ConfigError, match=r"^--year 2026 is more than a year from the as-of date 2020-01-01"
    ):
        check_year(2026, date(2020, 1, 1))


def test_each_command_says_what_its_out_folder_holds():
    def out_help(*command: str) -> str:
        result = CliRunner().invoke(main, [*command, "--help"], terminal_width=200)
        assert result.exit_code == 0
        line = next(line for line in result.output.splitlines() if "--out" in line)
        return " ".join(line.split()[2:])

    default = "[default: evalcrawl-out/<region>-<year>]"
    assert out_help("crawl") == f"Folder for crawl.log. {default}"
    assert out_help("run") == f"Folder for the report files and crawl.log. {default}"
    assert out_help("score") == f"Folder for the report files. {default}"
    assert out_help("report") == f"Folder for the report files. {default}"


def test_the_scheduling_guide_counts_the_files_a_run_writes():
    from evalcrawler.reports.writers import CSV_FILES

    guide = (ROOT / "docs" / "scheduling.md").read_text(encoding="utf-8")
    counts = re.findall(r"Wrote (\d+) files", guide + README)
    assert counts and set(counts) == {str(len(CSV_FILES) + 2)}  # the CSV files, HTML, XLSX
