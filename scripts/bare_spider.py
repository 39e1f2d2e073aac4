"""A bare Scrapy crawl of the replica, for ``make bench``'s ratio: robots.txt → sitemap index →
monthly sitemaps → every article, reading one XPath per article (the headline) and keeping
nothing. Same loopback settings as the project's crawl (``scripts/demo.py``: no delay, no
AutoThrottle, 8 concurrent requests, robots.txt obeyed); no pipelines, no extensions.

    python scripts/bare_spider.py http://127.0.0.1:PORT      # prints the final stats as JSON
"""

from __future__ import annotations

import json
import sys

import scrapy
from protego import Protego
from scrapy.crawler import CrawlerProcess
from scrapy.utils.sitemap import Sitemap

SITE = "https://www.almodon.com"


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, base_url: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    def local(self, url: str) -> str:
        return self.base_url + url[len(SITE):] if url.startswith(SITE) else url

    async def start(self):
        yield scrapy.Request(f"{self.base_url}/robots.txt", callback=self.parse_robots)

    def parse_robots(self, response):
        for url in Protego.parse(response.text).sitemaps:
            yield scrapy.Request(self.local(url), callback=self.parse_sitemap)

    def parse_sitemap(self, response):
        sitemap = Sitemap(response.body)
        callback = self.parse_sitemap if sitemap.type == "sitemapindex" else self.parse_article
        for entry in sitemap:
            yield scrapy.Request(self.local(entry["loc"]), callback=callback)

    def parse_article(self, response):
        yield {"headline": response.xpath("//h1//text()").get()}


def main(base_url: str) -> int:
    process = CrawlerProcess({
        "ROBOTSTXT_OBEY": True, "CONCURRENT_REQUESTS": 8, "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
        "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False, "LOG_LEVEL": "WARNING",
        "USER_AGENT": "almodon-archive-bench/0.1 (bare Scrapy baseline)",
    })
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler, base_url=base_url)
    process.start()
    stats = crawler.stats.get_stats()
    print(json.dumps({k: v for k, v in stats.items() if isinstance(v, int | float)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
