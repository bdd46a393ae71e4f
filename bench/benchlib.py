"""What the benchmark scripts share: a row of the result table and the table itself, the
machine and its load, and the region and crawl settings of a benchmark web."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import platform
import resource
import sys
import time
from pathlib import Path
from typing import Any

from evalcrawler.config import CrawlSettings, Region

MB = 1024 * 1024


@dataclasses.dataclass
class Row:
    measure: str
    evalcrawl: str
    baseline: str
    ratio: float | None
    goal: str
    met: bool | None
    detail: dict[str, Any] = dataclasses.field(default_factory=dict)


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


MAX_LOAD: float | None = None  # --max-load: wait for a quieter machine before each timing


def quiet() -> str:
    """Wait (at most 20 minutes) until the 1-minute load average is at most ``MAX_LOAD``."""
    if MAX_LOAD is None:
        return loadavg()
    deadline = time.monotonic() + 1200
    waited = False
    while float(loadavg()) > MAX_LOAD and time.monotonic() < deadline:
        if not waited:
            say(f"  waiting for the load average ({loadavg()}) to fall to {MAX_LOAD} ...")
            waited = True
        time.sleep(10)
    return loadavg()


def region_for(urls: list[str], prefix: str) -> Region:
    return Region.model_validate(
        {
            "id": prefix,
            "name": f"bench {prefix}",
            "sites": [
                {"id": f"{prefix}{i}", "name_zh": f"测试{i}县人民政府", "level": "county", "url": u}
                for i, u in enumerate(urls)
            ],
        }
    )


def crawl_settings(region: Region, **flags: Any) -> CrawlSettings:
    """The settings ``evalcrawl crawl`` would use (default rubric's keywords and thresholds)."""
    from evalcrawler.pipeline import crawl_settings_for
    from evalcrawler.scoring.rubric import load_rubric

    return crawl_settings_for(region, load_rubric("gov2013"), allow_nets=["127.0.0.0/8"], **flags)


def table(rows: list[Row]) -> str:
    head = ["measure", "evalcrawl", "baseline", "ratio", "goal", "met?"]
    body = [
        [
            r.measure,
            r.evalcrawl,
            r.baseline,
            "—" if r.ratio is None else f"{r.ratio:.2f}",
            r.goal,
            "n/a" if r.met is None else ("yes" if r.met else "NO"),
        ]
        for r in rows
    ]
    widths = [max(_width(x) for x in col) for col in zip(head, *body, strict=False)]

    def line(cells: list[str]) -> str:
        padded = (c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=True))
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(head), rule, *(line(b) for b in body)])


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def loadavg() -> str:
    """The 1-minute load average: other work on the machine slows every figure down."""
    with contextlib.suppress(OSError):
        return Path("/proc/loadavg").read_text().split()[0]
    return "?"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    with contextlib.suppress(OSError):
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / MB:.0f} GB RAM"
    return f"{os.cpu_count()} cores ({cpu}){mem}, Python {platform.python_version()}"


def child_cpu() -> float:
    """CPU seconds of the finished child processes so far (user + system)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime
