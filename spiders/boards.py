"""Letters of message boards and leaders' mailboxes (留言板, 领导信箱, 网上咨询, 12345).

A government board shows each letter with when it was asked and, once answered, when it was
replied to or that it is done. The feedback metrics (reply rate, latency, overdue letters) are
computed from these :class:`~evalcrawler.facts.Thread` facts; ``docs/metrics.md`` ("Letter
(thread)") defines what is read, with the vocabularies of :mod:`evalcrawler.spiders.boardwords`:

* list tables whose header row names the columns (来信时间, 回复时间, 状态 …): one letter per
  data row;
* list rows without labels (``ul > li`` or table rows with a title link, a state cell such as
  ``办理完毕`` and one date cell), on a board page;
* list rows that label their own times (``<li>… 留言时间：… 回复时间：…</li>``);
* detail pages: labelled fields (:mod:`evalcrawler.spiders.boardfields`) — the times, the
  state, the subject, the letter's text and the reply's text.

Only a labelled date or a list row's date cell (a cell that shows a date and nothing else) is a
letter's date: a date inside a title or a letter's text (``11月14日``, ``2024年3月5日来电``)
never is. A time of day is kept when the page shows one (``datetime``), else the date; the
reply latency is computed by the metric code (``evalcrawler.scoring.letters.latency_days``).
"""

from __future__ import annotations

import re
from datetime import date
from itertools import islice
from typing import Any

from evalcrawler.facts import Thread, calendar_day
from evalcrawler.spiders import dates
from evalcrawler.spiders.boardfields import (
    SKIP,
    Field,
    block_value,
    inside,
    read_fields,
    short_value,
    text_of,
)
from evalcrawler.spiders.boardwords import (
    ACCEPTED_LABELS,
    ASKED_LABELS,
    DATE_COLUMNS,
    OUTCOME_LABELS,
    REPLIED_WORDS,
    REPLY_LABELS,
    STATE_LABELS,
    TITLE_COLUMNS,
    UNANSWERED_WORDS,
    is_board_title,
    state_cell,
    status_state,
)
from evalcrawler.spiders.hrefs import absolute_url
from evalcrawler.spiders.text import clean

__all__ = ["extract_threads", "status_state", "text_of"]

# A header cell is a short label; a longer cell that mentions 留言时间 is content.
_HEADER_CELL_MAX = 12
_ROW_TAGS = ("li", "tr", "dl", "dd", "div", "p")
# What one cell or link of a letter row is read for: its date, status or title is short; cells
# can hold whole tables, and rows many links, which an outer table must not read again.
_CELL_READ = 2_000
_ROW_LINKS_READ = 50
_STATE_VALUE_MAX = 16  # a state shown as a field's value (处理情况：办理完毕) is short
_DATE_CELL_MAX = 32  # a date cell: 2019-11-14 10:20:33, [2019-11-14], 11-14
_TITLE_MAX = 300
_TRIM = " \t\n\r\xa0\u3000[]【】()（）"
_TIME_REST = re.compile(r"[\d:：\s.]*")
_HINT = re.compile("|".join(ASKED_LABELS + ACCEPTED_LABELS + REPLIED_WORDS + UNANSWERED_WORDS))


# ------------------------------------------------------------------------------- dates


def leading_when(text: str, fetched: date) -> date | None:
    """The date (or datetime) a labelled value starts with; ``None`` when it starts with
    anything else (``暂无``, an empty value, a sentence that mentions a date later)."""
    value = text.strip(_TRIM)[:64]
    hits = dates.scan(value)
    if not hits or hits[0].start != 0:
        return None
    return dates.hit_when(hits[0], fetched)


def cell_when(text: str, fetched: date) -> date | None:
    """The date of a list cell that shows a date and nothing else (a time may follow)."""
    value = text.strip(_TRIM)
    if not value or len(value) > _DATE_CELL_MAX:
        return None
    hits = dates.scan(value)
    if not hits or hits[0].start != 0:
        return None
    if not _TIME_REST.fullmatch(value[hits[0].end :]):
        return None
    return dates.hit_when(hits[0], fetched)


# ------------------------------------------------------------------------------- links


def _title_link(el: Any, base: str) -> tuple[str, str | None]:
    """The row's letter link: its longest-text link (the subject, not 查看 or a department)."""
    best_text, best_url = "", None
    for a in islice(el.iter("a"), _ROW_LINKS_READ):
        url = absolute_url(base, a.get("href"))
        if url is None:
            continue
        label = text_of(a, _CELL_READ) or (a.get("title") or "").strip()
        if best_url is None or len(label) > len(best_text):
            best_text, best_url = label, url
    return best_text, best_url


def _link_holders(tree: Any) -> set[Any]:
    """Every element that holds a link (``<a href>``), found in one pass: asking each candidate
    row would read a big block again for every cell in it."""
    holders: set[Any] = set()
    for a in tree.iter("a"):
        if not a.get("href"):
            continue
        node = a
        while node is not None and node not in holders:
            holders.add(node)
            node = node.getparent()
    return holders


def _board_page(tree: Any) -> bool:
    """Whether the page's title or a heading names a board (网上咨询, 市长信箱, 政民互动 …)."""
    for tag in ("title", "h1", "h2", "h3"):
        for el in islice(tree.iter(tag), 20):
            if is_board_title(text_of(el, 200)):
                return True
    return False


# ------------------------------------------------------------------------------- tables


def _rows(table: Any) -> list[Any]:
    return table.xpath("./tr | ./thead/tr | ./tbody/tr | ./tfoot/tr")


def _list_rows(table: Any) -> list[Any]:
    """The rows of a list table: its own rows, or, when each of its rows holds one cell that
    holds one table of one row (an ASP.NET DataList: the header and every letter in a table
    of its own, ``table.datalist-main > tr > td > table#tbHead / table#tbBody``), those rows."""
    rows = _rows(table)
    inner: list[Any] = []
    for row in rows:
        cells = [c for c in row if c.tag in ("td", "th")]
        if len(cells) != 1:
            return rows
        tables = [t for t in cells[0] if t.tag == "table"]
        if len(tables) != 1:
            return rows
        own = _rows(tables[0])
        if len(own) != 1:
            return rows
        inner.append(own[0])
    return inner if len(inner) >= 2 else rows


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


def _header_roles(row: Any, fetched: date) -> dict[str, int]:
    """Column roles of a header row; empty when the row is no header (a cell shows a date, or
    a label ends with a colon: a detail page's label–value row)."""
    roles: dict[str, int] = {}
    for i, cell in enumerate(_cells(row)):
        label = "".join(text_of(cell, _CELL_READ).split())
        if not label:
            continue
        if label.endswith((":", "：")) or dates.scan(label):
            return {}
        if len(label) > _HEADER_CELL_MAX:
            continue
        if any(x in label for x in ASKED_LABELS):
            roles.setdefault("asked", i)
        elif any(x in label for x in REPLY_LABELS):
            roles.setdefault("replied", i)
        elif any(x in label for x in ACCEPTED_LABELS):
            roles.setdefault("accepted", i)
        elif any(x in label for x in STATE_LABELS + OUTCOME_LABELS):
            roles.setdefault("status", i)
        elif label in TITLE_COLUMNS:
            roles.setdefault("title", i)
        elif label in DATE_COLUMNS:
            roles.setdefault("date", i)
    return roles


def _asked_column(roles: dict[str, int], board_page: bool) -> int | None:
    if "asked" in roles:
        return roles["asked"]
    if board_page and "accepted" in roles:
        return roles["accepted"]
    if board_page and "status" in roles and "date" in roles:
        return roles["date"]  # 来信主题 | 状态 | 时间: the letter's date
    return None


def _cell_text(cells: list[Any], roles: dict[str, int], role: str) -> str:
    i = roles.get(role)
    if i is None or i >= len(cells):
        return ""
    return text_of(cells[i], _CELL_READ)


def _table_threads(
    tree: Any, base: str, fetched: date, board_page: bool, consumed: set[Any]
) -> list[Thread]:
    out: list[Thread] = []
    for table in tree.iter("table"):
        rows = _list_rows(table)
        header_at, roles, asked_col = -1, {}, None
        for i, row in enumerate(rows[:3]):
            roles = _header_roles(row, fetched)
            asked_col = _asked_column(roles, board_page)
            if asked_col is not None:
                header_at = i
                break
        if asked_col is None:
            continue
        letters: list[Thread] = []
        reply_dates_shown = False
        for row in rows[header_at + 1 :]:
            cells = _cells(row)
            if len(cells) <= asked_col:
                continue
            asked = cell_when(text_of(cells[asked_col], _CELL_READ), fetched)
            if asked is None:
                continue
            replied = cell_when(_cell_text(cells, roles, "replied"), fetched)
            status = status_state(_cell_text(cells, roles, "status"))
            title, url = _title_link(row, base)
            if not title:
                title = _cell_text(cells, roles, "title")
            if replied is not None:
                reply_dates_shown = True
                state = "replied"
            else:
                state = status or "unknown"
            consumed.add(row)
            letters.append(Thread(title=title, url=url, asked=asked, replied=replied, state=state))
        if reply_dates_shown:
            # The board shows reply dates: a letter without one (and without a status) is open.
            for letter in letters:
                if letter.state == "unknown":
                    letter.state = "unanswered"
        out.extend(letters)
    return out


# ------------------------------------------------------------------- rows without labels


def _date_cells(row: Any, skip: Any, fetched: date) -> list[date]:
    """The dates of the row's date cells: texts that show a date and nothing else."""
    found: list[date] = []
    for node in row.iter():
        if not isinstance(node.tag, str) or node.tag in SKIP or node is skip:
            continue
        for chunk in (node.text, node.tail if node is not row else None):
            if chunk and chunk.strip(_TRIM):
                value = cell_when(chunk, fetched)
                if value is not None and value not in found:
                    found.append(value)
    return found


def _state_rows(
    tree: Any, base: str, fetched: date, consumed: set[Any], linked: set[Any]
) -> list[Thread]:
    """Rows that show a title link, a state cell and one date cell (``ul#wszxList > li``:
    title, type, department, 办理完毕, 2019-11-14). Read on board pages only."""
    cells: list[tuple[Any, str]] = []
    for el in tree.iter():
        if not isinstance(el.tag, str) or el.tag in SKIP or not el.text:
            continue
        if state_cell(el.text) is None:
            continue
        state = state_cell(text_of(el, 40))
        if state is not None:
            cells.append((el, state))
    rows: dict[Any, list[tuple[Any, str]]] = {}
    for cell, state in cells:
        row = cell.getparent()
        for _ in range(4):
            if row is None or (row.tag in _ROW_TAGS and row in linked):
                break
            row = row.getparent()
        if row is None or row.tag not in _ROW_TAGS or inside(row, consumed):
            continue
        rows.setdefault(row, []).append((cell, state))
    out: list[Thread] = []
    for row, found in rows.items():
        if len(found) != 1:
            continue  # a block that holds several letters' states is no row
        cell, state = found[0]
        days = _date_cells(row, cell, fetched)
        if len(days) != 1:
            continue  # no date, or two dates nothing says which is which
        title, url = _title_link(row, base)
        consumed.add(row)
        out.append(Thread(title=title, url=url, asked=days[0], replied=None, state=state))
    return out


# ------------------------------------------------------------------------ labelled rows


def _field_date(field: Field, fetched: date) -> date | None:
    return leading_when(short_value(field), fetched)


def _field_state(field: Field) -> str | None:
    value = short_value(field)
    if not value or len(value) > _STATE_VALUE_MAX:
        return None
    return status_state(value)


def _first_date(fields: list[Field], kinds: tuple[str, ...], fetched: date) -> date | None:
    for kind in kinds:
        for field in fields:
            if field.kind == kind:
                value = _field_date(field, fetched)
                if value is not None:
                    return value
    return None


def _first_state(fields: list[Field]) -> str | None:
    for field in fields:
        if field.kind in ("state", "outcome"):
            state = _field_state(field)
            if state is not None:
                return state
    return None


def _row_of(el: Any, linked: set[Any]) -> Any | None:
    row = el
    for _ in range(6):
        if row is None:
            return None
        if row.tag in _ROW_TAGS and row in linked:
            return row
        row = row.getparent()
    return None


def _labelled_rows(
    fields: list[Field],
    base: str,
    fetched: date,
    board_page: bool,
    consumed: set[Any],
    linked: set[Any],
) -> list[Thread]:
    """Rows that carry their own time labels: each dated asked label's nearest row-like
    ancestor that holds a link is one letter."""
    kinds = ("asked", "accepted") if board_page else ("asked",)
    rows: dict[Any, None] = {}  # in document order
    for field in fields:
        if field.kind in kinds and _field_date(field, fetched) is not None:
            row = _row_of(field.owner, linked)
            if row is not None and not inside(row, consumed):
                rows.setdefault(row)
    if len(rows) < 2:
        return []
    # Keep the innermost rows: an outer div holding several letters is not a letter.
    outer = {node for row in rows for node in row.iterancestors() if node in rows}
    inner = [row for row in rows if row not in outer]
    members: dict[Any, list[Field]] = {row: [] for row in inner}
    for field in fields:
        node = field.owner
        for _ in range(8):
            if node is None:
                break
            if node in members:
                members[node].append(field)
                break
            node = node.getparent()
    out = []
    for row in inner:
        asked = _first_date(members[row], kinds, fetched)
        if asked is None:
            continue
        replied = _first_date(members[row], ("replied",), fetched)
        state = "replied" if replied is not None else (_first_state(members[row]) or "unknown")
        title, url = _title_link(row, base)
        consumed.add(row)
        out.append(Thread(title=title, url=url, asked=asked, replied=replied, state=state))
    if any(t.replied is not None for t in out):
        for t in out:
            if t.state == "unknown":
                t.state = "unanswered"
    return out


# ------------------------------------------------------------------------- detail pages


def _detail_title(tree: Any, fields: list[Field]) -> str:
    for field in fields:
        if field.kind == "title":
            value = short_value(field)
            if value and len(value) <= _TITLE_MAX:
                return value
    for tag in ("h1", "h2", "h3"):
        for el in tree.iter(tag):
            text = text_of(el)
            if text:
                return text
    title = next(tree.iter("title"), None)
    return text_of(title) if title is not None else ""


def _texts(fields: list[Field]) -> tuple[str, str]:
    """The letter's text and the reply's text of a detail page."""
    question = next((block_value(f) for f in fields if f.kind == "question"), "")
    reply = next((block_value(f) for f in fields if f.kind == "reply"), "")
    if not reply:
        for field in fields:
            if field.kind == "outcome" and _field_state(field) is None:
                reply = block_value(field)
                if reply:
                    break
    return clean(question), clean(reply)


def _detail(
    tree: Any, fields: list[Field], url: str, fetched: date, board_page: bool
) -> Thread | None:
    """The letter of a detail page, from the labelled fields outside list rows."""
    days = {
        calendar_day(value)
        for field in fields
        if field.kind == "asked" and (value := _field_date(field, fetched)) is not None
    }
    if len(days) > 1:
        return None  # letters without links, one after another: no one letter of this page
    kinds = ("asked", "accepted") if board_page else ("asked",)
    asked = _first_date(fields, kinds, fetched)
    if asked is None:
        return None
    # An empty reply label alone does not say the letter is open: only a state word does.
    replied = _first_date(fields, ("replied",), fetched)
    state = "replied" if replied is not None else (_first_state(fields) or "unknown")
    question, reply = _texts(fields)
    return Thread(
        title=_detail_title(tree, fields),
        url=url,
        asked=asked,
        replied=replied,
        state=state,
        source="detail",
        question=question,
        reply=reply,
    )


def extract_threads(
    tree: Any, url: str, fetched: date, *, text: str | None = None, base: str | None = None
) -> list[Thread]:
    """Letters shown on a page: rows of a board list, and the letter of a detail page.

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
    if not _HINT.search(text):
        return []  # every letter shows an asked label or a state: most pages stop here
    board_page = _board_page(tree)
    consumed: set[Any] = set()
    linked = _link_holders(tree)
    threads = _table_threads(tree, base, fetched, board_page, consumed)
    if board_page:
        threads += _state_rows(tree, base, fetched, consumed, linked)
    fields = read_fields(tree)
    threads += _labelled_rows(fields, base, fetched, board_page, consumed, linked)
    own = [f for f in fields if not inside(f.owner, consumed)]
    detail = _detail(tree, own, url, fetched, board_page)
    if detail is not None:
        threads.append(detail)
    return threads
