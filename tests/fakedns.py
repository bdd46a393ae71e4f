"""A fake AAAA resolver for tests (injected with EVALCRAWL_RESOLVER=tests.fakedns.aaaa)."""

from __future__ import annotations

RECORDS = {"127.0.0.31": True, "127.0.0.32": False}


def aaaa(host: str) -> bool | None:
    """True/False for the hosts the tests know, None (DNS cannot be asked) for the rest."""
    return RECORDS.get(host)


LOG_ENV = "EVALCRAWL_TEST_LOOKUP_LOG"  # a file that gets one line per lookup made


def addresses(host: str) -> list[str]:
    """An address resolver (EVALCRAWL_ADDRESS_RESOLVER=tests.fakedns.addresses) for the guard
    tests: ``www.rebind.test`` answers 127.0.0.151 the first time and 127.0.1.151 after (DNS
    rebinding); ``nx.rebind.test`` does not resolve; other names neither."""
    import os

    log = os.environ.get(LOG_ENV)
    earlier = 0
    if log:
        with open(log, "a+", encoding="utf-8") as f:
            f.seek(0)
            earlier = f.read().split().count(host)
            f.write(host + "\n")
    if host == "www.rebind.test":
        return ["127.0.0.151"] if earlier == 0 else ["127.0.1.151"]
    raise OSError(f"no such host: {host}")


MIRROR_ENV = "EVALCRAWL_TEST_HOSTS"  # "host=127.0.2.1,host2=127.0.2.2": the real-corpus mirror


def mirror_addresses(host: str) -> list[str]:
    """An address resolver (EVALCRAWL_ADDRESS_RESOLVER=tests.fakedns.mirror_addresses) for the
    loopback mirror of the real corpus (tests/realweb.py): the host names of the corpus sites
    answer their mirror's loopback address; no other name resolves."""
    import os

    for pair in os.environ.get(MIRROR_ENV, "").split(","):
        name, _, address = pair.partition("=")
        if name and name.lower() == host.lower():
            return [address]
    raise OSError(f"no such host: {host}")
