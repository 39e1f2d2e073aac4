"""Validation and normalisation of article records: pure functions shared by the Scrapy
pipelines, ``almodon reparse`` and imports (one path into the store)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .extract.text import clean
from .extract.urls import CANONICAL_BASE

EARLIEST = date(1990, 1, 1)
MAX_HEADLINE = 500


@dataclass
class Alias:
    """Other URLs (``aliases``) that redirect to the article stored under ``url``."""

    aliases: list[str]
    url: str


@dataclass
class NotModified:
    """A conditional re-visit answered 304: the stored article ``url`` is still current."""

    url: str
    page: object


@dataclass
class FetchedRecord:
    """An extracted record travelling with the raw page it came from."""

    record: dict
    page: object  # scrapers.items.RawPage (kept untyped: no Scrapy import here)


def validate(record: dict, *, fetched_at: str | None = None) -> tuple[str, str] | None:
    """``None`` when the record may be stored, else ``(reason, detail)``."""
    url = record.get("url") or ""
    if not url.startswith(CANONICAL_BASE + "/"):
        return "not_site_url", url
    headline = record.get("headline") or ""
    if not headline.strip() or len(headline) > MAX_HEADLINE:
        return "bad_headline", headline[:80]
    if not any(p.strip() for p in record.get("paragraphs") or []):
        return "no_body", ""
    day = record.get("published_date")
    if day:
        try:
            published = date.fromisoformat(day)
        except ValueError:
            return "bad_date", day
        latest = date.fromisoformat(fetched_at[:10]) + timedelta(days=1) if fetched_at else None
        if published < EARLIEST or (latest and published > latest):
            return "bad_date", f"published {day} outside {EARLIEST}..{latest}"
    return None


def normalise(record: dict) -> dict:
    """NFC + tidy whitespace on every text field, drop empty paragraphs, de-duplicate images."""
    out = dict(record)
    out["headline"] = clean(record.get("headline"))
    out["paragraphs"] = [t for t in (clean(p) for p in record.get("paragraphs") or []) if t]
    out["body"] = "\n\n".join(out["paragraphs"])
    out["authors"] = list(dict.fromkeys(a for a in (clean(x) for x in record.get("authors") or []) if a))
    out["tags"] = list(dict.fromkeys(t for t in (clean(x) for x in record.get("tags") or []) if t))
    images, seen = [], set()
    for image in record.get("images") or []:
        if image.get("url") and image["url"] not in seen:
            seen.add(image["url"])
            images.append({k: (clean(v) or None) if isinstance(v, str) and k != "url" else v
                           for k, v in image.items()})
    out["images"] = images
    return out
