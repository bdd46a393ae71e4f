"""What the public asks about and how it is answered: letters per topic and month, reply
latency and reply quality per topic, per site and per level group (regional.csv), and the
report's section on it.

Every letter of threads.csv counts (its ``topic``, its ``asked`` month); the latency is the
median ``latency_days`` of the replied letters that show a reply date; the reply-quality shares
are taken over the letters whose reply text is shown (``reply_quality`` not empty), as the
``reply_*_share`` metrics are, but over all letters rather than the board window.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from evalcrawler.reports.data import ReportData, SiteReport
from evalcrawler.reports.regional import _groups_of
from evalcrawler.scoring.letters import percentile
from evalcrawler.scoring.replies import CLASSES
from evalcrawler.scoring.results import ThreadResult
from evalcrawler.scoring.topics import TOPICS

ALL_TOPICS = "all"
SITE_GROUP = "site"
SHARE_MEASURES: dict[str, str] = {
    "substantive": "reply_substantive_share",
    "transfer_only": "reply_transfer_share",
    "template": "reply_template_share",
    "no_answer": "reply_no_answer_share",
}
QUALITY_NAMES_ZH: dict[str, str] = {
    "substantive": "实质答复",
    "transfer_only": "仅转办",
    "template": "模板答复",
    "no_answer": "未答复实质",
}

Row = Callable[..., dict[str, Any]]


@dataclass
class TopicStats:
    """Letters of one topic (or of all topics) of a site or a group."""

    topic: str
    letters: int
    median_days: float | None
    latency_n: int
    texts: int  # letters whose reply text is shown
    shares: dict[str, float | None]  # reply class → share of ``texts``
    examples: dict[str, ThreadResult]  # reply class → the first such letter (with a URL)


def _median(values: Sequence[float]) -> float | None:
    return percentile(sorted(values), 0.5) if values else None


def topic_stats(threads: Sequence[ThreadResult], topic: str = ALL_TOPICS) -> TopicStats:
    chosen = [t for t in threads if topic == ALL_TOPICS or t.topic == topic]
    latencies = [t.latency_days for t in chosen if t.latency_days is not None]
    texts = [t for t in chosen if t.reply_quality]
    shares: dict[str, float | None] = {
        c: (sum(1 for t in texts if t.reply_quality == c) / len(texts) if texts else None)
        for c in CLASSES
    }
    examples: dict[str, ThreadResult] = {}
    for t in texts:
        if t.url and t.reply_quality not in examples:
            examples[t.reply_quality] = t
    return TopicStats(
        topic, len(chosen), _median(latencies), len(latencies), len(texts), shares, examples
    )


def topics_of(threads: Sequence[ThreadResult]) -> list[str]:
    """The topics that occur, in the order of TOPICS (unknown ones after, by name)."""
    present = {t.topic for t in threads if t.topic}
    return [t for t in TOPICS if t in present] + sorted(present - set(TOPICS))


def _month(thread: ThreadResult) -> str | None:
    return thread.asked.strftime("%Y-%m") if thread.asked is not None else None


def _scope_rows(
    row: Row, group: str, site_id: str | None, threads: Sequence[ThreadResult]
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    counts: dict[tuple[str, str], int] = {}
    for t in threads:
        month = _month(t)
        if t.topic and month:
            counts[(t.topic, month)] = counts.get((t.topic, month), 0) + 1
    order = {topic: i for i, topic in enumerate(topics_of(threads))}
    for (topic, month), count in sorted(counts.items(), key=lambda kv: (order[kv[0][0]], kv[0])):
        out = row("topic_month", group, "letters")
        out.update(site_id=site_id, topic=topic, month=month, n=count, value=count)
        rows.append(out)
    for topic in [*topics_of(threads), ALL_TOPICS]:
        stats = topic_stats(threads, topic)
        base = {"site_id": site_id, "topic": topic}
        rows.append(row("topic", group, "letters") | base | {"n": stats.letters})
        rows[-1]["value"] = stats.letters
        if stats.median_days is not None:
            out = row("topic", group, "reply_median_days") | base
            out.update(n=stats.latency_n, value=stats.median_days)
            rows.append(out)
        if stats.texts:
            for quality, measure in SHARE_MEASURES.items():
                out = row("topic", group, measure) | base
                out.update(n=stats.texts, value=stats.shares[quality])
                if quality in stats.examples:
                    out["detail"] = stats.examples[quality].url
                rows.append(out)
    return rows


def letter_rows(data: ReportData, row: Row) -> list[dict[str, Any]]:
    """regional.csv rows of the letters: per site (group ``site``) and per level group."""
    rows: list[dict[str, Any]] = []
    for site in data.sites:
        if site.threads:
            rows += _scope_rows(row, SITE_GROUP, site.site_id, site.threads)
    with_letters = [s for s in data.sites if s.threads]
    for group, members in _groups_of(with_letters) if with_letters else []:
        rows += _scope_rows(row, group, None, [t for s in members for t in s.threads])
    return rows


def report_context(data: ReportData) -> dict[str, Any] | None:
    """The report's section: topics of the whole run (latency and quality per topic, slowest
    first), each site's reply-quality shares with example letters. ``None`` without letters."""
    threads = [t for s in data.sites for t in s.threads]
    if not threads:
        return None
    by_topic = [topic_stats(threads, topic) for topic in topics_of(threads)]
    by_topic.sort(
        key=lambda s: (s.median_days is None, -(s.median_days or 0.0), -s.letters, s.topic)
    )
    sites: list[tuple[SiteReport, TopicStats]] = [
        (s, topic_stats(s.threads)) for s in data.sites if s.threads
    ]
    return {
        "overall": topic_stats(threads),
        "topics": by_topic,
        "sites": sites,
        "classes": list(CLASSES),
        "class_names": QUALITY_NAMES_ZH,
        "has_texts": any(t.reply_quality for t in threads),
    }
