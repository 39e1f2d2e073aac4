"""One walk over the parsed page builds the index every layer reads (parse once, walk once).

The walk records, in document order:

- every element's position and the position of its last descendant (``pos`` / ``end``: a
  containment test is two integer comparisons), and elements by tag, class token, id and
  ``itemprop``;
- **chrome flags** inherited down the tree: ``header nav footer aside sidebar comments related
  share newsletter ads promo tags author caption hidden media code`` (from the tag, ARIA roles,
  ``hidden`` styles and the words of class / id / custom-element names);
- text and link-text length per subtree;
- the **printed lines** (``Block``): text cut at every block-level boundary, every ``<br>`` and
  every change of chrome flags, each with its innermost block element, its flags and its link
  text. Bodies, date lines, update lines, bylines and captions are all read from these lines.

No layer walks the tree again, calls ``text_content()`` on a large element, or runs a
whole-document XPath; they look things up here.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache

from lxml import etree

from .text import clean

BLOCK_TAGS = frozenset(
    ["p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "li", "ul",
     "ol", "dl", "dt", "dd", "table", "tbody", "thead", "tr", "td", "th", "figure", "figcaption", "header",
     "footer", "nav", "aside", "pre", "center", "hr", "address", "details", "summary", "form"]
)
HEADING_TAGS = frozenset(["h1", "h2", "h3", "h4", "h5", "h6"])
#: Subtrees that never hold printed text (their text is code, or a control's label).
CODE_TAGS = frozenset(["script", "style", "noscript", "template", "svg", "head", "title", "link", "meta",
                       "object", "embed", "canvas", "map", "select", "textarea", "input", "button"])
#: Tags that are chrome of one kind by themselves.
TAG_KINDS = {
    "nav": "nav", "footer": "footer", "aside": "aside", "header": "header", "form": "form",
    "figure": "media", "picture": "media", "video": "media", "audio": "media", "iframe": "media",
    "figcaption": "caption",
}
#: Class / id / custom-element words → chrome kind (whole words; camelCase is split).
WORD_KINDS = {
    **dict.fromkeys(["header", "masthead", "topbar"], "header"),
    **dict.fromkeys(["nav", "navbar", "navigation", "menu", "breadcrumb", "breadcrumbs", "breadcumb"], "nav"),
    **dict.fromkeys(["footer"], "footer"),
    **dict.fromkeys(["sidebar", "aside"], "sidebar"),
    **dict.fromkeys(["comment", "comments"], "comments"),
    **dict.fromkeys(["related", "mostread", "popular", "trending", "recommended", "outbrain", "taboola",
                     "readmore", "more", "suggested", "morenews", "latest"], "related"),
    **dict.fromkeys(["share", "sharing", "social", "toolbar", "fontsize", "tools"], "share"),
    **dict.fromkeys(["newsletter", "subscribe"], "newsletter"),
    **dict.fromkeys(["ad", "ads", "adv", "advert", "advertisement", "banner", "billboard", "leaderboard",
                     "sponsor", "sponsored", "adslot", "dfp", "pubcode"], "ads"),
    **dict.fromkeys(["promo", "widget", "notification", "cookie", "player", "vplayer"], "promo"),
    **dict.fromkeys(["tag", "tags", "keywords"], "tags"),
    **dict.fromkeys(["author", "authors", "byline", "writer", "writeby"], "author"),
    **dict.fromkeys(["caption", "figcaption", "credit"], "caption"),
    **dict.fromkeys(["hidden", "sronly", "visuallyhidden", "screenreader", "screenreadertext", "offscreen",
                     "vh"], "hidden"),
}
#: Stems that mark chrome at the start of a compound class word (``sharedaddy``, ``relatedposts``).
STEMS = (("share", "share"), ("social", "share"), ("related", "related"), ("comment", "comments"),
         ("newsletter", "newsletter"), ("subscribe", "newsletter"), ("advert", "ads"), ("sponsor", "ads"),
         ("promo", "promo"), ("recommend", "related"), ("popular", "related"), ("trending", "related"),
         ("breadcrumb", "nav"), ("sidebar", "sidebar"), ("widget", "promo"), ("cookie", "promo"),
         ("outbrain", "related"), ("taboola", "related"), ("mostread", "related"), ("readmore", "related"),
         ("fontsize", "share"), ("byline", "author"))
#: Classes a screen reader reads and a browser does not show.
_HIDDEN_CLASSES = re.compile(r"(?:^|\s)(?:sr-only|visually-hidden|visuallyhidden|screen-reader-text|"
                             r"screen-reader-only|a11y-hidden|element-invisible|hidden|d-none)(?:\s|$)")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")
_EMPTY: frozenset[str] = frozenset()
#: Kinds a ``<p>`` or heading takes from its own class (its text is text; other kinds come from
#: the boxes around it).
_TEXT_OWN_KINDS = frozenset({"hidden", "caption", "author", "tags"})


@lru_cache(maxsize=16384)
def words(tag: str, cls: str, ident: str) -> frozenset[str]:
    """Lower-case words of a custom element's name, its class and id (camelCase split)."""
    raw = _CAMEL.sub(" ", f"{tag} {cls} {ident}").lower()
    found = set(_WORD_SPLIT.split(raw))
    found.discard("")
    return frozenset(found)


@lru_cache(maxsize=16384)
def _class_kinds(tag: str, cls: str, ident: str, text_tag: bool) -> frozenset[str]:
    kinds = set()
    for word in words(tag, cls, ident):
        kind = WORD_KINDS.get(word)
        if kind:
            kinds.add(kind)
        elif not text_tag:
            for stem, stem_kind in STEMS:
                if word.startswith(stem):
                    kinds.add(stem_kind)
                    break
    if _HIDDEN_CLASSES.search(cls):
        kinds.add("hidden")
    if text_tag:
        kinds &= _TEXT_OWN_KINDS
    return frozenset(kinds)


@dataclass(slots=True)
class Block:
    """One printed line: text between block boundaries (or ``<br>``), with where it sits."""

    text: str
    kind: str  # 'p', 'h' (heading), 'quote', 'li', 'cell', 'text' (bare text in a div …)
    element: etree._Element  # the innermost block-level element holding the text
    flags: frozenset[str]  # chrome kinds of the element the text sits in and of its ancestors
    pos: int  # document position of the element holding the first piece of text
    link_chars: int = 0
    heading_tag: str = ""

    @property
    def link_density(self) -> float:
        return self.link_chars / max(len(self.text), 1)


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


class PageIndex:
    """Everything the layers look up, built by :meth:`build` in one walk."""

    def __init__(self) -> None:
        self.elements: list[etree._Element] = []
        self.pos: dict[etree._Element, int] = {}
        self.end: dict[etree._Element, int] = {}
        self.by_tag: dict[str, list[etree._Element]] = {}
        self.by_class: dict[str, list[etree._Element]] = {}
        self.by_id: dict[str, etree._Element] = {}
        self.by_itemprop: dict[str, list[etree._Element]] = {}
        self.flags: dict[etree._Element, frozenset[str]] = {}
        self.own: dict[etree._Element, frozenset[str]] = {}
        self.text_len: dict[etree._Element, int] = {}
        self.link_len: dict[etree._Element, int] = {}
        self.blocks: list[Block] = []
        self._block_pos: list[int] = []

    # -- lookups --------------------------------------------------------------------------
    def tag(self, name: str) -> list[etree._Element]:
        return self.by_tag.get(name, [])

    def cls(self, name: str) -> list[etree._Element]:
        return self.by_class.get(name, [])

    def contains(self, outer: etree._Element, inner: etree._Element) -> bool:
        p = self.pos.get(inner)
        return p is not None and self.pos[outer] <= p <= self.end[outer]

    def inside(self, el: etree._Element, outers) -> bool:
        return any(self.contains(o, el) for o in outers)

    def blocks_in(self, el: etree._Element) -> list[Block]:
        """The printed lines inside ``el`` (in document order)."""
        start, stop = self.pos.get(el), self.end.get(el)
        if start is None:
            return []
        return self.blocks[bisect_left(self._block_pos, start): bisect_right(self._block_pos, stop)]

    def text(self, el: etree._Element, limit: int = 400, skip: frozenset[str] = frozenset({"code"})) -> str:
        """The printed text of a small element (code, and ``skip`` kinds below it, left out);
        '' when its text is longer than ``limit`` (callers ask about lines and boxes, never
        about the page)."""
        if self.text_len.get(el, 0) > limit:
            return ""
        flags = self.flags
        own = flags.get(el, _EMPTY)
        parts: list[str] = []

        def visit(node) -> None:
            if node.text and not ((flags.get(node, _EMPTY) - own) & skip):
                parts.append(node.text)
            for child in node:
                if isinstance(child.tag, str) and not ((flags.get(child, _EMPTY) - own) & skip):
                    if child.tag in BLOCK_TAGS or child.tag == "br":
                        parts.append(" ")
                    visit(child)
                if child.tail and not ((flags.get(node, _EMPTY) - own) & skip):
                    parts.append(child.tail)

        visit(el)
        return clean("".join(parts))

    def element_at(self, pos: int) -> etree._Element:
        return self.elements[pos]

    # -- the walk ---------------------------------------------------------------------------
    @classmethod
    def build(cls, root: etree._Element) -> PageIndex:
        self = cls()
        holders = set()
        for main in root.iter("article", "main"):
            holders.update(main.iterancestors())
        self._holders = holders
        self._buf: list[str] = []
        self._buf_link = 0
        self._buf_pos = 0
        self._buf_flags = _EMPTY
        self._buf_owner = root
        self._walk(root, _EMPTY, root, False, False)
        self._flush()
        self._block_pos = [b.pos for b in self.blocks]
        del self._buf, self._holders
        return self

    def _flush(self) -> None:
        if self._buf:
            text = clean("".join(self._buf))
            if text:
                owner = self._buf_owner
                tag = owner.tag
                self.blocks.append(Block(text, _kind(tag), owner, self._buf_flags, self._buf_pos,
                                         self._buf_link, tag if tag in HEADING_TAGS else ""))
            self._buf.clear()
        self._buf_link = 0

    def _add(self, text: str, owner, flags, pos: int, in_link: bool) -> int:
        """Append a text piece to the current line; returns its length (stripped)."""
        n = len(text.strip())
        if not n:
            if self._buf:
                self._buf.append(text)
            return 0
        if self._buf and (owner is not self._buf_owner or flags != self._buf_flags):
            self._flush()
        if not self._buf:
            self._buf_pos, self._buf_flags, self._buf_owner = pos, flags, owner
        self._buf.append(text)
        if in_link:
            self._buf_link += n
        return n

    def _walk(self, el, inherited: frozenset[str], block, in_link: bool, in_article: bool) -> tuple[int, int]:
        tag = el.tag
        pos = len(self.elements)
        self.elements.append(el)
        self.pos[el] = pos
        self.by_tag.setdefault(tag, []).append(el)
        get = el.get
        cls_attr = get("class") or ""
        ident = get("id") or ""
        if cls_attr:
            for token in cls_attr.split():
                self.by_class.setdefault(token, []).append(el)
        if ident:
            self.by_id.setdefault(ident, el)
        prop = get("itemprop")
        if prop:
            for token in prop.split():
                self.by_itemprop.setdefault(token, []).append(el)

        # own chrome kinds
        if tag in CODE_TAGS:
            own = frozenset(("code",))
        else:
            custom = tag if "-" in tag else ""
            own = _class_kinds(custom, cls_attr, ident, tag == "p" or tag in HEADING_TAGS) \
                if (cls_attr or ident or custom) else _EMPTY
            if own and tag in ("article", "main"):  # WordPress: class="… tag-port category-x"
                own = own & {"comments", "hidden"}
            tk = TAG_KINDS.get(tag)
            if tk:
                own = own | {tk}
            role = get("role")
            if role and role.lower() in _ROLE_KINDS:
                own = own | {_ROLE_KINDS[role.lower()]}
            if get("aria-hidden") == "true" or get("hidden") is not None:
                own = own | {"hidden"}
            style = get("style")
            if style and ("display:none" in style.replace(" ", "") or "visibility:hidden" in style.replace(" ", "")):
                own = own | {"hidden"}
            if own:
                if el in self._holders:  # a box left open around the article: not chrome
                    own = own - _CONTAINER_KINDS
                elif in_article and ("header" in own or "footer" in own):
                    own = own - {"header", "footer"}  # the article's own header (headline, byline)
        if own:
            self.own[el] = own
            flags = inherited | own if inherited else own
        else:
            flags = inherited
        self.flags[el] = flags
        in_article = in_article or tag in ("article", "main")

        is_block = tag in BLOCK_TAGS or tag == "body"
        if is_block:
            self._flush()
            block = el
        in_link = in_link or tag == "a"
        total = links = 0
        text = el.text
        if text and tag not in CODE_TAGS:
            n = self._add(text, block, flags, pos, in_link)
            total += n
            if in_link:
                links += n
        for child in el:
            ctag = child.tag
            if isinstance(ctag, str):
                if ctag == "br":
                    self._flush()
                    self.pos[child] = len(self.elements)
                    self.end[child] = len(self.elements)
                    self.elements.append(child)
                    self.flags[child] = flags
                else:
                    t, lk = self._walk(child, flags, block, in_link, in_article)
                    total += t
                    links += lk
                    if ctag in BLOCK_TAGS:
                        self._flush()
            tail = child.tail
            if tail:
                n = self._add(tail, block, flags, pos, in_link)
                total += n
                if in_link:
                    links += n
        if is_block:
            self._flush()
        self.end[el] = len(self.elements) - 1
        self.text_len[el] = total
        self.link_len[el] = links
        return total, links


_ROLE_KINDS = {"navigation": "nav", "banner": "header", "contentinfo": "footer", "complementary": "aside",
               "search": "nav", "menu": "nav", "menubar": "nav"}
#: Kinds an element holding the article's ``<main>`` / ``<article>`` cannot have.
_CONTAINER_KINDS = frozenset({"header", "nav", "footer", "sidebar", "aside", "related", "share", "promo",
                              "comments", "author", "caption", "tags", "newsletter", "ads", "form"})
