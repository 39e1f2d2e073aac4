"""Backfill from web archives (the Wayback Machine, Common Crawl) and the coverage report.

``captures``: reading archive indexes and choosing captures (pure); ``state``: the cursor and
capture tables; the Scrapy spider is ``scrapers/spiders/backfill.py``; ``command``: ``almodon
backfill``; ``coverage``: ``almodon coverage``.
"""
