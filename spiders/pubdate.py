"""The publish date of a page (docs/metrics.md, "Publish date"): the page's own date.

In order: a ``<meta>`` publish date, a labelled date in the shown text (:func:`label_date`), the
date of the article's info line (:func:`dateline_date`), and last htmldate's guess
(:func:`htmldate_guess`). A date the page shows for something else is not its publish date:
a footer's or a statement's date, a build stamp in a ``<meta>``, a date in the page's URL only,
a certificate's 发证日期, the dates of a data table's rows. So htmldate's guess counts only when
the page shows it as its own (:func:`shown_as_own`).

Every function reads the text the extractor gives it (comments, footers and dated list rows
left out) or the walk's pieces: no second parse, linear in the page.
"""

from __future__ import annotations

import logging
import re
import warnings
from datetime import date
from typing import Any

from evalcrawler.spiders import dates
from evalcrawler.spiders.boards import ASKED_LABELS, REPLY_LABELS
from evalcrawler.spiders.walk import FOOTER, HARD, P_COMMENT, Walk, short_text

log = logging.getLogger(__name__)

PUBDATE_METAS = ("pubdate", "publishdate", "article:published_time", "dc.date")

_LABEL_STRONG = re.compile(r"发布时间|发布日期|发文日期")
_LABEL_UPDATE = re.compile(r"更新时间")
# The generic labels count only on their own: 成文日期, 会议时间 or 来信时间 are other dates.
_LABEL_WEAK = re.compile(r"(?<![\u3400-\u9fff])(?:日期|时间)")
_LABEL_GAP = " \t\n\r:：\x1e\xa0\u3000[]【】"
_DATELINE = re.compile(r"来源")
_DATELINE_REACH = 50

# A label just before a date: the Chinese words that end in 日期/时间/期/日, then a colon.
_LABEL_BEFORE = re.compile(r"([\u3400-\u9fff]{1,8})\s*[:：]?\s*$")
_OWN_LONG = ("发布时间", "发布日期", "发文日期", "更新时间")
_OTHER_LABEL_ENDS = ("日期", "时间", "有效期", "期限", "截止")
# A table or list whose rows show dates this many times is a data table: its dates are rows'.
_DATA_ROWS = 3
_ROWS_READ = 50  # rows of one table read to decide it
_ROW_TEXT = 300  # characters of one row read


def meta_date(meta: dict[str, str], fetched: date) -> tuple[date | None, str]:
    """The first publish-date ``<meta>`` that holds a date, and its name."""
    for key in PUBDATE_METAS:
        if key in meta:
            value = dates.parse_date(meta[key], fetched)
            if value is not None:
                return value, f"meta:{key}"
    return None, ""


def label_date(text: str, fetched: date) -> date | None:
    """A date right after a publish label (发布时间 …, then 更新时间, then a bare 日期/时间).

    The bare labels also name other things (``时间：`` in each box of a column of interviews):
    when they label several different dates, none of them is the page's."""
    for pattern in (_LABEL_STRONG, _LABEL_UPDATE, _LABEL_WEAK):
        found: list[date] = []
        for m in pattern.finditer(text):
            value = _date_after(text, m.end(), fetched)
            if value is not None:
                if pattern is not _LABEL_WEAK:
                    return value
                found.append(value)
        if found and len(set(found)) == 1:
            return found[0]
    return None


def _date_after(text: str, at: int, fetched: date) -> date | None:
    rest = text[at : at + 60]
    gap = len(rest) - len(rest.lstrip(_LABEL_GAP))
    if gap > 12:
        return None
    for hit in dates.scan(rest[gap:], month_day=False):
        if hit.start > 0:
            return None
        value = hit.to_date()
        return value if value is not None and value <= fetched else None
    return None


def dateline_date(text: str, fetched: date) -> date | None:
    """The date of an article's info line: ``2014-10-10 23:05 来源： 新华社``."""
    for m in _DATELINE.finditer(text):
        before = text[max(0, m.start() - _DATELINE_REACH) : m.start()]
        for hit in reversed(dates.scan(before, month_day=False)):
            value = hit.to_date()
            if value is not None and value <= fetched:
                return value
        after = text[m.end() : m.end() + _DATELINE_REACH]
        for hit in dates.scan(after, month_day=False):
            value = hit.to_date()
            if value is not None and value <= fetched:
                return value
    return None


def htmldate_guess(root: Any, url: str, fetched: date) -> date | None:
    """What htmldate finds for the page (its original date), or ``None``."""
    try:
        from htmldate import find_date
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    try:
        with warnings.catch_warnings():
            # htmldate and its parsers warn about odd inputs; pytest runs with warnings as errors
            # and a warning about a scraped page is not a defect of ours.
            warnings.simplefilter("ignore")
            found = find_date(
                root,
                url=url,
                original_date=True,
                extensive_search=False,
                outputformat="%Y-%m-%d",
                max_date=fetched.isoformat(),
            )
    except Exception:  # htmldate raises on inputs it cannot handle; the fallback is optional
        log.debug("htmldate failed on %s", url, exc_info=True)
        return None
    if not found:
        return None
    try:
        value = date.fromisoformat(found)
    except ValueError:
        return None
    return value if value <= fetched else None


def shown_as_own(w: Walk, skip: bytearray, value: date) -> bool:
    """The page shows ``value`` as a full date of its own: in its shown text (not in a comment,
    a footer or a dated list row: ``skip`` marks the pieces of those), not right after the label
    of another date (发证日期, 有效期, 会议时间), and not in a row of a data table (a table or
    list whose rows show dates)."""
    pieces = w.pieces
    run: list[int] = []
    for i, (text, _link, _sid, flags) in enumerate(pieces):
        if text == HARD or flags & (P_COMMENT | FOOTER) or skip[i]:
            if run and _run_shows(w, run, value):
                return True
            run = []
            continue
        run.append(i)
    return bool(run) and _run_shows(w, run, value)


def _run_shows(w: Walk, run: list[int], value: date) -> bool:
    pieces = w.pieces
    starts: list[int] = []
    parts: list[str] = []
    size = 0
    for i in run:
        starts.append(size)
        parts.append(pieces[i][0])
        size += len(pieces[i][0])
    text = "".join(parts)
    if str(value.year) not in text:
        return False
    for hit in dates.scan(text, month_day=False):
        if hit.to_date() != value or _other_label(text[: hit.start]):
            continue
        at = run[max(k for k, s in enumerate(starts) if s <= hit.start)]
        if not _data_row(w, pieces[at][2]):
            return True
    return False


def _other_label(before: str) -> bool:
    """The text before a date ends with the label of another date (发证日期：, 有效期：)."""
    m = _LABEL_BEFORE.search(before[-16:])
    if m is None:
        return False
    word = m.group(1)
    # A letter's page is dated by the letter (来信时间, 回复时间): those are its own dates.
    if word in ("日期", "时间") or word.endswith(_OWN_LONG + ASKED_LABELS + REPLY_LABELS):
        return False
    return word.endswith(_OTHER_LABEL_ENDS)


def _data_row(w: Walk, sid: int) -> bool:
    """The piece's structure is a row (``tr``, ``li``, ``dd``) among rows that show dates."""
    el = w.structs[sid] if 0 < sid < len(w.structs) else None
    if el is None or el.tag not in ("tr", "li", "dd", "dt"):
        return False
    parent = el.getparent()
    if parent is None:
        return False
    dated = 0
    for n, row in enumerate(parent):
        if n >= _ROWS_READ:
            break
        if row.tag != el.tag:
            continue
        text, _whole = short_text(row, _ROW_TEXT)
        if dates.scan(text, month_day=False):
            dated += 1
            if dated >= _DATA_ROWS:
                return True
    return False
