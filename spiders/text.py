"""Text a page shows, made safe to store and write: one place that says which characters go.

A crawled page may carry characters that no report can hold or that change how the text around
them reads: C0 control characters (XML 1.0 allows only tab, newline and carriage return, and
openpyxl refuses a cell with any other), the noncharacters (U+FFFE, U+FFFF, U+FDD0–U+FDEF and
the last two code points of every plane), lone surrogates, and the bidirectional controls that
reorder text (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C: a right-to-left override
turns ``gov.cn`` into ``nc.vog`` on screen and in a spreadsheet). They arrive raw or as
character references (``&#xFFFE;``, ``&#x202E;``, ``&lrm;``), in text and in attribute values.

:func:`clean` removes them from a string. The extractor removes the raw ones from the whole
document before parsing it, and when the document has a reference to one
(:func:`hostile_references`, rare) it cleans the parsed tree too (:func:`clean_tree`), so every
string taken from the tree (title, headings, text, link texts, item titles, form values,
letters, meta values) is clean. References are not removed from the markup: removing one can
join its neighbours into a new one (``&&#x202E;#x202E;``). DEL (U+007F) and a byte-order mark
inside the text (U+FEFF) go too: they are invisible and only ever junk on a page.
"""

from __future__ import annotations

import re
from typing import Any

from evalcrawler.text import HOSTILE, HOSTILE_CHARS, clean, is_clean

__all__ = ["HOSTILE_CHARS", "clean", "clean_tree", "hostile_references", "is_clean"]

# A numeric character reference as libxml2 reads it: greedy digits, the semicolon optional
# ("&#x202E" followed by "b" is U+202EB, a CJK character). Named: the two bidi entities of
# HTML 4, the only named references to a hostile character.
_REFERENCE = re.compile(r"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));?|&(?:lrm|rlm);")
# Longer digit strings are no code point (libxml2 reads them as U+FFFD): not worth parsing.
_MAX_DIGITS = 8


def _hostile_reference(m: re.Match[str]) -> bool:
    hex_digits, digits = m.group(1), m.group(2)
    if hex_digits is None and digits is None:
        return True  # &lrm; or &rlm;
    number = hex_digits if hex_digits is not None else digits
    if len(number.lstrip("0")) > _MAX_DIGITS:
        return False
    code = int(number, 16 if hex_digits is not None else 10)
    return code <= 0x10FFFF and HOSTILE.match(chr(code)) is not None


def hostile_references(html: str) -> bool:
    """Whether the document has a character reference to a hostile character."""
    if "&#" not in html and "&lrm;" not in html and "&rlm;" not in html:
        return False
    return any(_hostile_reference(m) for m in _REFERENCE.finditer(html))


def clean_tree(root: Any) -> None:
    """Remove hostile characters from every text, tail and attribute value of an lxml tree, in
    place: what the parser made of character references."""
    for node in root.iter():
        if node.text and not is_clean(node.text):
            node.text = clean(node.text)
        if node.tail and not is_clean(node.tail):
            node.tail = clean(node.tail)
        if isinstance(node.tag, str):
            for key, value in node.attrib.items():
                if not is_clean(value):
                    node.set(key, clean(value))
