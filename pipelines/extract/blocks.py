"""Reading-order text blocks of a container, for body extraction.

Body text on Al-Modon sits in ``<p>``, in bare text nodes split by ``<br>``, or both; a
``<p>``-only extractor loses the lead. So we walk the tree once and cut the text at every
block-level boundary and at every ``<br>``; chrome subtrees are skipped as a whole.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from lxml import etree

from .text import clean

BLOCK_TAGS = frozenset(
    ["p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "li", "ul", "ol", "dl", "dt", "dd", "table", "tbody", "thead", "tr", "td", "th", "figure", "figcaption", "header", "footer", "nav", "aside", "pre", "center", "hr", "address", "details", "summary"]
)
HEADING_TAGS = frozenset(["h1", "h2", "h3", "h4", "h5", "h6"])
#: Subtrees that never hold body text.
SKIP_TAGS = frozenset(
    ["script", "style", "noscript", "template", "iframe", "svg", "button", "form", "select", "input", "textarea", "nav", "aside", "footer", "header", "figure", "figcaption", "img", "amp-img", "picture", "video", "audio", "object", "embed", "canvas", "map", "head", "title", "link", "meta"]
)
#: Words in a class, id or custom-element name that mark chrome (matched on whole words).
CHROME_WORDS = frozenset(
    ["share", "sharing", "social", "related", "comment", "comments", "newsletter", "subscribe", "mostread", "popular", "trending", "tag", "tags", "sidebar", "widget", "ad", "ads", "advert", "advertisement", "banner", "billboard", "leaderboard", "breadcrumb", "breadcrumbs", "menu", "navbar", "nav", "header", "footer", "notification", "cookie", "promo", "recommended", "outbrain", "taboola", "fontsize", "toolbar", "author", "authors", "byline", "writer", "more", "readmore", "caption", "figcaption", "credit", "sponsor"]
)
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")


@dataclass
class Block:
    text: str
    kind: str  # 'p', 'h' (heading), 'quote', 'li', 'text' (bare text), 'cell'
    element: etree._Element  # the innermost block-level element holding the text
    link_chars: int = 0

    @property
    def link_density(self) -> float:
        return self.link_chars / max(len(self.text), 1)


#: Stems that mark chrome even inside a compound class word (``sharedaddy``, ``jp-relatedposts``).
CHROME_STEMS = (
    "share", "social", "related", "comment", "newsletter", "subscribe", "advert", "sponsor",
    "promo", "recommend", "popular", "trending", "breadcrumb", "sidebar", "widget", "cookie",
    "outbrain", "taboola", "mostread", "readmore", "fontsize", "byline",
)


def words_of(el: etree._Element) -> frozenset[str]:
    """Lower-case words of an element's tag (custom elements), class and id; a word holding a
    chrome stem (``sharedaddy``) also counts as that stem."""
    tag = el.tag if isinstance(el.tag, str) else ""
    return _words(tag if "-" in tag else "", el.get("class") or "", el.get("id") or "")


@lru_cache(maxsize=8192)
def _words(tag: str, cls: str, ident: str) -> frozenset[str]:
    raw = f"{tag} {cls} {ident}".lower()
    words = set(_WORD_SPLIT.split(raw))
    flat = raw.replace("-", "").replace("_", "")
    words.update(stem for stem in CHROME_STEMS if stem in flat)
    words.discard("")
    return frozenset(words)


def is_chrome(el: etree._Element) -> bool:
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag in SKIP_TAGS:
        return True
    if (el.get("role") or "").lower() in {"navigation", "banner", "contentinfo", "complementary"}:
        return True
    if (el.get("aria-hidden") or "") == "true" or "display:none" in (el.get("style") or "").replace(" ", ""):
        return True
    return bool(words_of(el) & CHROME_WORDS)


def _kind(tag: str) -> str:
    if tag in HEADING_TAGS:
        return "h"
    if tag == "blockquote":
        return "quote"
    if tag in {"li", "dt", "dd"}:
        return "li"
    if tag in {"td", "th"}:
        return "cell"
    if tag == "p":
        return "p"
    return "text"


def blocks(container: etree._Element, skip: Callable[[etree._Element], bool] = is_chrome) -> list[Block]:
    """Text blocks of ``container`` in reading order. ``skip`` decides which descendants are
    chrome (the container itself is never skipped)."""
    out: list[Block] = []
    buf: list[str] = []
    link = [0]
    stack: list[etree._Element] = [container]

    def flush() -> None:
        text = clean("".join(buf))
        if text:
            owner = stack[-1]
            out.append(Block(text, _kind(owner.tag if isinstance(owner.tag, str) else ""), owner, link[0]))
        buf.clear()
        link[0] = 0

    def add(text: str | None, in_link: bool) -> None:
        if text:
            buf.append(text)
            if in_link:
                link[0] += len(text.strip())

    def walk(el: etree._Element, in_link: bool) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag == "br":
            flush()
            return
        is_block = tag in BLOCK_TAGS
        if is_block:
            flush()
            stack.append(el)
        in_link = in_link or tag == "a"
        add(el.text, in_link)
        for child in el:
            if not isinstance(child.tag, str):  # comments, processing instructions
                add(child.tail, in_link)
                continue
            if not skip(child):
                walk(child, in_link)
            elif (child.tag in BLOCK_TAGS or child.tag in SKIP_TAGS) and child.tag != "img":
                flush()
            add(child.tail, in_link)
        if is_block:
            flush()
            stack.pop()

    walk(container, False)
    flush()
    return out
