"""Signals of this project (Scrapy's signal API: any object is a signal)."""

#: A page was not stored: ``url, reason, detail, status, kind`` (kind: skipped | failed | blocked).
page_skipped = object()
