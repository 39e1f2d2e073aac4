"""Layer 3: the generic fallback for news markup no profile knows.

Finds the main text block by density (text in paragraph-like blocks, minus link text), the
headline from ``<h1>`` / ``<title>``, the date line nearest the headline, images with their
captions in the region that holds headline and body. The site profile reuses these helpers with
its own selectors and chrome rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from lxml import etree

from . import dates
from .article import Image
from .blocks import blocks, is_chrome, words_of
from .boilerplate import UPDATE_LINE, body_paragraphs
from .media import make_image
from .page import Page
from .structured import strip_site_name
from .text import clean
from .timestamps import Timestamp

Skip = Callable[[etree._Element], bool]

#: For the date search: navigation chrome only (date lines themselves live in bylines / meta).
NAV_WORDS = frozenset(
    ["header", "nav", "navbar", "menu", "footer", "sidebar", "mostread", "popular", "related", "trending", "ad", "ads", "banner", "billboard", "leaderboard", "notification", "comments"]
)
_NAV_TAGS = frozenset(["script", "style", "noscript", "template", "nav", "footer", "aside", "header", "select"])
_TAG_HREF = re.compile(r"/(?:tag|tags|keyword|keywords)/", re.IGNORECASE)
_ICON = re.compile(r"logo|icon|avatar|sprite|/ads?/", re.IGNORECASE)
_MIN_BLOCK = 25
_IMAGE_WORDS = frozenset(["caption", "figcaption", "credit", "image", "img", "photo", "picture", "media"])


def nav_skip(el: etree._Element) -> bool:
    tag = el.tag if isinstance(el.tag, str) else ""
    return tag in _NAV_TAGS or bool(words_of(el) & NAV_WORDS)


_BYLINE = re.compile(
    r"^\s*(?:بقلم|كتب|كتبت|إعداد|اعداد|تحرير|الكاتب)\s*[:：]?\s*([^|\d/]{3,50}?)\s*(?:[|\-–—]|\d|$)"
)


def byline_authors(page: Page) -> list[str]:
    """Names in a printed byline: ``بقلم: هالة سليمان | 10/02/2015``, ``كتب: …``."""
    for text in page.tree.xpath("//body//text()[string-length(normalize-space()) < 90]"):
        m = _BYLINE.match(clean(text))
        if m:
            name = clean(m.group(1))
            if name:
                return [n for n in re.split(r"\s+و\s+|\s*[،,]\s*", name) if n]
    return []


def headline(page: Page) -> tuple[str | None, etree._Element | None]:
    for el in page.tree.iter("h1"):
        text = clean(el.text_content())
        if text:
            return strip_site_name(text), el
    return strip_site_name(page.title), None


def published_near(page: Page, head_el: etree._Element | None, skip: Skip = nav_skip) -> Timestamp | None:
    """The date on the short line nearest the headline (before it on a tie): a site's date bar
    or a 'most read' list elsewhere on the page never wins over the article's own date line."""
    body = page.tree.find("body")
    if body is None:
        return None
    found = blocks(body, skip=skip)
    head_idx = None
    if head_el is not None:
        for i, block in enumerate(found):
            if block.element is head_el or head_el in block.element.iterancestors():
                head_idx = i
                break
    best: tuple[int, Timestamp] | None = None
    for i, block in enumerate(found):
        if len(block.text) > 80 or UPDATE_LINE.search(block.text):
            continue
        stamps = dates.find_dates(block.text, reference=page.fetched_at)
        if not stamps:
            continue
        dist = abs(i - head_idx) * 2 + (i > head_idx) if head_idx is not None else i
        if best is None or dist < best[0]:
            best = (dist, stamps[0])
    return best[1] if best else None


def main_container(page: Page, skip: Skip = is_chrome) -> etree._Element | None:
    """The element whose paragraph-like blocks hold the most non-link text (a block scores for
    its holder and half for the holder's parent, as readability does)."""
    body = page.tree.find("body")
    if body is None:
        return None
    scores: dict[etree._Element, float] = {}
    for block in blocks(body, skip=skip):
        if len(block.text) < _MIN_BLOCK or block.link_density > 0.3:
            continue
        weight = len(block.text) * (1 - block.link_density)
        holder = block.element
        if block.kind in {"p", "h", "quote", "li"} and holder.getparent() is not None:
            holder = holder.getparent()
        scores[holder] = scores.get(holder, 0) + weight
        parent = holder.getparent()
        if parent is not None and parent.tag != "html":
            scores[parent] = scores.get(parent, 0) + weight / 2
    if not scores:
        return None
    return max(scores, key=scores.__getitem__)


def region_of(container: etree._Element, head_el: etree._Element | None) -> etree._Element:
    """The smallest element holding both the headline and the body (where article images are)."""
    if head_el is None:
        return container
    ancestors = [container, *container.iterancestors()]  # held: lxml proxies must stay alive
    for anc in [head_el, *head_el.iterancestors()]:
        if any(anc is a for a in ancestors):
            return container if anc.tag in {"html", "body"} else anc
    return container


def _caption_for(img: etree._Element) -> str | None:
    """The printed caption of an image: its ``<figure>``'s ``<figcaption>``, else a caption
    element right after the image (or after the wrapper the image alone fills), else a short
    ``<br>``-separated text after it (legacy layouts)."""
    for anc in img.iterancestors():
        if anc.tag == "figure":
            cap = anc.find(".//figcaption")
            return (clean(cap.text_content()) or None) if cap is not None else None
        if anc.tag not in {"a", "picture", "span", "div"}:
            break
    holder = img
    while holder.getnext() is None:
        parent = holder.getparent()
        if parent is None or len(parent) != 1 or clean(parent.text_content()):
            break
        holder = parent
    nxt = holder.getnext()
    if nxt is not None and (nxt.tag == "figcaption" or "caption" in (nxt.get("class") or "").lower()):
        return clean(nxt.text_content()) or None
    return _caption_after_break(holder)


def _caption_after_break(el: etree._Element) -> str | None:
    """Legacy layouts: ``<img><br><font>caption (credit)</font>`` inside one paragraph."""
    nxt = el.getnext()
    if nxt is not None and nxt.tag == "br" and not clean(nxt.tail):
        nxt = nxt.getnext()
    if nxt is not None and nxt.tag in {"font", "span", "small", "em", "i"} and not clean(el.tail):
        text = clean(nxt.text_content())
        if 0 < len(text) <= 200:
            return text
    return None


def _in_chrome(el: etree._Element, region: etree._Element, skip: Skip) -> bool:
    for anc in el.iterancestors():
        if anc is region:
            return False
        if anc.tag in {"figure", "picture", "a"} or words_of(anc) & _IMAGE_WORDS:
            continue
        if skip(anc):
            return True
    return False


def _too_small(img: etree._Element) -> bool:
    for attr in ("width", "height"):
        value = (img.get(attr) or "").strip().removesuffix("px")
        if value.isdigit() and int(value) < 80:
            return True
    return False


def images(page: Page, region: etree._Element, skip: Skip = is_chrome) -> list[Image]:
    """Article images in page order, with caption and credit split, icons and chrome dropped."""
    out: list[Image] = []
    seen: set[str] = set()
    for img in region.iter("img"):
        if _in_chrome(img, region, skip) or _too_small(img):
            continue
        if _ICON.search(img.get("src") or "") and not img.get("data-src"):
            continue
        image = make_image(img, page.url, _caption_for(img))
        if image and image.url not in seen:
            seen.add(image.url)
            out.append(image)
    return out


def tags(page: Page) -> list[str]:
    """Tag links: ``/tag/…`` hrefs, or links inside a box named tags/keywords."""
    found: list[str] = []
    for a in page.tree.iter("a"):
        href = a.get("href") or ""
        in_box = any({"tag", "tags", "keywords"} & words_of(anc) for anc in a.iterancestors())
        if _TAG_HREF.search(href) or in_box:
            text = clean(a.text_content()).lstrip("#").strip()
            if text and len(text) <= 60:
                found.append(text)
    return list(dict.fromkeys(found))


def paragraphs(
    container: etree._Element, head: str | None, imgs: list[Image], authors: list[str], skip: Skip
) -> list[str]:
    captions = {i.caption_raw for i in imgs if i.caption_raw}
    return body_paragraphs(blocks(container, skip=skip), head, captions, set(authors))


def extract(page: Page) -> dict:
    out: dict = {}
    head, head_el = headline(page)
    if head:
        out["headline"] = head
    pub = published_near(page, head_el)
    if pub:
        out["published"] = pub
    found_tags = tags(page)
    if found_tags:
        out["tags"] = found_tags
    names = byline_authors(page)
    if names:
        out["authors"] = names
    container = main_container(page)
    if container is not None:
        region = region_of(container, head_el)
        imgs = images(page, region)
        paras = paragraphs(container, head, imgs, [], is_chrome)
        if paras:
            out["paragraphs"] = paras
        if imgs:
            out["images"] = imgs
    return out



