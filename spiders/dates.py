"""Dates as Chinese government pages show them: find, resolve and validate.

The rules are the ones of ``docs/metrics.md`` ("Full date", "month-day"):

* full dates: ``2026-11-20``, ``2026/11/20``, ``2026.11.20``, ``2026年11月20日`` (with or without
  zero padding and spaces, optionally with a time ``09:30`` / ``09时30分``), also with full-width
  digits (``２０２６年１１月２０日``) and in Chinese numerals (``二〇一四年八月二十八日``); and
  with a two-digit year, ``14-12-17`` or ``14/12/17`` (20YY; 19YY from 90 on);
* month-day dates: ``11-20``, ``[11-20]``, ``11/20``, ``11月20日``. They carry no year and are
  resolved by the caller's context (see :func:`resolve_month_day`); a year written just before
  one, separated only by blanks (what is left of TRS's ``<!-- 2018-->07-04`` once the comment
  is read as text), is that date's own year;
* compact ``20261120`` only inside a URL path (:func:`url_date`), as a last resort.

Dates in copyright lines and dates after the fetch date are not content dates. Everything here
is plain regex work on strings: it is fast and exact, and it is what the extractor calls for
every list item. ``htmldate`` is used by the extractor only as the very last fallback for an
article's publish date.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from urllib.parse import urlsplit

# Full-width digits and separators mapped one to one, so match offsets stay valid.
_FULLWIDTH = str.maketrans("０１２３４５６７８９－／．：", "0123456789-/.:")

_CN_DIGITS = {
    "〇": 0,
    "○": 0,
    "零": 0,
    "Ｏ": 0,
    "O": 0,
    "o": 0,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}

# A time of day after a date: 09:30, 09:30:15, 19时06分, 9时30分15秒.
_TIME = r"(?:[T\s]*(?P<H>\d{1,2})\s*[:时]\s*(?P<M>\d{1,2})(?:\s*[:分]\s*(?P<S>\d{1,2}))?(?![0-9]))?"

# Year-month-day with the same separator twice, or the Chinese 年月日 form (日 or 号 required:
# "2014年8月11-20日" is a range, not 2014-08-11).
_FULL = re.compile(
    r"(?<![0-9])(?P<y>(?:19|20)\d{2})(?:"
    r"\s*(?P<sep>[-/.])\s*(?P<m>\d{1,2})\s*(?P=sep)\s*(?P<d>\d{1,2})(?![0-9])"
    r"|\s*年\s*(?P<m2>\d{1,2})\s*月\s*(?P<d2>\d{1,2})\s*[日号]"
    r")" + _TIME
)

_CN_FULL = re.compile(
    r"(?P<y>[〇○零Ｏ一二三四五六七八九0-9]{4})\s*年\s*"
    r"(?P<m>[一二三四五六七八九十]{1,2})\s*月\s*(?P<d>[一二三四五六七八九十]{1,3})\s*[日号]"
)

# A two-digit year: 14-12-17, [14-12-17], 14/12/17 (YY-MM-DD, one separator twice, two digits
# each, not glued to other digits: 14-10-2018 is no date, 0351-12-34 a phone number).
_YY_MD = re.compile(
    r"(?<![0-9A-Za-z\-/.:])(?P<y>\d{2})(?P<sep>[-/])(?P<m>\d{2})(?P=sep)(?P<d>\d{2})"
    r"(?![0-9A-Za-z\-/:%日号])" + _TIME
)
# A two-digit year from this value on is 19YY, below it 20YY.
_CENTURY_PIVOT = 90

# A year, blanks only, then MM-DD / MM/DD: "2018 07-04" (the TRS comment trap).
_YEAR_MD = re.compile(
    r"(?<![0-9])(?P<y>(?:19|20)\d{2})(?:\s*年\s*|\s+)(?P<m>\d{2})(?P<sep>[-/])(?P<d>\d{2})"
    r"(?![0-9A-Za-z\-/:%日号])" + _TIME
)

# Month-day forms. The numeric one needs two digits each ("1/2" is a fraction or a pager, "1.5"
# a number) and must not be glued to other digits, letters, a time or a range ("11-20日").
_MD_NUM = re.compile(
    r"(?<![0-9A-Za-z\-/.:])(?P<m>\d{2})(?P<sep>[-/])(?P<d>\d{2})(?![0-9A-Za-z\-/:%日号])" + _TIME
)
_MD_CN = re.compile(r"(?<![0-9年])(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]" + _TIME)

# 20261120 in a URL path (/202611/t20261120_123.html).
_COMPACT = re.compile(
    r"(?<![0-9])(?P<y>(?:19|20)\d{2})(?P<m>0[1-9]|1[0-2])(?P<d>0[1-9]|[12]\d|3[01])(?![0-9])"
)

_COPYRIGHT = re.compile(r"©|&copy;|版权所有|版权|copyright", re.IGNORECASE)
# How far around a copyright marker dates are taken to belong to the copyright line.
_COPYRIGHT_REACH = 60

_YEAR_ONLY = re.compile(r"(?<![0-9])((?:19|20)\d{2})\s*年")


@dataclass(frozen=True)
class DateHit:
    """One date shown in a text.

    ``year`` is ``None`` for a month-day date that still needs a year (see
    :func:`resolve_month_day`). ``start``/``end`` are offsets into the text searched.
    """

    year: int | None
    month: int
    day: int
    start: int
    end: int
    raw: str
    time: time | None = None

    @property
    def full(self) -> bool:
        return self.year is not None

    def to_date(self) -> date | None:
        if self.year is None:
            return None
        return _make_date(self.year, self.month, self.day)


def normalize(text: str) -> str:
    """Full-width digits and date separators to ASCII (same length, offsets unchanged)."""
    return text.translate(_FULLWIDTH)


def _make_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def to_date(y: int, m: int, d: int) -> date | None:
    """``date(y, m, d)``, or ``None`` when there is no such day."""
    return _make_date(y, m, d)


def _make_time(match: re.Match[str]) -> time | None:
    hour = match.group("H")
    if hour is None:
        return None
    try:
        return time(int(hour), int(match.group("M")), int(match.group("S") or 0))
    except ValueError:
        return None


def _cn_number(text: str) -> int | None:
    """一 … 三十一 → 1 … 31 (the numbers a month or a day needs)."""
    if not text:
        return None
    if "十" not in text:
        return _CN_DIGITS.get(text) if len(text) == 1 else None
    tens, _, units = text.partition("十")
    t = 1 if not tens else _CN_DIGITS.get(tens)
    u = 0 if not units else _CN_DIGITS.get(units)
    if t is None or u is None or len(tens) > 1 or len(units) > 1:
        return None
    return t * 10 + u


def _cn_year(text: str) -> int | None:
    digits = []
    for ch in text:
        if ch.isdigit():
            digits.append(int(ch))
        elif ch in _CN_DIGITS:
            digits.append(_CN_DIGITS[ch])
        else:
            return None
    year = int("".join(map(str, digits)))
    return year if 1900 <= year <= 2099 else None


def _copyright_spans(text: str) -> tuple[list[int], list[int]]:
    """The stretches around copyright markers, merged: (starts, ends), both sorted."""
    starts: list[int] = []
    ends: list[int] = []
    for m in _COPYRIGHT.finditer(text):
        a, b = m.start() - _COPYRIGHT_REACH, m.end() + _COPYRIGHT_REACH
        if ends and a <= ends[-1]:
            ends[-1] = max(ends[-1], b)
        else:
            starts.append(a)
            ends.append(b)
    return starts, ends


def scan(text: str, *, month_day: bool = True) -> list[DateHit]:
    """Every date the text shows, in text order; month-day hits have ``year=None``.

    Impossible dates (2026-02-30, month 13) are skipped. Dates inside a copyright line are
    skipped. Future dates are *not* filtered here: that needs the fetch date (see
    :func:`first_date`).
    """
    if not text:
        return []
    norm = normalize(text)
    hits: list[DateHit] = []
    # The spans earlier patterns took, disjoint and sorted: a later pattern's match must not
    # overlap one (bisect, so a text with thousands of dates costs n log n, not n²).
    starts: list[int] = []
    ends: list[int] = []
    added: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        i = bisect_right(starts, a)
        if i and ends[i - 1] > a:
            return False  # the span that starts at or before a reaches past it
        return i == len(starts) or starts[i] >= b

    def take(span: tuple[int, int]) -> None:
        added.append(span)

    def settle() -> None:
        # A pattern's own matches never overlap each other: merge them in once it is done.
        if added:
            merged = sorted([*zip(starts, ends, strict=True), *added])
            starts[:] = [a for a, _ in merged]
            ends[:] = [b for _, b in merged]
            added.clear()

    for m in _FULL.finditer(norm):
        y = int(m.group("y"))
        mo = int(m.group("m") or m.group("m2"))
        d = int(m.group("d") or m.group("d2"))
        take(m.span())
        if _make_date(y, mo, d) is None:
            continue
        hits.append(
            DateHit(y, mo, d, m.start(), m.end(), text[m.start() : m.end()].strip(), _make_time(m))
        )
    settle()
    for m in _YY_MD.finditer(norm):
        if not free(*m.span()):
            continue
        yy, mo, d = int(m.group("y")), int(m.group("m")), int(m.group("d"))
        take(m.span())
        y = yy + (1900 if yy >= _CENTURY_PIVOT else 2000)
        if _make_date(y, mo, d) is None:
            continue
        hits.append(
            DateHit(y, mo, d, m.start(), m.end(), text[m.start() : m.end()].strip(), _make_time(m))
        )
    settle()
    if "年" in norm:
        for m in _CN_FULL.finditer(norm):
            if not free(*m.span()):
                continue
            cy, cm, cd = _cn_year(m.group("y")), _cn_number(m.group("m")), _cn_number(m.group("d"))
            take(m.span())
            if cy is None or cm is None or cd is None or _make_date(cy, cm, cd) is None:
                continue
            hits.append(DateHit(cy, cm, cd, m.start(), m.end(), text[m.start() : m.end()]))
        settle()
    if month_day:
        for m in _YEAR_MD.finditer(norm):
            if not free(*m.span()):
                continue
            y, mo, d = int(m.group("y")), int(m.group("m")), int(m.group("d"))
            take(m.span())
            if _make_date(y, mo, d) is None:
                continue
            # raw is the month-day as shown: the year sits apart (in a comment, another cell).
            md_start = m.start("m")
            hits.append(
                DateHit(
                    y, mo, d, md_start, m.end(), text[md_start : m.end()].strip(), _make_time(m)
                )
            )
        settle()
        for pattern in (_MD_NUM, _MD_CN):
            for m in pattern.finditer(norm):
                if not free(*m.span()):
                    continue
                mo, d = int(m.group("m")), int(m.group("d"))
                take(m.span())
                # Feb 29 is valid in some year; anything else must be a real month-day.
                if _make_date(2000, mo, d) is None:
                    continue
                hits.append(
                    DateHit(
                        None,
                        mo,
                        d,
                        m.start(),
                        m.end(),
                        text[m.start() : m.end()].strip(),
                        _make_time(m),
                    )
                )
            settle()
    if not hits:
        return hits
    if _COPYRIGHT.search(norm):
        near_starts, near_ends = _copyright_spans(norm)
        hits = [h for h in hits if not _inside(h.start, near_starts, near_ends)]
    hits.sort(key=lambda h: h.start)
    return hits


def _inside(pos: int, starts: list[int], ends: list[int]) -> bool:
    i = bisect_right(starts, pos)
    return i > 0 and pos < ends[i - 1]


def resolve_month_day(month: int, day: int, year: int | None, fetched: date) -> date | None:
    """Give a month-day date its year: ``year`` (the list heading's or the page's publish year),
    else the fetch year; a result after the fetch date moves back one year."""
    base = year if year is not None else fetched.year
    resolved = _make_date(base, month, day)
    if resolved is None or resolved > fetched:
        resolved = _make_date(base - 1, month, day)
    if resolved is None or resolved > fetched:
        return None
    return resolved


def hit_date(hit: DateHit, fetched: date, context_year: int | None = None) -> date | None:
    """The calendar date of a hit: full dates must not lie after ``fetched``; month-day dates are
    resolved with :func:`resolve_month_day`."""
    if hit.year is not None:
        value = hit.to_date()
        return value if value is not None and value <= fetched else None
    return resolve_month_day(hit.month, hit.day, context_year, fetched)


def first_date(
    text: str, fetched: date, *, context_year: int | None = None, month_day: bool = True
) -> tuple[date, DateHit] | None:
    """The first valid date the text shows (future full dates are skipped)."""
    for hit in scan(text, month_day=month_day):
        value = hit_date(hit, fetched, context_year)
        if value is not None:
            return value, hit
    return None


def parse_date(text: str | None, fetched: date | None = None) -> date | None:
    """The first full date in a short text such as a meta content (``2020年08月02日``,
    ``2019-09-18 06:23``, ``2020-08-02T10:00:00+08:00``); ``None`` when there is none or it lies
    after ``fetched``."""
    if not text:
        return None
    for hit in scan(text, month_day=False):
        value = hit.to_date()
        if value is not None and (fetched is None or value <= fetched):
            return value
    return None


def parse_when(text: str | None, fetched: date) -> date | None:
    """A message-board time: a :class:`~datetime.datetime` when a time of day is shown, else a
    :class:`~datetime.date`; month-day dates take the fetch year (moved back when in the
    future). ``None`` when there is no date or it lies after the fetch date."""
    if not text:
        return None
    for hit in scan(text):
        value = hit_when(hit, fetched)
        if value is not None:
            return value
    return None


def hit_when(hit: DateHit, fetched: date) -> date | None:
    """:func:`hit_date` with the time of day when the hit shows one (a ``datetime``)."""
    value = hit_date(hit, fetched)
    if value is None or hit.time is None:
        return value
    return datetime.combine(value, hit.time)


def url_date(url: str | None, fetched: date) -> tuple[date, str] | None:
    """A compact ``YYYYMMDD`` date in the URL *path* (``/202008/t20200802_1352104.html``): the
    last resort for an item that shows no date. The query string does not count."""
    if not url:
        return None
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    for m in _COMPACT.finditer(path):
        value = _make_date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
        if value is not None and value <= fetched:
            return value, m.group(0)
    return None


# Dates in URL paths: 20140619 (t20140619_…, 20171220144159170.html), 2014-06/19, 2014/06/19,
# 2014/6/19 (art/2014/6/19/…).
_URL_COMPACT = re.compile(
    r"(?<![0-9])(?P<y>(?:19|20)\d{2})(?P<m>0[1-9]|1[0-2])(?P<d>0[1-9]|[12]\d|3[01])"
)
_URL_SPLIT = re.compile(
    r"(?<![0-9])(?P<y>(?:19|20)\d{2})[-/](?P<m>\d{1,2})[-/](?P<d>\d{1,2})(?![0-9])"
)


def url_year(url: str | None, month: int, day: int) -> int | None:
    """The year of a date in the URL's path whose month and day are ``month`` and ``day``: the
    year a month-day date shown for that link belongs to (``(06-19)`` beside
    ``2014-06/19/content_….htm``). ``None`` when the path shows no such date."""
    if not url:
        return None
    try:
        path = urlsplit(url).path
    except ValueError:
        return None
    for pattern in (_URL_SPLIT, _URL_COMPACT):
        for m in pattern.finditer(path):
            if int(m.group("m")) == month and int(m.group("d")) == day:
                return int(m.group("y"))
    return None


def heading_year(text: str) -> int | None:
    """The year a list heading shows (``2018年政府工作报告`` → 2018): four digits and 年."""
    m = _YEAR_ONLY.search(normalize(text))
    return int(m.group(1)) if m else None


# ------------------------------------------------------------------ a site's own date format

# The strptime directives a site's date format (region file: ``extract.date``) may use.
_FORMAT_PARTS = {
    "Y": r"(?P<Y>(?:19|20)\d{2})",
    "y": r"(?P<y>\d{2})",
    "m": r"(?P<m>\d{1,2})",
    "d": r"(?P<d>\d{1,2})",
    "H": r"\d{1,2}",
    "M": r"\d{1,2}",
    "S": r"\d{1,2}",
}


def compile_format(fmt: str) -> re.Pattern[str]:
    """The pattern of a strptime format such as ``%y-%m-%d``, ``[%m-%d]`` or ``%Y年%m月%d``.

    Only %Y, %y, %m, %d, %H, %M, %S and %% are read; the format must hold %m and %d (a year
    is optional: a month-day date is resolved as docs/metrics.md says). Raises ``ValueError``
    saying what is wrong."""
    # Not glued to other digits or date separators: %m-%d is not the 12-17 of 2014-12-17.
    out = [r"(?<![0-9A-Za-z\-/.:])"]
    i = 0
    seen: set[str] = set()
    while i < len(fmt):
        ch = fmt[i]
        if ch == "%":
            if i + 1 >= len(fmt):
                raise ValueError(f"{fmt!r} ends with a lone %")
            code = fmt[i + 1]
            if code == "%":
                out.append("%")
            elif code in _FORMAT_PARTS:
                if code in seen:
                    raise ValueError(f"{fmt!r} has %{code} twice")
                seen.add(code)
                out.append(_FORMAT_PARTS[code])
            else:
                raise ValueError(
                    f"{fmt!r} uses %{code}; only %Y, %y, %m, %d, %H, %M and %S are read"
                )
            i += 2
            continue
        out.append(r"\s*" if ch.isspace() else re.escape(ch))
        i += 1
    if not {"m", "d"} <= seen:
        raise ValueError(f"{fmt!r} must hold %m and %d (the month and the day)")
    if {"Y", "y"} <= seen:
        raise ValueError(f"{fmt!r} has both %Y and %y")
    out.append(r"(?![0-9A-Za-z\-/:])")
    return re.compile("".join(out))


def format_scanner(fmt: str) -> Callable[[str], list[DateHit]]:
    """A :func:`scan` that first reads dates written in the site's format ``fmt``, then the
    forms every page uses (where the first found none)."""
    pattern = compile_format(fmt)

    def scan_with_format(text: str, *, month_day: bool = True) -> list[DateHit]:
        norm = normalize(text)
        own: list[DateHit] = []
        for m in pattern.finditer(norm):
            parts = m.groupdict()
            month, day = int(parts["m"]), int(parts["d"])
            year: int | None = None
            if parts.get("Y"):
                year = int(parts["Y"])
            elif parts.get("y"):
                yy = int(parts["y"])
                year = yy + (1900 if yy >= _CENTURY_PIVOT else 2000)
            if _make_date(year or 2000, month, day) is None:
                continue
            if year is None and not month_day:
                continue
            own.append(DateHit(year, month, day, m.start(), m.end(), text[m.start() : m.end()]))
        if not own:
            return scan(text, month_day=month_day)
        taken = [(h.start, h.end) for h in own]
        rest = [
            h
            for h in scan(text, month_day=month_day)
            if not any(a < h.end and h.start < b for a, b in taken)
        ]
        return sorted(own + rest, key=lambda h: h.start)

    return scan_with_format
