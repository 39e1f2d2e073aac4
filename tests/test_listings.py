"""Discovery goldens: what the spider requests from each listing kind the site has had (2026
section cards with pagination, the 2025 author listing endpoint, the RSS feed, the home page, a
2015 grid listing). Offline: the spider's own callbacks run on saved pages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scrapy.http import HtmlResponse, Request, XmlResponse
from scrapy.utils.test import get_crawler

from scrapers.spiders.almodon import AlmodonSpider

HERE = Path(__file__).parent / "fixtures" / "listings"
CASES = sorted(p for p in HERE.glob("*.json"))


def discover(page: Path, spec: dict) -> dict:
    crawler = get_crawler(AlmodonSpider, {"ALMODON_LATEST_LISTING_PAGES": 2})
    spider = AlmodonSpider.from_crawler(crawler, mode=spec.get("mode", "archive"))
    crawler.spider = spider
    crawler.stats.open_spider()
    cls = XmlResponse if page.suffix == ".xml" else HtmlResponse
    request = Request(spec["url"], meta={"page": 1})
    response = cls(spec["url"], body=page.read_bytes(), encoding="utf-8", request=request)
    out = {"articles": [], "follow": []}
    for req in getattr(spider, spec["callback"])(response):
        if req.callback == spider.parse_article:
            out["articles"].append(req.meta["site_url"])
        else:
            out["follow"].append(req.url)
    # archive mode holds listing requests until the sitemaps' articles are crawled: asked for later
    out["follow"] += [req.url for req in spider.held]
    return out


@pytest.mark.parametrize("golden", CASES, ids=[p.stem for p in CASES])
def test_listing_golden(golden):
    spec = json.loads(golden.read_text(encoding="utf-8"))
    page = HERE / spec["_fixture"]["file"]
    got = discover(page, spec["_fixture"])
    assert got["articles"] == spec["articles"]
    assert sorted(got["follow"]) == sorted(spec["follow"])


def test_every_listing_kind_has_a_golden():
    kinds = {json.loads(p.read_text(encoding="utf-8"))["_fixture"]["kind"] for p in CASES}
    assert kinds >= {"section-2026", "author-2025", "rss", "home", "section-2015"}
