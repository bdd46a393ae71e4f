"""Anti-bot challenges: answers that are a firewall's test, not the site's page.

Many portals sit behind firewalls that answer a first visit with HTTP 412 (or 202, 403, 503,
521, sometimes 200) and a small page whose script computes a cookie and reloads; only a
client that runs the script gets the page. A crawler without a browser sees the challenge on
every request. :func:`challenge` recognises such an answer from its status and the markers
the common kinds leave in the body, so that the spider can fetch the page again through a
browser (``--render auto``) or call the site ``blocked`` (docs/metrics.md, "Site status")
instead of judging the firewall as the site.
"""

from __future__ import annotations

import re

# Statuses firewalls answer a challenge with; a 2xx challenge counts only on an almost empty page.
CHALLENGE_STATUSES = frozenset({202, 403, 412, 429, 503, 521})
SCAN_BYTES = 64 * 1024  # challenge pages are small; their markers are near the top
SHORT_TEXT = 200  # visible characters: a 2xx answer with more is a page, not a challenge

_COOKIE = re.compile(rb"document\s*\.\s*cookie\s*=")
_RELOAD = re.compile(
    rb"location\s*\.\s*(?:reload|replace|assign)\s*\(|location(?:\s*\.\s*href)?\s*=|"
    rb"window\s*\.\s*location\s*="
)
_KINDS: tuple[tuple[re.Pattern[bytes], str], ...] = (
    (re.compile(rb"\$_ts\s*=|\$_ts\s*\["), "a script challenge ($_ts)"),
    (re.compile(rb"__jsl_clearance|__jsluid"), "a cookie challenge (__jsl_clearance)"),
    (re.compile(rb"wzwschallenge|wzwsconfirm|wzwsquestion", re.I), "a verification page (wzws)"),
    (re.compile(rb"yunsuo_session_verify|security_verify_data"), "a verification page (yunsuo)"),
    (re.compile(rb"acw_sc__v2"), "a cookie challenge (acw_sc__v2)"),
    (re.compile(rb"cf-chl|cf_chl_opt|challenge-platform"), "a challenge page (cf-chl)"),
)


def challenge(status: int, body: bytes, text: str) -> str | None:
    """What challenge the answer is, as ``"HTTP 412 with a script that sets a cookie and
    reloads the page"``; ``None`` for an ordinary answer. ``text`` is the page's visible
    text (a 2xx answer counts only when it shows almost nothing)."""
    if status not in CHALLENGE_STATUSES and not (200 <= status < 300 and len(text) < SHORT_TEXT):
        return None
    head = bytes(body[:SCAN_BYTES])
    for pattern, what in _KINDS:
        if pattern.search(head):
            return f"HTTP {status} with {what}"
    if _COOKIE.search(head) and _RELOAD.search(head):
        return f"HTTP {status} with a script that sets a cookie and reloads the page"
    return None
