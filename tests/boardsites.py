"""Message boards built from the structures of real government boards, filled with real letters.

No saved page of a real Chinese government message board was found in the public repositories
searched (tests/fixtures/real/corpus/SOURCES-E.md says where and how). What was found are the
structures: crawlers whose XPaths name a real board's markup, and a government CMS's board
templates. The pages here are BUILT from those structures; they are not real pages and count
for nothing in the real-page accuracy table. What they hold is real: every letter's asked and
replied times and its subject come from ``tests/fixtures/real/message-board-replies.csv``, the
reply texts from ``tests/fixtures/real/replies-sample.csv`` (the 2020 Teddy Cup C data set,
附件4; PROVENANCE.md and PROVENANCE-replies.md in that folder).

Boards:

* :func:`jms_site` — the structure of 佳木斯市人民政府's 政民互动 board (www.jms.gov.cn), as
  named by the crawler ``WaiBaoSpider/spiders/jiamusi.py`` of jamesfyp/WaiBaoSpider @
  ``fe144e377cd695d94b08bf4256f22dfb5df58ef9`` (2019): list pages
  ``/html/zmhd/page/jms_10030001_{n}.html`` whose letters are ``ul#wszxList > li``, each
  ``span[1]/a`` (title and link), ``span[2]`` (type), ``span[3]`` (答复部门), ``span[4]``
  (state) and ``span[5]`` (date); a detail page per letter whose values are the spans
  ``#releaseMan``, ``#zxsj``, ``#title``, ``#conType``, ``#state``, ``#content``,
  ``#accessory``, ``#conDept``, ``#replyTime``, ``#replyContent`` and ``div#myd``. The crawler
  names these fields 来信人, 咨询时间, 信件标题, 所属类型, 处理情况, 信件内容, 附件, 承办单位,
  处理时间, 处理结果, 回复满意度: those are the labels shown here, each in a ``<span>`` before
  its value (the crawler's XPaths name only the value spans, so where the label sits is built,
  not known). This is the board of issue 11: about 900 letters of the year, states 办理完毕 and
  正在办理, one letter 办理完毕 with an empty 处理时间.
* :func:`minmore_list_page`, :func:`minmore_detail_page` — the 局长信箱 templates of
  wangxiaomo/MinMoreCMS, a CMS for government bureaus: the list
  ``MinMore/Template/L2_Flat/DirectorMail/Index/index.php`` @
  ``ccf801fb758319345cd8e0385db3f3365acd47ae`` (a table, header 来信主题 | 状态 | 时间 | 受理单位,
  state 已回复 when the letter has a reply, else 未回复) and the letter
  ``MinMore/Template/Default/DirectorMail/Membermail/mail.php`` @
  ``a49801dddf11b2ecb31a3e36ab982a3cc222fec5`` (two label–value tables: 来信时间:, 办事状态:,
  来信内容:, 办理时间: — ``暂无`` while unanswered — and 处理情况:, which holds the reply's text).
  Labels, cells and date formats are the templates' own (including the detail's 12-hour
  ``h:i:s``); the page shell around them is built.
* :func:`tongchuan_list_page`, :func:`tongchuan_detail_page` — 铜川市人民政府's boards
  (www.tongchuan.gov.cn ``news_list.rt``), from ``WaiBaoSpider/spiders/tongchuan.py`` of the
  same commit: a list ``table.shouli_tab`` whose
  rows after the first hold 受理编号, the title link, 受理时间, 办理部门 and the state in a
  ``<span>``; a detail ``div.yisq`` with two tables of label and value cells (姓名, 来信时间,
  是否公开, 信件主题, 信件内容; 受理时间, 办理时间, 办理部门, 办理状态, 办理情况). Labels are the
  crawler's field names; 受理时间 is not in the data set and is shown as the asked day.

What is built besides the structure: the page shells (head, navigation, pager), 来信人 (网友:
the data set's user names are not kept), the type (咨询) and the department (相关部门), and the
letter's text, which is its real subject (the data set copy holds no letter body).
"""

from __future__ import annotations

import csv
import html
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

REAL = Path(__file__).parent / "fixtures" / "real"

JMS_AS_OF = date(2019, 12, 31)
"""The day the jms board is shown as of: replies after it are not on the board yet."""

JMS_PER_PAGE = 20
JMS_DONE_WITHOUT_DATE = 3
"""How many replied letters show 办理完毕 with an empty 处理时间: the replied letters with the
smallest ids (their reply time is removed from the page; the truth knows it)."""

JMS_OLD_IDS = ("92055", "86703")
"""Two older letters on the board's last page, whose subjects hold dates: 对J11市东江街道6月8日
回复的质疑 (asked 2018) and 咨询机关事业单位2014年10月以后退休政策 (asked 2016)."""


@dataclass(frozen=True)
class Letter:
    """One real letter as a board shows it on the as-of day."""

    id: str
    subject: str
    asked: datetime
    replied: datetime | None  # shown on the board (None: open, or done without a date)
    done: bool  # the board marks it done (办理完毕 / 已回复 …)
    reply: str  # the reply's text (empty when the data set copy has none)
    true_replied: datetime | None  # the data set's reply time, shown or not


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text) if "T" in text else datetime.fromisoformat(text + "T00:00")


def real_letters() -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """The letters of message-board-replies.csv by id, and the reply texts by id."""
    with (REAL / "message-board-replies.csv").open(encoding="utf-8", newline="") as f:
        letters = {row["id"]: row for row in csv.DictReader(f)}
    with (REAL / "replies-sample.csv").open(encoding="utf-8", newline="") as f:
        replies = {row["id"]: row["reply"] for row in csv.DictReader(f)}
    return letters, replies


def jms_letters(as_of: date = JMS_AS_OF) -> list[Letter]:
    """The letters of the jms board: every letter asked in the as-of year, newest first, then
    the two older ones. A letter replied after the as-of day is open (正在办理)."""
    rows, replies = real_letters()
    year = [r for r in rows.values() if _when(r["asked_at"]).year == as_of.year]
    year.sort(key=lambda r: (r["asked_at"], r["id"]), reverse=True)
    chosen = year + [rows[i] for i in JMS_OLD_IDS]
    done_ids = sorted((r["id"] for r in chosen if _when(r["replied_at"]).date() <= as_of), key=int)[
        :JMS_DONE_WITHOUT_DATE
    ]
    out = []
    for r in chosen:
        replied = _when(r["replied_at"])
        done = replied.date() <= as_of
        shown = replied if done and r["id"] not in done_ids else None
        out.append(
            Letter(
                id=r["id"],
                subject=r["subject"],
                asked=_when(r["asked_at"]),
                replied=shown,
                done=done,
                reply=replies.get(r["id"], "") if done else "",
                true_replied=replied,
            )
        )
    return out


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _shell(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title></head><body>{body}</body></html>"
    )


def _stamp(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else ""


# ------------------------------------------------------------------------------------- jms

JMS_LIST = "/html/zmhd/page/jms_10030001_{}.html"
JMS_DETAIL = "/html/zmhd/detail/{}.html"
JMS_NAV = (
    '<div class="top"><a href="/">首页</a> <a href="/html/zmhd/page/jms_10030001_1.html">'
    "政民互动</a></div>"
)


def jms_list_page(letters: list[Letter], page: int, pages: int) -> str:
    rows = []
    for letter in letters:
        state = "办理完毕" if letter.done else "正在办理"
        rows.append(
            f'<li><span><a href="{JMS_DETAIL.format(letter.id)}" target="_blank">'
            f"{_e(letter.subject)}</a></span><span>咨询</span><span>相关部门</span>"
            f"<span>{state}</span><span>{letter.asked:%Y-%m-%d}</span></li>"
        )
    pager = " ".join(
        f'<a href="{JMS_LIST.format(n)}">{n}</a>' if n != page else f"<b>{n}</b>"
        for n in range(1, pages + 1)
    )
    if page < pages:
        pager += f' <a href="{JMS_LIST.format(page + 1)}">下一页</a>'
    body = (
        f'{JMS_NAV}<div class="position">当前位置：<a href="/">首页</a> &gt; 政民互动 &gt; 网上咨询'
        f'</div><ul id="wszxList">{"".join(rows)}</ul><div class="page">共{pages}页 {pager}</div>'
    )
    return _shell("网上咨询_佳木斯市人民政府", body)


def jms_detail_page(letter: Letter) -> str:
    state = "办理完毕" if letter.done else "正在办理"
    fields = [
        ("来信人", "releaseMan", "网友"),
        ("咨询时间", "zxsj", _stamp(letter.asked)),
        ("信件标题", "title", _e(letter.subject)),
        ("所属类型", "conType", "咨询"),
        ("处理情况", "state", state),
        ("信件内容", "content", _e(letter.subject)),
        ("附件", "accessory", ""),
        ("承办单位", "conDept", "相关部门" if letter.done else ""),
        ("处理时间", "replyTime", _stamp(letter.replied)),
        ("处理结果", "replyContent", _e(letter.reply)),
    ]
    rows = "".join(
        f'<p><span class="lbl">{label}：</span><span id="{ident}">{value}</span></p>'
        for label, ident, value in fields
    )
    body = (
        f'{JMS_NAV}<div class="position">当前位置：<a href="/">首页</a> &gt; 政民互动 &gt; 网上咨询'
        f'</div><div class="xjxq">{rows}<div id="myd">用户暂无评价</div></div>'
    )
    return _shell(f"{letter.subject}_网上咨询_佳木斯市人民政府", body)


def jms_site(letters: list[Letter] | None = None) -> dict[str, str]:
    """Path → page of the jms board site (home page, list pages, one page per letter)."""
    letters = jms_letters() if letters is None else letters
    pages = -(-len(letters) // JMS_PER_PAGE)
    site = {
        "/": _shell(
            "佳木斯市人民政府",
            f'{JMS_NAV}<div class="zmhd"><h2>政民互动</h2>'
            f'<a href="{JMS_LIST.format(1)}">网上咨询</a></div>',
        )
    }
    for n in range(1, pages + 1):
        chunk = letters[(n - 1) * JMS_PER_PAGE : n * JMS_PER_PAGE]
        site[JMS_LIST.format(n)] = jms_list_page(chunk, n, pages)
    for letter in letters:
        site[JMS_DETAIL.format(letter.id)] = jms_detail_page(letter)
    return site


# --------------------------------------------------------------------------------- MinMore


def minmore_list_page(letters: list[Letter]) -> str:
    rows = "".join(
        "<tr>"
        f'<td><a href="/index.php?g=DirectorMail&amp;m=Index&amp;a=mail&amp;mailid={x.id}">'
        f"{_e(x.subject)}</a></td>"
        f"<td>{'已回复' if x.done else '未回复'}</td>"
        f"<td>{x.asked:%Y-%m-%d %H:%M:%S}</td><td>局办公室</td></tr>"
        for x in letters
    )
    body = (
        '<div class="content-bar"><div class="wrapper"><div class="pull-left list-bar mar-t30">'
        '<div class="content-fd"><div class="mailbox-list"><div class="content-hd">'
        "局长信箱－最新回复信件</div>"
        '<div class="mailbox-data-list"><table><thead><tr><th>来信主题</th><th>状态</th>'
        f"<th>时间</th><th>受理单位</th></tr></thead><tbody>{rows}</tbody></table></div>"
        "</div></div></div></div></div>"
    )
    return _shell("局长信箱", body)


def minmore_detail_page(letter: Letter) -> str:
    # The template writes both times with date("Y-m-d h:i:s"): a 12-hour clock, no AM/PM.
    replied = letter.replied.strftime("%Y-%m-%d %I:%M:%S") if letter.replied else "暂无"
    body = (
        '<div class="content-fd"><table class="result-table"><tr>'
        f'<td class="row-prompt">编号:</td><td class="row-content">C{letter.asked:%Y%m%d}'
        f'{letter.id}</td><td class="row-prompt">来信人:</td><td class="row-content">网友</td>'
        '</tr><tr><td class="row-prompt">来信时间:</td><td class="row-content">'
        f"{letter.asked:%Y-%m-%d %I:%M:%S}</td>"
        '<td class="row-prompt">受理单位:</td><td class="row-content">局办公室</td></tr><tr>'
        '<td class="row-prompt">信件类型:</td><td class="row-content">咨询</td>'
        '<td class="row-prompt">办事状态:</td><td class="row-content">'
        f"{'已办结' if letter.done else '办理中'}</td></tr>"
        '<tr class="large-table-row"><td class="row-prompt">来信主题:</td>'
        f'<td colspan="3">{_e(letter.subject)}</td></tr>'
        '<tr class="large-table-row"><td class="row-prompt">来信内容:</td>'
        f'<td colspan="3">{_e(letter.subject)}</td></tr></table>'
        '<table class="result-table"><tr><td class="row-prompt">办理单位:</td>'
        '<td class="row-content">局办公室</td><td class="row-prompt">办理时间:</td>'
        f'<td class="row-content">{replied}</td></tr><tr class="large-table-row">'
        f'<td class="row-prompt">处理情况:</td><td colspan="3">{_e(letter.reply)}</td></tr>'
        "</table></div>"
    )
    return _shell(f"{letter.subject} - 局长信箱", body)


# ------------------------------------------------------------------------------- tongchuan


def tongchuan_list_page(letters: list[Letter]) -> str:
    rows = "".join(
        f"<tr><td>{x.id}</td>"
        f'<td><a href="/news_show.rt?id={x.id}">{_e(x.subject)}</a></td>'
        f"<td>{x.asked:%Y-%m-%d}</td><td>相关部门</td>"
        f"<td><span>{'已办结' if x.done else '办理中'}</span></td></tr>"
        for x in letters
    )
    body = (
        '<table class="shouli_tab"><tr><td>受理编号</td><td>信件标题</td><td>受理时间</td>'
        f"<td>办理部门</td><td>办理状态</td></tr>{rows}</table>"
    )
    return _shell("市长信箱_铜川市人民政府", body)


def tongchuan_detail_page(letter: Letter) -> str:
    first = [
        ("姓名", "网友"),
        ("来信时间", _stamp(letter.asked)),
        ("是否公开", "是"),
        ("信件主题", _e(letter.subject)),
        ("信件内容", _e(letter.subject)),
    ]
    second = [
        ("受理时间", f"{letter.asked:%Y-%m-%d}"),
        ("办理时间", _stamp(letter.replied)),
        ("办理部门", "相关部门"),
        ("办理状态", "已办结" if letter.done else "办理中"),
        ("办理情况", _e(letter.reply)),
    ]

    def table(rows: list[tuple[str, str]]) -> str:
        return (
            "<table>"
            + "".join(f"<tr><td>{k}：</td><td>{v}</td></tr>" for k, v in rows)
            + "</table>"
        )

    body = f'<div class="yisq">{table(first)}{table(second)}</div>'
    return _shell(f"{letter.subject}_铜川市人民政府", body)


def sample_letters(year: int, count: int, as_of: date) -> list[Letter]:
    """``count`` letters of replies-sample.csv asked in ``year`` (smallest ids first), as the
    board shows them on ``as_of``."""
    rows, replies = real_letters()
    chosen = sorted((i for i in replies if _when(rows[i]["asked_at"]).year == year), key=int)
    out = []
    for i in chosen[:count]:
        r = rows[i]
        replied = _when(r["replied_at"])
        done = replied.date() <= as_of
        out.append(
            Letter(
                id=i,
                subject=r["subject"],
                asked=_when(r["asked_at"]),
                replied=replied if done else None,
                done=done,
                reply=replies[i] if done else "",
                true_replied=replied,
            )
        )
    return out
