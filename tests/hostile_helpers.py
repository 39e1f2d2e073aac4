"""Test-only Scrapy components for ``tests/test_hostile.py`` (imported by a crawl subprocess
through ``PYTHONPATH``, like ``faults_server``)."""

from __future__ import annotations

from scrapy import signals


class FillTheDisk:
    """Spider middleware: once the run is open, the database may not grow by a single page
    (``PRAGMA max_page_count``): every write that needs space fails as on a full disk
    (SQLITE_FULL), the rest of the crawl is the real one."""

    @classmethod
    def from_crawler(cls, crawler):
        mw = cls()
        mw.crawler = crawler
        crawler.signals.connect(mw.spider_opened, signals.spider_opened)
        return mw

    def spider_opened(self, spider) -> None:
        from pipelines.scrapy_pipelines import RunLedger

        conn = self.crawler.get_extension(RunLedger).store.conn
        conn.execute(f"PRAGMA max_page_count = {conn.execute('PRAGMA page_count').fetchone()[0]}")
