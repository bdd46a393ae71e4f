"""Forms of a page, and which one is a site search (docs/metrics.md, ``search_form``).

A form's fields are kept with their names and values (the crawl submits the search form with
them); a form is a search form when a text field, the form's action, id, class or name, or a
submit button says search (``search``, ``sousuo``, ``q``, ``kw`` …, 搜索/检索/查询), and it has
no password field. ``input type=image`` and images labelled 搜索 count as buttons.
"""

from __future__ import annotations

import re
from itertools import islice
from typing import Any

from evalcrawler.facts import Form, FormField
from evalcrawler.spiders.hrefs import absolute_url
from evalcrawler.spiders.walk import short_text

_SEARCH_WORDS = ("search", "sousuo", "query", "keyword", "searchword", "sword")
_SEARCH_TOKENS = frozenset({"q", "kw", "wd", "ss"})
_SEARCH_BUTTONS = ("搜索", "检索", "查询")
_TEXT_TYPES = frozenset({"text", "search", ""})
_TOKEN_SPLIT = re.compile(r"[^0-9a-z]+")
_OPTIONS_READ = 1_000


def says_search(value: str | None) -> bool:
    """A field name, form action, id or class that names a site search (docs/metrics.md)."""
    if not value:
        return False
    v = value.lower()
    if any(word in v for word in _SEARCH_WORDS):
        return True
    return any(tok in _SEARCH_TOKENS for tok in _TOKEN_SPLIT.split(v))


def read_form(el: Any, page_url: str, base: str) -> Form:
    """The form ``el`` of the page at ``page_url`` (links resolved against ``base``)."""
    action = absolute_url(base, el.get("action")) if (el.get("action") or "").strip() else None
    method = "post" if (el.get("method") or "").strip().lower() == "post" else "get"
    fields: list[FormField] = []
    text_names: list[str] = []
    has_text = has_password = button_says = False
    for node in el.iter("input", "select", "textarea", "button", "img"):
        tag = node.tag
        name = (node.get("name") or "").strip()
        if tag == "input":
            ftype = (node.get("type") or "text").strip().lower()
            value = node.get("value") or ""
            if ftype in _TEXT_TYPES:
                has_text = True
                if name:
                    text_names.append(name)
            elif ftype == "password":
                has_password = True
            elif ftype in ("submit", "button", "image"):
                label = " ".join(filter(None, (value, node.get("alt"), node.get("title"))))
                button_says = button_says or _says_button(label)
        elif tag == "select":
            ftype = "select"
            value = ""
            chosen = first = None
            # Selects nest (libxml2 does not close one that is left open): look at a few.
            for option in islice(node.iter("option"), _OPTIONS_READ):
                first = first if first is not None else option
                if option.get("selected") is not None:
                    chosen = option
                    break
            chosen = chosen if chosen is not None else first
            if chosen is not None:
                value = chosen.get("value") or short_text(chosen)[0]
        elif tag == "textarea":
            ftype = "textarea"
            value = node.text or ""
        elif tag == "button":
            ftype = (node.get("type") or "submit").strip().lower()
            value = node.get("value") or ""
            if ftype in ("submit", "button"):
                label = " ".join((short_text(node)[0], value, node.get("title") or ""))
                button_says = button_says or _says_button(label)
        else:  # img: an image that submits by script, labelled 搜索
            button_says = button_says or _says_button(
                f"{node.get('alt') or ''} {node.get('title') or ''}"
            )
            continue
        if name:
            fields.append(FormField(name=name, type=ftype, value=value))
    form_says = any(says_search(el.get(a)) for a in ("action", "id", "class", "name"))
    name_says = [n for n in text_names if says_search(n)]
    search = has_text and not has_password and bool(name_says or form_says or button_says)
    candidates = name_says or text_names
    query_field = candidates[0] if candidates else None
    return Form(
        action=action or page_url,
        method=method,
        fields=fields,
        search=search,
        query_field=query_field,
    )


def _says_button(label: str) -> bool:
    flat = "".join(label.split())
    return any(word in flat for word in _SEARCH_BUTTONS)
