"""Pages nested deeper than libxml2 reads: the same markup, flattened below a depth.

libxml2 stops at 2,048 levels of nesting (256 without its ``huge`` option) and drops
everything after that point, the rest of the page included: a list at level 3,000 (or a page
whose every row opens a ``<font>`` it never closes) would read as absent. When the parser
reports that limit, the extractor parses :func:`flatten`'s output instead: the same text and
links, with fewer of the elements around them the deeper they lie. Below
:data:`WRAPPER_DEPTH` levels the elements that only wrap others (``div``, ``span``, ``font``
… without a class or id) go; below :data:`STRUCTURE_DEPTH` tables and blocks go too, and
lists, links and forms stay; below :data:`FLAT_DEPTH` only links stay (a link never holds
another). Text is never dropped, so a list at level 3,000 is read as a list, and what follows
it is read. :attr:`Flat.lost` says whether lists or forms were read as plain text.

The tokenizer is Python's :class:`html.parser.HTMLParser`; the nesting it counts follows the
HTML rules that matter for depth (void elements, an ``li`` closing the ``li`` before it, a
``td`` the ``td`` …), and every end tag those rules imply is written out, so libxml2 builds the
tree this module counted. Start tags are copied as the page wrote them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from html.parser import HTMLParser

log = logging.getLogger(__name__)

LIBXML2_DEPTH = 2048  # libxml2's limit with XML_PARSE_HUGE (lxml's huge_tree)
WRAPPER_DEPTH = 512
STRUCTURE_DEPTH = 1500
FLAT_DEPTH = 1900  # a margin under the parser's limit for the elements it opens itself
_LINK_MARGIN = 64  # links (and void elements) below FLAT_DEPTH: at most this much deeper

_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta"}
    | {"param", "source", "track", "wbr", "basefont", "bgsound", "frame", "isindex"}
)
# Elements that carry what the extractor reads: kept down to FLAT_DEPTH.
_MEANINGFUL = frozenset(
    {"html", "head", "body", "title", "meta", "base", "script", "style", "a", "img", "br"}
    | {"ul", "ol", "menu", "li", "dl", "dt", "dd", "table", "thead", "tbody", "tfoot", "tr"}
    | {"td", "th", "caption", "form", "input", "select", "option", "textarea", "button"}
    | {"h1", "h2", "h3", "h4", "h5", "h6", "p", "nav", "header", "footer", "iframe"}
)
# Elements kept down to FLAT_DEPTH: lists, links, forms (what a dated item or a search is).
_INNERMOST = frozenset(
    {"a", "img", "br", "ul", "ol", "menu", "li", "dl", "dt", "dd", "form", "input", "select"}
    | {"option", "textarea", "button", "h1", "h2", "h3", "title", "meta", "script", "style"}
)
# A start tag closes the open element it names (looking no further up than its boundary).
_CLOSES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "li": (frozenset({"li"}), frozenset({"ul", "ol", "menu"})),
    "dt": (frozenset({"dt", "dd"}), frozenset({"dl"})),
    "dd": (frozenset({"dt", "dd"}), frozenset({"dl"})),
    "tr": (frozenset({"tr", "td", "th"}), frozenset({"table", "thead", "tbody", "tfoot"})),
    "td": (frozenset({"td", "th"}), frozenset({"tr", "table"})),
    "th": (frozenset({"td", "th"}), frozenset({"tr", "table"})),
    "option": (frozenset({"option"}), frozenset({"select", "datalist"})),
    "p": (frozenset({"p"}), frozenset({"div", "td", "th", "li", "body"})),
    "a": (frozenset({"a"}), frozenset()),
}
_LOOK_UP = 8  # how far up the open elements an implied close looks


class _Flattener(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.out: list[str] = []
        self.stack: list[tuple[str, bool]] = []  # open elements: (tag, written out)
        self.written = 0  # written elements open: the depth libxml2 will see
        self.open: dict[str, int] = {}  # tag → how many are open
        self.lost = False  # a list or form element was dropped

    def _push(self, tag: str, write: bool) -> None:
        self.stack.append((tag, write))
        self.open[tag] = self.open.get(tag, 0) + 1
        self.written += write

    def _pop(self) -> None:
        tag, write = self.stack.pop()
        self.open[tag] -= 1
        if write:
            self.written -= 1
            self.out.append(f"</{tag}>")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        rule = _CLOSES.get(tag)
        if rule is not None:
            closes, boundary = rule
            for depth, (open_tag, _write) in enumerate(reversed(self.stack[-_LOOK_UP:])):
                if open_tag in boundary:
                    break
                if open_tag in closes:
                    for _ in range(depth + 1):
                        self._pop()
                    break
        depth = self.written
        if depth < WRAPPER_DEPTH:
            write = True
        elif depth < STRUCTURE_DEPTH:
            write = tag in _MEANINGFUL or any(name in ("class", "id") for name, _ in attrs)
        elif depth < FLAT_DEPTH:
            write = tag in _INNERMOST
        else:
            write = (tag == "a" or tag in _VOID) and depth < FLAT_DEPTH + _LINK_MARGIN
            self.lost = self.lost or (tag in _INNERMOST and not write)
        if write:
            self.out.append(self.get_starttag_text() or f"<{tag}>")
        if tag not in _VOID:
            self._push(tag, write)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.written < FLAT_DEPTH + _LINK_MARGIN:
            self.out.append(self.get_starttag_text() or f"<{tag}/>")

    def handle_endtag(self, tag: str) -> None:
        if not self.open.get(tag):
            return  # a stray end tag: nothing to close
        while self.stack:
            open_tag = self.stack[-1][0]
            self._pop()
            if open_tag == tag:
                return

    def handle_data(self, data: str) -> None:
        self.out.append(data)

    def handle_entityref(self, name: str) -> None:
        self.out.append(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self.out.append(f"&#{name};")

    def handle_comment(self, data: str) -> None:
        self.out.append(f"<!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        self.out.append(f"<!{decl}>")

    def unknown_decl(self, data: str) -> None:
        self.out.append(f"<![{data}]>")


@dataclass
class Flat:
    markup: str
    lost: bool  # lists or forms below FLAT_DEPTH were read as plain text and links


def flatten(html: str) -> Flat | None:
    """``html`` nested no deeper than libxml2 reads (see the module docstring); None when the
    tokenizer fails on it."""
    parser = _Flattener()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # the standard tokenizer has raised on odd marked sections
        log.debug("flattening failed", exc_info=True)
        return None
    while parser.stack:
        parser._pop()
    return Flat("".join(parser.out), parser.lost)
