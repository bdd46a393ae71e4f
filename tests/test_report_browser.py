"""Open report.html in headless Chromium: it renders, makes no network request, logs no error.

The browser is driven over the DevTools protocol through ``--remote-debugging-pipe`` (JSON
messages separated by NUL bytes on file descriptors 3 and 4), so no websocket client or other
dependency is needed, and every request the page makes is seen as a ``Network`` event:
log-scraping would miss requests that fail silently. The page is loaded from a ``file://`` URL;
the only request allowed is that URL itself. ``--host-resolver-rules`` makes any other host
unresolvable, so a regression cannot reach the network even while it is being detected.

Chromium is Debian's ``chromium`` package and the screenshots want a CJK font
(``fonts-noto-cjk``). The test never installs anything: it skips without them, and fails
instead when ``EVALCRAWL_REQUIRE_SERVICES=1`` (``.ci/run`` installs both). Set
``EVALCRAWL_SCREENSHOT_DIR`` to keep the screenshots.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import queue
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

try:
    from tests.test_report_fixture import GENERATED_AT, SCRIPT, build_db
except ImportError:  # tests/ is not a package: pytest puts the folder itself on sys.path
    from test_report_fixture import GENERATED_AT, SCRIPT, build_db

from evalcrawler.reports.data import load_report_data
from evalcrawler.reports.writers import write_reports
from tests.conftest import need

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def _find_browser() -> str | None:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def _cjk_font() -> bool:
    """Whether fontconfig knows a font with Chinese glyphs (Debian: fonts-noto-cjk)."""
    if shutil.which("fc-list") is None:
        return False
    found = subprocess.run(
        ["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False
    )
    return bool(found.stdout.strip())


def browser_or_skip() -> str:
    """Path of a Chromium binary, with a CJK font for the screenshots. Nothing is installed
    here (`.ci/run` does that, in CI): without them the test skips, or fails when
    ``EVALCRAWL_REQUIRE_SERVICES=1``."""
    found = _find_browser()
    need(found is not None, "Chromium (Debian: apt-get install chromium)")
    need(_cjk_font(), "a CJK font for the screenshots (Debian: apt-get install fonts-noto-cjk)")
    assert found is not None
    return found


@pytest.fixture(scope="module")
def chromium() -> str:
    return browser_or_skip()


class DevTools:
    """A minimal DevTools-protocol client over Chromium's ``--remote-debugging-pipe``."""

    def __init__(self, binary: str, profile: Path, log: Path) -> None:
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def wire_fds() -> None:  # in the child, before exec: Chromium reads fd 3, writes fd 4
            read = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)
            write = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
            os.dup2(read, 3)
            os.dup2(write, 4)

        self._log = log.open("wb")
        self.process = subprocess.Popen(
            [
                binary,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-default-apps",
                "--disable-extensions",
                "--no-first-run",
                "--no-default-browser-check",
                "--hide-scrollbars",
                "--host-resolver-rules=MAP * ~NOTFOUND",
                f"--user-data-dir={profile}",
                "--window-size=1280,2000",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            close_fds=False,  # fds 3 and 4 must survive exec; all others are non-inheritable
            preexec_fn=wire_fds,  # only dup2 calls; no other thread runs yet
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self.events: list[dict[str, Any]] = []
        self._replies: queue.Queue[dict[str, Any]] = queue.Queue()
        self._next_id = 0
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = os.read(self._from_child, 65536)
            except OSError:
                break
            if not chunk:
                break
            buffer += chunk
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                self._replies.put(json.loads(raw))
        self._replies.put({"closed": True})

    def _pump(self, timeout: float) -> dict[str, Any] | None:
        try:
            message = self._replies.get(timeout=timeout)
        except queue.Empty:
            return None
        if "closed" in message:
            raise RuntimeError("Chromium closed the DevTools pipe")
        if "method" in message:
            self.events.append(message)
        return message

    def call(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            reply = self._pump(deadline - time.monotonic())
            if reply is not None and reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
        raise TimeoutError(f"no reply to {method}")

    def wait_for(self, method: str, timeout: float = 60) -> dict[str, Any]:
        for event in self.events:
            if event["method"] == method:
                return event
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = self._pump(deadline - time.monotonic())
            if message is not None and message.get("method") == method:
                return message
        raise TimeoutError(f"no {method} event")

    def settle(self, seconds: float) -> None:
        """Collect events for a while (late requests would show up here)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self._pump(max(0.01, deadline - time.monotonic()))

    def close(self) -> None:
        with contextlib.suppress(RuntimeError, TimeoutError, OSError):
            self.call("Browser.close")
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)
        for fd in (self._to_child, self._from_child):
            with contextlib.suppress(OSError):
                os.close(fd)
        self._log.close()


@pytest.fixture
def devtools(chromium: str, tmp_path: Path) -> Iterator[DevTools]:
    client = DevTools(chromium, tmp_path / "profile", tmp_path / "chromium.log")
    try:
        yield client
    finally:
        client.close()


def _save(png: bytes, path: Path) -> Path:
    path.write_bytes(png)
    keep = os.environ.get("EVALCRAWL_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / path.name)
    return path


@pytest.mark.timeout(300)
def test_report_html_renders_offline_without_errors(devtools: DevTools, tmp_path: Path) -> None:
    engine, run_id = build_db(tmp_path / "r.db")
    write_reports(
        load_report_data(engine, run_id),
        tmp_path / "out",
        generated_at=GENERATED_AT,
        formats=("html",),
    )
    page_url = (tmp_path / "out" / "report.html").resolve().as_uri()

    target = devtools.call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = devtools.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
        "sessionId"
    ]
    for domain in ("Network", "Runtime", "Log", "Page"):
        devtools.call(f"{domain}.enable", session=session)
    devtools.call(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1280, "height": 2000, "deviceScaleFactor": 1, "mobile": False},
        session=session,
    )
    devtools.events.clear()  # only what the report does counts
    devtools.call("Page.navigate", {"url": page_url}, session=session)
    devtools.wait_for("Page.loadEventFired")
    devtools.settle(1.0)

    facts = json.loads(
        devtools.call(
            "Runtime.evaluate",
            {
                "expression": """JSON.stringify({
                    title: document.title,
                    h1: (document.querySelector('h1') || {}).textContent || '',
                    scripts: document.getElementsByTagName('script').length,
                    charts: [...document.querySelectorAll('svg.chart')].map(
                        s => s.getBoundingClientRect().width),
                    chartIds: [...document.querySelectorAll('svg.chart')].map(s => s.id),
                    sections: Object.fromEntries(
                        ['stability', 'letters', 'years'].map(id => {
                            const el = document.getElementById(id);
                            return [id, el ? {
                                height: el.getBoundingClientRect().height,
                                charts: [...el.querySelectorAll('svg.chart')].map(
                                    s => s.getBoundingClientRect().width),
                                text: el.innerText,
                            } : null];
                        })),
                    chartText: [...document.querySelectorAll('svg.chart text')]
                        .map(t => t.textContent).join('|'),
                    rows: document.querySelectorAll('table.ranking tbody tr').length,
                    text: document.body.innerText,
                    height: document.documentElement.scrollHeight,
                })""",
                "returnByValue": True,
            },
            session=session,
        )["result"]["value"]
    )
    top = base64.b64decode(
        devtools.call("Page.captureScreenshot", {"format": "png"}, session=session)["data"]
    )
    full = base64.b64decode(
        devtools.call(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": 1280, "height": facts["height"], "scale": 1},
            },
            session=session,
        )["data"]
    )
    shot = _save(top, tmp_path / "report-top.png")
    _save(full, tmp_path / "report-full.png")
    print(f"screenshots: {shot} and {tmp_path / 'report-full.png'}")

    # It rendered: the heading, the ranking, both charts with their Chinese labels as text.
    assert "太原市" in facts["h1"]
    assert facts["rows"] == 7
    assert facts["chartIds"] == [
        "chart-categories",
        "chart-levels",
        "chart-topics",
        "chart-quality",
        "chart-years",
    ]
    assert all(w > 300 for w in facts["charts"])
    # The sections of rank stability, topics and reply quality, and the years render with
    # their charts (drawn, not empty) and their Chinese text.
    sections = facts["sections"]
    assert all(sections[k] and sections[k]["height"] > 100 for k in sections), sections
    assert "1–2" in sections["stability"]["text"]  # 太原市's rank interval
    assert "差距大于随机波动" in sections["stability"]["text"]
    assert len(sections["letters"]["charts"]) == 2
    assert all(w > 300 for w in sections["letters"]["charts"])
    assert "城乡建设" in sections["letters"]["text"] and "136.0" in sections["letters"]["text"]
    assert len(sections["years"]["charts"]) == 1 and sections["years"]["charts"][0] > 300
    assert "2025" in sections["years"]["text"] and "74.50" in sections["years"]["text"]
    assert "交通运输" in facts["chartText"] and "实质答复" in facts["chartText"]
    assert "太原市" in facts["chartText"] and "信息内容" in facts["chartText"]
    assert "排名" in facts["text"] and "娄烦县人民政府" in facts["text"]
    assert facts["height"] > 2000
    assert top[:8] == b"\x89PNG\r\n\x1a\n" and len(top) > 20_000
    # Crawled text is shown as text and never runs.
    assert facts["scripts"] == 0
    assert SCRIPT in facts["text"]
    assert '=HYPERLINK("http://evil.example/","点我")' in facts["text"]

    # No request other than the file itself, no console message or exception of level error.
    requests = [
        e["params"]["request"]["url"]
        for e in devtools.events
        if e["method"] == "Network.requestWillBeSent"
    ]
    assert requests == [page_url]
    errors = [
        e
        for e in devtools.events
        if e["method"] == "Runtime.exceptionThrown"
        or (
            e["method"] == "Runtime.consoleAPICalled" and e["params"]["type"] in ("error", "assert")
        )
        or (e["method"] == "Log.entryAdded" and e["params"]["entry"]["level"] == "error")
    ]
    assert errors == []
    assert not any(e["method"] == "Network.loadingFailed" for e in devtools.events)


def test_a_missing_browser_skips_and_installs_nothing(monkeypatch) -> None:
    ran: list[list[str]] = []
    monkeypatch.setattr(subprocess, "run", lambda cmd, **kw: ran.append(cmd))
    monkeypatch.setattr(subprocess, "Popen", lambda cmd, **kw: ran.append(cmd))
    monkeypatch.setattr(shutil, "which", lambda name, **kw: None)
    monkeypatch.delenv("EVALCRAWL_REQUIRE_SERVICES", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"Chromium \(Debian: apt-get install"):
        browser_or_skip()
    monkeypatch.setenv("EVALCRAWL_REQUIRE_SERVICES", "1")
    with pytest.raises(pytest.fail.Exception, match=r"Chromium .* is required"):
        browser_or_skip()
    assert ran == []


def test_no_test_installs_system_packages() -> None:
    # A test suite run by a user must not change the system: no test module runs a package
    # manager (.ci/run installs what CI needs).
    runs_installer = re.compile(r"""[\[(,]\s*["'](apt-get|apt|dpkg|yum|dnf|apk|brew)["']""")
    offenders = [
        path.name
        for path in sorted(Path(__file__).parent.rglob("*.py"))
        if runs_installer.search(path.read_text("utf-8"))
    ]
    assert offenders == []
