"""The demo web's truth: the expected value of every catalogue metric for every demo site.

The values are computed from the generator's own model (what :mod:`evalcrawler.demo.sites`
recorded while writing each page: links, images, dated items, publish dates, letters), by a
simulated full crawl and the definitions of docs/metrics.md, with the default
:class:`~evalcrawler.scoring.results.Thresholds`, the as-of date 2026-11-20 and a budget larger
than any demo site. No extraction or metric code of evalcrawl is used: the truth is an
independent reading that the crawl, the extraction and the metrics are tested against.

``python -m evalcrawler.demo.truth`` rewrites ``evalcrawler/demo/truth.json``;
``python -m evalcrawler.demo.truth --check`` exits 1 when the file is out of date.

All URLs in the truth are paths (``/zwgk/``), so the truth does not depend on the port the demo
web is served on. Timing metrics are ranges: ``{"min": 0, "max": 2000}`` (milliseconds).
"""

from __future__ import annotations

import json
import math
import sys
from collections import deque
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from evalcrawler.demo.model import DemoSite, ItemFact, LinkFact, PageModel
from evalcrawler.demo.planted import RANKING
from evalcrawler.demo.sites import build_sites
from evalcrawler.demo.specs import AS_OF, DEFAULT_PORT, FIRST_ADDRESS
from evalcrawler.scoring.results import METRICS, Thresholds

TRUTH_FILE = Path(__file__).with_name("truth.json")
HOME_MS_MAX = 2000


@dataclass
class _Crawl:
    """What a full crawl of one site fetches (robots.txt obeyed, budgets never reached)."""

    pages: dict[str, PageModel] = field(default_factory=dict)  # 2xx HTML pages by final path
    targets: dict[str, None] = field(default_factory=dict)  # internal link targets, in order
    fetched: dict[str, int] = field(default_factory=dict)  # requested path → final status
    incoming: dict[str, list[tuple[str, LinkFact]]] = field(default_factory=dict)


def _disallowed(site: DemoSite, path: str) -> bool:
    prefix = site.spec.disallow
    return bool(site.spec.robots and prefix and path.startswith(prefix))


def _fetch(site: DemoSite, path: str) -> tuple[str, int, bool]:
    """(final path, final status, is HTML) of a GET of ``path`` with redirects followed."""
    for _ in range(10):
        if path not in site.redirects:
            break
        path = site.redirects[path]
    bare = path.split("?", 1)[0]
    response = site.responses.get(bare)
    if response is None:
        if site.not_found_page is not None:
            return path, 200, True
        return path, 404, True
    ctype = dict(response.headers).get("Content-Type", "")
    return path, response.status, ctype.startswith("text/html")


def crawl(site: DemoSite) -> _Crawl:
    out = _Crawl()
    queue: deque[str] = deque(["/"])
    queued = {"/"}
    while queue:
        path = queue.popleft()
        final, status, is_html = _fetch(site, path)
        out.fetched[path] = status
        if not (200 <= status < 300 and is_html) or final in out.pages:
            continue
        page = site.pages.get(final)
        if page is None:  # a 2xx HTML answer that is not a generated page: not reachable
            raise AssertionError(f"{site.id}: {path} answers HTML that is not a page")
        out.pages[final] = page
        for link in page.links:
            if not (link.internal and link.http):
                continue
            out.targets.setdefault(link.url, None)
            if link.url != final:
                out.incoming.setdefault(link.url, []).append((final, link))
            if link.url not in queued and not _disallowed(site, link.url):
                queued.add(link.url)
                queue.append(link.url)
    return out


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _kind(name: str, title: str, th: Thresholds) -> str:
    for text in (name, title):
        for kind, words in th.column_kinds.items():
            if any(w in text for w in words):
                return kind
    return "other"


def _name(path: str, c: _Crawl) -> str:
    """Anchor text of the non-pager links to a page (navigation first); all agree by design."""
    links = [link for _, link in c.incoming.get(path, []) if not link.pager and link.text]
    nav = [link.text for link in links if link.nav]
    texts = set(nav) if nav else {link.text for link in links}
    if len(texts) > 1:  # "the first link" would depend on the crawl order
        raise AssertionError(f"{path}: links with different anchor texts {sorted(texts)}")
    return texts.pop() if texts else c.pages[path].title


def site_truth(site: DemoSite, th: Thresholds | None = None) -> dict[str, Any]:
    th = th or Thresholds()
    spec = site.spec
    c = crawl(site)
    home = c.pages["/"]

    # -- links
    checked = [t for t in c.targets if not _disallowed(site, t)]
    broken = [t for t in checked if c.fetched.get(t, _fetch(site, t)[1]) >= 400]
    home_targets = {link.url for link in home.links if link.internal and link.http}
    for t in checked:
        c.fetched.setdefault(t, _fetch(site, t)[1])

    # -- columns: roots, pager continuations folded into them
    pager_only = {
        p
        for p in c.pages
        if p != "/" and c.incoming.get(p) and all(link.pager for _, link in c.incoming[p])
    }
    roots = [
        p
        for p, page in c.pages.items()
        if p != "/"
        and p not in pager_only
        and page.publish_date is None
        and len(page.items) >= th.min_column_items
    ]
    owner = {r: r for r in roots}
    queue = deque(roots)
    while queue:
        p = queue.popleft()
        for link in c.pages[p].links:
            if link.pager and link.url in pager_only and link.url not in owner:
                owner[link.url] = owner[p]
                queue.append(link.url)
    list_pages = set(owner)
    columns: list[dict[str, Any]] = []
    for root in roots:
        items: dict[str, ItemFact] = {}
        for p in [root, *sorted(q for q, r in owner.items() if r == root and q != root)]:
            for item in c.pages[p].items:
                items.setdefault(item.url, item)
        name = _name(root, c)
        kind = _kind(name, c.pages[root].title, th)
        latest = max(i.date for i in items.values())
        age = (AS_OF - latest).days
        limit = th.stale_days.get(kind, th.stale_days["other"])
        columns.append(
            {
                "column": name,
                "url": root,
                "kind": kind,
                "items": len(items),
                "latest": latest.isoformat(),
                "age_days": age,
                "stale": age > limit,
                "blank": False,
            }
        )
    blank = []
    for p, page in c.pages.items():
        if p == "/" or p in list_pages or page.items or page.dated_links:
            continue
        if not (page.empty_phrase or page.list_container):
            continue
        if not any(link.nav for _, link in c.incoming.get(p, [])):
            continue
        name = _name(p, c)
        blank.append(p)
        columns.append(
            {
                "column": name,
                "url": p,
                "kind": _kind(name, page.title, th),
                "items": 0,
                "latest": None,
                "age_days": None,
                "stale": False,
                "blank": True,
            }
        )
    columns.sort(key=lambda row: row["url"])

    # -- articles
    articles: dict[str, None] = {}
    for p, page in c.pages.items():
        for item in [*page.items, *page.dated_links]:
            if item.url != p and item.url in c.pages and item.url not in list_pages:
                articles[item.url] = None
    undated = sorted(a for a in articles if c.pages[a].publish_date is None)

    # -- letters: list rows and detail pages merged by URL, the detail page winning
    merged: dict[Any, dict[str, Any]] = {}
    for page in c.pages.values():
        for letter in page.letters:
            key: Any = letter.url if letter.url else (letter.title, letter.asked)
            record = {
                "url": letter.url,
                "title": letter.title,
                "asked": letter.asked,
                "replied": letter.replied,
                "state": letter.state,
                "reply_quality": letter.reply_quality,
            }
            if key not in merged or letter.source == "detail":
                merged[key] = record
    window_start = AS_OF - timedelta(days=th.board_window_days)
    threads = []
    for r in merged.values():
        asked: date = r["asked"]
        replied: date | None = r["replied"]
        latency = (replied - asked).days if replied is not None else None
        age = (AS_OF - asked).days
        overdue = (latency is not None and latency > th.overdue_days) or (
            r["state"] == "unanswered" and age > th.overdue_days
        )
        threads.append(
            {
                "url": r["url"],
                "title": r["title"],
                "asked": asked.isoformat(),
                "replied": replied.isoformat() if replied else None,
                "latency_days": latency,
                "overdue": overdue,
                "state": r["state"],
                "in_window": window_start <= asked <= AS_OF,
                "reply_quality": r["reply_quality"],
            }
        )
    threads.sort(key=lambda t: (t["asked"], t["url"] or t["title"]), reverse=True)
    window = [t for t in threads if t["in_window"]]
    replied_w = [t for t in window if t["state"] == "replied"]
    texts = [t for t in window if t["reply_quality"]]  # the planted class of each reply shown
    latencies = [float(t["latency_days"]) for t in replied_w]
    unanswered_ages = [
        (AS_OF - date.fromisoformat(t["asked"])).days for t in window if t["state"] == "unanswered"
    ]

    # -- the catalogue
    images = sum(p.images for p in c.pages.values())
    images_alt = sum(p.images_alt for p in c.pages.values())
    home_dates = [i.date for i in [*home.items, *home.dated_links]]
    home_latest = max(home_dates) if home_dates else None
    n_columns = sum(1 for row in columns if not row["blank"])
    m: dict[str, Any] = {
        "pages": len(c.pages),
        "home_status": 200,
        "home_probes": th.probe_count,
        "home_probe_failures": 0,
        "home_response_ms": {
            "min": int(spec.slow_home * 1000),
            "max": HOME_MS_MAX,
        },
        "https": spec.https != "none",
        "https_redirect": spec.https == "redirect",
        "hsts": spec.https != "none" and spec.hsts,
        "ipv6": None,
        "mobile_viewport": bool(spec.viewport and "width=device-width" in spec.viewport),
        "html_lang": spec.lang,
        "img_alt_ratio": images_alt / images if images else None,
        "robots_txt": 200 <= _fetch(site, "/robots.txt")[1] < 300,
        "sitemap_xml": 200 <= _fetch(site, "/sitemap.xml")[1] < 300,
        "soft_404": 200 <= _fetch(site, "/this-page-does-not-exist-7f3a9c.html")[1] < 300,
        "links_internal": len(c.targets),
        "links_checked": len(checked),
        "broken_internal": len(broken),
        "broken_ratio": len(broken) / len(checked) if checked else None,
        "broken_home": sum(1 for t in broken if t in home_targets),
        "home_latest": home_latest.isoformat() if home_latest else None,
        "home_age_days": (AS_OF - home_latest).days if home_latest else None,
        "dated_share": (len(articles) - len(undated)) / len(articles) if articles else None,
        "columns": n_columns,
        "columns_stale": sum(1 for row in columns if row["stale"]) if n_columns else None,
        "columns_blank": len(blank),
        "board_found": bool(threads),
        "board_threads": len(window),
        "board_replied": len(replied_w) if window else None,
        "board_reply_rate": len(replied_w) / len(window) if window else None,
        "board_reply_median_days": _percentile(latencies, 0.5) if latencies else None,
        "board_reply_p90_days": _percentile(latencies, 0.9) if latencies else None,
        "board_unanswered_max_days": (max(unanswered_ages) if unanswered_ages else 0)
        if window
        else None,
        "board_overdue": sum(1 for t in window if t["overdue"]) if window else None,
        "reply_texts": len(texts) if window else None,
        **{
            f"reply_{name}_share": (
                sum(1 for t in texts if t["reply_quality"] == quality) / len(texts)
                if texts
                else None
            )
            for name, quality in (
                ("substantive", "substantive"),
                ("transfer", "transfer_only"),
                ("template", "template"),
                ("no_answer", "no_answer"),
            )
        },
        "search_form": spec.search is not None,
        "search_works": None if spec.search is None else spec.search in ("get", "post"),
    }
    assert list(m) == list(METRICS), "the truth must follow the catalogue"
    _check_model(site, c, owner, articles)
    return {
        "url": "/",
        "rank": spec.rank,
        "metrics": m,
        "columns": columns,
        "threads": threads,
        "details": {
            "articles": len(articles),
            "undated_articles": undated,
            "broken": sorted(broken),
            "broken_home": sorted(t for t in broken if t in home_targets),
            "not_checked": sorted(t for t in c.targets if _disallowed(site, t)),
            "continuations": sorted(p for p, r in owner.items() if p != r),
            "images": images,
            "images_alt": images_alt,
        },
        "notes": spec.notes,
    }


def _check_model(
    site: DemoSite, c: _Crawl, owner: dict[str, str], articles: dict[str, None]
) -> None:
    """The rules' reading agrees with what the generator meant to plant."""
    for path, page in c.pages.items():
        meant = page.role in ("column", "continuation") or (page.role == "board" and page.root)
        if bool(meant) != (path in owner):
            raise AssertionError(
                f"{site.id}{path}: role {page.role} but column rule says {path in owner}"
            )
        if path in owner and page.root and owner[path] != page.root:
            raise AssertionError(f"{site.id}{path}: folded into {owner[path]}, not {page.root}")
    planted_broken = {p for p in site.broken if p in c.targets}
    found = {t for t in c.targets if c.fetched.get(t, 0) >= 400}
    if planted_broken != found:
        raise AssertionError(
            f"{site.id}: broken {sorted(found)} != planted {sorted(planted_broken)}"
        )
    for art in site.articles:
        if art.path in articles and c.pages[art.path].publish_date is None and art.dated:
            raise AssertionError(f"{site.id}{art.path}: dated article without a date")


def compute_truth(sites: dict[str, DemoSite] | None = None) -> dict[str, Any]:
    sites = sites or build_sites(DEFAULT_PORT, FIRST_ADDRESS)
    return {
        "as_of": AS_OF.isoformat(),
        "thresholds": "defaults of evalcrawler.scoring.results.Thresholds",
        "ranking": list(RANKING),
        "sites": {site_id: site_truth(sites[site_id]) for site_id in RANKING},
    }


def truth_text(truth: dict[str, Any] | None = None) -> str:
    return json.dumps(truth or compute_truth(), ensure_ascii=False, indent=1) + "\n"


def load_truth() -> dict[str, Any]:
    """The committed truth file."""
    data: dict[str, Any] = json.loads(TRUTH_FILE.read_text(encoding="utf-8"))
    return data


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    text = truth_text()
    if "--check" in args:
        current = TRUTH_FILE.read_text(encoding="utf-8") if TRUTH_FILE.exists() else ""
        if current != text:
            print(f"{TRUTH_FILE} is out of date: run python -m evalcrawler.demo.truth")
            return 1
        print(f"{TRUTH_FILE} is up to date")
        return 0
    TRUTH_FILE.write_text(text, encoding="utf-8")
    print(f"wrote {TRUTH_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
