"""Rows of a stored score set's details (JSON with ISO dates) back into the scoring dataclasses."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from evalcrawler.scoring.results import BrokenLink, ColumnResult, ThreadResult


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _to_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value)
    match = re.match(r"^(\d{4})-(\d{2})-(\d{2})", text)
    if not match:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def _int_or_none(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else int(number)


def column_from_dict(raw: Mapping[str, Any]) -> ColumnResult:
    """A ColumnResult stored as JSON (ISO dates) → the dataclass."""
    return ColumnResult(
        column=str(raw.get("column") or ""),
        url=str(raw.get("url") or ""),
        kind=str(raw.get("kind") or "other"),
        items=int(_number(raw.get("items")) or 0),
        latest=_to_date(raw.get("latest")),
        age_days=_int_or_none(raw.get("age_days")),
        stale=bool(raw.get("stale")),
        blank=bool(raw.get("blank")),
        reason=str(raw.get("reason") or ""),
    )


def thread_from_dict(raw: Mapping[str, Any]) -> ThreadResult:
    """A ThreadResult stored as JSON (ISO dates) → the dataclass."""
    url = raw.get("url")
    return ThreadResult(
        url=None if url in (None, "") else str(url),
        title=str(raw.get("title") or ""),
        asked=_to_date(raw.get("asked")),
        replied=_to_date(raw.get("replied")),
        latency_days=_number(raw.get("latency_days")),
        overdue=bool(raw.get("overdue")),
        state=str(raw.get("state") or "unknown"),
        reply_quality=str(raw.get("reply_quality") or ""),
        reply_quality_reason=str(raw.get("reply_quality_reason") or ""),
        topic=str(raw.get("topic") or ""),
    )


def broken_from_dict(raw: Mapping[str, Any]) -> BrokenLink:
    """A BrokenLink stored as JSON → the dataclass."""
    error = raw.get("error")
    return BrokenLink(
        url=str(raw.get("url") or ""),
        status=int(_number(raw.get("status")) or 0),
        error=None if error in (None, "") else str(error),
        linked_from=[str(u) for u in raw.get("linked_from") or []],
        on_home=bool(raw.get("on_home")),
    )
