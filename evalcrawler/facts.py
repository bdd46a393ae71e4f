"""Page facts: what the crawl measures and stores, independent of any rubric.

These plain dataclasses are the contract between the three halves of evalcrawl:

* ``evalcrawler.spiders`` extracts :class:`PageFacts` from responses and records
  :class:`LinkCheck` and :class:`Probe` results;
* ``evalcrawler.db`` stores and loads them;
* ``evalcrawler.scoring`` computes metrics from a :class:`SiteFacts` bundle, without
  touching the network, so any rubric can re-score any stored crawl.

Dates are :class:`datetime.date`; message-board times are :class:`datetime.datetime` when
the page shows a time of day, else :class:`datetime.date`. The exact meaning of every
field that a metric relies on is written in ``docs/metrics.md``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

EMPTY_PHRASES: tuple[str, ...] = (
    "暂无信息",
    "暂无数据",
    "暂无内容",
    "暂无记录",
    "没有记录",
    "正在建设",
    "建设中",
    "栏目维护中",
    "无相关信息",
)
"""Empty-state phrases: text shown where a list should be (docs/metrics.md). Extraction records
the one a page shows; rubrics may narrow the list (``thresholds.empty_phrases``)."""

SEARCH_QUERY = "政府"
"""The word the search probe submits to a site's search form, unless the rubric sets another
(``thresholds.search_query``); ``search_works`` reads the query the probe recorded."""

NOT_SUBMITTED = "not submitted"
"""How the ``error`` of a search probe starts when the crawl chose not to submit the form (it
posts to another site): ``search_works`` is then not measured, with that reason."""

EXTRACTION_ERROR_PREFIX = "extraction "
"""How the ``error`` of a page starts when the response arrived but its facts were not read
(``extraction took over 30 s: not read``): the page is neither broken nor empty, only unread."""


@dataclass
class DatedItem:
    """A link shown together with a date, e.g. one row of a column list.

    ``date`` is the full date the item shows, a month-day date resolved against the year
    the page shows elsewhere (never to a date after the fetch). ``None`` when the item shows
    no date that could be resolved.
    """

    title: str
    url: str | None
    date: date | None
    raw: str = ""  # the date text as shown, e.g. "07-04" or "2026年11月20日"


@dataclass
class Link:
    """One ``<a href>`` of a page (absolute URL without fragment)."""

    url: str
    text: str  # anchor text with whitespace collapsed; the img alt/title when there is no text
    nav: bool = False  # inside the site navigation (nav/menu/header block)
    pager: bool = False  # a pagination link (下一页, 尾页, a page number ...)


@dataclass
class FormField:
    name: str
    type: str = "text"
    value: str = ""


@dataclass
class Form:
    """A ``<form>`` with its fields; ``search`` marks a site-search form."""

    action: str  # absolute URL
    method: str = "get"  # "get" | "post"
    fields: list[FormField] = field(default_factory=list)
    search: bool = False
    query_field: str | None = None  # name of the text field a search query goes into


@dataclass
class Thread:
    """One letter of a message board or leader's mailbox."""

    title: str
    url: str | None  # detail page of the letter, when there is one
    asked: date | None  # date or datetime the letter was written
    replied: date | None  # date or datetime of the reply; None when not replied
    state: str = "unknown"  # "replied" | "unanswered" | "unknown"
    source: str = "list"  # "list" (a row of a list page) | "detail" (a detail page)
    question: str = ""  # the letter's text as the detail page shows it (capped, see boards)
    reply: str = ""  # the official reply's text as the detail page shows it (capped)


@dataclass
class PageFacts:
    """Everything the crawl keeps of one fetched page (or non-HTML target fetched as a page)."""

    url: str  # the URL requested (after redirects were followed: see final_url)
    final_url: str = ""
    status: int = 0  # final HTTP status; 0 = no response
    error: str | None = None  # why there was no response (timeout, DNS, refused, ...)
    content_type: str = ""
    is_html: bool = False
    encoding: str | None = None  # the encoding the HTML was decoded with
    encoding_source: str = ""  # "header" | "bom" | "meta" | "detected" | ""
    body_bytes: int = 0
    elapsed_ms: float | None = None
    title: str = ""
    headings: list[str] = field(default_factory=list)  # h1-h3 text, in order
    text: str = ""  # visible text, whitespace collapsed, capped (see extract.TEXT_CAP)
    lang: str | None = None  # <html lang>
    viewport: str | None = None  # content of <meta name="viewport">
    meta: dict[str, str] = field(default_factory=dict)  # meta name/property (lower) -> content
    publish_date: date | None = None  # the page's own publish date (articles)
    publish_date_source: str = ""  # "meta:pubdate", "label", "htmldate", ...
    items: list[DatedItem] = field(default_factory=list)  # the main list's dated links
    dated_links: list[DatedItem] = field(default_factory=list)  # every dated link on the page
    list_container: bool = False  # the page has a content-list container (even if empty)
    empty_container: str | None = None  # the empty one, named (div.lists-pages), if any
    empty_state: str | None = None  # an empty-state phrase shown (暂无信息, 正在建设 ...)
    # Characters (blanks not counted) of shown text outside links, navigation, footers and
    # comments; None in facts stored before it was counted.
    own_text: int | None = None
    # The 办事指南 labels the page shows, each with its value (事项名称, 办理时限 …; guide.py).
    guide_labels: list[str] = field(default_factory=list)
    images: int = 0  # <img> elements
    images_alt: int = 0  # of those, with a non-empty alt
    forms: list[Form] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)  # the first extract.MAX_LINKS_PER_PAGE
    links_found: int = 0  # http(s) links on the page, kept or not (0 in facts stored before)
    threads: list[Thread] = field(default_factory=list)  # letters shown on this page
    # What extraction could not read of the page, one note each ("body over 8 MB: the rest not
    # read"); empty when it read the whole page. A fact missing here may be on the page.
    limits: list[str] = field(default_factory=list)
    # Crawl context, set by the spider.
    is_home: bool = False
    depth: int = 0
    referer: str | None = None
    via_text: str | None = None  # anchor text of the link the crawl followed to this page
    via_nav: bool = False  # that link was a navigation link
    fetched_at: datetime | None = None
    warc_record: str | None = None  # "<file>#<offset>" of the response in the evidence archive
    # Pages that scripts fill or firewalls guard (docs/rendering.md).
    embedded: list[str] = field(default_factory=list)  # script-embedded list forms read
    endpoints: list[str] = field(default_factory=list)  # JSON list endpoints the page names
    list_of: str | None = None  # this answer is a list endpoint's, read for that page's list
    scripted: str | None = None  # why scripts fill the page's main content (unrendered)
    challenge: str | None = None  # the anti-bot challenge the answer was
    rendered: bool = False  # the facts are of the DOM a browser rendered

    def to_json(self) -> dict[str, Any]:
        return _to_jsonable(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PageFacts:
        data = dict(data)
        data["items"] = [_item(x) for x in data.get("items", [])]
        data["dated_links"] = [_item(x) for x in data.get("dated_links", [])]
        data["links"] = [Link(**x) for x in data.get("links", [])]
        data["forms"] = [
            Form(**{**f, "fields": [FormField(**x) for x in f.get("fields", [])]})
            for f in data.get("forms", [])
        ]
        data["threads"] = [
            Thread(
                **{
                    **t,
                    "asked": parse_when(t.get("asked")),
                    "replied": parse_when(t.get("replied")),
                }
            )
            for t in data.get("threads", [])
        ]
        data["publish_date"] = parse_when(data.get("publish_date"))
        fetched = data.get("fetched_at")
        data["fetched_at"] = datetime.fromisoformat(fetched) if fetched else None
        return cls(**data)


@dataclass
class LinkCheck:
    """The fetch of one internal link target that was not crawled as a page."""

    url: str
    status: int = 0  # final status after redirects; 0 = no response
    error: str | None = None
    final_url: str | None = None
    method: str = "HEAD"  # "HEAD" | "GET" (GET after HEAD was refused)
    content_type: str = ""


@dataclass
class Probe:
    """A site-level measurement request (home probes, HTTPS, robots.txt, search, DNS ...).

    kind is one of: ``home`` (one home page probe), ``https`` (GET https://host/),
    ``tls`` (certificate verification of the HTTPS host), ``http_redirect`` (GET http://host/
    without following redirects: where does it go?), ``robots``, ``sitemap``, ``soft404``,
    ``search`` (a submitted site search), ``dns`` (AAAA lookup).
    """

    kind: str
    url: str
    status: int = 0  # 0 = no response
    ok: bool | None = None  # the probe's own verdict, where it has one (tls, dns)
    elapsed_ms: float | None = None
    error: str | None = None
    final_url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)  # selected response headers (lower)
    detail: dict[str, Any] = field(default_factory=dict)
    seq: int = 0


@dataclass
class SiteFacts:
    """All stored facts of one site of one crawl: the input of every metric."""

    site_id: str
    url: str  # the registered home URL
    level: str = "county"
    hosts: frozenset[str] = frozenset()  # host names (lower, with port if not default) of the site
    name_zh: str = ""
    name: str = ""
    region_id: str = ""
    status: str = "measured"  # "measured" | "partial" | "blocked" | "unreachable"
    reason: str | None = None
    crawl_date: date | None = None
    pages: list[PageFacts] = field(default_factory=list)
    checks: list[LinkCheck] = field(default_factory=list)
    probes: list[Probe] = field(default_factory=list)
    # URL patterns of pages that are never columns nor blank columns (the region file's
    # extract.not_columns for the site; see ExtractOptions).
    not_columns: tuple[str, ...] = ()

    @property
    def home(self) -> PageFacts | None:
        for page in self.pages:
            if page.is_home:
                return page
        return None


@dataclass(frozen=True)
class ExtractOptions:
    """Corrections for a site that automatic reading gets wrong (the region file's
    ``extract:``): a CSS selector of its list rows and a strptime format of their dates.
    Automatic reading stays the default; the crawl passes these to extraction."""

    list_selector: str | None = None
    date_format: str | None = None

    @classmethod
    def from_config(cls, data: dict[str, Any] | None) -> ExtractOptions | None:
        """From a site's stored ``extract`` mapping (``list``, ``date``); ``None`` when it
        corrects nothing that extraction reads."""
        if not data or not (data.get("list") or data.get("date")):
            return None
        return cls(list_selector=data.get("list") or None, date_format=data.get("date") or None)


def calendar_day(value: date) -> date:
    """The calendar date of a date or a datetime (a board's time of day is dropped)."""
    return value.date() if isinstance(value, datetime) else value


def parse_when(value: Any) -> date | None:
    """Parse a stored ISO date or datetime (``None`` stays ``None``)."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    text = str(value)
    if "T" in text or " " in text or len(text) > 10:
        return datetime.fromisoformat(text)
    return date.fromisoformat(text)


def _item(data: dict[str, Any]) -> DatedItem:
    return DatedItem(
        title=data.get("title", ""),
        url=data.get("url"),
        date=parse_when(data.get("date")),
        raw=data.get("raw", ""),
    )


def _to_jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_to_jsonable(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value
