"""What keeps the crawl's memory flat: pages freed as soon as their callback is done, and the
run-long sets bounded per entry (docs/benchmark.md, "Flat memory"). Behaviour, not numbers."""

from __future__ import annotations

import asyncio
import gc
import warnings
import weakref

import pytest
from scrapy.http import HtmlResponse

from pipelines.fingerprints import FingerprintSet, fingerprint
from scrapers.middlewares import ReleaseSelector, release_selector

PAGE = b"<html><body><a href='/a'>a</a><a href='/b'>b</a><p>text</p></body></html>"


def _response() -> HtmlResponse:
    return HtmlResponse("http://127.0.0.1/page", body=PAGE, encoding="utf-8")


async def _links(response):
    """A callback as the spider writes them: queries the page and yields what it found."""
    for href in response.css("a::attr(href)").getall():
        yield href


def _consume(mw: ReleaseSelector, response, result) -> list:
    async def run():
        return [item async for item in mw.process_spider_output(response, result)]

    return asyncio.run(run())


@pytest.fixture
def no_gc():
    """The cyclic garbage collector off: what is freed here is freed by reference counting.
    Earlier tests' garbage is collected first (quietly: an unclosed file of theirs is not this
    test's failure)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def test_scrapy_keeps_a_queried_response_alive_in_a_cycle(no_gc):
    """Why the middleware exists: without it a queried response outlives its last reference
    (Response -> cached Selector -> Response) until a collection. Fails if Scrapy stops it."""
    response = _response()
    assert response.css("a::attr(href)").getall() == ["/a", "/b"]
    ref = weakref.ref(response)
    del response
    assert ref() is not None
    gc.collect()
    assert ref() is None


def test_output_passes_through_in_order_and_the_page_is_freed_without_a_collection(no_gc):
    response = _response()
    items = _consume(ReleaseSelector(), response, _links(response))
    assert items == ["/a", "/b"]
    ref = weakref.ref(response)
    del response
    assert ref() is None


def test_the_page_is_released_when_the_callback_fails():
    response = _response()

    async def failing(resp):
        yield resp.css("a::attr(href)").get()
        raise ValueError("broken page")

    got = []

    async def run():
        async for item in ReleaseSelector().process_spider_output(response, failing(response)):
            got.append(item)

    with pytest.raises(ValueError, match="broken page"):
        asyncio.run(run())
    assert got == ["/a"]
    assert response._cached_selector is None  # (the traceback itself still holds the response)


def test_a_released_response_can_still_be_queried():
    response = _response()
    assert response.css("p::text").get() == "text"
    release_selector(response)
    assert response.css("a::attr(href)").getall() == ["/a", "/b"]
    release_selector(object())  # not a text response: nothing to do, no error


# -- the run-long sets ------------------------------------------------------------------------
ARABIC = "https://www.almodon.com/politics/2024/04/26/غارة-إسرائيلية-على-جنوب-لبنان"


def test_fingerprint_set_answers_like_a_set_of_strings():
    urls = [f"https://www.almodon.com/politics/2024/04/{d:02d}/slug-{i}" for d in range(1, 29) for i in range(40)]
    urls += [ARABIC, ARABIC.replace("لبنان", "سوريا"), "", "\udcff-lone-surrogate"]
    fps, plain = FingerprintSet(urls[::2]), set(urls[::2])
    for url in urls:
        assert (url in fps) == (url in plain), url
    fps.update(urls[1::2])
    assert all(url in fps for url in urls)
    assert len(fps) == len(set(urls))
    fps.add(urls[0])  # again: nothing new
    assert len(fps) == len(set(urls))


def test_fingerprint_set_keeps_no_string_and_is_not_fooled_by_other_types():
    fps = FingerprintSet([ARABIC])
    assert ARABIC in fps
    assert ARABIC.encode() not in fps and None not in fps and fingerprint(ARABIC) not in fps
    assert "https://www.almodon.com/politics/2024/04/26/" not in fps  # a prefix is another URL
    assert all(not isinstance(v, str) for v in fps._fps)
    assert fingerprint(ARABIC) < 2**60 and fingerprint(ARABIC) == fingerprint("".join(ARABIC))
    assert repr(fps) == "FingerprintSet(1 entries)"


def test_the_spider_keeps_fingerprints_and_still_asks_for_each_article_once():
    from pipelines.extract import urls
    from scrapers.spiders.almodon import AlmodonSpider

    spider = AlmodonSpider(base_url="http://127.0.0.1:8765", mode="archive")

    class Stats:
        def inc_value(self, *args, **kwargs):
            pass

    class Crawler:
        stats = Stats()

    spider.crawler = Crawler()
    spider.flush_discovered = lambda: None  # no crawler signals here: the batch stays in memory
    first = spider.article_request(ARABIC, "sitemap")
    assert first is not None and first.meta["site_url"] == urls.canonicalize(ARABIC)
    # another spelling of the same article (replica host, escaped slug): the same key, not asked again
    assert spider.article_request(first.url, "listing") is None
    assert isinstance(spider.seen_keys, FingerprintSet) and len(spider.seen_keys) == 1
    sitemap = "http://127.0.0.1:8765/sitemap-2024-04.xml"
    assert len(list(spider.listing(sitemap, spider.parse_sitemap, "sitemap"))) == 1
    assert list(spider.listing(sitemap.replace("http://127.0.0.1:8765", "https://www.almodon.com"),
                               spider.parse_sitemap, "sitemap")) == []
