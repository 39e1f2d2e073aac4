"""Thin Scrapy classes over the pure code: one straight line

    RawPage → ArchivePipeline → ExtractPipeline → ValidatePipeline → NormalisePipeline → StorePipeline

(after ``ArchivePipeline``, which keeps the raw page first), plus ``RunLedger``, the extension that owns the database for a run: it opens the store, writes
the ``crawl_runs`` row, records every skipped page with its reason, and decides the run's status
and exit code. Every page that is not stored is dropped with ``Skip(reason)`` and counted.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

from scrapy import signals as scrapy_signals
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.defer import deferred_from_coro

from scrapers import signals
from scrapers.items import RawPage

from . import exits, process, records
from .archive import WarcWriter
from .store import Store

logger = logging.getLogger(__name__)

#: Exit codes of a crawl (``scrapy crawl`` returns them; see scrapers/commands/crawl.py).
EXIT_OK, EXIT_FAILED, EXIT_BLOCKED = 0, 1, 3


class Skip(DropItem):
    """A page that is not stored, with a one-word reason (``listing``, ``soft404``, …)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason, self.detail = reason, detail
        super().__init__(f"{reason}: {detail}" if detail else reason)


class RunLedger:
    """Owns the Store for one crawl and its ``crawl_runs`` row."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.db_path = Path(crawler.settings.get("ALMODON_DB") or "data/almodon.db")
        warc_dir = crawler.settings.get("ALMODON_WARC_DIR")
        self.warc = WarcWriter(
            Path(warc_dir) if warc_dir else self.db_path.parent / "warc",
            crawler.settings.getint("ALMODON_WARC_MAX_BYTES", 256 * 1024 * 1024),
        )
        self.store: Store | None = None
        self.run_id: int | None = None
        self.skipped: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self.blocked = 0
        self.pending_aliases: list[records.Alias] = []
        self.fatal_line: str | None = None

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.get("ALMODON_DB"):
            raise NotConfigured("ALMODON_DB is not set")
        ledger = cls(crawler)
        crawler.signals.connect(ledger.spider_opened, scrapy_signals.spider_opened)
        crawler.signals.connect(ledger.spider_closed, scrapy_signals.spider_closed)
        crawler.signals.connect(ledger.item_dropped, scrapy_signals.item_dropped)
        crawler.signals.connect(ledger.page_skipped, signals.page_skipped)
        return ledger

    def spider_opened(self, spider) -> None:
        self.store = Store(self.db_path)
        args = {k: getattr(spider, k, None) for k in ("since", "until", "urls")}
        self.run_id = self.store.start_run(
            job=getattr(spider, "job", "crawl"), mode=getattr(spider, "mode", None), base_url=getattr(spider, "base_url", None),
            args={k: (str(v) if v is not None else None) for k, v in args.items()},
        )
        self.crawler.stats.set_value("almodon/run_id", self.run_id)
        if getattr(spider, "mode", None) == "latest":
            spider.known_urls = self.store.known_urls()
        logger.info("Run %s writing to %s", self.run_id, self.db_path)

    def page_skipped(self, url, reason, detail="", status=None, kind="skipped") -> None:
        if kind == "blocked":
            self.blocked += 1
        (self.failed if kind in {"failed", "blocked"} else self.skipped)[reason] += 1
        self.crawler.stats.inc_value(f"almodon/{kind}/{reason}")
        if self.store is not None and self.fatal_line is None:
            try:
                self.store.record_skip(self.run_id, url, reason, detail, status)
            except Exception as exc:
                if not self.stop_on(exc):
                    raise

    def stop_on(self, exc: BaseException) -> bool:
        """A full disk or a damaged database while writing: stop the crawl (once) with one
        logged line, which ``scrapy crawl`` prints as its ``almodon: …`` line (exit 1). False
        for any other exception."""
        if not exits.is_fatal(exc):
            return False
        if self.fatal_line is None:
            self.fatal_line = exits.describe(exc, str(self.db_path))[1]
            self.crawler.stats.set_value("almodon/fatal", self.fatal_line)
            logger.error("Run %s stopped: %s", self.run_id, self.fatal_line)
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="fatal_error"))
        return True

    def item_dropped(self, item, response, exception, spider=None) -> None:
        reason = getattr(exception, "reason", None) or "dropped"
        url = getattr(item, "url", None) or (item.get("url") if isinstance(item, dict) else "?")
        self.page_skipped(url, reason, getattr(exception, "detail", ""), getattr(item, "status", None))

    def archive(self, page: RawPage) -> None:
        if self.store.latest_raw_hash(page.url) == page.sha256:
            self.crawler.stats.inc_value("almodon/archive/duplicate")
            return
        name, offset, length = self.warc.write(page)
        self.store.add_raw(url=page.url, fetch_url=page.fetch_url, warc_file=name, offset=offset,
                           length=length, fetched_at=page.fetched_at, status=page.status,
                           content_type=page.content_type, sha256=page.sha256, run_id=self.run_id)
        self.crawler.stats.inc_value("almodon/archive/written")

    def count(self, outcome: str) -> None:
        self.crawler.stats.inc_value(f"almodon/{outcome}")

    def spider_closed(self, spider, reason) -> None:
        if self.store is not None and self.fatal_line is None:
            # redirects to an article of this run that was never stored: not a silent loss
            for alias in self.pending_aliases:
                if not self.store.add_aliases(alias.url, alias.aliases):
                    for url in dict.fromkeys(alias.aliases):
                        self.page_skipped(url, "redirect_unresolved", f"-> {alias.url}", None)
            self.pending_aliases = []
        stats = self.crawler.stats
        counts = {
            "requests": stats.get_value("downloader/request_count", 0),
            "responses": stats.get_value("downloader/response_count", 0),
            "new": stats.get_value("almodon/new", 0),
            "updated": stats.get_value("almodon/updated", 0),
            "unchanged": stats.get_value("almodon/unchanged", 0),
            "earlier": stats.get_value("almodon/earlier", 0),
            "reextracted": stats.get_value("almodon/reextracted", 0),
            "degraded": stats.get_value("almodon/degraded", 0),
            "blocked": self.blocked,
            "skipped_reasons": dict(self.skipped),
            "failed_reasons": dict(self.failed),
        }
        stored = sum(counts[k] for k in ("new", "updated", "unchanged", "earlier", "reextracted", "degraded"))
        fetched_ok = stats.get_value("downloader/response_status_count/200", 0)
        if self.blocked and not fetched_ok:
            status, code = "blocked", EXIT_BLOCKED
            logger.error("Run %s BLOCKED: the site refused %d requests (%s)", self.run_id, self.blocked,
                         ", ".join(f"{k}={v}" for k, v in self.failed.items()))
        elif reason != "finished" or (self.failed and not fetched_ok and not stored):
            status, code = "failed", EXIT_FAILED
            logger.error("Run %s FAILED (%s): %s", self.run_id, reason, dict(self.failed))
        else:
            status, code = "ok", EXIT_OK
        stats.set_value("almodon/exit_code", code)
        stats.set_value("almodon/status", status)
        try:
            self.warc.close()
        except OSError:
            pass  # a full disk: already reported
        if self.store is not None:
            try:
                self.store.finish_run(self.run_id, counts, status=status, exit_code=code, finish_reason=reason)
            except Exception as exc:  # the next run marks this one interrupted
                if not self.stop_on(exc):
                    raise
            self.store.close()
            self.store = None
        logger.info("Run %s %s: %s", self.run_id, status, {k: v for k, v in counts.items() if v})


def _ledger(crawler) -> RunLedger:
    ledger = crawler.get_extension(RunLedger)
    if ledger is None:
        raise NotConfigured("RunLedger extension is not enabled")
    return ledger


class _Step:
    """A pipeline step with access to the crawler (and so to the run's ledger)."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    @property
    def ledger(self) -> RunLedger:
        return _ledger(self.crawler)


class ArchivePipeline(_Step):
    """Raw first: every fetched page goes into the WARC archive (and its index) before anything
    else looks at it, so the archive can be re-extracted later. A body identical to the last
    archived one for the same URL is not written twice."""

    def process_item(self, item):
        if isinstance(item, RawPage) and item.status == 200:
            try:
                self.ledger.archive(item)
            except Exception as exc:
                if not self.ledger.stop_on(exc):
                    raise
                raise Skip("not_stored", self.ledger.fatal_line or "") from None
        return item


class ExtractPipeline(_Step):
    """RawPage → record (the pure extractor); non-articles are skipped with the reason."""

    def process_item(self, item):
        if not isinstance(item, RawPage):
            return item
        if item.status == 304:
            return records.NotModified(url=item.meta.get("linked_as") or item.url, page=item)
        hosts = getattr(self.crawler.spider, "extra_hosts", ())
        try:
            return records.FetchedRecord(record=process.extract_record(item, hosts), page=item)
        except process.Rejected as exc:
            raise Skip(exc.reason, exc.detail) from None


class ValidatePipeline(_Step):
    """Drop records that would store a wrong value; never a silent bad row."""

    def process_item(self, item):
        if not isinstance(item, records.FetchedRecord):
            return item
        try:
            process.validate_record(item.record, item.page)
        except process.Rejected as exc:
            raise Skip(exc.reason, exc.detail) from None
        spider = self.crawler.spider
        if getattr(spider, "mode", None) == "archive" and not spider.in_window(item.record["published_date"]):
            raise Skip("out_of_range", item.record["published_date"] or "")
        return item


class NormalisePipeline(_Step):
    """Text to NFC with whitespace tidied on every field, images de-duplicated."""

    def process_item(self, item):
        if isinstance(item, records.FetchedRecord):
            item.record = records.normalise(item.record)
        return item


class StorePipeline(_Step):
    """Upsert into SQLite through the run's Store; count each outcome of ``Store.upsert``."""

    def process_item(self, item):
        try:
            return self._store(item)
        except Exception as exc:
            if not self.ledger.stop_on(exc):
                raise
            raise Skip("not_stored", self.ledger.fatal_line or "") from None

    def _store(self, item):
        ledger = self.ledger
        if isinstance(item, records.NotModified):
            ledger.store.touch(item.url, fetched_at=item.page.fetched_at, run_id=ledger.run_id)
            ledger.count("unchanged")
            ledger.count("not_modified")
        elif isinstance(item, records.FetchedRecord):
            source = getattr(item.page, "meta", {}).get("source", "crawl")  # a backfill: wayback | commoncrawl
            ledger.count(process.store_record(ledger.store, item.record, item.page, ledger.run_id, source))
        elif isinstance(item, records.Alias):
            ledger.pending_aliases.append(item)  # its article may still be in flight
        return item
