"""Benchmark: compute every metric for 100,000 synthetic pages over 20 sites.

Not a test (timings depend on the machine): run it and read the numbers.

    .venv/bin/python bench/score_metrics.py [--sites 20] [--pages 5000]

Each site has a navigation bar on every page, column pages with pagers, articles, 20 links per
page (about 100,000 per site), link checks, letters and probes: roughly what a crawl with a
5,000-page budget stores.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import date, datetime, timedelta

from evalcrawler.facts import DatedItem, Link, LinkCheck, PageFacts, Probe, SiteFacts, Thread
from evalcrawler.scoring.metrics import compute_metrics
from evalcrawler.scoring.results import Thresholds

AS_OF = date(2026, 11, 20)
NAV = ["通知公告", "政策文件", "工作动态", "政务公开", "办事服务", "互动交流", "领导信箱", "专题"]


def build_site(n: int, pages: int, rng: random.Random) -> SiteFacts:
    host = f"www.site{n}.gov.cn"
    base = f"https://{host}"
    nav = [Link(f"{base}/col{i}/", text, nav=True) for i, text in enumerate(NAV)]
    facts: list[PageFacts] = []
    checks: list[LinkCheck] = []
    columns = len(NAV)
    list_pages = pages // 10
    for i in range(pages):
        links = list(nav)
        items: list[DatedItem] = []
        threads: list[Thread] = []
        if i == 0:
            url, is_home = f"{base}/", True
        elif i <= list_pages:
            col, part = i % columns, i // columns
            url = f"{base}/col{col}/" if part == 0 else f"{base}/col{col}/index_{part}.html"
            links.append(Link(f"{base}/col{col}/index_{part + 1}.html", "下一页", pager=True))
            for _ in range(12):
                art = rng.randrange(pages)
                day = AS_OF - timedelta(days=rng.randrange(400))
                items.append(DatedItem(f"文章{art}", f"{base}/art/{art}.html", day))
            if col == 6:
                for k in range(20):
                    asked = datetime(2026, 1, 1) + timedelta(hours=rng.randrange(7000))
                    replied = asked + timedelta(hours=rng.randrange(2000)) if k % 4 else None
                    threads.append(
                        Thread(f"留言{i}-{k}", f"{base}/letter/{i}-{k}.html", asked, replied)
                    )
            is_home = False
        else:
            url, is_home = f"{base}/art/{i}.html", False
        while len(links) < 20:
            links.append(Link(f"{base}/art/{rng.randrange(pages * 2)}.html", "文章"))
        facts.append(
            PageFacts(
                url=url,
                final_url=url,
                status=200 if rng.random() > 0.02 else 404,
                is_html=True,
                is_home=is_home,
                title=f"page {i}",
                publish_date=AS_OF - timedelta(days=5) if i > list_pages and i % 3 else None,
                items=items,
                dated_links=items,
                links=links,
                images=3,
                images_alt=rng.randrange(4),
                threads=threads,
                lang="zh-CN",
                viewport="width=device-width",
            )
        )
    for k in range(pages, pages + 2000):
        checks.append(LinkCheck(f"{base}/art/{k}.html", status=200 if k % 10 else 404))
    probes = [Probe("home", f"{base}/", 200, elapsed_ms=100.0 + s, seq=s) for s in range(5)]
    probes += [
        Probe("https", f"{base}/", 200),
        Probe("tls", f"{base}/", ok=True),
        Probe("http_redirect", f"http://{host}/", 200, final_url=f"{base}/"),
        Probe("robots", f"{base}/robots.txt", 200),
        Probe("sitemap", f"{base}/sitemap.xml", 404),
        Probe("soft404", f"{base}/nothing", 404),
        Probe("dns", f"{base}/", ok=False),
    ]
    return SiteFacts(
        site_id=f"site{n}",
        url=f"{base}/",
        hosts=frozenset({host}),
        pages=facts,
        checks=checks,
        probes=probes,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--pages", type=int, default=5000, help="pages per site")
    args = parser.parse_args()
    rng = random.Random(20261120)
    t0 = time.perf_counter()
    sites = [build_site(n, args.pages, rng) for n in range(args.sites)]
    t1 = time.perf_counter()
    links = sum(len(p.links) for s in sites for p in s.pages)
    thresholds = Thresholds()
    slowest = 0.0
    for facts in sites:
        start = time.perf_counter()
        result = compute_metrics(facts, thresholds, AS_OF)
        slowest = max(slowest, time.perf_counter() - start)
    t2 = time.perf_counter()
    print(
        f"built {len(sites)} sites, {args.sites * args.pages:,} pages, {links:,} links "
        f"in {t1 - t0:.2f} s"
    )
    print(f"computed all metrics in {t2 - t1:.2f} s (slowest site {slowest:.2f} s)")
    print(
        "last site:",
        {
            k: result.value(k)
            for k in ("pages", "links_internal", "columns", "board_threads", "broken_ratio")
        },
    )


if __name__ == "__main__":
    main()
