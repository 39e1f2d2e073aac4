"""`scrapy crawl` with an honest exit status: non-zero when the run failed or was blocked,
so cron, systemd and Scrapyd see it (the run's status is decided by ``RunLedger``)."""

from __future__ import annotations

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError


class Command(ScrapyCrawl):
    def run(self, args, opts):
        if len(args) != 1:
            raise UsageError("give exactly one spider name")
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
        code = crawler.stats.get_value("almodon/exit_code") if crawler.stats else None
        if code:
            self.exitcode = int(code)
