"""Downloader and spider middlewares of this project."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as _ScrapyRobots
from scrapy.downloadermiddlewares.useragent import UserAgentMiddleware
from scrapy.settings import SETTINGS_PRIORITIES
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred


class ContactUserAgent(UserAgentMiddleware):
    """Scrapy's User-Agent middleware, with the User-Agent built when the crawl starts from
    ``ALMODON_USER_AGENT`` and ``ALMODON_CONTACT`` as this crawl's settings have them (project,
    environment, ``-s``), not at import. A ``USER_AGENT`` set above the project's (``-s``) wins."""

    @classmethod
    def from_crawler(cls, crawler):
        mw = super().from_crawler(crawler)
        settings = crawler.settings
        if (settings.getpriority("USER_AGENT") or 0) <= SETTINGS_PRIORITIES["project"]:
            mw.user_agent = user_agent(settings)
        return mw


def user_agent(settings) -> str:
    return settings.get("ALMODON_USER_AGENT", "{contact}").format(contact=settings.get("ALMODON_CONTACT"))


class RobotsTxtMiddleware(_ScrapyRobots):
    """Scrapy 2.19's middleware hands the parsed robots.txt to the first request that waited for
    it and ``None`` (= allow) to every later one; here each waiter gets the parser."""

    async def robot_parser(self, request):
        parser = self._parsers.get(urlparse_cached(request).netloc)
        if isinstance(parser, Deferred):
            waiter: Deferred = Deferred()

            def relay(result):
                waiter.callback(result)
                return result  # keep it for the next waiter

            parser.addBoth(relay)
            return await maybe_deferred_to_future(waiter)
        return await super().robot_parser(request)


def retry_after_seconds(value: bytes | None) -> float | None:
    """``Retry-After`` as seconds from now (delta-seconds or an HTTP date), None if absent or bad."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class RetryAfterMiddleware:
    """429/503 with ``Retry-After``: wait that long before the retry (up to ALMODON_RETRY_AFTER_MAX
    seconds); a longer wait is not retried at all (the RetryMiddleware sees ``dont_retry``)."""

    def __init__(self, cap: float) -> None:
        self.cap = cap

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.getfloat("ALMODON_RETRY_AFTER_MAX", 120))

    async def process_response(self, request, response):
        if response.status not in (429, 503):
            return response
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        if wait is None:
            return response
        if wait > self.cap:
            request.meta["dont_retry"] = True
            return response
        await asyncio.sleep(wait)
        return response


class ReleaseSelector:
    """Spider middleware: once a callback's output is consumed, the response forgets the
    selector it cached. Scrapy's ``TextResponse.selector`` keeps the ``Selector`` on the
    response and the ``Selector`` keeps the response (``Selector.response``): a reference cycle,
    so every listing or article page that was queried with ``response.css``/``xpath`` kept its
    body and its whole parsed tree (libxml2 memory, invisible to the garbage collector's
    heuristics) until the next full collection. Those come rarer as the run's long-lived objects
    grow, so the Scrapy process's peak RSS grew with the length of the crawl: at 10,000 pages
    100-170 dead responses waited at a time (up to 27 MB; docs/benchmark.md, "Flat memory").
    Dropping the cached selector frees the page by reference counting as soon as it is done."""

    async def process_spider_output(self, response, result):
        try:
            async for item in result:
                yield item
        finally:
            release_selector(response)


def release_selector(response) -> None:
    """Forget the selector a ``TextResponse`` cached (a later ``response.css`` parses again)."""
    if getattr(response, "_cached_selector", None) is not None:
        response._cached_selector = None
