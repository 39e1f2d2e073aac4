"""The one path from a fetched page to the store, as plain functions.

The Scrapy pipelines (``scrapy_pipelines.py``) call these one step per class; ``almodon reparse``
and ``almodon import-warc`` call :func:`process`, which runs the very same steps in the same order:
extract → validate → normalise → store.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from . import records
from .archive import Fetched
from .extract import NotAnArticle, extract, urls
from .extract import version as extractor
from .store import Store

#: Content types that may hold an article page (a missing type is tried as HTML).
_HTML_TYPE = re.compile(r"html|xml|text/plain|octet-stream")


class Rejected(Exception):
    """A page that is not stored, with a one-word reason (``listing``, ``soft404``, ``bad_date``…)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason, self.detail = reason, detail
        super().__init__(f"{reason}: {detail}" if detail else reason)


def _when(fetched_at: str) -> datetime | None:
    if not fetched_at:
        return None
    return datetime.strptime(fetched_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def extract_record(page: Fetched, extra_hosts: tuple[str, ...] = ()) -> dict:
    """Step 1: the pure extractor. Non-articles raise ``Rejected``."""
    if page.status != 200:
        raise Rejected(f"http_{page.status}")
    kind = (page.content_type or "").split(";")[0].strip().lower()
    if kind and not _HTML_TYPE.search(kind):
        raise Rejected("not_html", kind)
    try:
        article = extract(page.body, page.url, content_type=page.content_type,
                          fetched_at=_when(page.fetched_at), extra_hosts=extra_hosts)
    except NotAnArticle as exc:
        raise Rejected(exc.reason, exc.detail) from None
    return {**article.to_dict(), "extractor_version": extractor.EXTRACTOR_VERSION}


def validate_record(record: dict, page: Fetched) -> dict:
    """Step 2: never store a wrong value."""
    problem = records.validate(record, fetched_at=page.fetched_at)
    if problem:
        raise Rejected(*problem)
    return record


def store_record(store: Store, record: dict, page: Fetched, run_id: int | None, source: str = "crawl") -> str:
    """Step 4: upsert; returns new / updated / earlier / reextracted / degraded / unchanged (``Store.upsert``).
    ``source`` says where the page came from (crawl, wayback, commoncrawl, import, reparse)."""
    redirected = getattr(page, "meta", {}).get("redirected_from", [])
    aliases = [c for c in (urls.canonicalize(u) for u in [*redirected, page.url]) if c]
    return store.upsert(
        record, run_id=run_id, fetched_at=page.fetched_at or None, http_status=page.status,
        etag=page.headers.get("etag"), last_modified=page.headers.get("last-modified"), aliases=aliases,
        source=source,
    )


def prepare(page: Fetched, extra_hosts: tuple[str, ...] = ()) -> dict:
    """Steps 1-3 (pure, no database): the record to store; raises ``Rejected``."""
    return records.normalise(validate_record(extract_record(page, extra_hosts), page))


def process(page: Fetched, store: Store, run_id: int | None, extra_hosts: tuple[str, ...] = (),
            source: str = "crawl") -> str:
    """All four steps for one page; raises ``Rejected`` for pages that are not stored."""
    return store_record(store, prepare(page, extra_hosts), page, run_id, source)
