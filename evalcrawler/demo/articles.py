"""The demo sites' articles and columns: every column's articles (titles from the content
banks, dates from the spec), the column pages with their pager continuations and blank columns,
and each article page."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from evalcrawler.demo import content as C
from evalcrawler.demo import families
from evalcrawler.demo.markup import HDJL_KEYS, TOPIC_KIND, Doc, esc, fmt_date, iso
from evalcrawler.demo.model import Article, Column, Response
from evalcrawler.demo.specs import ColSpec

if TYPE_CHECKING:
    from evalcrawler.demo.sites import SiteBuilder


def column_ages(site: SiteBuilder, col: ColSpec) -> list[int]:
    ages = []
    age = col.newest
    for i in range(col.count):
        if i:
            age += col.step + site.rng.randint(0, max(col.step // 3, 0))
        ages.append(age)
    return ages


def make_articles(site: SiteBuilder) -> None:
    """Articles of every column, newest first; titles from the topic or column banks."""
    spec = site.spec
    cycle = spec.title_topics or spec.topics or tuple(C.TOPICS)
    n_topic = 0
    used: dict[tuple[str, str], int] = {}
    for col in spec.columns:
        if col.state != "ok":
            continue
        arts: list[Article] = []
        ages = column_ages(site, col)
        feedback_left = spec.zjdc_feedback
        zjdc_bank = C.COLUMN_TITLES["zjdc"]
        calls, feedbacks = (
            [zjdc_bank[0], zjdc_bank[2], zjdc_bank[4]],
            [zjdc_bank[1], zjdc_bank[3]],
        )
        for i, age in enumerate(ages):
            day = site.as_of - timedelta(days=age)
            topic = None
            if col.key in TOPIC_KIND:
                topic = cycle[n_topic % len(cycle)]
                n_topic += 1
                kind = TOPIC_KIND[col.key]
                bank = C.TOPIC_TITLES[topic][kind]
                k = used.get((topic, kind), 0)
                used[(topic, kind)] = k + 1
                template = bank[k % len(bank)]
            elif col.key == "zjdc":
                if feedback_left and i % 2 == 1:
                    template = feedbacks.pop(0)
                    feedback_left -= 1
                else:
                    template = calls.pop(0)
            else:
                bank = C.COLUMN_TITLES[col.key]
                template = bank[i % len(bank)]
            title = template.format(s=site.s, gov=site.gov, y=day.year, y1=day.year - 1)
            art = Article(site.new_id(), col.key, title, day, topic=topic)
            art.dated = i not in col.undated
            art.missing = i in col.missing
            if not art.dated and (
                col.key not in ("zwdt", "tzgg") or any(ch.isdigit() for ch in title)
            ):
                raise AssertionError(f"{spec.id}: undated article {title!r} would show a date")
            arts.append(art)
        if col.key == "zcwj":
            count: dict[int, int] = {}
            for art in reversed(arts):
                count[art.date.year] = count.get(art.date.year, 0) + 3
                kind = "政办发" if count[art.date.year] % 2 else "政发"
                art.number = f"{spec.abbr}{kind}〔{art.date.year}〕{count[art.date.year]}号"
        if col.key == "zwdt" and site.dialect.range_title:
            # A title that carries a date range: the item's date is its date column.
            second = arts[1]
            week_end = second.date - timedelta(days=second.date.weekday() + 1)
            week_start = week_end - timedelta(days=6)
            second.title = (
                f"{site.s}第{week_end.isocalendar()[1]}周（{week_start.year}年"
                f"{week_start.month}月{week_start.day}日至{week_end.day}日）空气质量周报"
            )
        for art in arts:
            art.path = site.article_path(art)
        site.articles.extend(arts)
        site.columns[col.key] = Column(
            key=col.key,
            name=site.name_of[col.key],
            root=site.col_root(col.key),
            articles=arts,
            nav=col.nav,
            per_page=col.per_page,
            hub="hdjl" if col.key in HDJL_KEYS else "zwgk",
        )
    for col in spec.columns:
        if col.state != "ok":
            site.columns[col.key] = Column(
                key=col.key,
                name=site.name_of[col.key],
                root=site.col_root(col.key),
                articles=[],
                state=col.state,
                phrase=col.phrase,
                nav=col.nav,
                hub="hdjl" if col.key in HDJL_KEYS else "zwgk",
            )
    # 政府信息公开年报
    reports = []
    for k in range(spec.reports):
        year = site.as_of.year - 1 - k
        day = date(year + 1, 1, 18 + k)
        title = f"{site.gov}{year}年政府信息公开工作年度报告"
        art = Article(site.new_id(), "ndbg", title, day)
        art.path = site.article_path(art)
        reports.append(art)
    site.articles.extend(reports)
    site.columns["ndbg"] = Column("ndbg", site.name_of["ndbg"], site.col_root("ndbg"), reports)
    # 重点领域 topic columns list the articles tagged with their topic.
    for key in spec.topics:
        state, phrase = spec.topic_states.get(key, ("ok", ""))
        tagged = [a for a in site.articles if a.topic == key and not a.missing]
        tagged.sort(key=lambda a: (a.date, a.id), reverse=True)
        site.columns[key] = Column(
            key,
            site.name_of[key],
            site.col_root(key),
            tagged if state == "ok" else [],
            state=state,
            phrase=phrase,
            hub="zdly",
        )
    titles = [a.title for a in site.articles]
    if len(set(titles)) != len(titles):
        dupes = sorted({t for t in titles if titles.count(t) > 1})
        raise AssertionError(f"{spec.id}: duplicate titles {dupes}")


def body_text(site: SiteBuilder, art: Article) -> str:
    topic = C.TOPICS.get(art.topic or "", "重点")
    picks = site.rng.sample(C.BODY, 3)
    return "".join(f"<p>{esc(p.format(s=site.s, t=topic))}</p>" for p in picks)


def column_pages(site: SiteBuilder, col: Column) -> None:
    hub_text, hub_path = hub_crumb(site, col.hub)
    title = site.page_title(col.name)
    if col.state != "ok":
        doc = Doc(site, col.root, "blank", title)
        doc.page.column = col.name
        body = f"<h1>{esc(col.name)}</h1>" + site.empty_list(doc, col.state, col.phrase)
        site.finish(doc, body, [(hub_text, hub_path), (col.name, None)])
        col.pages = [col.root]
        return
    arts = col.articles
    per = col.per_page or len(arts) or 1
    chunks = [arts[i : i + per] for i in range(0, len(arts), per)] or [[]]
    paths = [col.root] + [site.cont_path(col.root, n) for n in range(1, len(chunks))]
    col.pages = paths
    for n, chunk in enumerate(chunks):
        role = "continuation" if n else ("column" if len(arts) >= 3 else "list")
        doc = Doc(site, paths[n], role, title)
        doc.page.column = col.name
        doc.page.root = col.root if role != "list" else None
        doc.page.list_container = True
        rows = [(a.title, a.path, a.date) for a in chunk]
        numbers = None
        if col.key == "zcwj" and site.dialect.doc_numbers:
            numbers = {a.path: a.number for a in chunk}
        spec = site.spec.column(col.key)
        if spec is not None and spec.family:
            shown = families.render_list(doc, spec.family, rows)
        else:
            shown = site.render_list(doc, rows, main=True, numbers=numbers)
        body = f"<h1>{esc(col.name)}</h1>" + shown
        if len(chunks) > 1:
            body += site.dialect.pager(doc, paths, n, len(arts))
        site.finish(doc, body, [(hub_text, hub_path), (col.name, col.root)])


def hub_crumb(site: SiteBuilder, hub: str) -> tuple[str, str]:
    if hub == "hdjl":
        return "互动交流", site.hub("hdjl")
    if hub == "zdly":
        return "法定主动公开内容", site.sub("zwgk", "zdly")
    return site.spec.hub_name, site.hub("zwgk")


def article_page(site: SiteBuilder, art: Article) -> None:
    if art.missing:
        return
    col_name = site.name_of.get(art.col, "")
    doc = Doc(site, art.path, "article", site.page_title(art.title))
    label, style = site.dialect.date_label, site.dialect.date_style
    info = []
    if art.dated:
        doc.page.publish_date = art.date
        shown = fmt_date(art.date, style)
        if site.dialect.time_and_meta:
            shown += " 09:30"
            doc.meta.append(("PubDate", f"{iso(art.date)} 09:30"))
            doc.meta.append(("ColumnName", col_name))
        info.append(f"{label}：{shown}")
    info.append(f"来源：{esc(site.gov)}办公室")
    parts = [f"<h1>{esc(art.title)}</h1>", f'<div class="attr">{"　".join(info)}</div>']
    if art.number:
        parts.append(
            '<table class="doc-meta">'
            f"<tr><td>文号：</td><td>{esc(art.number)}</td></tr>"
            f"<tr><td>发文机关：</td><td>{esc(site.gov)}</td></tr></table>"
        )
    parts.append(f'<div class="{site.dialect.body_class}">{body_text(site, art)}</div>')
    if art.col == "zwdt":
        site.photo_n += 1
        num, den = site.spec.photo_alt
        alt = art.title if (site.photo_n - 1) % den < num else site.dialect.missing_alt
        parts.append(f'<p class="pic">{doc.img(f"/images/photo_{art.id}.png", alt)}</p>')
    if art.col in ("zcwj", "czyjs", "tjxx") and art.dated:
        path = f"/uploads/{art.date:%Y%m}/P0{art.date:%Y%m%d}{art.id}.pdf"
        site.add_file(path, "pdf", art.title)
        parts.append(f"<p>附件：{doc.a(path, art.title + '.pdf')}</p>")
    parts.append(article_extras(site, doc, art))
    tools = [
        doc.a("javascript:window.print()", "打印本页"),
        doc.a("javascript:window.close()", "关闭窗口"),
    ]
    if site.dialect.top_anchor:
        tools.append(doc.a("#top", "返回顶部"))
    parts.append(f'<p class="tools">{" ".join(tools)}</p>')
    hub_text, hub_path = hub_crumb(site, "hdjl" if art.col in HDJL_KEYS else "zwgk")
    col = site.columns[art.col]
    crumbs: list[tuple[str, str | None]] = [
        (hub_text, hub_path),
        (col.name, col.root),
        ("正文", None),
    ]
    article = f'<div class="{site.dialect.article_class}">' + "".join(parts) + "</div>"
    site.finish(doc, article, crumbs)


def article_extras(site: SiteBuilder, doc: Doc, art: Article) -> str:
    """Planted dead links and the robots-disallowed link, on the first suitable articles."""
    out = ""
    dead = site.dead.get("article", [])
    if art.col == "zcwj" and art.dated and "article" not in site._extras_done and dead:
        site._extras_done.add("article")
        out += "".join(f"<p>{doc.a(path, text)}</p>" for text, path in dead)
    if site.spec.disallow and art.col == "zwdt" and "internal" not in site._extras_done:
        site._extras_done.add("internal")
        target = f"{site.spec.disallow}oa/index.html"
        site.responses[target] = Response(
            200,
            site.html_headers(),
            "<html><body><p>内部办公系统（仅限内网访问）</p></body></html>".encode(
                site.spec.encoding
            ),
        )
        out += f"<p>{doc.a(target, '内部办公系统')}</p>"
    return out
