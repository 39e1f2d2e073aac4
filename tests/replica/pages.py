"""The replica's content: every route of the fake almodon.com, built once from the golden fixtures.

Stdlib only (no Scrapy). ``Site.resolve(path, query)`` answers one request with a ``Resource``;
``server.py`` only speaks HTTP around it. Links printed in generated pages use the live site's own
form (``https://www.almodon.com/...``, percent-encoded), never the replica's host: the spider maps
almodon.com onto the replica the same way it would map nothing on the real site.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit
from zoneinfo import ZoneInfo

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "almodon"
SITE = "https://www.almodon.com"
BEIRUT = ZoneInfo("Asia/Beirut")
SECTIONS = {  # URL slug -> name printed in the navigation
    "politics": "سياسة",
    "arabworld": "عرب وعالم",
    "economy": "اقتصاد",
    "society": "مجتمع",
    "culture": "ثقافة",
    "opinion": "رأي",
}
NUMERIC_SECTIONS = {s: s.capitalize() for s in SECTIONS} | {"arabworld": "ArabWorld"}
NUMERIC_RE = re.compile(r"^/[A-Za-z]+/Articles/(\d+)$")
MISSING_NUMERIC = (10392, 10401)  # era-1 links printed on pages whose target no longer exists
LISTING_SIZE, AUTHOR_PAGE_SIZE, HOME_SIZE, RSS_SIZE, ARCHIVE_SIZE = 4, 2, 10, 20, 5
NOT_FOUND = "الصفحة غير موجودة"


@dataclass
class Resource:
    """One answer: body + the headers that matter. ``etag`` follows the bytes."""

    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    last_modified: datetime | None = None
    location: str | None = None

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:20] + '"'


@dataclass(frozen=True)
class Entry:
    """One article golden, as the site's listings, feeds and sitemaps see it."""

    path: str  # decoded path the article is served at
    section: str
    headline: str
    authors: tuple[str, ...]
    date: str  # Beirut calendar date, YYYY-MM-DD
    published: datetime  # UTC; the start of the Beirut day when only the day is known
    precise: bool  # published carries a time of day
    modified: datetime | None
    summary: str
    numeric_id: int

    @property
    def link(self) -> str:
        return SITE + quote(self.path)

    @property
    def updated(self) -> datetime:
        return self.modified or self.published

    @property
    def numeric_path(self) -> str:
        return f"/{NUMERIC_SECTIONS.get(self.section, 'ArabWorld')}/Articles/{self.numeric_id}"


def author_uuid(name: str) -> str:
    """Stable per author name (the real site's uuids are unknown; only the URL form is)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{SITE}/author/{name}"))


def numeric_id(path: str) -> int:
    """Era-1 id of an article: a hash of its served path, 10000–99999 (unless pinned)."""
    return 10000 + int(hashlib.sha1(path.encode()).hexdigest(), 16) % 90000


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _entry(path: str, golden: dict, pinned: int | None) -> Entry:
    published = _instant(golden.get("published_at"))
    date = golden.get("published_date") or (published.astimezone(BEIRUT).date().isoformat())
    section = str(golden.get("section") or "").lower()
    if section not in SECTIONS:
        section = path.strip("/").split("/")[0].lower()
    paragraphs = golden.get("paragraphs") or [""]
    return Entry(
        path=path,
        section=section,
        headline=golden["headline"],
        authors=tuple(a if isinstance(a, str) else a["name"] for a in golden.get("authors") or []),
        date=date,
        published=published or datetime.fromisoformat(date).replace(tzinfo=BEIRUT).astimezone(UTC),
        precise=published is not None,
        modified=_instant(golden.get("modified_at")),
        summary=golden.get("summary") or paragraphs[0] or golden["headline"],
        numeric_id=pinned or numeric_id(path),
    )


def load(
    directory: Path = FIXTURES,
) -> tuple[list[Entry], dict[str, Resource], dict[str, list[str]]]:
    """Articles (newest first), fixture routes by decoded path, non-article paths by reason."""
    entries: list[Entry] = []
    routes: dict[str, Resource] = {}
    reasons: dict[str, list[str]] = {}
    for golden_path in sorted(directory.glob("*.json")):
        golden = json.loads(golden_path.read_text(encoding="utf-8"))
        fx = golden.get("_fixture") or {}
        if not fx.get("original_url") or fx.get("in_replica") is False:
            continue
        path = unquote(urlsplit(fx["original_url"]).path) or "/"
        if path in routes:
            raise ValueError(f"{golden_path.name}: {path} is already served by another fixture")
        charset = fx.get("charset")
        res = Resource(
            body=golden_path.with_suffix(".html").read_bytes(),
            content_type=f"text/html; charset={charset}" if charset else "text/html",
        )
        routes[path] = res
        if fx.get("expect") == "not_article":
            reasons.setdefault(fx.get("reason", "other"), []).append(path)
            continue
        entry = _entry(path, golden, fx.get("numeric_id"))
        res.last_modified = entry.updated
        entries.append(entry)
    entries.sort(key=lambda e: (e.published, e.path), reverse=True)
    return entries, routes, reasons


# -- HTML -------------------------------------------------------------------------------------
def _lastmod(e: Entry) -> str:
    """W3C datetime in Beirut time, or the bare date when the page gives no time at all."""
    return e.updated.astimezone(BEIRUT).isoformat() if e.precise or e.modified else e.date


def _href(e: Entry, absolute: bool) -> str:
    return e.link if absolute else quote(e.path)


def page(title: str, main: str, head: str = "") -> bytes:
    """The 2026 Angular-rendered chrome around ``main``."""
    nav = "".join(f'<li><a href="{SITE}/{s}">{n}</a></li>' for s, n in SECTIONS.items())
    return f"""<!DOCTYPE html>
<html lang="ar" dir="rtl">
<head>
<meta charset="utf-8">
<title>{escape(title)} | المدن</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="alternate" type="application/rss+xml" title="المدن" href="{SITE}/rss">
{head}</head>
<body>
<app-root>
<header class="fixed top-0 w-full z-50 bg-white border-b-2 border-blue1">
<a href="{SITE}/" class="logo"><img src="/assets/images/logo.svg" alt="المدن"></a>
<nav class="main-nav"><ul>{nav}<li><a href="/authors">الكتّاب</a></li></ul></nav>
<form action="/search" class="search"><input name="q" type="search"></form>
</header>
<main class="container mx-auto pt-24">
{main}
</main>
<app-footer><footer class="bg-blue1 text-white"><p>© جميع الحقوق محفوظة لموقع المدن 2026</p></footer></app-footer>
</app-root>
</body>
</html>
""".encode()


def card(e: Entry, absolute: bool) -> str:
    return (
        '<div class="w-full lg:w-1/2 lg:px-3 mb-6"><div class="card bg-white">'
        f'<span class="section text-blue1">{SECTIONS.get(e.section, e.section)}</span>'
        f'<h2 class="text-xl font-bold"><a href="{_href(e, absolute)}">{escape(e.headline)}</a></h2>'
        f'<span class="date text-gray-500">{e.date.replace("-", "/")}</span></div></div>'
    )


def author_items(items: list[Entry]) -> str:
    return "".join(
        '<div class="left-right-wrapper"><div class="right">'
        f'<a href="{quote(e.path)}"><h3>{escape(e.headline)}</h3></a>'
        f'<span class="date">{e.date.replace("-", "/")}</span></div></div>\n'
        for e in items
    )


class Site:
    """Every route of the replica. Fixture pages are served as is; the rest is generated."""

    def __init__(self, directory: Path = FIXTURES, sitemap: bool = True) -> None:
        self.entries, self.pages, self.reasons = load(directory)
        self.sitemap = sitemap
        self.numeric: dict[int, str] = {}
        for e in sorted(self.entries, key=lambda e: e.path):
            if e.numeric_id in self.numeric or e.numeric_id in MISSING_NUMERIC:
                raise ValueError(f"numeric id {e.numeric_id} of {e.path} is taken; pin another one")
            self.numeric[e.numeric_id] = e.path
        self.by_section: dict[str, list[Entry]] = {s: [] for s in SECTIONS}
        self.by_author: dict[str, list[Entry]] = {}
        for e in self.entries:
            self.by_section.setdefault(e.section, []).append(e)
            for name in e.authors:
                self.by_author.setdefault(author_uuid(name), []).append(e)
        self.author_names = {author_uuid(n): n for e in self.entries for n in e.authors}
        self._generate()

    # -- answering ----------------------------------------------------------------------------
    def resolve(self, path: str, query: dict[str, list[str]]) -> Resource:
        if path != "/" and path.endswith("/") and path.rstrip("/") in self.pages:
            path = path.rstrip("/")
        if path[1:] in self.by_section:
            n = (query.get("page") or ["1"])[0]
            path = path if n == "1" else f"{path}?page={n}"
        if path in self.pages:
            return self.pages[path]
        m = NUMERIC_RE.match(path)
        if m and int(m.group(1)) in self.numeric:
            return Resource(b"", status=301, location=quote(self.numeric[int(m.group(1))]))
        m = re.fullmatch(r"/getallauthorarticles/(\d+)/([0-9a-f-]{36})", path)
        if m and m.group(2) in self.by_author:
            start = (int(m.group(1)) - 1) * AUTHOR_PAGE_SIZE
            items = (
                self.by_author[m.group(2)][start : start + AUTHOR_PAGE_SIZE] if start >= 0 else []
            )
            return Resource(author_items(items).encode())  # 200 and no items past the end
        return Resource(page(NOT_FOUND, f"<h1>404</h1><p>{NOT_FOUND}</p>"), status=404)

    def set(self, path: str, body: bytes, content_type: str | None = None) -> None:
        """Replace (or add) a page at run time; Last-Modified moves forward, the ETag follows."""
        old = self.pages.get(path)
        now = datetime.now(UTC).replace(microsecond=0)
        if old and old.last_modified and old.last_modified >= now:
            now = old.last_modified + timedelta(seconds=1)
        ctype = content_type or (old.content_type if old else "text/html; charset=utf-8")
        self.pages[path] = Resource(body, ctype, last_modified=now)

    # -- generation ---------------------------------------------------------------------------
    def _generate(self) -> None:
        gen = self.pages.setdefault
        gen("/", Resource(self._home()))
        gen("/robots.txt", Resource(self._robots(), "text/plain; charset=utf-8"))
        gen("/rss", Resource(self._rss(), "application/rss+xml; charset=utf-8"))
        if self.sitemap:
            months: dict[str, list[Entry]] = {}
            for e in self.entries:
                months.setdefault(e.date[:7], []).append(e)
            gen(
                "/sitemap.xml",
                Resource(self._sitemap_index(months), "application/xml; charset=utf-8"),
            )
            for month, items in months.items():
                body = self._urlset(items)
                gen(f"/sitemaps/{month}.xml", Resource(body, "application/xml; charset=utf-8"))
        for section, items in self.by_section.items():
            pages = [items[i : i + LISTING_SIZE] for i in range(0, len(items), LISTING_SIZE)]
            pages = pages or [[]]  # a section with no article is one empty listing
            for n, chunk in enumerate(pages, 1):
                key = f"/{section}" if n == 1 else f"/{section}?page={n}"
                gen(key, Resource(self._listing(section, n, len(pages), chunk)))
        names = "".join(
            f'<li><a href="/author/{u}">{escape(n)}</a></li>'
            for u, n in sorted(self.author_names.items())
        )
        gen(
            "/authors", Resource(page("الكتّاب", f'<h1>الكتّاب</h1><ul class="authors">{names}</ul>'))
        )
        for u, name in self.author_names.items():
            gen(f"/author/{u}", Resource(self._author(u, name)))

    def _home(self) -> bytes:
        latest = "".join(card(e, i % 2 == 1) for i, e in enumerate(self.entries[:HOME_SIZE]))
        links = [(f"{SITE}{e.numeric_path}", e.headline) for e in self.entries[-ARCHIVE_SIZE:]]
        links += [(f"{SITE}/ArabWorld/Articles/{n}", "من أرشيف المدن") for n in MISSING_NUMERIC]
        for reason in ("soft404", "tag"):
            for p in self.reasons.get(reason, []):
                links.append((SITE + quote(p), p.rsplit("/", 1)[-1].replace("-", " ")))
        archive = "".join(f'<li><a href="{h}">{escape(t)}</a></li>' for h, t in links)
        main = (
            '<h1 class="sr-only">المدن</h1>\n<section class="latest flex flex-wrap">'
            f'{latest}</section>\n<aside class="archive-box"><h3>من الأرشيف</h3><ul>{archive}</ul></aside>'
        )
        return page("المدن - جريدة إلكترونية مستقلة", main)

    def _listing(self, section: str, n: int, last: int, chunk: list[Entry]) -> bytes:
        base = f"/{section}"
        cards = "".join(card(e, i % 2 == 0) for i, e in enumerate(chunk))
        pager, head = [], ""
        if n > 1:
            prev = base if n == 2 else f"{base}?page={n - 1}"
            pager.append(f'<a rel="prev" href="{prev}">السابق</a>')
            head += f'<link rel="prev" href="{SITE}{prev}">\n'
        for k in range(1, last + 1):
            href = base if k == 1 else f"{base}?page={k}"
            pager.append(
                f'<span class="current">{k}</span>' if k == n else f'<a href="{href}">{k}</a>'
            )
        if n < last:
            pager.append(f'<a rel="next" href="{base}?page={n + 1}">التالي</a>')
            head += f'<link rel="next" href="{SITE}{base}?page={n + 1}">\n'
        name = SECTIONS.get(section, section)
        main = (
            f'<div class="app-sections"><h1>{name}</h1><div class="flex flex-wrap lg:-mx-3">{cards}</div>'
            f'<nav class="pagination" aria-label="pagination">{"".join(pager)}</nav></div>'
        )
        return page(name, main, head)

    def _author(self, u: str, name: str) -> bytes:
        items = self.by_author[u]
        more = len(items) > AUTHOR_PAGE_SIZE
        main = (
            f'<div class="author-page"><h1>{escape(name)}</h1><author-articles>'
            f"{author_items(items[:AUTHOR_PAGE_SIZE])}</author-articles>"
            + (
                f'<a class="load-more" href="/getallauthorarticles/2/{u}">المزيد</a>'
                if more
                else ""
            )
            + "</div>"
        )
        return page(name, main)

    def _robots(self) -> bytes:
        lines = [
            "User-agent: *",
            "Disallow: /search",
            "Disallow: /admin",
            "Disallow: /api/",
            "Allow: /",
            "",
        ]
        if self.sitemap:
            lines += [f"Sitemap: {SITE}/sitemap.xml", ""]
        return "\n".join(lines).encode()

    def _rss(self) -> bytes:
        items = "".join(
            f"<item><title>{escape(e.headline)}</title><link>{e.link}</link>"
            f"<description>{escape(e.summary)}</description>"
            f"<pubDate>{format_datetime(e.published.astimezone(BEIRUT))}</pubDate>"
            f'<guid isPermaLink="true">{e.link}</guid><category>{e.section}</category></item>\n'
            for e in self.entries[:RSS_SIZE]
        )
        built = (
            format_datetime(self.entries[0].published.astimezone(BEIRUT)) if self.entries else ""
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>\n'
            f"<title>المدن</title><link>{SITE}/</link><description>جريدة المدن الإلكترونية</description>"
            f"<language>ar</language><lastBuildDate>{built}</lastBuildDate>\n{items}</channel></rss>\n"
        ).encode()

    def _sitemap_index(self, months: dict[str, list[Entry]]) -> bytes:
        rows = "".join(
            f"<sitemap><loc>{SITE}/sitemaps/{m}.xml</loc>"
            f"<lastmod>{max(e.updated for e in items).astimezone(BEIRUT).isoformat()}</lastmod></sitemap>\n"
            for m, items in sorted(months.items(), reverse=True)
        )
        return _xml("sitemapindex", rows)

    def _urlset(self, items: list[Entry]) -> bytes:
        rows = "".join(
            f"<url><loc>{e.link}</loc><lastmod>{_lastmod(e)}</lastmod></url>\n" for e in items
        )
        return _xml("urlset", rows)


def _xml(root: str, rows: str) -> bytes:
    ns = "http://www.sitemaps.org/schemas/sitemap/0.9"
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<{root} xmlns="{ns}">\n{rows}</{root}>\n'.encode()
    )
