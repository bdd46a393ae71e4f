"""A fake AAAA resolver for tests (injected with EVALCRAWL_RESOLVER=tests.fakedns.aaaa)."""

from __future__ import annotations

RECORDS = {"127.0.0.31": True, "127.0.0.32": False}


def aaaa(host: str) -> bool | None:
    """True/False for the hosts the tests know, None (DNS cannot be asked) for the rest."""
    return RECORDS.get(host)
