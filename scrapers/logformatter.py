"""Log dropped pages as one INFO line with the reason, never the item (it holds the body)."""

from __future__ import annotations

import logging

from scrapy.logformatter import LogFormatter


class QuietDrops(LogFormatter):
    def dropped(self, item, exception, response, spider):
        return {
            "level": logging.INFO,
            "msg": "Skipped %(url)s: %(exception)s",
            "args": {"url": getattr(item, "url", response.url if response else "?"), "exception": exception},
        }
