"""Backfill from web archives: list Al-Modon captures in the Wayback Machine or Common Crawl and
fetch the ones the archive lacks. It extracts nothing: every capture becomes a ``RawPage`` (with
``fetched_at`` = the capture time) that goes through the crawl's own pipelines.

    almodon backfill --source wayback --since 2016-01-01 --until 2016-12-31
    almodon backfill --source commoncrawl --crawl CC-MAIN-2024-10

Listings are read one page at a time, and the next page is asked for only when every capture of
the previous one has been fetched and stored; its cursor (the CDX resume key, or the index page)
is then checkpointed in ``backfill_cursors``, so a killed run resumes there. Scrapy's downloader
does the politeness (2 requests at a time per host, AutoThrottle, retries, ``Retry-After``).
"""

from __future__ import annotations

import io
import sqlite3
from collections import Counter, deque
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlencode

import scrapy
from scrapy import signals as scrapy_signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import HtmlResponse
from scrapy.spidermiddlewares.httperror import HttpError
from warcio.archiveiterator import ArchiveIterator

from pipelines.backfill import state
from pipelines.backfill.captures import (
    WAYBACK_FIELDS,
    Capture,
    Planner,
    parse_cc_index,
    parse_cdx_json,
)
from pipelines.extract import urls
from pipelines.scope import SETTING as SCOPE_SETTING
from pipelines.scope import Scope
from pipelines.store import Store
from scrapers.items import RawPage
from scrapers.spiders.almodon import (
    BLOCK_STATUSES,
    AlmodonSpider,
    _day,  # one reading of since=/until= for both spiders
    failure_reason,
)

SOURCES = ("wayback", "commoncrawl")
DEFAULT_ENDPOINTS = {"wayback": "https://web.archive.org", "commoncrawl": "https://index.commoncrawl.org"}
DEFAULT_DATA_ENDPOINT = "https://data.commoncrawl.org"
DEFAULT_URL_PATTERN = "almodon.com/*"
#: Rows per CDX page (the Wayback server's own limit is higher; small pages checkpoint often).
CDX_PAGE_SIZE = 1000


class BackfillSpider(scrapy.Spider):
    name = "backfill"
    job = "backfill"  # the crawl_runs.job of its runs

    def __init__(self, source: str = "wayback", since: str | None = None, until: str | None = None,
                 endpoint: str | None = None, data_endpoint: str | None = None, crawl: str | None = None,
                 limit: str | int | None = None, dry_run: str | bool = False, url: str = DEFAULT_URL_PATTERN,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if source not in SOURCES:
            raise ValueError(f"source={source!r}: expected one of {', '.join(SOURCES)}")
        self.mode = self.source = source
        self.since, self.until = _day(since, "since"), _day(until, "until")
        self.base_url = (endpoint or DEFAULT_ENDPOINTS[source]).rstrip("/")
        self.data_endpoint = (data_endpoint or DEFAULT_DATA_ENDPOINT).rstrip("/")
        self.crawls = [c.strip() for c in (crawl or "").split(",") if c.strip()]
        self.limit = int(limit) if limit not in (None, "") else None
        self.dry_run = dry_run in (True, "1", "true", "True", "yes")
        self.pattern = url
        self.extra_hosts: tuple[str, ...] = ()
        self.urls: list[str] = []
        self.scheduled = 0
        self.would_fetch: Counter[tuple[str, str]] = Counter()  # (year, section) -> captures
        self.listings: deque[tuple[scrapy.Request, str, str]] = deque()  # (request, query, cursor)
        self.current_query: str | None = None
        self.listing_failed = False  # then the cursor stays where it is
        self.conn: sqlite3.Connection | None = None
        self.planner = Planner()

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.idle, scrapy_signals.spider_idle)
        if not crawler.settings.frozen:  # the run's scope, for the run ledger and the pipelines
            crawler.settings.set(SCOPE_SETTING, Scope(
                job=spider.job, mode=spider.source, base_url=spider.base_url,
                since=spider.since.isoformat() if spider.since else None,
                until=spider.until.isoformat() if spider.until else None).to_setting(), priority="spider")
        return spider

    # -- state -----------------------------------------------------------------------------------
    def _open_db(self) -> None:
        db = Path(self.settings.get("ALMODON_DB") or "data/almodon.db")
        if self.dry_run:  # reads only; a database that does not exist yet holds nothing
            if db.is_file():
                self.conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
        else:
            self.conn = Store(db).conn  # applies the schema; the connection is this spider's
        if self.conn is not None:
            self.planner = Planner.from_db(self.conn)

    def closed(self, reason) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def window(self) -> dict[str, str]:
        out = {}
        if self.since:
            out["from"] = self.since.strftime("%Y%m%d")
        if self.until:
            out["to"] = self.until.strftime("%Y%m%d") + "235959"
        return out

    @property
    def page_size(self) -> int:
        return self.settings.getint("ALMODON_BACKFILL_PAGE_SIZE", CDX_PAGE_SIZE)

    @property
    def limited(self) -> bool:
        return self.limit is not None and self.scheduled >= self.limit

    # -- listings ----------------------------------------------------------------------------------
    async def start(self):
        self._open_db()
        if self.source == "wayback":
            query = self._wayback_query()
            cursor = self._cursor(query)
            if cursor:
                self.logger.info("Resuming the Wayback listing at resume key %r", cursor)
            self.current_query = query
            yield self._cdx_request(query, cursor)
        elif self.crawls:  # asked for one at a time when the spider is idle
            for crawl in self.crawls:
                self.listings.append((self._num_pages_request(crawl), "", ""))
        else:
            yield scrapy.Request(f"{self.base_url}/collinfo.json", callback=self.parse_collinfo,
                                 errback=self.failed, meta={"listing": True})

    def _cursor(self, query: str) -> str | None:
        if self.conn is None:
            return None
        try:
            return state.load_cursor(self.conn, self.source, query)
        except sqlite3.OperationalError:  # dry run on a database made before the table existed
            return None

    def _wayback_query(self) -> str:
        return urlencode({"url": self.pattern, **self.window()})

    def _cdx_request(self, query: str, resume_key: str | None) -> scrapy.Request:
        params = [("url", self.pattern), ("matchType", "prefix"), ("output", "json"),
                  ("fl", ",".join(WAYBACK_FIELDS)), ("filter", "statuscode:200"),
                  *self.window().items(), ("showResumeKey", "true"), ("limit", str(self.page_size))]
        if resume_key:
            params.append(("resumeKey", resume_key))
        return scrapy.Request(f"{self.base_url}/cdx/search/cdx?{urlencode(params)}", callback=self.parse_cdx,
                              errback=self.failed, dont_filter=True, meta={"listing": True, "query": query})

    def parse_cdx(self, response):
        captures, resume, malformed = parse_cdx_json(response.text)
        self._count_malformed(malformed)
        yield from self._captures(captures)
        if resume:
            self.listings.append((self._cdx_request(response.meta["query"], resume), response.meta["query"], resume))

    def parse_collinfo(self, response):
        try:
            crawls = response.json()
        except ValueError:
            self.skip(response.url, "bad_listing", "collinfo.json is not JSON", response.status, kind="failed")
            return
        for crawl in crawls if isinstance(crawls, list) else []:
            if isinstance(crawl, dict) and crawl.get("id") and self._overlaps(crawl):
                self.crawls.append(crawl["id"])
        self.crawler.stats.set_value("backfill/crawls", len(self.crawls))
        for crawl in self.crawls:
            self.listings.append((self._num_pages_request(crawl), "", ""))

    def _overlaps(self, crawl: dict) -> bool:
        """Crawls whose time span meets [since, until] (all when collinfo gives no span)."""
        try:
            start = datetime.fromisoformat(crawl["from"]).date() if crawl.get("from") else None
            end = datetime.fromisoformat(crawl["to"]).date() if crawl.get("to") else None
        except (TypeError, ValueError):
            return True
        return not ((self.until and start and start > self.until) or (self.since and end and end < self.since))

    def _cc_query(self, crawl: str) -> str:
        return urlencode({"crawl": crawl, "url": self.pattern, **self.window()})

    def _cc_index(self, crawl: str, **extra) -> str:
        params = {"url": self.pattern, "matchType": "prefix", "output": "json", **self.window(), **extra}
        return f"{self.base_url}/{crawl}-index?{urlencode(params)}"

    def _num_pages_request(self, crawl: str) -> scrapy.Request:
        return scrapy.Request(self._cc_index(crawl, showNumPages="true"), callback=self.parse_num_pages,
                              errback=self.failed, dont_filter=True, meta={"listing": True, "crawl": crawl})

    def parse_num_pages(self, response):
        crawl = response.meta["crawl"]
        try:
            pages = int(response.json().get("pages", 0))
        except (ValueError, TypeError, AttributeError):
            self.skip(response.url, "bad_listing", "showNumPages: not {pages: N}", response.status, kind="failed")
            return
        query = self._cc_query(crawl)
        start = int(self._cursor(query) or 0)
        if start:
            self.logger.info("Resuming %s at index page %d of %d", crawl, start, pages)
        for page in range(start, pages):
            request = scrapy.Request(self._cc_index(crawl, page=str(page)), callback=self.parse_cc_page,
                                     errback=self.failed, dont_filter=True, meta={"listing": True, "query": query})
            self.listings.insert(page - start, (request, query, str(page)))  # before the next crawl's

    def parse_cc_page(self, response):
        captures, malformed = parse_cc_index(response.text)
        self._count_malformed(malformed)
        yield from self._captures(captures)

    def _count_malformed(self, n: int) -> None:
        if n:
            self.crawler.stats.inc_value("backfill/listing/malformed", n)
            self.logger.warning("%d malformed index line(s) skipped", n)

    def idle(self) -> None:
        """Every capture of the last listing page is done: checkpoint and ask for the next page."""
        if self.limited:
            return
        if self.listings:
            request, query, cursor = self.listings.popleft()
            if query and self.current_query and query != self.current_query:
                self._save_cursor(self.current_query, None)  # the previous listing is complete
            if query:
                self.current_query = query
                self._save_cursor(query, cursor)
            self.crawler.engine.crawl(request)
            raise DontCloseSpider
        if self.current_query and not self.listing_failed:
            self._save_cursor(self.current_query, None)
            self.current_query = None

    def _save_cursor(self, query: str, cursor: str | None) -> None:
        if self.conn is not None and not self.dry_run:
            state.save_cursor(self.conn, self.source, query, cursor)

    # -- captures ----------------------------------------------------------------------------------
    def _captures(self, captures: list[Capture]):
        stats = self.crawler.stats
        for capture in captures:
            if not self._in_window(capture):
                stats.inc_value("backfill/captures/out_of_range")
                continue
            decision = self.planner.decide(capture)
            stats.inc_value(f"backfill/captures/{decision.verdict}")
            if decision.verdict != "fetch":
                continue
            if self.limited:
                stats.inc_value("backfill/captures/over_limit")
                continue
            self.scheduled += 1
            self.would_fetch[(capture.timestamp[:4], decision.section or "?")] += 1
            if not self.dry_run:
                yield self._capture_request(decision)

    def _in_window(self, capture: Capture) -> bool:
        day = capture.when.date()
        return (self.since is None or day >= self.since) and (self.until is None or day <= self.until)

    def _capture_request(self, decision) -> scrapy.Request:
        capture = decision.capture
        meta = {"decision": decision, "via": self.source}
        if capture.source == "wayback":
            return scrapy.Request(f"{self.base_url}/web/{capture.timestamp}id_/{capture.original}",
                                  callback=self.parse_capture, errback=self.failed, meta=meta)
        end = capture.offset + capture.length - 1
        return scrapy.Request(f"{self.data_endpoint}/{capture.filename}", callback=self.parse_capture,
                              errback=self.failed, headers={"Range": f"bytes={capture.offset}-{end}"},
                              dont_filter=True, meta=meta)

    def parse_capture(self, response):
        decision = response.meta["decision"]
        capture: Capture = decision.capture
        page = self._wayback_page(response) if capture.source == "wayback" else self._cc_page(response)
        if page is None:
            self.skip(decision.url, "bad_capture", f"no response record in {response.url}", response.status)
        else:
            self._resolve_era(page, decision)
            self.crawler.stats.inc_value("backfill/captures/fetched")
            yield page
        if self.conn is not None:  # after the pipelines had it: a kill before this refetches, never loses
            state.record_capture(self.conn, capture, page.url if page else decision.url, response.url,
                                 self.crawler.stats.get_value("almodon/run_id"))

    def _raw_page(self, decision, *, body: bytes, status: int, headers: dict, fetched_at: str,
                  fetch_url: str, warc_headers: dict) -> RawPage:
        capture: Capture = decision.capture
        return RawPage(
            url=decision.url, fetch_url=fetch_url, status=status, headers=headers, body=body,
            fetched_at=fetched_at, via=self.source,
            warc_headers={"WARC-Source": self.source, "WARC-Source-Target-URI": capture.original,
                          **({"WARC-Source-Payload-Digest": f"sha1:{capture.digest}"} if capture.digest else {}),
                          **warc_headers},
            meta={"linked_as": decision.url, "redirected_from": [*decision.aliases], "source": self.source},
        )

    def _wayback_page(self, response) -> RawPage:
        decision = response.meta["decision"]
        headers = {k.decode("latin-1").lower(): v[0].decode("latin-1") for k, v in response.headers.items() if v}
        fetched_at = decision.capture.captured_at
        memento = headers.get("memento-datetime")
        if memento:  # the Wayback may answer with a neighbouring capture: its own time wins
            try:
                fetched_at = parsedate_to_datetime(memento).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            except (TypeError, ValueError):
                pass
        return self._raw_page(decision, body=response.body, status=response.status, headers=headers,
                              fetched_at=fetched_at, fetch_url=response.url,
                              warc_headers={"WARC-Source-Date": decision.capture.captured_at})

    def _cc_page(self, response) -> RawPage | None:
        decision = response.meta["decision"]
        capture: Capture = decision.capture
        body = response.body
        if response.status == 200 and len(body) > capture.length:  # a server that ignored Range
            body = body[capture.offset: capture.offset + capture.length]
        try:
            for record in ArchiveIterator(io.BytesIO(body)):
                if record.rec_type != "response" or record.http_headers is None:
                    continue
                kept = {f"WARC-Source-{k[5:]}" if k.startswith("WARC-") else f"WARC-Source-{k}": v
                        for k, v in record.rec_headers.headers
                        if k not in ("Content-Length", "Content-Type", "WARC-Type", "WARC-Block-Digest")}
                kept.update({"WARC-Source-Filename": capture.filename, "WARC-Source-Offset": str(capture.offset),
                             "WARC-Source-Length": str(capture.length)})
                return self._raw_page(
                    decision, body=record.content_stream().read(),
                    status=int(record.http_headers.get_statuscode() or 0),
                    headers={k.lower(): v for k, v in record.http_headers.headers},
                    fetched_at=capture.captured_at, fetch_url=f"{response.url}#{capture.offset},{capture.length}",
                    warc_headers=kept,
                )
        except Exception as exc:  # noqa: BLE001 - a corrupt record is a counted skip
            self.logger.warning("Unreadable WARC record %s: %s", response.url, exc)
        return None

    def _resolve_era(self, page: RawPage, decision) -> None:
        """A numeric (era 1) or GUID (era 2) capture whose page names its dated URL
        (``rel=canonical`` or ``og:url``) is stored under that URL; the old one becomes an alias."""
        info = urls.classify(page.url)
        if info.era not in (1, 2) or "html" not in (page.content_type or "text/html"):
            return
        html = HtmlResponse(page.url, body=page.body, headers={"Content-Type": page.content_type or "text/html"})
        for href in html.xpath("//link[@rel='canonical']/@href | //meta[@property='og:url']/@content").getall():
            target = urls.classify(html.urljoin(href.strip()))
            if target.kind == "article" and target.key != info.key:
                page.meta["redirected_from"] = [*page.meta["redirected_from"], page.url]
                page.url = page.meta["linked_as"] = target.canonical
                return

    # -- failures ----------------------------------------------------------------------------------
    def failed(self, failure):
        request = failure.request
        if request.meta.get("listing"):
            self.listing_failed = True
        decision = request.meta.get("decision")
        url = decision.url if decision else request.url
        if failure.check(HttpError):
            status = failure.value.response.status
            if status in BLOCK_STATUSES:
                self.crawler.stats.inc_value(f"almodon/blocked/{status}")
                self.skip(url, f"blocked_{status}", f"the archive refused us: {request.url}"[:200], status,
                          kind="blocked")
            else:
                self.skip(url, f"archive_http_{status}", request.url[:200], status, kind="failed")
        else:
            detail = str(failure.value)[:200]
            self.skip(url, failure_reason(failure.type.__name__, detail), detail, kind="failed")

    # a page not stored: logged and sent to the run ledger exactly as the crawl spider does
    skip = AlmodonSpider.skip
