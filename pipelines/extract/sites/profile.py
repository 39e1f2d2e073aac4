"""Site profiles as data: ``sites/<site>.json`` holds dated era entries of selectors and text
anchors; this module reads them and applies one entry to a page through the page index.

An entry reports only what its own selectors and anchors found (the record's ``sources`` says
``profile`` for exactly those fields); the generic layer answers the rest.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from lxml import etree

from .. import dates, generic
from ..boilerplate import is_boilerplate
from ..index import BYLINE, PageIndex
from ..page import Page
from ..structured import is_site_name
from ..urls import UrlInfo

HERE = Path(__file__).parent
FIELDS = ("headline", "published", "authors", "body", "chrome")


@dataclass(frozen=True)
class Era:
    name: str
    valid_from: str
    valid_to: str | None
    url_eras: tuple[int, ...]
    markers: tuple[str, ...] = ()
    headline: tuple[str, ...] = ()
    published: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    body: tuple[str, ...] = ()
    chrome: tuple[str, ...] = ()
    anchors: dict = field(default_factory=dict, hash=False, compare=False)

    def covers(self, day: str | None) -> bool:
        return day is None or (self.valid_from <= day and (self.valid_to is None or day <= self.valid_to))


@dataclass(frozen=True)
class Profile:
    site: str
    eras: tuple[Era, ...]

    @classmethod
    def from_dict(cls, data: dict) -> Profile:
        eras = []
        for e in data["eras"]:
            eras.append(Era(
                name=e["name"], valid_from=e["valid_from"], valid_to=e.get("valid_to"),
                url_eras=tuple(e.get("url_eras", ())), markers=tuple(e.get("markers", ())),
                **{f: tuple(e.get(f, ())) for f in FIELDS}, anchors=dict(e.get("anchors", {})),
            ))
        return cls(site=data["site"], eras=tuple(eras))

    def choose(self, page: Page, info: UrlInfo) -> Era | None:
        """The entry for this page: among the entries of the URL's era, the one whose markers the
        markup shows (a layout seen earlier or later than its dates), else the one whose dates
        hold the URL's date, else the latest."""
        if info.era is None:
            return None
        candidates = [e for e in self.eras if info.era in e.url_eras]
        if not candidates:
            return None
        idx = page.index
        marked = [e for e in candidates if any(select(idx, m) for m in e.markers)]
        if len(marked) == 1:
            return marked[0]
        pool = marked or candidates
        day = getattr(info, "url_date", None)
        dated = [e for e in pool if e.covers(day)]
        return (dated or pool)[-1]


@lru_cache(maxsize=8)
def load(site: str = "almodon") -> Profile:
    return Profile.from_dict(json.loads((HERE / f"{site}.json").read_text(encoding="utf-8")))


# -- selectors on the index ---------------------------------------------------------------------
_COMPOUND = re.compile(r"^(?P<tag>[a-z0-9\-]+)?(?P<rest>(?:[.#][^.#\[]+|\[[a-z\-]+=[^\]]+\])*)$")
_PART = re.compile(r"([.#])([^.#\[]+)|\[([a-z\-]+)=([^\]]+)\]")


@lru_cache(maxsize=256)
def _parse(selector: str) -> tuple:
    """``.a b > .c`` → ((combinator, tag, classes, ids, attrs), …)."""
    steps = []
    combinator = " "
    for token in selector.split():
        if token == ">":
            combinator = ">"
            continue
        m = _COMPOUND.match(token)
        if not m:
            raise ValueError(f"unsupported selector {selector!r}")
        classes, ids, attrs = [], [], []
        for dot, name, attr, value in _PART.findall(m.group("rest") or ""):
            if dot == ".":
                classes.append(name)
            elif dot == "#":
                ids.append(name)
            else:
                attrs.append((attr, value.strip("'\"")))
        steps.append((combinator, m.group("tag"), tuple(classes), tuple(ids), tuple(attrs)))
        combinator = " "
    return tuple(steps)


def _matches(el: etree._Element, tag, classes, ids, attrs) -> bool:
    if tag and el.tag != tag:
        return False
    if classes:
        have = (el.get("class") or "").split()
        if any(c not in have for c in classes):
            return False
    if ids and el.get("id") not in ids:
        return False
    return all((el.get(a) or "").split().count(v) or el.get(a) == v for a, v in attrs)


def _candidates(idx: PageIndex, tag, classes, ids, attrs) -> list[etree._Element]:
    if ids:
        el = idx.by_id.get(ids[0])
        pool = [el] if el is not None else []
    elif classes:
        pool = idx.by_class.get(classes[0], [])
    elif attrs and attrs[0][0] == "itemprop":
        pool = idx.by_itemprop.get(attrs[0][1], [])
    elif tag:
        pool = idx.by_tag.get(tag, [])
    else:
        pool = idx.elements
    return [el for el in pool if _matches(el, tag, classes, ids, attrs)]


def select(idx: PageIndex, selector: str) -> list[etree._Element]:
    """Elements matching ``selector`` in document order (index lookups, no tree walk)."""
    steps = _parse(selector)
    found = _candidates(idx, *steps[0][1:])
    for combinator, *spec in steps[1:]:
        pool = _candidates(idx, *spec)
        if combinator == ">":
            parents = set(found)
            found = [el for el in pool if el.getparent() in parents]
        else:
            found = [el for el in pool if any(idx.contains(a, el) and a is not el for a in found)]
    return found


# -- applying an entry ------------------------------------------------------------------------------
def _first_text(page: Page, era_selectors: tuple[str, ...]) -> tuple[str | None, etree._Element | None]:
    idx = page.index
    for selector in era_selectors:
        for el in select(idx, selector):
            text = idx.text(el, 300)
            if text and not is_site_name(text):
                return text, el
    return None, None


def _find_dates(text: str, page: Page):
    """``dates.find_dates`` of a printed line; a line without Latin words is read through the
    generic layer's memo (the same date line is read there too, and on every page of that day)."""
    if text and not generic._LATIN_WORD.search(text):
        return generic._read_line_memo(text, page.fetched_at)
    return dates.find_dates(text, reference=page.fetched_at)


def author_boxes(page: Page, label: str | None) -> list[tuple[etree._Element, list[str]]]:
    """Author boxes around a ``الكاتب`` label: (box, names printed after the label)."""
    if not label:
        return []
    idx = page.index
    out = []
    # lines that start like a byline or its label (الكاتب is one); another label: every line
    lines = idx.byline_lines if BYLINE.match(label) else range(len(idx.blocks))
    for i in lines:
        block = idx.blocks[i]
        text = block.text
        if not text.startswith(label):
            continue
        rest = text[len(label):]
        if rest and not rest[0] in " :：":
            continue
        rest = rest.strip(" :：")
        box = block.element
        for anc in box.iterancestors():
            if anc.tag in {"article", "main", "body"} or idx.text_len.get(anc, 0) > 120:
                break
            box = anc
        names = generic.split_names(rest) if rest else []
        if not names:
            for nxt in idx.blocks_in(box):
                if nxt.pos > block.pos and nxt.text != text and not is_boilerplate(nxt.text):
                    names = generic.split_names(nxt.text)
                    break
        if rest and not names:
            continue
        out.append((box, names))
    return out


def extract(page: Page, era: Era) -> dict:
    """Candidates from one era entry (only what its selectors and anchors found). The generic
    layer's context (headline element, dates) serves where the entry names no element."""
    idx = page.index
    fallback = generic.context(page)
    out: dict = {}
    head, head_el = _first_text(page, era.headline)
    if head:
        out["headline"] = generic.strip_outlet(head, page)
    else:
        head_el = fallback["head_el"]
    for selector in era.published:
        for el in select(idx, selector):
            stamps = _find_dates(idx.text(el, 120), page)
            if stamps:
                out["published"] = stamps[0]
                break
        if "published" in out:
            break
    anchors = era.anchors
    boxes = author_boxes(page, anchors.get("author_label"))
    names = [n for _, found in boxes for n in found]
    if not names:
        text, _ = _first_text(page, era.authors)
        if text:
            names = generic.byline_name(text) or generic.split_names(text)
    if names:
        out["authors"] = list(dict.fromkeys(names))
    chrome = tuple(el for selector in era.chrome for el in select(idx, selector))
    exclude = chrome + tuple(box for box, _ in boxes)
    update = anchors.get("update_line")
    if update:
        pub = out.get("published") or fallback.get("published")
        day = pub.date if pub else generic.url_day(page)
        mod = _update_line(page, update, day, exclude)
        if mod:
            out["modified"] = mod
    container = None
    for selector in era.body:
        found = [el for el in select(idx, selector) if not any(idx.contains(c, el) for c in chrome)]
        if found:
            container = max(found, key=lambda el: idx.text_len.get(el, 0))
            break
    if container is not None:
        region = generic.region_of(page, container, head_el)
        imgs = generic.images(page, region, exclude=exclude)
        paras = generic.paragraphs(page, container, out.get("headline") or fallback.get("headline"), imgs,
                                   out.get("authors", []), exclude=exclude)
        if paras:
            out["paragraphs"] = paras
            if imgs:
                out["images"] = imgs
            vids = generic.videos(page, region, exclude=exclude)
            if vids:
                out["videos"] = vids
    return out


def _update_line(page: Page, anchor: str, day: str | None, exclude: tuple):
    """The update line (``آخر تحديث: 21:43 (بيروت)``, also printed without spaces): a time on
    the article's day."""
    if not day:
        return None
    idx = page.index
    folded = anchor.replace(" ", "")
    seen = page.memo.get("update_line")
    if seen and folded in seen.replace(" ", "") and generic.context(page)["modified"] is not None:
        return generic.context(page)["modified"]  # the generic layer read this same line
    for i in idx.update_lines:
        block = idx.blocks[i]
        if not block.flags.isdisjoint(generic.NAV_KINDS) or folded not in block.text.replace(" ", ""):
            continue
        if exclude and any(idx.contains(e, block.element) for e in exclude):
            continue
        stamp = generic._time_on_date_memo(day, block.text)
        if stamp:
            return stamp
    return None
