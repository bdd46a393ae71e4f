"""Bounds of the crawl settings and their defaults, in one place for the CLI and the config.

Beyond these bounds a value is a typo, not a plan: ``--max-pages 10000000000`` or a region
file's ``delay: 86400`` is refused with a one-line error (docs/security.md). This module
imports nothing, so the CLI can show the bounds in its help without loading the library.
"""

from __future__ import annotations

MAX_DELAY = 3600.0  # seconds between two requests to one host
MAX_PER_HOST = 16  # concurrent requests per host
MAX_PAGES = 1_000_000  # page budget per site
MAX_CHECKS = 10_000_000  # link-check budget per site
MIN_SITE_TIMEOUT = 1.0  # seconds
MAX_SITE_TIMEOUT = 7 * 24 * 3600.0  # a week
SITE_TIMEOUT = 3 * 3600.0  # default: the longest one site may take (--site-timeout)
