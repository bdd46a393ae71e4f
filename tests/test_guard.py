"""The address guard: only http(s), only allowed addresses, one vetted answer per host.

Unit tests of the policy (every non-global form, embedded IPv4 unwrapped) and of the
middleware, then real crawls on loopback servers of hostile sites: redirects to ``file:``,
``data:`` and ``ftp:`` URLs from every kind of request (home page, page, link check,
robots.txt, sitemap, soft-404 probe), a name that answers one address first and another
later (DNS rebinding, through the injectable resolver), a name that does not resolve, and a
search form that posts to another site. Nothing here sends traffic beyond loopback.
"""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
import sqlite3

import pytest
from scrapy.http import Request

from evalcrawler.spiders.guard import (
    AddressGuardMiddleware,
    AddressPolicy,
    AddressRefused,
    embedded_ipv4,
)
from evalcrawler.urls import registered_domain, same_site_family
from tests import fakedns
from tests.crawling import page, run_region
from tests.webserver import FixtureServer, Reply

# ------------------------------------------------------------------------------ the policy

REFUSED = [
    ("127.0.0.1", "a loopback address"),
    ("10.1.2.3", "a private address"),
    ("172.16.5.4", "a private address"),
    ("192.168.1.1", "a private address"),
    ("169.254.169.254", "a link-local address"),
    ("100.64.0.1", "a carrier-grade NAT address"),
    ("100.100.100.200", "a carrier-grade NAT address"),
    ("0.0.0.0", "an unspecified address"),
    ("224.0.0.1", "a multicast address"),
    ("255.255.255.255", "a broadcast address"),
    ("240.0.0.1", "a reserved address"),
    ("192.0.2.7", "a not globally routable address"),
    ("198.18.0.1", "a not globally routable address"),
    ("::1", "a loopback address"),
    ("fe80::1", "a link-local address"),
    ("fd00::1", "a private address"),
    ("::", "an unspecified address"),
    ("::ffff:127.0.0.1", "a loopback address (it carries 127.0.0.1)"),
    ("::ffff:100.100.100.200", "a carrier-grade NAT address (it carries 100.100.100.200)"),
    ("::127.0.0.1", "a loopback address (it carries 127.0.0.1)"),
    ("2002:7f00:1::1", "a loopback address (it carries 127.0.0.1)"),
    ("2002:a9fe:a9fe::", "a link-local address (it carries 169.254.169.254)"),
    ("64:ff9b::a9fe:a9fe", "a link-local address (it carries 169.254.169.254)"),
    ("64:ff9b:1::a00:1", "a private address (it carries 10.0.0.1)"),
    (
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",
        "a not globally routable address (it carries 192.0.2.45)",
    ),
]


@pytest.mark.parametrize(("address", "problem"), REFUSED)
def test_every_address_that_is_not_global_is_refused(address, problem):
    assert AddressPolicy().problem(ipaddress.ip_address(address)) == problem


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "1.1.1.1", "2001:4860:4860::8888", "2002:808:808::"]
)
def test_global_addresses_pass(address):
    assert AddressPolicy().problem(ipaddress.ip_address(address)) is None


def test_embedded_ipv4_forms_are_unwrapped():
    assert embedded_ipv4(ipaddress.ip_address("::ffff:10.0.0.1")) == [
        ipaddress.ip_address("10.0.0.1")
    ]
    assert ipaddress.ip_address("192.0.2.45") in embedded_ipv4(
        ipaddress.ip_address("2001:0:4136:e378:8000:63bf:3fff:fdd2")
    )  # Teredo: the server and the (obfuscated) client
    assert embedded_ipv4(ipaddress.ip_address("8.8.8.8")) == []


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("10.0.0.1", True),
        ("192.168.1.1", True),
        ("127.0.0.1", True),
        ("::ffff:10.0.0.1", True),
        ("fd12::1", True),
        ("169.254.169.254", False),
        ("100.100.100.200", False),
        ("64:ff9b::a9fe:a9fe", False),
        ("224.0.0.1", False),
    ],
)
def test_allow_private_widens_only_the_private_ranges(address, allowed):
    policy = AddressPolicy(allow_private=True)
    assert (policy.problem(ipaddress.ip_address(address)) is None) is allowed


def test_an_allow_list_allows_its_networks_and_nothing_else():
    policy = AddressPolicy(allow_nets=[ipaddress.ip_network("127.0.0.0/24")])
    assert policy.problem(ipaddress.ip_address("127.0.0.9")) is None
    assert policy.refusal("127.0.1.9", ipaddress.ip_address("127.0.1.9")) == (
        "refused: 127.0.1.9 is outside the allowed networks (127.0.0.0/24)"
    )


@pytest.mark.parametrize(
    ("host", "message"),
    [
        (
            "127.0.0.1",
            "refused: 127.0.0.1 resolves to 127.0.0.1, a loopback address "
            "(pass --allow-private to crawl private networks)",
        ),
        (
            "[::ffff:192.168.1.1]",
            "refused: ::ffff:192.168.1.1 resolves to ::ffff:c0a8:101, a private address "
            "(it carries 192.168.1.1) (pass --allow-private to crawl private networks)",
        ),
        (
            "169.254.169.254",
            "refused: 169.254.169.254 resolves to 169.254.169.254, a link-local address",
        ),
        (
            "100.100.100.200",
            "refused: 100.100.100.200 resolves to 100.100.100.200, a carrier-grade NAT address",
        ),
    ],
)
def test_the_middleware_refuses_before_anything_is_sent(host, message):
    guard = AddressGuardMiddleware(AddressPolicy())
    with pytest.raises(AddressRefused) as refused:
        asyncio.run(guard.process_request(Request(f"http://{host}/latest/meta-data/")))
    assert str(refused.value) == message
    assert asyncio.run(guard.process_request(Request("http://8.8.8.8/"))) is None


@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        ("file:///etc/shadow", "file"),
        ("data:text/html,<p>x</p>", "data"),
        ("ftp://127.0.0.1/pub/", "ftp"),
        ("s3://bucket/key", "s3"),
    ],
)
@pytest.mark.parametrize("allow_private", [False, True])
def test_other_schemes_are_refused_whatever_the_flags(url, scheme, allow_private):
    guard = AddressGuardMiddleware(AddressPolicy(allow_private=allow_private))
    with pytest.raises(AddressRefused) as refused:
        asyncio.run(guard.process_request(Request(url)))
    assert str(refused.value) == (
        f"refused: {scheme}: URLs are never fetched (only http and https)"
    )


def test_site_families_for_a_search_on_another_host():
    assert registered_domain("www.taiyuan.gov.cn") == "taiyuan.gov.cn"
    assert registered_domain("so.example.com:8080") == "example.com"
    assert registered_domain("127.0.0.5:8080") == "127.0.0.5"
    hosts = frozenset({"www.taiyuan.gov.cn"})
    assert same_site_family("http://search.taiyuan.gov.cn/s?q=1", hosts)
    assert not same_site_family("http://www.shanxi.gov.cn/s", hosts)
    assert not same_site_family("http://evil.example/collect", hosts)
    assert not same_site_family("http://127.0.0.5:1/", frozenset({"127.0.0.6:1"}))


# ------------------------------------------------------------------- crawls on loopback

SECRET = "evalcrawl-secret-7f3a9c"  # the content of the local file the hostile site points at


def moved(location: str) -> Reply:
    return Reply(302, "", headers={"Location": location})


@pytest.fixture(scope="module")
def scheme_crawl(tmp_path_factory):
    folder = tmp_path_factory.mktemp("schemes")
    local = folder / "local.html"
    local.write_text(page("本地文件", f"<p>{SECRET}</p>"), encoding="utf-8")
    target = f"file://{local}"
    hostile = FixtureServer(
        "127.0.0.141",
        {
            "/": Reply(
                body=page(
                    "首页",
                    '<a href="/a.html">政务动态</a> <a href="/b.html">通知公告</a> '
                    '<a href="/c.pdf">下载</a> <a href="/d.html">互动交流</a>',
                )
            ),
            "/a.html": moved(target),
            "/b.html": moved("data:text/html;base64,PHA+ZXZhbGNyYXdsLXNlY3JldC03ZjNhOWM8L3A+"),
            "/c.pdf": moved(target),
            "/d.html": moved("ftp://127.0.0.141/pub/x.html"),
            "/robots.txt": moved(target),
            "/sitemap.xml": moved(target),
        },
        fallback=moved(target),  # the soft-404 probe's random path
    ).start()
    to_file = FixtureServer("127.0.0.142", {"/": moved(target)}, fallback=moved(target)).start()
    try:
        monkeypatch = pytest.MonkeyPatch()
        try:
            outcome, facts, db = run_region(
                folder,
                [
                    {"id": "hostile", "name_zh": "甲", "level": "county", "url": hostile.url},
                    {"id": "tofile", "name_zh": "乙", "level": "county", "url": to_file.url},
                ],
                monkeypatch,
                "",  # as in production, but for loopback: --allow-private, no allow-list
                allow_private=True,
            )
        finally:
            monkeypatch.undo()
        yield folder, outcome, facts, db, hostile, to_file
    finally:
        hostile.stop()
        to_file.stop()


def test_a_home_page_that_redirects_to_a_local_file_is_unreachable(scheme_crawl):
    _, _, facts, _, _, to_file = scheme_crawl
    site = facts["tofile"]
    assert site.status == "unreachable"
    assert site.reason.startswith(
        f"{to_file.url}: redirect to a file: URL refused (only http and https are fetched)"
    )


def test_redirects_to_other_schemes_are_refused_and_noted(scheme_crawl):
    _, _, facts, _, hostile, _ = scheme_crawl
    site = facts["hostile"]
    assert site.status == "measured"
    assert "URLs refused, only http and https are fetched" in (site.reason or "")
    assert "data:, file:, ftp:" in site.reason
    pages = {p.url.removeprefix(hostile.url.rstrip("/")): p for p in site.pages}
    for path in ("/a.html", "/b.html", "/d.html"):
        assert pages[path].status == 302
        assert "URL refused (only http and https are fetched)" in pages[path].error
    for probe in site.probes:
        if probe.kind in ("robots", "sitemap", "soft404"):
            assert probe.status == 302, probe
            assert "file: URL refused" in probe.error, probe


def test_no_local_file_reaches_the_evidence_the_database_or_the_reports(scheme_crawl):
    folder, _, _, db, _, _ = scheme_crawl
    warcs = list((folder / "warc").rglob("*.warc.gz"))
    assert warcs, "the crawl kept no evidence at all"
    for path in warcs:
        with gzip.open(path) as archive:
            raw = archive.read()
        assert SECRET.encode() not in raw, path
        assert b"root:x:0:0" not in raw, path
    con = sqlite3.connect(db.removeprefix("sqlite:///"))
    for (table,) in con.execute("select name from sqlite_master where type='table'"):
        for row in con.execute(f'select * from "{table}"'):
            assert SECRET not in repr(row), table
    con.close()
    outputs = list((folder / "out").iterdir())
    assert any(p.name == "report.html" for p in outputs)
    for path in outputs:
        assert SECRET.encode() not in path.read_bytes(), path


@pytest.fixture(scope="module")
def rebinding(tmp_path_factory):
    """``www.rebind.test`` answers 127.0.0.151 (allowed, the "public" server) the first time it
    is asked and 127.0.1.151 (outside the allowed networks: the "internal" server) after."""
    folder = tmp_path_factory.mktemp("rebind")
    public = FixtureServer(
        "127.0.0.151",
        {
            "/": Reply(body=page("首页", '<a href="/a.html">政务动态</a>')),
            "/a.html": Reply(body=page("动态")),
            "/robots.txt": Reply(body="User-agent: *\n", content_type="text/plain"),
        },
    ).start()
    port = public.server_address[1]
    internal = FixtureServer("127.0.1.151", {}, port=port, fallback=Reply(body="internal")).start()
    other = FixtureServer("127.0.0.152", {}, fallback=Reply(body=page("其他"))).start()
    log = folder / "lookups.txt"
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("EVALCRAWL_ADDRESS_RESOLVER", "tests.fakedns.addresses")
    monkeypatch.setenv(fakedns.LOG_ENV, str(log))
    nx_url = f"http://nx.rebind.test:{other.server_address[1]}/"
    try:
        _, facts, _ = run_region(
            folder,
            [
                {
                    "id": "rebind",
                    "name_zh": "甲",
                    "level": "county",
                    "url": f"http://www.rebind.test:{port}/",
                },
                {"id": "nx", "name_zh": "乙", "level": "county", "url": nx_url},
            ],
            monkeypatch,
            "127.0.0.0/24",
        )
        yield facts, public, internal, other, log.read_text().split()
    finally:
        monkeypatch.undo()
        for server in (public, internal, other):
            server.stop()


def test_a_rebinding_name_never_reaches_the_second_address(rebinding):
    facts, public, internal, _, lookups = rebinding
    assert internal.hits == []
    assert lookups.count("www.rebind.test") == 1  # one answer, vetted, used by every connection
    site = facts["rebind"]
    assert site.status == "measured"
    paths = {h.path for h in public.hits}
    assert {"/", "/a.html", "/robots.txt"} <= paths


def test_a_name_that_does_not_resolve_is_refused(rebinding):
    facts, _, _, other, lookups = rebinding
    site = facts["nx"]
    assert site.status == "unreachable"
    assert "DNS lookup failed (no such host, or no network)" in site.reason
    assert other.hits == []
    assert "nx.rebind.test" in lookups


def test_a_search_form_that_posts_to_another_site_is_not_submitted(tmp_path, monkeypatch):
    collector = FixtureServer("127.0.0.162", {}, fallback=Reply(body=page("结果"))).start()
    form = (
        f'<form action="{collector.url}collect" method="post"><input name="q">'
        '<input type="hidden" name="token" value="site-secret"><button>搜索</button></form>'
    )
    site = FixtureServer("127.0.0.161", {"/": Reply(body=page("首页", form))}).start()
    try:
        _, facts, _ = run_region(
            tmp_path,
            [{"id": "s", "name_zh": "甲", "level": "county", "url": site.url}],
            monkeypatch,
            "127.0.0.0/8",
        )
    finally:
        site.stop()
        collector.stop()
    assert collector.hits == []
    [search] = [p for p in facts["s"].probes if p.kind == "search"]
    assert (search.status, search.error) == (
        0,
        f"not submitted: the search form submits to {collector.server_address[0]}:"
        f"{collector.server_address[1]}, outside the site",
    )
