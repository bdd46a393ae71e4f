"""What the evidence archive costs the crawl: reactor time per response, writer time per record.

``WarcMiddleware`` captures an exchange on the reactor thread (references to headers and body,
no copy, no compression) and hands it to one writer thread that builds, gzips and writes the
records. This measures both halves on the frozen real pages of tests/fixtures/real and on a
1 MB body (plain and gzip-encoded), 200 exchanges each.

    python bench/warc_write.py
"""

from __future__ import annotations

import gzip
import statistics
import tempfile
import time
from pathlib import Path

from scrapy.http import HtmlResponse, Request

from evalcrawler.spiders import warc

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 200


def measure(bodies: list[bytes]) -> tuple[list[float], list[float]]:
    capture_us, write_ms = [], []
    with tempfile.TemporaryDirectory() as folder:
        files = warc.WarcFiles(Path(folder), "bench")
        for i in range(ROUNDS):
            body = bodies[i % len(bodies)]
            request = Request(f"http://127.0.0.1/{i}.html", headers={"Accept": "text/html"})
            response = HtmlResponse(
                request.url,
                status=200,
                headers={"Content-Type": "text/html; charset=utf-8"},
                body=body,
                request=request,
            )
            start = time.perf_counter()
            exchange = warc.capture(request, response)  # the reactor thread's part
            captured = time.perf_counter()
            files.append(list(warc.exchange_records(exchange)))  # the writer thread's part
            written = time.perf_counter()
            capture_us.append((captured - start) * 1e6)
            write_ms.append((written - captured) * 1e3)
        files.close()
    return capture_us, write_ms


def main() -> None:
    pages = [p.read_bytes() for p in sorted((ROOT / "tests" / "fixtures").rglob("*.html"))]
    big = (b"".join(pages) * 40)[:1_000_000]
    cases = {
        f"fixture pages (mean {sum(map(len, pages)) // len(pages)} B)": pages,
        "1 MB page": [big],
        "1 MB page, gzip-encoded": [gzip.compress(big)],
    }
    print(f"{'bodies':36} {'reactor: capture':>22} {'writer thread: build+gzip+write':>34}")
    for label, bodies in cases.items():
        capture_us, write_ms = measure(bodies)
        p99 = int(ROUNDS * 0.99) - 1
        print(
            f"{label:36} median {statistics.median(capture_us):5.1f} µs "
            f"p99 {sorted(capture_us)[p99]:5.1f} µs   "
            f"median {statistics.median(write_ms):6.2f} ms p99 {sorted(write_ms)[p99]:6.2f} ms"
        )


if __name__ == "__main__":
    main()
