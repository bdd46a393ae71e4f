"""Run the whole pipeline on a region of loopback fixture sites, for crawl-level tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from evalcrawler import pipeline
from evalcrawler.db import make_engine, session_scope, store
from evalcrawler.db.facts import load_site_facts
from evalcrawler.facts import SiteFacts


def page(title: str, body: str = "") -> str:
    return (
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>'
        f"</head><body><h1>{title}</h1>{body}</body></html>"
    )


def run_region(
    folder: Path,
    sites: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
    nets: str,
    **flags: Any,
) -> tuple[Any, dict[str, SiteFacts], str]:
    """Write ``sites`` as a region file, run it (reports in ``folder/out``, evidence in
    ``folder/warc``) and return the outcome, each site's stored facts and the database URL.

    ``nets``: the allow-list (``EVALCRAWL_ALLOW_NETS``); empty for none, as in production.
    """
    if nets:
        monkeypatch.setenv("EVALCRAWL_ALLOW_NETS", nets)
    else:
        monkeypatch.delenv("EVALCRAWL_ALLOW_NETS", raising=False)
    region = folder / "region.yaml"
    region.write_text(
        yaml.safe_dump({"id": "fixture", "name": "Fixture", "sites": sites}, allow_unicode=True),
        encoding="utf-8",
    )
    db = f"sqlite:///{folder / 'crawl.db'}"
    settings: dict[str, Any] = {
        "delay": 0.05,
        "autothrottle": False,
        "max_pages": 20,
        "check_budget": 20,
    }
    settings.update(flags)
    outcome = pipeline.run(
        str(region), db_url=db, out=folder / "out", warc_dir=str(folder / "warc"), **settings
    )
    with session_scope(make_engine(db)) as session:
        run = store.get_run(session, outcome.run_id)
        facts = {f.site_id: f for f in load_site_facts(session, run)}
    return outcome, facts, db
