"""Tests of evalcrawler.scoring.metrics: every catalogue metric on small hand-built facts.

Each test builds the SiteFacts a crawl would store and checks exact values, following the
definitions of docs/metrics.md. The real message-board data (tests/fixtures/
message-board-replies.csv, see PROVENANCE-message-board.md) pins the latency statistics.
"""

from __future__ import annotations

import csv
import statistics
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from evalcrawler.facts import (
    DatedItem,
    Form,
    FormField,
    LinkCheck,
    PageFacts,
    Probe,
    SiteFacts,
    Thread,
)
from evalcrawler.facts import Link as L
from evalcrawler.scoring import metrics as metrics_module
from evalcrawler.scoring.letters import latency_days, percentile
from evalcrawler.scoring.metric_context import MetricContext
from evalcrawler.scoring.metrics import compute_metrics, metric, registered_metrics
from evalcrawler.scoring.results import METRICS, Measurement, SiteMetrics, Thresholds

FIXTURES = Path(__file__).parent / "fixtures"
HOST = "www.demo.gov.cn"
AS_OF = date(2026, 11, 20)


def u(path: str) -> str:
    return f"https://{HOST}{path}"


def page(path: str, *, status: int = 200, html: bool = True, **kw: Any) -> PageFacts:
    kw.setdefault("final_url", u(path))
    return PageFacts(url=u(path), status=status, is_html=html, **kw)


def home(**kw: Any) -> PageFacts:
    return page("/", is_home=True, **kw)


def site(*pages: PageFacts, **kw: Any) -> SiteFacts:
    kw.setdefault("hosts", frozenset({HOST}))
    return SiteFacts(site_id="demo", url=u("/"), pages=list(pages), **kw)


def run(facts: SiteFacts, as_of: date = AS_OF, **thresholds: Any) -> SiteMetrics:
    return compute_metrics(facts, Thresholds(**thresholds), as_of)


def item(path: str | None, day: date | None, title: str = "t") -> DatedItem:
    return DatedItem(title=title, url=u(path) if path else None, date=day)


def items(prefix: str, *days: date) -> list[DatedItem]:
    return [item(f"{prefix}/a{n}.html", d) for n, d in enumerate(days)]


def d(month: int, day: int, year: int = 2026) -> date:
    return date(year, month, day)


# ------------------------------------------------------------------------------ registry


def test_every_catalogue_metric_is_registered_and_only_the_example_is_extra() -> None:
    names = set(registered_metrics())
    assert set(METRICS) <= names
    assert names - set(METRICS) == {"_example"}


def test_compute_metrics_returns_the_catalogue_in_order() -> None:
    result = run(site(home()))
    assert list(result.values) == list(METRICS)
    assert all(isinstance(m, Measurement) for m in result.values.values())


def test_example_metric_shows_the_contract() -> None:
    ctx = MetricContext(site(home()), Thresholds(), AS_OF)
    m = ctx.measure("_example")
    assert m.value is None
    assert m.reason == "example metric: it measures nothing"


def test_a_metric_cannot_be_registered_twice() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        metric("pages")(lambda ctx: Measurement(1))


def test_a_failing_metric_is_not_measured_with_the_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(ctx: MetricContext) -> Measurement:
        raise RuntimeError("bad fact")

    spec = registered_metrics()["pages"]
    monkeypatch.setitem(metrics_module._REGISTRY, "pages", replace(spec, func=boom))
    m = run(site(home())).values["pages"]
    assert m.value is None
    assert m.reason == "error while measuring: RuntimeError('bad fact')"


# ----------------------------------------------------------------------- small helpers


def test_latency_days_fractional_with_times_whole_days_with_a_date() -> None:
    asked = datetime(2026, 1, 1, 12, 0)
    assert latency_days(asked, datetime(2026, 1, 3, 0, 0)) == 1.5
    assert latency_days(asked, date(2026, 1, 3)) == 2.0
    assert latency_days(date(2026, 1, 1), datetime(2026, 1, 3, 23, 59)) == 2.0
    assert latency_days(date(2026, 2, 28), date(2026, 3, 1)) == 1.0


@pytest.mark.parametrize("q", [0.0, 0.1, 0.5, 0.9, 1.0])
def test_percentile_matches_numpy_default(q: float) -> None:
    np = pytest.importorskip("numpy")
    values = [0.5, 1.0, 2.0, 7.5, 11.0, 40.0, 41.0]
    assert percentile(values, q) == pytest.approx(float(np.percentile(values, q * 100)))
    assert percentile([3.0], q) == 3.0


# ------------------------------------------------------------------- the real board data


def _real_rows() -> list[tuple[str, str, datetime, datetime]]:
    """(id, subject, asked, replied) of every row of the real board data."""
    with open(FIXTURES / "message-board-replies.csv", encoding="utf-8", newline="") as fh:
        # One reply is date-only (2018-04-24): datetime.fromisoformat makes it 00:00, as the
        # source README counts it for the fractional latencies.
        return [
            (
                row["id"],
                row["subject"],
                datetime.fromisoformat(row["asked_at"]),
                datetime.fromisoformat(row["replied_at"]),
            )
            for row in csv.DictReader(fh)
        ]


def _real_letters(calendar_dates: bool) -> list[Thread]:
    letters = []
    for letter_id, subject, asked, replied in _real_rows():
        letters.append(
            Thread(
                title=subject,
                url=u(f"/hdjl/letter/{letter_id}.html"),
                asked=asked.date() if calendar_dates else asked,
                replied=replied.date() if calendar_dates else replied,
                source="list",
            )
        )
    return letters


def test_real_board_latencies_with_times() -> None:
    board = page("/hdjl/list.html", threads=_real_letters(calendar_dates=False))
    m = run(site(home(), board), as_of=date(2020, 1, 10), board_window_days=5000)
    assert m.value("board_found") is True
    assert m.value("board_threads") == 2816
    assert m.value("board_replied") == 2816
    assert m.value("board_reply_rate") == 1.0
    assert round(m.value("board_reply_median_days"), 2) == 11.21
    assert round(m.value("board_reply_median_days"), 3) == 11.208
    assert round(m.value("board_reply_p90_days"), 2) == 40.96
    assert m.value("board_overdue") == 83
    assert m.value("board_unanswered_max_days") == 0
    assert len(m.threads) == 2816
    assert sum(t.overdue for t in m.threads) == 83


def test_real_board_latencies_with_calendar_dates() -> None:
    board = page("/hdjl/list.html", threads=_real_letters(calendar_dates=True))
    m = run(site(home(), board), as_of=date(2020, 1, 10), board_window_days=5000)
    assert m.value("board_threads") == 2816
    assert m.value("board_reply_median_days") == 11
    assert m.value("board_reply_p90_days") == 41
    assert m.value("board_overdue") == 82


def test_real_board_window_is_a_threshold() -> None:
    board = page("/hdjl/list.html", threads=_real_letters(calendar_dates=False))
    m = run(site(home(), board), as_of=date(2020, 1, 10))  # default 365 days
    window = [r for r in _real_rows() if date(2019, 1, 10) <= r[2].date() <= date(2020, 1, 10)]
    assert m.value("board_threads") == len(window)
    assert 0 < len(window) < 2816


# -------------------------------------------------------------------------------- pages


def test_pages_counts_distinct_final_urls_of_2xx_html_pages_of_the_site() -> None:
    facts = site(
        home(),
        page("/a.html"),
        page("/a.html#top", final_url=u("/a.html")),  # same final URL
        page("/old.html", final_url=u("/a.html")),  # redirected to the same page
        page("/B.html", final_url=f"HTTPS://{HOST.upper()}:443/b.html"),  # normalised
        page("/doc.pdf", html=False, content_type="application/pdf"),
        page("/missing.html", status=404),
        page("/down.html", status=0, error="timeout"),
        page("/away.html", final_url="https://other.gov.cn/x.html"),  # left the site
    )
    m = run(facts)
    assert m.value("pages") == 3


def test_pages_include_alias_hosts_and_the_home_page_final_host() -> None:
    facts = SiteFacts(
        site_id="qx",
        url="http://qx.gov.cn/",
        hosts=frozenset({"qx.gov.cn", "alias.gov.cn"}),
        pages=[
            PageFacts(
                url="http://qx.gov.cn/",
                final_url="https://www.qingxu.gov.cn/",
                status=200,
                is_html=True,
                is_home=True,
            ),
            PageFacts(url="https://www.qingxu.gov.cn/a", status=200, is_html=True),
            PageFacts(url="http://alias.gov.cn/b", status=200, is_html=True),
            PageFacts(url="http://elsewhere.gov.cn/c", status=200, is_html=True),
        ],
    )
    assert run(facts).value("pages") == 3


def test_links_to_the_same_target_count_once_after_normalisation() -> None:
    links = [
        L(u("/a.html"), "a"),
        L(f"HTTP://{HOST.upper()}:80/a.html", "a"),
        L(u("/a.html;jsessionid=XYZ"), "a"),
        L(u("/b.html?id=1&sid=9"), "b"),
        L(u("/b.html?id=1"), "b"),
        L(f"https://{HOST}", "root"),
        L(u("/"), "root"),
    ]
    assert run(site(home(links=links))).value("links_internal") == 4  # a, http a, b, /


# --------------------------------------------------------------------------- home probes


def probe(kind: str, status: int = 200, seq: int = 0, **kw: Any) -> Probe:
    kw.setdefault("url", u("/"))
    return Probe(kind=kind, status=status, seq=seq, **kw)


def test_home_status_and_probes() -> None:
    probes = [
        probe("home", 200, 0, elapsed_ms=100.0),
        probe("home", 200, 1, elapsed_ms=300.0),
        probe("home", 503, 2, elapsed_ms=50.0),
        probe("home", 0, 3, error="timeout"),
        probe("home", 200, 4, elapsed_ms=16000.0),  # slower than the 15 s timeout
    ]
    m = run(site(home(), probes=probes))
    assert m.value("home_status") == 200
    assert m.value("home_probes") == 5
    assert m.value("home_probe_failures") == 3
    # Median of the responses within the timeout: 50, 100, 300.
    assert m.value("home_response_ms") == 100.0
    assert run(site(home(), probes=probes), probe_timeout_s=20).value("home_response_ms") == 200.0


def test_home_probes_none_made_and_none_answered() -> None:
    m = run(site(home()))
    assert m.value("home_probes") == 0
    assert m.values["home_probe_failures"].value is None
    assert m.values["home_response_ms"].reason == "no home page probe was made"
    m = run(site(home(), probes=[probe("home", 0, error="timeout")]))
    assert m.value("home_probe_failures") == 1
    assert m.values["home_response_ms"].value is None
    assert m.values["home_response_ms"].reason == "no home page probe got a response"


def test_home_status_uses_the_home_attempt_that_worked() -> None:
    failed = PageFacts(url=u("/"), status=0, error="timeout", is_home=True)
    worked = PageFacts(
        url=f"http://{HOST}/", final_url=u("/index.html"), status=200, is_html=True, is_home=True
    )
    assert run(site(failed, worked)).value("home_status") == 200
    assert run(site(failed)).value("home_status") == 0


# --------------------------------------------------------------------------------- HTTPS


def test_https_true_with_verified_certificate_and_hsts() -> None:
    probes = [
        probe("https", 200, headers={"strict-transport-security": "max-age=31536000"}),
        probe("tls", 0, ok=True),
        probe("http_redirect", 200, url=f"http://{HOST}/", final_url=u("/")),
    ]
    m = run(site(home(), probes=probes))
    assert m.value("https") is True
    assert m.value("hsts") is True
    assert m.value("https_redirect") is True


def test_https_false_when_tls_fails_and_then_no_hsts() -> None:
    probes = [
        probe("https", 200, headers={"strict-transport-security": "max-age=1"}),
        probe("tls", 0, ok=False, error="certificate has expired"),
    ]
    m = run(site(home(), probes=probes))
    assert m.value("https") is False
    assert m.value("hsts") is False


def test_https_false_without_answer_or_with_error_status() -> None:
    for https in (probe("https", 0, error="connection refused"), probe("https", 404)):
        m = run(site(home(), probes=[https, probe("tls", 0, ok=True)]))
        assert m.value("https") is False
        assert m.value("hsts") is False


def test_https_not_measured_without_probe_or_certificate_check() -> None:
    m = run(site(home()))
    assert m.values["https"].reason == "no HTTPS probe was made"
    assert m.value("hsts") is None
    m = run(site(home(), probes=[probe("https", 200)]))
    assert m.values["https"].value is None
    assert m.values["https"].reason == "the certificate was not verified"
    assert m.value("hsts") is False  # answered, without the header


def test_https_redirect_false_none_and_first_hop() -> None:
    stays = probe("http_redirect", 200, url=f"http://{HOST}/", final_url=f"http://{HOST}/")
    assert run(site(home(), probes=[stays])).value("https_redirect") is False
    silent = probe("http_redirect", 0, url=f"http://{HOST}/", error="timeout")
    m = run(site(home(), probes=[silent]))
    assert m.value("https_redirect") is None
    assert m.values["https_redirect"].reason == f"no response from http://{HOST}/: timeout"
    hop = probe("http_redirect", 301, url=f"http://{HOST}/", headers={"location": u("/")})
    assert run(site(home(), probes=[hop])).value("https_redirect") is True


def test_ipv6() -> None:
    assert run(site(home(), probes=[probe("dns", 0, ok=True)])).value("ipv6") is True
    assert run(site(home(), probes=[probe("dns", 0, ok=False)])).value("ipv6") is False
    asked_not = probe("dns", 0, ok=None, detail={"reason": "DNS cannot be asked about this host"})
    m = run(site(home(), probes=[asked_not]))
    assert m.value("ipv6") is None
    assert m.values["ipv6"].reason == "DNS cannot be asked about this host"
    ip_site = SiteFacts(
        site_id="ip",
        url="http://127.0.0.2:8080/",
        hosts=frozenset({"127.0.0.2:8080"}),
        pages=[PageFacts(url="http://127.0.0.2:8080/", status=200, is_html=True, is_home=True)],
        probes=[probe("dns", 0, ok=None)],
    )
    m = run(ip_site)
    assert m.value("ipv6") is None
    assert m.values["ipv6"].reason == "the home host 127.0.0.2 is an IP address"
    # An injected resolver that does answer for an IP host is believed.
    ip_site.probes = [probe("dns", 0, ok=True)]
    assert run(ip_site).value("ipv6") is True


# ------------------------------------------------------------------------ home page facts


def test_mobile_viewport_and_html_lang() -> None:
    good = home(viewport="width = Device-Width, initial-scale=1", lang="zh-CN")
    m = run(site(good))
    assert m.value("mobile_viewport") is True
    assert m.value("html_lang") is True
    bad = home(viewport="width=1200", lang="  ")
    m = run(site(bad))
    assert m.value("mobile_viewport") is False
    assert m.value("html_lang") is False
    m = run(site(home(status=500)))
    assert m.value("mobile_viewport") is None
    assert m.values["html_lang"].reason == "the home page answered 500"


def test_img_alt_ratio_over_2xx_pages_and_none_without_images() -> None:
    facts = site(
        home(images=4, images_alt=3),
        page("/a.html", images=6, images_alt=0),
        page("/gone.html", status=404, images=10, images_alt=10),
    )
    m = run(facts)
    assert m.value("img_alt_ratio") == 0.3
    assert m.values["img_alt_ratio"].evidence_url == u("/a.html")
    m = run(site(home(), page("/a.html")))
    assert m.value("img_alt_ratio") is None
    assert m.values["img_alt_ratio"].reason == "no image on the fetched pages"


def test_robots_sitemap_soft_404() -> None:
    probes = [probe("robots", 200), probe("sitemap", 404), probe("soft404", 200)]
    m = run(site(home(), probes=probes))
    assert (m.value("robots_txt"), m.value("sitemap_xml"), m.value("soft_404")) == (
        True,
        False,
        True,
    )
    m = run(site(home(), probes=[probe("soft404", 404), probe("robots", 0, error="timeout")]))
    assert m.value("soft_404") is False
    assert m.value("robots_txt") is None
    assert m.values["sitemap_xml"].reason == "no sitemap.xml probe was made"


# -------------------------------------------------------------------------------- links


def test_links_checked_broken_and_broken_home() -> None:
    facts = site(
        home(
            links=[
                L(u("/a.html"), "A"),
                L(u("/b.html"), "B"),
                L(u("/c.html#frag"), "C"),
                L(u("/never.html"), "not fetched"),
                L("https://other.gov.cn/x", "external"),
                L("mailto:a@demo.gov.cn", "mail"),
            ]
        ),
        page(
            "/a.html",
            links=[
                L(u("/"), "home"),
                L(u("/c.html"), "C again"),
                L(f"HTTP://{HOST.upper()}/d.pdf", "pdf"),
                L(u("/e.html"), "slow"),
                L(u("/r.html"), "redirected"),
            ],
        ),
        page("/b.html", status=404),
        page("/e.html", status=0, error="timeout"),
        page("/r.html", final_url=u("/gone.html"), status=410),
        checks=[
            LinkCheck(url=u("/c.html"), status=200),
            LinkCheck(url=f"http://{HOST}/d.pdf", status=500),
        ],
    )
    m = run(facts)
    # /, a, b, c, never, d.pdf, e, r
    assert m.value("links_internal") == 8
    assert m.value("links_checked") == 7
    assert m.value("broken_internal") == 4  # b 404, d.pdf 500, e no response, r 410
    assert m.value("broken_ratio") == 4 / 7
    assert m.value("broken_home") == 1  # b
    assert m.values["broken_home"].evidence_url == u("/b.html")


def test_broken_ratio_none_when_nothing_was_checked() -> None:
    facts = site(home(links=[L(u("/never.html"), "x")]))
    m = run(facts)
    assert m.value("links_internal") == 1
    assert m.value("links_checked") == 0
    assert m.value("broken_internal") == 0
    assert m.value("broken_ratio") is None
    assert m.values["broken_ratio"].reason == "no internal link target was checked"
    assert m.value("broken_home") is None


# -------------------------------------------------------------------------- dates, articles


def test_home_latest_and_age() -> None:
    facts = site(
        home(
            dated_links=[item("/n1.html", d(11, 2)), item("/n2.html", d(11, 18))],
            items=[item("/n3.html", d(10, 1))],
        )
    )
    m = run(facts)
    assert m.value("home_latest") == "2026-11-18"
    assert m.value("home_age_days") == 2
    assert m.values["home_latest"].evidence_url == u("/n2.html")
    m = run(site(home()))
    assert m.value("home_latest") is None
    assert m.value("home_age_days") is None
    assert m.values["home_age_days"].reason == "the home page shows no dated link"


def test_dated_share_counts_dated_link_targets_that_are_not_columns() -> None:
    column_items = [item(f"/news/a{n}.html", d(11, n + 1)) for n in range(3)]
    facts = site(
        home(
            links=[L(u("/news/"), "新闻动态", nav=True)],
            dated_links=[item("/news/a0.html", d(11, 1)), item("/news/", d(11, 1))],
        ),
        page("/news/", items=column_items, dated_links=column_items),
        page("/news/a0.html", publish_date=d(11, 1)),
        page("/news/a1.html", publish_date=d(11, 2)),
        page("/news/a2.html"),  # no publish date
        page("/other.html"),  # not the target of a dated link
    )
    m = run(facts)
    assert m.value("dated_share") == 2 / 3
    assert m.values["dated_share"].evidence_url == u("/news/a2.html")
    m = run(site(home(), page("/x.html")))
    assert m.value("dated_share") is None
    assert m.values["dated_share"].reason == "no article page was fetched"


# ------------------------------------------------------------------------------- columns


def test_columns_kinds_names_and_staleness() -> None:
    facts = site(
        home(
            links=[
                L(u("/tzgg/"), "更多"),
                L(u("/tzgg/"), "通知公告", nav=True),
                L(u("/ywdt/"), "工作动态", nav=True),
                L(u("/zcwj/"), "政策文件"),
                L(u("/misc/"), "其他"),
            ]
        ),
        # 180 days before AS_OF is 2026-05-24: exactly at the limit is not stale.
        page("/tzgg/", title="首页", items=items("/tzgg", d(5, 24), d(5, 1), d(4, 1))),
        # News: 15 days old > 14.
        page("/ywdt/", title="通知公告", items=items("/ywdt", d(11, 5), d(11, 1), d(10, 1))),
        page("/zcwj/", items=items("/zcwj", d(5, 23), d(5, 1), d(4, 1))),
        page(
            "/misc/",
            items=[*items("/misc", d(1, 1, 2026), d(1, 1, 2025)), item(None, d(6, 1, 2025))],
        ),
    )
    m = run(facts)
    rows = {c.url: c for c in m.columns}
    tzgg, ywdt, zcwj, misc = (rows[u(p)] for p in ("/tzgg/", "/ywdt/", "/zcwj/", "/misc/"))
    assert (tzgg.column, tzgg.kind, tzgg.age_days, tzgg.stale) == ("通知公告", "notice", 180, False)
    # The name decides before the title does.
    assert (ywdt.column, ywdt.kind, ywdt.age_days, ywdt.stale) == ("工作动态", "news", 15, True)
    assert (zcwj.kind, zcwj.age_days, zcwj.stale) == ("policy", 181, True)
    assert (misc.kind, misc.items, misc.latest, misc.age_days, misc.stale) == (
        "other",
        3,
        d(1, 1),
        323,
        False,
    )
    assert m.value("columns") == 4
    assert m.value("columns_stale") == 2
    assert m.value("columns_blank") == 0


def test_column_kind_first_kind_in_rubric_order_wins() -> None:
    facts = site(
        home(links=[L(u("/x/"), "新闻通知", nav=True)]),
        page("/x/", items=items("/x", d(11, 19), d(11, 18), d(11, 17))),
    )
    assert run(facts).columns[0].kind == "notice"
    kinds = {"news": ["新闻"], "notice": ["通知"]}
    assert run(facts, column_kinds=kinds).columns[0].kind == "news"


def test_column_kind_falls_back_to_the_title_then_other() -> None:
    facts = site(
        home(links=[L(u("/x/"), "栏目", nav=True), L(u("/y/"), "栏目二", nav=True)]),
        page("/x/", title="政策文件_某县", items=items("/x", d(11, 19), d(11, 18), d(11, 17))),
        page("/y/", title="某县", items=items("/y", d(11, 19), d(11, 18), d(11, 17))),
    )
    kinds = [c.kind for c in run(facts).columns]
    assert kinds == ["policy", "other"]


def test_column_name_falls_back_to_heading_then_title() -> None:
    facts = site(
        home(links=[L(u("/x/"), ""), L(u("/y/"), "")]),
        page(
            "/x/",
            headings=["乡镇动态"],
            title="T",
            items=items("/x", d(11, 19), d(11, 18), d(1, 1)),
        ),
        page("/y/", title="要闻", items=items("/y", d(11, 19), d(11, 18), d(11, 17))),
    )
    names = [c.column for c in run(facts).columns]
    assert names == ["乡镇动态", "要闻"]


def test_list_pages_that_are_not_columns() -> None:
    facts = site(
        home(links=[L(u("/two/"), "two"), L(u("/art.html"), "article")]),
        page("/two/", items=items("/two", d(11, 19), d(11, 18))),  # only 2 dated links
        page("/art.html", publish_date=d(11, 1), items=items("/art", d(11, 1), d(10, 1), d(9, 1))),
    )
    m = run(facts)
    assert m.value("columns") == 0
    assert m.columns == []
    assert m.value("columns_stale") is None
    assert m.values["columns_stale"].reason == "no column page was found"
    # The home page is never a column, whatever its lists.
    busy_home = home(items=items("/h", d(11, 19), d(11, 18), d(11, 17)))
    assert run(site(busy_home)).value("columns") == 0


def test_pager_continuations_fold_into_their_column_recursively() -> None:
    pager = [L(u("/news/index_1.html"), "2", pager=True), L(u("/news/index_1.html"), "下一页")]
    facts = site(
        home(links=[L(u("/news/"), "新闻中心", nav=True)]),
        page(
            "/news/",
            items=items("/news/p0", d(10, 1), d(9, 30), d(9, 29)),
            links=[*pager, L(u("/news/index_2.html"), "3", pager=True)],
        ),
        page(
            "/news/index_1.html",
            items=items("/news/p1", d(9, 28), d(9, 27), d(9, 26)),
            links=[
                L(u("/news/"), "首页", pager=True),
                L(u("/news/index_2.html"), "下一页", pager=True),
            ],
        ),
        # The last page holds one item: still part of the column.
        page(
            "/news/index_2.html",
            items=items("/news/p2", d(9, 25)),
            links=[L(u("/news/index_1.html"), "上一页", pager=True)],
        ),
        # Reached only through a pager link of a page that is not a column: left out.
        page("/orphan/index_1.html", items=items("/o", d(11, 1), d(11, 1), d(11, 1))),
        page("/art.html", links=[L(u("/orphan/index_1.html"), "下一页", pager=True)]),
    )
    # "下一页" is a pager link whatever its container: mark it as the extractor would.
    facts.pages[1].links[1].pager = True
    m = run(facts)
    assert m.value("columns") == 1
    [column] = m.columns
    assert (column.column, column.url, column.items, column.latest) == (
        "新闻中心",
        u("/news/"),
        7,
        d(10, 1),
    )


def test_page_two_linked_by_a_non_pager_link_is_its_own_column() -> None:
    facts = site(
        home(links=[L(u("/n/"), "新闻", nav=True), L(u("/n/index_1.html"), "往期新闻")]),
        page(
            "/n/",
            items=items("/n/p0", d(11, 1), d(11, 1), d(11, 1)),
            links=[L(u("/n/index_1.html"), "2", pager=True)],
        ),
        page("/n/index_1.html", items=items("/n/p1", d(10, 1), d(10, 1), d(10, 1))),
    )
    assert run(facts).value("columns") == 2


def test_blank_columns_only_when_reached_through_navigation() -> None:
    facts = site(
        home(
            links=[
                L(u("/empty/"), "信息公开年报", nav=True),
                L(u("/building/"), "政策解读", nav=True),
                L(u("/plain/"), "领导简介", nav=True),
                L(u("/hidden/"), "暂无", nav=False),
                L(u("/prose/"), "城市建设", nav=True),
            ]
        ),
        page("/empty/", list_container=True),
        page("/building/", empty_state="栏目正在建设中"),
        page("/plain/"),
        page("/hidden/", list_container=True, empty_state="暂无信息"),
        page("/prose/", text="城市建设中的新成就"),
    )
    m = run(facts)
    assert m.value("columns_blank") == 2
    assert m.value("columns") == 0
    blank = [(c.column, c.kind, c.items, c.blank, c.stale) for c in m.columns]
    assert blank == [
        ("信息公开年报", "other", 0, True, False),
        ("政策解读", "policy", 0, True, False),
    ]
    # The crawler's own record of the navigation link counts too.
    facts.pages[4].via_nav = True
    assert run(facts).value("columns_blank") == 3


def test_blank_column_phrases_come_from_the_rubric() -> None:
    facts = site(
        home(links=[L(u("/b/"), "栏目", nav=True)]),
        page("/b/", empty_state="栏目正在建设中"),
    )
    assert run(facts).value("columns_blank") == 1
    assert run(facts, empty_phrases=["暂无信息"]).value("columns_blank") == 0


# ------------------------------------------------------------------------------- letters


def letter(n: int, asked: date | None, replied: date | None = None, **kw: Any) -> Thread:
    kw.setdefault("url", u(f"/hdjl/{n}.html"))
    kw.setdefault("title", f"letter {n}")
    return Thread(asked=asked, replied=replied, **kw)


def board(*threads: Thread) -> PageFacts:
    return page("/hdjl/", threads=list(threads))


def test_board_window_is_inclusive_at_month_boundaries() -> None:
    as_of = date(2026, 3, 1)  # the window starts 365 days earlier: 2025-03-01
    facts = site(
        home(),
        board(
            letter(1, date(2025, 3, 1), date(2025, 3, 2)),  # first day of the window
            letter(2, date(2025, 2, 28), date(2025, 3, 2)),  # one day too early
            letter(3, datetime(2026, 3, 1, 23, 59), datetime(2026, 3, 1, 23, 59)),  # as-of
            letter(4, date(2026, 3, 2)),  # after the as-of date
        ),
    )
    m = run(facts, as_of=as_of)
    assert m.value("board_found") is True
    assert m.value("board_threads") == 2
    assert m.value("board_replied") == 2
    assert m.value("board_reply_rate") == 1.0
    assert len(m.threads) == 4


def test_board_overdue_is_strictly_more_than_90_days() -> None:
    facts = site(
        home(),
        board(
            letter(1, date(2026, 1, 1), date(2026, 4, 1)),  # exactly 90 days: on time
            letter(2, date(2026, 1, 1), date(2026, 4, 2)),  # 91 days: overdue
            letter(3, datetime(2026, 1, 1, 8, 0), datetime(2026, 4, 1, 8, 1)),  # 90 d 1 min
            letter(4, date(2026, 8, 22)),  # unanswered 90 days: not yet overdue
            letter(5, date(2026, 8, 21)),  # unanswered 91 days: overdue
            letter(6, date(2026, 11, 10)),  # unanswered 10 days
        ),
    )
    m = run(facts)
    assert m.value("board_threads") == 6
    assert m.value("board_replied") == 3
    assert m.value("board_reply_rate") == 0.5
    assert m.value("board_overdue") == 3
    assert m.value("board_unanswered_max_days") == 91
    assert m.values["board_unanswered_max_days"].evidence_url == u("/hdjl/5.html")
    assert [t.overdue for t in m.threads] == [False, True, True, False, True, False]
    assert [t.state for t in m.threads] == ["replied"] * 3 + ["unanswered"] * 3
    assert m.value("board_reply_median_days") == pytest.approx(90 + 1 / 1440)
    latencies = [90.0, 91.0, 90 + 1 / 1440]
    assert m.value("board_reply_p90_days") == pytest.approx(
        statistics.quantiles(latencies, n=10, method="inclusive")[8]
    )
    assert run(facts, overdue_days=100).value("board_overdue") == 0


def test_unanswered_max_is_zero_when_all_replied_and_none_without_letters() -> None:
    m = run(site(home(), board(letter(1, d(11, 1), d(11, 3)))))
    assert m.value("board_unanswered_max_days") == 0
    assert m.value("board_overdue") == 0
    assert m.value("board_reply_median_days") == 2.0
    m = run(site(home(), board(letter(1, d(1, 1, 2024), d(1, 3, 2024)))))
    assert m.value("board_found") is True
    assert m.value("board_threads") == 0
    assert m.value("board_reply_rate") is None
    assert m.value("board_unanswered_max_days") is None
    assert m.values["board_overdue"].reason == "no letter asked in the 365 days before 2026-11-20"
    m = run(site(home()))
    assert m.value("board_found") is False
    assert m.value("board_threads") == 0
    assert m.value("board_reply_median_days") is None


def test_letter_states_status_words_and_unknown() -> None:
    # Status words without dates; no reply dates on the board: unknown stays unknown.
    facts = site(
        home(),
        board(
            letter(1, d(11, 1), state="replied"),
            letter(2, d(11, 2), state="unanswered"),
            letter(3, d(11, 3)),
        ),
    )
    m = run(facts)
    assert [t.state for t in m.threads] == ["replied", "unanswered", "unknown"]
    assert m.value("board_replied") == 1
    assert m.value("board_reply_rate") == 1 / 3
    assert m.value("board_reply_median_days") is None  # no reply date
    assert m.value("board_unanswered_max_days") == 18
    # Once the board shows a reply date, a letter without date or status is unanswered.
    facts.pages[1].threads.append(letter(4, d(10, 1), d(10, 5)))
    states = [t.state for t in run(facts).threads]
    assert states == ["replied", "unanswered", "unanswered", "replied"]
    # Nothing but unknown states: the reply statistics cannot be measured.
    m = run(site(home(), board(letter(1, d(11, 1)))))
    assert m.value("board_threads") == 1
    assert m.value("board_reply_rate") is None
    assert (
        m.values["board_replied"].reason == "the board shows neither reply dates nor reply states"
    )


def test_letters_merge_list_rows_and_detail_pages_by_url() -> None:
    facts = site(
        home(),
        board(
            letter(1, d(10, 1), title="row title"),
            letter(2, d(10, 2), d(10, 3)),
            letter(3, None, title="no date"),
            Thread(title="no url", url=None, asked=d(10, 4), replied=None),
        ),
        page("/hdjl/2/", threads=[Thread(title="no url", url=None, asked=d(10, 4), replied=None)]),
        page(
            "/hdjl/1.html",
            threads=[letter(1, d(10, 1), datetime(2026, 10, 9, 12), source="detail", title="")],
        ),
        page("/hdjl/2.html", threads=[letter(2, d(10, 2), source="detail", state="unanswered")]),
        page("/hdjl/3.html", threads=[letter(3, datetime(2026, 10, 3, 9), source="detail")]),
    )
    m = run(facts)
    by_url = {t.url: t for t in m.threads}
    assert len(m.threads) == 4  # letters 1-3 and the URL-less one, once
    one = by_url[u("/hdjl/1.html")]
    assert (one.title, one.replied, one.latency_days, one.state) == (
        "row title",
        datetime(2026, 10, 9, 12),
        8.0,  # whole days: the asked side is a date
        "replied",
    )
    assert (by_url[u("/hdjl/2.html")].state, by_url[u("/hdjl/2.html")].replied) == (
        "unanswered",
        None,
    )
    assert by_url[u("/hdjl/3.html")].asked == datetime(2026, 10, 3, 9)
    assert by_url[None].title == "no url"


def test_a_reply_before_its_question_has_no_latency() -> None:
    m = run(site(home(), board(letter(1, d(11, 5), d(11, 1)), letter(2, d(11, 1), d(11, 4)))))
    assert [t.latency_days for t in m.threads] == [None, 3.0]
    assert m.value("board_replied") == 2
    assert m.value("board_reply_median_days") == 3.0


# -------------------------------------------------------------------------------- search


def search_site(*search: Probe, forms: bool = True) -> SiteFacts:
    form = Form(
        action=u("/search"), fields=[FormField("searchword")], search=True, query_field="searchword"
    )
    return site(
        home(forms=[form] if forms else [], links=[L(u("/zwgk/"), "政府信息公开")]),
        probes=list(search),
    )


def search_probe(*links: tuple[str, str], status: int = 200, **kw: Any) -> Probe:
    detail = {"query": "政府", "links": [{"url": url, "text": text} for url, text in links]}
    return probe("search", status, url=u("/search?searchword=政府"), detail=detail, **kw)


def test_search_works_with_a_result_link() -> None:
    m = run(search_site(search_probe((u("/a.html"), "县政府召开常务会议"))))
    assert m.value("search_form") is True
    assert m.value("search_works") is True


@pytest.mark.parametrize(
    "links",
    [
        [(u("/zwgk/"), "政府信息公开")],  # a link of the home page
        [(u("/a.html"), "常务会议")],  # text without the query
        [("https://www.gov.cn/a.html", "国务院政府工作报告")],  # not internal
        [],
    ],
)
def test_search_does_not_work_without_a_new_internal_result(links: list[tuple[str, str]]) -> None:
    assert run(search_site(search_probe(*links))).value("search_works") is False


def test_search_does_not_work_on_an_error_page() -> None:
    m = run(search_site(search_probe((u("/a.html"), "政府"), status=500)))
    assert m.value("search_works") is False


def test_search_works_not_measured() -> None:
    m = run(search_site(search_probe((u("/a.html"), "政府"), status=0, error="robots")))
    assert m.value("search_works") is None
    assert m.values["search_works"].reason == (
        f"robots.txt forbids the search URL {u('/search?searchword=政府')}"
    )
    m = run(search_site(search_probe((u("/a.html"), "政府")), forms=False))
    assert m.value("search_form") is False
    assert m.value("search_works") is None
    assert m.values["search_works"].reason == "the home page has no search form"
    m = run(search_site())
    assert m.values["search_works"].reason == "the search form was not submitted"


def test_a_search_the_crawl_did_not_submit_or_could_not_read_is_not_a_failure() -> None:
    """A form that posts to another site is not submitted, and a result page whose extraction
    was cut is not read: neither is evidence that the search does not work."""
    off_site = probe(
        "search",
        0,
        url="http://search.example.com/s",
        error="not submitted: the search form submits to search.example.com, outside the site",
    )
    m = run(search_site(off_site))
    assert m.value("search_works") is None
    assert m.values["search_works"].reason == (
        "not submitted: the search form submits to search.example.com, outside the site"
    )
    cut = search_probe(error="extraction took over 30 s: not read")
    m = run(search_site(cut))
    assert m.value("search_works") is None
    assert m.values["search_works"].reason == (
        "the search result page was not read (extraction took over 30 s: not read)"
    )


# -------------------------------------------------------------------- unreachable, empty


def test_unreachable_site_keeps_what_the_probes_tell() -> None:
    facts = site(
        PageFacts(url=u("/"), final_url=u("/"), status=0, error="DNS lookup failed", is_home=True),
        probes=[
            probe("home", 0, 0, error="DNS lookup failed"),
            probe("home", 0, 1, error="DNS lookup failed"),
            probe("https", 0, error="DNS lookup failed"),
            probe("tls", 0, ok=False, error="no HTTPS response"),
        ],
        status="unreachable",
        reason=f"no response from {u('/')}: DNS lookup failed",
    )
    m = run(facts)
    assert m.value("home_status") == 0
    assert m.value("home_probes") == 2
    assert m.value("home_probe_failures") == 2
    assert m.value("home_response_ms") is None
    assert m.value("https") is False
    assert m.value("hsts") is False
    for name in ("pages", "columns", "board_found", "search_form", "links_internal"):
        assert m.values[name].value is None
        assert (
            m.values[name].reason
            == f"site unreachable: no response from {u('/')}: DNS lookup failed"
        )
    assert m.columns == []
    assert m.threads == []


def test_home_forbidden_by_robots_has_no_home_status() -> None:
    facts = site(status="unreachable", reason=f"robots.txt disallows {u('/')}")
    m = run(facts)
    assert m.value("home_status") is None
    assert m.values["home_status"].reason == f"robots.txt disallows {u('/')}"
    assert m.values["pages"].reason == f"site unreachable: robots.txt disallows {u('/')}"


def test_nothing_measured_gives_reasons_not_defaults() -> None:
    m = run(SiteFacts(site_id="empty", url=u("/"), hosts=frozenset({HOST})))
    assert m.value("pages") == 0
    assert m.values["home_status"].reason == "the home page was not requested"
    unmeasured = [name for name, value in m.values.items() if value.value is None]
    assert all(m.values[name].reason for name in unmeasured)
    assert set(unmeasured) >= {
        "home_probe_failures",
        "home_response_ms",
        "https",
        "https_redirect",
        "hsts",
        "ipv6",
        "mobile_viewport",
        "html_lang",
        "img_alt_ratio",
        "robots_txt",
        "sitemap_xml",
        "soft_404",
        "broken_ratio",
        "broken_home",
        "home_latest",
        "home_age_days",
        "dated_share",
        "columns_stale",
        "board_replied",
        "board_reply_rate",
        "board_reply_median_days",
        "board_reply_p90_days",
        "board_unanswered_max_days",
        "board_overdue",
        "search_form",
        "search_works",
    }
