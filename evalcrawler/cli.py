"""Command-line interface: a thin click layer over :mod:`evalcrawler.pipeline`.

Every expected failure is an ``EvalcrawlError``: one line ``Error: …`` saying how to fix it,
exit code 1 (2 for bad usage, 3 when the run finished but some sites could not be measured,
130 when stopped by a signal).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from evalcrawler import __version__
from evalcrawler.cli_options import DB_HELP, OUT_DEFAULT, seed_option, site_options
from evalcrawler.console import Progress, finish, say, stoppable
from evalcrawler.errors import EvalcrawlError


class _Commands(click.Group):
    """The command group: an :class:`EvalcrawlError` of the library ends the command as one
    line, ``Error: <message>``, with the error's exit code (no traceback)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except EvalcrawlError as exc:
            click.echo(f"Error: {exc.message}", err=True)
            ctx.exit(exc.exit_code)


@click.group(
    cls=_Commands,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="evalcrawl")
def main() -> None:
    """Evaluate government websites the way China's national evaluations do.

    Crawl every site of a region, score content, function, interaction and feedback with a
    YAML rubric, and report the ranking and the regional differences (CSV, HTML, XLSX).

    Start with `evalcrawl run --region demo` (an offline demo web) or
    `evalcrawl run --region taiyuan`.
    """


def _run_pipeline(kw: dict[str, Any], **extra: Any) -> Any:
    """``pipeline.run`` with the options of ``run`` and ``crawl``, stoppable by a signal."""
    from evalcrawler import pipeline

    with stoppable():
        return pipeline.run(
            kw.pop("region"),
            year=kw.pop("year"),
            rubric_spec=kw.pop("rubric"),
            db_url=kw.pop("db_url"),
            out=kw.pop("out"),
            as_of=kw.pop("as_of"),
            fresh=kw.pop("fresh"),
            say=say,
            progress=Progress(),
            **extra,
            **kw,
        )


@main.command()
@site_options
@click.option(
    "--manual-scores",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="CSV (site_id,indicator_id,score) filling the rubric's manual indicators.",
)
@seed_option
def run(**kw: Any) -> None:
    """Crawl, score and report a region (resumes or re-scores a stored run)."""
    outcome = _run_pipeline(kw, manual_scores=kw.pop("manual_scores"), seed=kw.pop("seed"))
    _print_ranking(outcome)
    finish(outcome)


@main.command()
@site_options
def crawl(**kw: Any) -> None:
    """Crawl a region and store the facts, without scoring or reporting."""
    outcome = _run_pipeline(kw, crawl_only=True)
    click.echo(
        f"Crawled run {outcome.run_id}; score it with `evalcrawl score --run {outcome.run_id}`"
    )
    sys.exit(outcome.exit_code)


for _param in crawl.params:  # `crawl` writes no report: its --out holds crawl.log only
    if _param.name == "out":
        _param.help = f"Folder for crawl.log.  [default: {OUT_DEFAULT}]"


@main.command()
@click.option("--run", "run_id", type=int, required=True, help="Run id (see `evalcrawl runs`).")
@click.option(
    "--rubric",
    default="gov2013",
    show_default=True,
    metavar="ID|FILE",
    help="Rubric id or YAML file.",
)
@click.option("--db", "db_url", metavar="URL", help=DB_HELP)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    help=f"Folder for the report files.  [default: {OUT_DEFAULT}]",
)
@click.option(
    "--manual-scores",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="CSV (site_id,indicator_id,score) filling the rubric's manual indicators.",
)
@seed_option
def score(
    run_id: int,
    rubric: str,
    db_url: str | None,
    out: str | None,
    manual_scores: Path | None,
    seed: int,
) -> None:
    """Re-score a stored crawl under a rubric (no network needed)."""
    from evalcrawler import pipeline
    from evalcrawler.db import make_engine

    engine = make_engine(db_url, existing=True)
    outcome = pipeline.score_and_report(
        engine, run_id, rubric, out=out, manual_scores=manual_scores, say=say, seed=seed
    )
    _print_ranking(outcome)
    finish(outcome)


@main.command()
@click.option("--run", "run_id", type=int, required=True, help="Run id (see `evalcrawl runs`).")
@click.option("--rubric", metavar="ID", help="Which scoring of the run (default: the latest).")
@click.option("--db", "db_url", metavar="URL", help=DB_HELP)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    help=f"Folder for the report files.  [default: {OUT_DEFAULT}]",
)
@seed_option
def report(run_id: int, rubric: str | None, db_url: str | None, out: str | None, seed: int) -> None:
    """Rebuild the report files of a scored run from the database alone."""
    from evalcrawler import pipeline
    from evalcrawler.db import make_engine

    files = pipeline.report(make_engine(db_url, existing=True), run_id, rubric, out, seed=seed)
    folder = files[0].parent if files else out
    click.echo(f"Wrote {len(files)} files to {folder}: {', '.join(p.name for p in files)}")


@main.command()
@click.option("--run", "run_id", type=int, required=True, help="Run id (see `evalcrawl runs`).")
@click.option("--db", "db_url", metavar="URL", help=DB_HELP)
@click.option(
    "--warc-dir",
    type=click.Path(file_okay=False, exists=True),
    help="The run's WARC folder, if it was moved (default: where the crawl wrote it).",
)
@click.option("--force", is_flag=True, help="Rebuild even if the archive lacks stored pages.")
def extract(run_id: int, db_url: str | None, warc_dir: str | None, force: bool) -> None:
    """Rebuild a run's page facts from its WARC evidence archive.

    Every archived page response is extracted again (after a parser improvement, say) and the
    run's pages and links are replaced; nothing is fetched. Re-score the run afterwards with
    `evalcrawl score --run ID`.
    """
    from evalcrawler.archive import rebuild_page_facts
    from evalcrawler.db import make_engine

    engine = make_engine(db_url, existing=True)
    done = rebuild_page_facts(engine, run_id, warc_dir=warc_dir, force=force, say=say)
    for problem in done.problems:
        click.echo(f"Note: {problem}", err=True)
    click.echo(
        f"Rebuilt {done.pages} pages ({done.links} links) of run {run_id} from "
        f"{done.files} WARC files in {done.folder}: {done.extracted} extracted again, "
        f"{done.without_response} without a response. Re-score it with "
        f"`evalcrawl score --run {run_id}`"
    )


@main.command()
@click.option("--run", "run_id", type=int, required=True, help="Run id (see `evalcrawl runs`).")
@click.argument("url")
@click.option("--rubric", metavar="ID", help="Which scoring of the run (default: the latest).")
@click.option("--all", "all_rows", is_flag=True, help="Show every list row (default: 20).")
@click.option("--db", "db_url", metavar="URL", help=DB_HELP)
def explain(run_id: int, url: str, rubric: str | None, all_rows: bool, db_url: str | None) -> None:
    """Show what extraction and the metrics saw on one stored page of a run.

    The page as fetched (status, evidence record, how it was reached), what was read from it
    (publish date and its source, the main list row by row with dates, letters), whether it
    counts as a column or a blank column and why, and which indicators cite it. Nothing is
    fetched.
    """
    from evalcrawler.db import make_engine
    from evalcrawler.explain import explain as explain_page

    found = explain_page(
        make_engine(db_url), run_id, url, rubric_id=rubric, rows=None if all_rows else 20
    )
    click.echo(found.text(), nl=False)


@main.command()
@click.option("--db", "db_url", metavar="URL", help=DB_HELP)
def runs(db_url: str | None) -> None:
    """List the runs stored in the database."""
    from evalcrawler.db import default_url, make_engine, safe_url, session_scope, store

    with session_scope(make_engine(db_url, existing=True)) as session:
        rows = store.list_runs(session)
    if not rows:
        shown = safe_url(db_url or default_url())
        click.echo(f"No runs yet in {shown}. Start one with `evalcrawl run --region demo`.")
        return
    _table(rows, ["id", "region", "year", "status", "sites", "pages", "crawl_date", "rubrics"])


@main.group("db")
def db_group() -> None:
    """The database's schema: which revision it has, and upgrading it."""


@db_group.command("upgrade")
@click.option("--db", "db_url", metavar="URL", help=DB_HELP)
def db_upgrade(db_url: str | None) -> None:
    """Upgrade the database to this evalcrawl's schema (back it up first)."""
    from evalcrawler.db.migrate import upgrade_database

    shown, before, after = upgrade_database(db_url)
    if before.kind == "current":
        click.echo(f"{shown} is at revision {after.revision} already; nothing to do")
    elif before.kind == "empty":
        click.echo(f"Created the schema of {shown} at revision {after.revision}")
    else:
        old = before.revision or "0001 (created before migrations)"
        click.echo(f"Upgraded {shown} from revision {old} to {after.revision}")


@db_group.command("current")
@click.option("--db", "db_url", metavar="URL", help=DB_HELP)
def db_current(db_url: str | None) -> None:
    """Show the database's schema revision and whether it needs `evalcrawl db upgrade`."""
    from evalcrawler.db.migrate import database_state

    shown, found = database_state(db_url)
    click.echo(f"{shown}: {found.describe()}")
    if found.kind in ("old", "unstamped"):
        click.echo(f"Run `evalcrawl db upgrade --db {shown}` (after a backup).")


@main.group()
def regions() -> None:
    """Bundled region registries."""


@regions.command("list")
def regions_list() -> None:
    """List the bundled regions."""
    from evalcrawler.config import bundled_regions, load_region

    rows = []
    for rid in bundled_regions():
        region = load_region(rid)
        rows.append(
            {"id": rid, "name": region.name, "name_zh": region.name_zh, "sites": len(region.sites)}
        )
    _table(rows, ["id", "name", "name_zh", "sites"])


@regions.command("show")
@click.argument("region", metavar="ID|FILE")
def regions_show(region: str) -> None:
    """Show the sites of a region."""
    from evalcrawler.config import load_region

    r = load_region(region)
    click.echo(f"{r.id}: {r.name} {r.name_zh}".rstrip())
    rows = [
        {
            "id": s.id,
            "level": s.level,
            "name_zh": s.name_zh,
            "url": s.url,
            "aliases": " ".join(s.aliases),
        }
        for s in r.sites
    ]
    _table(rows, ["id", "level", "name_zh", "url", "aliases"])


@main.group()
def rubric() -> None:
    """Rubrics: list, show and validate."""


@rubric.command("list")
def rubric_list() -> None:
    """List the bundled rubrics."""
    from evalcrawler.scoring.rubric import bundled_rubrics, load_rubric

    rows = []
    for rid in bundled_rubrics():
        r = load_rubric(rid)
        rows.append(
            {"id": rid, "version": r.version, "indicators": len(r.indicators), "title": r.title}
        )
    _table(rows, ["id", "version", "indicators", "title"])


@rubric.command("show")
@click.argument("spec", metavar="ID|FILE")
def rubric_show(spec: str) -> None:
    """Show a rubric's categories, vetoes and indicators."""
    from evalcrawler.scoring.rubric import load_rubric

    click.echo(load_rubric(spec).describe())


@rubric.command("validate")
@click.argument("spec", metavar="ID|FILE")
def rubric_validate(spec: str) -> None:
    """Check a rubric file; print what is wrong, with the line and key."""
    from evalcrawler.scoring.rubric import load_rubric

    r = load_rubric(spec)
    click.echo(
        f"{spec}: valid ({r.id} {r.version}: {len(r.indicators)} indicators, "
        f"{len(r.vetoes)} vetoes, {r.total_points:g} points)"
    )


@main.group()
def demo() -> None:
    """The offline demo web (fictional sites on loopback addresses)."""


@demo.command("serve")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=None,
    help="Port of every demo site (default: the one in regions/demo.yaml).",
)
def demo_serve(port: int | None) -> None:
    """Serve the demo web until Ctrl-C."""
    from evalcrawler.demo import serve_forever

    serve_forever(port)


@main.command()
@click.option(
    "--broker",
    required=True,
    metavar="URL",
    envvar="EVALCRAWL_BROKER",
    help="Redis URL of the queue (redis://host:6379/0); default: EVALCRAWL_BROKER.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Sites crawled at once by this worker (one crawl process each).",
)
@click.option(
    "--queue",
    metavar="NAME",
    envvar="EVALCRAWL_QUEUE",
    help="Queue to take tasks from (default: EVALCRAWL_QUEUE, else evalcrawl).",
)
@click.option(
    "--visibility-timeout",
    type=click.FloatRange(min=1),
    envvar="EVALCRAWL_VISIBILITY_TIMEOUT",
    help="Seconds after which a dead worker's site is crawled by another.  [default: 300]",
)
def worker(
    broker: str, concurrency: int, queue: str | None, visibility_timeout: float | None
) -> None:
    """Crawl the sites of distributed runs (`run --workers URL`) until stopped."""
    from evalcrawler.distributed import run_worker

    run_worker(broker, concurrency=concurrency, queue=queue, visibility_timeout=visibility_timeout)


def _print_ranking(outcome: Any) -> None:
    """Print the ranking from the scores.csv just written."""
    if outcome.out_dir is None:
        return
    scores = Path(outcome.out_dir) / "scores.csv"
    if not scores.exists():
        return
    import csv

    with scores.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    shown = [
        {k: r.get(k, "") for k in ("rank", "site_id", "name_zh", "total", "status", "veto")}
        for r in rows
    ]
    _table(shown, ["rank", "site_id", "name_zh", "total", "status", "veto"])


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    cells = [[str(r.get(c, "")) for c in columns] for r in rows]
    widths = [max([_width(c)] + [_width(row[i]) for row in cells]) for i, c in enumerate(columns)]

    def line(values: list[str]) -> str:
        return "  ".join(v + " " * (w - _width(v)) for v, w in zip(values, widths, strict=True))

    click.echo(line(columns).rstrip())
    for row in cells:
        click.echo(line(row).rstrip())


if __name__ == "__main__":  # pragma: no cover
    main()
