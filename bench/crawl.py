"""Benchmark the crawler against its goals: politeness, throughput, peer tools, memory, scoring.

Not a test (timings depend on the machine): run it and read the table. Everything happens on
loopback: the synthetic web of ``bench/sites.py`` serves the sites, evalcrawl crawls them
exactly as ``evalcrawl crawl`` does (``evalcrawler.crawl.crawl_run``: a child process, a SQLite
database, robots.txt, probes, link checks, the evidence archive), and every figure is a ratio of
two numbers measured in the same run.

    .venv/bin/python bench/crawl.py              # the full bench, about 15 minutes on 2 cores
    .venv/bin/python bench/crawl.py --quick      # about 3 minutes, smaller sizes (labelled)
    .venv/bin/python bench/crawl.py --only throughput,peers
    .venv/bin/python bench/crawl.py --json > bench.json   # the table goes to stderr

Rows:

* politeness floor: S sites × P pages with a per-host delay d (AutoThrottle off, so d is the
  real floor; one request at a time per host). The server counts every request the crawl makes
  to each host (pages, robots.txt, probes, the TLS handshake of the HTTPS probe, link checks);
  the floor is (requests to the busiest host − 1) × d, the ratio wall time / floor, where wall
  time is the whole ``crawl_run`` (child start-up included). Goal ≤ 1.2.
* raw throughput: one site of N pages, delay 0, 8 requests per host, against
  ``bench/bare_spider.py`` (a Scrapy spider that only follows links) under evalcrawl's own
  Scrapy settings. Pages/s = 2xx HTML pages / wall time of the whole child process; each is run
  ``repeats`` times, alternating, and the best run counts (other work on the machine only ever
  slows a run down). Goal ≥ 0.7.
* peers: LinkChecker (its per-host throttle lifted: the server sends the ``LinkChecker`` header
  and the config asks for 10⁶ requests/s, 8 threads) and ``wget --spider -r -l inf`` on the
  same site; ratio = evalcrawl's wall time / the peer's. Goal < 1 (faster than both). A missing
  tool is reported as such (``apt-get install -y linkchecker wget``).
* memory: peak RSS (VmHWM) of the crawl's child process and of its extraction pool (the fork
  server and the workers; each one's peak, added up) over a crawl of sites × pages pages
  (delay 0); ratio = peak / 500 MB.
* distributed: demo-sized sites (100 pages) × 200 crawled through Celery (``evalcrawl
  worker``, Redis broker, PostgreSQL store) by one worker, then by two; ratio = wall time with
  two / with one (``bench/distributed.py``; needs Redis and PostgreSQL).
* scoring: a SQLite database of stored pages written by the crawler's own writer
  (``DatabasePipeline``) from facts extracted from the synthetic web, then ``pipeline.score``
  timed as ``evalcrawl score`` runs it (load the facts, score, store the scores; a run this
  large is scored by one process per core, ``evalcrawler.scorepool``), in a child process;
  ratio = seconds / 60 s.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

os.environ.setdefault("EVALCRAWL_ALLOW_NETS", "127.0.0.0/8")  # never leave loopback
os.environ.pop("EVALCRAWL_DB", None)

import benchlib  # bench/ is the script's folder: on sys.path
from benchlib import Row, child_cpu, crawl_settings, loadavg, machine, quiet, region_for, say, table
from peers import bare_settings, run_bare, run_linkchecker, run_wget
from score_bench import section_score
from sites import WebServer, loadtest

HERE = Path(__file__).resolve().parent
MEMORY_GOAL_MB = 500
RATES: list[tuple[str, float]] = []  # (tool, requests/s) of every crawl measured


@dataclasses.dataclass(frozen=True)
class Sizes:
    label: str
    polite_sites: tuple[int, ...]
    polite_pages: int
    polite_delay: float
    tp_pages: int
    repeats: int
    mem_sites: int
    mem_pages: int
    score_sites: int
    score_pages: int
    dist_sites: int


FULL = Sizes("full", (1, 10, 50, 200), 20, 1.0, 2000, 2, 20, 2500, 20, 5000, 200)
QUICK = Sizes("quick", (1, 10, 50), 8, 0.5, 500, 1, 5, 600, 10, 1000, 16)
SECTIONS = ("server", "politeness", "throughput", "peers", "memory", "score", "distributed")


# ------------------------------------------------------------------ evalcrawl crawls


class PeakRss:
    """Poll the VmHWM (peak RSS) of this process's crawl child (``python -m evalcrawler.crawl``)
    while it runs, and of the processes below it (the extraction pool: its fork server and
    workers)."""

    def __init__(self) -> None:
        self.peak_kb = 0
        self.pool_kb: dict[int, int] = {}  # pid below the crawl process → its VmHWM
        self.pid: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _find(self) -> int | None:
        me = str(os.getpid())
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                ppid = stat.rsplit(")", 1)[1].split()[1]
                if ppid == me and b"evalcrawler.crawl" in (entry / "cmdline").read_bytes():
                    return int(entry.name)
        return None

    @property
    def pool_peak_kb(self) -> int:
        """The pool processes' peaks added up (a bound on what they held at once)."""
        return sum(self.pool_kb.values())

    @staticmethod
    def _hwm(pid: int) -> int:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        return 0

    def _below(self, pid: int) -> list[int]:
        parents: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError, IndexError, ValueError):
                    stat = (entry / "stat").read_text()
                    parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
        found, todo = [], [pid]
        while todo:
            parent = todo.pop()
            kids = [p for p, pp in parents.items() if pp == parent]
            found += kids
            todo += kids
        return found

    def _poll(self) -> None:
        while not self._stop.wait(0.2):
            if self.pid is None:
                self.pid = self._find()
                continue
            self.peak_kb = max(self.peak_kb, self._hwm(self.pid))
            for pid in self._below(self.pid):
                self.pool_kb[pid] = max(self.pool_kb.get(pid, 0), self._hwm(pid))


def run_evalcrawl(
    urls: list[str], workdir: Path, name: str, *, measure_memory: bool = False, **flags: Any
) -> dict[str, Any]:
    """Crawl the sites at ``urls`` as ``evalcrawl crawl`` does; time it, count what it stored."""
    from sqlalchemy import func, select

    from evalcrawler.crawl import crawl_run
    from evalcrawler.db import make_engine, session_scope
    from evalcrawler.db.models import LinkCheck, Page
    from evalcrawler.db.models import Site as SiteRow
    from evalcrawler.pipeline import prepare_run
    from evalcrawler.scoring.rubric import load_rubric

    folder = workdir / name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    db_url = f"sqlite:///{folder / 'bench.db'}"
    region = region_for(urls, "s")
    settings = crawl_settings(region, **flags)
    run_id = prepare_run(
        region,
        year=date.today().year,
        rubric=load_rubric("gov2013"),
        db_url=db_url,
        as_of=None,
        crawl=settings,
        fresh=False,
    )
    load = quiet()
    cpu = child_cpu()
    with PeakRss() if measure_memory else contextlib.nullcontext() as peak:
        started = time.monotonic()
        crawl_run(run_id, db_url, log_file=folder / "crawl.log")
        wall = time.monotonic() - started
    cpu = child_cpu() - cpu
    engine = make_engine(db_url)
    with session_scope(engine) as session:
        ok = Page.status.between(200, 299) & Page.is_html.is_(True)
        pages = session.scalar(select(func.count(Page.id)).where(Page.run_id == run_id, ok))
        stored = session.scalar(select(func.count(Page.id)).where(Page.run_id == run_id))
        checks = session.scalar(select(func.count(LinkCheck.id)).where(LinkCheck.run_id == run_id))
        states = dict(
            session.execute(
                select(SiteRow.status, func.count(SiteRow.id))
                .where(SiteRow.run_id == run_id)
                .group_by(SiteRow.status)
            ).all()
        )
    engine.dispose()
    out = {
        "wall_s": round(wall, 2),
        "child_cpu_s": round(cpu, 2),
        "pages_2xx": pages or 0,
        "pages_stored": stored or 0,
        "checks": checks or 0,
        "site_status": {str(k): v for k, v in states.items()},
        "loadavg_at_start": load,
        "workdir": str(folder),
    }
    if measure_memory and peak is not None:
        out["peak_rss_mb"] = round(peak.peak_kb / 1024, 1)
        out["pool_peak_rss_mb"] = round(peak.pool_peak_kb / 1024, 1)
        out["pool_processes"] = len(peak.pool_kb)
    return out


def host_requests(stats: dict[str, Any], urls: list[str]) -> dict[str, dict[str, Any]]:
    from urllib.parse import urlsplit

    hosts = {urlsplit(u).hostname for u in urls}
    return {h: v for h, v in stats["hosts"].items() if h in hosts}


# ------------------------------------------------------------------ sections


def section_server(sizes: Sizes) -> dict[str, Any]:
    with WebServer(1, sizes.tp_pages, first="127.0.1.250") as web:
        loadtest(web.urls[0], sizes.tp_pages, 1.0, 8)  # warm the page cache
        return loadtest(web.urls[0], sizes.tp_pages, 3.0, 8)


def section_politeness(sizes: Sizes, workdir: Path) -> list[Row]:
    rows = []
    d = sizes.polite_delay
    with WebServer(max(sizes.polite_sites), sizes.polite_pages, first="127.0.1.1") as web:
        for s in sizes.polite_sites:
            urls = web.urls[:s]
            web.reset()
            say(f"politeness: {s} sites × {sizes.polite_pages} pages, delay {d} s ...")
            result = run_evalcrawl(
                urls,
                workdir,
                f"polite-{s}",
                delay=d,
                per_host=1,
                autothrottle=False,
                max_pages=sizes.polite_pages + 50,
            )
            hosts = host_requests(web.stats(), urls)
            counts = [h["requests"] for h in hosts.values()]
            busiest = max(counts, default=0)
            floor = max(busiest - 1, 1) * d
            gaps = [h["min_gap"] for h in hosts.values() if h["min_gap"] is not None]
            closest = min(
                (h for h in hosts.values() if h["min_gap"] is not None),
                key=lambda h: h["min_gap"],
                default=None,
            )
            first = min((h["first"] for h in hosts.values()), default=0.0)
            last = max((h["last"] for h in hosts.values()), default=0.0)
            ratio = result["wall_s"] / floor
            result.update(
                requests_per_host_max=busiest,
                requests_per_host_min=min(counts, default=0),
                requests_total=sum(counts),
                methods=_sum_counters(h["methods"] for h in hosts.values()),
                min_gap_s=round(min(gaps), 3) if gaps else None,
                min_gap_between=closest["min_gap_between"] if closest else None,
                politeness_kept=bool(gaps) and min(gaps) >= d * 0.95,
                request_span_s=round(last - first, 2),
                floor_s=floor,
                sites_crawled=len(hosts),
            )
            rows.append(
                Row(
                    f"politeness: {s} site{'s' if s > 1 else ''} × {sizes.polite_pages} p, "
                    f"d={d:g} s (wall/floor)",
                    f"{result['wall_s']:.1f} s",
                    f"{floor:.1f} s ({busiest} req/host)",
                    ratio,
                    "≤ 1.2",
                    ratio <= 1.2,
                    result,
                )
            )
            say(f"  wall {result['wall_s']:.1f} s, floor {floor:.1f} s, ratio {ratio:.2f}")
    return rows


def _sum_counters(items: Iterator[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for item in items:
        for k, v in item.items():
            total[k] = total.get(k, 0) + v
    return total


def section_throughput(sizes: Sizes, workdir: Path, peers: bool, throughput: bool) -> list[Row]:
    rows: list[Row] = []
    settings = bare_settings(workdir)
    runs: dict[str, list[dict[str, Any]]] = {"evalcrawl": [], "bare": [], "linkchecker": []}
    runs["wget"] = []
    tools = {"linkchecker": shutil.which("linkchecker"), "wget": shutil.which("wget")}
    with WebServer(1, sizes.tp_pages, first="127.0.2.1") as web:
        url = web.urls[0]
        for rep in range(sizes.repeats):
            say(f"throughput: evalcrawl on 1 site × {sizes.tp_pages} pages (run {rep + 1}) ...")
            web.reset()
            r = run_evalcrawl(
                [url], workdir, f"throughput-{rep}", delay=0.0, per_host=8,
                max_pages=sizes.tp_pages + 100,
            )  # fmt: skip
            r["requests"] = sum(h["requests"] for h in web.stats()["hosts"].values())
            RATES.append(("evalcrawl", r["requests"] / r["wall_s"]))
            runs["evalcrawl"].append(r)
            say(f"  {r['pages_2xx']} pages in {r['wall_s']:.1f} s ({r['requests']} requests)")
            if throughput:
                say(f"throughput: bare Scrapy spider (run {rep + 1}) ...")
                b = run_bare(url, workdir, settings)
                RATES.append(("bare Scrapy", b["requests"] / b["wall_s"]))
                runs["bare"].append(b)
                say(f"  {b['pages_2xx']} pages in {b['wall_s']:.1f} s ({b['requests']} requests)")
            if peers:
                for tool, runner in (("linkchecker", run_linkchecker), ("wget", run_wget)):
                    if not tools[tool]:
                        continue
                    say(f"peers: {tool} (run {rep + 1}) ...")
                    web.reset()
                    p = runner(url, workdir)
                    p["requests"] = sum(h["requests"] for h in web.stats()["hosts"].values())
                    RATES.append((tool, p["requests"] / p["wall_s"]))
                    runs[tool].append(p)
                    say(f"  {p['wall_s']:.1f} s ({p['requests']} requests)")
    ours = min(runs["evalcrawl"], key=lambda r: r["wall_s"])
    rate = ours["pages_2xx"] / ours["wall_s"]
    if throughput:
        bare = min(runs["bare"], key=lambda r: r["wall_s"])
        bare_rate = bare["pages_2xx"] / bare["wall_s"]
        ratio = rate / bare_rate
        cpu_ratio = (bare["child_cpu_s"] / bare["pages_2xx"]) / (
            ours["child_cpu_s"] / ours["pages_2xx"]
        )
        rows.append(
            Row(
                f"raw throughput: 1 site × {sizes.tp_pages} p, 8/host, d=0 (pages/s)",
                f"{rate:.0f} pages/s",
                f"{bare_rate:.0f} pages/s (bare Scrapy)",
                ratio,
                "≥ 0.7",
                ratio >= 0.7,
                {"evalcrawl": runs["evalcrawl"], "bare": runs["bare"], "cpu_ratio": cpu_ratio},
            )
        )
    if peers:
        for tool in ("linkchecker", "wget"):
            if not tools[tool]:
                rows.append(
                    Row(
                        f"vs {tool}: same site (wall time)",
                        f"{ours['wall_s']:.1f} s",
                        f"{tool} not installed",
                        None,
                        "< 1 (faster)",
                        None,
                        {"install": f"apt-get install -y {tool}"},
                    )
                )
                continue
            best = min(runs[tool], key=lambda r: r["wall_s"])
            ratio = ours["wall_s"] / best["wall_s"]
            label = "linkchecker -t 8, throttle lifted" if tool == "linkchecker" else tool
            rows.append(
                Row(
                    f"vs {label}: same site (wall time)",
                    f"{ours['wall_s']:.1f} s",
                    f"{best['wall_s']:.1f} s ({best['requests']} req)",
                    ratio,
                    "< 1 (faster)",
                    ratio < 1,
                    {"evalcrawl": ours, tool: runs[tool]},
                )
            )
    return rows


def section_memory(sizes: Sizes, workdir: Path) -> Row:
    total = sizes.mem_sites * sizes.mem_pages
    with WebServer(sizes.mem_sites, sizes.mem_pages, first="127.0.3.1") as web:
        say(f"memory: {sizes.mem_sites} sites × {sizes.mem_pages} pages, delay 0 ...")
        result = run_evalcrawl(
            web.urls, workdir, "memory", measure_memory=True, delay=0.0,
            max_pages=sizes.mem_pages + 100,
        )  # fmt: skip
        result["requests"] = sum(h["requests"] for h in web.stats()["hosts"].values())
    # The crawl process and its extraction pool (fork server and workers): their peaks added.
    peak = result["peak_rss_mb"] + result["pool_peak_rss_mb"]
    say(
        f"  {result['pages_2xx']} pages in {result['wall_s']:.0f} s "
        f"({result['pages_2xx'] / result['wall_s']:.0f} pages/s), peak RSS {peak:.0f} MB "
        f"(crawl process {result['peak_rss_mb']:.0f} MB, extraction pool "
        f"{result['pool_peak_rss_mb']:.0f} MB in {result['pool_processes']} processes)"
    )
    ratio = peak / MEMORY_GOAL_MB
    return Row(
        f"peak memory: crawl of {total:,} pages ({sizes.mem_sites} sites)",
        f"{peak:.0f} MB",
        f"{MEMORY_GOAL_MB} MB (goal)",
        ratio,
        "< 1",
        ratio < 1,
        result,
    )


def section_distributed(sizes: Sizes, workdir: Path) -> Row:
    """Demo-sized sites on one Celery worker against two (``bench/distributed.py``)."""
    from distributed import distributed_row

    return Row(**distributed_row(workdir, sites=sizes.dist_sites))


# ------------------------------------------------------------------ output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, about 3 minutes")
    parser.add_argument("--only", help=f"comma-separated sections of: {', '.join(SECTIONS)}")
    parser.add_argument("--json", action="store_true", help="print JSON on stdout (table: stderr)")
    parser.add_argument("--polite", help="site counts of the politeness rows (default 1,10,50,200)")
    parser.add_argument(
        "--max-load",
        type=float,
        help="before each timed run, wait until the 1-minute load average is at most this",
    )
    parser.add_argument("--workdir", help="keep databases and logs here (default: a temp dir)")
    args = parser.parse_args()
    benchlib.MAX_LOAD = args.max_load
    sizes = QUICK if args.quick else FULL
    if args.polite:
        counts = tuple(int(x) for x in args.polite.split(","))
        sizes = dataclasses.replace(sizes, polite_sites=counts)
    only = set(SECTIONS if not args.only else args.only.split(","))
    unknown = only - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}; choose from {', '.join(SECTIONS)}")
    started = time.monotonic()
    load_before = loadavg()
    with contextlib.ExitStack() as stack:
        if args.workdir:
            workdir = Path(args.workdir).resolve()
            workdir.mkdir(parents=True, exist_ok=True)
        else:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ecbench-")))
        rows = run_sections(sizes, only, workdir)
    elapsed = time.monotonic() - started
    load_after = loadavg()
    title = (
        f"evalcrawl bench ({sizes.label}"
        f"{': smaller sizes than the goals name' if args.quick else ''}), "
        f"{date.today().isoformat()}, {machine()}, {elapsed / 60:.1f} min, "
        f"load average {load_before} before, {load_after} after"
    )
    text = f"{title}\n\n{table(rows)}\n"
    if args.json:
        print(text, file=sys.stderr)
        doc = {
            "title": title,
            "mode": sizes.label,
            "sizes": dataclasses.asdict(sizes),
            "date": date.today().isoformat(),
            "machine": machine(),
            "elapsed_s": round(elapsed, 1),
            "loadavg_1min": [load_before, load_after],
            "rows": [dataclasses.asdict(r) for r in rows],
        }
        print(json.dumps(doc, indent=1, ensure_ascii=False, default=str))
    else:
        print(text)


def run_sections(sizes: Sizes, only: set[str], workdir: Path) -> list[Row]:
    rows: list[Row] = []
    if "server" in only:
        say("server: its own max rate with a trivial 8-connection client ...")
        server = section_server(sizes)
        say(f"  {server['pages_per_s']:.0f} pages/s of {server['mean_kb']} KB")
    steps: list[tuple[str, Callable[[], list[Row]]]] = [
        ("politeness", lambda: section_politeness(sizes, workdir)),
        (
            "throughput",
            lambda: section_throughput(sizes, workdir, "peers" in only, "throughput" in only),
        ),
        ("memory", lambda: [section_memory(sizes, workdir)]),
        ("score", lambda: [section_score(sizes, workdir)]),
        ("distributed", lambda: [section_distributed(sizes, workdir)]),
    ]
    for name, step in steps:
        if name in only or (name == "throughput" and "peers" in only):
            rows += step()
    if "server" in only:
        tool, fastest = max(RATES, key=lambda x: x[1], default=("", 0.0))
        ratio = fastest / server["pages_per_s"] if fastest else None
        server["fastest_client"] = {"tool": tool, "requests_per_s": round(fastest, 1)}
        rows.insert(
            0,
            Row(
                "synthetic server: fastest client's req/s / server's max rate",
                f"{fastest:.0f} req/s ({tool})" if fastest else "—",
                f"{server['pages_per_s']:.0f} pages/s (trivial client)",
                ratio,
                "< 0.2 (not the bottleneck)",
                None if ratio is None else ratio < 0.2,
                server,
            ),
        )
    return rows


if __name__ == "__main__":
    main()
