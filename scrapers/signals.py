"""Signals of this project (Scrapy's signal API: any object is a signal)."""

#: A page was not stored: ``url, reason, detail, status, kind`` (kind: skipped | failed | blocked).
page_skipped = object()

#: Article URLs the site named (sitemaps, listings, feeds): ``rows`` ``{url: {section, day, via,
#: redirects_to}}``, for the ``discovered_urls`` table; the run ledger has them written.
urls_discovered = object()
