"""Layer 3: the generic fallback for news markup no profile knows.

Finds the main text block by density (text in paragraph-like blocks, minus link text), the
headline from ``<h1>`` / ``<title>``, the date line nearest the headline, images with their
captions in the region that holds headline and body. The site profile reuses these helpers with
its own selectors and chrome rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

from lxml import etree

from . import dates, urls
from .article import Image, Video
from .blocks import BLOCK_TAGS, blocks, is_chrome, words_of
from .boilerplate import UPDATE_LINE, body_paragraphs
from .media import make_image, split_credit
from .page import Page
from .structured import is_site_name, strip_site_name
from .text import clean
from .timestamps import Timestamp

Skip = Callable[[etree._Element], bool]

#: For the date search: navigation chrome only (date lines themselves live in bylines / meta).
NAV_WORDS = frozenset(
    ["header", "nav", "navbar", "menu", "footer", "sidebar", "mostread", "popular", "related", "trending", "ad", "ads", "banner", "billboard", "leaderboard", "notification", "comments"]
)
_NAV_TAGS = frozenset(["script", "style", "noscript", "template", "nav", "footer", "aside", "header", "select"])
_TAG_WORDS = frozenset({"tag", "tags", "keywords"})
_TAG_HREF = re.compile(r"/(?:tag|tags|keyword|keywords)/", re.IGNORECASE)
_ICON = re.compile(r"logo|icon|avatar|sprite|/ads?/", re.IGNORECASE)
_MIN_BLOCK = 25
IMG_TAGS = ("img", "amp-img")
_IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif")
_SENTENCE_END = re.compile(r"[.!?؟…]\s*$")
_IMAGE_WORDS = frozenset(["caption", "figcaption", "credit", "image", "img", "photo", "picture", "media"])


def nav_skip(el: etree._Element) -> bool:
    """Navigation chrome, for the date search. A ``<header>`` inside an ``<article>`` or
    ``<main>`` is the article's own header (headline, byline, date), not chrome."""
    tag = el.tag if isinstance(el.tag, str) else ""
    words = words_of(el)
    if (tag == "header" or "header" in words) and any(a.tag in {"article", "main"} for a in el.iterancestors()):
        return bool((words - {"header"}) & NAV_WORDS)
    chrome = tag in _NAV_TAGS or bool(words & NAV_WORDS)
    if chrome and (el.find(".//main") is not None or el.find(".//article") is not None):
        return False  # holds the page's main content (a header the template left open): not chrome
    return chrome


_BYLINE = re.compile(
    r"^\s*(?:بقلم|كتب|كتبت|إعداد|اعداد|تحرير|الكاتب)\s*[:：]?\s*([^|\d/]{3,50}?)\s*(?:[|\-–—]|\d|$)"
)


_AUTHOR_HREF = re.compile(r"/(?:author|authors|writer|writers)/", re.IGNORECASE)
_AUTHOR_WORDS = frozenset({"author", "byline", "writer", "by"})
_NOT_AUTHOR_WORDS = frozenset({"comment", "comments", "related", "mostread", "popular", "sidebar", "footer",
                               "articles", "more", "description", "bio", "avatar", "label"})


def split_names(text: str) -> list[str]:
    """``"أ و ب"`` / ``"أ، ب"`` → two names; a line with digits or too long is not a name."""
    text = clean(text)
    if not text or len(text) > 60 or re.search(r"\d", text):
        return []
    return [n for n in re.split(r"\s+و\s+|\s*[،,]\s*", text) if n]


def byline_authors(page: Page, region: etree._Element | None = None) -> list[str]:
    """Authors from markup no profile knows, surest first:
    1. links to author pages (``/author/…``, ``/writer/…``) inside the article region;
    2. a short element named author / byline / writer;
    3. a printed byline: ``بقلم: هالة سليمان | 10/02/2015``, ``كتب …``."""
    scope = region if region is not None else page.tree
    names: list[str] = []
    for a in scope.iter("a"):
        href = a.get("href") or ""
        if not _AUTHOR_HREF.search(href):
            continue
        if urls.classify(urljoin(page.url, href)).kind == "author" and not _in_box(a):
            names += split_names(a.text_content())
    if not names:
        for el in scope.iter():
            if isinstance(el.tag, str) and words_of(el) & _AUTHOR_WORDS and not len(el) and not _in_box(el):
                names += split_names(_BYLINE_LABEL.sub("", clean(el.text_content())))
    if not names:
        for el in scope.iter("span", "div", "p", "td", "li", "address"):
            text = clean(el.text_content())
            m = _BYLINE.match(text) if len(text) < 90 else None
            if m:
                names = split_names(m.group(1))
                break
    return [n for n in dict.fromkeys(names) if not is_site_name(n)]


_BYLINE_LABEL = re.compile(r"^\s*(?:بقلم|كتب|كتبت|إعداد|اعداد|تحرير|الكاتب|عن الكاتب|by)\s*[:：]?\s*", re.IGNORECASE)


def _in_box(el: etree._Element) -> bool:
    """Inside comments, related or most-read lists: names there are not this article's authors."""
    return any(words_of(a) & _NOT_AUTHOR_WORDS for a in ancestors(el))


def ancestors(el: etree._Element):
    """Ancestors up to, not including, ``<body>``: the body's classes describe the whole page
    (``right-sidebar``, ``nav-below-header``) and say nothing about one element."""
    for anc in el.iterancestors():
        if anc.tag in {"body", "html"}:
            return
        yield anc


def headline(page: Page) -> tuple[str | None, etree._Element | None]:
    """The first ``<h1>`` that is not the site's name (a masthead), else the ``<title>``
    without the site name, located in the page when it is printed there."""
    for el in page.tree.iter("h1"):
        text = clean(el.text_content())
        if text and not is_site_name(text):
            return strip_site_name(text), el
    title = strip_site_name(page.title)
    return title, find_text(page, title)


def find_text(page: Page, text: str | None) -> etree._Element | None:
    """The innermost element of the body whose whole text is ``text``."""
    body = page.tree.find("body")
    if not text or body is None:
        return None
    for el in body.iter():
        if isinstance(el.tag, str) and el.tag != "script" and clean(el.text_content()) == text:
            inner = el
            while len(inner) == 1 and clean(inner[0].text_content()) == text and not clean(inner.text):
                inner = inner[0]
            return inner
    return None


def published_near(page: Page, head_el: etree._Element | None, skip: Skip = nav_skip,
                   url_day: str | None = None) -> Timestamp | None:
    """The article's date: a ``<time datetime>`` right after the headline, else the date on the
    short line nearest the headline (before it on a tie), preferring one that agrees with the
    URL's date: a site's date bar or a 'most read' list never wins over the article's own line."""
    machine = _time_element(page, head_el, skip)
    if machine is not None:
        return machine
    body = page.tree.find("body")
    if body is None:
        return None
    texts = body.xpath(".//text()[normalize-space()]")  # document order, C speed
    head_idx = _position(texts, head_el)
    candidates: list[tuple[int, Timestamp]] = []
    seen: set = set()
    for i, text in enumerate(texts):
        if not _DATEISH.search(text):
            continue
        line_el = _line_of(text)
        if line_el in seen or skip(line_el) or any(skip(a) for a in ancestors(line_el)):
            continue
        seen.add(line_el)
        line = clean(line_el.text_content())
        if len(line) > 80:
            line = clean(text)
        if len(line) > 80 or UPDATE_LINE.search(line):
            continue
        stamps = dates.find_dates(line, reference=page.fetched_at)
        if stamps:
            dist = abs(i - head_idx) * 2 + (i > head_idx) if head_idx is not None else i
            candidates.append((dist, stamps[0]))
    agreeing = [c for c in candidates if url_day and c[1].date == url_day]
    best = min(agreeing or candidates, key=lambda c: c[0], default=None)
    return best[1] if best else None


_DATEISH = re.compile(r"[0-9٠-٩۰-۹]|منذ|أمس|امس|اليوم|البارحة|قبل")


def _position(texts: list, el: etree._Element | None) -> int | None:
    """Index of the first text node inside ``el``."""
    if el is None:
        return None
    for i, text in enumerate(texts):
        holder = text.getparent()
        if holder is el or any(a is el for a in holder.iterancestors()):
            return i
    return None


def _line_of(text) -> etree._Element:
    """The nearest block-level element holding a text node (its printed line)."""
    el = text.getparent()
    if text.is_tail:
        el = el.getparent() if el.getparent() is not None else el
    while el.tag not in BLOCK_TAGS and el.getparent() is not None and el.getparent().tag != "body":
        el = el.getparent()
    return el


def url_day(page: Page) -> str | None:
    """The date printed in the page's URL (a witness that breaks ties between visible dates)."""
    stamp = dates.date_from_url(page.url)
    return stamp.date if stamp else None


def _time_element(page: Page, head_el: etree._Element | None, skip: Skip) -> Timestamp | None:
    """``<time datetime="…">`` of the article: the first one after the headline (else the first
    in the page) outside navigation chrome and comments."""
    after_head = head_el is None
    first: Timestamp | None = None
    for el in page.tree.iter():
        if el is head_el:
            after_head = True
        if el.tag != "time" or not (el.get("datetime") or "").strip():
            continue
        if any(skip(a) for a in ancestors(el)):
            continue
        stamp = dates.parse_iso(el.get("datetime"), source="meta")
        if stamp is not None:
            if after_head:
                return stamp
            first = first or stamp
    return first


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
    return _caption_after_break(holder) or _caption_like_sibling(holder)


def _caption_like_sibling(holder: etree._Element) -> str | None:
    """Markup with no caption names (hashed classes): the element right after the image's
    wrapper is a caption when it is short, holds no links or blocks, does not read as a sentence
    (or ends with a credit), and is not shaped like the paragraphs that follow it."""
    if holder.tag in IMG_TAGS:
        return None
    nxt = holder.getnext()
    if nxt is None or not isinstance(nxt.tag, str) or nxt.tag not in {"div", "span", "p", "small", "em"}:
        return None
    text = clean(nxt.text_content())
    if not text or len(text) > 200 or nxt.find(".//a") is not None or any(c.tag in BLOCK_TAGS for c in nxt):
        return None
    if _SENTENCE_END.search(text) and not text.endswith(")"):
        return None
    after = nxt.getnext()
    if after is not None and after.tag == nxt.tag and (after.get("class") or "") == (nxt.get("class") or ""):
        return None
    return text


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


_VIDEO_HOSTS = (
    ("youtube", re.compile(r"(?:^|\.)(?:youtube(?:-nocookie)?\.com|youtu\.be)$")),
    ("facebook", re.compile(r"(?:^|\.)facebook\.com$")),
    ("vimeo", re.compile(r"(?:^|\.)vimeo\.com$")),
    ("dailymotion", re.compile(r"(?:^|\.)(?:dailymotion\.com|dai\.ly)$")),
    ("twitter", re.compile(r"(?:^|\.)(?:twitter\.com|x\.com)$")),
)


def videos(page: Page, region: etree._Element, skip: Skip = is_chrome) -> list[Video]:
    """Embedded videos in page order: known players' iframes and ``<video>`` elements, with
    the caption of their figure (credit split as for images)."""
    out: list[Video] = []
    for el in region.iter("iframe", "video", "amp-youtube"):
        if _in_chrome(el, region, skip):
            continue
        if el.tag == "amp-youtube" and el.get("data-videoid"):
            url, provider = f"https://www.youtube.com/embed/{el.get('data-videoid')}", "youtube"
        else:
            src = el.get("src") or el.get("data-src") or ""
            if not src and el.tag == "video":
                source = el.find(".//source")
                src = source.get("src", "") if source is not None else ""
            if not src.strip():
                continue
            url = urljoin(page.url, src.strip())
            provider = "file" if el.tag == "video" else _provider(url)
            if provider is None:
                continue
        caption, credit = split_credit(_caption_for(el))
        if all(v.url != url for v in out):
            out.append(Video(url=url, provider=provider, caption=caption, credit=credit))
    return out


def _provider(url: str) -> str | None:
    host = (urlsplit(url).hostname or "").lower()
    return next((name for name, pattern in _VIDEO_HOSTS if pattern.search(host)), None)


def _is_teaser(img: etree._Element) -> bool:
    """An image inside a link to another page (not to the image file): a teaser of another
    article (related, most read), not a picture of this one."""
    for anc in img.iterancestors():
        if anc.tag == "a":
            href = (anc.get("href") or "").split("?")[0].lower()
            return bool(href) and not href.endswith(_IMAGE_EXTENSIONS)
        if anc.tag in {"p", "article", "section", "body"}:
            return False
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
    for img in region.iter(*IMG_TAGS):
        if _in_chrome(img, region, skip) or _too_small(img) or _is_teaser(img):
            continue
        if _ICON.search(img.get("src") or "") and not img.get("data-src"):
            continue
        image = make_image(img, page.url, _caption_for(img))
        if image and image.url not in seen:
            seen.add(image.url)
            out.append(image)
    return out


def card_count(page: Page) -> int:
    """The largest run of same-shaped siblings (same tag and class) that each link to a
    different article: the cards of a listing, archive or search page."""
    body = page.tree.find("body")
    if body is None:
        return 0
    this = urls.classify(page.url).key
    best = 0
    for parent in body.iter():
        if len(parent) < 4 or not isinstance(parent.tag, str) or nav_skip(parent):
            continue
        groups: dict[tuple, set[str]] = {}
        for child in parent:
            if not isinstance(child.tag, str):
                continue
            for a in child.iter("a"):
                info = urls.classify(urljoin(page.url, a.get("href") or ""))
                if info.kind == "article" and info.key != this:
                    groups.setdefault((child.tag, child.get("class")), set()).add(info.key)
                    break
        best = max([best, *(len(keys) for keys in groups.values())])
    return best


def tags(page: Page) -> list[str]:
    """Tag links: ``/tag/…`` hrefs, or links inside a box named tags/keywords."""
    found: list[str] = []
    maybe = page.tree.xpath("//body//*[contains(@class, 'tag') or contains(@id, 'tag') or contains(@class, 'keyword')]")
    boxes = [el for el in maybe if words_of(el) & _TAG_WORDS]
    in_boxes = {a for box in boxes for a in box.iter("a")}
    for a in page.tree.iter("a"):
        if a in in_boxes or _TAG_HREF.search(a.get("href") or ""):
            text = clean(a.text_content()).lstrip("#").strip()
            if text and len(text) <= 60:
                found.append(text)
    return list(dict.fromkeys(found))


def paragraphs(
    container: etree._Element, head: str | None, imgs: list[Image], authors: list[str], skip: Skip
) -> list[str]:
    captions = {i.caption_raw for i in imgs if i.caption_raw}
    return body_paragraphs(blocks(container, skip=skip), head, captions, set(authors))


def extract(page: Page, known: frozenset[str] = frozenset()) -> dict:
    """Candidates from the generic heuristics. Fields in ``known`` (already found by the site
    profile, which uses these same helpers) are not searched for again; the body is."""
    out: dict = {}
    head, head_el = headline(page)
    if head and "headline" not in known:
        out["headline"] = head
    if "published" not in known:
        pub = published_near(page, head_el, url_day=url_day(page))
        if pub:
            out["published"] = pub
    if "tags" not in known:
        found_tags = tags(page)
        if found_tags:
            out["tags"] = found_tags
    container = main_container(page)
    if "authors" not in known:
        names = byline_authors(page, region_of(container, head_el) if container is not None else None)
        if names:
            out["authors"] = names
    if container is not None:
        region = region_of(container, head_el)
        imgs = images(page, region)
        paras = paragraphs(container, head, imgs, [], is_chrome)
        if paras:
            out["paragraphs"] = paras
        if imgs:
            out["images"] = imgs
        found_videos = videos(page, region)
        if found_videos:
            out["videos"] = found_videos
    return out



