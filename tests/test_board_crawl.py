"""The board of issue 11, crawled end to end on loopback: reply rate, median, p90 and overdue
exact against the truth of its real letters.

The site (tests/boardsites.py ``jms_site``) has the structure of 佳木斯市人民政府's 政民互动
board — list rows ``ul > li`` with title, type, department, state and date; a detail page per
letter labelled 咨询时间, 处理情况, 处理时间 — and holds 886 real letters asked in 2019 plus two
older ones whose subjects hold dates; three letters are marked 办理完毕 with an empty 处理时间.
The truth is computed here from the data set, not from anything the crawler read.
"""

from __future__ import annotations

import csv
import statistics
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from evalcrawler.scoring.metrics import compute_metrics
from evalcrawler.scoring.results import Thresholds
from tests import boardsites as B
from tests.crawling import run_region
from tests.webserver import FixtureServer, Reply

HOST = "127.0.0.191"
OVERDUE_DAYS = 90


def _day(value: datetime) -> date:
    return value.date()


def truth(letters: list[B.Letter], as_of: date) -> dict[str, Any]:
    """The board's metrics from the data set: the window is the 365 days before ``as_of``."""
    start = as_of - timedelta(days=365)
    window = [x for x in letters if start <= _day(x.asked) <= as_of]
    replied = [x for x in window if x.done]
    dated = [x for x in replied if x.replied is not None]
    latencies = sorted(
        (x.replied - x.asked).total_seconds() / 86400 for x in dated if x.replied is not None
    )
    open_ = [x for x in window if not x.done]
    ages = [(as_of - _day(x.asked)).days for x in open_]
    return {
        "board_threads": len(window),
        "board_replied": len(replied),
        "board_reply_rate": len(replied) / len(window),
        "board_reply_median_days": statistics.median(latencies),
        "board_reply_p90_days": statistics.quantiles(latencies, n=10, method="inclusive")[8],
        "board_overdue": sum(1 for x in latencies if x > OVERDUE_DAYS)
        + sum(1 for a in ages if a > OVERDUE_DAYS),
        "board_unanswered_max_days": max(ages),
        "undated": len(replied) - len(dated),
    }


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    letters = B.jms_letters()
    routes = {path: Reply(body=page) for path, page in B.jms_site(letters).items()}
    server = FixtureServer(HOST, routes).start()
    folder = tmp_path_factory.mktemp("board")
    monkeypatch = pytest.MonkeyPatch()
    try:
        outcome, facts, _ = run_region(
            folder,
            [{"id": "jms", "name_zh": "佳木斯", "level": "municipal", "url": server.url}],
            monkeypatch,
            f"{HOST}/32",
            max_pages=1_000,
            check_budget=50,
            delay=0.0,
            per_host=4,
            as_of=B.JMS_AS_OF,
        )
    finally:
        monkeypatch.undo()
        server.stop()
    out = Path(outcome.out_dir or folder / "out")
    with (out / "measurements.csv").open(encoding="utf-8-sig", newline="") as f:
        measured = {r["metric"]: r for r in csv.DictReader(f) if r["site_id"] == "jms"}
    with (out / "threads.csv").open(encoding="utf-8-sig", newline="") as f:
        threads = [r for r in csv.DictReader(f) if r["site_id"] == "jms"]
    return {"letters": letters, "facts": facts["jms"], "measured": measured, "threads": threads}


def test_the_whole_board_was_crawled(crawled: dict[str, Any]) -> None:
    site = crawled["facts"]
    assert site.status == "measured", site.reason
    assert len(site.pages) == 1 + 45 + 888  # home, list pages, one page per letter


def test_every_letter_once_with_its_own_dates(crawled: dict[str, Any]) -> None:
    """888 letters, no more: the dates inside subjects and replies (6月8日, 2014年10月, the
    replies' own dates) made no letter; each letter's asked and reply times are the data's."""
    letters = {f"/html/zmhd/detail/{x.id}.html": x for x in crawled["letters"]}
    rows = crawled["threads"]
    assert len(rows) == 888
    seen = {}
    for row in rows:
        path = "/" + row["url"].split("/", 3)[3]
        seen[path] = row
    assert set(seen) == set(letters)
    for path, row in seen.items():
        x = letters[path]
        replied = x.replied.date().isoformat() if x.replied else ""
        assert (row["asked"], row["replied"]) == (x.asked.date().isoformat(), replied), path
        assert row["state"] == ("replied" if x.done else "unanswered"), path
        assert row["title"] == x.subject
        if x.replied is not None:  # latency from the times shown (threads.csv: 8 decimals)
            want = (x.replied - x.asked).total_seconds() / 86400
            assert float(row["latency_days"]) == pytest.approx(want, abs=1e-7), path


def test_reply_rate_median_p90_and_overdue_are_exact(crawled: dict[str, Any]) -> None:
    want = truth(crawled["letters"], B.JMS_AS_OF)
    measured = crawled["measured"]
    assert want["board_threads"] == 886 and want["undated"] == 3
    for metric in (
        "board_threads",
        "board_replied",
        "board_overdue",
        "board_unanswered_max_days",
    ):
        assert int(measured[metric]["value"]) == want[metric], metric
    exact = compute_metrics(crawled["facts"], Thresholds(), B.JMS_AS_OF)  # the stored facts
    for metric in ("board_reply_rate", "board_reply_median_days", "board_reply_p90_days"):
        assert float(measured[metric]["value"]) == pytest.approx(want[metric], abs=1e-7), metric
        assert exact.value(metric) == pytest.approx(want[metric], abs=1e-12), metric
    note = "3 of 867 replied letters show no reply date"
    assert measured["board_reply_median_days"]["reason"].startswith(note)
    assert measured["board_reply_p90_days"]["reason"].startswith(note)
    assert measured["board_overdue"]["reason"].startswith(note)


def test_done_without_a_reply_time_is_replied_with_an_empty_reply_date(
    crawled: dict[str, Any],
) -> None:
    undated = [x for x in crawled["letters"] if x.done and x.replied is None]
    rows = {row["url"].rsplit("/", 1)[1]: row for row in crawled["threads"]}
    for x in undated:
        row = rows[f"{x.id}.html"]
        assert (row["state"], row["replied"], row["latency_days"], row["overdue"]) == (
            "replied",
            "",
            "",
            "false",
        )


def test_detail_pages_keep_the_letter_and_the_reply(crawled: dict[str, Any]) -> None:
    texts = {
        t.url.rsplit("/", 1)[1]: (t.question, t.reply)
        for page in crawled["facts"].pages
        for t in page.threads
        if t.source == "detail"
    }
    with_reply = [x for x in crawled["letters"] if x.reply]
    assert len(with_reply) == 90
    for x in crawled["letters"]:
        assert texts[f"{x.id}.html"] == (x.subject, x.reply)
