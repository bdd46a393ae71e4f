"""Letters (信件) of a site's message boards: merged, with their state, latency and whether
they are overdue.

The feedback metrics (``board_*``) and the rows of threads.csv come from here (docs/metrics.md
"Letter (thread)"); :func:`latency_days` is the one definition of reply latency.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from evalcrawler.facts import Thread, calendar_day
from evalcrawler.scoring.replies import classify_site_replies
from evalcrawler.scoring.results import ThreadResult
from evalcrawler.scoring.topics import classify_topic

if TYPE_CHECKING:
    from evalcrawler.scoring.metric_context import MetricContext

REPLIED = "replied"
UNANSWERED = "unanswered"
UNKNOWN = "unknown"


def latency_days(asked: date, replied: date) -> float:
    """Days from a letter's question to its reply.

    Fractional when both are datetimes (seconds / 86,400); whole days between the calendar
    dates when either is a plain date, because a date without a time cannot give more.
    """
    if isinstance(asked, datetime) and isinstance(replied, datetime):
        if (asked.tzinfo is None) != (replied.tzinfo is None):
            # One side aware, one naive: both are wall-clock times of the same board.
            asked, replied = asked.replace(tzinfo=None), replied.replace(tzinfo=None)
        return (replied - asked).total_seconds() / 86400
    return float((calendar_day(replied) - calendar_day(asked)).days)


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0–1) with linear interpolation, as numpy's default method.

    ``values`` must be sorted and non-empty. Same result as
    ``statistics.quantiles(values, n=…, method="inclusive")`` where that is defined.
    """
    if not values:
        raise ValueError("percentile of no values")
    h = (len(values) - 1) * q
    lo = math.floor(h)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (h - lo) * (values[hi] - values[lo])


@dataclass
class Letter:
    """One letter of the site: its row of threads.csv, and whether it was asked within the
    board window before the as-of date."""

    result: ThreadResult
    in_window: bool


def site_letters(ctx: MetricContext) -> list[Letter]:
    """The site's letters, deduplicated, with their state, latency and overdue flag.

    Rows of list pages and detail pages are merged by URL, the detail page winning; rows
    without a URL are merged by (title, asked). A record that shows no asked date is not a
    letter (docs/metrics.md: a letter shows when it was asked).
    """
    groups: dict[Any, tuple[list[Thread], list[Thread]]] = {}
    for page in ctx.site_pages:
        base = page.final_url or page.url
        for thread in page.threads:
            key = ctx.abs_key(thread.url, base) if thread.url else None
            if key is not None:
                ident: Any = ("url", key)
            elif thread.url:
                ident = ("url", thread.url)  # an off-site detail URL: still one letter
            else:
                ident = ("title", thread.title.strip(), thread.asked)
            rows, details = groups.setdefault(ident, ([], []))
            (details if thread.source == "detail" else rows).append(thread)
    merged: list[tuple[Thread, date]] = []
    for rows, details in groups.values():
        letter = _fold(rows)
        detail = _fold(details)
        if letter is None:
            letter = detail
        elif detail is not None:
            letter = _merge(letter, detail)
        if letter is not None and letter.asked is not None:
            merged.append((letter, letter.asked))
    # "With neither [reply date nor status] it is unanswered when the board shows reply
    # dates for other letters"; the site's letters are taken as one board.
    board_shows_replies = any(t.replied is not None for t, _ in merged)
    window_start = ctx.as_of - timedelta(days=ctx.thresholds.board_window_days)
    overdue_days = ctx.thresholds.overdue_days
    out: list[Letter] = []
    for t, asked in merged:
        if t.replied is not None:
            state = REPLIED
        elif t.state in (REPLIED, UNANSWERED):
            state = t.state
        else:
            state = UNANSWERED if board_shows_replies else UNKNOWN
        latency = latency_days(asked, t.replied) if t.replied is not None else None
        if latency is not None and latency < 0:
            # A reply before its question is a misread date, not a measurement.
            latency = None
        overdue = (latency is not None and latency > overdue_days) or (
            state == UNANSWERED and ctx.age(asked) > overdue_days
        )
        result = ThreadResult(
            url=t.url,
            title=t.title,
            asked=asked,
            replied=t.replied,
            latency_days=latency,
            overdue=overdue,
            state=state,
        )
        out.append(Letter(result, window_start <= calendar_day(asked) <= ctx.as_of))
    classify_letters([t for t, _ in merged], [letter.result for letter in out])
    return out


def classify_letters(threads: Sequence[Thread], results: Sequence[ThreadResult]) -> None:
    """Give every letter its reply quality and topic (docs/replies.md), in place.

    The replies are classified together, one site at a time, so that a text pasted as the
    reply to many letters of the site is found (``template``). A letter whose reply text is not
    shown keeps an empty class: that is not a reply without an answer. The topic is read from
    the title and, when the detail page shows it, the letter's text.
    """
    with_reply = [i for i, t in enumerate(threads) if t.reply.strip()]
    classes = classify_site_replies(
        [threads[i].reply for i in with_reply], [threads[i].question for i in with_reply]
    )
    for i, (quality, reason) in zip(with_reply, classes, strict=True):
        results[i].reply_quality = quality
        results[i].reply_quality_reason = reason
    for thread, result in zip(threads, results, strict=True):
        if thread.title.strip() or thread.question.strip():
            result.topic = classify_topic(thread.title, thread.question or None).topic


def _fold(threads: list[Thread]) -> Thread | None:
    """Merge records of one letter from the same source: the first wins, later ones fill gaps."""
    if not threads:
        return None
    result = threads[0]
    for later in threads[1:]:
        result = _merge(later, result)
    return result


def _merge(base: Thread, over: Thread) -> Thread:
    """``over``'s facts win; ``base`` fills what ``over`` does not show."""
    replied: date | None
    if over.replied is not None:
        replied, state = over.replied, REPLIED
    elif over.state in (REPLIED, UNANSWERED):
        # An explicit status wins; a reply date is kept only if it agrees with it.
        state = over.state
        replied = base.replied if state == REPLIED else None
    else:
        replied, state = base.replied, base.state
    return Thread(
        title=over.title or base.title,
        url=over.url or base.url,
        asked=over.asked if over.asked is not None else base.asked,
        replied=replied,
        state=state,
        source=over.source,
        question=over.question or base.question,
        reply=over.reply or base.reply,
    )
