"""`scrapy crawl` for this project: one run per database at a time, and an honest exit status.

- exit 2 at once when another job holds the database (``pipelines.lock``);
- otherwise the run's own status from ``RunLedger``: 0 ok, 1 failed, 3 blocked by the site.
"""

from __future__ import annotations

import sys

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from pipelines.lock import Locked, db_lock

EXIT_LOCKED = 2


class Command(ScrapyCrawl):
    def run(self, args, opts):
        if len(args) != 1:
            raise UsageError("give exactly one spider name")
        db = self.settings.get("ALMODON_DB") or "data/almodon.db"
        try:
            with db_lock(db):
                self._crawl(args[0], opts)
        except Locked as exc:
            sys.stderr.write(f"almodon: {exc}\n")
            self.exitcode = EXIT_LOCKED

    def _crawl(self, name, opts) -> None:
        crawler = self._create_crawler(name)
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
        code = crawler.stats.get_value("almodon/exit_code") if crawler.stats else None
        if code:
            self.exitcode = int(code)
