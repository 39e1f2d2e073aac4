"""``extract(body, url) -> Article``: the one extraction path (live crawl, replay, re-extraction).

Layers, surest first: structured data (``jsonld``, then ``meta``) → the Al-Modon profile
(``profile``) → the generic fallback (``fallback``) → the URL (``url``). Each field takes the
first layer that has it (in that field's own order, below) and ``sources`` records which; when a
later layer disagrees, the disagreement is kept in ``conflicts``.
"""

from __future__ import annotations

import gc
import html as _html
import re
from datetime import datetime

from . import dates, generic, structured, urls
from .article import Article, NotAnArticle
from .page import Page
from .sites import profile as site_profile
from .text import clean
from .timestamps import Timestamp

#: Per field, which layers answer and in which order.
FIELD_ORDER: dict[str, tuple[str, ...]] = {
    "headline": ("jsonld", "meta", "profile", "fallback"),
    "authors": ("jsonld", "meta", "profile", "fallback"),
    "published": ("jsonld", "meta", "profile", "fallback", "url"),
    "modified": ("jsonld", "meta", "profile", "fallback"),
    "section_name": ("jsonld", "meta", "profile"),
    "tags": ("jsonld", "meta", "profile", "fallback"),
    # Visible images carry captions and credits; structured ones rarely do.
    "images": ("profile", "fallback", "jsonld", "meta"),
    "paragraphs": ("profile", "fallback"),
    "videos": ("profile", "fallback"),
    "summary": ("jsonld", "meta"),
}
MIN_BODY_CHARS = 80
_SOFT_404 = re.compile(
    r"الصفحة\s+(?:التي\s+تبحث\s+عنها\s+|المطلوبة\s+)?(?:غير\s+موجودة|غير\s+متوفرة|لم\s+تعد\s+موجودة)"
    r"|لم\s+يتم\s+العثور|page\s+not\s+found|(?<![\d٠-٩])[٤4][٠0][٤4](?![\d٠-٩])",
    re.IGNORECASE,
)


def _soft_404(heading: str) -> re.Match | None:
    """``_SOFT_404.search``, only on a heading that holds one of its fixed parts (a
    case-insensitive alternation over Arabic text is slow; most headings hold none)."""
    if "الصفحة" in heading or "العثور" in heading or "4" in heading or "٤" in heading \
            or "page" in heading.lower():
        return _SOFT_404.search(heading)
    return None
_NOT_ARTICLE_KINDS = {
    "home": "home",
    "section": "listing",
    "listing": "listing",
    "author": "author",
    "author_listing": "listing",
    "tag": "tag",
    "search": "search",
    "rss": "feed",
    "sitemap": "feed",
    "robots": "feed",
    "static": "static",
}


def extract(*args, **kwargs) -> Article:
    """One page → one record, or ``NotAnArticle(reason)`` (see :func:`_extract`).

    Runs with Python's cyclic garbage collector paused (the caller's setting is restored): a
    page allocates a few thousand short-lived objects (element proxies, lines, flags) that
    reference counting frees when the page goes, and no cycles; letting the collector scan them
    again and again while they are alive cost a fifth of the extraction time.
    """
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        return _extract(*args, **kwargs)
    finally:
        if paused:
            gc.enable()


def _extract(
    body: bytes,
    url: str,
    *,
    content_type: str | None = None,
    fetched_at: datetime | None = None,
    extra_hosts: tuple[str, ...] = (),
    use_profile: bool = True,
) -> Article:
    """One page → one record, or ``NotAnArticle(reason)``. Pure: no network, no Scrapy.

    ``url`` is the address the page stands for (the site URL; a replica host given in
    ``extra_hosts`` is mapped onto the site). ``fetched_at`` (aware) resolves relative dates.
    ``use_profile=False`` leaves the site profile out (the generic layer alone: for tests, and
    to measure what the profile adds).
    """
    info = urls.classify(url, extra_hosts)
    if info.kind in _NOT_ARTICLE_KINDS:
        raise NotAnArticle(_NOT_ARTICLE_KINDS[info.kind], url)
    site_url = info.canonical or url
    try:
        page = Page.parse(body, site_url, content_type=content_type, fetched_at=fetched_at)
    except (ValueError, TypeError) as exc:
        raise NotAnArticle("unparsable", str(exc)) from exc

    if info.url_date:
        page.memo["url_day"] = info.url_date  # the URL's date, already read by classify
    era = site_profile.load().choose(page, info) if use_profile else None
    profile = site_profile.extract(page, era) if era is not None else {}
    jsonld = structured.from_jsonld(page)
    layers = {
        "jsonld": jsonld,
        "meta": structured.from_meta(page, known=frozenset(jsonld)),
        "profile": profile,
        "fallback": generic.extract(page, known=frozenset(profile)),
    }
    for name in ("jsonld", "meta"):
        if layers[name].get("headline"):
            layers[name]["headline"] = generic.strip_outlet(layers[name]["headline"], page)
    printed = any(layers[name].get("published") for name in ("jsonld", "meta", "profile", "fallback"))
    if not (printed and info.url_date):  # else the URL's day is only a witness (below)
        url_date = dates.date_from_url(info.canonical or url)
        if url_date:
            layers["url"] = {"published": url_date}

    chosen: dict = {}
    sources: dict[str, str] = {}
    conflicts: list[dict] = []
    for field, order in FIELD_ORDER.items():
        _choose(field, order, layers, chosen, sources, conflicts)
    _prefer_printed_names(layers, chosen, sources, conflicts)
    _prefer_untruncated_headline(layers, chosen, sources)
    _prefer_visible_headline(layers, chosen, sources)
    if "url" not in layers and info.url_date and chosen.get("published") \
            and chosen["published"].date != info.url_date:
        conflicts.append({"field": "published", "kept": sources["published"], "other": "url",
                          "reason": "different_day"})

    headline = chosen.get("headline")
    paragraphs = chosen.get("paragraphs") or []
    _reject_non_article(page, headline, paragraphs)
    if len(paragraphs) <= 2 and generic.card_count(page) >= 4:
        raise NotAnArticle("listing", "many article cards, little text")
    published: Timestamp | None = chosen.get("published")
    modified: Timestamp | None = chosen.get("modified")
    if published and modified and modified.utc and published.utc and modified.utc < published.utc:
        conflicts.append({"field": "modified", "reason": "modified_before_published"})

    conflicts.extend(page.problems_as_conflicts())
    canonical = info.canonical if info.kind == "article" else (url or page.canonical_link)
    sources.update({"url": "url", "section": "url"} if info.section else {"url": "url"})
    return Article(
        url=canonical or url,
        original_url=url,
        headline=headline,
        paragraphs=paragraphs,
        section=info.section,
        section_name=chosen.get("section_name"),
        authors=chosen.get("authors", []),
        published=published,
        modified=modified,
        images=chosen.get("images", []),
        videos=chosen.get("videos", []),
        tags=chosen.get("tags", []),
        summary=chosen.get("summary"),
        era=info.era,
        url_key=info.key,
        encoding=page.encoding,
        sources=sources,
        conflicts=conflicts,
    )


def _choose(field: str, order, layers: dict, chosen: dict, sources: dict, conflicts: list) -> None:
    for layer in order:
        value = layers.get(layer, {}).get(field)
        if not value:
            continue
        if field not in chosen:
            chosen[field], sources[field] = value, layer
            continue
        disagreement = _disagree(field, chosen[field], value)
        if disagreement:
            conflicts.append(
                {"field": field, "kept": sources[field], "other": layer, "reason": disagreement}
            )


def _disagree(field: str, kept, other) -> str | None:
    if field in {"published", "modified"}:
        if kept.date != other.date:
            return "different_day"
        if kept.utc and other.utc and kept.utc != other.utc:
            return "different_time"
        return None
    if field == "headline":
        return "different_text" if _fold(kept) != _fold(other) else None
    if field == "authors":
        return "different_names" if {_fold(a) for a in kept} != {_fold(a) for a in other} else None
    return None


def _fold(text: str) -> str:
    return re.sub(r"[\W_]+", "", clean(text))


_ARABIC_LETTER = re.compile(r"[\u0621-\u064a]")


def _prefer_printed_names(layers: dict, chosen: dict, sources: dict, conflicts: list) -> None:
    """Structured authors in Latin letters only (a transliteration) lose to the names the page
    prints in Arabic letters; the structured names stay a witness (``different_names``)."""
    kept = chosen.get("authors")
    if not kept or sources.get("authors") not in {"jsonld", "meta"} or any(_ARABIC_LETTER.search(n) for n in kept):
        return
    for layer in ("profile", "fallback"):
        printed = layers.get(layer, {}).get("authors")
        if printed and all(_ARABIC_LETTER.search(n) for n in printed):
            old = sources["authors"]
            chosen["authors"], sources["authors"] = printed, layer
            for c in conflicts:  # the witness is now the structured layer
                if c["field"] == "authors" and c["kept"] == old and c["other"] == layer:
                    c["kept"], c["other"] = layer, old
            return


def _prefer_untruncated_headline(layers: dict, chosen: dict, sources: dict) -> None:
    """A structured headline cut short (``…``) loses to the full visible one."""
    kept = chosen.get("headline")
    visible = layers["profile"].get("headline") or layers.get("fallback", {}).get("headline")
    if not kept or not visible or sources.get("headline") not in {"jsonld", "meta"}:
        return
    stem = kept.rstrip(" .…")
    if len(visible) > len(stem) and visible.startswith(stem) and kept != visible:
        chosen["headline"] = visible
        sources["headline"] = "profile" if layers["profile"].get("headline") else "fallback"


def _unescape(text: str) -> str:
    for _ in range(3):
        if "&" not in text:
            break
        text = _html.unescape(text)
    return text


def _prefer_visible_headline(layers: dict, chosen: dict, sources: dict) -> None:
    """The headline the page prints wins over a structured one that says the same with leftover
    entities (``&amp;quot;``) or the outlet's name: the structured text is only a witness."""
    kept = chosen.get("headline")
    layer = "profile" if layers["profile"].get("headline") else "fallback"
    visible = layers[layer].get("headline")
    if not kept or not visible or sources.get("headline") not in {"jsonld", "meta"} or kept == visible:
        return
    if _fold(_unescape(kept)) == _fold(_unescape(visible)):
        chosen["headline"], sources["headline"] = visible, layer


def _reject_non_article(page: Page, headline: str | None, paragraphs: list[str]) -> None:
    heading = " ".join(filter(None, [headline, page.title]))
    if _soft_404(heading):
        raise NotAnArticle("soft404", heading[:80])
    if not headline:
        raise NotAnArticle("no_headline")
    if sum(len(p) for p in paragraphs) < MIN_BODY_CHARS:
        raise NotAnArticle("no_body", f"{len(paragraphs)} paragraphs")
