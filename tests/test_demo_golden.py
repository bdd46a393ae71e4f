"""Golden outputs of the demo region: the CSV files and the HTML report, byte for byte.

The demo web is frozen at its as-of date and the crawl is deterministic, so the report files of
a demo run are too, except for four things that are normalised before the comparison: the port
the test's demo web runs on (it is in every URL), the measured response times (timings), the
offsets of WARC records in evidence links (they depend on the order responses arrived in) and
the crawl's date in the HTML (the day the test ran; every age is counted from the as-of date). The
HTML is compared with its generation time fixed and its charts cut out (their layout depends on
the fonts of the machine; a separate test checks the charts are deterministic on one machine).
Regenerate with ``EVALCRAWL_UPDATE_GOLDEN=1`` and review the diff.
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

import pytest

from evalcrawler import __version__
from evalcrawler.db import make_engine
from evalcrawler.reports.data import load_report_data
from evalcrawler.reports.writers import write_reports
from tests.test_report_fixture import GENERATED_AT

GOLDEN = Path(__file__).parent / "golden" / "demo"
UPDATE = os.environ.get("EVALCRAWL_UPDATE_GOLDEN") == "1"
CSV_FILES = [
    "scores.csv",
    "indicators.csv",
    "measurements.csv",
    "regional.csv",
    "columns.csv",
    "threads.csv",
    "broken.csv",
    "findings.csv",
    "years.csv",
]
TIMED_METRICS = {"home_response_ms"}
TIMED_INDICATORS = {"T01b"}  # its value is the measured home page response time
# Evidence links name WARC records as file#offset; offsets depend on the crawl's timing.
WARC_OFFSET = re.compile(r"(\.warc\.gz)#\d+")
CRAWL_DATE = re.compile(r"(采集日期 Crawled: )\d{4}-\d{2}-\d{2}")


@pytest.fixture(scope="module")
def demo_reports(demo_crawl, tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("demo-golden")
    engine = make_engine(demo_crawl.db_url)
    data = load_report_data(engine, demo_crawl.run_id, "gov2013")
    write_reports(data, out, generated_at=GENERATED_AT)
    port = re.search(r":(\d+)/", demo_crawl.region_file.read_text("utf-8")).group(1)
    return out, port


def normalise_csv(name: str, text: str, port: str) -> str:
    text = WARC_OFFSET.sub(r"\1#OFFSET", text.replace(f":{port}/", ":PORT/"))
    timed = {"measurements.csv": TIMED_METRICS, "indicators.csv": TIMED_INDICATORS}.get(name)
    if not timed:
        return text
    rows = list(csv.reader(io.StringIO(text)))
    value = rows[0].index("value")
    for row in rows[1:]:
        if row[1] in timed and row[value]:
            row[value] = "<timing>"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def normalise_html(page: str, port: str) -> str:
    page = WARC_OFFSET.sub(r"\1#OFFSET", page.replace(f":{port}/", ":PORT/"))
    page = re.sub(
        r'(<svg id="(chart-[a-z]+)"[^>]*>).*?</svg>', r'<svg id="\2"></svg>', page, flags=re.S
    )
    # The crawl's date is the day the test ran (the as-of date is the demo's own).
    page = CRAWL_DATE.sub(r"\1CRAWL-DATE", page)
    return page.replace(f"evalcrawl {__version__}", "evalcrawl VERSION")


def compare(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="")
    assert path.exists(), f"missing {path}; run with EVALCRAWL_UPDATE_GOLDEN=1"
    expected = path.read_text(encoding="utf-8")
    for number, (a, e) in enumerate(
        zip(actual.splitlines(), expected.splitlines(), strict=False), 1
    ):
        assert a == e, f"{name}:{number} differs from {path}"
    assert actual == expected, f"{name}: length differs from {path}"


@pytest.mark.parametrize("name", CSV_FILES)
def test_demo_csv_matches_golden(demo_reports, name):
    out, port = demo_reports
    raw = (out / name).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "CSV files are utf-8-sig"
    compare(name, normalise_csv(name, raw.decode("utf-8-sig"), port))


def test_demo_html_matches_golden(demo_reports):
    out, port = demo_reports
    compare("report.html", normalise_html((out / "report.html").read_text("utf-8"), port))


def test_demo_html_is_deterministic(demo_crawl, demo_reports, tmp_path):
    out, _ = demo_reports
    data = load_report_data(make_engine(demo_crawl.db_url), demo_crawl.run_id, "gov2013")
    write_reports(data, tmp_path, generated_at=GENERATED_AT, formats=("html",))
    assert (tmp_path / "report.html").read_bytes() == (out / "report.html").read_bytes()
