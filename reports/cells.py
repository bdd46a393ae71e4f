"""Cell values of the reports: cleaned, neutralised and rounded the same way in every file.

Crawled text is untrusted: control characters, noncharacters and bidi controls are dropped,
and a cell a spreadsheet would read as a formula is neutralised with a leading apostrophe.
Numbers are rounded half-up to a documented number of decimals (:data:`SCORE_DECIMALS`,
:data:`INDEX_DECIMALS`).
"""

from __future__ import annotations

import json
import math
import numbers
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pandas as pd

from evalcrawler.text import clean

SCORE_DECIMALS = 2
"""Scores (0–100 and indicator points) and score differences: 2 decimals, half-up."""
INDEX_DECIMALS = 4
"""Ratios and indices (CV, Gini, Theil, shares): 4 decimals, half-up."""

# Cells a spreadsheet may read as a formula (OWASP "CSV injection"): =, +, -, @, and tab or
# carriage return, which some programs strip before looking at the first character.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_CELL = 32767


def clean_text(text: str) -> str:
    """Drop the characters no output may hold (XML-illegal ones, noncharacters, bidi controls:
    :mod:`evalcrawler.text`): extraction stores none, but a run stored by an older evalcrawl or
    a name in a region file may still carry them."""
    return clean(text)


def neutralise(text: str) -> str:
    """Prefix a cell that would start a formula with ``'`` so it stays text."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def round_half_up(value: float, decimals: int) -> Decimal:
    """Round the decimal value Python prints for ``value`` half away from zero
    (2.675 → 2.68, unlike ``round``, which works on the binary float and gives 2.67)."""
    quantum = Decimal(1).scaleb(-decimals)
    result = Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP)
    return result + 0 if result.is_zero() else result  # no "-0.00"


def is_missing(value: Any) -> bool:
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and (math.isnan(value) or math.isinf(value))


def json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def csv_cell(value: Any, decimals: int | None = None) -> str:
    """One CSV cell: empty for null, ``true``/``false``, numbers rounded when ``decimals`` is
    given (else up to 10 significant digits), JSON for lists and mappings, text neutralised."""
    if isinstance(value, np.generic):
        value = value.item()  # numpy scalars from pandas → plain Python values
    if is_missing(value):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        number = float(value)
        if is_missing(number):
            return ""
        if decimals is not None:
            return str(round_half_up(number, decimals))
        return format(number, ".10g")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple | dict):
        return neutralise(clean_text(json_text(value)))
    return neutralise(clean_text(str(value)))


def xlsx_cell(value: Any, decimals: int | None = None) -> Any:
    """One XLSX cell: numbers stay numbers (rounded like the CSV), booleans stay booleans,
    text is cleaned, cut to Excel's cell limit and neutralised against formulas."""
    if isinstance(value, np.generic):
        value = value.item()
    if is_missing(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        if is_missing(number):
            return None
        return float(round_half_up(number, decimals)) if decimals is not None else number
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = json_text(value) if isinstance(value, list | tuple | dict) else str(value)
    return neutralise(clean_text(text)[:XLSX_MAX_CELL])
