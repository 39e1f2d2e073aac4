"""Layer 1: structured data — JSON-LD first, then OpenGraph / ``article:*`` / Dublin Core meta.

Each function returns the candidates it found; ``extract.py`` merges layers and records sources.
"""

from __future__ import annotations

import re
from dataclasses import replace
from urllib.parse import urljoin

from . import dates
from .article import Image
from .media import _absolute
from .page import Page
from .text import clean

# "… | المدن", "… - المدن", "المدن - …", "almodon | …" (site name around a headline in titles)
_SITE = r"(?:المدن|almodon(?:\.com)?|al-modon)"
_SUFFIX = re.compile(rf"\s*[|\-–—:]\s*{_SITE}\s*$", re.IGNORECASE)
_PREFIX = re.compile(rf"^\s*{_SITE}\s*[|\-–—:]\s*", re.IGNORECASE)
_SITE_ONLY = re.compile(rf"^\s*{_SITE}\s*$", re.IGNORECASE)


def _iso(page: Page, value: str, source: str):
    """``dates.parse_iso`` once per page and value: JSON-LD and meta usually print the same
    instant; the second layer gets the same reading under its own source."""
    memo = page.memo.setdefault("iso", {})
    if value not in memo:
        memo[value] = dates.parse_iso(value, source=source)
    ts = memo[value]
    return ts if ts is None or ts.source == source else replace(ts, source=source)


def strip_site_name(title: str | None) -> str | None:
    """Remove the site's name from a title: ``… | المدن`` and ``المدن - …``."""
    if not title:
        return None
    text = clean(title)
    if _names_site(text):  # the patterns only when the name is there (they scan every position)
        text = _PREFIX.sub("", _SUFFIX.sub("", text))
    return text or None


def _names_site(text: str) -> bool:
    """Whether ``text`` may hold the site's name (``_SITE``): a necessary condition."""
    return "المدن" in text or "modon" in text.lower()


def is_site_name(name: str) -> bool:
    return bool(name) and _names_site(name) and bool(_SITE_ONLY.match(name))


def _names(value) -> list[str]:
    """Person names from a JSON-LD ``author`` value (str, dict, or list of either)."""
    if value is None:
        return []
    if isinstance(value, list):
        return [n for v in value for n in _names(v)]
    if isinstance(value, dict):
        if str(value.get("@type", "")).lower() == "organization":
            return []
        return _names(value.get("name"))
    name = clean(str(value))
    if not name or name.startswith("http") or is_site_name(name):
        return []
    return [name]


def _strings(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    if isinstance(value, dict):
        return _strings(value.get("name"))
    return [s for s in (clean(p) for p in re.split(r"[,،]", str(value))) if s]


def _images(value, base: str) -> list[Image]:
    if value is None:
        return []
    if isinstance(value, list):
        return [i for v in value for i in _images(v, base)]
    if isinstance(value, dict):
        url = value.get("url") or value.get("contentUrl")
        if not isinstance(url, str) or not url.strip():
            return []
        caption = clean(value.get("caption") or "") or None
        return [Image(url=_absolute(base, url.strip()), caption=caption, caption_raw=caption)]
    if isinstance(value, str) and value.strip():
        return [Image(url=_absolute(base, value.strip()))]
    return []


def from_jsonld(page: Page) -> dict:
    """Candidates from the first article-typed JSON-LD object."""
    if not page.jsonld:
        return {}
    obj = page.jsonld[0]
    out: dict = {}
    headline = strip_site_name(str(obj.get("headline") or obj.get("name") or ""))
    if headline:
        out["headline"] = headline
    authors = _names(obj.get("author"))
    if authors:
        out["authors"] = authors
    for key, field in (("datePublished", "published"), ("dateModified", "modified")):
        value = obj.get(key)
        if isinstance(value, str):
            ts = _iso(page, value, "jsonld")
            if ts:
                out[field] = ts
    section = _strings(obj.get("articleSection"))
    if section:
        out["section_name"] = section[0]
    tags = _strings(obj.get("keywords"))
    if tags:
        out["tags"] = tags
    images = _images(obj.get("image"), page.url)
    if images:
        out["images"] = images
    summary = clean(str(obj.get("description") or ""))
    if summary:
        out["summary"] = summary
    return out


#: RDFa / microdata properties of an element (not a <meta>) that carry the publication date.
_RDFA_DATES = ("dc:date", "dc:created", "dcterms:created", "article:published_time", "schema:datePublished")


def _rdfa_date(page: Page):
    """``<span property="dc:date" content="2019-02-08T00:00:00+01:00">`` (Drupal) or
    ``itemprop="datePublished"`` with ``content``/``datetime``: a midnight stamp is a day."""
    idx = page.index
    found = [el for key in _RDFA_DATES for el in idx.by_property.get(key, [])]
    found += idx.by_itemprop.get("datePublished", [])
    for el in found:
        if el.tag == "meta" or idx.flags[el] & {"related", "sidebar", "comments", "nav", "footer"}:
            continue
        value = (el.get("content") or el.get("datetime") or "").strip()
        if re.match(r"^\d{4}-\d{2}-\d{2}T00:00(?::00)?(?:[+-]\d{2}:?\d{2}|Z)?$", value):
            value = value[:10]
        ts = dates.parse_iso(value, source="meta") if value else None
        if ts:
            return ts
    return None


def from_meta(page: Page, known: frozenset[str] = frozenset()) -> dict:
    """Candidates from OpenGraph, ``article:*`` and common ``name=`` meta tags. Times already
    given by JSON-LD (``known``) are not read again: both come from the same CMS field, and
    reading an ISO time is the costliest step of this layer."""
    out: dict = {}
    headline = strip_site_name(page.meta_first("og:title", "twitter:title", "title", "dc.title"))
    if headline:
        out["headline"] = headline
    for keys, field in (
        (("article:published_time", "datepublished", "pubdate", "dc.date"), "published"),
        (("article:modified_time", "og:updated_time", "datemodified"), "modified"),
    ):
        if field in known:
            continue
        value = page.meta_first(*keys)
        ts = _iso(page, value, "meta") if value else None
        if ts:
            out[field] = ts
    if "published" not in out and "published" not in known:
        ts = _rdfa_date(page)
        if ts:
            out["published"] = ts
    # <meta name=author> naming the outlet itself (its og:site_name, publisher, <title> suffix)
    # is not a person
    authors = [a for v in page.meta.get("article:author", []) + page.meta.get("author", []) for a in _names(v)
               if a not in page.site_names]
    if authors:
        out["authors"] = list(dict.fromkeys(authors))
    section = page.meta_first("article:section")
    if section:
        out["section_name"] = section
    tags = [clean(t) for t in page.meta.get("article:tag", []) if clean(t)]
    if not tags:
        tags = _strings(page.meta_first("keywords", "news_keywords"))
    if tags:
        out["tags"] = list(dict.fromkeys(tags))
    image = page.meta_first("og:image", "og:image:url", "twitter:image")
    if image:
        out["images"] = [Image(url=urljoin(page.url, image))]
    summary = page.meta_first("og:description", "description", "twitter:description")
    if summary:
        out["summary"] = summary
    return out
