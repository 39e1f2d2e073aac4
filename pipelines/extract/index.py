"""One walk over the parsed page builds the index every layer reads (parse once, walk once).

The walk records, in document order:

- every element's position and the position of its last descendant (``pos`` / ``end``: a
  containment test is two integer comparisons), and elements by tag, class token, id and
  ``itemprop``;
- **chrome flags** inherited down the tree: ``header nav footer aside sidebar comments related
  share newsletter ads promo tags author caption hidden media code`` (from the tag, ARIA roles,
  ``hidden`` styles and the words of class / id / custom-element names);
- text length per subtree;
- the **printed lines** (``Block``): text cut at every block-level boundary, every ``<br>`` and
  every change of chrome flags, each with its innermost block element, its flags and its link
  text. Bodies, date lines, update lines, bylines and captions are all read from these lines;
  the candidates for dates, update lines and bylines are listed once (``date_lines``,
  ``update_lines``, ``byline_lines``: indexes into ``blocks``).

No layer walks the tree again, calls ``text_content()`` on a large element, or runs a
whole-document XPath; they look things up here.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import cached_property, lru_cache

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
    **dict.fromkeys(["author", "authors", "byline", "writer", "writeby", "by"], "author"),
    **dict.fromkeys(["caption", "figcaption", "credit"], "caption"),
    **dict.fromkeys(["sronly", "visuallyhidden", "screenreader", "screenreadertext", "offscreen",
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
#: A line that may hold a date: a digit, or a relative day/time word.
DATEISH = re.compile(r"[0-9٠-٩۰-۹]|منذ|أمس|امس|البارحة|قبل")
_DIGIT = re.compile(r"[0-9٠-٩۰-۹]")


def is_dateish(text: str) -> bool:
    """``DATEISH.search(text)``, twice as fast: a character class and substring tests (an
    alternation of words makes the regex try every position)."""
    return bool(_DIGIT.search(text)) or "منذ" in text or "قبل" in text or "البارحة" in text \
        or ("مس" in text and ("أمس" in text or "امس" in text))
_H = "[\u064b-\u0652]*"  # harakat between letters
#: The label of an update line (آخر تحديث, عُدّل:, Updated, Mis à jour).
UPDATE = re.compile(
    rf"[آا]خر\s*(?:تحديث|تعديل)|تم\s*التحديث|(?<![\u0621-\u064a])ع{_H}د{_H}ل{_H}(?:\s+في)?\s*[:：]|\bupdated?\b|mis\s+à\s+jour|modifié",
    re.IGNORECASE)
_UPDATE_LAST = re.compile(r"[آا]خر\s*(?:تحديث|تعديل)")
_UPDATE_DONE = re.compile(r"تم\s*التحديث")
_UPDATE_EDITED = re.compile(rf"ع{_H}د{_H}ل{_H}(?:\s+في)?\s*[:：]")
_UPDATE_LATIN = re.compile(r"\bupdated?\b|mis\s+à\s+jour|modifié", re.IGNORECASE)


def find_update(text: str) -> int:
    """Where ``UPDATE.search(text)`` starts, or -1: each alternative with a literal first letter
    alone, after a substring test (one case-insensitive alternation with a look-behind is tried
    at every position of every candidate line)."""
    starts = []
    if "خر" in text:
        m = _UPDATE_LAST.search(text)
        if m:
            starts.append(m.start())
    if "تم" in text:
        m = _UPDATE_DONE.search(text)
        if m:
            starts.append(m.start())
    if (":" in text or "：" in text) and "ع" in text:
        m = _UPDATE_EDITED.search(text)
        while m and m.start() > 0 and "\u0621" <= text[m.start() - 1] <= "\u064a":
            m = _UPDATE_EDITED.search(text, m.start() + 1)  # the look-behind: not inside a word
        if m:
            starts.append(m.start())
    if "u" in text or "U" in text or "m" in text or "M" in text:
        m = _UPDATE_LATIN.search(text)
        if m:
            starts.append(m.start())
    return min(starts, default=-1)


#: A line that starts like a byline or its label (كتب, كتبت, بقلم, إعداد, By, Author,, الكاتب).
BYLINE = re.compile(r"^\s*(?:بقلم|كتبت|كتب|إعداد|اعداد|تقرير|تحرير|تغطية|حوار|عدسة|الكاتب|الكاتبة|عن\s+الكاتب|by|par|author)\b",
                    re.IGNORECASE)
#: The first letters a BYLINE line can start with (block texts are stripped; a test before the
#: case-insensitive alternation).
_BYLINE_FIRST = frozenset("بكإاتحعbBpPaA")
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

    @property
    def link_density(self) -> float:
        return self.link_chars / max(len(self.text), 1)


#: The kind of a line by the tag of its block element ('text' for any other: bare text in a div …).
_KINDS = {**dict.fromkeys(HEADING_TAGS, "h"), "blockquote": "quote", "li": "li", "dt": "li", "dd": "li",
          "td": "cell", "th": "cell", "p": "p"}


class PageIndex:
    """Everything the layers look up, built by :meth:`build` in one walk."""

    def __init__(self) -> None:
        self.elements: list[etree._Element] = []
        self.pos: dict[etree._Element, int] = {}
        # per element, by position (lists: one dict store per element is the walk's main cost)
        self._end: list[int] = []
        self._flags: list[frozenset[str]] = []
        self._text: list[int] = []
        self.end = _ByPos(self.pos, self._end, None)
        self.by_tag: dict[str, list[etree._Element]] = {}
        self.by_class: dict[str, list[etree._Element]] = {}
        self.by_id: dict[str, etree._Element] = {}
        self.by_itemprop: dict[str, list[etree._Element]] = {}
        self.by_property: dict[str, list[etree._Element]] = {}  # RDFa ``property``
        self.flags = _ByPos(self.pos, self._flags, _EMPTY)
        self.own: dict[etree._Element, frozenset[str]] = {}
        self.text_len = _ByPos(self.pos, self._text, 0)
        self.blocks: list[Block] = []
        self.pruned: set[etree._Element] = set()  # chrome recorded but not entered
        self._block_pos: list[int] = []

    # -- lookups --------------------------------------------------------------------------
    def tag(self, name: str) -> list[etree._Element]:
        return self.by_tag.get(name, [])

    def cls(self, name: str) -> list[etree._Element]:
        return self.by_class.get(name, [])

    def contains(self, outer: etree._Element, inner: etree._Element) -> bool:
        p = self.pos.get(inner)
        if p is None:
            return False
        start = self.pos.get(outer)
        if start is None:  # not walked: the root above <body> holds everything, chrome nothing
            return outer.getparent() is None
        return start <= p <= self._end[start]

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
        if el in self.pruned:
            return ""  # a chrome subtree the walk did not enter
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

    @cached_property
    def _cands(self) -> tuple[list[int], list[int], list[int], list[int]]:
        dated, updates, bylines, short = [], [], [], []
        for i, block in enumerate(self.blocks):
            text = block.text
            n = len(text)
            if n > 160:
                continue
            if is_dateish(text):
                dated.append(i)
                if find_update(text) >= 0:
                    updates.append(i)
            if n <= 90 and text[:1] in _BYLINE_FIRST and BYLINE.match(text):
                bylines.append(i)
            if n <= 30:
                short.append(i)
        return dated, updates, bylines, short

    @property
    def short_lines(self) -> list[int]:
        """Indexes of the lines of 30 characters or fewer (labels: ``الوسوم:``, ``الكاتب``)."""
        return self._cands[3]

    @property
    def date_lines(self) -> list[int]:
        """Indexes of the short lines that may hold a date (a digit or a relative word)."""
        return self._cands[0]

    @property
    def update_lines(self) -> list[int]:
        """Indexes of the short lines with an update label and a digit."""
        return self._cands[1]

    @property
    def byline_lines(self) -> list[int]:
        """Indexes of the short lines that start like a byline or its label."""
        return self._cands[2]

    def element_at(self, pos: int) -> etree._Element:
        return self.elements[pos]

    # -- the walk ---------------------------------------------------------------------------
    @classmethod
    def build(cls, root: etree._Element) -> PageIndex:
        """One recursive walk (libxml2 caps the depth at 256 without ``huge_tree``). Subtrees of
        code and of site chrome (``nav``, ``footer``, ``aside``, sidebars, comments: PRUNED) are
        recorded as one element with their flags and not entered."""
        self = cls()
        holders = set()
        for main in root.iter("article", "main"):
            holders.update(main.iterancestors())
        elements = self.elements
        pos_of = self.pos
        end_of = self._end
        by_tag = self.by_tag
        by_class = self.by_class
        by_id = self.by_id
        by_itemprop = self.by_itemprop
        by_property = self.by_property
        flags_of = self._flags
        own_of = self.own
        text_len = self._text
        blocks = self.blocks
        pruned = self.pruned
        buf: list[str] = []
        # the current line: [first piece position, flags, owner element, link chars]
        line = [0, _EMPTY, root, 0]

        def flush() -> None:
            if buf:
                text = clean("".join(buf))
                if text:
                    owner = line[2]
                    blocks.append(Block(text, _KINDS.get(owner.tag, "text"), owner, line[1], line[0], line[3]))
                buf.clear()
            line[3] = 0

        def add(text: str, owner, flags, pos: int, in_link: bool) -> int:
            if text.isspace():
                if buf:
                    buf.append(text)
                return 0
            n = len(text.strip())
            if buf and (owner is not line[2] or flags != line[1]):
                flush()
            if not buf:
                line[0], line[1], line[2] = pos, flags, owner
            buf.append(text)
            if in_link:
                line[3] += n
            return n

        def walk(el, tag: str, inherited, block, in_link: bool, in_article: bool) -> int:
            pos = len(elements)
            elements.append(el)
            pos_of[el] = pos
            end_of.append(pos)
            text_len.append(0)
            if tag in by_tag:
                by_tag[tag].append(el)
            else:
                by_tag[tag] = [el]
            own = _EMPTY
            if tag in CODE_TAGS:
                own = _CODE
            else:
                items = el.items()
                custom = tag if "-" in tag else ""
                if items or custom:
                    cls_attr = ident = ""
                    extra = None
                    for key, value in items:
                        if key == "class":
                            cls_attr = value
                            for token in value.split():
                                if token in by_class:
                                    by_class[token].append(el)
                                else:
                                    by_class[token] = [el]
                        elif key == "id":
                            ident = value
                            by_id.setdefault(value, el)
                        elif key == "itemprop":
                            for token in value.split():
                                by_itemprop.setdefault(token, []).append(el)
                        elif key == "property":
                            for token in value.split():
                                by_property.setdefault(token, []).append(el)
                        elif key in _FLAG_ATTRS:
                            kind = _attr_kind(key, value)
                            if kind:
                                extra = (extra or set())
                                extra.add(kind)
                    if cls_attr or ident or custom:
                        own = _class_kinds(custom, cls_attr, ident, tag == "p" or tag in HEADING_TAGS)
                        if own and tag in ("article", "main"):  # WordPress: class="… tag-port"
                            own = own & _ARTICLE_OWN
                    if extra:
                        own = own | extra
                tk = TAG_KINDS.get(tag)
                if tk:
                    own = own | {tk}
                if own:
                    if el in holders:  # a box left open around the article: not chrome
                        own = own - _CONTAINER_KINDS
                    elif in_article and ("header" in own or "footer" in own):
                        own = own - _HEADER_FOOTER  # the article's own header (headline, byline)
            if own:
                own_of[el] = own
                flags = inherited | own if inherited else own
            else:
                flags = inherited
            flags_of.append(flags)
            if own and not own.isdisjoint(PRUNED) and (tag == "header" or not own & PRUNED <= _HEADER_ONLY):
                pruned.add(el)
                return 0  # a class named header may be the article's own (h1, byline): entered
            in_article = in_article or tag == "article" or tag == "main"
            is_block = tag in BLOCK_TAGS
            if is_block:
                if buf:
                    flush()
                block = el
            if tag == "a":
                in_link = True
            total = 0
            text = el.text
            if text:
                if text.isspace():
                    if buf:
                        buf.append(text)
                else:  # add(), inlined: the walk's hottest call
                    n = len(text.strip())
                    if buf and (block is not line[2] or flags != line[1]):
                        flush()
                    if not buf:
                        line[0], line[1], line[2] = pos, flags, block
                    buf.append(text)
                    if in_link:
                        line[3] += n
                    total += n
            for child in el:
                ctag = child.tag
                if ctag.__class__ is str:
                    if ctag == "br":
                        if buf:
                            flush()
                        pos_of[child] = cpos = len(elements)
                        elements.append(child)
                        end_of.append(cpos)
                        text_len.append(0)
                        flags_of.append(flags)
                    else:
                        total += walk(child, ctag, flags, block, in_link, in_article)
                        if buf and ctag in BLOCK_TAGS:
                            flush()
                tail = child.tail
                if tail:
                    if tail.isspace():
                        if buf:
                            buf.append(tail)
                    else:
                        total += add(tail, block, flags, pos, in_link)
            if is_block and buf:
                flush()
            end_of[pos] = len(elements) - 1
            text_len[pos] = total
            return total

        start = next((child for child in root if child.tag == "body"), root)
        walk(start, start.tag, _EMPTY, start, False, False)
        flush()
        walk = add = flush = None  # noqa: F811 - break the closures' reference cycle
        self._block_pos = [b.pos for b in blocks]
        return self


class _ByPos:
    """A read-only element → value mapping over a list indexed by document position."""

    __slots__ = ("_default", "_pos", "_values")

    def __init__(self, pos: dict, values: list, default) -> None:
        self._pos, self._values, self._default = pos, values, default

    def __getitem__(self, el):
        p = self._pos.get(el)
        return self._default if p is None else self._values[p]

    def get(self, el, default=None):
        p = self._pos.get(el)
        return (self._default if default is None else default) if p is None else self._values[p]

    def __contains__(self, el) -> bool:
        return el in self._pos


_CODE = frozenset({"code"})
_ARTICLE_OWN = frozenset({"comments", "hidden"})
_HEADER_FOOTER = frozenset({"header", "footer"})
_HEADER_ONLY = frozenset({"header"})
#: Chrome subtrees the walk records but does not enter (nothing in them is ever article text,
#: date, byline or image).
PRUNED = frozenset({"code", "nav", "footer", "aside", "sidebar", "comments", "header", "related", "ads", "newsletter"})
_FLAG_ATTRS = frozenset({"role", "aria-hidden", "hidden", "style"})


def _attr_kind(key: str, value: str) -> str | None:
    if key == "role":
        return _ROLE_KINDS.get(value.lower())
    if key == "aria-hidden":
        return "hidden" if value == "true" else None
    if key == "hidden":
        return "hidden"
    squeezed = value.replace(" ", "").lower()
    return "hidden" if "display:none" in squeezed or "visibility:hidden" in squeezed else None


_ROLE_KINDS = {"navigation": "nav", "banner": "header", "contentinfo": "footer", "complementary": "aside",
               "search": "nav", "menu": "nav", "menubar": "nav"}
#: Kinds an element holding the article's ``<main>`` / ``<article>`` cannot have.
_CONTAINER_KINDS = frozenset({"header", "nav", "footer", "sidebar", "aside", "related", "share", "promo",
                              "comments", "author", "caption", "tags", "newsletter", "ads", "form"})
