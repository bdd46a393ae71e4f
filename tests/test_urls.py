"""Tests of evalcrawler.urls: the one URL normaliser and site membership."""

from __future__ import annotations

import pytest

from evalcrawler.urls import (
    _normalise,
    http_url,
    internal_key,
    is_internal,
    normalise,
    site_hosts,
)

HOST = "www.demo.gov.cn"


@pytest.mark.parametrize(
    "url",
    [
        "https://www.demo.gov.cn/a/b.html?x=1&y=2",
        "HTTPS://WWW.Demo.gov.cn:443/a",
        "http://www.demo.gov.cn:80",
        "http://www.demo.gov.cn:8080/a?b=1&&c=2",
        "http://127.0.0.2:8080/?q=政府#top",
        "https://www.demo.gov.cn/a;jsessionid=AB12?sid=3&x=1",
        "https://www.demo.gov.cn/a b?x='1'",
        "https://www.demo.gov.cn/%E6%94%BF?",
    ],
)
def test_fast_url_normalisation_agrees_with_the_crawler(url: str) -> None:
    assert normalise(url) == _normalise(url)
    hosts = frozenset({HOST, "127.0.0.2:8080"})
    expected = normalise(url) if is_internal(normalise(url), hosts) else None
    assert internal_key(url, hosts) == expected


@pytest.mark.parametrize(
    ("url", "normal", "as_recorded"),
    [
        ("HTTP://WWW.Demo.gov.cn:80/a#top", "http://www.demo.gov.cn/a", "http://www.demo.gov.cn/a"),
        ("https://www.demo.gov.cn", "https://www.demo.gov.cn/", "https://www.demo.gov.cn/"),
        (
            "https://www.demo.gov.cn/a;jsessionid=AB12?sid=3&x=1",
            "https://www.demo.gov.cn/a?x=1",
            "https://www.demo.gov.cn/a;jsessionid=AB12?sid=3&x=1",
        ),
        (
            "http://www.demo.gov.cn/sp ace/政府.html",
            "http://www.demo.gov.cn/sp%20ace/%E6%94%BF%E5%BA%9C.html",
            "http://www.demo.gov.cn/sp ace/政府.html",
        ),
        ("http://[::1]:8080/a", "http://[::1]:8080/a", "http://[::1]:8080/a"),
        ("http://me@www.demo.gov.cn:8080/", "http://me@www.demo.gov.cn:8080/", None),
    ],
)
def test_the_extractor_records_a_link_in_the_normal_forms_host_but_as_written(
    url: str, normal: str, as_recorded: str | None
) -> None:
    assert normalise(url) == normal
    assert http_url(url) == (as_recorded or normal)
    assert normalise(http_url(url) or "") == normal


@pytest.mark.parametrize(
    "url", ["javascript:void(0)", "mailto:zfb@demo.gov.cn", "/a.html", "http:///x", "http://[::1/x"]
)
def test_only_an_absolute_http_url_is_recorded(url: str) -> None:
    assert http_url(url) is None


def test_a_sites_hosts_are_those_of_its_url_and_aliases() -> None:
    hosts = site_hosts("https://WWW.Taiyuan.gov.cn/", ["http://taiyuan.gov.cn:8080/x"])
    assert hosts == frozenset({"www.taiyuan.gov.cn", "taiyuan.gov.cn:8080"})
    assert is_internal("http://taiyuan.gov.cn:8080/a", hosts)
    assert not is_internal("http://taiyuan.gov.cn/a", hosts)
