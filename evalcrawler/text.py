"""Characters no output may hold: the one list, for extraction and for every report writer.

C0 control characters (XML 1.0 allows only tab, newline and carriage return, and openpyxl
refuses a cell with any other), the noncharacters (U+FFFE, U+FFFF, U+FDD0–U+FDEF and the last two
code points of every plane), lone surrogates, an inner byte-order mark, DEL, and the
bidirectional controls that reorder text (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C:
a right-to-left override turns ``gov.cn`` into ``nc.vog`` on screen and in a spreadsheet).
Extraction removes them from what it stores (:mod:`evalcrawler.spiders.text`); the writers
remove them again from every cell (data stored by an older evalcrawl, names from a region file).
"""

from __future__ import annotations

import re

_PLANE_NONCHARACTERS = "".join(
    f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(1, 17)
)
HOSTILE_CHARS = (
    "\x00-\x08\x0b\x0c\x0e-\x1f\x7f"  # C0 controls but tab, newline, carriage return; DEL
    "\ud800-\udfff"  # lone surrogates
    "\ufdd0-\ufdef\ufffe\uffff" + _PLANE_NONCHARACTERS + "\ufeff"  # noncharacters; inner BOM
    "\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c"  # bidirectional controls
)
"""The body of a regular-expression character class: every character :func:`clean` removes."""

HOSTILE = re.compile(f"[{HOSTILE_CHARS}]+")


def clean(text: str) -> str:
    """``text`` without the characters of :data:`HOSTILE_CHARS`."""
    return HOSTILE.sub("", text) if HOSTILE.search(text) else text


def is_clean(text: str) -> bool:
    return HOSTILE.search(text) is None
