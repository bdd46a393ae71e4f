"""The ipv6 metric: an AAAA lookup through an injectable resolver, null when DNS can't be asked."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

import dns.exception
import dns.resolver
import pytest

from evalcrawler.config import CrawlSettings, Region
from evalcrawler.crawl import crawl_run
from evalcrawler.db import make_engine, session_scope, store
from evalcrawler.db.facts import load_site_facts
from evalcrawler.scoring.metrics import compute_metrics
from evalcrawler.scoring.results import Thresholds
from evalcrawler.spiders.middlewares import resolve_aaaa
from tests.webserver import FixtureServer, Reply


def test_resolver_answers(monkeypatch):
    answers = {
        "has.example": None,
        "none.example": dns.resolver.NoAnswer(),
        "gone.example": dns.resolver.NXDOMAIN(),
        "slow.example": dns.exception.Timeout(),
    }

    def fake_resolve(self, host, rdtype):
        assert rdtype == "AAAA"
        answer = answers[host]
        if isinstance(answer, Exception):
            raise answer
        return ["2001:db8::1"]

    monkeypatch.setattr(dns.resolver.Resolver, "resolve", fake_resolve)
    assert resolve_aaaa("has.example") is True
    assert resolve_aaaa("none.example") is False
    assert resolve_aaaa("gone.example") is False
    assert resolve_aaaa("slow.example") is None  # DNS could not be asked: not measured
    assert resolve_aaaa("127.0.0.1") is None  # an IP address has no record to ask about
    assert resolve_aaaa("[::1]") is None


@pytest.fixture
def crawled_with_fake_dns(tmp_path, monkeypatch):
    monkeypatch.setenv("EVALCRAWL_RESOLVER", "tests.fakedns.aaaa")
    page = Reply(body="<html><head><title>首页</title></head><body>首页</body></html>")
    servers = [FixtureServer(f"127.0.0.{n}", {"/": page}).start() for n in (31, 32, 33)]
    try:
        region = Region.model_validate(
            {
                "id": "v6",
                "name": "V6",
                "sites": [
                    {"id": f"s{n}", "name_zh": "站", "level": "county", "url": srv.url}
                    for n, srv in zip((31, 32, 33), servers, strict=True)
                ],
            }
        )
        db = f"sqlite:///{tmp_path / 'v6.db'}"
        settings = CrawlSettings(delay=0, probe_count=1, allow_nets=["127.0.0.0/8"])
        with session_scope(make_engine(db)) as session:
            run_id = store.create_run(
                session, region, 2026, "gov2013", None, {"crawl": asdict(settings)}
            ).id
        crawl_run(run_id, db)
        with session_scope(make_engine(db)) as session:
            return {s.site_id: s for s in load_site_facts(session, store.get_run(session, run_id))}
    finally:
        for srv in servers:
            srv.stop()


def test_ipv6_metric_through_the_injected_resolver(crawled_with_fake_dns):
    values = {
        site_id: compute_metrics(facts, Thresholds(), date(2026, 11, 27)).values["ipv6"]
        for site_id, facts in crawled_with_fake_dns.items()
    }
    assert values["s31"].value is True
    assert values["s32"].value is False
    assert values["s33"].value is None
    assert values["s33"].reason
