"""Thin Scrapy classes over the pure code: one straight line

    RawPage → ArchivePipeline → ExtractPipeline → ValidatePipeline → StorePipeline

The Scrapy process only fetches and archives: ``ArchivePipeline`` writes the raw page to the WARC
archive first (in this process); ``ExtractPipeline`` awaits the extraction steps (extract →
validate → normalise, ``process.prepare``) in a pool of worker processes; ``StorePipeline``
awaits the one SQLite writer, a process of its own (``pipelines.workers``). Memory stays flat:
pages wait in Scrapy's own scraper slot, which stops the downloader when it holds more than
``SCRAPER_SLOT_MAX_ACTIVE_SIZE`` bytes of responses.

``RunLedger``, the extension that owns the run, starts the workers and the writer, writes the
``crawl_runs`` row, first finishes what a killed run archived but did not store
(``pipelines.recover``), records every skipped page with its reason, and decides the run's
status and exit code. Every page that is not stored is dropped with ``Skip(reason)`` and counted
in the stats (``almodon/skipped/<reason>``).

Boundaries: the spider publishes its scope (mode, date window, base URL) in the crawler's
settings (``ALMODON_RUN_SCOPE``) and reports skips by signal; nothing here reads the spider's
attributes, and the spider never gets a writable store (``pipelines.seen`` is read-only).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sqlite3
from collections import Counter
from pathlib import Path

from scrapy import signals as scrapy_signals
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.defer import deferred_from_coro

from scrapers import signals
from scrapers.items import RawPage

from . import exits, records, recover
from .archive import WarcWriter
from .scope import SETTING as SCOPE_SETTING
from .scope import Scope
from .store import Store
from .workers import ExtractionPool, Writer

logger = logging.getLogger(__name__)

#: Exit codes of a crawl (``scrapy crawl`` returns them; see scrapers/commands/crawl.py).
EXIT_OK, EXIT_FAILED, EXIT_BLOCKED = 0, 1, 3


def default_workers() -> int:
    """Extraction processes: one per CPU but the one Scrapy keeps busy, at least 1, at most 4."""
    return max(1, min(4, (os.cpu_count() or 1) - 1))


class Skip(DropItem):
    """A page that is not stored, with a one-word reason (``listing``, ``soft404``, …)."""

    def __init__(self, reason: str, detail: str = "", kind: str = "skipped") -> None:
        self.reason, self.detail, self.kind = reason, detail, kind
        super().__init__(f"{reason}: {detail}" if detail else reason)


class RunLedger:
    """Owns the run: its workers, its one writer, its ``crawl_runs`` row and its counts."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.db_path = Path(settings.get("ALMODON_DB") or "data/almodon.db")
        warc_dir = settings.get("ALMODON_WARC_DIR")
        self.warc_dir = Path(warc_dir) if warc_dir else self.db_path.parent / "warc"
        self.warc = WarcWriter(self.warc_dir, settings.getint("ALMODON_WARC_MAX_BYTES", 256 * 1024 * 1024))
        self.scope = Scope.from_setting(settings.getdict(SCOPE_SETTING))
        workers = settings.get("ALMODON_EXTRACT_WORKERS")
        self.workers = default_workers() if workers in (None, "") else int(workers)
        self.writer: Writer | None = None
        self.pool: ExtractionPool | None = None
        self.reader: Store | None = None
        self.run_id: int | None = None
        self.skipped: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self.blocked = 0
        self.pending_aliases: list[records.Alias] = []
        self.fatal: str | None = None  # the one line of an error that stopped the run

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.get("ALMODON_DB"):
            raise NotConfigured("ALMODON_DB is not set")
        ledger = cls(crawler)
        crawler.signals.connect(ledger.spider_opened, scrapy_signals.spider_opened)
        crawler.signals.connect(ledger.spider_closed, scrapy_signals.spider_closed)
        crawler.signals.connect(ledger.item_dropped, scrapy_signals.item_dropped)
        crawler.signals.connect(ledger.page_skipped, signals.page_skipped)
        crawler.signals.connect(ledger.urls_discovered, signals.urls_discovered)
        return ledger

    def spider_opened(self, spider) -> None:
        inline = self.workers == 0
        # the workers start (and import) while the writer opens the database: neither waits
        self.pool = ExtractionPool(self.workers)
        self.writer = Writer(self.db_path, inline=inline)
        self.run_id = self.writer.run("start_run", job=self.scope.job, mode=self.scope.mode,
                                      base_url=self.scope.base_url or None, args=self.scope.run_args())
        self.crawler.stats.set_value("almodon/run_id", self.run_id)
        self.crawler.stats.set_value("almodon/extract_workers", self.workers)
        self.reader = Store(self.db_path, readonly=True)
        logger.info("Run %s writing to %s (%d extraction workers)", self.run_id, self.db_path, self.workers)
        try:
            self.recover()
        except Exception as exc:  # Scrapy would only log it: the run must say it failed
            if self.stop(exc):
                return
            logger.exception("Run %s could not finish what an interrupted run archived", self.run_id)
            self.crawler.stats.inc_value("almodon/recovery_errors")

    def recover(self) -> None:
        """Finish what an interrupted run archived but did not store (before fetching anything)."""
        conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)
        try:
            found = [u for u in recover.unfinished(conn, self.warc_dir, self.run_id)]
        finally:
            conn.close()
        found = [u for u in found if u.page.url]
        if not found:
            return
        results = self.pool.map(u.page for u in found)  # in order
        for unfinished, (page, kind, payload) in zip(found, results, strict=True):
            if unfinished.raw is not None:
                self.writer.run("raw", **unfinished.raw)
            self.finish(page, kind, payload)
            self.crawler.stats.inc_value("almodon/recovered")
        logger.info("Run %s finished %d pages an interrupted run had archived", self.run_id, len(found))

    def finish(self, page, kind: str, payload) -> None:
        """Store or skip one prepared page (recovery; the pipelines do the same per step)."""
        if kind == "ok":
            self.count(self.writer.run("store", payload, dataclasses.replace(page, body=b""), self.run_id))
        elif kind == "rejected":
            self.page_skipped(page.url, *payload, page.status)
        else:
            self.page_skipped(page.url, "extract_error", payload, page.status, kind="failed")

    def stop(self, exc: BaseException) -> bool:
        """A full disk (the WARC file here, the database in the writer) or a damaged database:
        close the spider once, keep the line for ``scrapy crawl`` (``almodon/fatal``, the
        import's wording from ``exits``); ``False`` for any other error."""
        described = exits.describe(exc, str(self.db_path)) if exits.is_fatal(exc) else None
        if described is None:
            return False
        if self.fatal is None:
            self.fatal = described[1]
            self.crawler.stats.set_value("almodon/fatal", self.fatal)
            logger.error("Run %s stopped: %s", self.run_id, self.fatal)
            reason = "disk_full" if self.fatal.startswith("no space left") else "fatal_error"
            deferred_from_coro(self.crawler.engine.close_spider_async(reason=reason))
        return True

    def page_skipped(self, url, reason, detail="", status=None, kind="skipped") -> None:
        if self.fatal is not None:  # the run is stopping: nothing more is written
            return
        if kind == "blocked":
            self.blocked += 1
        (self.failed if kind in {"failed", "blocked"} else self.skipped)[reason] += 1
        self.crawler.stats.inc_value(f"almodon/{kind}/{reason}")
        if self.writer is not None:
            self._watch(self.writer.submit("record_skip", self.run_id, url, reason, detail, status))

    def urls_discovered(self, rows) -> None:
        """Article URLs the site named (``discovered_urls``), written by the run's writer."""
        if self.writer is not None:
            self._watch(self.writer.submit("discovered", dict(rows)))

    def item_dropped(self, item, response, exception, spider=None) -> None:
        reason = getattr(exception, "reason", None) or "dropped"
        url = getattr(item, "url", None) or (item.get("url") if isinstance(item, dict) else "?")
        self.page_skipped(url, reason, getattr(exception, "detail", ""), getattr(item, "status", None),
                          kind=getattr(exception, "kind", "skipped"))

    def archive(self, page: RawPage) -> None:
        """Raw first: the WARC record now, in this process; its ``raw_pages`` row through the
        writer, which writes it before anything it is sent later for the page."""
        sha256 = page.sha256
        if self.reader.latest_raw_hash(page.url) == sha256:
            self.crawler.stats.inc_value("almodon/archive/duplicate")
            return
        try:
            name, offset, length = self.warc.write(page)
        except OSError as exc:
            if self.stop(exc):
                raise Skip("disk_full", kind="failed") from None
            raise
        self._watch(self.writer.submit(
            "raw", url=page.url, fetch_url=page.fetch_url, warc_file=name, offset=offset, length=length,
            fetched_at=page.fetched_at, status=page.status, content_type=page.content_type,
            sha256=sha256, run_id=self.run_id))
        self.crawler.stats.inc_value("almodon/archive/written")

    def _watch(self, future) -> None:
        def done(f):
            if f.exception() is not None and not self.stop(f.exception()):
                logger.error("the writer failed: %s", f.exception())
                self.crawler.stats.inc_value("almodon/writer_errors")
        future.add_done_callback(done)

    def count(self, outcome: str) -> None:
        self.crawler.stats.inc_value(f"almodon/{outcome}")

    def spider_closed(self, spider, reason) -> None:
        if self.writer is not None:
            # redirects to an article of this run that was never stored: not a silent loss
            for alias in [] if self.fatal else self.pending_aliases:
                if not self.writer.run("add_aliases", alias.url, alias.aliases):
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
        elif (reason != "finished" or (self.failed and not fetched_ok and not stored)
              or stats.get_value("almodon/writer_errors") or stats.get_value("almodon/recovery_errors")):
            status, code = "failed", EXIT_FAILED
            logger.error("Run %s FAILED (%s): %s", self.run_id, reason, dict(self.failed))
        else:
            status, code = "ok", EXIT_OK
        stats.set_value("almodon/exit_code", code)
        stats.set_value("almodon/status", status)
        self.warc.close()
        if self.pool is not None:
            self.pool.close()
            self.pool = None
        if self.reader is not None:
            self.reader.close()
            self.reader = None
        if self.writer is not None:
            try:
                self.writer.run("finish_run", self.run_id, counts, status=status, exit_code=code,
                                finish_reason=reason)
            except Exception as exc:
                if not self.stop(exc):
                    raise
                try:  # the counts did not fit: the status alone (an update in place)
                    self.writer.run("finish_run", self.run_id, {}, status=status, exit_code=code,
                                    finish_reason=reason)
                except Exception as again:  # noqa: BLE001 - the next run marks this one interrupted
                    logger.debug("Run %s: its row could not be finished: %s", self.run_id, again)
            self.writer.close()
            self.writer = None
        logger.info("Run %s %s: %s", self.run_id, status, {k: v for k, v in counts.items() if v})


def _ledger(crawler) -> RunLedger:
    ledger = crawler.get_extension(RunLedger)
    if ledger is None:
        raise NotConfigured("RunLedger extension is not enabled")
    return ledger


class _Step:
    """A pipeline step with access to the crawler (and so to the run's ledger and scope)."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.scope = Scope.from_setting(crawler.settings.getdict(SCOPE_SETTING))

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
            self.ledger.archive(item)
        return item


class ExtractPipeline(_Step):
    """RawPage → record: extract, validate (never a wrong value), normalise (NFC, tidy), in an
    extraction worker (``process.prepare``, the path reparse and import take too). Pages that
    are not stored are dropped with the reason."""

    async def process_item(self, item):
        if not isinstance(item, RawPage):
            return item
        if item.status == 304:
            return records.NotModified(url=item.meta.get("linked_as") or item.url, page=item)
        kind, payload = await self.ledger.pool.prepare(item, self.scope.extra_hosts)
        if kind == "rejected":
            raise Skip(*payload)
        if kind == "error":
            raise Skip("extract_error", payload, kind="failed")
        return records.FetchedRecord(record=payload, page=dataclasses.replace(item, body=b""))


class ValidatePipeline(_Step):
    """The run's scope: in archive mode, only articles published inside [since, until]."""

    def process_item(self, item):
        if isinstance(item, records.FetchedRecord) and not self.scope.in_window(item.record["published_date"]):
            raise Skip("out_of_range", item.record["published_date"] or "")
        return item


class StorePipeline(_Step):
    """Upsert into SQLite through the run's one writer; count each outcome of ``Store.upsert``."""

    async def process_item(self, item):
        ledger = self.ledger
        try:
            if isinstance(item, records.NotModified):
                await ledger.writer.call("touch", item.url, fetched_at=item.page.fetched_at, run_id=ledger.run_id)
                ledger.count("unchanged")
                ledger.count("not_modified")
            elif isinstance(item, records.FetchedRecord):
                source = getattr(item.page, "meta", {}).get("source", "crawl")  # a backfill: wayback | commoncrawl
                ledger.count(await ledger.writer.call("store", item.record, item.page, ledger.run_id, source))
            elif isinstance(item, records.Alias):
                ledger.pending_aliases.append(item)  # its article may still be in flight
        except (sqlite3.Error, OSError) as exc:
            if ledger.stop(exc):
                raise Skip("disk_full" if ledger.fatal.startswith("no space") else "fatal_error",
                           kind="failed") from None
            raise Skip("store_error", f"{type(exc).__name__}: {exc}", kind="failed") from None
        return item
