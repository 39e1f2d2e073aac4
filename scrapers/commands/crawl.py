"""`scrapy crawl` for this project: one run per database at a time, and an honest exit status
(the table in ``pipelines/exits.py``, the same as the ``almodon`` commands').

- bad spider arguments or a database that is not an Al-Modon archive: ONE line and exit 1,
  before Scrapy starts (so before its start-up log) and before the database is touched: no
  ``crawl_runs`` row, because no run happened;
- exit 2 at once when another job holds the database (``pipelines.lock``);
- otherwise the run's own status from ``RunLedger``: 0 ok, 1 failed, 3 blocked by the site.
"""

from __future__ import annotations

import sys

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from pipelines import exits
from pipelines.lock import db_lock
from pipelines.store import open_archive

EXIT_LOCKED = exits.LOCKED


def _fail(line: str, status: int = exits.ERROR) -> None:
    sys.stderr.write(f"almodon: {line}\n")
    sys.exit(status)


class Command(ScrapyCrawl):
    def process_options(self, args, opts):
        super().process_options(args, opts)
        if len(args) == 1 and args[0] == "almodon":
            from scrapers.spiders.almodon import check_arguments

            try:
                check_arguments(opts.spargs)
            except ValueError as exc:
                _fail(str(exc))
        db = self.settings.get("ALMODON_DB") or "data/almodon.db"
        try:
            open_archive(db, readonly=False, create=True).close()
        except Exception as exc:
            described = exits.describe(exc, db)
            if described is None:
                raise
            _fail(described[1], described[0])

    def run(self, args, opts):
        if len(args) != 1:
            raise UsageError("give exactly one spider name")
        db = self.settings.get("ALMODON_DB") or "data/almodon.db"
        try:
            with db_lock(db):
                self._crawl(args[0], opts)
        except Exception as exc:
            described = exits.describe(exc, db)
            if described is None:
                raise
            sys.stderr.write(f"almodon: {described[1]}\n")
            self.exitcode = described[0]

    def _crawl(self, name, opts) -> None:
        crawler = self._create_crawler(name)
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = exits.ERROR
        try:
            stats = crawler.stats
        except RuntimeError:  # "Crawler.stats is not set yet": the spider never started
            stats = None
        code = stats.get_value("almodon/exit_code") if stats else None
        if code:
            self.exitcode = int(code)
        fatal = stats.get_value("almodon/fatal") if stats else None
        if fatal:  # a full disk, a damaged database: the run stopped
            sys.stderr.write(f"almodon: {fatal}\n")
            self.exitcode = exits.ERROR
