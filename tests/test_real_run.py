"""A run of the whole pipeline on real pages: the labelled corpus served on loopback.

Each corpus site is served at its own host name (resolved to a loopback address by an
injected resolver) with its pages at their own paths and a synthetic start page that links
every page through navigation (tests/realweb.py). The crawl, scoring and reports run as on the
web. On real markup, no page with more than 300 characters of text of its own may come out as
a blank column, and every labelled column page comes out as a column as the page rules read it
(the accuracy gate measures where those rules miss).
"""

from __future__ import annotations

import csv

import pytest

from tests import realweb
from tests.crawling import run_region
from tests.realcorpus import OWN_TEXT_NEVER_BLANK, evaluate, load


@pytest.fixture(scope="module")
def real_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("real-run")
    sites = realweb.mirror_sites()
    port = realweb.free_port(sites)
    realweb.serve(sites, port)
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("EVALCRAWL_ADDRESS_RESOLVER", realweb.RESOLVER)
    monkeypatch.setenv(realweb.HOSTS_ENV, realweb.hosts_env(sites))
    try:
        _outcome, facts, _db = run_region(
            folder,
            realweb.region_sites(sites, port),
            monkeypatch,
            "127.0.0.0/8",
            max_pages=200,
            check_budget=60,
        )
    finally:
        monkeypatch.undo()
        realweb.stop(sites)
    with (folder / "out" / "columns.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    return sites, facts, rows


def test_every_mirrored_page_was_fetched(real_run) -> None:
    sites, facts, _rows = real_run
    for site in sites:
        fetched = {p.url for p in facts[site.site_id].pages if p.status == 200}
        served = {site.url(_port(facts, site), page.path) for page in site.pages}
        assert served <= fetched, site.host


def _port(facts, site) -> int:
    from urllib.parse import urlsplit

    return urlsplit(facts[site.site_id].url).port or 80


def test_no_page_with_text_of_its_own_is_a_blank_column(real_run) -> None:
    sites, _facts, rows = real_run
    blank = [r for r in rows if r["blank"] == "true"]
    long = []
    for row in blank:
        label = realweb.label_of(sites, row["url"])
        assert label is not None, f"a blank column that is no corpus page: {row['url']}"
        if (label.get("own_text_chars") or 0) > OWN_TEXT_NEVER_BLANK:
            long.append(label["file"])
    assert long == []


def test_the_blank_columns_are_the_pages_labelled_blank(real_run) -> None:
    sites, _facts, rows = real_run
    got = sorted(realweb.label_of(sites, r["url"])["file"] for r in rows if r["blank"] == "true")
    want = sorted(p.label["file"] for s in sites for p in s.pages if p.label["blank"])
    assert got == want


def test_every_labelled_column_page_is_a_column_as_the_gate_reads_it(real_run) -> None:
    """The whole pipeline reads the corpus as the page rules do: a labelled column page comes out
    as a column with its labelled newest date, except exactly where the accuracy gate
    (tests/realcorpus.py, whose floors tests/test_accuracy_real.py pins) already counts a miss.
    So the crawl, the database and the site metrics add no miss of their own."""
    sites, _facts, rows = real_run
    columns = {realweb.label_of(sites, r["url"])["file"]: r for r in rows if r["blank"] == "false"}
    labelled = [
        p.label
        for s in sites
        for p in s.pages
        if p.label["kind"] == "column" and not p.label["blank"]
    ]
    gate = evaluate(load())
    gate_missed = {miss.split(":", 1)[0] for miss in gate.column.wrong if ": missed" in miss}
    gate_newest = {miss.split(":", 1)[0] for miss in gate.newest.wrong}
    missing = {label["file"] for label in labelled if label["file"] not in columns}
    assert missing == {label["file"] for label in labelled} & gate_missed
    wrong_latest = {
        label["file"]
        for label in labelled
        if label["file"] in columns and columns[label["file"]]["latest"] != label["list"]["newest"]
    }
    assert wrong_latest <= gate_newest
