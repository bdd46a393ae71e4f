"""Letters of message boards and leaders' mailboxes (留言板, 领导信箱, 网上咨询).

A government board shows each letter with when it was asked and, once answered, when it was
replied to. The feedback metrics (reply rate, latency, overdue letters) are computed from these
:class:`~evalcrawler.facts.Thread` facts; ``docs/metrics.md`` ("Letter (thread)") defines what
is read:

* list pages: a table whose header row names an asked column (来信时间, 留言时间 …) and, where
  present, a reply column (回复时间 …) and a status column (状态 …); one letter per data row;
* list pages that label the times in every row instead (``<li>… 留言时间：… 回复时间：…</li>``);
* detail pages: the labels 留言时间 … 回复时间 followed by a date.

A time of day is kept when the page shows one (``datetime``), else the date; the reply latency
is computed by the metric code (``evalcrawler.scoring.letters.latency_days``).
"""

from __future__ import annotations

import re
from datetime import date
from itertools import islice
from typing import Any

from lxml import etree

from evalcrawler.facts import Thread
from evalcrawler.spiders import dates
from evalcrawler.spiders.hrefs import absolute_url

ASKED_LABELS = ("来信时间", "留言时间", "提问时间", "咨询时间", "来信日期", "留言日期", "提交时间")
REPLY_LABELS = ("回复时间", "答复时间", "办理时间", "回复日期", "答复日期")
STATUS_LABELS = ("办理状态", "回复状态", "状态")
REPLIED_WORDS = ("已回复", "已答复", "已办结")
UNANSWERED_WORDS = ("未回复", "未答复", "办理中", "待回复", "处理中")
TITLE_LABELS = ("标题", "主题", "信件标题", "留言标题", "来信标题", "咨询标题", "事项")

# A header cell is a short label; a longer cell that mentions 留言时间 is content.
_HEADER_CELL_MAX = 12
_SKIP = frozenset({"script", "style", "noscript", "template", "select"})
_BLOCKISH = frozenset({"div", "p", "td", "th", "tr", "li", "br", "dd", "dt", "h1", "h2", "h3"})
_ROW_TAGS = ("li", "tr", "dl", "dd", "div", "p")
_ASKED_RE = re.compile("|".join(ASKED_LABELS))
_REPLY_RE = re.compile("|".join(REPLY_LABELS))
_STATUS_RE = re.compile("|".join(STATUS_LABELS))
_GAP = " \t\n\r:：\xa0\u3000[]【】"
# What one cell or link of a letter row is read for: its date, status or title is short; cells
# can hold whole tables, and rows many links, which an outer table must not read again.
_CELL_READ = 2_000
_ROW_LINKS_READ = 50


def status_state(text: str) -> str | None:
    """``replied`` / ``unanswered`` from a status word (已回复, 办理中 …), else ``None``."""
    flat = "".join(text.split())
    for word in UNANSWERED_WORDS:  # first: "未回复" must not read as a reply
        if word in flat:
            return "unanswered"
    for word in REPLIED_WORDS:
        if word in flat:
            return "replied"
    return None


def text_of(el: Any, limit: int | None = None) -> str:
    """Visible text of an element, whitespace collapsed, scripts and comments left out; read
    no further than about ``limit`` characters when one is given (a cell, a link: elements
    nest, and an outer one must not read all of what it holds)."""
    parts: list[str] = []
    size = 0
    walker = etree.iterwalk(el, events=("start", "end"))
    for event, node in walker:
        if limit is not None:
            size += len(node.text or "") + len(node.tail or "") + 1
            if size > limit:
                break
        tag = node.tag
        if not isinstance(tag, str):
            continue
        if event == "start":
            if tag in _SKIP and node is not el:
                walker.skip_subtree()
                if node.tail:
                    parts.append(node.tail)
                continue
            if tag in _BLOCKISH:
                parts.append(" ")
            if node.text:
                parts.append(node.text)
        else:
            if tag in _BLOCKISH:
                parts.append(" ")
            if node.tail and node is not el:
                parts.append(node.tail)
    return " ".join("".join(parts).split())


def _absolute(base: str, href: str | None) -> str | None:
    # The extractor's resolver, so a letter's URL equals the page's link to it.
    return absolute_url(base, href)


def _title_link(el: Any, base: str) -> tuple[str, str | None]:
    """The row's letter link: its longest-text link (the subject, not 查看 or a department)."""
    best_text, best_url = "", None
    for a in islice(el.iter("a"), _ROW_LINKS_READ):
        url = _absolute(base, a.get("href"))
        if url is None:
            continue
        label = text_of(a, _CELL_READ) or (a.get("title") or "").strip()
        if best_url is None or len(label) > len(best_text):
            best_text, best_url = label, url
    return best_text, best_url


def _rows(table: Any) -> list[Any]:
    return table.xpath("./tr | ./thead/tr | ./tbody/tr | ./tfoot/tr")


def _cells(row: Any) -> list[Any]:
    cells: list[Any] = []
    for cell in row:
        if cell.tag not in ("td", "th"):
            continue
        try:
            span = max(1, min(int(cell.get("colspan") or 1), 20))
        except ValueError:
            span = 1
        cells.extend([cell] * span)
    return cells


def _header_roles(row: Any) -> dict[str, int]:
    roles: dict[str, int] = {}
    for i, cell in enumerate(_cells(row)):
        label = "".join(text_of(cell, _CELL_READ).split())
        if not label or len(label) > _HEADER_CELL_MAX:
            continue
        if "asked" not in roles and any(x in label for x in ASKED_LABELS):
            roles["asked"] = i
        elif "replied" not in roles and any(x in label for x in REPLY_LABELS):
            roles["replied"] = i
        elif "status" not in roles and any(x in label for x in STATUS_LABELS):
            roles["status"] = i
        elif "title" not in roles and label in TITLE_LABELS:
            roles["title"] = i
    return roles


def _table_threads(tree: Any, base: str, fetched: date) -> list[Thread]:
    out: list[Thread] = []
    for table in tree.iter("table"):
        rows = _rows(table)
        header_at, roles = -1, {}
        for i, row in enumerate(rows[:3]):
            roles = _header_roles(row)
            if "asked" in roles:
                header_at = i
                break
        if header_at < 0:
            continue
        letters: list[Thread] = []
        reply_dates_shown = False
        for row in rows[header_at + 1 :]:
            cells = _cells(row)
            if len(cells) <= roles["asked"]:
                continue
            asked = dates.parse_when(text_of(cells[roles["asked"]], _CELL_READ), fetched)
            if asked is None:
                continue
            replied = None
            if "replied" in roles and len(cells) > roles["replied"]:
                replied = dates.parse_when(text_of(cells[roles["replied"]], _CELL_READ), fetched)
            status = None
            if "status" in roles and len(cells) > roles["status"]:
                status = status_state(text_of(cells[roles["status"]], _CELL_READ))
            title, url = _title_link(row, base)
            if not title and "title" in roles and len(cells) > roles["title"]:
                title = text_of(cells[roles["title"]], _CELL_READ)
            if replied is not None:
                reply_dates_shown = True
                state = "replied"
            else:
                state = status or "unknown"
            letters.append(Thread(title=title, url=url, asked=asked, replied=replied, state=state))
        if reply_dates_shown:
            # The board shows reply dates: a letter without one (and without a status) is open.
            for letter in letters:
                if letter.state == "unknown":
                    letter.state = "unanswered"
        out.extend(letters)
    return out


def _labelled(text: str, pattern: re.Pattern[str], fetched: date) -> tuple[bool, date | None]:
    """(label shown, the date right after the first label that has one)."""
    shown = False
    for m in pattern.finditer(text):
        shown = True
        rest = text[m.end() : m.end() + 48]
        gap = len(rest) - len(rest.lstrip(_GAP))
        if gap > 8:
            continue
        hits = dates.scan(rest[gap:])
        if hits and hits[0].start == 0:
            value = dates.hit_when(hits[0], fetched)
            if value is not None:
                return True, value
    return shown, None


def _labelled_status(text: str) -> str | None:
    for m in _STATUS_RE.finditer(text):
        state = status_state(text[m.end() : m.end() + 12])
        if state:
            return state
    return None


def _thread_from_text(
    text: str, fetched: date, title: str, url: str | None, source: str
) -> Thread | None:
    _, asked = _labelled(text, _ASKED_RE, fetched)
    if asked is None:
        return None
    # An empty reply label alone does not say the letter is open: only a status word does.
    _, replied = _labelled(text, _REPLY_RE, fetched)
    state = "replied" if replied is not None else (_labelled_status(text) or "unknown")
    return Thread(title=title, url=url, asked=asked, replied=replied, state=state, source=source)


def _labelled_rows(tree: Any, base: str, fetched: date) -> list[Thread]:
    """Rows that carry their own time labels: each label's nearest row-like ancestor that holds
    a link is one letter."""
    rows: dict[Any, None] = {}  # in document order
    linked: set[Any] = set()  # the elements that hold a link
    for a in tree.iter("a"):
        node = a
        while node is not None and node not in linked:
            linked.add(node)
            node = node.getparent()
    for node in tree.iter():
        if not isinstance(node.tag, str) or node.tag in _SKIP:
            continue
        for chunk, holder in ((node.text, node), (node.tail, node.getparent())):
            if not chunk or holder is None or not _ASKED_RE.search(chunk):
                continue
            row = holder
            for _ in range(6):
                if row is None:
                    break
                if row.tag in _ROW_TAGS and row in linked:
                    break
                row = row.getparent()
            if row is not None and row.tag in _ROW_TAGS:
                rows.setdefault(row)
    if len(rows) < 2:
        return []
    # Keep the innermost rows: an outer div holding several letters is not a letter. Each
    # element is climbed over once: a climb stops where an earlier one passed.
    outer: set[Any] = set()
    climbed: set[Any] = set()
    for row in rows:
        node = row.getparent()
        while node is not None and node not in climbed:
            climbed.add(node)
            if node in rows:
                outer.add(node)
            node = node.getparent()
        if node is not None and node in rows:
            outer.add(node)
    inner = [r for r in rows if r not in outer]
    out = []
    for row in inner:
        title, url = _title_link(row, base)
        thread = _thread_from_text(text_of(row), fetched, title, url, "list")
        if thread is not None:
            out.append(thread)
    if any(t.replied is not None for t in out):
        for t in out:
            if t.state == "unknown":
                t.state = "unanswered"
    return out


def _detail_title(tree: Any) -> str:
    for tag in ("h1", "h2", "h3"):
        for el in tree.iter(tag):
            text = text_of(el)
            if text:
                return text
    title = next(tree.iter("title"), None)
    return text_of(title) if title is not None else ""


def extract_threads(
    tree: Any, url: str, fetched: date, *, text: str | None = None, base: str | None = None
) -> list[Thread]:
    """Letters shown on a page: rows of a board list, or the letter of a detail page.

    ``tree`` is the parsed page (lxml), ``url`` the page URL (a detail page's letter URL),
    ``fetched`` the fetch date (times after it are not read), ``base`` the URL links are
    resolved against (``<base href>``; default ``url``). ``text`` is the page's visible text
    when the caller has it already.
    """
    if tree is None:
        return []
    base = base or url
    if text is None:
        body = next(tree.iter("body"), None)
        text = text_of(body if body is not None else tree)
    if not _ASKED_RE.search(text):
        return []  # every kind of letter shows an asked label: most pages stop here
    threads = _table_threads(tree, base, fetched)
    if threads:
        return threads
    if len(_ASKED_RE.findall(text)) >= 2:
        threads = _labelled_rows(tree, base, fetched)
        if threads:
            return threads
    thread = _thread_from_text(text, fetched, _detail_title(tree), url, "detail")
    return [thread] if thread is not None else []
