"""Failed requests: a readable reason for each, its kind, and what the spider does with it.

:func:`describe_failure` names why a download failed (timeout, reset, DNS, the size limit …) in
the words the site's reason uses; :func:`failure_kind` counts them by kind. :class:`FailureMixin`
gives the spider its errback: a failed home page moves on to the next address, a failed page
counts against the site, a failed check or probe is recorded as such.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, cast

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from twisted.python.failure import Failure

from evalcrawler.facts import LinkCheck, PageFacts, Probe

if TYPE_CHECKING:
    from evalcrawler.spiders.state import SiteState

SIZE_LIMIT_REASON = "too large"  # how the error of a download cut at the size limit starts


def describe_failure(failure: Failure, maxsize: int = 0) -> str:
    """A short, readable reason for a failed download (``maxsize``: the download size limit,
    in bytes, named in the reason when a download was cut for its size)."""
    exc = failure.value
    name = type(exc).__name__
    text = str(exc).strip()
    limit = f"the {maxsize / 2**20:g} MB download limit" if maxsize else "the download size limit"
    if isinstance(exc, IgnoreRequest):
        if "exceeded DOWNLOAD_MAXSIZE" in text:  # HttpCompressionMiddleware: a gzip bomb
            return f"{SIZE_LIMIT_REASON}: more than {limit} once decompressed"
        return text or "ignored"
    if name == "DownloadCancelledError":
        # Scrapy cancels a download whose announced or received size passes DOWNLOAD_MAXSIZE.
        announced = re.match(r"Expected to receive (\d+) bytes", text)
        if announced:
            size = int(announced.group(1)) / 2**20
            return f"{SIZE_LIMIT_REASON}: {size:.0f} MB announced, more than {limit}"
        return f"{SIZE_LIMIT_REASON}: more than {limit} received"
    if "DNSLookupError" in name or "Resolve" in name:
        return "DNS lookup failed (no such host, or no network)"
    if "TimeoutError" in name or "TCPTimedOut" in name:
        return "timeout"
    if "ConnectionRefused" in name:
        return "connection refused"
    if name == "ResponseDataLossError":
        return "truncated response (the connection closed before the whole body arrived)"
    if "SSL.Error" in text or "SSL" in name:
        return "TLS handshake failed"
    if "non-clean" in text or "ConnectionLost" in name or "Connection reset" in text:
        return "connection reset"
    if "ConnectionDone" in text or "ConnectionDone" in name or "cleanly" in text:
        return "connection closed without a response"
    if "ResponseFailed" in name or "ResponseNeverReceived" in name or "DownloadFailed" in name:
        return "no response (connection closed or reset)"
    if text and len(text) < 200:
        return f"{name}: {text}"
    return name


def failure_kind(status: int, error: str | None) -> str:
    """The kind of a failed page request, as the site's reason counts them."""
    if status:
        return f"HTTP {status}"
    error = error or "no response"
    if error.startswith("truncated"):
        return "truncated"
    return error.split(" (", 1)[0].split(":", 1)[0]


class FailureMixin:
    """The spider's errback (see the module docstring)."""

    sites: dict[int, SiteState]
    _maxsize: int

    if TYPE_CHECKING:

        def _item(self, state: SiteState, item: dict[str, Any]) -> dict[str, Any]: ...

        def _settle(self, state: SiteState) -> Iterator[Any]: ...

        def _next_home_candidate(self, state: SiteState) -> Iterator[Any]: ...

        def _promote(self, state: SiteState) -> Iterator[Any]: ...

    def on_error(self, failure: Failure) -> Iterator[Any]:
        request: Request = failure.request  # type: ignore[attr-defined]
        meta = request.meta
        state = self.sites.get(cast(int, meta.get("ec_site")))
        if state is None:
            return
        if meta.get("playwright") and not failure.check(IgnoreRequest):
            # The browser failed on a page of a rendered site: fetched plainly instead.
            yield from cast(Any, self).on_render_error(failure)
            return
        state.outstanding -= 1
        reason = describe_failure(failure, self._maxsize)
        kind = meta.get("ec_kind")
        orig = meta.get("ec_orig", request.url)
        robots = "robots.txt" in reason
        if kind == "page" and not robots and "budget" not in reason:
            state.not_a_page(meta)
            yield from self._promote(state)
        if kind == "page":
            if meta.get("ec_home") and not state.home_done:
                if robots:
                    problem = f"robots.txt disallows {orig}"
                elif meta.get("ec_chain"):  # a hop of the home page's redirects failed
                    problem = f"{orig} redirected to {request.url}: {reason}"
                elif reason.startswith(SIZE_LIMIT_REASON):
                    problem = f"{orig} {reason}"
                else:
                    problem = f"no response from {orig}: {reason}"
                state.home_errors.append(problem)
                if not robots:
                    yield self._item(
                        state,
                        {
                            "type": "page",
                            "facts": PageFacts(
                                url=orig,
                                final_url=request.url,
                                error=reason,
                                is_home=True,
                                fetched_at=datetime.now(timezone.utc).replace(tzinfo=None),
                            ),
                        },
                    )
                yield from self._next_home_candidate(state)
                yield from self._settle(state)
                return
            if robots:
                state.cut_short.append("robots.txt disallows some pages") if (
                    "robots.txt disallows some pages" not in state.cut_short
                ) else None
            elif "budget" not in reason:
                state.page_responses += 1
                if reason.startswith(SIZE_LIMIT_REASON):
                    state.too_big.append(orig)
                else:
                    state.page_failures += 1
                    state.failure_kinds[failure_kind(0, reason)] += 1
                yield self._item(
                    state,
                    {
                        "type": "page",
                        "facts": PageFacts(
                            url=orig,
                            final_url=request.url,
                            error=reason,
                            depth=meta.get("ec_depth", 0),
                            referer=meta.get("ec_referer"),
                            via_text=meta.get("ec_via"),
                            via_nav=bool(meta.get("ec_via_nav")),
                            fetched_at=datetime.now(timezone.utc).replace(tzinfo=None),
                            list_of=meta.get("ec_list_of"),
                        ),
                    },
                )
        elif kind == "check":
            if not robots and "budget" not in reason:
                state.broken.add(orig)
                yield self._item(
                    state,
                    {
                        "type": "check",
                        "check": LinkCheck(
                            url=orig,
                            status=0,
                            error=reason,
                            final_url=request.url,
                            method=meta.get("ec_method", "HEAD"),
                        ),
                    },
                )
        elif kind == "probe":
            pkind, seq = meta["ec_probe"]
            state.probes_done.add((pkind, seq))
            yield self._item(
                state,
                {
                    "type": "probe",
                    "probe": Probe(
                        kind=pkind,
                        url=orig,
                        status=0,
                        error="robots" if robots else reason,
                        elapsed_ms=probe_ms(meta) if "timeout" in reason else None,
                        seq=seq,
                    ),
                },
            )
            if pkind == "https":
                yield self._item(
                    state,
                    {
                        "type": "probe",
                        "probe": Probe(
                            kind="tls", url=orig, ok=False, error=f"no HTTPS response: {reason}"
                        ),
                    },
                )
        yield from self._settle(state)


def probe_ms(meta: dict[str, Any]) -> float | None:
    """How long a probe took: Scrapy's download latency, else the time since it was made."""
    latency = meta.get("download_latency")
    if latency is not None:
        return round(latency * 1000, 1)
    started = meta.get("ec_started")
    return round((time.monotonic() - started) * 1000, 1) if started else None
