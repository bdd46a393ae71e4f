"""The peers that bench/crawl.py measures evalcrawl against on the same web: a bare Scrapy
spider under the same settings (bench/bare_spider.py), LinkChecker and wget --spider."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchlib import child_cpu, crawl_settings, quiet, region_for

HERE = Path(__file__).resolve().parent


def bare_settings(workdir: Path) -> Path:
    """evalcrawl's Scrapy settings for this crawl, minus its own pipeline, middlewares,
    extensions, download handlers and address-guarding name resolver (Scrapy's own are used)."""
    from evalcrawler.crawl import scrapy_settings

    region = region_for(["http://127.0.0.1/"], "x")
    cs = crawl_settings(region, delay=0.0, per_host=8)
    settings = scrapy_settings(
        cs, db_url="sqlite://", run_id=0, n_sites=1, log_file=str(workdir / "bare.log")
    )
    for key in list(settings):
        if key.startswith("EVALCRAWL_") or key in (
            "ITEM_PIPELINES",
            "DOWNLOADER_MIDDLEWARES",
            "EXTENSIONS",
            "SPIDER_MIDDLEWARES",
            "DOWNLOAD_HANDLERS",
            "TWISTED_DNS_RESOLVER",
        ):
            del settings[key]
    path = workdir / "bare-settings.json"
    path.write_text(json.dumps(settings, indent=1))
    return path


def run_bare(url: str, workdir: Path, settings: Path) -> dict[str, Any]:
    result_file = workdir / "bare-result.json"
    load = quiet()
    cpu = child_cpu()
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, str(HERE / "bare_spider.py"), url, str(settings), str(result_file)],
        capture_output=True,
        text=True,
    )
    if proc.returncode:
        tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
        raise RuntimeError(f"the bare spider failed (exit {proc.returncode}): {tail}")
    wall = time.monotonic() - started
    result = json.loads(result_file.read_text())
    return {
        "wall_s": round(wall, 2),
        "child_cpu_s": round(child_cpu() - cpu, 2),
        "pages_2xx": result["pages"],
        "requests": result["requests"],
        "loadavg_at_start": load,
    }


def timed_tool(cmd: list[str], cwd: Path, ok_codes: tuple[int, ...]) -> dict[str, Any]:
    load = quiet()
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    wall = time.monotonic() - started
    if proc.returncode not in ok_codes:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"{cmd[0]} exited {proc.returncode}: {' | '.join(tail)}")
    return {"wall_s": round(wall, 2), "exit_code": proc.returncode, "loadavg_at_start": load}


def run_linkchecker(url: str, workdir: Path) -> dict[str, Any]:
    config = workdir / "linkcheckerrc"
    # LinkChecker honours more than 10 requests/s only for servers that send a "LinkChecker"
    # header (bench/sites.py does); then this limit applies.
    config.write_text("[checking]\nthreads=8\nmaxrequestspersecond=1000000\n")
    config.chmod(0o644)  # run as root, LinkChecker drops privileges to nobody
    cmd = ["linkchecker", "-f", str(config), "-t", "8", "--no-status", "-o", "none", url]
    return timed_tool(cmd, Path(tempfile.gettempdir()), (0, 1))  # 1: broken links found


def run_wget(url: str, workdir: Path) -> dict[str, Any]:
    folder = workdir / "wget"
    folder.mkdir(exist_ok=True)
    cmd = ["wget", "--spider", "-r", "-l", "inf", "--no-verbose", "-P", str(folder), url]
    return timed_tool(cmd, folder, (0, 8))  # 8: the server answered some URL with an error
