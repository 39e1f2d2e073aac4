"""Fetch one page outside a crawl (debugging, the live canary), with the crawler's own honest
headers and limits. Crawls always go through Scrapy; this is for single pages only."""

from __future__ import annotations

import urllib.request

from scrapers import settings


def fetch_one(url: str, timeout: float | None = None) -> tuple[bytes, str | None, str]:
    """``(body, content type, final URL)``; raises ``OSError`` (incl. HTTP errors) on failure."""
    headers = {"User-Agent": settings.USER_AGENT, **settings.DEFAULT_REQUEST_HEADERS}
    req = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(req, timeout=timeout or settings.DOWNLOAD_TIMEOUT) as resp:
        return resp.read(settings.DOWNLOAD_MAXSIZE), resp.headers.get("Content-Type"), resp.geturl()
