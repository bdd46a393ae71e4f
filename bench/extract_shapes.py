"""Extraction cost by page shape: is every shape linear in page size?

A hostile (or merely huge) page can take one shape many times over: thousands of list rows,
one block of ``<a>…</a> (2013-11-15)<br>`` lines, sibling divs, one long text without tags,
thousands of dates in one text node, deep nesting. For each shape this extracts a page of n
and of 4n repetitions (``extract_page``, in this process, best of three) and prints the time
per KB of each and their ratio: about 1 when the cost is linear, about 4 when it is quadratic.

    python bench/extract_shapes.py             # n = 2,000 repetitions
    python bench/extract_shapes.py --n 10000   # bigger pages
    python bench/extract_shapes.py --only lines,board-rows

A second part (``--links``) measures the peak RSS of extracting one page of 600,000 links (20 MB,
of which the first 8 MB are parsed), in a child process of its own (``ru_maxrss``; the page
itself is built before ``rss_before_mb``), against a normal 40 KB page in the same way.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date

from evalcrawler.spiders.extract import extract_page

URL = "http://www.example.gov.cn/list/index.html"
FETCHED = date(2014, 10, 24)
HEAD = {"content-type": "text/html; charset=utf-8"}


def _page(body: str) -> bytes:
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>列表</title></head>'
        f"<body><h1>通知公告</h1>{body}</body></html>"
    ).encode()


def _day(i: int) -> str:
    return f"2013-{i % 12 + 1:02d}-{i % 28 + 1:02d}"


def lines(n: int) -> bytes:
    line = '<a href="/a/{i}.html">关于第{i}项工作的通知</a> ({day})<br>\n'
    rows = "".join(line.format(i=i, day=_day(i)) for i in range(n))
    return _page(f'<div class="list">{rows}</div>')


def li(n: int) -> bytes:
    rows = "".join(
        f'<li><a href="/a/{i}.html">关于第{i}项工作的通知</a><span>{_day(i)}</span></li>'
        for i in range(n)
    )
    return _page(f'<ul class="list">{rows}</ul>')


def tr(n: int) -> bytes:
    rows = "".join(
        f'<tr><td><a href="/a/{i}.html">关于第{i}项工作的通知</a></td><td>{_day(i)}</td></tr>'
        for i in range(n)
    )
    return _page(f'<table class="list">{rows}</table>')


def divs(n: int) -> bytes:
    rows = "".join(
        f'<div class="item"><a href="/a/{i}.html">关于第{i}项工作的通知</a>'
        f'<span class="date">{_day(i)}</span></div>'
        for i in range(n)
    )
    return _page(f'<div class="list">{rows}</div>')


def paragraphs(n: int) -> bytes:
    rows = "".join(f'<p><a href="/a/{i}.html">第{i}项</a> {_day(i)}</p>' for i in range(n))
    return _page(rows)


def text(n: int) -> bytes:
    words = "".join(f"这是第{i}段没有标签的长文本，政府信息公开工作年度报告。" for i in range(n))
    return _page(f"<div>{words}</div>")


def many_dates(n: int) -> bytes:
    days = " ".join(
        f"{_day(i)} {i % 12 + 1}月{i % 28 + 1}日 ({i % 12 + 1:02d}-15)" for i in range(n)
    )
    return _page(f'<ul class="list"><li><a href="/a.html">标题</a> {days}</li></ul>')


def dd_only(n: int) -> bytes:
    rows = "".join(f'<dd><a href="/a/{i}.html">第{i}项通知</a> {_day(i)}</dd>' for i in range(n))
    return _page(f'<dl class="list">{rows}</dl>')


def spans(n: int) -> bytes:
    cells = "".join(f"<span>第{i}段</span>" for i in range(n))
    return _page(f'<ul class="list"><li><a href="/a.html">标题</a>{cells} 2013-11-15</li></ul>')


def lists(n: int) -> bytes:
    rows = "".join(
        f'<div class="bt">2013年第{i}组</div><ul class="list{i % 3}">'
        f'<li><a href="/a/{i}.html">第{i}项</a> 11-{i % 28 + 1:02d}</li></ul>'
        for i in range(n)
    )
    return _page(f"<div>{rows}</div>")


def wrapped_lists(n: int) -> bytes:
    # Spacers first, then one-row lists each in a wrapper with a blank rule: every list climbs
    # to the same parent, whose children must be read once, not once per list.
    spacers = "<div><span></span></div>" * n
    rows = "".join(
        f'<div><ul><li><a href="/a/{i}.html">第{i}项</a> 2013-11-{i % 28 + 1:02d}</li></ul>'
        "<div class=rule></div></div><table><tr><td></td></tr></table>"
        for i in range(n)
    )
    return _page(f"<div>{spacers}{rows}</div>")


def heading_sibling(n: int) -> bytes:
    big = "标题文字" * n
    rows = "".join(
        f'<ul class="l{i}"><li><a href="/a/{i}.html">第{i}项</a> 11-{i % 28 + 1:02d}</li></ul>'
        for i in range(n)
    )
    return _page(f'<div class="title">{big}</div><div>{rows}</div>')


def board_rows(n: int) -> bytes:
    rows = "".join(
        f'<li><a href="/x/{i}.html">关于第{i}号问题的咨询</a> 留言时间：{_day(i)} '
        f"回复时间：{_day(i + 1)}</li>"
        for i in range(n)
    )
    return _page(f'<ul class="list">{rows}</ul>')


def board_labels(n: int) -> bytes:
    rows = "".join(f"<p>留言时间：{_day(i)}</p>" for i in range(n))
    return _page(f"<div>{rows}</div><div><a href='/x.html'>查看</a></div>")


def board_table(n: int) -> bytes:
    head = "<tr><th>标题</th><th>留言时间</th><th>回复时间</th><th>状态</th></tr>"
    rows = "".join(
        f'<tr><td><a href="/x/{i}.html">第{i}号咨询</a></td><td>{_day(i)}</td>'
        f"<td>{_day(i + 1)}</td><td>已回复</td></tr>"
        for i in range(n)
    )
    return _page(f"<table>{head}{rows}</table>")


def board_state_rows(n: int) -> bytes:
    rows = "".join(
        f'<li><span><a href="/x/{i}.html">关于第{i}号问题的咨询</a></span><span>咨询</span>'
        f"<span>市住建局</span><span>办理完毕</span><span>{_day(i)}</span></li>"
        for i in range(n)
    )
    return _page(f'<h2>网上咨询</h2><ul id="wszxList">{rows}</ul>')


def board_state_block(n: int) -> bytes:
    # State cells in rows without links, one link for the whole block: each cell looks for
    # its row among its ancestors.
    rows = "".join(
        f"<div><span>第{i}项</span><span>已办结</span><span>{_day(i)}</span></div>"
        for i in range(n)
    )
    return _page(f"<h2>网上咨询</h2><div>{rows}<a href='/more.html'>更多</a></div>")


def board_empty_fields(n: int) -> bytes:
    # Labels whose value slot is empty: each value is looked for after its label.
    rows = "".join(
        "<div><span>咨询时间：</span></div><div><span>处理时间：</span><span></span></div>"
        "<p>处理结果：</p>"
        for _ in range(n)
    )
    return _page(f"<h2>网上咨询</h2><div>{rows}</div>")


def board_chained_labels(n: int) -> bytes:
    # One text of labels one after another: each label's value ends where the next starts.
    return _page(f"<h2>网上咨询</h2><p>留言时间：{_day(0)} " + "状态：已办结 " * n + "</p>")


def comments(n: int) -> bytes:
    rows = "".join(f'<li><a href="/a/{i}.html">第{i}项</a><!-- 2013-->11-15</li>' for i in range(n))
    return _page(f'<ul class="list">{rows}</ul>')


def links(n: int) -> bytes:
    rows = "".join(f'<a href="/p/{i}.html">{i}</a> ' for i in range(n))
    return _page(f"<div>{rows}</div>")


def labels(n: int) -> bytes:
    rows = "".join(f"发布时间：第{i}次 " for i in range(n))
    return _page(f"<div>{rows}</div>")


def forms(n: int) -> bytes:
    rows = "".join(
        f'<form action="/s{i}"><input name="q{i}" value="v"><button>搜索</button></form>'
        for i in range(n)
    )
    return _page(rows)


def containers(n: int) -> bytes:
    depth = min(n, 1500)  # nesting: libxml2 reads up to 2,048 levels with huge_tree
    inner = "".join(f"<span>{i}</span> " for i in range(n))
    return _page('<div class="list">' * depth + inner + "</div>" * depth)


def nested_blocks(n: int) -> bytes:
    depth = min(n, 1500)
    level = '<div><a href="/a/{i}.html">第{i}项</a> 2013-11-15 <a href="/b/{i}.html">附件</a>'
    return _page("".join(level.format(i=i) for i in range(depth)) + "</div>" * depth)


def nested_li(n: int) -> bytes:
    depth = min(n, 1500)
    level = '<ul><li><a href="/a/{i}.html">第{i}项</a> 2013-11-15'
    return _page("".join(level.format(i=i) for i in range(depth)) + "</li></ul>" * depth)


SHAPES: dict[str, Callable[[int], bytes]] = {
    "lines": lines,
    "li": li,
    "tr": tr,
    "divs": divs,
    "paragraphs": paragraphs,
    "text": text,
    "many-dates": many_dates,
    "dd-only": dd_only,
    "spans": spans,
    "lists": lists,
    "wrapped-lists": wrapped_lists,
    "heading-sibling": heading_sibling,
    "board-rows": board_rows,
    "board-labels": board_labels,
    "board-table": board_table,
    "board-state-rows": board_state_rows,
    "board-state-block": board_state_block,
    "board-empty-fields": board_empty_fields,
    "board-chained-labels": board_chained_labels,
    "comments": comments,
    "links": links,
    "labels": labels,
    "forms": forms,
    "containers": containers,
    "nested-blocks": nested_blocks,
    "nested-li": nested_li,
}


def best_of(body: bytes, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        extract_page(URL, body, HEAD, fetched=FETCHED)
        times.append(time.perf_counter() - start)
    return min(times)


def shapes(n: int, only: list[str]) -> None:
    extract_page(URL, li(10), HEAD, fetched=FETCHED)  # imports, caches
    print(f"{'shape':16} {'n':>7} {'KB':>7} {'s':>7} {'4n KB':>7} {'s':>7} {'per-KB ratio':>12}")
    for name in only:
        small, big = SHAPES[name](n), SHAPES[name](4 * n)
        t1, t4 = best_of(small), best_of(big)
        ratio = (t4 / len(big)) / (t1 / len(small))
        kb1, kb4 = len(small) // 1024, len(big) // 1024
        row = f"{name:16} {n:>7} {kb1:>7} {t1:>7.2f} {kb4:>7} {t4:>7.2f} {ratio:>12.2f}"
        print(row, flush=True)


def links_child(count: int) -> None:
    if count:
        body = links(count)
    else:
        from pathlib import Path

        real = Path(__file__).resolve().parent.parent / "tests/fixtures/real/govcn-2014-01.html"
        body = real.read_bytes()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    facts = extract_page(URL, body, HEAD, fetched=FETCHED)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "links_in_page": count,
                "body_mb": round(len(body) / 2**20, 1),
                "seconds": round(seconds, 2),
                "links_stored": len(facts.links),
                "links_found": getattr(facts, "links_found", None),
                "rss_before_mb": round(before / 1024),
                "peak_rss_mb": round(peak / 1024),
                "extraction_mb": round((peak - before) / 1024),
            }
        )
    )


def links_memory() -> None:
    for count in (0, 600_000):
        out = subprocess.run(
            [sys.executable, __file__, "--links-child", str(count)],
            check=True,
            capture_output=True,
            text=True,
        )
        print(out.stdout.strip(), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="repetitions of the small page")
    parser.add_argument("--only", help=f"comma-separated shapes of: {', '.join(SHAPES)}")
    parser.add_argument("--links", action="store_true", help="peak RSS of a 600,000-link page")
    parser.add_argument("--links-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.links_child is not None:
        links_child(args.links_child)
        return
    if args.links:
        links_memory()
        return
    only = args.only.split(",") if args.only else list(SHAPES)
    unknown = set(only) - set(SHAPES)
    if unknown:
        parser.error(f"unknown shapes {sorted(unknown)}; choose from {', '.join(SHAPES)}")
    shapes(args.n, only)


if __name__ == "__main__":
    main()
