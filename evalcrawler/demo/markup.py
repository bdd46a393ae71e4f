"""Writing the demo web's HTML: :class:`Doc`, which records every fact a metric depends on
while a page is written, the column names and codes the sites share, dates in each CMS's
format, and the bytes of images, documents and error pages."""

from __future__ import annotations

import html
import struct
import zlib
from datetime import date
from typing import TYPE_CHECKING

from evalcrawler.demo import content as C
from evalcrawler.demo.model import ItemFact, PageModel, Response

if TYPE_CHECKING:
    from evalcrawler.demo.sites import SiteBuilder


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def iso(d: date) -> str:
    return d.isoformat()


def fmt_date(d: date, style: str) -> str:
    if style == "iso":
        return f"{d.year:04d}-{d.month:02d}-{d.day:02d}"
    if style == "slash":
        return f"{d.year:04d}/{d.month:02d}/{d.day:02d}"
    if style == "dot":
        return f"{d.year:04d}.{d.month:02d}.{d.day:02d}"
    if style == "cn":
        return f"{d.year}年{d.month:02d}月{d.day:02d}日"
    if style == "cn_nopad":
        return f"{d.year}年{d.month}月{d.day}日"
    if style == "md":
        return f"{d.month:02d}-{d.day:02d}"
    raise ValueError(style)


def _png() -> bytes:
    """A valid 1×1 grey PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"\x00\x80"
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


PNG = _png()
FILE_TYPES = {
    "doc": "application/msword",
    "pdf": "application/pdf",
    "xls": "application/vnd.ms-excel",
    "png": "image/png",
}


def file_bytes(ext: str, title: str) -> bytes:
    if ext == "pdf":
        return (
            b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n% "
            + title.encode("utf-8")
            + b"\ntrailer << /Root 1 0 R >>\n%%EOF\n"
        )
    # An OLE2 compound-file signature, then the title: enough for a content sniffer.
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 24 + title.encode("utf-8") + b"\x00" * 64


COL_NAMES: dict[str, str] = {
    "zwdt": "政务动态",
    "tzgg": "通知公告",
    "zcwj": "政策文件",
    "zcjd": "政策解读",
    "rsxx": "人事信息",
    "czyjs": "财政预决算",
    "ghjh": "规划计划",
    "tjxx": "统计信息",
    "yjgl": "应急管理",
    "zfcg": "政府采购",
    "hygq": "回应关切",
    "xwfbh": "新闻发布会",
    "zxft": "在线访谈",
    "zjdc": "征集调查",
    "ndbg": "政府信息公开年报",
    **C.TOPICS,
}
COL_CODES: dict[str, int] = {
    key: n
    for n, key in enumerate(
        [
            "zwdt",
            "tzgg",
            "zcwj",
            "zcjd",
            "rsxx",
            "czyjs",
            "ghjh",
            "tjxx",
            "yjgl",
            "zfcg",
            "hygq",
            "xwfbh",
            "zxft",
            "zjdc",
            "ndbg",
            *C.TOPICS,
        ],
        start=1,
    )
}
NAV_KEYS = ("zwdt", "tzgg", "zcwj", "zcjd")  # columns of the main navigation bar
HDJL_KEYS = ("zxft", "zjdc")  # columns under 互动交流 (the rest under 政务公开)
TOPIC_KIND = {"zwdt": "news", "tzgg": "notice", "zcwj": "policy", "zcjd": "jd"}
PHONES = {
    "shifan": "0351-7654321",
    "jiaqu": "0351-6543217",
    "yiqu": "0351-5432176",
    "jishi": "0351-4321765",
    "bingxian": "0351-3217654",
    "dingxian": "0351-8765432",
    "wuxian": "0351-7765432",
}


class Doc:
    """One HTML page being written; records what it shows as it is written."""

    def __init__(self, site: SiteBuilder, path: str, role: str, title: str) -> None:
        self.site = site
        self.page = PageModel(path=path, role=role, title=title)
        self.meta: list[tuple[str, str]] = []

    @property
    def path(self) -> str:
        return self.page.path

    def a(
        self,
        href: str,
        text: str,
        *,
        nav: bool = False,
        pager: bool = False,
        attrs: str = "",
        inner: str | None = None,
    ) -> str:
        """An ``<a href>``; ``text`` is its anchor text (``inner`` replaces the HTML shown)."""
        self.page.links.append(self.site.link_fact(self.path, href, text, nav, pager))
        extra = f" {attrs}" if attrs else ""
        shown = esc(text) if inner is None else inner
        return f'<a href="{esc(href)}"{extra}>{shown}</a>'

    def img(self, src: str, alt: str | None) -> str:
        """An ``<img>``: ``alt=None`` writes none, ``""`` an empty one."""
        self.page.images += 1
        if alt:
            self.page.images_alt += 1
        alt_attr = "" if alt is None else f' alt="{esc(alt)}"'
        self.site.add_image(src)
        return f'<img src="{esc(src)}"{alt_attr}>'

    def item(self, title: str, path: str, day: date, raw: str, *, main: bool) -> None:
        target = self.site.resolve(self.path, path)
        fact = ItemFact(title=title, url=target, date=day, raw=raw)
        (self.page.items if main else self.page.dated_links).append(fact)


def error_response(status: int, encoding: str = "utf-8") -> Response:
    reason = {404: "Not Found", 500: "Internal Server Error", 405: "Method Not Allowed"}[status]
    body = (
        f"<html><head><title>{status} {reason}</title></head>"
        f"<body><h1>{status} {reason}</h1></body></html>"
    )
    headers = [("Content-Type", "text/html" if encoding != "utf-8" else "text/html; charset=utf-8")]
    return Response(status, headers, body.encode("ascii"))
