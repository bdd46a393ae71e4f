"""What one page is to the evaluation, from its own facts: a column, a blank column, or neither.

The column and blank-column rules of docs/metrics.md have a part that looks at the page alone
(its main list, its publish date, what shows where its list should be) and a part that looks at
the site (how the page was reached, pager continuations). This module is the first part, so that
the site metrics (:mod:`evalcrawler.scoring.columns`), the accuracy gate on real pages
(``bench/accuracy_real.py``) and ``evalcrawl explain`` decide a page the same way and say why.
"""

from __future__ import annotations

from dataclasses import dataclass

from evalcrawler.facts import DatedItem, Form, PageFacts
from evalcrawler.scoring.results import Thresholds

COLUMN = "column"
BLANK = "blank"
OTHER = "other"

# A page with more text of its own than this (characters, blanks not counted: shown text
# outside links, navigation, footers) is never a blank column: a service guide, a form, an
# introduction or an article has content, whatever boxes of it are empty.
OWN_TEXT_NEVER_BLANK = 300

# A query form (期房签约查询, 资质查询: the page's content is a form to fill in, its answer comes
# after a submit) is never a blank column, whatever empty box the page shows: a form with at
# least this many fields a visitor types into (text, textarea …; not passwords, not a site
# search's one query field) and a button that sends them. A site search box has one such field
# and a login box two at most (a user name and a captcha beside the password).
QUERY_FORM_FIELDS = 3
_ENTRY_TYPES = frozenset({"text", "search", "", "textarea", "number", "tel", "email", "date"})
_SUBMIT_TYPES = frozenset({"submit", "image", "button"})
# A service guide (办事指南: 事项名称, 办理依据, 申报材料, 办理时限 … each with its value; the
# extractor's ``guide_labels``) is neither a column nor a blank column, whatever boxes of dated
# links (related regulations, downloads) stand beside it: a page with this many guide labels.
GUIDE_LABELS_MIN = 3


@dataclass(frozen=True)
class PageVerdict:
    """``kind``: column, blank or other; ``reason``: why, in words an analyst can check."""

    kind: str
    reason: str


def dated(page: PageFacts) -> list[DatedItem]:
    """The items of the page's main list that carry a date (its dated links)."""
    return [item for item in page.items if item.date is not None]


def page_verdict(page: PageFacts, thresholds: Thresholds, more_items: int = 0) -> PageVerdict:
    """Column, blank column or other, for a 2xx page that is not the home page, judged as if
    it was reached through a navigation link (the site part of the rules is the caller's).

    ``more_items``: dated items the page's list shows from elsewhere (a list endpoint's answer,
    docs/metrics.md "List endpoint")."""
    items = dated(page)
    if page.publish_date is not None:
        return PageVerdict(OTHER, f"the page has a publish date of its own ({page.publish_date})")
    if is_guide(page):
        labels = "、".join(page.guide_labels[:4]) + (" …" if len(page.guide_labels) > 4 else "")
        return PageVerdict(
            OTHER,
            f"the page is a service guide ({len(page.guide_labels)} labelled fields: {labels}): "
            "a guide is never a column nor a blank column",
        )
    if len(items) + more_items >= thresholds.min_column_items:
        loaded = f" (and {more_items} from its list endpoint)" if more_items else ""
        return PageVerdict(COLUMN, f"its main list holds {len(items)} dated links{loaded}")
    reason = blank_reason(page, thresholds)
    if reason is not None:
        return PageVerdict(BLANK, reason)
    if items:
        return PageVerdict(
            OTHER,
            f"its main list holds {len(items)} dated link{'s' if len(items) > 1 else ''}, fewer "
            f"than the {thresholds.min_column_items} of a column",
        )
    shown = _empty_shown(page, thresholds)
    if shown is not None and _has_text(page):
        return PageVerdict(
            OTHER,
            f"{shown}, but the page has {page.own_text} characters of text of its own (more "
            f"than {OWN_TEXT_NEVER_BLANK}): a page with content is never a blank column",
        )
    fields = query_form_fields(page)
    if shown is not None and fields:
        return PageVerdict(
            OTHER,
            f"{shown}, but the page is a query form ({fields} fields to fill in and a button "
            "that sends them): a form page is never a blank column",
        )
    return PageVerdict(OTHER, "no dated list, no empty list where one should be")


def blank_reason(page: PageFacts, thresholds: Thresholds) -> str | None:
    """Why the page shows as a blank column (no item, and an empty-state phrase or an empty list
    container where its list should be, and no more than :data:`OWN_TEXT_NEVER_BLANK`
    characters of text of its own), or ``None`` when it does not."""
    if page.items or page.dated_links or _has_text(page) or is_guide(page):
        return None
    if page.endpoints or page.scripted:
        # Its list is loaded by a script: not measured without it, never called blank.
        return None
    if query_form_fields(page):
        return None  # a query form: its results come after a submit
    return _empty_shown(page, thresholds)


def is_guide(page: PageFacts) -> bool:
    """The page is a service guide: :data:`GUIDE_LABELS_MIN` guide labels with values."""
    return len(page.guide_labels) >= GUIDE_LABELS_MIN


def query_form_fields(page: PageFacts) -> int:
    """The fields of the page's largest query form (:data:`QUERY_FORM_FIELDS` or more fields
    a visitor types into, and a submit button), or 0 when it has none."""
    return max((n for n in map(_entry_fields, page.forms) if n >= QUERY_FORM_FIELDS), default=0)


def _entry_fields(form: Form) -> int:
    if not any(f.type in _SUBMIT_TYPES for f in form.fields):
        return 0
    return sum(
        1
        for f in form.fields
        if f.type in _ENTRY_TYPES and not (form.search and f.name == form.query_field)
    )


def _has_text(page: PageFacts) -> bool:
    return page.own_text is not None and page.own_text > OWN_TEXT_NEVER_BLANK


def _empty_shown(page: PageFacts, thresholds: Thresholds) -> str | None:
    """What shows where the page's list should be: an empty-state phrase, or an empty list
    container (named when the facts name it)."""
    phrases = [p for p in thresholds.empty_phrases if p]
    # Only the phrase the extractor found where the list should be counts, not any occurrence
    # in the page text: prose such as 城市建设中 contains 建设中.
    empty_state = page.empty_state or ""
    shown = next((p for p in phrases if p in empty_state), None)
    if shown is not None:
        return f"the page shows {shown} where its list should be"
    if page.list_container and not page.items:
        if page.empty_container:
            return f"its list container {page.empty_container} holds no item"
        return "its list container holds no item"
    return None
