"""The Al-Modon site profile: selectors as constants, small field methods, text anchors.

Eras (see ``almodon-site-facts.md``):
- 2014–15 (GUID URLs): ``.section_title h3`` headline, date ``d/m/Y`` in a span of
  ``.section_title``, body ``.inner_content``, relative lead image.
- 2016–2024: date line ``<weekday> YYYY/MM/DD``, update line ``آخر تحديث: HH:MM (بيروت)``, a
  captioned photo ending in its credit, the font-size widget, the comments block.
- 2025–26 (server-rendered Angular): ``app-*`` chrome, ``.app-sections-detail`` main column
  beside a ``lg:w-1/3`` sidebar, update line without spaces, body text outside ``<p>``, an
  author box labelled ``الكاتب``, the author's other articles in ``author-articles``.

Selectors never stand alone: text anchors (the update line, the ``الكاتب`` label) carry the
fields the markup does not name, and the generic layer covers what no selector matches.
"""

from __future__ import annotations

import re

from lxml import etree

from .. import dates, generic
from ..blocks import is_chrome
from ..boilerplate import UPDATE_LINE, is_boilerplate
from ..page import Page
from ..structured import is_site_name
from ..text import clean
from ..timestamps import Timestamp

NAME = "almodon"

#: Body container classes, most specific first (2014–15 first, then names news sites use;
#: ``articleBody`` stands for ``itemprop="articleBody"``).
BODY_CLASSES = (
    "inner_content", "articleBody", "article-body", "article-content", "article-text",
    "news-body", "details-body", "details-text", "entry-content",
)
_BODY_RANK = {name: rank for rank, name in enumerate(BODY_CLASSES) if name != "articleBody"}
#: Then the 2025–26 layout's main column, then any <article>.
BODY_FALLBACKS = (
    "//*[contains(@class, 'app-sections-detail')][contains(concat(' ', normalize-space(@class), ' '), ' app-sections-detail ')]//article",
    "//article",
)
#: 2014–15: the date is printed d/m/Y in a span of the title block.
DATE_SELECTORS = (
    "//*[contains(@class, 'section_title')][contains(concat(' ', normalize-space(@class), ' '), ' section_title ')]/span",
)
#: Author names printed by markup (2014–15 ``span.writer``; common byline names).
AUTHOR_SELECTORS = (
    (
        "//*[contains(@class, 'section_title')][contains(concat(' ', normalize-space(@class), ' '), ' section_title ')]"
        "//*[contains(@class, 'writer')][contains(concat(' ', normalize-space(@class), ' '), ' writer ')]"
    ),
    "//*[@rel='author']",
    "//*[@itemprop='author']//*[@itemprop='name'] | //*[@itemprop='author'][not(.//*[@itemprop='name'])]",
    "//*[contains(@class, 'author-name')][contains(concat(' ', normalize-space(@class), ' '), ' author-name ')]",
)
#: The sidebar column of the 2025–26 layout (utility classes only, so matched exactly).
SIDEBAR = re.compile(r"(?:^|\s)lg:w-1/3(?:\s|$)")
AUTHOR_LABEL = "الكاتب"


def skip(el: etree._Element) -> bool:
    """Chrome for this site: the generic chrome rules plus the 2025–26 sidebar column."""
    return is_chrome(el) or bool(SIDEBAR.search(el.get("class") or ""))


def _first(page: Page, xpaths: tuple[str, ...]) -> etree._Element | None:
    """The first element of the first selector that has text (never just the site's name)."""
    for xp in xpaths:
        for el in page.tree.xpath(xp):
            text = clean(el.text_content())
            if text and not is_site_name(text):
                return el
    return None


def headline(page: Page) -> tuple[str | None, etree._Element | None]:
    """2014–15: the ``h3`` of ``.section_title``; then an ``<h1>`` in the article or the main
    column; then any ``<h1>`` — never the site's name in a masthead."""
    candidates = [
        *(h for h in page.tree.iter("h3") if _under_class(h, "section_title")),
        *(h for h in page.tree.iter("h1") if any(a.tag == "article" for a in h.iterancestors())),
        *(h for h in page.tree.iter("h1") if _under_class(h, "app-sections-detail")),
        *page.tree.iter("h1"),
    ]
    for el in candidates:
        text = clean(el.text_content())
        if text and not is_site_name(text):
            return text, el
    return None, None


def _under_class(el: etree._Element, name: str) -> bool:
    return any(name in (a.get("class") or "").split() for a in el.iterancestors())


def body_container(page: Page) -> etree._Element | None:
    """The body container named by the most specific selector that matches (the longest one
    when several elements match it). One pass over the tree for all class selectors."""
    ranked: dict[int, list[etree._Element]] = {}
    for el in page.tree.iter():
        if el.get("itemprop") == "articleBody":
            ranked.setdefault(BODY_CLASSES.index("articleBody"), []).append(el)
        for token in (el.get("class") or "").split():
            if token in _BODY_RANK:
                ranked.setdefault(_BODY_RANK[token], []).append(el)
    if ranked:
        return max(ranked[min(ranked)], key=lambda el: len(el.text_content()))
    for xp in BODY_FALLBACKS:
        found = page.tree.xpath(xp)
        if found:
            return max(found, key=lambda el: len(el.text_content()))
    return None


def _author_labels(page: Page) -> list[etree._Element]:
    """Elements whose own text is the ``الكاتب`` label (with or without a colon)."""
    return page.tree.xpath(
        "//body//text()[contains(., $label)]/parent::*[not(*)]"
        "[normalize-space(.) = $label or normalize-space(.) = concat($label, ':')]",
        label=AUTHOR_LABEL,
    )


def author_box(label: etree._Element) -> etree._Element:
    """The author box around a ``الكاتب`` label: the largest ancestor that still holds only a
    short text (label, name, maybe a photo)."""
    box = label
    for anc in label.iterancestors():
        if anc.tag in {"article", "main", "body"} or len(clean(anc.text_content())) > 120:
            break
        box = anc
    return box


def authors(page: Page, region: etree._Element | None = None,
            labels: list[etree._Element] | None = None) -> list[str]:
    """Names printed in the author box after the ``الكاتب`` label (never the other-articles
    list); else the era's byline selectors; else a printed byline (``بقلم: …``)."""
    names: list[str] = []
    for label in _author_labels(page) if labels is None else labels:
        box = author_box(label)
        texts = [clean(t) for t in box.xpath(".//text()")]
        after = texts[texts.index(clean(label.text)) + 1:] if clean(label.text) in texts else []
        for text in after:
            if text and not is_boilerplate(text):
                names.extend(generic.split_names(text))
                break
    if not names:
        el = _first(page, AUTHOR_SELECTORS)
        if el is not None:
            names = generic.split_names(clean(el.text_content()))
    return list(dict.fromkeys(names or generic.byline_authors(page, region)))


def published(page: Page, head_el: etree._Element | None, url_day: str | None = None) -> Timestamp | None:
    el = _first(page, DATE_SELECTORS)
    if el is not None:
        for span in el.getparent().xpath("./span"):
            stamps = dates.find_dates(clean(span.text_content()), reference=page.fetched_at)
            if stamps:
                return stamps[0]
    return generic.published_near(page, head_el, skip=_date_skip, url_day=url_day)


def _date_skip(el: etree._Element) -> bool:
    return generic.nav_skip(el) or bool(SIDEBAR.search(el.get("class") or ""))


def modified(page: Page, day: str | None) -> Timestamp | None:
    """The update line ``آخر تحديث: 21:43 (بيروت)`` (also printed without spaces): a time on the
    article's own (Beirut) day."""
    if not day:
        return None
    for text in page.tree.xpath("//body//text()[contains(., 'تحديث')]"):
        line = clean(text)
        if not UPDATE_LINE.search(line):
            continue
        # the time may sit in the next text node (<span>آخر تحديث:</span><span>21:43</span>)
        parent = text.getparent()
        context = clean(parent.text_content()) if parent is not None else line
        stamp = dates.time_on_date(day, line) or dates.time_on_date(day, context)
        if stamp:
            return stamp
    return None


def extract(page: Page) -> dict:
    """Candidates from the profile (only what its selectors and anchors found)."""
    out: dict = {}
    head, head_el = headline(page)
    if head:
        out["headline"] = head
    pub = published(page, head_el, generic.url_day(page))
    if pub:
        out["published"] = pub
    mod = modified(page, pub.date if pub else None)
    if mod:
        out["modified"] = mod
    container = body_container(page)
    region = generic.region_of(container, head_el) if container is not None else None
    labels = _author_labels(page)
    names = authors(page, region, labels)
    if names:
        out["authors"] = names
    found_tags = generic.tags(page)
    if found_tags:
        out["tags"] = found_tags
    boxes = [author_box(label) for label in labels]

    def skip_here(el: etree._Element) -> bool:
        return skip(el) or any(el is box for box in boxes)

    if container is not None:
        imgs = generic.images(page, region, skip_here)
        paragraphs = generic.paragraphs(container, head, imgs, names, skip_here)
        if paragraphs:
            out["paragraphs"] = paragraphs
        if imgs:
            out["images"] = imgs
        found_videos = generic.videos(page, region, skip_here)
        if found_videos:
            out["videos"] = found_videos
    return out

