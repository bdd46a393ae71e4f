"""The demo sites' message boards (领导信箱 / 留言板): the letters, the board's list pages in the
spec's style (a table, a dated list, titles only, a table without links) and each letter's
detail page."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from evalcrawler.demo import content as C
from evalcrawler.demo import replies as R
from evalcrawler.demo.markup import Doc, esc, fmt_date
from evalcrawler.demo.model import Letter, LetterFact

if TYPE_CHECKING:
    from evalcrawler.demo.sites import SiteBuilder

BOARD_FOLDERS = {
    "shifan": "szxx",
    "jiaqu": "qzxx",
    "yiqu": "wmly",
    "jishi": "szxx",
    "bingxian": "xzxx",
    "dingxian": "zxts",
    "wuxian": "xzxx",
}
"""Site id → the folder of its board (市长信箱 szxx, 区长信箱 qzxx, 网民留言 wmly …)."""


def make_letters(site: SiteBuilder) -> None:
    spec = site.spec
    subjects = list(C.LETTER_SUBJECTS)
    site.rng.shuffle(subjects)
    for n, ls in enumerate(sorted(spec.letters, key=lambda x: x.age)):
        asked = site.as_of - timedelta(days=ls.age)
        replied = asked + timedelta(days=ls.latency) if ls.latency is not None else None
        lid = 5000 + n + 1
        site.letters.append(Letter(lid, subjects[n], asked, replied, ls.status, None))
    # Replies, planted per site and year (oldest replied letter first).
    plan = R.plan_for(spec.id, site.as_of)
    replied_letters = sorted((x for x in site.letters if x.replied), key=lambda x: x.asked)
    for k, letter in enumerate(replied_letters):
        unit = f"{site.s}{C.REPLY_UNITS[letter.id % len(C.REPLY_UNITS)]}"
        letter.reply, letter.reply_quality = R.reply_for(plan[k % len(plan)], letter.title, unit)
    board = board_root(site)
    for letter in site.letters:
        if spec.board_style == "table_nolink":
            continue
        letter.path = site.dialect.letter_path(board, letter)


def board_root(site: SiteBuilder) -> str:
    return site.dialect.board_root(BOARD_FOLDERS[site.spec.id])


def letter_state(site: SiteBuilder, letter: Letter) -> str:
    return "replied" if letter.replied is not None else "unanswered"


def status_word(site: SiteBuilder, letter: Letter) -> str:
    replied_word, open_word = site.spec.board_words
    if letter.replied is not None:
        return replied_word
    return letter.status or open_word


def board_pages(site: SiteBuilder) -> None:
    spec = site.spec
    name = spec.board_name
    root = board_root(site)
    asked_l, reply_l, status_l = spec.board_labels
    letters = sorted(site.letters, key=lambda x: (x.asked, x.id), reverse=True)
    per = spec.board_per_page or len(letters)
    chunks = [letters[i : i + per] for i in range(0, len(letters), per)]
    paths = [root] + [site.cont_path(root, n) for n in range(1, len(chunks))]
    crumbs_base = [("互动交流", site.hub("hdjl"))]
    for n, chunk in enumerate(chunks):
        dated_rows = spec.board_style in ("table", "ul")
        role = "board"
        doc = Doc(site, paths[n], role, site.page_title(name))
        if dated_rows:
            doc.page.column = name
            doc.page.root = root
            doc.page.list_container = True
        body = f"<h1>{esc(name)}</h1><p>来信须知：请如实填写个人信息，文明留言。</p>"
        style = spec.board_style
        if style in ("table", "table_nolink"):
            cols = (
                ["序号", "信件标题", asked_l, reply_l]
                if site.dialect.board_numbered
                else ["标题", asked_l, reply_l]
            )
            if status_l:
                cols.append(status_l)
            head = "<tr>" + "".join(f"<th>{c}</th>" for c in cols) + "</tr>"
            rows = []
            for i, letter in enumerate(chunk):
                asked = fmt_date(letter.asked, "iso")
                reply = fmt_date(letter.replied, "iso") if letter.replied else site.dialect.no_reply
                if style == "table":
                    assert letter.path is not None
                    link = doc.a(site.rel(doc.path, letter.path), letter.title)
                    doc.item(letter.title, letter.path, letter.asked, asked, main=True)
                else:
                    link = esc(letter.title)
                cells = [link, asked, reply]
                if site.dialect.board_numbered:
                    cells.insert(0, str(n * per + i + 1))
                if status_l:
                    cells.append(status_word(site, letter))
                rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
                doc.page.letters.append(
                    LetterFact(
                        letter.title,
                        letter.path,
                        letter.asked,
                        letter.replied,
                        letter_state(site, letter),
                        "list",
                    )
                )
            cls = site.dialect.board_table_class
            if style == "table_nolink":
                cls = "zxts"
            body += f'<table class="{cls}">' + head + "".join(rows) + "</table>"
        elif style == "ul":
            dated = [(x.title, x.path or "", x.asked) for x in chunk]
            body += site.render_list(doc, dated, main=True)
        else:  # detail_only: titles only
            body += (
                '<div class="letters">'
                + "".join(f"<p>{doc.a(x.path or '', x.title)}</p>" for x in chunk)
                + "</div>"
            )
        if len(chunks) > 1:
            body += site.dialect.pager(doc, paths, n, len(letters))
        if n:
            doc.page.role = "continuation"
        site.finish(doc, body, [*crumbs_base, (name, root)])
    if spec.board_style == "table_nolink":
        return
    for letter in letters:
        letter_page(site, letter, name, root)


def letter_page(site: SiteBuilder, letter: Letter, board_name: str, board_root: str) -> None:
    spec = site.spec
    asked_l, reply_l, status_l = spec.board_labels
    assert letter.path is not None
    doc = Doc(site, letter.path, "letter", site.page_title(letter.title))
    doc.page.publish_date = letter.asked  # the asked label is the page's labelled date
    parts = [
        f"<h1>{esc(letter.title)}</h1>",
        "<p>来信人：张**</p>",
        f"<p>{asked_l}：{fmt_date(letter.asked, 'iso')}</p>",
        f"<p>来信内容：{esc(letter.title)}，希望有关部门尽快处理。</p>",
    ]
    if letter.replied is not None:
        unit = C.REPLY_UNITS[letter.id % len(C.REPLY_UNITS)]
        parts += [
            f"<p>{reply_l}：{fmt_date(letter.replied, 'iso')}</p>",
            f"<p>回复单位：{esc(site.s)}{unit}</p>",
            f"<p>回复内容：{esc(letter.reply)}</p>",
        ]
    if status_l:
        parts.append(f"<p>{status_l}：{status_word(site, letter)}</p>")
    doc.page.letters.append(
        LetterFact(
            letter.title,
            letter.path,
            letter.asked,
            letter.replied,
            letter_state(site, letter),
            "detail",
            letter.reply_quality if letter.replied is not None else "",
        )
    )
    crumbs: list[tuple[str, str | None]] = [
        ("互动交流", site.hub("hdjl")),
        (board_name, board_root),
        ("信件详情", None),
    ]
    site.finish(doc, '<div class="letter">' + "".join(parts) + "</div>", crumbs)
