"""Recognise and canonicalise Al-Modon (almodon.com) URLs.

Three article URL eras are live in old links (see ``/work/shared/almodon-site-facts.md``):

====  ==============================================  ==============================================
era   path                                            canonical form (``https://www.almodon.com`` +)
====  ==============================================  ==============================================
1     ``/<Section>/Articles/<number>`` (to ~2014)     ``/<section>/articles/<number>``
2     ``/<section>/<uuid>`` (2014-2015)               ``/<section>/<uuid lower>``
3     ``/<section>/YYYY/M(M)/D(D)/<slug>`` (2016 on)  ``/<section>/YYYY/MM/DD/<slug>``
====  ==============================================  ==============================================

Canonical article URLs are https, ``www.``, lower-case path apart from the slug, the slug in
Unicode NFC percent-encoded as UTF-8 with upper-case hex, a zero-padded date, no query, no
fragment, no trailing slash; every canonical URL is a fixed point of
:func:`w3lib.url.canonicalize_url`.

Era 1 decision: the canonical is the *lower-cased* path ``/<section>/articles/<number>`` with
leading zeros dropped. Those URLs redirect on the live site; the caller keeps the URL it was
given and stores the article under the final (redirected) URL, so the era-1 canonical serves as an
identity, not as a fetch target. The identity of an article is :attr:`UrlInfo.key`, which ignores
host, scheme, case of the section, date padding and slug encoding (``n:<number>``,
``u:<uuid>``, ``d:<section>/<YYYY>/<MM>/<DD>/<NFC slug>``).

Everything here is pure string work (stdlib + w3lib), with no network and no Scrapy import.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from w3lib.url import canonicalize_url, safe_url_string

__all__ = [
    "CANONICAL_BASE",
    "SITE_HOSTS",
    "UrlInfo",
    "canonicalize",
    "classify",
    "to_fetch_url",
    "to_site_url",
]

SITE_HOSTS = frozenset({"almodon.com", "www.almodon.com"})
CANONICAL_BASE = "https://www.almodon.com"

#: The registrable domain: subdomains of it (``media.almodon.com``) may serve static files.
_SITE_DOMAIN = "almodon.com"
_DEFAULT_PORTS = {"http": 80, "https": 443}

_SECTION_RE = re.compile(r"[a-z]+", re.ASCII)
_ERA1_ARTICLES_RE = re.compile(r"articles", re.IGNORECASE)
_NUMBER_RE = re.compile(r"[0-9]+", re.ASCII)
_UUID_RE = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.ASCII | re.IGNORECASE
)
_YEAR_RE = re.compile(r"[0-9]{4}", re.ASCII)
_MONTH_DAY_RE = re.compile(r"[0-9]{1,2}", re.ASCII)
_SITEMAP_FILE_RE = re.compile(r"[\w.-]*sitemap[\w.-]*\.xml(?:\.gz)?", re.ASCII | re.IGNORECASE)
_RSS_FILE_RE = re.compile(
    r"(?:rss|feed)[\w.-]*\.(?:xml|rss)|[\w.-]+\.rss", re.ASCII | re.IGNORECASE
)
_SEARCH_QUERY_RE = re.compile(r"(?:^|&)(?:s|q|query|search)=", re.ASCII)
_EXTENSION_RE = re.compile(r"\.([a-z0-9]{1,5})$", re.ASCII | re.IGNORECASE)
_TRACKING_PARAM_RE = re.compile(r"utm_\w+|fbclid|gclid|dclid|msclkid|mc_[ce]id|_ga", re.ASCII)

#: File extensions served as static files (images, styles, scripts, fonts, media, documents, data).
_STATIC_EXTENSIONS = frozenset(
    """
    jpg jpeg png gif webp svg ico bmp avif tif tiff heic css js mjs map json xml txt csv pdf
    woff woff2 ttf otf eot mp3 mp4 m4a m4v webm ogg oga ogv wav mov avi flv zip rar gz tgz 7z
    doc docx xls xlsx ppt pptx
    """.split()  # noqa: SIM905 - a word list reads best as words
)

#: First path segments that are never an article section (compared lower-cased). Anything
#: starting with ``sitemap`` is reserved as well.
_RESERVED_SEGMENTS = frozenset(
    """
    getallauthorarticles search tag tags author authors writer writers assets static images
    image img imgs uploads upload files file content dist api rss feed feeds sitemap sitemaps
    robots about aboutus about-us contact contactus contact-us privacy terms policy login
    logout signin signup register account profile user users admin amp cdn css js fonts page
    pages ar en category categories sections
    """.split()  # noqa: SIM905 - a word list reads best as words
)

#: Path characters a segment keeps unescaped: RFC 3986 unreserved + sub-delims + ``:@``, minus
#: ``;`` (w3lib would read it as a path parameter). ``/ ? # %`` inside a segment are escaped.
_SEGMENT_SAFE = "-._~!$&'()*+,=:@"


@dataclass(frozen=True)
class UrlInfo:
    """What a URL is on Al-Modon.

    - ``kind``: ``article`` | ``home`` | ``section`` | ``listing`` (paged home/section listing) |
      ``author`` | ``author_listing`` | ``tag`` | ``search`` | ``rss`` | ``sitemap`` |
      ``robots`` | ``static`` | ``other`` | ``offsite``.
    - ``canonical``: for an article, its one canonical URL; for another on-site page, the URL
      rewritten onto :data:`CANONICAL_BASE` (query kept only for ``listing``, ``search`` and
      ``other``, tracking parameters dropped); for a static file on a subdomain, the URL itself
      made safe; ``None`` for offsite URLs.
    - ``era``: 1, 2 or 3 for articles (see the module docstring), else ``None``.
    - ``section``: the lower-case section of an article, section page, section listing or
      section feed, else ``None``.
    - ``url_date``: era 3 only, ``YYYY-MM-DD`` when the path date is a real calendar date.
    - ``key``: a stable article identity (``n:10392``, ``u:<uuid>``,
      ``d:<section>/YYYY/MM/DD/<NFC slug>``), else ``None``.
    """

    kind: str
    canonical: str | None
    era: int | None = None
    section: str | None = None
    url_date: str | None = None
    key: str | None = None

    @property
    def is_article(self) -> bool:
        """True for any of the three article URL forms."""
        return self.kind == "article"


_OFFSITE = UrlInfo("offsite", None)


def classify(url: str, extra_hosts: Iterable[str] = ()) -> UrlInfo:
    """Classify ``url`` and give its canonical form (memoised: pages repeat their links)."""
    hosts = (extra_hosts,) if isinstance(extra_hosts, str) else tuple(extra_hosts)
    return _classify(url, hosts)


# The working set is the links every page repeats (navigation, pagers): 2,048 hold them. Each
# entry is ~600 bytes, and a crawl's article URLs are each classified once or twice, far apart:
# 8,192 kept ~5 MB of them in the Scrapy process (docs/benchmark.md, "Flat memory").
@lru_cache(maxsize=2048)
def _classify(url: str, extra_hosts: tuple[str, ...]) -> UrlInfo:
    """Classify ``url`` and give its canonical form.

    ``extra_hosts`` are ``host[:port]`` strings (or base URLs) that also count as the site, such as
    a local replica ``127.0.0.1:8123``; URLs on them are canonicalised onto :data:`CANONICAL_BASE`.
    A URL without a host that starts with ``/`` is taken as a path on the site; other relative
    URLs are ``other`` with no canonical form. Non-http(s) schemes (``mailto:``, ``javascript:``)
    are ``offsite``.
    """
    try:
        parts = urlsplit(url.strip().replace("\\", "/"))
        port = parts.port
    except ValueError:  # bad port or IPv6 literal
        return _OFFSITE
    scheme = parts.scheme.lower()
    if scheme not in ("", "http", "https"):
        return _OFFSITE
    if not parts.netloc:
        if not parts.path.startswith("/"):
            return UrlInfo("other", None)
    else:
        host = (parts.hostname or "").rstrip(".")
        if host not in SITE_HOSTS and not _is_extra_host(host, port, scheme, extra_hosts):
            if host.endswith("." + _SITE_DOMAIN) and _extension(parts.path) in _STATIC_EXTENSIONS:
                return UrlInfo("static", safe_url_string(url.strip().split("#", 1)[0]))
            return _OFFSITE
    return _classify_path(_segments(parts.path), parts.query)


def canonicalize(url: str, extra_hosts: Iterable[str] = ()) -> str | None:
    """The canonical URL of the article ``url`` points to, or ``None`` if it is not an article."""
    info = classify(url, extra_hosts)
    return info.canonical if info.kind == "article" else None


def to_site_url(url: str, base_url: str) -> str:
    """Rewrite a URL on ``base_url``'s host (e.g. a replica) onto :data:`CANONICAL_BASE`.

    Path and query are kept, the fragment dropped. When ``base_url`` is the real site, any
    almodon.com/www.almodon.com URL gets the ``https://www.`` form. Other URLs come back unchanged.
    """
    parts = _split_or_none(url)
    base = _split_or_none(base_url)
    if parts is None or base is None or not _same_origin_host(parts, base):
        return url
    return _rebase(parts, CANONICAL_BASE)


def to_fetch_url(url: str, base_url: str) -> str:
    """Rewrite an almodon.com URL (any scheme, with or without ``www.``) onto ``base_url``.

    The result has ``base_url``'s scheme, host and port with ``url``'s path and query, so a crawl
    of a replica stays on the replica. When ``base_url`` is the real site the result is the
    ``https://www.`` form. Other URLs come back unchanged.
    """
    parts = _split_or_none(url)
    base = _split_or_none(base_url)
    if parts is None or base is None or parts.scheme.lower() not in ("http", "https"):
        return url
    if (parts.hostname or "").rstrip(".") not in SITE_HOSTS:
        return url
    if (base.hostname or "").rstrip(".") in SITE_HOSTS:
        return _rebase(parts, CANONICAL_BASE)
    return _rebase(parts, f"{base.scheme.lower()}://{base.netloc.lower()}")


# --- path classification -------------------------------------------------------------------


def _classify_path(segs: list[str], query: str) -> UrlInfo:
    """Classify an on-site path given as decoded segments plus the raw query."""
    if not segs:
        if _SEARCH_QUERY_RE.search(query):  # WordPress-style search: /?s=…
            return UrlInfo("search", _site_url([], query))
        if _page_param(query):
            return UrlInfo("listing", _site_url([], query))
        return UrlInfo("home", CANONICAL_BASE + "/")
    first, last = segs[0].lower(), segs[-1].lower()
    n = len(segs)

    if n == 1 and first == "robots.txt":
        return UrlInfo("robots", _site_url(segs))
    if first.startswith("sitemap") or _SITEMAP_FILE_RE.fullmatch(last):
        return UrlInfo("sitemap", _site_url(segs))
    if first in ("rss", "feed", "feeds") or _RSS_FILE_RE.fullmatch(last):
        section = last if n == 2 and _SECTION_RE.fullmatch(last) else None
        return UrlInfo("rss", _site_url(segs), section=section)
    if _extension(last) in _STATIC_EXTENSIONS:
        return UrlInfo("static", _site_url(segs))

    article = _article(segs)
    if article is not None:
        return article

    if _is_section(first):
        if n == 1:
            if _page_param(query):
                return UrlInfo("listing", _site_url([first], query), section=first)
            return UrlInfo("section", _site_url([first]), section=first)
        if n == 3 and segs[1].lower() == "page" and _NUMBER_RE.fullmatch(segs[2]):
            return UrlInfo("listing", _site_url([first, "page", segs[2]]), section=first)
    if first in ("category", "categories", "section", "sections") and n >= 2:
        return UrlInfo("listing", _site_url([first, *segs[1:]], query), section=segs[1].lower())
    if first == "page" and n == 2 and _NUMBER_RE.fullmatch(segs[1]):
        return UrlInfo("listing", _site_url(["page", segs[1]]))
    if first == "getallauthorarticles" and n == 3 and _NUMBER_RE.fullmatch(segs[1]):
        return UrlInfo("author_listing", _site_url([first, segs[1], _lower_uuid(segs[2])]))
    if first in ("author", "authors", "writer", "writers") and n >= 2:
        return UrlInfo("author", _site_url([first, _lower_uuid(segs[1]), *segs[2:]]))
    if first in ("tag", "tags") and n >= 2:
        return UrlInfo("tag", _site_url([first, *segs[1:]]))
    if first == "search":
        return UrlInfo("search", _site_url([first, *segs[1:]], query))
    return UrlInfo("other", _site_url(segs, query))


def _article(segs: list[str]) -> UrlInfo | None:
    """The article a path names, in any of the three eras, or ``None``."""
    section = segs[0].lower()
    if not _is_section(section):
        return None
    if len(segs) == 3 and _ERA1_ARTICLES_RE.fullmatch(segs[1]) and _NUMBER_RE.fullmatch(segs[2]):
        number = str(int(segs[2]))
        return UrlInfo(
            "article", _site_url([section, "articles", number]), 1, section, None, f"n:{number}"
        )
    if len(segs) == 2 and _UUID_RE.fullmatch(segs[1]):
        uid = segs[1].lower()
        return UrlInfo("article", _site_url([section, uid]), 2, section, None, f"u:{uid}")
    if (
        len(segs) == 5
        and _YEAR_RE.fullmatch(segs[1])
        and _MONTH_DAY_RE.fullmatch(segs[2])
        and _MONTH_DAY_RE.fullmatch(segs[3])
    ):
        year, month, day = segs[1], segs[2].zfill(2), segs[3].zfill(2)
        slug = unicodedata.normalize("NFC", segs[4])
        canonical = _site_url([section, year, month, day, slug])
        # A slug that is not valid UTF-8 keeps its escapes in the key (surrogates can't be stored).
        slug_key = slug if _is_utf8(slug) else canonical.rsplit("/", 1)[1]
        return UrlInfo(
            "article",
            canonical,
            3,
            section,
            _real_date(year, month, day),
            f"d:{section}/{year}/{month}/{day}/{slug_key}",
        )
    return None


# --- helpers --------------------------------------------------------------------------------


def _segments(path: str) -> list[str]:
    """Split a URL path into percent-decoded segments, dropping empty and dot segments.

    Undecodable (non-UTF-8) escapes survive as surrogates and are re-escaped unchanged.
    """
    segs: list[str] = []
    for raw in path.split("/"):
        if raw in ("", "."):
            continue
        if raw == "..":
            if segs:
                segs.pop()
            continue
        segs.append(unquote(raw, errors="surrogateescape"))
    return segs


def _site_url(segs: list[str], query: str = "") -> str:
    """Build the canonical site URL from decoded segments and an optional query.

    Tracking parameters are dropped from the query; the result goes through w3lib's
    ``canonicalize_url`` (sorted query, upper-case escapes, no fragment).
    """
    path = "/" + "/".join(map(_quote_segment, segs))
    pairs = [
        (k, v)
        for k, v in parse_qsl(query, keep_blank_values=True)
        if not _TRACKING_PARAM_RE.fullmatch(k)
    ]
    if not pairs and not _ASCII_ESCAPE.search(path) and _utf8(segs):
        # canonicalize_url would return it unchanged (no query, only %XX of UTF-8 bytes >= 0x80:
        # tests/test_urls_fast_path.py); it is most of the cost of classifying a page
        return CANONICAL_BASE + path
    url = CANONICAL_BASE + path + ("?" + urlencode(pairs) if pairs else "")
    return canonicalize_url(url)


#: A percent-escape of an ASCII byte, which canonicalize_url may write differently.
_ASCII_ESCAPE = re.compile(r"%[0-7][0-9A-Fa-f]")
#: ``quote(…, safe=_SEGMENT_SAFE)`` per byte: the byte itself when safe, else ``%XX``.
_QUOTED_BYTE = [chr(b) if chr(b) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_" + _SEGMENT_SAFE
                else f"%{b:02X}" for b in range(256)]


_SAFE_SEGMENT = re.compile(r"[A-Za-z0-9_\-.~!$&'()*+,=:@]*")


def _quote_segment(seg: str) -> str:
    """``urllib.parse.quote(seg, safe=_SEGMENT_SAFE, errors="surrogateescape")``, by a table
    (quote calls a Python function per byte; a slug of Arabic words is a hundred bytes)."""
    if seg.isascii():
        return seg if _SAFE_SEGMENT.fullmatch(seg) else quote(seg, safe=_SEGMENT_SAFE)
    return "".join(map(_QUOTED_BYTE.__getitem__, seg.encode("utf-8", "surrogateescape")))


def _utf8(segs: list[str]) -> bool:
    try:
        "".join(segs).encode("utf-8")
    except UnicodeEncodeError:  # surrogate-escaped bytes that were not UTF-8
        return False
    return True


def _is_section(name: str) -> bool:
    """True for a lower-case alphabetic first segment that is not a reserved path."""
    return (
        bool(_SECTION_RE.fullmatch(name))
        and name not in _RESERVED_SEGMENTS
        and not (name.startswith("sitemap"))
    )


def _page_param(query: str) -> bool:
    """True when the query carries a numeric ``page`` parameter."""
    return any(k.lower() == "page" and v.isdigit() for k, v in parse_qsl(query))


def _extension(path_or_segment: str) -> str:
    """The lower-case file extension of the last path segment, or ``''``."""
    last = path_or_segment.rstrip("/").rsplit("/", 1)[-1]
    match = _EXTENSION_RE.search(last)
    return match.group(1).lower() if match else ""


def _lower_uuid(seg: str) -> str:
    """Lower-case a UUID segment; leave anything else as it is."""
    return seg.lower() if _UUID_RE.fullmatch(seg) else seg


def _real_date(year: str, month: str, day: str) -> str | None:
    """``YYYY-MM-DD`` when the parts form a real calendar date, else ``None``."""
    try:
        return date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def _is_utf8(text: str) -> bool:
    """False when ``text`` holds surrogate escapes of undecodable bytes."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_extra_host(host: str, port: int | None, scheme: str, extra_hosts: Iterable[str]) -> bool:
    """True when ``host``/``port`` matches one of ``extra_hosts``.

    An entry without a port matches any port; an entry with a port matches that port, with the
    scheme's default port standing in for a URL that names none.
    """
    if isinstance(extra_hosts, str):  # a lone host given without a list
        extra_hosts = (extra_hosts,)
    effective = port or _DEFAULT_PORTS.get(scheme or "http")
    host_port = f"[{host}]:{effective}" if ":" in host else f"{host}:{effective}"
    for entry in extra_hosts:
        entry = entry.strip().lower()
        if "//" in entry:
            entry = urlsplit(entry).netloc
        entry = entry.rstrip("/")
        if entry in (host, host_port) or entry.strip("[]") == host:
            return True
    return False


def _split_or_none(url: str):
    """``urlsplit`` that gives ``None`` for unparsable URLs instead of raising."""
    try:
        parts = urlsplit(url.strip().replace("\\", "/"))
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        return None
    return parts


def _same_origin_host(parts, base) -> bool:
    """True when ``parts`` is on ``base``'s host:port (any almodon host if base is the site)."""
    host = (parts.hostname or "").rstrip(".")
    base_host = (base.hostname or "").rstrip(".")
    if not host or parts.scheme.lower() not in ("http", "https"):
        return False
    if base_host in SITE_HOSTS:
        return host in SITE_HOSTS
    default = _DEFAULT_PORTS.get
    return host == base_host and (parts.port or default(parts.scheme.lower())) == (
        base.port or default(base.scheme.lower())
    )


def _rebase(parts, origin: str) -> str:
    """``origin`` + the path and query of ``parts`` (fragment dropped), made safe by w3lib."""
    path = parts.path or "/"
    query = "?" + parts.query if parts.query else ""
    return safe_url_string(origin + path + query)
