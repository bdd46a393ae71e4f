"""The demo sites' portal pages: the home page, the hubs (政务公开, 在线办事, 互动交流, 走进…)
with the pages under them (guides, downloads, FAQ, overview), and the site map."""

from __future__ import annotations

from typing import TYPE_CHECKING

from evalcrawler.demo import content as C
from evalcrawler.demo import families
from evalcrawler.demo.board import board_root
from evalcrawler.demo.markup import HDJL_KEYS, PHONES, Doc, esc
from evalcrawler.demo.planted import SITES

if TYPE_CHECKING:
    from evalcrawler.demo.sites import SiteBuilder


def col_link(site: SiteBuilder, doc: Doc, key: str) -> str:
    col = site.columns[key]
    return doc.a(col.root, col.name)


def hub_pages(site: SiteBuilder) -> None:
    spec = site.spec
    # 政务公开 / 信息公开
    doc = Doc(site, site.hub("zwgk"), "hub", site.page_title(spec.hub_name))
    first = []
    if spec.guide_page:
        first.append(doc.a(site.sub("zwgk", "gkzn"), "政府信息公开指南"))
    if spec.topics:
        first.append(doc.a(site.sub("zwgk", "zdly"), "法定主动公开内容"))
    first.append(col_link(site, doc, "ndbg"))
    keys = [c.key for c in spec.columns if c.key not in HDJL_KEYS]
    catalogue = [col_link(site, doc, k) for k in keys]
    body = (
        f"<h1>{esc(spec.hub_name)}</h1>"
        '<div class="sec"><h3>政府信息公开</h3><ul class="cat">'
        + "".join(f"<li>{x}</li>" for x in first)
        + "</ul></div>"
        '<div class="sec"><h3>主动公开目录</h3><ul class="cat">'
        + "".join(f"<li>{x}</li>" for x in catalogue)
        + "</ul></div>"
        + site.dead_links(doc, "zwgk")
    )
    site.finish(doc, body, [(spec.hub_name, None)])
    # 政府信息公开指南
    if spec.guide_page:
        doc = Doc(site, site.sub("zwgk", "gkzn"), "other", site.page_title("政府信息公开指南"))
        text = (
            f"<h1>{esc(site.gov)}政府信息公开指南</h1>"
            "<p>为了更好地提供政府信息公开服务，根据《中华人民共和国政府信息公开条例》，编制本指南。</p>"
            "<h3>一、主动公开</h3><p>主动公开的政府信息通过政府网站、政府公报、新闻发布会等方式公开。</p>"
            "<h3>二、依申请公开</h3><p>申请人可通过网上申请、信函申请、当面申请等方式提出申请。</p>"
            f"<h3>三、受理机构</h3><p>{esc(site.gov)}办公室，办公时间：工作日上午九时至十二时。</p>"
        )
        site.finish(doc, text, [(spec.hub_name, site.hub("zwgk")), ("政府信息公开指南", None)])
    # 法定主动公开内容 (重点领域)
    if spec.topics:
        doc = Doc(site, site.sub("zwgk", "zdly"), "hub", site.page_title("法定主动公开内容"))
        links = "".join(f"<li>{col_link(site, doc, k)}</li>" for k in spec.topics)
        body = (
            '<h1>法定主动公开内容</h1><div class="sec"><h3>重点领域信息公开</h3>'
            f'<ul class="cat">{links}</ul></div>'
        )
        site.finish(doc, body, [(spec.hub_name, site.hub("zwgk")), ("法定主动公开内容", None)])
    zwfw_pages(site)
    families.extra_pages(site)
    hdjl_pages(site)
    zj_pages(site)
    site_map_page(site)


def zwfw_pages(site: SiteBuilder) -> None:
    spec = site.spec
    doc = Doc(site, site.hub("zwfw"), "hub", site.page_title("在线办事"))
    parts = ["<h1>在线办事</h1>", '<div class="sec"><h3>网上办事</h3>']
    if spec.zwfw_link:
        parts.append(
            "<p>"
            + doc.a(
                f"https://zwfw.{spec.id}.example/",
                f"{site.s}政务服务网",
                attrs='target="_blank"',
            )
            + "</p>"
        )
    entries = []
    if spec.guides:
        entries.append(doc.a(site.sub("zwfw", "bszn"), "办事指南"))
    if spec.downloads:
        entries.append(doc.a(site.sub("zwfw", "bgxz"), "表格下载"))
    if entries:
        parts.append('<ul class="cat">' + "".join(f"<li>{e}</li>" for e in entries) + "</ul>")
    parts.append("</div>")
    if spec.services:
        services = "".join(
            "<li>"
            + doc.a(f"https://{host}.{spec.id}.example/", name, attrs="target=_blank")
            + "</li>"
            for name, host in C.SERVICES[: spec.services]
        )
        parts.append(f'<div class="sec"><h3>便民服务</h3><ul class="cat">{services}</ul></div>')
    if spec.data_open:
        parts.append(
            '<div class="sec"><h3>数据发布</h3><ul class="cat"><li>'
            + doc.a(f"https://data.{spec.id}.example/", "数据开放平台", attrs='target="_blank"')
            + "</li><li>"
            + col_link(site, doc, "tjxx")
            + "</li></ul></div>"
        )
    parts.append(site.dead_links(doc, "zwfw"))
    site.finish(doc, "".join(parts), [("在线办事", None)])
    crumbs_zwfw: list[tuple[str, str | None]] = [("在线办事", site.hub("zwfw"))]
    # 办事指南 and the guides
    if spec.guides:
        doc = Doc(site, site.sub("zwfw", "bszn"), "other", site.page_title("办事指南"))
        items = []
        for n, (name, _unit, _basis) in enumerate(C.GUIDES[: spec.guides]):
            path = site.sub("zwfw", f"guide{n + 1}")
            items.append(f"<li>{doc.a(path, name + '办事指南')}</li>")
        site.finish(
            doc,
            '<h1>办事指南</h1><ul class="cat">' + "".join(items) + "</ul>",
            [*crumbs_zwfw, ("办事指南", None)],
        )
        for n, (name, unit, basis) in enumerate(C.GUIDES[: spec.guides]):
            path = site.sub("zwfw", f"guide{n + 1}")
            doc = Doc(site, path, "other", site.page_title(name + "办事指南"))
            values = {
                "事项名称": name,
                "设定依据": basis,
                "申请条件": "符合相关规定条件的申请人。",
                "办理材料": "申请表、居民身份证原件及复印件。",
                "办理地点": f"{site.s}政务服务中心一楼综合窗口",
                "办理机构": f"{site.s}{unit}",
                "收费标准": "不收费",
                "办理时间": "法定工作日上午九时至十二时，下午一时至五时",
                "联系电话": PHONES[spec.id],
                "办理流程": "申请、受理、审核、办结。",
            }
            rows = "".join(
                f"<tr><th>{k}</th><td>{esc(values[k])}</td></tr>"
                for k in C.GUIDE_ELEMENTS[: spec.guide_elements]
            )
            site.finish(
                doc,
                f'<h1>{esc(name)}办事指南</h1><table class="guide">{rows}</table>',
                [*crumbs_zwfw, ("办事指南", site.sub("zwfw", "bszn")), (name, None)],
            )
    # 表格下载
    if spec.downloads:
        doc = Doc(site, site.sub("zwfw", "bgxz"), "other", site.page_title("表格下载"))
        items = []
        for n, (title, ext) in enumerate(C.DOWNLOADS[: spec.downloads]):
            path = f"/files/form_{n + 1:02d}.{ext}"
            if n >= spec.downloads - spec.downloads_missing:
                site.add_broken(path, 404)
            else:
                site.add_file(path, ext, title)
            items.append(f"<li>{doc.a(path, f'{title}.{ext}')}</li>")
        site.finish(
            doc,
            '<h1>表格下载</h1><ul class="files">' + "".join(items) + "</ul>",
            [*crumbs_zwfw, ("表格下载", None)],
        )


def hdjl_pages(site: SiteBuilder) -> None:
    spec = site.spec
    doc = Doc(site, site.hub("hdjl"), "hub", site.page_title("互动交流"))
    parts = ["<h1>互动交流</h1>"]
    board = doc.a(board_root(site), spec.board_name)
    parts.append(
        f'<div class="sec"><h3>{esc(spec.board_name)}</h3><p>{board}</p>'
        f"<p>欢迎您通过{esc(spec.board_name)}反映问题、提出建议。</p></div>"
    )
    for key in HDJL_KEYS:
        if key in site.columns:
            parts.append(
                f'<div class="sec"><h3>{esc(site.columns[key].name)}</h3>'
                f"<p>{col_link(site, doc, key)}</p></div>"
            )
    if spec.faq:
        parts.append(f'<div class="sec"><p>{doc.a(site.sub("hdjl", "cjwt"), "常见问题")}</p></div>')
    if spec.hotline:
        parts.append(
            '<div class="sec"><p>政务服务便民热线：12345'
            "（全天候受理咨询、投诉、求助、建议）</p></div>"
        )
    if spec.new_media:
        parts.append(
            '<div class="sec"><h3>政务新媒体</h3><p>'
            + doc.a(f"https://mp.weixin.example/{spec.id}", "政务微信", attrs='target="_blank"')
            + " "
            + doc.a(f"https://weibo.example/{spec.id}", "政务微博", attrs='target="_blank"')
            + "</p></div>"
        )
    parts.append(site.dead_links(doc, "hdjl"))
    site.finish(doc, "".join(parts), [("互动交流", None)])
    if spec.faq:
        doc = Doc(site, site.sub("hdjl", "cjwt"), "other", site.page_title("常见问题"))
        qa = "".join(f'<dl class="faq"><dt>{esc(q)}</dt><dd>{esc(a)}</dd></dl>' for q, a in C.FAQ)
        site.finish(
            doc, f"<h1>常见问题</h1>{qa}", [("互动交流", site.hub("hdjl")), ("常见问题", None)]
        )


def zj_pages(site: SiteBuilder) -> None:
    spec = site.spec
    label = {"municipal": "市情", "district": "区情", "county": "县情", "county_city": "市情"}[
        spec.level
    ]
    names = {"gk": f"{label}概况", "ld": "领导信息", "jg": "机构设置"}
    hub = f"走进{site.s}"
    doc = Doc(site, site.hub("zjgk"), "hub", site.page_title(hub))
    links = "".join(f"<li>{doc.a(site.sub('zjgk', k), names[k])}</li>" for k in spec.overview)
    site.finish(doc, f'<h1>{esc(hub)}</h1><ul class="cat">{links}</ul>', [(hub, None)])
    crumbs: list[tuple[str, str | None]] = [(hub, site.hub("zjgk"))]
    for key in spec.overview:
        doc = Doc(site, site.sub("zjgk", key), "other", site.page_title(names[key]))
        if key == "gk":
            body = (
                f'<h1>{names[key]}</h1><div class="article">'
                f"<p>{esc(site.s)}位于山地与平原交界地带，历史悠久，物产丰富。</p>"
                "<p>辖区面积一千二百平方公里，常住人口约四十六万人，辖六镇四乡。</p>"
                "<p>近年来，经济社会持续健康发展，人民生活水平不断提高。</p></div>"
                + site.dead_links(doc, "overview")
            )
        elif key == "ld":
            people = site.rng.sample(C.LEADERS, 4)
            titles = ["长", "副长", "副长", "副长"]
            unit = label[0]
            blocks = "".join(
                f'<div class="leader"><h3>{p}</h3><p>{unit}{t}</p><p>分工：{C.DUTIES[i]}</p></div>'
                for i, (p, t) in enumerate(zip(people, titles, strict=True))
            )
            body = f"<h1>{names[key]}</h1>{blocks}"
        else:
            rows = "".join(
                f"<tr><td>{esc(site.s)}{u}</td><td>{esc(site.s)}人民路一号</td><td>{PHONES[spec.id][:-1]}{i}</td></tr>"
                for i, u in enumerate(C.UNITS)
            )
            body = (
                f'<h1>{names[key]}</h1><table class="org"><tr><th>机构名称</th><th>地址</th>'
                f"<th>联系电话</th></tr>{rows}</table>"
            )
        site.finish(doc, body, [*crumbs, (names[key], None)])


def site_map_page(site: SiteBuilder) -> None:
    spec = site.spec
    doc = Doc(site, site.hub("wzdt"), "other", site.page_title("网站地图"))
    origin = f"http://{site.netloc}" if spec.self_absolute else ""
    groups = [
        (
            spec.hub_name,
            site.hub("zwgk"),
            [k for k in site.columns if site.columns[k].hub == "zwgk"],
        ),
        (
            "互动交流",
            site.hub("hdjl"),
            [k for k in site.columns if site.columns[k].hub == "hdjl"],
        ),
    ]
    blocks = []
    for name, hub, keys in groups:
        links = "".join(
            f"<li>{doc.a(origin + site.columns[k].root, site.columns[k].name)}</li>" for k in keys
        )
        blocks.append(
            f'<div class="sec"><h3>{doc.a(origin + hub, name)}</h3>'
            f'<ul class="cat">{links}</ul></div>'
        )
    blocks.append(f'<div class="sec"><h3>{doc.a(origin + site.hub("zwfw"), "在线办事")}</h3></div>')
    site.finish(doc, "<h1>网站地图</h1>" + "".join(blocks), [("网站地图", None)])


def home_page(site: SiteBuilder) -> None:
    spec = site.spec
    doc = Doc(site, "/", "home", site.gov)
    cols = site.columns
    parts = []
    news = [a for a in cols["zwdt"].articles if not a.missing]
    head = news[0]
    site.photo_n += 1
    num, den = spec.photo_alt
    alt = head.title if (site.photo_n - 1) % den < num else None
    picture = doc.img(f"/images/photo_{head.id}.png", alt)
    parts.append(
        '<div class="focus">'
        + doc.a(head.path, alt or "", inner=picture)
        + f"<p>{doc.a(head.path, head.title)}</p></div>"
    )
    if site.dialect.url_dated_headline:
        # The headline's URL carries its date (…/t20261119_…): a dated link by its URL.
        doc.item(head.title, head.path, head.date, f"{head.date:%Y%m%d}", main=False)
    sections = [("zwdt", spec.home_news), ("tzgg", 5), ("zcwj", 5), ("zcjd", 3), ("hygq", 3)]
    for key, n in sections:
        col = cols.get(key)
        if col is None or col.state != "ok":
            continue
        rows = [(a.title, a.path, a.date) for a in col.articles[:n] if not a.missing]
        more = doc.a(col.root, "更多") if col.nav else ""
        parts.append(
            f'<div class="box"><h3>{doc.a(col.root, col.name)}</h3>{more}'
            + site.render_list(doc, rows, main=False, home=True)
            + "</div>"
        )
    # 在线办事 / 互动交流 / 专题
    service = [doc.a(site.hub("zwfw"), "在线办事")]
    if spec.zwfw_link:
        service.append(
            doc.a(
                f"https://zwfw.{spec.id}.example/",
                f"{site.s}政务服务网",
                attrs='target="_blank"',
            )
        )
    parts.append('<div class="box"><h3>在线办事</h3><p>' + " ".join(service) + "</p></div>")
    interact = [doc.a(board_root(site), spec.board_name)]
    interact += [col_link(site, doc, k) for k in HDJL_KEYS if k in cols and cols[k].state == "ok"]
    parts.append('<div class="box"><h3>互动交流</h3><p>' + " ".join(interact) + "</p></div>")
    topics = [doc.a(site.sub("zwgk", "zdly"), "重点领域信息公开")] if spec.topics else []
    parts.append(
        '<div class="box"><h3>专题专栏</h3>'
        + "".join(f"<p>{t}</p>" for t in topics)
        + site.dead_links(doc, "home")
        + "</div>"
    )
    friends = " ".join(
        doc.a(site.origins[other.id], other.name_zh, attrs='target="_blank"')
        for other in SITES
        if other.id != spec.id
    )
    extra = ""
    if site.dialect.favourite_link:
        extra = doc.a("javascript:void(0)", "加入收藏")
    parts.append(f'<div class="yqlj"><h3>友情链接</h3><p>{friends}</p><p>{extra}</p></div>')
    site.finish(doc, "".join(parts))
