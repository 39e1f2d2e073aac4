"""Layer 3: content-based detectors that need no class names (``fallback``).

Used on every page, and as the safety net under the site profile. Everything is read from the
page index (``page.index``): printed lines with their chrome flags, elements by tag, subtree
text lengths. Headline: the first ``<h1>`` outside chrome, the outlet's name removed. Dates: the
date line and the update line nearest the headline, before the body. Bylines: ``كتب``/``بقلم``/…
lines, author links, ``Author,`` labels. Captions: ``figcaption`` or the short block beside the
image. Body: the densest text container, read past injected widgets, without promo boxes.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

from lxml import etree

from . import dates, urls
from .article import Image, Video
from .boilerplate import body_paragraphs, is_box_heading, is_hidden_label
from .index import _H, DATEISH, UPDATE, Block, PageIndex, find_update
from .media import make_image, split_credit
from .page import Page
from .structured import is_site_name, strip_site_name
from .text import clean
from .timestamps import Timestamp

#: Chrome that never holds the article's own date, byline or headline.
NAV_KINDS = frozenset({"header", "nav", "footer", "sidebar", "aside", "related", "comments", "ads", "promo",
                       "newsletter", "code", "hidden", "form"})
#: Chrome that never holds body text.
BODY_SKIP = NAV_KINDS | {"share", "tags", "author", "caption", "media"}
IMG_TAGS = ("img", "amp-img")
_MIN_BLOCK = 25
_IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif")
_ICON = re.compile(r"logo|icon|avatar|sprite|arrow|/ads?/", re.IGNORECASE)
_ICON_WORDS = ("logo", "icon", "avatar", "sprite", "arrow", "/ad/", "/ads/")


def _icon(src: str) -> bool:
    """``_ICON.search(src)``: substring tests on an ASCII address (the case-insensitive
    alternation tries every position of a long URL)."""
    if not src.isascii():
        return bool(_ICON.search(src))
    low = src.lower()
    return any(word in low for word in _ICON_WORDS)
_TAG_HREF = re.compile(r"/(?:tag|tags|keyword|keywords|topics?)/", re.IGNORECASE)
_AUTHOR_HREF = re.compile(r"/(?:author|authors|writer|writers|kottab|columnist)s?/", re.IGNORECASE)
_DATEISH = DATEISH


# -- the outlet's name ----------------------------------------------------------------------
_SEPARATORS = r"[|\-–—:·•»«]"


def site_names(page: Page) -> tuple[str, ...]:
    """The outlet's own names: ``og:site_name``, ``application-name``, the JSON-LD publisher,
    and what ``<title>`` adds around the printed ``<h1>`` (after a separator)."""
    names = [page.meta_first("og:site_name"), page.meta_first("application-name")]
    for obj in page.jsonld:
        pub = obj.get("publisher")
        if isinstance(pub, dict) and isinstance(pub.get("name"), str):
            names.append(clean(pub["name"]))
    h1 = _first_h1_text(page)
    title = page.title
    if h1 and title and title != h1 and h1 in title:
        before, after = title.split(h1, 1)
        for part in (before, after):
            part = re.sub(rf"^\s*{_SEPARATORS}\s*|\s*{_SEPARATORS}\s*$", "", part).strip()
            if part and len(part) <= 40:
                names.append(part)
    return tuple(dict.fromkeys(n for n in names if n and len(n) <= 60))


_HAS_SEPARATOR = re.compile(_SEPARATORS)


def strip_outlet(text: str | None, page: Page) -> str | None:
    """``headline - اسم الموقع`` / ``اسم الموقع | headline`` → ``headline`` (the outlet's names
    are only looked up when the text has a separator)."""
    text = strip_site_name(text)
    if not text or not _HAS_SEPARATOR.search(text):
        return text
    for name in page.site_names:
        esc = re.escape(name)
        stripped = re.sub(rf"\s*{_SEPARATORS}\s*{esc}\s*$", "", text)
        stripped = re.sub(rf"^\s*{esc}\s*{_SEPARATORS}\s*", "", stripped)
        if stripped and stripped != text:
            text = stripped
    return text


def _first_h1_text(page: Page) -> str | None:
    el = _h1(page)
    return page.index.text(el) if el is not None else None


def _h1(page: Page) -> etree._Element | None:
    idx = page.index
    for el in idx.tag("h1"):
        if idx.flags[el] & {"nav", "footer", "sidebar", "aside", "related", "comments", "hidden", "code"}:
            continue
        text = idx.text(el)
        if text and not is_site_name(text):
            return el
    return None


def headline(page: Page) -> tuple[str | None, etree._Element | None]:
    """The first ``<h1>`` outside chrome that is not the outlet's name (a masthead), else the
    ``<title>`` without the outlet's name."""
    el = _h1(page)
    if el is not None:
        text = page.index.text(el)
        if not _HAS_SEPARATOR.search(text) or text not in page.site_names:
            return strip_outlet(text, page), el
    return strip_outlet(page.title, page), None


# -- lines near the headline -----------------------------------------------------------------
def _block_at(idx: PageIndex, el: etree._Element | None) -> int | None:
    """Index in ``idx.blocks`` of the first line at or after ``el``."""
    if el is None or el not in idx.pos:
        return None
    return bisect_left(idx._block_pos, idx.pos[el])


_UPDATE = UPDATE
_PUBLISHED_LABEL = re.compile(rf"(?<![\u0621-\u064a])ن{_H}ش{_H}ر|تاريخ\s*النشر|\bpublished\b|publié", re.IGNORECASE)


def date_lines(page: Page, head_el: etree._Element | None, body_start: int | None,
               skip: frozenset[str] = NAV_KINDS, window: int | None = None) -> list[tuple[int, str]]:
    """Short printed lines outside chrome that may hold a date: ``(distance, text)`` where the
    distance counts lines from the headline (after it is nearer than before it on a tie; lines
    past the start of the body are far)."""
    idx = page.index
    head = _block_at(idx, head_el)
    # lines that share a nearer ancestor with the headline come first (a masthead date bar
    # before the <h1> is nearer in lines than the article's own date line below it)
    around = [head_el, *head_el.iterancestors()] if head_el is not None else []
    spans = [(idx.pos[a], idx.end[a]) for a in around if a in idx.pos]
    out = []
    lo, hi = 0, len(idx.blocks)
    if window is not None and head is not None:
        lo, hi = max(0, head - window), min(hi, head + window)
    for i in idx.date_lines:
        if i < lo or i == head or i >= hi:
            continue
        block = idx.blocks[i]
        if not block.flags.isdisjoint(skip):
            continue
        dist = (abs(i - head) * 2 + (i < head)) if head is not None else i
        if body_start is not None and i >= body_start:
            dist += 1000
        p = block.pos
        level = next((k for k, (start, stop) in enumerate(spans) if start <= p <= stop), len(spans))
        out.append((level * 100 + dist, block.text))
    out.sort(key=lambda pair: pair[0])
    return out


def _split_update(line: str) -> tuple[str, str | None]:
    """``'الأحد 3 نوفمبر 2024، آخر تحديث 10:15'`` → (the date part, the update part)."""
    start = find_update(line)
    if start < 0:
        return line, None
    return line[:start], line[start:]


def dates_near(page: Page, head_el: etree._Element | None, body_start: int | None,
               url_day: str | None = None, skip: frozenset[str] = NAV_KINDS,
               container: etree._Element | None = None) -> tuple[Timestamp | None, Timestamp | None]:
    """(published, modified) from the printed lines nearest the headline. A ``<time datetime>``
    after the headline outside chrome wins for the publication. The update line (``آخر تحديث``,
    ``Updated``) gives the modification time, on the publication's day when it prints no date;
    a line agreeing with the URL's day wins over a nearer one."""
    lines = date_lines(page, head_el, body_start, skip, window=40)
    if not lines:
        lines = date_lines(page, head_el, body_start, skip)
    published: list[tuple[int, Timestamp]] = []
    updates: list[str] = []
    settled = False  # a printed date that agrees with the URL (or any, without a URL date)
    for dist, line in lines[:12]:
        before, update = _split_update(line)
        if update is not None:
            updates.append(update)
        if settled or not before or len(before) > 90 or not _DATEISH.search(before):
            continue
        stamps = _read_line(page, before)
        if stamps:
            labelled = bool(_PUBLISHED_LABEL.search(before))
            published.append((dist - (1 if labelled else 0), stamps[0]))
            settled = not url_day or stamps[0].date == url_day
            if settled and updates:
                break
    machine = _time_element(page, head_el, skip, container)
    pub = None
    if machine is not None:
        pub = machine
        for _, stamp in published:  # the printed line may carry the time the attribute lacks
            if stamp.date == machine.date and stamp.precision != "day" and machine.precision == "day":
                pub = stamp
                break
    elif published:
        agreeing = [c for c in published if url_day and c[1].date == url_day]
        pub = min(agreeing or published, key=lambda c: c[0])[1]
    mod = None
    day = pub.date if pub else url_day
    for update in updates[:3]:
        mod = _update_stamp(page, update, day)
        if mod is not None:
            page.memo["update_line"] = update
            break
    return pub, mod


_LATIN_WORD = re.compile(r"[A-Za-zÀ-ÿ]{3,}")


def _read_line(page: Page, line: str) -> list[Timestamp]:
    """Timestamps of a short candidate line: the Arabic lexicon; a line with Latin words (an
    English or French date on a bilingual page) also gets the dateparser layer."""
    return list(_read_line_memo(line, page.fetched_at))


@lru_cache(maxsize=4096)
def _read_line_memo(line: str, reference) -> tuple[Timestamp, ...]:
    """Memoised: the articles of one day print the same date line (Timestamps are immutable)."""
    if _LATIN_WORD.search(line):
        return tuple(dates.read_date_line(line, reference=reference))
    return tuple(dates.find_dates(line, reference=reference))


@lru_cache(maxsize=4096)
def _time_on_date_memo(day: str, line: str) -> Timestamp | None:
    return dates.time_on_date(day, line)


def _update_stamp(page: Page, update: str, day: str | None) -> Timestamp | None:
    """The time on an update line: its own date and time if it prints both, else its time on
    the publication's day."""
    if _LATIN_WORD.search(update):
        own = next((s for s in _read_line(page, update) if s.precision != "day"), None)
        if own is not None:
            return own
    if day:
        return _time_on_date_memo(day, update)
    stamps = _read_line_memo(update, page.fetched_at)
    return next((s for s in stamps if s.precision != "day"), None)


def _time_element(page: Page, head_el: etree._Element | None, skip: frozenset[str],
                  container: etree._Element | None = None) -> Timestamp | None:
    """``<time datetime>`` of the article: the first after the headline outside chrome (else the
    first outside chrome). A ``<time>`` inside a body container that does not hold the headline
    stamps something in the text (a live blog's update, a dated item), not the article."""
    idx = page.index
    head_pos = idx.pos[head_el] if head_el is not None else -1
    body = container if container is not None and head_el is not None and not idx.contains(container, head_el) \
        else None
    first = None
    for el in idx.tag("time"):
        value = (el.get("datetime") or "").strip()
        if not value or not idx.flags[el].isdisjoint(skip) or (body is not None and idx.contains(body, el)):
            continue
        stamp = dates.parse_iso(value, source="meta")
        if stamp is None:
            continue
        if idx.pos[el] > head_pos:
            return stamp
        first = first or stamp
    return first


def url_day(page: Page) -> str | None:
    """The date printed in the page's URL (a witness that breaks ties between visible dates)."""
    if "url_day" not in page.memo:
        stamp = dates.date_from_url(page.url)
        page.memo["url_day"] = stamp.date if stamp else None
    return page.memo["url_day"]


# -- bylines -----------------------------------------------------------------------------------
_BYLINE_PREFIX = re.compile(
    r"^\s*(?:بقلم|كتبت|كتب|إعداد|اعداد|تقرير|تحرير|تغطية|حوار|عدسة|الكاتب|عن\s+الكاتب|by|par|author)\b\s*[:：\-–—,،]?\s*",
    re.IGNORECASE,
)
_BYLINE_PREFIX_AR = re.compile(r"^\s*(?:بقلم|كتبت|كتب|إعداد|اعداد|تقرير|تحرير|تغطية|حوار|عدسة)(?=\s|[:：\-–—])\s*[:：\-–—]?\s*")
_NAME_END = re.compile(r"\s*(?:[|/\d(·•]|نشر|تاريخ|منذ|published|publié|\s-\s).*$", re.IGNORECASE)
_AUTHOR_SKIP = NAV_KINDS - {"header"}


def split_names(text: str) -> list[str]:
    """``"أ و ب"`` / ``"أ، ب"`` / ``"أحمد علي وليلى سعدي"`` → names; a line with digits or too
    long is not a name. An attached ``و`` splits only between two names of two words or more."""
    text = clean(text).strip(" :：،,-–—")
    if not text or len(text) > 80 or re.search(r"\d", text):
        return []
    out = []
    for part in re.split(r"\s*[،,]\s*|\s+و\s+|\s+and\s+|\s+et\s+", text):
        part = part.strip(" :،,")
        if not part:
            continue
        bits = re.split(r"\s+(?=و[^\s])", part)
        if len(bits) == 2 and all(len(b.split()) >= 2 for b in (bits[0], bits[1][1:])):
            out += [bits[0], bits[1][1:]]
        else:
            out.append(part)
    return [n for n in out if 1 < len(n) <= 40 and len(n.split()) <= 5]


def byline_name(text: str) -> list[str]:
    """Names from a printed byline line: ``كتبت فلانة`` → ``فلانة``; ``بقلم: أ | 10/02/2015``."""
    m = _BYLINE_PREFIX.match(text)
    if not m:
        return []
    rest = _NAME_END.sub("", _without_place(text[m.end():]))
    return split_names(rest)


_DASH = re.compile(r"\s[-–—]\s")


def _all_definite(part: str) -> bool:
    words = part.split()
    return bool(words) and all(w.startswith("ال") for w in words)


def _without_place(text: str) -> str:
    """``المدينة المنورة - فهد العتيبي`` → ``فهد العتيبي``: of the two sides of a dash, the one
    whose every word carries the article ``ال`` is a place (a dateline), not a person (a given name
    never does); the other side is the name. Any other line is returned as it is."""
    parts = _DASH.split(text, 1)
    if len(parts) == 2:
        first, second = parts[0].strip(), parts[1].strip()
        if _all_definite(first) and second and not _all_definite(second):
            return second
        if _all_definite(second) and first and not _all_definite(first):
            return first
    return text


def byline_authors(page: Page, head_el: etree._Element | None, region: etree._Element | None,
                   body_start: int | None) -> list[str]:
    """Authors from markup no profile knows, surest first:
    1. a line starting with a byline word (``كتبت``, ``بقلم:``, ``By``, ``Author,``) near the
       headline, before the body; the label dropped whole;
    2. links to author pages (``/author/…``) in the article region;
    3. a short element named author / byline / writer."""
    idx = page.index
    head = _block_at(idx, head_el) or 0
    stop = body_start if body_start is not None else len(idx.blocks)
    first, last = max(0, head - 6), max(stop, head + 1) + 2
    window = idx.blocks[first:last]
    for i in (k - first for k in idx.byline_lines if first <= k < last):
        block = window[i]
        if is_hidden_label(block.text) == "author" and i + 1 < len(window):
            names = split_names(window[i + 1].text)
            if names:
                return _dedupe(names)
        if block.text in {"الكاتب", "الكاتب:"} and i + 1 < len(window):
            names = split_names(window[i + 1].text)
            if names:
                return _dedupe(names)
        if not block.flags.isdisjoint(_AUTHOR_SKIP):
            continue
        names = byline_name(block.text)
        if names:
            return _dedupe(names)
        if _BYLINE_PREFIX.fullmatch(block.text + " ") and i + 1 < len(window):
            names = split_names(window[i + 1].text)  # 'By' and the name on its own line
            if names:
                return _dedupe(names)
    scope = region if region is not None else page.tree
    names: list[str] = []
    for a in idx.tag("a"):
        if not idx.contains(scope, a) or not idx.flags[a].isdisjoint(_AUTHOR_SKIP):
            continue
        href = a.get("href") or ""
        if _AUTHOR_HREF.search(href) and _author_page(page, href):
            text = idx.text(a, 80)
            if not _LINK_LABEL.search(text):  # 'كل مقالات الكاتب' links to the writer, names nobody
                names += split_names(text)
    if names:
        return _dedupe(names)
    for kind_el in _author_elements(idx, scope):
        text = idx.text(kind_el, 90)
        names = byline_name(text) or split_names(_NAME_END.sub("", _without_place(text)))
        if names:
            return _dedupe(names)
    return []


_LINK_LABEL = re.compile(r"مقالات|الكاتب|المزيد|all\s+(?:articles|posts|stories)|more\s+(?:by|from)|view\s+profile", re.IGNORECASE)


def _author_page(page: Page, href: str) -> bool:
    """A link to a writer's page: on this site, or on the page's own host (another outlet)."""
    target = urljoin(page.url, href)
    kind = urls.classify(target).kind
    return kind in {"author", "other", "external"} or (
        kind == "offsite" and urlsplit(target).hostname == urlsplit(page.url).hostname)


def _author_elements(idx: PageIndex, scope: etree._Element) -> list[etree._Element]:
    out = []
    for el, own in idx.own.items():
        if ("author" in own and idx.contains(scope, el) and idx.flags[el].isdisjoint(_AUTHOR_SKIP)
                and 0 < idx.text_len.get(el, 0) <= 90):
            out.append(el)
    out.sort(key=idx.pos.__getitem__)
    return out


def _dedupe(names: list[str]) -> list[str]:
    return [n for n in dict.fromkeys(names) if not is_site_name(n)]


# -- the body --------------------------------------------------------------------------------
def main_container(page: Page, skip: frozenset[str] = BODY_SKIP) -> etree._Element | None:
    """The element whose paragraph-like lines hold the most non-link text (a line scores for
    its holder and half for the holder's parent, as readability does)."""
    scores: dict[etree._Element, float] = {}
    for block in page.index.blocks:
        if not block.flags.isdisjoint(skip) or len(block.text) < _MIN_BLOCK or block.link_density > 0.3:
            continue
        weight = len(block.text) * (1 - block.link_density)
        holder = block.element
        if block.kind in {"p", "h", "quote", "li"}:
            holder = holder.getparent() if holder.getparent() is not None else holder
        scores[holder] = scores.get(holder, 0) + weight
        parent = holder.getparent()
        if parent is not None and parent.tag not in {"html"}:
            scores[parent] = scores.get(parent, 0) + weight / 2
    scores = {el: score for el, score in scores.items() if el in page.index.pos}
    if not scores:
        return None
    best = max(scores, key=scores.__getitem__)
    return _widen(page, best, scores)


_RUN = 100


def _widen(page: Page, best: etree._Element, scores: dict) -> etree._Element:
    """A body split by injected widgets into sibling runs (``<div><p>…</div><div player/>
    <div><p>…</div>``) is held by their parent: take it when its siblings carry text too."""
    parent = best.getparent()
    if parent is None or parent.tag in {"body", "html"}:
        return best
    own = scores.get(best, 0)
    # a run of the body holds a paragraph's worth of text; a date line or a byline beside the
    # body (scored alone, under _RUN) is not a run
    siblings = sum(score for s in parent if s is not best and (score := scores.get(s, 0)) >= _RUN)
    return parent if siblings >= own * 0.5 else best


def body_start(page: Page, container: etree._Element | None) -> int | None:
    """Index of the first line of the body container."""
    return _block_at(page.index, container) if container is not None else None


def region_of(page: Page, container: etree._Element, head_el: etree._Element | None) -> etree._Element:
    """The smallest element holding both the headline and the body (where article images are)."""
    if head_el is None:
        return container
    idx = page.index
    for anc in [container, *container.iterancestors()]:
        if idx.contains(anc, head_el):
            return container if anc.tag in {"html", "body"} else anc
    return container


def drop_boxes(page: Page, found: list[Block], container: etree._Element) -> list[Block]:
    """Lines of promo boxes anywhere in the body (``اقرأ أيضاً``, ``قصص مقترحة``, ``قد يعجبك``): the
    box is the element around the box heading."""
    idx = page.index
    boxes = []
    for block in found:
        if is_box_heading(block.text):
            box = block.element
            while box is not container and box.getparent() is not None and \
                    idx.text_len.get(box, 0) <= len(block.text) + 2:
                box = box.getparent()
            if box is not container and idx.text_len.get(box, 0) <= 600:
                boxes.append(box)
    if not boxes:
        return found
    return [b for b in found if not any(idx.contains(box, b.element) or idx.pos[box] <= b.pos <= idx.end[box]
                                        for box in boxes)]


def body_blocks(page: Page, container: etree._Element, skip: frozenset[str] = BODY_SKIP,
                exclude: tuple = ()) -> list[Block]:
    idx = page.index
    effective = skip - idx.flags[container]  # the container itself is never chrome
    out = []
    labelled = False
    for b in idx.blocks_in(container):
        if labelled:  # the line a hidden 'Author,' / 'Role,' label names
            labelled = False
            if len(b.text) <= 80:
                continue
        if not b.flags.isdisjoint(effective):
            labelled = is_hidden_label(b.text) in {"author", "role"}
            continue
        if exclude and any(idx.pos[e] <= b.pos <= idx.end[e] for e in exclude):
            continue
        out.append(b)
    return drop_boxes(page, out, container)


def paragraphs(page: Page, container: etree._Element, head: str | None, imgs: list[Image],
               authors: list[str], skip: frozenset[str] = BODY_SKIP, exclude: tuple = ()) -> list[str]:
    captions = {i.caption_raw for i in imgs if i.caption_raw} | {i.caption for i in imgs if i.caption}
    return body_paragraphs(body_blocks(page, container, skip, exclude), head, captions, set(authors))


# -- images, captions, videos ------------------------------------------------------------------
def _visible_text(page: Page, el: etree._Element, limit: int = 300) -> str:
    """Printed text of a small element without visually hidden labels."""
    text = page.index.text(el, limit, skip=_HIDDEN)
    if text and _LEADING_LABEL.match(text):
        text = _LEADING_LABEL.sub("", text)
    if text and _SLIDE_COUNTER.match(text):  # a gallery's '1 / 4' before the caption
        text = _SLIDE_COUNTER.sub("", text)
    return text


_SLIDE_COUNTER = re.compile(r"^[0-9٠-٩]{1,3}\s*(?:/|من|of)\s*[0-9٠-٩]{1,3}\s+(?=\D)")


_HIDDEN = frozenset({"code", "hidden"})
_LEADING_LABEL = re.compile(r"^(?:التعليق على الصورة|تعليق الصورة|image caption|مصدر الصورة|صدر الصورة|image source)\s*[,،]\s*",
                            re.IGNORECASE)


def caption_for(page: Page, img: etree._Element) -> tuple[str | None, str | None]:
    """(printed caption, credit printed apart) of an image: its ``<figure>``'s ``<figcaption>``,
    else a short text block beside the image (a sibling, or a sibling of the wrapper the image
    fills); a sibling element that is only a credit (``تصوير: …``, ``© MAP``, a hidden
    ``مصدر الصورة،`` label) is the credit."""
    idx = page.index
    holder = img
    for anc in img.iterancestors():
        if anc.tag == "figure":
            cap = next(iter(anc.iter("figcaption")), None)
            credit_el = _credit_element(page, anc, img)
            credit = _credit_text(_visible_text(page, credit_el)) if credit_el is not None else None
            caption = _visible_text(page, cap) if cap is not None else ""
            if credit_el is not None and cap is not None and idx.contains(cap, credit_el):
                printed_credit = _visible_text(page, credit_el)
                caption = caption[: -len(printed_credit)].strip() if caption.endswith(printed_credit) else caption
            return caption or None, credit
        if anc.tag not in {"a", "picture", "span", "div", "p"} or idx.text_len.get(anc, 0) > 300:
            break
    # climb the wrappers the image fills (no text of their own)
    while holder.getparent() is not None and holder.getnext() is None and holder.getprevious() is None \
            and idx.text_len.get(holder.getparent(), 0) == 0 and holder.getparent().tag not in {"body", "article"}:
        holder = holder.getparent()
    caption = credit = None
    for sib in _siblings(holder):
        if not isinstance(sib.tag, str) or sib.tag in IMG_TAGS or sib.tag == "br":
            continue
        if idx.text_len.get(sib, 0) > 250 or sib.tag in {"h1", "h2", "h3", "h4"} or sib.find(".//a") is not None:
            break
        text = _visible_text(page, sib)
        if not text:
            continue
        if _is_credit_only(text, sib, idx) and caption is not None:
            credit = credit or _credit_text(text)
            continue
        if caption is None and _caption_like(page, sib, text):
            caption = text
            continue
        break
    if caption is None and holder.tag not in IMG_TAGS:
        caption = _caption_after_break(page, img)
    return caption, credit


def _credit_element(page: Page, figure: etree._Element, img: etree._Element) -> etree._Element | None:
    """An element of the figure that is only a credit: named credit, led by a (hidden)
    ``مصدر الصورة،`` label, or printed ``تصوير: …`` / ``© …``."""
    idx = page.index
    for el in figure.iter():
        if el is figure or el is img or not isinstance(el.tag, str) or el.tag in IMG_TAGS or el.tag == "figcaption":
            continue
        if el.tag not in {"span", "div", "small", "p", "cite"} or not 0 < idx.text_len.get(el, 0) <= 80:
            continue
        if "hidden" in idx.flags.get(el, ()):
            continue
        labelled = any(is_hidden_label(t.strip()) == "credit" for t in el.itertext())
        text = _visible_text(page, el)
        if text and (labelled or _is_credit_only(text, el, idx)):
            return el
    return None


def _siblings(holder: etree._Element):
    nxt = holder.getnext()
    count = 0
    while nxt is not None and count < 3:
        yield nxt
        nxt = nxt.getnext()
        count += 1


_CREDIT_ONLY = re.compile(r"^\s*(?:تصوير|عدسة|المصدر|مصدر الصورة|الصورة|صورة|photo|credit|source|©)\s*[:：،,]?\s*(.+)$",
                          re.IGNORECASE)


_PARENS_ONLY = re.compile(r"^[(（]\s*([^()（）]{1,40}?)\s*[)）]$")


def _is_credit_only(text: str, el: etree._Element, idx: PageIndex) -> bool:
    return bool(_CREDIT_ONLY.match(text) or _PARENS_ONLY.match(text)) or "credit" in words_own(idx, el)


def words_own(idx: PageIndex, el: etree._Element) -> frozenset[str]:
    from .index import words

    return words("", el.get("class") or "", el.get("id") or "")


def _credit_text(text: str) -> str:
    m = _CREDIT_ONLY.match(text) or _PARENS_ONLY.match(text)
    return clean(m.group(1)) if m else text


_SENTENCE_END = re.compile(r"[.!?؟…]\s*$")


def _caption_like(page: Page, el: etree._Element, text: str) -> bool:
    """A caption is short, holds no links or blocks, is not a sentence (unless it ends with a
    credit) and is not shaped like the paragraphs that follow it."""
    if el.tag not in {"div", "span", "p", "small", "em", "figcaption", "i", "font", "cite"}:
        return False
    if "caption" in page.index.flags.get(el, ()) or el.tag == "figcaption":
        return True
    if _SENTENCE_END.search(text) and not text.endswith(")"):
        return False
    after = el.getnext()
    if after is not None and after.tag == el.tag and (after.get("class") or "") == (el.get("class") or "") \
            and page.index.text_len.get(after, 0) > 120:
        return False
    return len(text) <= 200


def _caption_after_break(page: Page, img: etree._Element) -> str | None:
    """Legacy layouts: ``<img><br><font>caption (credit)</font>`` inside one paragraph."""
    nxt = img.getnext()
    if nxt is not None and nxt.tag == "br" and not clean(nxt.tail):
        nxt = nxt.getnext()
    if nxt is not None and nxt.tag in {"font", "span", "small", "em", "i"} and not clean(img.tail):
        text = _visible_text(page, nxt)
        if 0 < len(text) <= 200:
            return text
    return None


def _is_teaser(page: Page, img: etree._Element) -> bool:
    """An image inside a link to another page (not to the image file): a teaser."""
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


_PLAYERS = frozenset({"amp-iframe", "amp-video", "amp-youtube", "video", "iframe"})
_SIZE_WORD = re.compile(r"\d{2,4}(?:x\d{2,4})?|thumb|thumbnail|small", re.IGNORECASE)


def _stems(url: str) -> tuple[str, str]:
    """(file stem, the stem without a size suffix) of an image address: ``…/festival-01-150.jpg``
    → (``festival-01-150``, ``festival-01``)."""
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    cut = max(stem.rfind("-"), stem.rfind("_"))  # the suffix holds neither: its separator is the last
    return stem, (stem[:cut] if cut >= 0 and _SIZE_WORD.fullmatch(stem, cut + 1) else stem)


#: Chrome an article image never sits in.
IMAGE_SKIP = NAV_KINDS | {"share", "tags", "author"}


def images(page: Page, region: etree._Element, skip: frozenset[str] = IMAGE_SKIP,
           exclude: tuple = ()) -> list[Image]:
    """Article images in page order, with caption and credit split, icons and chrome dropped."""
    idx = page.index
    out: list[Image] = []
    seen: set[str] = set()
    stems: set[str] = set()
    own = idx.flags[region]
    for tag in IMG_TAGS:
        for img in idx.tag(tag):
            if not idx.contains(region, img) or (idx.flags[img] - own) & skip:
                continue
            if exclude and any(idx.contains(e, img) for e in exclude):
                continue
            if _too_small(img) or _is_teaser(page, img):
                continue
            if _icon(img.get("src") or "") and not img.get("data-src"):
                continue
            if img.get("placeholder") is not None or img.getparent().tag in _PLAYERS:
                continue  # a player's poster (AMP placeholder), not a picture of the article
            printed, credit = caption_for(page, img)
            image = make_image(img, page.url, printed)
            if image is None or image.url in seen:
                continue
            stem, reduced = _stems(image.url)
            if reduced in stems:
                continue  # a thumbnail of a picture already taken (festival-01-150.jpg)
            stems.add(stem)
            if credit and not image.credit:
                image.credit = credit
                image.caption_raw = clean(f"{printed or ''} {credit}") or None
            seen.add(image.url)
            out.append((idx.pos[img], image))
    out.sort(key=lambda pair: pair[0])
    return [image for _, image in out]


_VIDEO_HOSTS = (
    ("youtube", re.compile(r"(?:^|\.)(?:youtube(?:-nocookie)?\.com|youtu\.be)$")),
    ("facebook", re.compile(r"(?:^|\.)facebook\.com$")),
    ("vimeo", re.compile(r"(?:^|\.)vimeo\.com$")),
    ("dailymotion", re.compile(r"(?:^|\.)(?:dailymotion\.com|dai\.ly)$")),
    ("twitter", re.compile(r"(?:^|\.)(?:twitter\.com|x\.com)$")),
)


def videos(page: Page, region: etree._Element, skip: frozenset[str] = IMAGE_SKIP - {"promo"},
           exclude: tuple = ()) -> list[Video]:
    """Embedded videos in page order: known players' iframes and ``<video>`` elements."""
    idx = page.index
    found = []
    for tag in ("iframe", "video", "amp-youtube"):
        for el in idx.tag(tag):
            if (idx.contains(region, el) and not ((idx.flags[el] - idx.flags[region]) & (skip - {"media"}))
                    and not (exclude and any(idx.contains(e, el) for e in exclude))):
                found.append(el)
    found.sort(key=idx.pos.__getitem__)
    out: list[Video] = []
    for el in found:
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
        printed, credit_apart = caption_for(page, el)
        caption, credit = split_credit(printed)
        if all(v.url != url for v in out):
            out.append(Video(url=url, provider=provider, caption=caption, credit=credit or credit_apart))
    return out


def _provider(url: str) -> str | None:
    host = (urlsplit(url).hostname or "").lower()
    return next((name for name, pattern in _VIDEO_HOSTS if pattern.search(host)), None)


# -- listings, tags ------------------------------------------------------------------------------
def card_count(page: Page) -> int:
    """The largest run of same-shaped siblings (same tag and class) that each link to a
    different article: the cards of a listing, archive or search page."""
    idx = page.index
    this = urls.classify(page.url).key
    groups: dict[tuple, set[str]] = {}
    seen: set = set()
    for a in idx.tag("a"):
        href = a.get("href")
        if not href or idx.flags[a] & {"nav", "header", "footer", "code"}:
            continue
        info = urls.classify(urljoin(page.url, href))
        if info.kind != "article" or info.key == this:
            continue
        # every level where a run of four or more siblings holds this link: (parent, card shape)
        child = a
        for anc in a.iterancestors():
            if anc.tag in {"body", "html"}:
                break
            if len(anc) >= 4 and (anc, child) not in seen:
                seen.add((anc, child))
                groups.setdefault((anc, child.tag, child.get("class")), set()).add(info.key)
            child = anc
    return max((len(keys) for keys in groups.values()), default=0)


_TAG_SKIP = frozenset({"nav", "footer", "code", "hidden"})
_TAG_LABEL = re.compile(r"^(?:الوسوم|الكلمات المتعلقة|الكلمات المفتاحية|كلمات مفتاحية|مواضيع|موضوعات ذات صلة|tags|mots[- ]clés)\s*[:：]?$",
                        re.IGNORECASE)


#: The first letters _TAG_LABEL can match (a test before the case-insensitive alternation).
_TAG_LABEL_FIRST = frozenset("امكtTmM")


def tags(page: Page) -> list[str]:
    """Tag links: ``/tag/…`` (``/topics/…``) hrefs, or links inside a box named tags/keywords or
    labelled ``الوسوم:``."""
    idx = page.index
    found: list[str] = []
    labelled = [idx.blocks[i].element for i in idx.short_lines
                if idx.blocks[i].text[:1] in _TAG_LABEL_FIRST and _TAG_LABEL.match(idx.blocks[i].text)]
    pos, all_flags = idx.pos, idx._flags
    for a in idx.tag("a"):
        flags = all_flags[pos[a]]
        href = (a.get("href") or "").lower()
        if not ("tags" in flags or ("/tag" in href or "/topic" in href or "/keyword" in href) and _TAG_HREF.search(href)
                or labelled and any(idx.contains(box, a) for box in labelled)):
            continue
        if flags.isdisjoint(_TAG_SKIP):
            text = idx.text(a, 80).lstrip("#").strip()
            if text and len(text) <= 60:
                found.append(text)
    return list(dict.fromkeys(found))


# -- the layer ---------------------------------------------------------------------------------
def context(page: Page) -> dict:
    """What every layer reads about the page's layout, computed once per page: the headline
    and its element, the main text container, the line where the body starts, the dates near
    the headline."""
    ctx = page.memo.get("generic")
    if ctx is None:
        head, head_el = headline(page)
        container = main_container(page)
        start = body_start(page, container)
        pub, mod = dates_near(page, head_el, start, url_day=url_day(page), container=container)
        ctx = page.memo["generic"] = {"headline": head, "head_el": head_el, "container": container,
                                      "start": start, "published": pub, "modified": mod}
    return ctx


def extract(page: Page, known: frozenset[str] = frozenset()) -> dict:
    """Candidates from the content-based detectors. Fields in ``known`` (found by the site
    profile) are not searched for again: the body, images and videos when the profile gave the
    body; the authors when it gave them."""
    ctx = context(page)
    out: dict = {}
    head, head_el, container, start = ctx["headline"], ctx["head_el"], ctx["container"], ctx["start"]
    for key in ("headline", "published", "modified"):
        if ctx[key]:
            out[key] = ctx[key]
    found_tags = tags(page)
    if found_tags:
        out["tags"] = found_tags
    region = region_of(page, container, head_el) if container is not None else None
    if "authors" not in known:
        names = byline_authors(page, head_el, region, start)
        if names:
            out["authors"] = names
    if container is not None and "paragraphs" not in known:
        imgs = images(page, region)
        paras = paragraphs(page, container, head, imgs, out.get("authors", []))
        if paras:
            out["paragraphs"] = paras
        if imgs:
            out["images"] = imgs
        found_videos = videos(page, region)
        if found_videos:
            out["videos"] = found_videos
    return out
