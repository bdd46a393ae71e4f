"""Decode an HTML body to text the way a careful browser would, for Chinese sites.

Order (``docs`` of the extractor): the charset of the ``Content-Type`` header, then a byte-order
mark, then ``<meta charset>`` / ``http-equiv`` in the first 4 KB, then detection (strict UTF-8,
strict GB18030, then charset-normalizer). GB2312 and GBK declarations are read as GB18030, their
superset, so characters outside GB2312 (common in names) are not lost.

A declaration is trusted only when the bytes decode under it: sites declare ``gb2312`` and
serve UTF-8 (and the reverse) often enough. When a declared charset fails but the bytes are
valid UTF-8 (or GB18030), that wins with source ``"detected"``; when nothing decodes cleanly
the declared charset is used with replacement characters. A body cut off in the middle of a
multi-byte character (a size limit, a dropped connection) still counts as valid.
"""

from __future__ import annotations

import codecs
import re

# Labels that mean "GBK family": decode as GB18030 (a strict superset).
_GB_FAMILY = {
    "gb2312",
    "gbk",
    "x-gbk",
    "gb_2312",
    "gb_2312-80",
    "csgb2312",
    "chinese",
    "iso-ir-58",
    "cp936",
    "ms936",
    "windows-936",
    "euc-cn",
    "gb18030",
}
# Declarations servers emit by default without knowing the page: checked after real detection.
_WEAK = {"iso8859-1", "latin-1", "ascii", "cp1252", "us-ascii", "iso-8859-1", "windows-1252"}

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([\w.:\-]+)", re.IGNORECASE)
_META_TAG = re.compile(rb"<meta\b[^>]*>", re.IGNORECASE)
_META_CHARSET = re.compile(rb"charset\s*=\s*[\"']?\s*([\w.:\-]+)", re.IGNORECASE)
_COMMENT = re.compile(rb"<!--.*?-->", re.DOTALL)

PRESCAN_BYTES = 4096
# charset-normalizer is slow on big inputs and needs only a sample.
_DETECT_SAMPLE = 64 * 1024


def charset_from_content_type(value: str | None) -> str | None:
    """The ``charset=`` parameter of a Content-Type header value, as given."""
    if not value:
        return None
    m = _HEADER_CHARSET.search(value)
    return m.group(1) if m else None


def normalize_charset(label: str | None) -> str | None:
    """A charset label as a Python codec name (``gb2312`` → ``gb18030``); ``None`` if unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if label in _GB_FAMILY:
        return "gb18030"
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    if name in ("gb2312", "gbk"):
        return "gb18030"
    return name


def bom_encoding(body: bytes) -> str | None:
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    return None


def meta_charset(body: bytes) -> str | None:
    """The charset a ``<meta>`` declares in the first 4 KB (comments ignored)."""
    head = _COMMENT.sub(b"", body[:PRESCAN_BYTES])
    for tag in _META_TAG.finditer(head):
        m = _META_CHARSET.search(tag.group(0))
        if m:
            name = normalize_charset(m.group(1).decode("ascii", "replace"))
            if name is None:
                continue
            # A meta cannot declare an ASCII-incompatible encoding (the HTML standard reads a
            # UTF-16 meta as UTF-8): the bytes that spelled it out were ASCII.
            if name.startswith(("utf-16", "utf-32")):
                return "utf-8"
            return name
    return None


def decodes(body: bytes, encoding: str) -> bool:
    """The bytes are valid in ``encoding``; an incomplete character at the very end is allowed."""
    try:
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        decoder.decode(body, final=False)
    except (UnicodeError, LookupError):  # UnicodeError: a UTF-16 stream without its BOM
        return False
    return True


def _decode(body: bytes, encoding: str) -> str:
    try:
        text = body.decode(encoding, errors="replace")
    except (UnicodeError, LookupError):
        text = body.decode("utf-8", errors="replace")
    return text[1:] if text.startswith("\ufeff") else text


def _detect(body: bytes) -> str | None:
    if decodes(body, "utf-8"):
        return "utf-8"
    if decodes(body, "gb18030"):
        return "gb18030"
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    best = from_bytes(body[:_DETECT_SAMPLE]).best()
    if best is None:
        return None
    return normalize_charset(best.encoding)


def decode_html(body: bytes, content_type_header: str | None = None) -> tuple[str, str, str]:
    """Decode an HTML body: ``(text, encoding, source)``.

    ``source`` is ``"header"``, ``"bom"``, ``"meta"`` or ``"detected"``. The text never starts
    with a BOM. Never raises: undecodable bytes become U+FFFD.
    """
    body = bytes(body or b"")
    declared: list[tuple[str, str]] = []
    header = normalize_charset(charset_from_content_type(content_type_header))
    if header:
        declared.append((header, "header"))
    bom = bom_encoding(body)
    if bom:
        declared.append((bom, "bom"))
    meta = meta_charset(body)
    if meta:
        declared.append((meta, "meta"))

    weak: list[tuple[str, str]] = []
    for encoding, source in declared:
        if encoding in _WEAK:
            weak.append((encoding, source))
            continue
        if decodes(body, encoding):
            return _decode(body, encoding), encoding, source
    if bom:
        # A BOM is a strong signal even when a stray byte breaks strict decoding.
        return _decode(body, bom), bom, "bom"
    detected = _detect(body)
    # A declared charset that failed loses to UTF-8 / GB18030 that decode cleanly; a statistical
    # guess only decides when nothing was declared.
    if detected and (detected in ("utf-8", "gb18030") or not declared):
        return _decode(body, detected), detected, "detected"
    for encoding, source in weak:
        if decodes(body, encoding):
            return _decode(body, encoding), encoding, source
    if declared:
        encoding, source = declared[0]
        return _decode(body, encoding), encoding, source
    if detected:
        return _decode(body, detected), detected, "detected"
    return _decode(body, "utf-8"), "utf-8", "detected"
