"""What a demo site's spec says: its columns, its letters, its templates and its planted
defects (:class:`SiteSpec`), and the demo web's fixed date, port and first address.

A :class:`SiteSpec` is pure data; the seven sites are in :mod:`evalcrawler.demo.planted` and
:mod:`evalcrawler.demo.sites` turns each into pages. Every age is in days before :data:`AS_OF`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

AS_OF = date(2026, 11, 20)
"""The frozen evaluation date of the demo web (the region file's ``as_of``)."""

DEFAULT_PORT = 8480
FIRST_ADDRESS = "127.0.0.11"


@dataclass(frozen=True)
class ColSpec:
    """One column (栏目) of a site.

    ``state``: ``ok`` (a dated list), ``phrase`` (shows ``phrase`` instead of a list) or
    ``empty`` (an empty list container). ``nav``: linked from the navigation bar.
    ``per_page``: items per list page (0 = one page; more items → ``index_1.html`` …).
    ``undated``: indexes of items whose article page shows no date. ``missing``: indexes of
    items whose article answers 404. ``family``: the column page's list is written the way a
    real page family writes it (:mod:`evalcrawler.demo.families`: ``rows``, ``tables``,
    ``yy``, ``yy_bracket``) instead of in the site's dialect (``""``).
    """

    key: str
    count: int = 0
    newest: int = 0
    step: int = 30
    state: str = "ok"
    phrase: str = ""
    nav: bool = False
    per_page: int = 0
    undated: tuple[int, ...] = ()
    missing: tuple[int, ...] = ()
    family: str = ""


@dataclass(frozen=True)
class LetterSpec:
    """One letter: asked ``age`` days before the as-of date, replied ``latency`` days later
    (``None`` = not replied); ``status`` overrides the board's unanswered word (办理中)."""

    age: int
    latency: int | None = None
    status: str | None = None


@dataclass(frozen=True)
class SiteSpec:
    id: str
    name_zh: str
    name: str
    level: str
    short: str  # 示范市
    abbr: str  # one-character document-number prefix: 示政发〔2026〕12号
    rank: int
    dialect: str  # trs | jcms | plist | comment | plain | cnfull | oldtable
    columns: tuple[ColSpec, ...]
    topics: tuple[str, ...] = ()  # 重点领域 columns
    title_topics: tuple[str, ...] = ()  # topics the titles cycle through (default: topics)
    topic_states: dict[str, tuple[str, str]] = field(default_factory=dict)  # key → (state, phrase)
    names: dict[str, str] = field(default_factory=dict)  # column name overrides
    reports: int = 3  # 政府信息公开年报 items
    hub_name: str = "政务公开"
    # Board (领导信箱 / 留言板).
    board_name: str = "市长信箱"
    board_style: str = "table"  # table | detail_only | ul | table_nolink
    board_per_page: int = 0
    board_labels: tuple[str, str, str] = ("来信时间", "回复时间", "状态")  # asked, reply, status
    board_words: tuple[str, str] = ("已回复", "未回复")  # replied, unanswered ("" = no status)
    letters: tuple[LetterSpec, ...] = ()
    # Home page and templates.
    encoding: str = "utf-8"
    declare_charset: bool = True
    viewport: str | None = "width=device-width, initial-scale=1"
    lang: bool = True
    copyright_year: bool = True
    logo_alt: str = "alt"  # alt | empty | none
    badge_alt: tuple[str, str] = ("alt", "alt")  # 党政机关, 我为政府网站找错 ("" = no badge)
    qr_alt: str = ""  # new-media QR code in the footer ("" = none)
    photo_alt: tuple[int, int] = (1, 1)  # news photos: num of every den have an alt
    home_news: int = 7
    # Probes and server behaviour.
    # HTTPS besides HTTP on the site's port (as on 443 and 80; a certificate of the demo CA):
    # "none", "both" (HTTP answers too) or "redirect" (HTTP answers 301 to the HTTPS URL).
    https: str = "none"
    hsts: bool = False  # a Strict-Transport-Security header on HTTPS answers
    robots: bool = True
    sitemap: bool = True
    disallow: str = ""  # a robots.txt Disallow prefix (linked from a page all the same)
    soft404: bool = False
    head405: bool = False
    slow_home: float = 0.0  # seconds
    search: str | None = None  # get | post | empty | missing | None (no form)
    search_action: str = "/search"
    search_field: str = "q"
    # Functions and interaction.
    guides: int = 0
    guide_elements: int = 10
    downloads: int = 0
    downloads_missing: int = 0
    services: int = 0
    zwfw_link: bool = True
    data_open: bool = False
    faq: bool = False
    hotline: bool = False
    new_media: bool = False
    contact: tuple[bool, bool, bool] = (True, True, True)  # phone, address, email
    overview: tuple[str, ...] = ("gk", "ld", "jg")
    guide_page: bool = True  # 政府信息公开指南
    # Pages written from real page families (evalcrawler.demo.families), linked from the
    # navigation: "guide" (a long 办事指南 with a downloads table), "form" (a query form),
    # "boxes" (a page whose carousel and news boxes scripts fill).
    extras: tuple[str, ...] = ()
    zjdc_feedback: int = 0  # 征集调查 结果反馈 posts
    # Planted link defects: (where, status) with where in home | zwgk | zwfw | hdjl | article |
    # overview; a redirect: (where, target kind, status of the hop).
    broken: tuple[tuple[str, int], ...] = ()
    redirects: tuple[tuple[str, str], ...] = ()  # (where, "ok" | "broken")
    self_absolute: bool = False  # the site map links its own host with absolute URLs
    site_code: str = ""
    notes: str = ""

    @property
    def scheme(self) -> str:
        """The scheme of the site's registered URL: ``https`` for a site that redirects
        http:// to it, as its owner would register it; else ``http``."""
        return "https" if self.https == "redirect" else "http"

    def column(self, key: str) -> ColSpec | None:
        for col in self.columns:
            if col.key == key:
                return col
        return None
