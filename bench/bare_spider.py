"""The baseline of the raw-throughput row: a bare Scrapy spider that only follows links.

It starts at one URL and follows every same-host link that Scrapy's ``LinkExtractor`` finds
(which skips attachments such as ``.pdf``), with no item pipeline, no extraction and no
database, under the Scrapy settings it is given as JSON: ``bench/crawl.py`` passes exactly the
settings evalcrawl's crawl uses (``evalcrawler.crawl.scrapy_settings``) minus evalcrawl's own
pipeline and middlewares, so the two differ only in what they do per page.

    python bench/bare_spider.py URL SETTINGS.json RESULT.json

writes ``{"pages": …, "requests": …, "seconds": …}`` (pages: 2xx HTML responses parsed).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response
from scrapy.linkextractors import LinkExtractor


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_urls = [url]
        self.netloc = urlsplit(url).netloc
        self.links = LinkExtractor()
        self.pages = 0
        self.seen = {url}

    def parse(self, response: Response) -> Iterator[scrapy.Request]:
        if not isinstance(response, scrapy.http.TextResponse):
            return
        self.pages += 1
        for link in self.links.extract_links(response):
            if link.url not in self.seen and urlsplit(link.url).netloc == self.netloc:
                self.seen.add(link.url)
                yield scrapy.Request(link.url, callback=self.parse)


def main() -> None:
    url, settings_file, result_file = sys.argv[1:4]
    with open(settings_file, encoding="utf-8") as fh:
        settings = json.load(fh)
    started = time.monotonic()
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler, url=url)
    process.start()
    seconds = time.monotonic() - started
    spider: Any = crawler.spider
    stats = crawler.stats.get_stats() if crawler.stats else {}
    result = {
        "pages": spider.pages,
        "requests": stats.get("downloader/request_count", 0),
        "seconds": round(seconds, 3),
    }
    with open(result_file, "w", encoding="utf-8") as fh:
        json.dump(result, fh)


if __name__ == "__main__":
    main()
