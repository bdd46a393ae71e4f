"""Rubric-guided crawling: with a small page budget, the scored sections are reached first.

Links whose anchor text matches a rubric keyword are fetched before the others, and the dated
items of lists (articles, letters) after every section, so with ``--max-pages 60`` (about half
of the larger demo sites) every section page of every demo site is among the pages fetched: the
home page, the hubs (信息公开, 在线办事, 互动交流 …), every column list and blank column, the
message-board list, the guides and the overview pages. The demo generator's own model says
which page is which.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from evalcrawler import pipeline
from evalcrawler.db import make_engine, session_scope, store
from evalcrawler.db.facts import load_site_facts
from evalcrawler.demo import free_port
from evalcrawler.demo.sites import build_sites
from tests.demo_fixtures import write_demo_region

SECTION_ROLES = {"home", "hub", "board", "column", "blank", "list", "other"}
BUDGET = 60


def fetched_paths(db_url: str, run_id: int) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Per site: the paths of every page request, and of the pages that answered 2xx."""
    with session_scope(make_engine(db_url)) as session:
        sites = load_site_facts(session, store.get_run(session, run_id))
    requested = {s.site_id: {urlsplit(p.url).path for p in s.pages} for s in sites}
    ok = {
        s.site_id: {urlsplit(p.final_url or p.url).path for p in s.pages if 200 <= p.status < 300}
        for s in sites
    }
    return requested, ok


@pytest.fixture(scope="module")
def small_budget(tmp_path_factory):
    folder = tmp_path_factory.mktemp("budget60")
    region_file = write_demo_region(folder, free_port(18900))
    db_url = f"sqlite:///{folder / 'b.db'}"
    outcome = pipeline.run(
        str(region_file),
        db_url=db_url,
        out=folder / "out",
        crawl_only=True,
        max_pages=BUDGET,
    )
    return fetched_paths(db_url, outcome.run_id)


def test_budget_is_respected(small_budget):
    pages, ok = small_budget
    for site_id, requested in pages.items():
        # The budget counts 2xx HTML pages (every demo site has more than that); a page
        # request that found a dead link counted against the check budget instead.
        assert len(ok[site_id]) == BUDGET, site_id
        assert ok[site_id] <= requested


def test_every_section_page_is_reached(small_budget):
    _, ok = small_budget
    model = build_sites(8480, "127.0.0.11")
    for site_id, site in model.items():
        sections = {path for path, page in site.pages.items() if page.role in SECTION_ROLES}
        assert len(sections) < BUDGET
        missing = sections - ok[site_id]
        assert not missing, f"{site_id}: sections not reached with {BUDGET} pages: {missing}"
        guides = {p for p, page in site.pages.items() if "指南" in page.title}
        assert guides <= ok[site_id], site_id
