"""Labelled fields of a letter: where a board shows a label, and what value follows it.

A field is a label (:mod:`evalcrawler.spiders.boardwords`) at the start of a text of the page,
and the value after it, in any of the layouts real boards use:

* label and value in one text: ``<p>处理情况：办理完毕</p>``, ``留言时间：2026-11-01``;
* a label element and the text after it: ``<span>咨询时间：</span> 2024-11-14``,
  ``<span>处理时间：</span><span id="replyTime">…</span>``;
* label–value tables (``<td>来信时间:</td><td>…</td>``, several pairs in a row) and definition
  lists (``<dt>回复时间</dt><dd>…</dd>``);
* a label row above its value row (``<tr><td>回复内容</td></tr><tr><td>…</td></tr>``).

The value is what follows the label, up to the next label, inside the smallest element that
holds more than the label: a value never runs into the next row of a list. A label in the
middle of a sentence is no label, so a date inside a letter's own text (``我于11月14日来信``)
is never a labelled date.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from lxml import etree

from evalcrawler.spiders.boardwords import labels_in, starts_field

TEXT_CAP = 4_000
"""Characters kept of a letter's text and of a reply's text."""

SKIP = frozenset({"script", "style", "noscript", "template", "select", "textarea", "head"})
BLOCKISH = frozenset(
    {"div", "p", "td", "th", "tr", "li", "br", "dd", "dt", "h1", "h2", "h3", "h4", "table", "ul"}
)
MAX_FIELDS = 100_000
"""Labels read per page: a list of thousands of letters shows a few each; no page gets more."""

_PIECES = 60  # texts read after one label
_CLIMB = 3  # levels a value may be looked for above the label's element
_GAP = " \t\n\r\xa0\u3000"


@dataclass
class Field:
    """A label shown on the page: its kind (asked, replied, state …), the label, the element
    whose text or tail holds it, and the text after it in that same text."""

    kind: str
    label: str
    el: Any
    in_tail: bool
    rest: str

    @property
    def owner(self) -> Any:
        """The element whose text holds the label (the parent, for a tail)."""
        return self.el.getparent() if self.in_tail else self.el


def read_fields(root: Any) -> list[Field]:
    """Every label of the page, in document order (at most :data:`MAX_FIELDS`)."""
    fields: list[Field] = []
    walker = etree.iterwalk(root, events=("start",))
    for _, node in walker:
        tag = node.tag
        if not isinstance(tag, str):
            if node.tail:
                _add(fields, node, True)
            continue
        if tag in SKIP:
            walker.skip_subtree()
            if node.tail:
                _add(fields, node, True)
            continue
        if node.text:
            _add(fields, node, False)
        if node.tail and node is not root:
            _add(fields, node, True)
        if len(fields) >= MAX_FIELDS:
            break
    return fields


def _add(fields: list[Field], node: Any, in_tail: bool) -> None:
    text = node.tail if in_tail else node.text
    if not text or not text.strip(_GAP):
        return
    for kind, label, rest in labels_in(text):
        fields.append(Field(kind, label, node, in_tail, rest))
        if len(fields) >= MAX_FIELDS:
            return


def text_of(el: Any, limit: int | None = None, sep: str = " ") -> str:
    """Visible text of an element, whitespace collapsed, scripts and comments left out, block
    boundaries as ``sep``; read no further than about ``limit`` characters when given."""
    parts: list[str] = []
    size = 0
    walker = etree.iterwalk(el, events=("start", "end"))
    for event, node in walker:
        if limit is not None:
            size += len(node.text or "") + len(node.tail or "") + 1
            if size > limit:
                break
        tag = node.tag
        if not isinstance(tag, str):
            continue
        if event == "start":
            if tag in SKIP and node is not el:
                walker.skip_subtree()
                if node.tail:
                    parts.append(node.tail)
                continue
            if tag in BLOCKISH:
                parts.append("\n")
            if node.text:
                parts.append(node.text)
        else:
            if tag in BLOCKISH:
                parts.append("\n")
            if node.tail and node is not el:
                parts.append(node.tail)
    lines = (" ".join(line.split()) for line in "".join(parts).split("\n"))
    return sep.join(line for line in lines if line)


def _only_label(el: Any, field: Field) -> bool:
    """Whether ``el`` shows nothing but the label (so its value lies after it)."""
    allowed = len(field.label) + 2  # the label and its colon
    shown = 0
    walker = etree.iterwalk(el, events=("start",))
    for _, node in walker:
        if isinstance(node.tag, str) and node.tag in SKIP and node is not el:
            walker.skip_subtree()
        elif isinstance(node.tag, str) and node.text:
            shown += len("".join(node.text.split()))
        if node is not el and node.tail:
            shown += len("".join(node.tail.split()))
        if shown > allowed:
            return False
    return True


def pieces(field: Field) -> Iterator[tuple[str, bool]]:
    """The texts after a label, in document order, each with whether it is a block of its own:
    the rest of the label's text, the label element's children, then its tail and following
    siblings, and so on up while the element left shows nothing but the label."""
    if field.rest.strip(_GAP):
        yield field.rest, False
    if field.in_tail:
        yield from _after(field.el)  # the label is el's tail: what follows el
        node = field.owner
    else:
        yield from _within(field.el)  # <p>处理情况：<span>办理完毕</span></p>
        node = field.el
    for _ in range(_CLIMB):
        if node is None or node.tag in ("body", "html") or not _only_label(node, field):
            return
        if node.tail and node.tail.strip(_GAP):
            yield node.tail, False
        yield from _after(node)
        if node.getnext() is not None:
            return  # the label has a value slot beside it, empty or not: look no further
        node = node.getparent()


def _within(el: Any) -> Iterator[tuple[str, bool]]:
    for child in islice(el, _PIECES):
        yield from _one(child)


def _after(el: Any) -> Iterator[tuple[str, bool]]:
    sib = el.getnext()
    for _ in range(_PIECES):
        if sib is None:
            return
        yield from _one(sib)
        sib = sib.getnext()


def _one(el: Any) -> Iterator[tuple[str, bool]]:
    if isinstance(el.tag, str) and el.tag not in SKIP:
        text = text_of(el, TEXT_CAP + 200, "\n")
        if text:
            yield text, el.tag in BLOCKISH
    if el.tail and el.tail.strip(_GAP):
        yield el.tail, False


def short_value(field: Field) -> str:
    """The value of a one-line field (a date, a state, a title): the first text after the
    label, unless that text starts another field (the value is empty)."""
    for text, _ in pieces(field):
        value = text.strip(_GAP)
        if not value:
            continue
        if starts_field(value):
            return ""
        return " ".join(value.split("\n")[0].split())
    return ""


def block_value(field: Field, cap: int = TEXT_CAP) -> str:
    """The value of a text field (the letter, the reply): the texts after the label up to the
    next field, lines kept, at most ``cap`` characters."""
    out: list[str] = []
    size = 0
    for text, block in pieces(field):
        if starts_field(text):
            break
        if block and out and not out[-1].endswith("\n"):
            out.append("\n")
        out.append(text)
        if block:
            out.append("\n")
        size += len(text)
        if size > cap:
            break
    lines = (" ".join(line.split()) for line in "".join(out).split("\n"))
    return "\n".join(line for line in lines if line)[:cap]


def inside(el: Any, holders: set[Any], depth: int = 40) -> bool:
    """Whether ``el`` or one of its ancestors (up to ``depth`` levels) is in ``holders``."""
    node = el
    for _ in range(depth):
        if node is None:
            return False
        if node in holders:
            return True
        node = node.getparent()
    return False
