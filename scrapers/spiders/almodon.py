"""The Al-Modon spider: discovers article URLs and fetches them. It extracts nothing.

    scrapy crawl almodon                                   # latest (RSS, home, listings, recent sitemaps)
    scrapy crawl almodon -a mode=archive -a since=2024-01-01 -a until=2024-12-31
    scrapy crawl almodon -a url=https://www.almodon.com/arabworld/2024/04/26/...  # one or more, comma-separated
    scrapy crawl almodon -a mode=refresh                    # re-visit stored articles by ALMODON_REFRESH_POLICY
    scrapy crawl almodon -a base_url=http://127.0.0.1:8765  # the local replica

Discovery: robots.txt ``Sitemap:`` lines (sitemap index → monthly sitemaps), ``/rss``, the home
page and the section listings (with their pagination), author listings. Works without sitemaps.
In ``archive`` mode the sitemaps are read first and the listings, feed and author listings wait
until the crawl of what the sitemaps named is done (Scrapy's ``spider_idle``); a listing is then
followed to its next page only while it can still lead to an article no sitemap gave
(:meth:`AlmodonSpider.leads_further`). Without sitemaps the listings are walked as before.
Every article URL is canonicalised before it is requested, so two spellings of one article are
fetched once; in ``latest`` mode articles already in the database are not fetched again.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import lru_cache
from urllib.parse import urlsplit

import scrapy
from protego import Protego
from scrapy import signals as scrapy_signals
from scrapy.exceptions import CannotResolveHostError, DontCloseSpider, DownloadTimeoutError
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.sitemap import Sitemap
from twisted.internet.error import DNSLookupError, TCPTimedOutError, TimeoutError

from pipelines import discovery, records, seen
from pipelines.extract import urls
from pipelines.fingerprints import FingerprintSet
from pipelines.scope import SETTING as SCOPE_SETTING
from pipelines.scope import Scope, site_hosts
from scrapers import signals
from scrapers.items import RawPage

DEFAULT_BASE_URL = urls.CANONICAL_BASE
MODES = ("latest", "archive", "urls", "refresh")
#: Sections known from public evidence; more are discovered from the home page's links.
SECTIONS = ("politics", "arabworld", "economy", "society", "culture", "opinion")
BLOCK_STATUSES = {403, 406, 429}
REDIRECTS = (301, 302, 303, 307, 308)
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_AUTHOR_LISTING = re.compile(rf"/getallauthorarticles/(\d+)/({_UUID})")
_AUTHOR_PAGE = re.compile(rf"^https?://[^/]+/authors?/({_UUID})/?$")
#: An author link in an article's bytes (read without parsing the page: most pages name none).
_AUTHOR_HREF = re.compile(rb"""href\s*=\s*["']?([^"'\s<>]*/authors?/[0-9a-fA-F-]{36}/?)(?=["'\s>])""")
_MONTH_IN_URL = re.compile(r"(20\d\d)[-/_](\d\d)")
_PAGE_NUMBER = re.compile(r"(?:[?&]page=|/page/)(\d+)")


#: Re-visit policy for mode=refresh: "<younger than>:<every>" pairs, in days, "*" for any age.
#: Default: articles younger than 3 days every run, younger than 30 days daily, older weekly.
DEFAULT_POLICY = "3:0,30:1,*:7"


def parse_policy(text: str) -> list[tuple[int | None, int]]:
    """``"3:0,30:1,*:7"`` → ``[(3, 0), (30, 1), (None, 7)]``."""
    policy = []
    for part in text.split(","):
        age, _, every = part.strip().partition(":")
        try:
            policy.append((None if age.strip() == "*" else int(age), int(every)))
        except ValueError:
            raise ValueError(f"ALMODON_REFRESH_POLICY={text!r}: expected e.g. '3:0,30:1,*:7'") from None
    return policy


#: Transport failures by exception name → the reason analysts read in ``skips_by_reason``.
_FAILURE_REASONS = {
    "DownloadFailedError": "connection_lost",
    "ConnectionLost": "connection_lost",
    "ConnectionDone": "connection_lost",
    "ResponseFailed": "connection_lost",
    "ConnectionRefusedError": "connection_refused",
    "ResponseDataLossError": "truncated",
    "DownloadCancelledError": "too_large",
    "error": "bad_encoding",  # zlib.error: a corrupt compressed body
}


def failure_reason(name: str, detail: str) -> str:
    """A readable reason for a failed download (the exception name when none is known)."""
    if name == "IgnoreRequest":
        return "robots_disallowed" if "robots.txt" in detail else "too_large"
    return _FAILURE_REASONS.get(name, name)


# Every page links the same navigation: the URL rewrites are memoised (bounded: memory stays flat).
_site_url = lru_cache(maxsize=1024)(urls.to_site_url)
_fetch_url = lru_cache(maxsize=1024)(urls.to_fetch_url)


def _day(value: str | None, name: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name}={value!r}: expected a real day YYYY-MM-DD") from None


#: The spider arguments (``-a NAME=VALUE``); ``_job`` is scrapyd's.
ARGUMENTS = ("mode", "since", "until", "url", "base_url")
_SITE_HOSTS = ("almodon.com", "www.almodon.com")


def check_arguments(args: dict[str, str | None]) -> None:
    """Raise ``ValueError`` (a one-line message) for arguments that would crawl something else
    than asked: an unknown name, a mode that does not exist, a day that is not one, ``since``
    after ``until``, a base URL without scheme, a ``url=`` on another host. ``scrapy crawl``
    calls this before anything starts (``scrapers/commands/crawl.py``); the spider again."""
    unknown = sorted(k for k in args if k not in ARGUMENTS and k != "_job")
    if unknown:
        raise ValueError(f"unknown spider argument {unknown[0]!r}: expected {', '.join(ARGUMENTS)}")
    base_url = (args.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
    base = urlsplit(base_url)
    if base.scheme not in ("http", "https") or not base.hostname:
        raise ValueError(f"base_url={base_url!r}: expected an http(s) URL such as http://127.0.0.1:8765")
    mode = args.get("mode") or "latest"
    if mode not in MODES:
        raise ValueError(f"mode={mode!r}: expected one of {', '.join(MODES)}")
    since, until = _day(args.get("since"), "since"), _day(args.get("until"), "until")
    if since and until and since > until:
        raise ValueError(f"since={since} is after until={until}: nothing to crawl")
    hosts = {*_SITE_HOSTS, base.hostname.lower()}
    for url in (u.strip() for u in (args.get("url") or "").split(",")):
        if not url:
            continue
        try:
            host = (urlsplit(url).hostname or "").lower()
        except ValueError:
            host = ""
        if host not in hosts:
            raise ValueError(f"url={url!r}: not on {' or '.join(sorted(hosts))}")


class AlmodonSpider(scrapy.Spider):
    name = "almodon"

    def __init__(self, base_url: str = DEFAULT_BASE_URL, mode: str = "latest", since: str | None = None,
                 until: str | None = None, url: str | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        check_arguments({"base_url": base_url, "mode": mode, "since": since, "until": until, "url": url})
        self.base_url = base_url.rstrip("/")
        self.urls = [u.strip() for u in (url or "").split(",") if u.strip()]
        self.mode = "urls" if self.urls else mode
        self.since, self.until = _day(since, "since"), _day(until, "until")
        self.extra_hosts = site_hosts(self.base_url)
        self.scope = Scope(mode=self.mode, base_url=self.base_url,
                           since=self.since.isoformat() if self.since else None,
                           until=self.until.isoformat() if self.until else None, urls=tuple(self.urls),
                           extra_hosts=self.extra_hosts)
        self.allowed_domains = ["almodon.com", urlsplit(self.base_url).hostname]
        # run-long memory of what was asked for: fingerprints, not strings (pipelines/fingerprints.py)
        self.seen_keys = FingerprintSet()
        self.listings_seen = FingerprintSet()
        self.known_urls: frozenset[str] = frozenset()  # latest mode: what the database already holds
        self.discovered: dict[str, dict] = {}  # article URLs the site named, for `almodon coverage`
        self.discovered_written = FingerprintSet()
        # Archive mode: listing requests held until the sitemaps' articles are crawled, and the
        # months whose monthly sitemap was read (a listing page of those months, all seen, ends
        # its walk).
        self.held: list[scrapy.Request] = []
        self.listings_released = self.mode != "archive"
        self.sitemap_months: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        """The run's scope goes into the crawler's settings (not yet frozen here), where the run
        ledger and the pipelines read it: they never read this spider's attributes."""
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.release_listings, scrapy_signals.spider_idle)
        if not crawler.settings.frozen:
            crawler.settings.set(SCOPE_SETTING, spider.scope.to_setting(), priority="spider")
        return spider

    # -- helpers -------------------------------------------------------------------------------
    def fetch_url(self, url: str) -> str:
        return _fetch_url(url, self.base_url)

    def site_url(self, url: str) -> str:
        return _site_url(url, self.base_url)

    def classify(self, url: str) -> urls.UrlInfo:
        return urls.classify(self.site_url(url), self.extra_hosts)

    def in_window(self, day: str | None) -> bool:
        return self.scope.in_window(day)

    def article_request(self, url: str, via: str, meta: dict | None = None, day: str | None = None):
        """A request for an article URL, or None when it is a duplicate, known, or out of range."""
        info = self.classify(url)
        if info.kind != "article" or not info.key:
            return None
        if via not in ("url", "refresh"):
            self.discover(info.canonical, section=info.section, day=info.url_date or day, via=via)
        stats = self.crawler.stats
        if info.key in self.seen_keys:
            return None
        self.seen_keys.add(info.key)
        if self.mode == "latest" and info.canonical in self.known_urls:
            stats.inc_value("almodon/discovery/already_stored")
            return None
        if not self.in_window(info.url_date):
            stats.inc_value("almodon/discovery/out_of_range")
            return None
        stats.inc_value(f"almodon/discovery/{via}")
        # Redirects of article URLs (numeric-era links → current URL) are followed here, not by
        # the middleware, so the store learns the alias even when the target was already fetched.
        # seen_keys (one key per article, whatever its spelling) is the duplicate filter here:
        # Scrapy's own (a fingerprint per request, kept for the run) is not asked.
        return scrapy.Request(
            self.fetch_url(url), callback=self.parse_article, errback=self.failed, dont_filter=True,
            meta={"via": via, "site_url": info.canonical, "dont_redirect": True,
                  "handle_httpstatus_list": list(REDIRECTS), **(meta or {})},
        )

    def discover(self, url: str, **fields) -> None:
        """Remember an article URL the site named (written in batches and when the spider closes)."""
        if url in self.discovered_written and not fields.get("redirects_to"):
            return  # listings repeat their links: each URL is written once a run
        row = self.discovered.setdefault(url, {})
        row.update({k: v for k, v in fields.items() if v and not row.get(k)})
        if len(self.discovered) >= 500:
            self.flush_discovered()

    def flush_discovered(self) -> None:
        """Hand the batch to the run's writer (by signal: the spider never writes the store)."""
        if self.discovered:
            self.crawler.signals.send_catch_log(signals.urls_discovered, rows=self.discovered)
            self.discovered_written.update(self.discovered)
            self.discovered = {}

    def closed(self, reason) -> None:
        self.flush_discovered()

    def listing(self, url: str, callback, via: str, **meta):
        """A request for a listing, feed or sitemap, unless this run already asked for it: every
        listing page links the whole pager, and building a Request per link only for Scrapy's
        dupefilter to drop it cost more than the articles (docs/benchmark.md)."""
        fetch = self.fetch_url(url).split("#", 1)[0]
        if fetch in self.listings_seen:
            return
        self.listings_seen.add(fetch)
        request = scrapy.Request(fetch, callback=callback, errback=self.failed, meta={"via": via, **meta})
        if via == "sitemap" or self.listings_released:
            yield request
        else:
            self.held.append(request)

    def release_listings(self) -> None:
        """``spider_idle``: every article the sitemaps named has been crawled; now the listings,
        the feed and the author listings (archive mode) fill what the sitemaps did not name."""
        self.listings_released = True
        if self.held:
            held, self.held = self.held, []
            self.crawler.stats.set_value("almodon/discovery/listings_held", len(held))
            for request in held:
                self.crawler.engine.crawl(request)
            raise DontCloseSpider

    def leads_further(self, fresh: int, months: set[str | None]) -> bool:
        """Archive mode: are the pages around this listing page worth requests? Yes while it
        names an article this run had not seen, or one dated in a month no sitemap covered: only
        then can its neighbours hold articles the sitemaps did not name. (A link of no known month
        that was already seen says nothing either way.) A page all before ``since`` ends the walk
        too: listings are newest first."""
        if self.mode != "archive":
            return True
        dated = {m for m in months if m}
        if self.since is not None and dated and len(dated) == len(months) \
                and max(dated) < self.since.isoformat()[:7]:
            return False
        return bool(fresh) or any(m not in self.sitemap_months for m in dated)

    @staticmethod
    def last_page(links: list[str]) -> list[str]:
        """The pager link with the highest page number (the listing's oldest articles): probed
        even when a page adds nothing, so sitemaps that stop short of the site's first years do
        not hide them; the walk then goes back from there while pages add something."""
        numbered = [(int(m.group(1)), link) for link in links if (m := _PAGE_NUMBER.search(link))]
        return [max(numbered)[1]] if numbered else []

    # -- discovery -------------------------------------------------------------------------------
    def _db(self) -> str:
        return self.settings.get("ALMODON_DB") or "data/almodon.db"

    async def start(self):
        if self.mode == "refresh":
            for req in self.refresh_requests():
                yield req
            return
        if self.mode == "latest":
            self.known_urls = seen.seen_urls(self._db())  # read-only
        if self.mode == "urls":
            for u in self.urls:
                req = self.article_request(u, "url")
                if req is None:
                    self.skip(u, "not_article_url", "given url= is not an article URL")
                else:
                    yield req
            return
        yield scrapy.Request(f"{self.base_url}/robots.txt", callback=self.parse_robots,
                             errback=self.failed, meta={"via": "robots"})
        for req in (*self.listing(f"{self.base_url}/rss", self.parse_rss, "rss"),
                    *self.listing(f"{self.base_url}/", self.parse_listing, "home", page=1)):
            yield req
        for section in SECTIONS:
            for req in self.listing(f"{self.base_url}/{section}", self.parse_listing, "listing", page=1):
                yield req

    def refresh_requests(self):
        """Conditional re-visits of stored articles that the policy says are due."""
        policy = parse_policy(self.settings.get("ALMODON_REFRESH_POLICY", DEFAULT_POLICY))
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        due = seen.due_for_refresh(self._db(), policy, now)  # read-only
        self.crawler.stats.set_value("almodon/refresh/due", len(due))
        for row in due:
            headers = {}
            if row["etag"]:
                headers["If-None-Match"] = row["etag"]
            if row["last_modified_http"]:
                headers["If-Modified-Since"] = row["last_modified_http"]
            yield scrapy.Request(
                self.fetch_url(row["original_url"] or row["url"]), callback=self.parse_article,
                errback=self.failed, headers=headers, dont_filter=True,
                meta={"via": "refresh", "site_url": row["url"], "dont_redirect": True,
                      "handle_httpstatus_list": [304, *REDIRECTS]},
            )

    def parse_robots(self, response):
        robots = Protego.parse(response.text)
        sitemaps = list(robots.sitemaps)
        self.crawler.stats.set_value("almodon/robots_sitemaps", len(sitemaps))
        for sm in sitemaps:
            yield from self.listing(sm, self.parse_sitemap, "sitemap")

    def parse_sitemap(self, response):
        try:
            sitemap = Sitemap(response.body)
        except Exception as exc:  # noqa: BLE001 - any parser failure is a counted skip
            self.skip(response.url, "bad_sitemap", str(exc)[:200], response.status)
            return
        if sitemap.type == "sitemapindex":
            for entry in sitemap:
                loc = entry.get("loc", "")
                if self._sitemap_wanted(loc, entry.get("lastmod")):
                    yield from self.listing(loc, self.parse_sitemap, "sitemap")
        elif sitemap.type == "urlset":
            m = _MONTH_IN_URL.search(self.site_url(response.url))
            if m:
                self.sitemap_months.add(f"{m.group(1)}-{m.group(2)}")
            entries = 0
            for entry in sitemap:
                entries += 1
                req = self.article_request(entry.get("loc", ""), "sitemap",
                                           day=discovery.beirut_day(entry.get("lastmod")))
                if req:
                    yield req
            if not entries:
                self.skip(self.site_url(response.url), "bad_sitemap", "no <url> entries", response.status)
        else:
            self.skip(response.url, "bad_sitemap", f"root element {sitemap.type!r}", response.status)

    def _sitemap_wanted(self, loc: str, lastmod: str | None) -> bool:
        """Monthly sitemaps: in latest mode only the recent months; in archive mode those that
        overlap [since, until]. Sitemaps whose month cannot be told are always read."""
        m = _MONTH_IN_URL.search(loc)
        if not m:
            return True
        year, month = int(m.group(1)), int(m.group(2))
        if self.mode == "latest":
            today = datetime.now(UTC).date()
            back = (today.year - year) * 12 + today.month - month
            return back < self.settings.getint("ALMODON_LATEST_SITEMAP_MONTHS", 2)
        first = date(year, month, 1)
        last = date(year + month // 12, month % 12 + 1, 1)
        return (self.until is None or first <= self.until) and (self.since is None or last > self.since)

    def parse_rss(self, response):
        links = response.xpath("//item/link/text() | //entry/link/@href").getall()
        if not links:
            self.skip(response.url, "bad_feed", "no items", response.status)
        for link in links:
            req = self.article_request(link.strip(), "rss")
            if req:
                yield req

    def parse_listing(self, response):
        """Home, section and author listings: article links, then the next page."""
        page = response.meta.get("page", 1)
        max_pages = (
            self.settings.getint("ALMODON_LATEST_LISTING_PAGES", 2) if self.mode == "latest" else 10_000
        )
        articles = fresh = 0
        months: set[str | None] = set()
        pages: list[str] = []
        for href in response.css("a::attr(href)").getall():
            absolute = response.urljoin(href)
            info = self.classify(absolute)
            if info.kind == "article":
                articles += 1
                fresh += info.key not in self.seen_keys
                months.add(info.url_date[:7] if info.url_date else None)
                req = self.article_request(absolute, "listing")
                if req:
                    yield req
            elif info.kind == "section" and page < max_pages:  # a section's first page: always
                yield from self.listing(absolute, self.parse_listing, "listing", page=page + 1)
            elif info.kind in {"listing", "author_listing"} and page < max_pages:
                pages.append(absolute)
        further = self.leads_further(fresh, months)
        if not further and (pages or articles):
            self.crawler.stats.inc_value("almodon/discovery/listing_walk_ended")
        for absolute in pages if further else self.last_page(pages):
            yield from self.listing(absolute, self.parse_listing, "listing", page=page + 1)
        # The 2025 author endpoint prints no pager (the site's script asks for the next page):
        # ask for page n+1 while page n still lists articles.
        m = _AUTHOR_LISTING.search(self.site_url(response.url))
        if m and articles and further and page < max_pages:
            next_page = f"{urls.CANONICAL_BASE}/getallauthorarticles/{int(m.group(1)) + 1}/{m.group(2)}"
            yield from self.listing(next_page, self.parse_listing, "listing", page=page + 1)

    def author_listings(self, response):
        """Archive mode: an article's author links lead to the 2025 author listing endpoint,
        which reaches the author's older articles that listings and feeds no longer show."""
        if self.mode != "archive":
            return
        for href in _AUTHOR_HREF.findall(response.body):
            info = self.classify(response.urljoin(href.decode("latin-1")))  # the site's, not another host's
            m = _AUTHOR_PAGE.search(info.canonical) if info.kind == "author" else None
            if m:
                listing = f"{urls.CANONICAL_BASE}/getallauthorarticles/1/{m.group(1).lower()}"
                yield from self.listing(listing, self.parse_listing, "author", page=1)

    # -- fetch ---------------------------------------------------------------------------------
    def follow_redirect(self, response):
        """An article URL answered with a redirect: request the target once, remember the alias."""
        alias = response.meta.get("site_url")
        location = response.headers.get("Location", b"").decode("latin-1")
        hops = response.meta.get("hops", 0) + 1
        aliases = [*response.meta.get("aliases", []), alias]
        asked = aliases[0]  # the URL the crawl asked for: skips are recorded under it
        target = self.classify(response.urljoin(location)) if location else None
        if (target is not None and target.kind == "article" and urls.classify(asked).kind == "article"
                and response.meta.get("via") not in ("url", "refresh")):
            self.discover(urls.classify(asked).canonical, redirects_to=target.canonical)
        if target is None or target.kind != "article":
            kind = target.kind if target else "no_location"
            self.skip(asked, f"redirect_{kind}", location[:200], response.status)
            return
        if target.key in {self.classify(a).key for a in aliases}:
            self.skip(asked, "redirect_loop", " -> ".join([*aliases, target.canonical])[:200], response.status)
            return
        if hops > self.settings.getint("REDIRECT_MAX_TIMES", 5):
            self.skip(asked, "redirect_too_many", location[:200], response.status)
            return
        if target.key in self.seen_keys:
            yield records.Alias(aliases=aliases, url=target.canonical)
            return
        req = self.article_request(response.urljoin(location), response.meta.get("via", "redirect"),
                                   meta={"aliases": aliases, "hops": hops})
        if req is not None:
            yield req

    def parse_article(self, response):
        if response.status in REDIRECTS:
            yield from self.follow_redirect(response)
            return
        headers = {
            k.decode("latin-1").lower(): v[0].decode("latin-1") for k, v in response.headers.items() if v
        }
        site_url = self.site_url(response.url)
        yield from self.author_listings(response)
        yield RawPage(
            url=site_url,
            fetch_url=response.url,
            status=response.status,
            headers=headers,
            body=response.body,
            fetched_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            via=response.meta.get("via", ""),
            meta={"linked_as": response.meta.get("site_url"),
                  "redirected_from": [*response.meta.get("aliases", []),
                                      *(self.site_url(u) for u in response.meta.get("redirect_urls", []))]},
        )

    def failed(self, failure):
        """Errback: every failed request is a counted, logged skip with its reason."""
        request = failure.request
        url = self.site_url(request.url)
        if failure.check(HttpError):
            status = failure.value.response.status
            if status in BLOCK_STATUSES:
                self.crawler.stats.inc_value(f"almodon/blocked/{status}")
                self.skip(url, f"blocked_{status}", "the site refused us", status, kind="blocked")
            elif status in (404, 410):
                self.skip(url, f"http_{status}", "", status)
            else:
                self.skip(url, f"http_{status}", "", status, kind="failed")
        elif failure.check(DNSLookupError, CannotResolveHostError):
            self.skip(url, "dns", str(failure.value)[:200], kind="failed")
        elif failure.check(TimeoutError, TCPTimedOutError, DownloadTimeoutError):
            self.skip(url, "timeout", str(failure.value)[:200], kind="failed")
        else:
            detail = str(failure.value)[:200]
            self.skip(url, failure_reason(failure.type.__name__, detail), detail, kind="failed")

    def skip(self, url: str, reason: str, detail: str = "", status: int | None = None, kind: str = "skipped"):
        self.logger.info("%s %s: %s %s", kind.capitalize(), url, reason, detail)
        self.crawler.signals.send_catch_log(
            signals.page_skipped, url=url, reason=reason, detail=detail, status=status, kind=kind
        )

