"""The seven demo sites: what each one has and which defects are planted in it.

A :class:`SiteSpec` is pure data. :mod:`evalcrawler.demo.sites` turns it into pages; the
planted quality order (``rank``) is shifan (best) → jiaqu → yiqu → jishi → bingxian → dingxian
→ wuxian (worst). Every age is in days before :data:`AS_OF`.
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
    items whose article answers 404.
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
    zjdc_feedback: int = 0  # 征集调查 结果反馈 posts
    # Planted link defects: (where, status) with where in home | zwgk | zwfw | hdjl | article |
    # overview; a redirect: (where, target kind, status of the hop).
    broken: tuple[tuple[str, int], ...] = ()
    redirects: tuple[tuple[str, str], ...] = ()  # (where, "ok" | "broken")
    self_absolute: bool = False  # the site map links its own host with absolute URLs
    site_code: str = ""
    notes: str = ""

    def column(self, key: str) -> ColSpec | None:
        for col in self.columns:
            if col.key == key:
                return col
        return None


def _letters(*rows: tuple[int, int | None] | tuple[int, int | None, str]) -> tuple[LetterSpec, ...]:
    return tuple(LetterSpec(*row) for row in rows)


SITES: tuple[SiteSpec, ...] = (
    SiteSpec(
        id="shifan",
        name_zh="示范市人民政府",
        name="Shifan Municipal People's Government",
        level="municipal",
        short="示范市",
        abbr="示",
        rank=1,
        dialect="trs",
        columns=(
            ColSpec("zwdt", 15, 1, 3, nav=True, per_page=6),
            ColSpec("tzgg", 6, 2, 12, nav=True),
            ColSpec("zcwj", 8, 6, 30, nav=True),
            ColSpec("zcjd", 4, 6, 30, nav=True),
            ColSpec("rsxx", 3, 15, 40),
            ColSpec("czyjs", 4, 60, 60),
            ColSpec("ghjh", 3, 90, 90),
            ColSpec("tjxx", 3, 20, 30),
            ColSpec("yjgl", 3, 10, 40),
            ColSpec("zfcg", 3, 5, 12),
            ColSpec("hygq", 3, 8, 20),
            ColSpec("xwfbh", 3, 4, 5),
            ColSpec("zxft", 3, 15, 30),
            ColSpec("zjdc", 4, 4, 25),
        ),
        topics=("xczx", "jy", "ylws", "shbz", "jycy", "sthj", "aqsc", "spyp", "zdcq"),
        board_name="市长信箱",
        board_style="table",
        board_per_page=12,
        board_labels=("来信时间", "回复时间", "状态"),
        board_words=("已回复", "未回复"),
        letters=_letters(
            (2, None),
            (5, 1),
            (9, 2),
            (14, 2),
            (20, 3),
            (28, 3),
            (35, 3),
            (47, 4),
            (60, 4),
            (75, 4),
            (90, 5),
            (110, 5),
            (135, 6),
            (160, 6),
            (190, 7),
            (230, 8),
            (270, 9),
            (320, 10),
            (420, 5),
            (480, 3),
        ),
        qr_alt="alt",
        home_news=8,
        search="get",
        search_action="/search",
        search_field="q",
        guides=4,
        downloads=4,
        services=6,
        data_open=True,
        faq=True,
        hotline=True,
        new_media=True,
        zjdc_feedback=2,
        broken=(("article", 404),),
        self_absolute=True,
        site_code="1401000011",
        notes=(
            "Best site. TRS-style ul lists (relative ./YYYYMM/tYYYYMMDD_id.html links), "
            "政务动态 paginated over 3 pages (index_1/index_2 are pager continuations), board "
            "table 来信时间/回复时间/状态 over 2 pages with detail pages; every article dated "
            "(meta PubDate + 发布时间); all 9 重点领域 topics; search GET /search?q=; robots + "
            "sitemap; viewport + lang; every image has alt; one missing attachment (404); the "
            "site map links its own host with absolute URLs; a title carries a date range that "
            "is not the item's date; copyright year 2026 in the footer."
        ),
    ),
    SiteSpec(
        id="jiaqu",
        name_zh="示范市甲区人民政府",
        name="Jia District People's Government (Shifan)",
        level="district",
        short="甲区",
        abbr="甲",
        rank=2,
        dialect="jcms",
        columns=(
            ColSpec("zwdt", 12, 1, 3, nav=True),
            ColSpec("tzgg", 6, 3, 15, nav=True),
            ColSpec("zcwj", 5, 10, 35, nav=True),
            ColSpec("zcjd", 3, 10, 40, nav=True),
            ColSpec("rsxx", 3, 20, 45),
            ColSpec("czyjs", 3, 80, 80),
            ColSpec("ghjh", 3, 200, 60),
            ColSpec("tjxx", 3, 30, 40),
            ColSpec("yjgl", 3, 25, 50),
            ColSpec("zfcg", 3, 10, 20),
            ColSpec("hygq", 3, 20, 30),
            ColSpec("xwfbh", 3, 9, 2),
            ColSpec("zxft", 3, 30, 40),
            ColSpec("zjdc", 3, 10, 30),
        ),
        topics=("xczx", "jy", "ylws", "shbz", "jycy", "sthj", "aqsc"),
        names={"zwdt": "工作动态", "tzgg": "公示公告", "zcwj": "政府文件"},
        hub_name="信息公开",
        board_name="区长信箱",
        board_style="detail_only",
        board_labels=("留言时间", "回复时间", "办理状态"),
        board_words=("已办结", "办理中"),
        letters=_letters(
            (6, None),
            (8, 2),
            (15, 3),
            (22, 4),
            (30, 5),
            (41, 5),
            (55, 6),
            (70, 7),
            (88, 8),
            (105, 9),
            (130, 10),
            (160, 12),
            (200, 13),
            (250, 14),
            (300, 15),
            (400, 10),
            (450, 20),
        ),
        qr_alt="alt",
        photo_alt=(4, 5),
        search="post",
        search_action="/search.jsp",
        search_field="searchword",
        guides=4,
        guide_elements=9,
        downloads=4,
        services=5,
        faq=True,
        hotline=True,
        new_media=True,
        zjdc_feedback=1,
        broken=(("article", 404),),
        site_code="1401050012",
        notes=(
            "Second. JCMS-style table lists (名称/发布日期, dates 2026/11/18; policies add a 文号 "
            "column), /col/colNNNN/index.html columns, /art/Y/M/D/ articles dated by a "
            "发布日期 label only; <nav> element; board 区长信箱 whose list shows titles only: "
            "dates and states (已办结/办理中) are on the detail pages (留言时间/回复时间); "
            "search is a POST form to /search.jsp (searchword); 7 topics; guides show 9 of "
            "the 10 key elements; no data-open link; one dead related link in an article."
        ),
    ),
    SiteSpec(
        id="yiqu",
        name_zh="示范市乙区人民政府",
        name="Yi District People's Government (Shifan)",
        level="district",
        short="乙区",
        abbr="乙",
        rank=3,
        dialect="plist",
        columns=(
            ColSpec("zwdt", 14, 2, 4, nav=True, per_page=5),
            ColSpec("tzgg", 5, 5, 20, nav=True),
            ColSpec("zcwj", 5, 15, 40, nav=True),
            ColSpec("zcjd", 3, 15, 60, nav=True),
            ColSpec("rsxx", 3, 380, 30),
            ColSpec("czyjs", 3, 70, 60),
            ColSpec("ghjh", 3, 150, 60),
            ColSpec("tjxx", 3, 25, 30),
            ColSpec("yjgl", 3, 30, 60),
            ColSpec("zfcg", 3, 15, 20),
            ColSpec("hygq", 3, 30, 40),
            ColSpec("zxft", 3, 40, 50),
            ColSpec("zjdc", 3, 20, 40),
        ),
        topics=("xczx", "jy", "ylws", "shbz", "jycy", "sthj"),
        names={"zwdt": "乙区要闻"},
        hub_name="信息公开",
        board_name="网民留言",
        board_style="table",
        board_labels=("留言时间", "答复时间", "办理状态"),
        board_words=("已答复", "待回复"),
        letters=_letters(
            (3, None),
            (12, None),
            (16, 3),
            (25, 5),
            (33, 6),
            (45, 8),
            (60, 10),
            (80, 12),
            (100, 15),
            (130, 95),
            (170, 18),
            (220, 20),
            (280, 30),
            (500, 25),
        ),
        qr_alt="alt",
        badge_alt=("alt", "none"),
        photo_alt=(2, 3),
        disallow="/internal/",
        search="get",
        search_action="/was5/web/search",
        search_field="searchword",
        guides=3,
        guide_elements=8,
        downloads=3,
        services=4,
        faq=True,
        hotline=True,
        new_media=True,
        zjdc_feedback=1,
        broken=(("zwfw", 500), ("article", 404)),
        site_code="1401060013",
        notes=(
            "Third. div.news-list of <p><a>title</a><em>[11-18]</em></p> items under an "
            "<h2>2026年</h2> year heading (items of another year show full dates), 乙区要闻 "
            "paginated (index.html, index_1.html, index_2.html in div.pagination with page "
            "numbers), articles dated 2026年11月18日; nav is div#menu; robots.txt disallows "
            "/internal/, which an article links (internal, never fetched); 人事信息 stale "
            "(380 days); board table 留言时间/答复时间/办理状态 with one reply after 95 days; "
            "a 500 link on the services page, a missing attachment."
        ),
    ),
    SiteSpec(
        id="jishi",
        name_zh="己市人民政府",
        name="Ji City People's Government",
        level="county_city",
        short="己市",
        abbr="己",
        rank=4,
        dialect="comment",
        columns=(
            ColSpec("zwdt", 10, 3, 5, nav=True, undated=(4, 7)),
            ColSpec("tzgg", 5, 200, 40, nav=True),
            ColSpec("zcwj", 4, 40, 50, nav=True),
            ColSpec("zcjd", 3, 60, 60, nav=True),
            ColSpec("rsxx", 3, 50, 60),
            ColSpec("czyjs", 3, 100, 90),
            ColSpec("tjxx", 3, 60, 60),
            ColSpec("yjgl", 3, 90, 90),
            ColSpec("zfcg", 3, 30, 30),
            ColSpec("zxft", 3, 60, 60),
            ColSpec("zjdc", 3, 45, 60),
        ),
        topics=("xczx", "jy", "ylws", "shbz", "jycy"),
        board_name="市长信箱",
        board_style="table",
        board_labels=("提问时间", "答复时间", "状态"),
        board_words=("已回复", "未回复"),
        letters=_letters(
            (5, None),
            (20, None),
            (40, None),
            (50, 5),
            (65, 8),
            (85, 12),
            (110, 20),
            (140, 25),
            (180, 30),
            (230, 40),
            (290, 45),
            (340, 98),
            (600, 30),
        ),
        lang=False,
        copyright_year=False,
        badge_alt=("alt", "empty"),
        photo_alt=(1, 2),
        sitemap=False,
        head405=True,
        search="get",
        search_action="/search/search.html",
        search_field="keyword",
        guides=3,
        guide_elements=7,
        downloads=3,
        downloads_missing=1,
        services=3,
        hotline=True,
        contact=(True, True, False),
        overview=("gk", "ld"),
        broken=(("home", 404), ("article", 404)),
        redirects=(("zwgk", "ok"),),
        site_code="1401810014",
        notes=(
            'Fourth. Lists <li><a>…</a><span class="time"><!-- 2026-->11-18</span></li> '
            "(TRS comment years: the 通知公告 items run from 2026 back into 2025, so the year "
            "in the comment matters), home dates 2026.11.18, articles labelled 日期：; HEAD "
            "answers 405 everywhere (link checks must fall back to GET); no lang attribute; no "
            "sitemap.xml; 2 undated news articles; 通知公告 stale (200 days); a redirect (301) "
            "to the 公开指南 page; a dead 专题 link on the home page; a missing download."
        ),
    ),
    SiteSpec(
        id="bingxian",
        name_zh="丙县人民政府",
        name="Bing County People's Government",
        level="county",
        short="丙县",
        abbr="丙",
        rank=5,
        dialect="plain",
        columns=(
            ColSpec("zwdt", 10, 6, 7, nav=True, undated=(3, 6)),
            ColSpec("tzgg", 5, 40, 40, nav=True, undated=(3,)),
            ColSpec("zcwj", 3, 250, 60, nav=True),
            ColSpec("zcjd", state="phrase", phrase="暂无信息", nav=True),
            ColSpec("rsxx", 3, 100, 90),
            ColSpec("czyjs", 3, 150, 120),
            ColSpec("tjxx", 3, 400, 60),
            ColSpec("zfcg", 3, 60, 60),
            ColSpec("zjdc", 3, 120, 90),
        ),
        topics=("xczx", "jy", "ylws"),
        names={"zwdt": "丙县新闻"},
        reports=2,
        board_name="县长信箱",
        board_style="ul",
        board_labels=("来信日期", "回复日期", ""),
        board_words=("", ""),
        letters=_letters(
            (10, None),
            (30, None),
            (60, None),
            (85, None),
            (100, 10),
            (130, 20),
            (170, 35),
            (210, 50),
            (260, 80),
            (330, 120),
            (500, 40),
        ),
        viewport="width=1200",
        copyright_year=False,
        logo_alt="none",
        photo_alt=(1, 3),
        home_news=6,
        soft404=True,
        search="empty",
        search_action="/search.html",
        search_field="kw",
        guides=2,
        guide_elements=6,
        downloads=2,
        downloads_missing=1,
        services=2,
        contact=(True, False, False),
        overview=("gk", "ld"),
        broken=(("home", 404), ("zwgk", 500), ("article", 404), ("article", 404)),
        site_code="1401210015",
        notes=(
            'Fifth. Lists <li><span class="date">2026-11-18</span><a>…</a></li> (date first) '
            "in div.lb; nav is div.daohang; unknown paths answer 200 (soft 404), so every dead "
            "link is an explicit 404/500; viewport without device-width; 政策解读 (in the nav) "
            "shows 暂无信息 (blank); 政策文件 (250 days) and 统计信息 (400 days) stale; "
            "only 2 annual reports (no column); board 县长信箱 is a dated ul list with detail "
            "pages (来信日期/回复日期, no status words: unanswered = no reply date); search "
            "form returns no result; 2 undated news articles."
        ),
    ),
    SiteSpec(
        id="dingxian",
        name_zh="丁县人民政府",
        name="Ding County People's Government",
        level="county",
        short="丁县",
        abbr="丁",
        rank=6,
        dialect="cnfull",
        columns=(
            ColSpec("zwdt", 10, 12, 10, nav=True, undated=(2, 4, 7)),
            ColSpec("tzgg", 6, 100, 50, nav=True, undated=(3,)),
            ColSpec("zcwj", 5, 300, 80, nav=True),
            ColSpec("zcjd", state="phrase", phrase="暂无内容", nav=True),
            ColSpec("rsxx", state="empty", nav=True),
            ColSpec("ghjh", state="phrase", phrase="正在建设", nav=True),
            ColSpec("yjgl", state="phrase", phrase="暂无信息", nav=True),
            ColSpec("zfcg", state="empty", nav=True),
            ColSpec("zxft", state="phrase", phrase="暂无数据", nav=True),
            ColSpec("czyjs", 4, 420, 60),
            ColSpec("tjxx", 4, 380, 60),
            ColSpec("zjdc", 2, 60, 60),
        ),
        topics=("xczx", "aqsc"),
        title_topics=("xczx", "aqsc", "jy"),
        reports=1,
        board_name="咨询投诉",
        board_style="table_nolink",
        board_labels=("咨询时间", "回复时间", ""),
        board_words=("", ""),
        letters=_letters((20, None), (50, None), (70, None), (88, None), (150, 45), (250, 120)),
        viewport=None,
        lang=False,
        copyright_year=False,
        logo_alt="none",
        badge_alt=("", "none"),
        photo_alt=(0, 1),
        home_news=5,
        robots=False,
        sitemap=False,
        search="missing",
        search_action="/search/search.php",
        search_field="keyword",
        guides=1,
        guide_elements=4,
        downloads=2,
        downloads_missing=1,
        services=1,
        zwfw_link=False,
        contact=(True, False, False),
        overview=("gk",),
        broken=(
            ("home", 404),
            ("zwfw", 404),
            ("hdjl", 404),
            ("zwgk", 404),
            ("article", 404),
            ("article", 404),
        ),
        redirects=(("home", "broken"),),
        site_code="1401220016",
        notes=(
            "Sixth (vetoed: 6 blank columns). Dates 2026年11月8日 in div.list_box lists; nav "
            "div.menu with drop-down sub-menus that link six blank columns (政策解读, 规划计划, "
            "应急管理, 在线访谈 show an empty-state phrase; 人事信息, 政府采购 an empty list); "
            "no viewport, no lang, no robots.txt, no sitemap.xml; the search form posts to a "
            "404; board 咨询投诉 is a table without links or detail pages (咨询时间/回复时间, "
            "no status column); 3 stale columns; a redirect to a 404 on the home page; 征集调查 "
            "has only 2 items (not a column); 2 undated news articles."
        ),
    ),
    SiteSpec(
        id="wuxian",
        name_zh="戊县人民政府",
        name="Wu County People's Government",
        level="county",
        short="戊县",
        abbr="戊",
        rank=7,
        dialect="oldtable",
        columns=(
            ColSpec("zwdt", 12, 52, 20, nav=True, undated=(1, 3, 4, 6, 8, 10), missing=(11,)),
            ColSpec("tzgg", 6, 200, 60, nav=True, undated=(2, 4)),
            ColSpec("zcwj", 4, 400, 100, nav=True),
            ColSpec("zcjd", state="phrase", phrase="栏目维护中", nav=True),
            ColSpec("rsxx", 4, 500, 100),
            ColSpec("czyjs", 4, 450, 100),
            ColSpec("tjxx", 4, 700, 100),
            ColSpec("zfcg", 4, 380, 30),
            ColSpec("yjgl", state="empty", nav=True),
        ),
        topics=("xczx",),
        title_topics=("xczx", "aqsc", "jy"),
        topic_states={"xczx": ("phrase", "暂无信息")},
        reports=1,
        board_name="县长信箱",
        board_style="table",
        board_labels=("来信日期", "回复日期", "办理状态"),
        board_words=("已回复", "未回复"),
        letters=_letters(
            (30, None),
            (120, None),
            (200, None),
            (250, 150),
            (300, None),
            (420, None),
            (520, 60),
            (610, 200),
            (700, 30),
        ),
        encoding="gbk",
        declare_charset=False,
        viewport=None,
        lang=False,
        copyright_year=False,
        logo_alt="none",
        badge_alt=("", ""),
        photo_alt=(0, 1),
        home_news=5,
        robots=False,
        sitemap=False,
        slow_home=0.3,
        search=None,
        guides=0,
        downloads=0,
        services=0,
        zwfw_link=False,
        contact=(False, False, False),
        overview=("gk",),
        guide_page=False,
        broken=(
            ("home", 404),
            ("home", 404),
            ("home", 500),
            ("zwgk", 404),
            ("zwgk", 404),
            ("zwfw", 404),
            ("hdjl", 404),
            ("article", 404),
            ("article", 404),
            ("article", 404),
            ("overview", 404),
        ),
        site_code="1401230017",
        notes=(
            "Worst (vetoed: home not updated for 52 days, 7 stale columns, letters unanswered "
            "for up to 300 days). GBK bytes with no charset anywhere (no Content-Type charset, "
            "no meta); old table layout (table.menu nav, table.newslist lists, .asp URLs); home "
            "page answers after 300 ms; no viewport, lang, robots.txt, sitemap.xml or search "
            "form; 政策解读 shows 栏目维护中 and 应急管理 an empty list (both in the nav: "
            "blank); the 乡村振兴 page shows 暂无信息 but is linked only from the 重点领域 page "
            "(not through navigation: not blank); 3 of 6 news articles undated and the oldest "
            "news item links a 404; an unanswered letter 420 days old lies outside the 365-day "
            "window; 12 dead links, 3 of them on the home page."
        ),
    ),
)

RANKING: tuple[str, ...] = tuple(s.id for s in sorted(SITES, key=lambda s: s.rank))
