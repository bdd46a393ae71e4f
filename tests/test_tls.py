"""HTTPS measured against real TLS servers on loopback (``trustme`` certificates).

Each fixture site answers HTTP and HTTPS on one port (:class:`evalcrawler.demo.tls.DualProtocol`,
as a host does on 80 and 443): a valid certificate, an expired one, one for another host, a
self-signed one, HTTP redirected to HTTPS, an HSTS header, and a site that speaks HTTPS only.
The test CA is trusted through the region's ``crawl: ca_bundle`` (never the system's store,
and verification is never switched off); ``https``, ``https_redirect``, ``hsts`` and the
certificate verdict (the ``tls`` probe) are measured on each by a real crawl.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import trustme
import yaml
from sqlalchemy import select

from evalcrawler import pipeline
from evalcrawler.config import CrawlSettings, load_region
from evalcrawler.db import make_engine, session_scope, store
from evalcrawler.db.facts import load_site_facts
from evalcrawler.db.models import Probe, Site
from evalcrawler.demo.tls import DualProtocol, is_tls
from evalcrawler.errors import ConfigError
from evalcrawler.scoring.metrics import compute_metrics
from evalcrawler.scoring.results import Thresholds
from evalcrawler.spiders.probing import verify_tls
from tests.crawling import page
from tests.webserver import FixtureServer, Handler, Reply

HSTS = "max-age=31536000; includeSubDomains"


class TlsHandler(Handler):
    """The fixture handler, plus the HTTPS behaviour of its server: HTTP redirected to HTTPS,
    an HSTS header on HTTPS answers."""

    server: TlsServer  # type: ignore[assignment]

    def _serve(self) -> None:
        if not is_tls(self.connection) and self.server.redirect_http:
            host = self.headers.get("Host", "")
            self.send_response(301)
            self.send_header("Location", f"https://{host}{self.path}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super()._serve()

    def end_headers(self) -> None:
        if is_tls(self.connection) and self.server.hsts:
            self.send_header("Strict-Transport-Security", self.server.hsts)
        super().end_headers()


class TlsServer(DualProtocol, FixtureServer):
    def __init__(
        self,
        host: str,
        cert: Any,
        *,
        plain_http: bool = True,
        redirect_http: bool = False,
        hsts: str = "",
    ) -> None:
        site = page(f"{host} 人民政府", '<a href="/news.html">新闻动态</a>')
        super().__init__(host, {"/": Reply(body=site), "/news.html": Reply(body=page("新闻"))})
        self.RequestHandlerClass = TlsHandler
        self.tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        cert.configure_cert(self.tls_context)
        self.plain_http = plain_http
        self.redirect_http = redirect_http
        self.hsts = hsts


@dataclass(frozen=True)
class Case:
    address: str
    https: bool
    https_redirect: bool | None
    hsts: bool
    tls: tuple[bool, str | None]  # the certificate verdict: ok, error (a regex)


CASES = {
    "valid": Case("127.0.0.211", True, False, False, (True, None)),
    "expired": Case(
        "127.0.0.212",
        False,
        False,
        False,
        (False, "certificate not valid: certificate has expired"),
    ),
    "wrong_host": Case(
        "127.0.0.213",
        False,
        False,
        False,
        (
            False,
            "certificate not valid: IP address mismatch, certificate is not valid for "
            "'127.0.0.213'.",
        ),
    ),
    "self_signed": Case(
        "127.0.0.214",
        False,
        False,
        False,
        (False, "certificate not valid: self[- ]signed certificate"),
    ),
    "redirect": Case("127.0.0.215", True, True, False, (True, None)),
    "hsts": Case("127.0.0.216", True, False, True, (True, None)),
    "https_only": Case("127.0.0.217", True, None, False, (True, None)),
}


@dataclass
class Certs:
    ca: trustme.CA
    ca_file: Path
    leaves: dict[str, Any]


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    folder = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    ca_file = folder / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    now = datetime.now(timezone.utc)
    untrusted = trustme.CA()  # its own certificate, served as the site's: self-signed
    leaves = {name: ca.issue_cert(case.address) for name, case in CASES.items()}
    leaves["expired"] = ca.issue_cert(
        CASES["expired"].address,
        not_before=now - timedelta(days=400),
        not_after=now - timedelta(days=35),
    )
    leaves["wrong_host"] = ca.issue_cert("127.0.0.99", "other.example")
    leaves["self_signed"] = _self_signed(untrusted)
    return Certs(ca, ca_file, leaves)


class _SelfSigned:
    """A CA's own (self-signed) certificate and key, served as a site's certificate."""

    def __init__(self, ca: trustme.CA) -> None:
        self.ca = ca

    def configure_cert(self, context: ssl.SSLContext) -> None:
        with self.ca.cert_pem.tempfile() as cert, self.ca.private_key_pem.tempfile() as key:
            context.load_cert_chain(cert, key)


def _self_signed(ca: trustme.CA) -> _SelfSigned:
    return _SelfSigned(ca)


@pytest.fixture(scope="module")
def servers(certs: Certs) -> Iterator[dict[str, TlsServer]]:
    running = {
        name: TlsServer(
            case.address,
            certs.leaves[name],
            plain_http=name != "https_only",
            redirect_http=name == "redirect",
            hsts=HSTS if name == "hsts" else "",
        ).start()
        for name, case in CASES.items()
    }
    yield running
    for server in running.values():
        server.stop()


def _url(name: str, server: TlsServer) -> str:
    host, port = server.server_address[:2]
    scheme = "https" if name == "https_only" else "http"
    return f"{scheme}://{host}:{port}/"


# ------------------------------------------------------------------- the TLS check itself


@pytest.mark.parametrize("name", list(CASES))
def test_verify_tls_gives_the_certificate_verdict(certs, servers, name) -> None:
    case = CASES[name]
    host, port = servers[name].server_address[:2]
    ok, error = verify_tls(host, port, 5.0, address=host, ca_bundle=str(certs.ca_file))
    expected_ok, expected_error = case.tls
    assert ok is expected_ok, error
    if expected_error is None:
        assert error is None
    else:
        assert error is not None and re.fullmatch(expected_error, error), error


def test_without_the_ca_bundle_a_valid_certificate_is_not_trusted(servers) -> None:
    # The test CA is in no system store: the check verifies, it never skips verification.
    host, port = servers["valid"].server_address[:2]
    assert verify_tls(host, port, 5.0, address=host) == (
        False,
        "certificate not valid: unable to get local issuer certificate",
    )


def test_a_plain_http_port_is_no_tls(servers) -> None:
    plain = FixtureServer("127.0.0.218", {"/": Reply(body=page("x"))}).start()
    try:
        host, port = plain.server_address[:2]
        ok, error = verify_tls(host, port, 5.0, address=host)
    finally:
        plain.stop()
    assert ok is False and error is not None and error.startswith("TLS failed: ")


# --------------------------------------------------------------- measured by a real crawl


@pytest.fixture(scope="module")
def crawled(certs, servers, tmp_path_factory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("tls-crawl")
    (folder / "certs").mkdir()
    (folder / "certs" / "ca.pem").write_bytes(certs.ca_file.read_bytes())
    sites = [
        {
            "id": name.replace("_", "-"),
            "name_zh": f"{name}站",
            "level": "county",
            "url": _url(name, s),
        }
        for name, s in servers.items()
    ]
    region_file = folder / "tls.yaml"
    region_file.write_text(
        yaml.safe_dump(
            {
                "id": "tls",
                "name": "TLS",
                "as_of": "2026-11-20",
                # Relative to the region file's folder.
                "crawl": {"delay": 0.0, "ca_bundle": "certs/ca.pem"},
                "sites": sites,
            }
        ),
        "utf-8",
    )
    db = f"sqlite:///{folder / 'tls.db'}"
    outcome = pipeline.run(
        str(region_file), db_url=db, out=folder / "out", crawl_only=True, max_pages=5
    )
    engine = make_engine(db)
    with session_scope(engine) as session:
        run = store.get_run(session, outcome.run_id)
        facts = {f.site_id.replace("-", "_"): f for f in load_site_facts(session, run)}
        tls = {
            site_id.replace("-", "_"): (ok, error)
            for site_id, ok, error in session.execute(
                select(Site.site_id, Probe.ok, Probe.error)
                .join(Probe, Probe.site_pk == Site.id)
                .where(Probe.kind == "tls", Site.run_id == outcome.run_id)
            )
        }
        settings = run.settings["crawl"]
    engine.dispose()
    metrics = {
        name: compute_metrics(f, Thresholds(), date(2026, 11, 20)) for name, f in facts.items()
    }
    return {"metrics": metrics, "tls": tls, "settings": settings, "folder": folder}


@pytest.mark.parametrize("name", list(CASES))
def test_https_redirect_hsts_and_the_certificate_are_measured(crawled, name) -> None:
    case = CASES[name]
    metrics = crawled["metrics"][name]
    measured = (
        metrics.value("https"),
        metrics.value("https_redirect"),
        metrics.value("hsts"),
    )
    assert measured == (case.https, case.https_redirect, case.hsts), name
    ok, error = crawled["tls"][name]
    expected_ok, expected_error = case.tls
    assert ok is expected_ok, error
    if expected_error is None:
        assert error is None
    else:
        assert error is not None and re.fullmatch(expected_error, error), error
    if name == "https_only":  # nothing answers http://: not measured, with the reason
        reason = metrics.values["https_redirect"].reason or ""
        assert reason.startswith(f"no response from http://{case.address}:")


def test_the_region_ca_bundle_is_stored_with_the_run(crawled) -> None:
    assert crawled["settings"]["ca_bundle"] == str(crawled["folder"] / "certs" / "ca.pem")


def test_a_ca_bundle_that_is_missing_or_not_pem_is_a_one_line_error(tmp_path, monkeypatch) -> None:
    missing = tmp_path / "none.pem"
    how = (
        "set EVALCRAWL_CA_BUNDLE (or the region's crawl: ca_bundle) to a PEM file of the CA "
        "certificates to trust"
    )
    monkeypatch.setenv("EVALCRAWL_CA_BUNDLE", str(missing))
    with pytest.raises(ConfigError) as error:
        CrawlSettings.from_env()
    assert error.value.message == f"CA bundle {missing}: no such file; {how}"
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    monkeypatch.setenv("EVALCRAWL_CA_BUNDLE", str(junk))
    with pytest.raises(ConfigError) as error:
        CrawlSettings.from_env()
    assert error.value.message.startswith(f"CA bundle {junk}: not a PEM file of certificates (")
    assert error.value.message.endswith(how)
    monkeypatch.delenv("EVALCRAWL_CA_BUNDLE")
    assert CrawlSettings.from_env().ca_bundle is None


def test_a_relative_ca_bundle_is_read_from_the_region_files_folder(tmp_path) -> None:
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "region.yaml").write_text(
        "id: r\nname: R\ncrawl:\n  ca_bundle: ca/intranet.pem\nsites:\n"
        "  - {id: a, name_zh: 甲, level: county, url: 'https://a.example/'}\n",
        "utf-8",
    )
    region = load_region(str(tmp_path / "r" / "region.yaml"))
    assert region.crawl.ca_bundle == str(tmp_path / "r" / "ca" / "intranet.pem")


def test_the_crawl_stays_open_while_a_tls_or_dns_check_runs() -> None:
    """Scrapy closes a spider with no request left; a certificate check still running in a
    thread (slow on a loaded machine) would lose its probe, and https would read as not
    measured. While such a check runs, the idle spider stays open."""
    from types import SimpleNamespace

    from scrapy.exceptions import DontCloseSpider

    from evalcrawler.spiders.site import SiteSpider

    with pytest.raises(DontCloseSpider):
        SiteSpider._on_idle(SimpleNamespace(_side_checks=1))  # type: ignore[arg-type]
    assert SiteSpider._on_idle(SimpleNamespace(_side_checks=0)) is None  # type: ignore[arg-type]
