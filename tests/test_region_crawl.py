"""How a region steers its crawl (evalcrawler.config, evalcrawler.pipeline.crawl_settings_for):
the region's crawl defaults, and what keeps its sites reachable while they are crawled. The
demo region is a region like any other: its file says it is crawled on loopback only, and
``reachable()`` serves its web."""

from __future__ import annotations

import contextlib
import http.client

import pytest

from evalcrawler.config import Region, load_region
from evalcrawler.demo import demo_region, free_port
from evalcrawler.pipeline import crawl_settings_for
from evalcrawler.scoring.rubric import load_rubric

LOOPBACK = ["127.0.0.0/8"]


def web_region(**crawl: object) -> Region:
    site = {"id": "a", "name_zh": "甲", "level": "county", "url": "https://www.a.gov.cn/"}
    return Region.model_validate({"id": "r", "name": "R", "crawl": crawl, "sites": [site]})


@pytest.fixture
def no_env_nets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EVALCRAWL_ALLOW_NETS", raising=False)  # conftest sets it for crawls


def test_the_demo_region_is_crawled_on_loopback_only_unless_allow_private(no_env_nets) -> None:
    rubric = load_rubric("gov2013")
    demo = load_region("demo")
    assert demo.crawl.allow_nets == LOOPBACK
    assert crawl_settings_for(demo, rubric).allow_nets == LOOPBACK
    assert crawl_settings_for(demo, rubric, allow_private=True).allow_nets == []
    assert crawl_settings_for(demo, rubric, allow_nets=["127.0.0.2/32"]).allow_nets == [
        "127.0.0.2/32"
    ]
    # A copy of an older demo.yaml, without allow_nets, is still limited to loopback.
    copy = demo.model_dump(mode="json")
    del copy["crawl"]["allow_nets"]
    assert Region.model_validate(copy).crawl.allow_nets == LOOPBACK


def test_a_region_on_the_web_has_no_network_limit_unless_its_file_sets_one(no_env_nets) -> None:
    rubric = load_rubric("gov2013")
    assert crawl_settings_for(web_region(), rubric).allow_nets == []
    limited = web_region(allow_nets=["10.0.0.0/8"])
    assert crawl_settings_for(limited, rubric).allow_nets == ["10.0.0.0/8"]
    assert crawl_settings_for(limited, rubric, allow_private=True).allow_nets == []


def test_a_region_on_the_web_needs_nothing_to_be_reachable() -> None:
    assert isinstance(web_region().reachable(), contextlib.nullcontext)


def test_the_demo_region_serves_its_web_while_it_is_crawled() -> None:
    region = demo_region(free_port(18900))
    site = region.sites[0]
    host, port = site.url.split("//")[1].rstrip("/").split(":")

    def home_status() -> int:
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        try:
            conn.request("GET", "/")
            return conn.getresponse().status
        finally:
            conn.close()

    with region.reachable():
        assert home_status() == 200
    with pytest.raises(ConnectionRefusedError):
        home_status()
