"""The scoring row of bench/crawl.py: a run of many stored pages written by the crawler's own
writer, then scored in a child process (``python bench/score_bench.py --score-child DB RUN``)
that reports its time and peak memory."""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import shutil
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchlib import MB, Row, crawl_settings, quiet, region_for, say
from sites import Site

if TYPE_CHECKING:
    from crawl import Sizes

SCORE_GOAL_S = 60.0


def build_score_db(db_url: str, sites: int, pages: int) -> int:
    """A crawled-looking run: ``sites`` × ``pages`` pages written by the crawler's own writer.

    The facts are extracted (``extract_page``) once from a synthetic site of ``pages`` pages
    and re-hosted for every site; checks and probes are what the crawl records for that web.
    """
    from evalcrawler.db import make_engine, session_scope, store
    from evalcrawler.db.models import Run
    from evalcrawler.facts import DatedItem, Link, LinkCheck, PageFacts, Probe
    from evalcrawler.pipeline import prepare_run
    from evalcrawler.scoring.rubric import load_rubric
    from evalcrawler.spiders.extract import extract_page
    from evalcrawler.spiders.pipelines import DatabasePipeline

    today = date.today()
    template = Site(0, pages, today)
    base = "http://127.0.9.1:8000"
    head = {"content-type": "text/html; charset=utf-8"}
    facts: list[PageFacts] = []
    for n in range(pages):
        f = extract_page(base + template.path(n), template.render(n), head, 200, fetched=today)
        f.is_home, f.depth = n == 0, len(template.path(n).split("/")) - 2
        facts.append(f)
        if n and not template.is_column(n) and n % 50 == 0:
            path = f"/col{template.parent(n)}/old/{n}.html"
            status, _, body = template.respond("GET", path)
            facts.append(extract_page(base + path, body, head, status, fetched=today))
    attachments = [
        (f"/files/{n}{'x' if n % 120 == 0 else ''}.pdf", 404 if n % 120 == 0 else 200)
        for n in range(1, pages)
        if not template.is_column(n) and n % 3 == 0
    ]
    urls = [f"http://127.0.9.{k + 1}:8000/" for k in range(sites)]
    region = region_for(urls, "s")
    run_id = prepare_run(
        region,
        year=today.year,
        rubric=load_rubric("gov2013"),
        db_url=db_url,
        as_of=None,
        crawl=crawl_settings(region),
        fresh=False,
    )
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        run = session.get(Run, run_id)
        assert run is not None
        run.crawl_date = today
        pks = [spec["pk"] for spec in store.site_specs(session, run)]
    writer = DatabasePipeline(db_url, run_id, 200, 1.0)
    writer.engine = engine
    now = datetime.now()
    for k, pk in enumerate(pks):
        host = f"http://127.0.9.{k + 1}:8000"

        def move(url: str | None, host: str = host) -> str | None:
            return host + url[len(base) :] if url and url.startswith(base) else url

        items: list[dict[str, Any]] = []
        for f in facts:
            page = dataclasses.replace(
                f,
                url=move(f.url),
                final_url=move(f.final_url),
                links=[Link(move(x.url), x.text, x.nav, x.pager) for x in f.links],  # type: ignore[arg-type]
                items=[DatedItem(x.title, move(x.url), x.date, x.raw) for x in f.items],
                dated_links=[DatedItem(x.title, move(x.url), x.date, x.raw) for x in f.dated_links],
                forms=[dataclasses.replace(x, action=move(x.action)) for x in f.forms],  # type: ignore[arg-type]
                fetched_at=now,
            )
            items.append({"type": "page", "facts": page, "site_pk": pk})
        for path, status in attachments:
            check = LinkCheck(host + path, status, None, host + path, "HEAD", "application/pdf")
            items.append({"type": "check", "check": check, "site_pk": pk})
        probes = [Probe("home", host + "/", 200, elapsed_ms=2.0 + s, seq=s) for s in range(5)]
        probes += [
            Probe("https", host.replace("http:", "https:") + "/", 0, error="TLS failed"),
            Probe("tls", host.replace("http:", "https:") + "/", ok=False, error="no HTTPS"),
            Probe("http_redirect", host + "/", 200, final_url=host + "/"),
            Probe("robots", host + "/robots.txt", 200),
            Probe("sitemap", host + "/sitemap.xml", 404),
            Probe("soft404", host + "/evalcrawl-check-no-such-page.html", 404),
            Probe("search", host + "/search?q=政府", 200, detail={"query": "政府", "links": []}),
            Probe("dns", host + "/", ok=None, detail={"reason": "bench"}),
        ]
        items += [{"type": "probe", "probe": p, "site_pk": pk} for p in probes]
        items.append(
            {"type": "site", "site_pk": pk, "status": "measured", "reason": None,
             "home_url": host + "/"}
        )  # fmt: skip
        for i in range(0, len(items), 200):
            writer._write(items[i : i + 200])
    with session_scope(engine) as session:
        run = session.get(Run, run_id)
        assert run is not None
        run.status = "crawled"
    engine.dispose()
    return run_id


SCORE_TIMEOUT_S = 900.0  # a scoring slower than this is stopped and reported as "> …"


def score_child(db_url: str, run_id: int) -> None:
    """In a child process: time ``pipeline.score`` and print seconds and peak RSS as JSON."""
    from evalcrawler.db import make_engine
    from evalcrawler.pipeline import score

    engine = make_engine(db_url)
    started = time.monotonic()
    score(engine, run_id, "gov2013")
    seconds = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    pool = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest one
    print(
        json.dumps(
            {
                "seconds": round(seconds, 2),
                "peak_rss_mb": round(peak, 1),
                "pool_process_peak_rss_mb": round(pool, 1),
            }
        )
    )


def section_score(sizes: Sizes, workdir: Path) -> Row:
    total = sizes.score_sites * sizes.score_pages
    folder = workdir / "score"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    db_url = f"sqlite:///{folder / 'score.db'}"
    say(f"scoring: writing {total:,} stored pages ({sizes.score_sites} sites) ...")
    started = time.monotonic()
    run_id = build_score_db(db_url, sizes.score_sites, sizes.score_pages)
    build_s = time.monotonic() - started
    say(f"  written in {build_s:.0f} s; scoring (load + score + store) ...")
    db_mb = round(Path(db_url[len("sqlite:///") :]).stat().st_size / MB)
    load = quiet()
    try:
        proc = subprocess.run(
            [sys.executable, __file__, "--score-child", db_url, str(run_id)],
            check=True,
            capture_output=True,
            text=True,
            timeout=SCORE_TIMEOUT_S,
        )
    except subprocess.CalledProcessError as exc:
        tail = " | ".join((exc.stderr or "").strip().splitlines()[-3:])
        raise RuntimeError(f"the scoring child failed (exit {exc.returncode}): {tail}") from None
    except subprocess.TimeoutExpired:
        result = {"seconds": None, "timeout_s": SCORE_TIMEOUT_S, "build_s": round(build_s, 1)}
        say(f"  stopped after {SCORE_TIMEOUT_S:.0f} s")
        return Row(
            f"score {total:,} stored pages (load + score + store)",
            f"> {SCORE_TIMEOUT_S:.0f} s (stopped)",
            f"{SCORE_GOAL_S:.0f} s (goal)",
            SCORE_TIMEOUT_S / SCORE_GOAL_S,
            "< 1",
            False,
            result,
        )
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result.update(build_s=round(build_s, 1), db_mb=db_mb, loadavg_at_start=load)
    say(f"  scored in {result['seconds']:.1f} s (peak RSS {result['peak_rss_mb']:.0f} MB)")
    ratio = result["seconds"] / SCORE_GOAL_S
    return Row(
        f"score {total:,} stored pages (load + score + store)",
        f"{result['seconds']:.1f} s",
        f"{SCORE_GOAL_S:.0f} s (goal)",
        ratio,
        "< 1",
        ratio < 1,
        result,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="the scoring child of bench/crawl.py")
    parser.add_argument("--score-child", nargs=2, required=True, metavar=("DB", "RUN"))
    args = parser.parse_args()
    score_child(args.score_child[0], int(args.score_child[1]))
