"""Archive mode reads the sitemaps first; listings only fill what the sitemaps left out.

The site's listings re-list what its monthly sitemaps already name. An archive crawl that walked
every listing page besides the sitemaps fetched ~45 % more pages than it stored articles
(docs/benchmark.md). Now listings, the feed and author listings wait until the sitemaps'
articles are crawled (Scrapy's ``spider_idle``), and a listing is followed to its next page only
while a page names an article this run had not seen or one from a month no sitemap covered.
End to end on the replica; the rule itself on small cases."""

from __future__ import annotations

import re

import pytest
from conftest import query
from golden import goldens
from scrapy.utils.test import get_crawler

from scrapers.spiders.almodon import AlmodonSpider

SERVED = [g for g in goldens("almodon") if g.is_article and g.fixture.get("in_replica", True)]
SECTIONS = ("politics", "arabworld", "economy", "society", "culture", "opinion")


def _is_listing(path: str) -> bool:
    bare = path.split("?", 1)[0]
    return (bare.strip("/") in SECTIONS or bare in ("/", "/rss")
            or bare.startswith("/getallauthorarticles/"))


def _is_sitemap(path: str) -> bool:
    return "sitemap" in path or path == "/robots.txt"


def test_sitemaps_first_then_listings_stop_where_they_add_nothing(tmp_path, crawl):
    from replica.server import Replica

    with Replica(port=0) as rep:
        result = crawl(rep.base_url, tmp_path / "a.db")
        paths = [p for _, p, _ in rep.requests]
    assert result.returncode == 0, result.stderr[-3000:]
    stored = {r[0] for r in query(tmp_path / "a.db", "SELECT url FROM articles")}
    assert stored == {g.expected["url"] for g in SERVED}
    first_listing = next(i for i, p in enumerate(paths) if _is_listing(p))
    # nothing the sitemaps led to is requested after the first listing page: they were all done
    assert not [p for p in paths[first_listing:] if _is_sitemap(p)]
    assert set(paths[:first_listing]) & {"/sitemap.xml", "/robots.txt"}
    # every monthly sitemap was read: a listing's first page adds nothing, so only its last page
    # (named by the pager) is probed, and the author endpoint (no pager) stops at page 1
    assert {p for p in paths if "page=" in p} == {"/politics?page=2", "/arabworld?page=2", "/economy?page=2"}
    assert [p for p in paths if re.match(r"/getallauthorarticles/[2-9]", p)] == []
    assert "'almodon/discovery/listing_walk_ended'" in result.stderr


def test_listings_walk_into_a_month_no_sitemap_names(tmp_path, crawl):
    """A month missing from the sitemap index: the listings walk on to its articles."""
    from replica.server import Replica

    with Replica(port=0) as rep:
        politics = rep.site.by_section["politics"]
        oldest = min(politics, key=lambda e: e.date)  # on the last politics listing page
        month = oldest.date[:7]
        index = rep.site.pages["/sitemap.xml"].body.decode()
        cut = re.sub(rf"<sitemap><loc>[^<]*/sitemaps/{month}\.xml</loc>.*?</sitemap>\n?", "", index)
        assert cut != index
        rep.site.set("/sitemap.xml", cut.encode(), "application/xml; charset=utf-8")
        result = crawl(rep.base_url, tmp_path / "m.db")
        paths = [p for _, p, _ in rep.requests]
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"/sitemaps/{month}.xml" not in paths
    stored = {r[0] for r in query(tmp_path / "m.db", "SELECT url FROM articles")}
    assert stored == {g.expected["url"] for g in SERVED}
    via = {r[0]: r[1] for r in query(tmp_path / "m.db", "SELECT url, via FROM discovered_urls")}
    missing_month = [g.expected["url"] for g in SERVED if g.expected["published_date"][:7] == month]
    assert missing_month and all(via[u] != "sitemap" for u in missing_month)
    assert "/politics?page=2" in paths


def test_without_sitemaps_the_listings_are_not_held(tmp_path, crawl):
    from replica.server import Replica

    with Replica(port=0, sitemap=False) as rep:
        result = crawl(rep.base_url, tmp_path / "n.db")
        paths = [p for _, p, _ in rep.requests]
    assert result.returncode == 0, result.stderr[-3000:]
    assert {p for p in paths if "page=" in p} == {"/politics?page=2", "/arabworld?page=2", "/economy?page=2"}


# -- the rule -----------------------------------------------------------------------------------
def _spider(mode="archive", **kwargs) -> AlmodonSpider:
    crawler = get_crawler(AlmodonSpider)
    spider = AlmodonSpider.from_crawler(crawler, mode=mode, **kwargs)
    crawler.spider = spider
    crawler.stats.open_spider()
    return spider


@pytest.mark.parametrize("fresh, months, covered, expected", [
    (0, {"2024-04"}, {"2024-04"}, False),            # all seen, month read from its sitemap
    (1, {"2024-04"}, {"2024-04"}, True),             # something new on the page
    (0, {"2024-04", "2024-03"}, {"2024-04"}, True),  # a month no sitemap covered
    (0, {None}, {"2024-04"}, False),                 # seen, of no known month: no signal
    (1, {None}, {"2024-04"}, True),                  # new, of no known month
    (0, {"2024-04"}, set(), True),                   # no sitemap read at all
    (0, set(), {"2024-04"}, False),                  # no article on the page
])
def test_leads_further(fresh, months, covered, expected):
    spider = _spider()
    spider.sitemap_months = set(covered)
    assert spider.leads_further(fresh, months) is expected


def test_a_page_all_before_since_ends_the_walk():
    spider = _spider(since="2024-05-01")
    assert spider.leads_further(3, {"2024-04", "2024-03"}) is False
    assert spider.leads_further(3, {"2024-05", "2024-04"}) is True
    assert spider.leads_further(3, {"2024-04", None}) is True


def test_other_modes_walk_as_before():
    spider = _spider(mode="latest")
    spider.sitemap_months = {"2024-04"}
    assert spider.leads_further(0, {"2024-04"}) is True


def _listing_page(n: int, last: int, articles: list[str]) -> bytes:
    cards = "".join(f'<h2><a href="{a}">{i}</a></h2>' for i, a in enumerate(articles))
    pager = "".join(f'<a href="/politics?page={k}">{k}</a>' for k in range(1, last + 1) if k != n)
    return f"<html><body><h1>سياسة</h1>{cards}<nav>{pager}</nav></body></html>".encode()


def _walk(spider, n: int, last: int, articles: list[str]):
    from scrapy.http import HtmlResponse, Request

    spider.listings_released = True
    url = "https://www.almodon.com/politics" + (f"?page={n}" if n > 1 else "")
    response = HtmlResponse(url, body=_listing_page(n, last, articles), encoding="utf-8",
                            request=Request(url, meta={"page": n}))
    out = list(spider.parse_listing(response))
    return ([r.url for r in out if r.callback == spider.parse_article],
            sorted(r.url for r in out if r.callback == spider.parse_listing))


ARTICLES = [f"https://www.almodon.com/politics/2024/04/{d:02d}/خبر-{d}" for d in range(1, 6)]


def test_a_page_that_adds_nothing_probes_only_the_last_page():
    spider = _spider()
    spider.sitemap_months = {"2024-04"}
    for a in ARTICLES:  # the sitemaps named them all
        spider.article_request(a, "sitemap")
    articles, follow = _walk(spider, 1, 40, ARTICLES)
    assert articles == []
    assert follow == ["https://www.almodon.com/politics?page=40"]


def test_a_page_with_a_new_article_follows_its_whole_pager():
    spider = _spider()
    spider.sitemap_months = {"2024-04"}
    for a in ARTICLES[:-1]:
        spider.article_request(a, "sitemap")
    articles, follow = _walk(spider, 1, 5, ARTICLES)
    assert len(articles) == 1
    assert follow == [f"https://www.almodon.com/politics?page={k}" for k in range(2, 6)]


def test_author_links_are_read_from_the_article_bytes():
    """The 2025 author endpoint is reached from an article's author links, found in its bytes
    (quoted or not, relative or absolute, either case of UUID); other hosts' links are not ours."""
    from scrapy.http import HtmlResponse, Request

    uid = "4f52a7f7-157b-50f4-a86b-5dacb6ebb7fd"
    body = (f'<html><body><h1>عنوان</h1><a class="by" href="/author/{uid}">كاتب</a>'
            f"<a href=https://www.almodon.com/authors/{uid.upper()}/ >again</a>"
            f'<a href="https://example.org/author/{uid[:-1]}0">elsewhere</a>'
            '<a href="/authority">no</a><p>نص</p></body></html>').encode()
    url = "https://www.almodon.com/politics/2024/04/26/خبر"
    spider = _spider()
    response = HtmlResponse(url, body=body, encoding="utf-8", request=Request(url, meta={"site_url": url}))
    list(spider.parse_article(response))
    assert [r.url for r in spider.held] == [f"https://www.almodon.com/getallauthorarticles/1/{uid}"]
    latest = _spider(mode="latest")
    list(latest.parse_article(response))
    assert latest.held == []
