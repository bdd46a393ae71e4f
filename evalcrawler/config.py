"""Configuration: region registries and crawl settings.

A region registry (``evalcrawler/regions/*.yaml`` or a user file) lists the sites to
evaluate; its format is fixed by DESIGN.md. Crawl settings come from packaged defaults,
then environment variables, then command-line flags.
"""

from __future__ import annotations

import contextlib
import os
import re
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from evalcrawler.errors import ConfigError
from evalcrawler.facts import SEARCH_QUERY
from evalcrawler.limits import (
    MAX_CHECKS,
    MAX_DELAY,
    MAX_PAGES,
    MAX_PER_HOST,
    MAX_SITE_TIMEOUT,
    MIN_SITE_TIMEOUT,
    SITE_TIMEOUT,
)
from evalcrawler.urls import site_hosts
from evalcrawler.yamlfile import read_yaml, validate

LEVELS = ("municipal", "district", "county", "county_city")
Level = Literal["municipal", "district", "county", "county_city"]
SLUG = r"^[a-z0-9-]+$"

PROJECT_URL = "https://github.com/evalcrawl/evalcrawl"
USER_AGENT = f"evalcrawl/0.1 (+{PROJECT_URL}; government website evaluation)"


def _check_url(value: str) -> str:
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise ValueError(f"{value!r} has a bad port; a port is a number from 1 to 65535") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http(s) URL; write it as https://host/")
    if port == 0:
        raise ValueError(f"{value!r} has port 0; a port is a number from 1 to 65535")
    return value


class SiteExtract(BaseModel):
    """Corrections for a site that automatic reading gets wrong (docs/metrics.md, "Per-site
    corrections"): ``list``, a CSS selector of the site's list rows; ``date``, the strptime
    format of their dates; ``not_columns``, URL patterns of pages that are never columns nor
    blank columns (``/bsfw/*`` matches the path, ``https://host/bsfw/*`` the whole URL)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    list_selector: str | None = Field(default=None, alias="list")
    date: str | None = None
    not_columns: list[str] = Field(default_factory=list)

    @field_validator("list_selector")
    @classmethod
    def _selector(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from cssselect import SelectorError
        from lxml.cssselect import CSSSelector

        if not value.strip():
            raise ValueError('is empty; write the CSS selector of the list rows, e.g. "ul.list li"')
        try:
            CSSSelector(value)
        except (SelectorError, ValueError) as exc:
            raise ValueError(
                f"{value!r} is not a CSS selector lxml can use ({exc}); write one such as "
                '"div.news-list li"'
            ) from None
        return value

    @field_validator("date")
    @classmethod
    def _date_format(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from evalcrawler.spiders.dates import compile_format

        try:
            compile_format(value)
        except ValueError as exc:
            raise ValueError(f'{exc}; write the format as strptime does, e.g. "%y-%m-%d"') from None
        return value

    @field_validator("not_columns")
    @classmethod
    def _patterns(cls, values: list[str]) -> list[str]:
        for value in values:
            if not value.startswith(("/", "http://", "https://")):
                raise ValueError(
                    f'{value!r} is not a URL pattern; write a path pattern such as "/bsfw/*" '
                    'or a URL pattern such as "https://www.example.gov.cn/bsfw/*"'
                )
        return values

    def dump(self) -> dict[str, Any]:
        """The corrections as the region file writes them (``list``, ``date``, …)."""
        return self.model_dump(mode="json", by_alias=True)


class SiteConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=SLUG)
    name_zh: str
    name: str = ""
    level: Level
    url: str
    aliases: list[str] = Field(default_factory=list)
    region: str | None = Field(default=None, pattern=SLUG)  # for files that hold several regions
    render: Literal["js"] | None = None  # every page through the browser (docs/rendering.md)
    extract: SiteExtract | None = None  # corrections for automatic reading (docs/metrics.md)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _check_url(value)

    @field_validator("aliases")
    @classmethod
    def _aliases(cls, values: list[str]) -> list[str]:
        return [_check_url(v) for v in values]

    @property
    def hosts(self) -> frozenset[str]:
        """The site's hosts (``host`` or ``host:port`` for a non-default port), lower case."""
        return site_hosts(self.url, self.aliases)


class RegionCrawl(BaseModel):
    """Crawl defaults a region file may set (the demo web needs no politeness delay, and is
    crawled on loopback only). ``--allow-private`` lifts the region's ``allow_nets``."""

    model_config = ConfigDict(extra="forbid")

    delay: float | None = Field(default=None, ge=0, le=MAX_DELAY)
    per_host: int | None = Field(default=None, ge=1, le=MAX_PER_HOST)
    max_pages: int | None = Field(default=None, ge=1, le=MAX_PAGES)
    check_budget: int | None = Field(default=None, ge=0, le=MAX_CHECKS)
    site_timeout: float | None = Field(default=None, ge=MIN_SITE_TIMEOUT, le=MAX_SITE_TIMEOUT)
    allow_nets: list[str] | None = Field(default=None, min_length=1)
    # A PEM file of CA certificates the TLS check trusts besides the system's (an intranet's
    # own CA; the demo web's): relative to the region file's folder.
    ca_bundle: str | None = None


class Region(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=SLUG)
    name: str
    name_zh: str = ""
    as_of: date | None = None  # a fixed evaluation date (the frozen demo web uses one)
    demo: bool = False  # the sites are the bundled demo web, served on loopback (reachable())
    notes: str = ""
    crawl: RegionCrawl = Field(default_factory=RegionCrawl)
    sites: list[SiteConfig] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Region:
        seen: dict[str, int] = {}
        for index, site in enumerate(self.sites):
            if site.id in seen:
                raise ValueError(
                    f"sites[{index}].id: duplicate site id {site.id!r} "
                    f"(also sites[{seen[site.id]}]); site ids must be unique"
                )
            seen[site.id] = index
        if self.demo and self.crawl.allow_nets is None:
            # The demo web lives on loopback: its crawl may touch that and nothing else.
            self.crawl.allow_nets = ["127.0.0.0/8"]
        return self

    def reachable(self, as_of: date | None = None) -> AbstractContextManager[object]:
        """What keeps the region's sites reachable while they are crawled; the pipeline holds
        it around every crawl of the region. For the bundled demo web (``demo: true``): its
        servers on the region's loopback addresses, started for the crawl (or a running
        ``evalcrawl demo serve`` reused), as the web was on ``as_of`` (the run's as-of date;
        default: the demo's). For sites on the web: nothing."""
        if not self.demo:
            return contextlib.nullcontext()
        from evalcrawler.demo import start_demo_for  # the demo builds on this module

        return start_demo_for(self, as_of)

    def site(self, site_id: str) -> SiteConfig:
        for site in self.sites:
            if site.id == site_id:
                return site
        raise ConfigError(f"region {self.id!r} has no site {site_id!r}")


def bundled_regions() -> list[str]:
    folder = resources.files("evalcrawler.regions")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_region(spec: str) -> Region:
    """Load a bundled region by id (``taiyuan``) or a user file (``path/to/region.yaml``)."""
    if spec.endswith((".yaml", ".yml")) or os.sep in spec or "/" in spec:
        path = Path(spec)
        label = spec
    else:
        if spec not in bundled_regions():
            known = ", ".join(bundled_regions())
            raise ConfigError(
                f"unknown region {spec!r}; bundled regions: {known} "
                "(or give the path of a region YAML file)"
            )
        path = Path(str(resources.files("evalcrawler.regions").joinpath(f"{spec}.yaml")))
        label = f"regions/{spec}.yaml"
    loaded = read_yaml(path, ConfigError, label)
    try:
        region = validate(loaded, Region, ConfigError)
    except ConfigError as exc:
        # Duplicate ids are reported by the model validator with their own location.
        match = re.match(r"^(.*?):\d+: \(top level\): (sites\[(\d+)\]\.id): (.*)$", exc.message)
        if match:
            line = loaded.lines.get(("sites", int(match.group(3)), "id"), 1)
            raise ConfigError(
                f"{match.group(1)}:{line}: {match.group(2)}: {match.group(4)}"
            ) from None
        raise
    bundle = region.crawl.ca_bundle
    if bundle and not Path(bundle).expanduser().is_absolute():
        region.crawl.ca_bundle = str((path.parent / bundle).resolve())
    return region


@dataclass
class CrawlSettings:
    """How a crawl behaves; every field has a CLI flag or a rubric threshold behind it."""

    max_pages: int = 500  # page budget per site
    check_budget: int = 2000  # internal link targets checked per site beyond the pages
    delay: float = 1.0  # minimum seconds between requests to one host
    per_host: int = 1  # concurrent requests per host
    allow_private: bool = False  # allow loopback/private/link-local/reserved addresses
    allow_nets: list[str] = field(default_factory=list)  # if set: only these networks
    timeout: float = 30.0  # page download timeout, seconds
    site_timeout: float = SITE_TIMEOUT  # the most time one site may take, seconds
    probe_count: int = 5  # home page probes per site
    probe_timeout: float = 15.0
    search_query: str = SEARCH_QUERY
    keywords: list[str] = field(default_factory=list)  # rubric keywords that steer the crawl
    autothrottle: bool = True
    obey_robots: bool = True
    user_agent: str = USER_AGENT
    warc: bool = True  # keep raw responses as evidence
    warc_dir: str | None = None  # root of the evidence archives (see evalcrawler.archive)
    render: str = "auto"  # auto | never | always: pages through a browser (docs/rendering.md)
    ca_bundle: str | None = None  # CA certificates trusted besides the system's (PEM file)

    @classmethod
    def from_env(cls, **overrides: object) -> CrawlSettings:
        settings = cls()
        nets = os.environ.get("EVALCRAWL_ALLOW_NETS", "").strip()
        if nets:
            settings.allow_nets = [n.strip() for n in nets.split(",") if n.strip()]
        settings.ca_bundle = os.environ.get("EVALCRAWL_CA_BUNDLE", "").strip() or None
        for key, value in overrides.items():
            if value is not None:
                setattr(settings, key, value)
        settings.validate()
        return settings

    def validate(self) -> None:
        if not 1 <= self.max_pages <= MAX_PAGES:
            raise ConfigError(f"--max-pages must be from 1 to {MAX_PAGES:,}")
        if not 0 <= self.check_budget <= MAX_CHECKS:
            raise ConfigError(f"--check-budget must be from 0 to {MAX_CHECKS:,}")
        if not 0 <= self.delay <= MAX_DELAY:
            raise ConfigError(f"--delay must be from 0 to {MAX_DELAY:g} seconds")
        if not 1 <= self.per_host <= MAX_PER_HOST:
            raise ConfigError(f"--per-host must be from 1 to {MAX_PER_HOST}")
        if not MIN_SITE_TIMEOUT <= self.site_timeout <= MAX_SITE_TIMEOUT:
            raise ConfigError(
                f"--site-timeout must be from {MIN_SITE_TIMEOUT:g} to {MAX_SITE_TIMEOUT:g} seconds"
            )
        if not 0 < self.timeout <= 600:
            raise ConfigError("the page timeout must be more than 0 and at most 600 seconds")
        if not 0 <= self.probe_count <= 100:
            raise ConfigError("the probe count must be from 0 to 100")
        if self.render not in ("auto", "never", "always"):
            raise ConfigError("--render must be auto, never or always")
        if not 0 < self.probe_timeout <= 120:
            raise ConfigError("the probe timeout must be more than 0 and at most 120 seconds")
        if self.ca_bundle:
            check_ca_bundle(self.ca_bundle)


def check_ca_bundle(path: str) -> None:
    """A CA bundle must be a readable PEM file of certificates (checked before crawling)."""
    import ssl

    how = (
        "set EVALCRAWL_CA_BUNDLE (or the region's crawl: ca_bundle) to a PEM file of the CA "
        "certificates to trust"
    )
    if not Path(path).is_file():
        raise ConfigError(f"CA bundle {path}: no such file; {how}")
    try:
        ssl.create_default_context().load_verify_locations(cafile=path)
    except (ssl.SSLError, OSError) as exc:
        raise ConfigError(
            f"CA bundle {path}: not a PEM file of certificates ({exc}); {how}"
        ) from None
