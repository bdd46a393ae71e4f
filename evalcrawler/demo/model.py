"""The model of the demo web: what the generator records while it writes each page (links,
dated items, letters …), the articles, columns and letters behind the pages, and a built site
(:class:`DemoSite`). The truth file is computed from these records, never by parsing the HTML
back (:mod:`evalcrawler.demo.truth`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from evalcrawler.demo.specs import SiteSpec


@dataclass
class LinkFact:
    """An ``<a href>`` as written: ``url`` is a path (internal), an absolute URL (external)
    or the raw href (``javascript:``, ``mailto:``)."""

    url: str
    text: str
    nav: bool = False
    pager: bool = False
    internal: bool = True
    http: bool = True


@dataclass
class ItemFact:
    """A dated link: the date its list item shows (resolved), and the raw date text."""

    title: str
    url: str
    date: date
    raw: str


@dataclass
class LetterFact:
    title: str
    url: str | None
    asked: date
    replied: date | None
    state: str  # replied | unanswered
    source: str  # list | detail
    reply_quality: str = ""  # the planted class of the reply shown (detail pages), else ""


@dataclass
class PageModel:
    """One HTML page and the facts it shows."""

    path: str
    role: str  # home | hub | column | continuation | blank | article | letter | board | other
    title: str
    links: list[LinkFact] = field(default_factory=list)
    items: list[ItemFact] = field(default_factory=list)  # the main list's dated links
    dated_links: list[ItemFact] = field(default_factory=list)  # dated links outside it
    publish_date: date | None = None
    images: int = 0
    images_alt: int = 0
    list_container: bool = False
    empty_phrase: str | None = None
    letters: list[LetterFact] = field(default_factory=list)
    column: str | None = None  # column name (column pages, continuations, blank pages)
    root: str | None = None  # continuations: the path of the column's first page
    body: bytes = b""


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass
class Article:
    id: int
    col: str  # column key
    title: str
    date: date
    path: str = ""
    topic: str | None = None
    dated: bool = True  # the article page shows its date
    missing: bool = False  # the article answers 404
    number: str = ""  # 文号 (policies)


@dataclass
class Column:
    key: str
    name: str
    root: str
    articles: list[Article]
    state: str = "ok"
    phrase: str = ""
    nav: bool = False
    per_page: int = 0
    hub: str = "zwgk"
    pages: list[str] = field(default_factory=list)


@dataclass
class Letter:
    id: int
    title: str
    asked: date
    replied: date | None
    status: str | None
    path: str | None
    reply: str = ""  # the official reply's text (demo/replies.py), when replied
    reply_quality: str = ""  # the class it was written to be


@dataclass
class DemoSite:
    """One built site: its responses by path and the model behind them."""

    spec: SiteSpec
    address: str
    port: int
    pages: dict[str, PageModel]
    responses: dict[str, Response]
    articles: list[Article]
    columns: list[Column]
    letters: list[Letter]
    broken: dict[str, int]  # planted broken targets → status
    redirects: dict[str, str]  # path → Location path
    home_broken: set[str]
    render_search: Callable[[str], Response] | None = None
    not_found_page: Response | None = None  # what a soft-404 site answers for unknown paths
    extras: dict[str, str] = field(default_factory=dict)  # real-page family → its page's path

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def netloc(self) -> str:
        return f"{self.address}:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.spec.scheme}://{self.netloc}/"
