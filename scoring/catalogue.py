"""The metric catalogue: one registered function per metric id of DESIGN.md.

Each function takes the site's :class:`~evalcrawler.scoring.metric_context.MetricContext` and
returns a :class:`~evalcrawler.scoring.results.Measurement`; :mod:`evalcrawler.scoring.metrics`
describes the contract and the decisions where docs/metrics.md leaves room. Importing this
module registers every metric (the registry imports it when first asked).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from datetime import date
from urllib.parse import urlsplit

from evalcrawler.facts import EXTRACTION_ERROR_PREFIX, NOT_SUBMITTED, Probe, calendar_day
from evalcrawler.scoring.letters import REPLIED, UNANSWERED, UNKNOWN, percentile
from evalcrawler.scoring.metric_context import MetricContext
from evalcrawler.scoring.metrics import metric, registered_metrics
from evalcrawler.scoring.replies import NO_ANSWER, SUBSTANTIVE, TEMPLATE, TRANSFER_ONLY
from evalcrawler.scoring.results import METRICS, Measurement, ThreadResult
from evalcrawler.urls import normalise


def _is_2xx(status: int) -> bool:
    return 200 <= status < 300


def _probe_unmeasured(probe: Probe | None, what: str) -> Measurement | None:
    """The not-measured result for a missing, forbidden or unanswered probe, else None."""
    if probe is None:
        return Measurement(None, f"no {what} probe was made")
    if probe.error == "robots":
        return Measurement(None, f"robots.txt forbids {probe.url}", probe.url)
    if not probe.status:
        return Measurement(None, f"no response from {probe.url}: {probe.error or 'unknown'}")
    return None


def _count_evidence(urls: Iterable[str]) -> tuple[int, str | None]:
    count, first = 0, None
    for url in urls:
        if first is None:
            first = url
        count += 1
    return count, first


# --------------------------------------------------------------------------- the metrics


@metric("_example")
def _example(ctx: MetricContext) -> Measurement:
    """The documented no-op that shows the contract (not in the catalogue).

    Return ``Measurement(value, reason=None, evidence_url=...)`` when measured and
    ``Measurement(None, reason)`` when not; never a value that merely looks measured.
    """
    return Measurement(None, "example metric: it measures nothing")


@metric("pages", needs_pages=True)
def _pages(ctx: MetricContext) -> Measurement:
    return Measurement(len(ctx.site_pages), evidence_url=ctx.facts.url)


@metric("home_status")
def _home_status(ctx: MetricContext) -> Measurement:
    home = ctx.home
    if home is not None:
        return Measurement(home.status, evidence_url=home.final_url or home.url)
    # No home page request was stored: robots.txt forbade it (the crawler's reason says so).
    return Measurement(None, ctx.facts.reason or "the home page was not requested")


def _probe_timed_out(ctx: MetricContext, probe: Probe) -> bool:
    # The rubric's timeout applies on re-scoring too: an answer slower than it is a timeout.
    limit_ms = ctx.thresholds.probe_timeout_s * 1000
    return probe.elapsed_ms is not None and probe.elapsed_ms > limit_ms


@metric("home_probes")
def _home_probes(ctx: MetricContext) -> Measurement:
    return Measurement(len(ctx.probes("home")), evidence_url=ctx.facts.url)


@metric("home_probe_failures")
def _home_probe_failures(ctx: MetricContext) -> Measurement:
    probes = ctx.probes("home")
    if not probes:
        return Measurement(None, "no home page probe was made")
    failed = [p for p in probes if p.status == 0 or p.status >= 400 or _probe_timed_out(ctx, p)]
    return Measurement(len(failed), evidence_url=failed[0].url if failed else probes[0].url)


@metric("home_response_ms")
def _home_response_ms(ctx: MetricContext) -> Measurement:
    probes = ctx.probes("home")
    if not probes:
        return Measurement(None, "no home page probe was made")
    times = sorted(
        p.elapsed_ms
        for p in probes
        if p.status and p.elapsed_ms is not None and not _probe_timed_out(ctx, p)
    )
    if not times:
        return Measurement(None, "no home page probe got a response")
    return Measurement(percentile(times, 0.5), evidence_url=probes[0].url)


@metric("https")
def _https(ctx: MetricContext) -> Measurement:
    probe = ctx.probe("https")
    if probe is None:
        return Measurement(None, "no HTTPS probe was made")
    if probe.error == "robots":
        return Measurement(None, f"robots.txt forbids {probe.url}", probe.url)
    if not probe.status or probe.status >= 400:
        return Measurement(False, evidence_url=probe.url)
    tls = next((p.ok for p in ctx.probes("tls") if p.ok is not None), None)
    if tls is None:
        return Measurement(None, "the certificate was not verified", probe.url)
    return Measurement(tls, evidence_url=probe.url)


@metric("https_redirect")
def _https_redirect(ctx: MetricContext) -> Measurement:
    probe = ctx.probe("http_redirect")
    if probe is not None and probe.final_url and probe.final_url.lower().startswith("https://"):
        return Measurement(True, evidence_url=probe.url)
    location = probe.headers.get("location", "") if probe is not None else ""
    if probe is not None and 300 <= probe.status < 400 and location.lower().startswith("https://"):
        # A probe stored without following the chain: its first hop already goes to HTTPS.
        return Measurement(True, evidence_url=probe.url)
    # No response from http://host/ (port 80 closed, a timeout) shows no redirect either way.
    unmeasured = _probe_unmeasured(probe, "http:// redirect")
    if unmeasured is not None:
        return unmeasured
    assert probe is not None
    return Measurement(False, evidence_url=probe.url)


@metric("hsts")
def _hsts(ctx: MetricContext) -> Measurement:
    https = ctx.measure("https")
    probe = ctx.probe("https")
    if https.value is False:
        return Measurement(False, evidence_url=https.evidence_url)
    if probe is None or probe.error == "robots":
        return Measurement(None, https.reason)
    header = probe.headers.get("strict-transport-security", "").strip()
    return Measurement(bool(header), evidence_url=probe.url)


@metric("ipv6")
def _ipv6(ctx: MetricContext) -> Measurement:
    # The resolver's answer wins (an injected resolver may know about any host); without
    # one, an IP-address host has no DNS record to ask about.
    probe = ctx.probe("dns")
    if probe is not None and probe.ok is not None:
        return Measurement(bool(probe.ok), evidence_url=probe.url)
    host = urlsplit(ctx.home_final_url or ctx.facts.url).hostname or ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return Measurement(None, f"the home host {host} is an IP address")
    if probe is None:
        return Measurement(None, "no DNS probe was made")
    reason = probe.detail.get("reason") or probe.error or "DNS could not be asked"
    return Measurement(None, str(reason))


@metric("mobile_viewport", needs_pages=True)
def _mobile_viewport(ctx: MetricContext) -> Measurement:
    if not ctx.home_ok or ctx.home is None:
        return ctx.home_missing()
    content = (ctx.home.viewport or "").lower().replace(" ", "")
    return Measurement("width=device-width" in content, evidence_url=ctx.home.url)


@metric("html_lang", needs_pages=True)
def _html_lang(ctx: MetricContext) -> Measurement:
    if not ctx.home_ok or ctx.home is None:
        return ctx.home_missing()
    return Measurement(bool((ctx.home.lang or "").strip()), evidence_url=ctx.home.url)


@metric("img_alt_ratio", needs_pages=True)
def _img_alt_ratio(ctx: MetricContext) -> Measurement:
    images = with_alt = 0
    worst: tuple[int, str] | None = None
    for page in ctx.site_pages:
        images += page.images
        with_alt += page.images_alt
        missing = page.images - page.images_alt
        if missing > 0 and (worst is None or missing > worst[0]):
            worst = (missing, page.final_url or page.url)
    if not images:
        return Measurement(None, "no image on the fetched pages")
    return Measurement(with_alt / images, evidence_url=worst[1] if worst else None)


def _answers_2xx(ctx: MetricContext, kind: str, what: str) -> Measurement:
    probe = ctx.probe(kind)
    unmeasured = _probe_unmeasured(probe, what)
    if unmeasured is not None:
        return unmeasured
    assert probe is not None
    return Measurement(_is_2xx(probe.status), evidence_url=probe.url)


@metric("robots_txt")
def _robots_txt(ctx: MetricContext) -> Measurement:
    return _answers_2xx(ctx, "robots", "robots.txt")


@metric("sitemap_xml")
def _sitemap_xml(ctx: MetricContext) -> Measurement:
    return _answers_2xx(ctx, "sitemap", "sitemap.xml")


@metric("soft_404")
def _soft_404(ctx: MetricContext) -> Measurement:
    return _answers_2xx(ctx, "soft404", "soft-404")


@metric("links_internal", needs_pages=True)
def _links_internal(ctx: MetricContext) -> Measurement:
    return Measurement(len(ctx.link_targets), evidence_url=ctx.facts.url)


@metric("links_checked", needs_pages=True)
def _links_checked(ctx: MetricContext) -> Measurement:
    return Measurement(len(ctx.checked), evidence_url=ctx.facts.url)


@metric("broken_internal", needs_pages=True)
def _broken_internal(ctx: MetricContext) -> Measurement:
    count, first = _count_evidence(ctx.broken)
    return Measurement(count, evidence_url=first)


@metric("broken_ratio", needs_pages=True)
def _broken_ratio(ctx: MetricContext) -> Measurement:
    if not ctx.checked:
        return Measurement(None, "no internal link target was checked")
    count, first = _count_evidence(ctx.broken)
    return Measurement(count / len(ctx.checked), evidence_url=first)


@metric("broken_home", needs_pages=True)
def _broken_home(ctx: MetricContext) -> Measurement:
    if not ctx.home_ok:
        return ctx.home_missing()
    targets = ctx.home_targets
    fetched = ctx.fetch_status
    if targets and not any(t in fetched for t in targets):
        return Measurement(None, "no link target of the home page was checked")
    count, first = _count_evidence(t for t in ctx.broken if t in targets)
    return Measurement(count, evidence_url=first)


@metric("home_latest", needs_pages=True)
def _home_latest(ctx: MetricContext) -> Measurement:
    if not ctx.home_ok or ctx.home is None:
        return ctx.home_missing()
    home = ctx.home
    dated = [
        (calendar_day(item.date), item) for item in [*home.dated_links, *home.items] if item.date
    ]
    if not dated:
        return Measurement(None, "the home page shows no dated link", home.url)
    # max() keeps the first of equal dates: the evidence is the first link showing the date.
    newest, item = max(dated, key=lambda pair: pair[0])
    return Measurement(newest.isoformat(), evidence_url=item.url or home.url)


@metric("home_age_days", needs_pages=True)
def _home_age_days(ctx: MetricContext) -> Measurement:
    latest = ctx.measure("home_latest")
    if latest.value is None:
        return Measurement(None, latest.reason, latest.evidence_url)
    return Measurement(ctx.age(date.fromisoformat(latest.value)), evidence_url=latest.evidence_url)


@metric("dated_share", needs_pages=True)
def _dated_share(ctx: MetricContext) -> Measurement:
    articles: dict[int, None] = {}
    for src, page in enumerate(ctx.site_pages):
        base = page.final_url or page.url
        for item in [*page.dated_links, *page.items]:
            if item.date is None:
                continue
            key = ctx.abs_key(item.url, base)
            tgt = ctx.page_index.get(key) if key is not None else None
            if tgt is not None and tgt != src and tgt not in ctx.list_pages:
                articles[tgt] = None
    if not articles:
        return Measurement(None, "no article page was fetched")
    undated = [i for i in articles if ctx.site_pages[i].publish_date is None]
    return Measurement(
        (len(articles) - len(undated)) / len(articles),
        evidence_url=ctx.page_url(undated[0]) if undated else None,
    )


@metric("columns", needs_pages=True)
def _columns(ctx: MetricContext) -> Measurement:
    columns = ctx.columns
    return Measurement(len(columns), evidence_url=columns[0].result.url if columns else None)


@metric("columns_stale", needs_pages=True)
def _columns_stale(ctx: MetricContext) -> Measurement:
    if not ctx.columns:
        # Zero stale columns out of zero would read as "all columns fresh".
        return Measurement(None, "no column page was found")
    stale = [c.result.url for c in ctx.columns if c.result.stale]
    return Measurement(len(stale), evidence_url=stale[0] if stale else None)


@metric("columns_blank", needs_pages=True)
def _columns_blank(ctx: MetricContext) -> Measurement:
    blank = ctx.blank_columns
    return Measurement(len(blank), evidence_url=blank[0].result.url if blank else None)


def _board_url(ctx: MetricContext) -> str | None:
    return next((t.url for t in ctx.window_letters if t.url), None)


@metric("board_found", needs_pages=True)
def _board_found(ctx: MetricContext) -> Measurement:
    first = next((letter.result for letter in ctx.letters), None)
    return Measurement(first is not None, evidence_url=first.url if first else None)


@metric("board_threads", needs_pages=True)
def _board_threads(ctx: MetricContext) -> Measurement:
    return Measurement(len(ctx.window_letters), evidence_url=_board_url(ctx))


def _board_unmeasured(ctx: MetricContext) -> Measurement | None:
    """None when the window holds letters with a known state, else why not."""
    window = ctx.window_letters
    if not window:
        days = ctx.thresholds.board_window_days
        return Measurement(None, f"no letter asked in the {days} days before {ctx.as_of}")
    if all(t.state == UNKNOWN for t in window):
        return Measurement(None, "the board shows neither reply dates nor reply states")
    return None


@metric("board_replied", needs_pages=True)
def _board_replied(ctx: MetricContext) -> Measurement:
    unmeasured = _board_unmeasured(ctx)
    if unmeasured is not None:
        return unmeasured
    replied = sum(1 for t in ctx.window_letters if t.state == REPLIED)
    return Measurement(replied, evidence_url=_board_url(ctx))


@metric("board_reply_rate", needs_pages=True)
def _board_reply_rate(ctx: MetricContext) -> Measurement:
    unmeasured = _board_unmeasured(ctx)
    if unmeasured is not None:
        return unmeasured
    replied = sum(1 for t in ctx.window_letters if t.state == REPLIED)
    return Measurement(replied / len(ctx.window_letters), evidence_url=_board_url(ctx))


def _latencies(ctx: MetricContext) -> list[float]:
    return sorted(t.latency_days for t in ctx.window_letters if t.latency_days is not None)


def _undated_note(ctx: MetricContext, what: str) -> str | None:
    """The note on a latency metric when replied letters show no reply date (办理完毕 and an
    empty 处理时间): they count as replied, their latency is unknown."""
    replied = [t for t in ctx.window_letters if t.state == REPLIED]
    undated = sum(1 for t in replied if t.replied is None)
    if not undated:
        return None
    return f"{undated} of {len(replied)} replied letters show no reply date: {what}"


def _latency_metric(ctx: MetricContext, q: float) -> Measurement:
    values = _latencies(ctx)
    note = _undated_note(ctx, "latency unknown, left out")
    if not values:
        return Measurement(None, note or "no replied letter with a reply date in the window")
    return Measurement(percentile(values, q), note, _board_url(ctx))


@metric("board_reply_median_days", needs_pages=True)
def _board_reply_median_days(ctx: MetricContext) -> Measurement:
    return _latency_metric(ctx, 0.5)


@metric("board_reply_p90_days", needs_pages=True)
def _board_reply_p90_days(ctx: MetricContext) -> Measurement:
    return _latency_metric(ctx, 0.9)


@metric("board_unanswered_max_days", needs_pages=True)
def _board_unanswered_max_days(ctx: MetricContext) -> Measurement:
    unmeasured = _board_unmeasured(ctx)
    if unmeasured is not None:
        return unmeasured
    ages = [
        (ctx.age(t.asked), t.url)
        for t in ctx.window_letters
        if t.state == UNANSWERED and t.asked is not None
    ]
    if not ages:
        return Measurement(0, evidence_url=_board_url(ctx))
    oldest, url = max(ages, key=lambda pair: pair[0])
    return Measurement(oldest, evidence_url=url)


@metric("board_overdue", needs_pages=True)
def _board_overdue(ctx: MetricContext) -> Measurement:
    unmeasured = _board_unmeasured(ctx)
    if unmeasured is not None:
        return unmeasured
    overdue = [t for t in ctx.window_letters if t.overdue]
    return Measurement(
        len(overdue),
        _undated_note(ctx, "latency unknown, not counted as overdue"),
        next((t.url for t in overdue if t.url), _board_url(ctx)),
    )


def _with_reply_text(ctx: MetricContext) -> list[ThreadResult]:
    """Letters of the window whose reply text the board shows (and that was classified)."""
    return [t for t in ctx.window_letters if t.reply_quality]


@metric("reply_texts", needs_pages=True)
def _reply_texts(ctx: MetricContext) -> Measurement:
    if not ctx.window_letters:
        days = ctx.thresholds.board_window_days
        return Measurement(None, f"no letter asked in the {days} days before {ctx.as_of}")
    texts = _with_reply_text(ctx)
    return Measurement(len(texts), evidence_url=next((t.url for t in texts if t.url), None))


def _reply_share(ctx: MetricContext, quality: str) -> Measurement:
    texts = _with_reply_text(ctx)
    if not texts:
        days = ctx.thresholds.board_window_days
        return Measurement(
            None, f"no letter asked in the {days} days before {ctx.as_of} shows its reply text"
        )
    of_class = [t for t in texts if t.reply_quality == quality]
    example = next((t.url for t in of_class if t.url), None)
    return Measurement(len(of_class) / len(texts), evidence_url=example)


@metric("reply_substantive_share", needs_pages=True)
def _reply_substantive_share(ctx: MetricContext) -> Measurement:
    return _reply_share(ctx, SUBSTANTIVE)


@metric("reply_transfer_share", needs_pages=True)
def _reply_transfer_share(ctx: MetricContext) -> Measurement:
    return _reply_share(ctx, TRANSFER_ONLY)


@metric("reply_template_share", needs_pages=True)
def _reply_template_share(ctx: MetricContext) -> Measurement:
    return _reply_share(ctx, TEMPLATE)


@metric("reply_no_answer_share", needs_pages=True)
def _reply_no_answer_share(ctx: MetricContext) -> Measurement:
    return _reply_share(ctx, NO_ANSWER)


@metric("search_form", needs_pages=True)
def _search_form(ctx: MetricContext) -> Measurement:
    if not ctx.home_ok or ctx.home is None:
        return ctx.home_missing()
    form = next((f for f in ctx.home.forms if f.search), None)
    return Measurement(form is not None, evidence_url=form.action if form else ctx.home.url)


@metric("search_works", needs_pages=True)
def _search_works(ctx: MetricContext) -> Measurement:
    form = ctx.measure("search_form")
    if form.value is None:
        return Measurement(None, form.reason)
    if form.value is False:
        return Measurement(None, "the home page has no search form")
    probes = ctx.probes("search")
    if not probes:
        return Measurement(None, "the search form was not submitted", form.evidence_url)
    skipped = [p for p in probes if (p.error or "").startswith(NOT_SUBMITTED)]
    if skipped:
        return Measurement(None, str(skipped[0].error), form.evidence_url)
    made = [p for p in probes if p.error != "robots"]
    if not made:
        return Measurement(None, f"robots.txt forbids the search URL {probes[0].url}")
    home_links = {normalise(link.url) for link in ctx.home.links} if ctx.home else set()
    for probe in made:
        if not _is_2xx(probe.status):
            continue
        query = str(probe.detail.get("query") or ctx.thresholds.search_query)
        for link in probe.detail.get("links") or []:
            url, text = str(link.get("url") or ""), str(link.get("text") or "")
            key = ctx.key(url)
            if key is not None and query in text and key not in home_links:
                return Measurement(True, evidence_url=probe.final_url or probe.url)
    unread = [p for p in made if (p.error or "").startswith(EXTRACTION_ERROR_PREFIX)]
    if unread:
        # The result page came but was not read (the extraction's time limit): no verdict.
        return Measurement(
            None, f"the search result page was not read ({unread[0].error})", unread[0].url
        )
    return Measurement(False, evidence_url=made[0].final_url or made[0].url)


_missing = [name for name in METRICS if name not in registered_metrics()]
if _missing:  # pragma: no cover - a programming error, caught at import and by the tests
    raise RuntimeError(f"catalogue metrics without an implementation: {', '.join(_missing)}")
