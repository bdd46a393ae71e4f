"""The offline demo web: fictional government sites served on loopback addresses.

Seven fictional sites (示范市人民政府 and the districts and counties around it) with Chinese
government site structure and planted, known differences in quality, each served by a real
HTTP server on its own address (``http://127.0.0.11:8480/`` … ``http://127.0.0.17:8480/``).
``truth.json`` holds the expected value of every catalogue metric for every site; see
docs/demo.md.

* :class:`DemoWeb` – start/stop the servers (a context manager), with a request log;
* :func:`start_demo_for` – serve the demo for a demo region while a run crawls it;
* :func:`serve_forever` – ``evalcrawl demo serve``;
* :func:`demo_region` – the Region of the demo web on another port.
"""

from __future__ import annotations

from evalcrawler.demo.planted import RANKING
from evalcrawler.demo.server import (
    DemoWeb,
    RequestRecord,
    demo_region,
    free_port,
    port_free,
    serve_forever,
    start_demo_for,
)
from evalcrawler.demo.specs import AS_OF, DEFAULT_PORT, FIRST_ADDRESS

__all__ = [
    "AS_OF",
    "DEFAULT_PORT",
    "FIRST_ADDRESS",
    "RANKING",
    "DemoWeb",
    "RequestRecord",
    "demo_region",
    "free_port",
    "port_free",
    "serve_forever",
    "start_demo_for",
]
