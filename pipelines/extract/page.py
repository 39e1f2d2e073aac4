"""Parse once, share the tree: one ``Page`` bundle per fetched document.

Every layer (structured data, the site profile, the generic fallback) reads from this bundle;
nothing re-parses the HTML per field.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

import lxml.html
from lxml import etree
from w3lib.encoding import http_content_type_encoding

from .text import clean, decode_with_witnesses

_ARTICLE_TYPES = {
    "newsarticle",
    "article",
    "reportagenewsarticle",
    "opinionnewsarticle",
    "analysisnewsarticle",
    "blogposting",
    "backgroundnewsarticle",
}
_CDATA = re.compile(r"^\s*(?://\s*)?<!\[CDATA\[|(?://\s*)?\]\]>\s*$")


def _says_utf8(content_type: str | None) -> bool:
    return bool(content_type) and http_content_type_encoding(content_type) == "utf-8"


def _parser() -> etree.HTMLParser:
    """An HTML parser whose elements are all ``HtmlElement`` (``text_content()`` and friends)
    without lxml.html's per-tag class lookup, which costs a Python call per element touched.
    A new parser per page: lxml parsers are not thread-safe."""
    parser = etree.HTMLParser(encoding="utf-8", remove_comments=True, huge_tree=False)
    parser.set_element_class_lookup(etree.ElementDefaultClassLookup(element=lxml.html.HtmlElement))
    return parser


@dataclass
class Page:
    url: str  # the site URL this page stands for (used to resolve relative links)
    encoding: str
    tree: lxml.html.HtmlElement
    fetched_at: datetime | None = None
    problems: list[str] = field(default_factory=list)
    encoding_notes: list[dict] = field(default_factory=list)
    memo: dict = field(default_factory=dict)  # per-page results shared by the layers

    def problems_as_conflicts(self) -> list[dict]:
        """What the record notes about the page itself (charset witnesses that disagreed,
        invalid bytes kept as U+FFFD)."""
        return list(self.encoding_notes)

    @classmethod
    def parse(
        cls,
        body: bytes,
        url: str,
        content_type: str | None = None,
        fetched_at: datetime | None = None,
    ) -> Page:
        root = None
        encoding, notes = "utf-8", []
        if _says_utf8(content_type) and body.strip() and not body.startswith(b"\xef\xbb\xbf"):
            # The common case: the header says UTF-8. libxml2 checks the bytes while it parses
            # (ERR_INVALID_ENCODING); only a page that is not valid UTF-8 is decoded in Python.
            parser = _parser()
            root = etree.fromstring(body.replace(b"\x00", b""), parser=parser)
            if parser.error_log and any(e.type_name == "ERR_INVALID_ENCODING" for e in parser.error_log):
                root = None
            elif root is None:
                raise ValueError("no HTML element in the document")
        if root is None:
            encoding, html, notes = decode_with_witnesses(body, content_type)
            if not html.strip():
                raise ValueError("empty document")
            # parse from UTF-8 bytes so lxml never second-guesses the decoding done above
            root = etree.fromstring(html.replace("\x00", "").encode("utf-8"), parser=_parser())
            if root is None:
                raise ValueError("no HTML element in the document")
        page = cls(url=url, encoding=encoding, tree=root, fetched_at=fetched_at)
        page.encoding_notes = notes
        return page

    # -- structured data -------------------------------------------------------------------
    @cached_property
    def meta(self) -> dict[str, list[str]]:
        """``<meta>`` content by lower-cased ``property`` / ``name`` / ``itemprop``."""
        out: dict[str, list[str]] = {}
        for el in self.elements("meta"):
            key = el.get("property") or el.get("name") or el.get("itemprop")
            content = el.get("content")
            if key and content is not None and content.strip():
                out.setdefault(key.strip().lower(), []).append(content.strip())
        return out

    def meta_first(self, *keys: str) -> str | None:
        for key in keys:
            values = self.meta.get(key)
            if values:
                return clean(values[0]) or None
        return None

    @cached_property
    def jsonld(self) -> list[dict]:
        """Article-typed JSON-LD objects (``@graph`` and lists flattened). Broken blocks are
        skipped and noted in ``problems``."""
        found: list[dict] = []
        for script in self.elements("script"):
            if (script.get("type") or "").strip().lower() != "application/ld+json":
                continue
            raw = (script.text or "").strip()
            if "CDATA[" in raw or raw.endswith("]]>"):  # the regex scans every position: only when needed
                raw = _CDATA.sub("", raw).strip()
            if not raw:
                continue
            try:
                data = json.loads(raw)
            except ValueError:
                self.problems.append("jsonld_invalid")
                continue
            found.extend(o for o in _walk_jsonld(data) if _is_article(o))
        return found

    @cached_property
    def title(self) -> str | None:
        found = self.elements("title")
        return clean(found[0].text_content()) if found else None

    @cached_property
    def canonical_link(self) -> str | None:
        for el in self.elements("link"):
            if (el.get("rel") or "").lower() == "canonical" and el.get("href"):
                return el.get("href").strip()
        return None

    @cached_property
    def _head(self) -> dict[str, list]:
        """``<head>``'s elements by tag (one pass over a few elements; the body is indexed)."""
        out: dict[str, list] = {}
        children = {child.tag: child for child in self.tree if isinstance(child.tag, str)}
        head = children.get("head")
        if head is not None and "body" in children:
            for el in head.iter():
                if isinstance(el.tag, str):
                    out.setdefault(el.tag, []).append(el)
        return out

    def elements(self, tag: str) -> list:
        """Every ``tag`` element of the page, ``<head>`` first, then the body's (from the index)."""
        return self._head.get(tag, []) + self.index.tag(tag)

    @cached_property
    def index(self):
        """The one walk over the tree every layer reads (``index.PageIndex``)."""
        from .index import PageIndex

        return PageIndex.build(self.tree)

    @cached_property
    def site_names(self) -> tuple[str, ...]:
        """The outlet's own names (``og:site_name``, the publisher, what ``<title>`` adds)."""
        from .generic import site_names

        return site_names(self)


def _walk_jsonld(data):
    if isinstance(data, list):
        for item in data:
            yield from _walk_jsonld(item)
    elif isinstance(data, dict):
        yield data
        graph = data.get("@graph")
        if graph is not None:
            yield from _walk_jsonld(graph)


def _is_article(obj: dict) -> bool:
    types = obj.get("@type")
    if isinstance(types, str):
        types = [types]
    if not isinstance(types, list):
        return False
    return any(isinstance(t, str) and t.lower() in _ARTICLE_TYPES for t in types)
