"""A misbehaving almodon.com, served on 127.0.0.1 only, for ``tests/test_faults.py``.

    with FaultServer() as srv:                 # srv.base_url == "http://127.0.0.1:PORT"
        srv.url("http-500")                    # .../politics/2024/04/26/http-500
        srv.hits("http-500")                   # how many times that path was requested

Every article-shaped path ``/politics/2024/04/26/<fault>`` answers with one fault (see
``ARTICLE_FAULTS``). ``feeds`` switches what ``/robots.txt``, ``/sitemap.xml`` (and the monthly
sitemaps it names) and ``/rss`` serve (see ``FEED_MODES``). Redirects "to another domain" point at
``evil.example`` on this server's port: the crawler must refuse them before any connection; the
crawl subprocess resolves every hostname to 127.0.0.1 (``LoopbackResolver``) so even a
bug can only reach this server, where ``hosts_seen`` shows it.

Stdlib only (the resolver imports Scrapy, lazily, inside the crawl process).
"""

from __future__ import annotations

import functools
import gzip
import os
import random
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self
from urllib.parse import unquote

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "almodon"
GOOD_HTML = (FIXTURES / "seed-2024-04-26.html").read_bytes()
SOFT404_HTML = (FIXTURES / "x-soft404.html").read_bytes()
PREFIX = "/politics/2024/04/26/"
#: ``victim-<fault>``: a good page in phase 1 that turns into ``<fault>`` from phase 2 on.
VICTIM = "victim-"
#: A host that is not the site: redirects point here (the test maps it to loopback, nothing else).
EVIL_HOST = "evil.example"
#: The seed page's headline, as stored (for assertions on decoded text).
GOOD_HEADLINE = "ايران وروسيا:العلاقات العسكرية ترتقي إلى مستوى جديد"

#: Short bodies used by more than one fault.
LAUGHS_DTD = (
    '<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
              for i in range(1, 10))
    + "]>\n"
)
XXE_TARGET = "/etc/hostname"
XXE_DTD = f'<!DOCTYPE page [\n <!ENTITY xxe SYSTEM "file://{XXE_TARGET}">\n]>\n'


def _noise(n: int, seed: int) -> bytes:
    """Random-looking bytes, the same on every run."""
    return random.Random(seed).randbytes(n)


def article_path(fault: str) -> str:
    return PREFIX + fault


def _good(charset_meta: str | None = "utf-8") -> str:
    """The seed article as text, with its ``<meta charset>`` replaced or removed."""
    html = GOOD_HTML.decode("utf-8")
    old = '<meta charset="utf-8">'
    assert old in html
    return html.replace(old, f'<meta charset="{charset_meta}">' if charset_meta else "")


def _laughs_html() -> bytes:
    html = _good()
    _, sep, rest = html.partition("<html")
    assert sep
    # the entity both in the body text and in the headline
    rest = rest.replace("</h1>", " &lol9;</h1>", 1)
    return (LAUGHS_DTD + sep + rest).encode("utf-8")


def _xxe_html() -> bytes:
    html = _good()
    _, sep, rest = html.partition("<html")
    rest = rest.replace("</h1>", " &xxe;</h1>", 1)
    return (XXE_DTD + sep + rest).encode("utf-8")


def _tagsoup() -> bytes:
    """The article with its markup mangled the way templates break: stray closing tags,
    unclosed inline tags, no ``</p>``/``</li>``, an unclosed attribute quote near the end and a
    tag cut in half at the very end. Every ``<div>`` still closes (see ``_unclosed_div``)."""
    html = _good().replace("<br>", "<br></span></td></table>", 3).replace("<br>", "<br><b><i>", 2)
    html = html.replace("</p>", "").replace("</li>", "")
    return (html.replace("</body>", '<div class="x><p>tail') + "<p cla").encode("utf-8")


def _unclosed_div() -> bytes:
    """One ``</div>`` missing in the site header: the rest of the page nests inside ``<header>``."""
    return _good().replace("</div>", "", 1).encode("utf-8")


def _deep() -> bytes:
    """The article wrapped in 5,000 nested ``<div>``s (libxml2 caps depth at 256 without
    huge_tree; a recursive walker would overflow past ~1,000)."""
    html = _good()
    n = 5000
    return html.replace("<body", "<div>" * n + "<body", 1).replace("</body>", "</body>" + "</div>" * n, 1).encode()


def _nul_bytes() -> bytes:
    """The article with NUL bytes inside its text and markup."""
    return GOOD_HTML.replace(b"<br>", b"<br>\x00", 4).replace(b"</h1>", b"\x00</h1>", 1)


def _bad_utf8() -> bytes:
    """The article (declared UTF-8) with invalid UTF-8 byte pairs after two line breaks."""
    return GOOD_HTML.replace(b"<br><br>", b"<br>\xff\xfe<br>", 2)


# -- fault handlers: fn(handler, hit_number) -> None ------------------------------------------------


def _send(h, status: int, body: bytes = b"", ctype: str | None = "text/html; charset=utf-8",
          headers: dict | None = None) -> None:
    h.send_response(status)
    if ctype:
        h.send_header("Content-Type", ctype)
    for k, v in (headers or {}).items():
        h.send_header(k, v)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    if h.command != "HEAD":
        h.wfile.write(body)


def _page(title: str) -> bytes:
    return f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>".encode()


def ok(h, n):
    _send(h, 200, GOOD_HTML)


def status(code: int, *, times: int | None = None, headers: dict | None = None):
    """``code`` for the first ``times`` requests (always when None), then the good page."""
    def fault(h, n):
        if times is None or n <= times:
            _send(h, code, _page(f"{code}"), headers=headers)
        else:
            ok(h, n)
    return fault


def soft404(h, n):
    _send(h, 200, SOFT404_HTML)


def slow(h, n):
    """Nothing at all, ever (until the server stops, or ``slow_seconds`` when set): however
    late the crawl's timer fires, there is no response it could read first."""
    h.server.owner.stopping.wait(h.server.owner.slow_seconds)
    try:
        ok(h, n)
    except OSError:
        pass


def trickle(h, n):
    """Headers at once, then one byte of body every half second: never finishes (until the
    client gives up or the server stops, or after ``slow_seconds`` when set)."""
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.send_header("Content-Length", str(len(GOOD_HTML)))
    h.end_headers()
    owner = h.server.owner
    deadline = time.monotonic() + (owner.slow_seconds or float("inf"))
    try:
        for i in range(len(GOOD_HTML)):
            h.wfile.write(GOOD_HTML[i:i + 1])
            h.wfile.flush()
            if owner.stopping.wait(0.5) or time.monotonic() > deadline:
                break
    except OSError:
        pass
    h.close_connection = True


def reset(h, n):
    """The request is read, then the connection is reset (RST, no response)."""
    h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    h.close_connection = True
    h.connection.close()


def close_silently(h, n):
    """The request is read, then the connection is closed cleanly with no response."""
    h.close_connection = True
    h.connection.shutdown(socket.SHUT_RDWR)


def truncated(h, n):
    """Content-Length promises the whole page; half is sent, then the connection closes."""
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.send_header("Content-Length", str(len(GOOD_HTML)))
    h.end_headers()
    h.wfile.write(GOOD_HTML[: len(GOOD_HTML) // 2])
    h.wfile.flush()
    h.close_connection = True


def truncated_chunked(h, n):
    """Chunked transfer cut before the last (zero-length) chunk."""
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    half = GOOD_HTML[: len(GOOD_HTML) // 2]
    h.wfile.write(f"{len(half):x}\r\n".encode() + half + b"\r\n")
    h.wfile.flush()
    h.close_connection = True


def redirect(target: str, code: int = 301):
    """``target``: a fault name on this site, or a URL template with ``{port}``."""
    def fault(h, n):
        port = h.server.server_address[1]
        loc = target.format(port=port) if "://" in target or target.startswith("/") else article_path(target)
        _send(h, code, b"", ctype=None, headers={"Location": loc})
    return fault


def meta_refresh(target: str):
    def fault(h, n):
        loc = target.format(port=h.server.server_address[1])
        _send(h, 200, f'<html><head><meta http-equiv="refresh" content="0; url={loc}"></head>'
                      f'<body><p>…</p></body></html>'.encode())
    return fault


def typed(ctype: str, body: bytes, encoding: str | None = None):
    def fault(h, n):
        _send(h, 200, body, ctype=ctype, headers={"Content-Encoding": encoding} if encoding else None)
    return fault


def oversized_chunked(h, n):
    """Past DOWNLOAD_MAXSIZE with no Content-Length (chunked): only counting stops it."""
    h.send_response(200)
    h.send_header("Content-Type", "text/html; charset=utf-8")
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    chunk = b"<p>" + b"x" * 65_530 + b"</p>"
    try:
        for _ in range(h.server.owner.oversize // len(chunk) + 2):
            h.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        h.wfile.write(b"0\r\n\r\n")
    except OSError:
        pass
    h.close_connection = True


def oversized(h, n):
    body = GOOD_HTML.replace(b"</body>", b"<!--" + b"x" * h.server.owner.oversize + b"--></body>")
    try:
        _send(h, 200, body)
    except OSError:
        pass


@functools.cache
def _gzip_bomb(size: int) -> bytes:
    """``size`` bytes of page in a gzip body about 1/1000 of that."""
    return gzip.compress(b"<html><body><p>" + b"\0" * size, compresslevel=6)


def gzip_bomb(h, n):
    _send(h, 200, h.server.owner.bomb, headers={"Content-Encoding": "gzip"})


#: Article faults: name → (what it is, handler). The names are the last path segment.
ARTICLE_FAULTS = {
    "ok-a": ("good page (control)", ok),
    "ok-b": ("good page (control)", ok),
    "robots-disallowed": ("good page, but robots.txt disallows it", ok),
    "http-500": ("500 on every request", status(500)),
    "http-502": ("502 on every request", status(502)),
    "http-503-twice": ("503 twice, then the page", status(503, times=2)),
    "http-429-once": ("429 with Retry-After: 2 once, then the page",
                      status(429, times=1, headers={"Retry-After": "2"})),
    "http-429-always": ("429 with Retry-After: 3600 on every request",
                        status(429, headers={"Retry-After": "3600"})),
    "http-404": ("404", status(404)),
    "http-410": ("410 Gone", status(410)),
    "soft-404": ("200 with a 'page not found' body", soft404),
    "slow": ("no response until past DOWNLOAD_TIMEOUT", slow),
    "trickle": ("headers, then 1 byte every 0.5 s", trickle),
    "reset": ("connection reset after the request", reset),
    "closed": ("connection closed with no response", close_silently),
    "truncated": ("Content-Length N, N/2 bytes sent, closed", truncated),
    "truncated-chunked": ("chunked body cut before the last chunk", truncated_chunked),
    "loop-a": ("redirect loop a → b → a", redirect("loop-b")),
    "loop-b": ("redirect loop b → a → b", redirect("loop-a", 302)),
    "loop-self": ("redirect to itself", redirect("loop-self")),
    "pair-a": ("redirect loop a → b → a, both asked for", redirect("pair-b")),
    "pair-b": ("redirect loop b → a → b, both asked for", redirect("pair-a")),
    **{f"chain-{i}": (f"redirect chain, hop {i}", redirect(f"chain-{i + 1}")) for i in range(1, 9)},
    "chain-9": ("end of a 8-hop redirect chain", ok),
    "redirect-ok": ("redirect to another article on the site (control)", redirect("redirect-target")),
    "redirect-target": ("target of redirect-ok", ok),
    "redirect-offsite": ("301 to http://evil.example:PORT/…",
                         redirect(f"http://{EVIL_HOST}:{{port}}{PREFIX}offsite-target")),
    "redirect-lookalike": ("301 to http://www.almodon.com.evil.example:PORT/…",
                           redirect(f"http://www.almodon.com.{EVIL_HOST}:{{port}}{PREFIX}offsite-target")),
    "refresh-offsite": ("200 with <meta http-equiv=refresh> to http://evil.example:PORT/…",
                        meta_refresh(f"http://{EVIL_HOST}:{{port}}{PREFIX}offsite-target")),
    "redirect-file": ("301 to file:///etc/passwd", redirect("file:///etc/passwd")),
    "charset-wrong": ("UTF-8 page, header says charset=iso-8859-1",
                      typed("text/html; charset=iso-8859-1", GOOD_HTML)),
    "charset-missing": ("UTF-8 page, no charset in header or meta",
                        typed("text/html", _good(None).encode("utf-8"))),
    "charset-bogus": ("UTF-8 page, header charset=x-no-such-charset",
                      typed("text/html; charset=x-no-such-charset", _good(None).encode("utf-8"))),
    "cp1256-declared": ("windows-1256 page, header and meta say so",
                        typed("text/html; charset=windows-1256", _good("windows-1256").encode("cp1256"))),
    "cp1256-undeclared": ("windows-1256 page, no charset anywhere",
                          typed("text/html", _good(None).encode("cp1256"))),
    "oversized": ("page past DOWNLOAD_MAXSIZE (Content-Length given)", oversized),
    "oversized-chunked": ("page past DOWNLOAD_MAXSIZE, chunked, no Content-Length", oversized_chunked),
    "gzip-bomb": ("Content-Encoding: gzip, small body inflating past DOWNLOAD_MAXSIZE", gzip_bomb),
    "gzip-corrupt": ("Content-Encoding: gzip, body not gzip",
                     typed("text/html; charset=utf-8", b"\x1f\x8b\x08\x00garbage" * 10, "gzip")),
    "html-tagsoup": ("malformed HTML: stray/unclosed tags, no </p>, tag cut at the end", typed("text/html; charset=utf-8", _tagsoup())),
    "html-deep": ("malformed HTML: 5,000 nested <div>s", typed("text/html; charset=utf-8", _deep())),
    "html-unclosed-div": ("one </div> missing in the site header", typed("text/html; charset=utf-8", _unclosed_div())),
    "html-nul": ("NUL bytes inside the page", typed("text/html; charset=utf-8", _nul_bytes())),
    "html-bad-utf8": ("invalid UTF-8 bytes in a page declared UTF-8", typed("text/html; charset=utf-8", _bad_utf8())),
    "html-empty": ("200 with an empty body", typed("text/html; charset=utf-8", b"")),
    "html-binary": ("200 text/html with random bytes", typed("text/html", _noise(4096, 1))),
    "type-pdf": ("application/pdf", typed("application/pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n")),
    "type-jpeg": ("image/jpeg", typed("image/jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + _noise(2048, 2))),
    "type-json": ("application/json (an Arabic article as JSON)",
                  typed("application/json", '{"headline": "خبر", "body": "نص"}'.encode())),
    "billion-laughs": ("HTML with a billion-laughs DOCTYPE, &lol9; in the headline", typed("text/html; charset=utf-8", _laughs_html())),
    "xxe": ("HTML with an external entity (file:///etc/hostname) in the headline", typed("text/html; charset=utf-8", _xxe_html())),
}

# -- robots.txt / sitemaps / RSS --------------------------------------------------------------------


def _urlset(*faults: str, base: str = "https://www.almodon.com") -> bytes:
    locs = "".join(f"<url><loc>{base}{article_path(f)}</loc><lastmod>2024-04-26</lastmod></url>" for f in faults)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</urlset>').encode()


def _index(*paths: str) -> bytes:
    locs = "".join(f"<sitemap><loc>{p}</loc><lastmod>2024-04-30</lastmod></sitemap>" for p in paths)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}</sitemapindex>').encode()


def _laughs_urlset() -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + LAUGHS_DTD.replace("lolz", "urlset")
            + '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + f"<url><loc>https://www.almodon.com{PREFIX}laughs-&lol9;</loc></url></urlset>").encode()


def _xxe_urlset() -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + XXE_DTD.replace("page", "urlset")
            + '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            + f"<url><loc>https://www.almodon.com{PREFIX}xxe-&xxe;</loc></url></urlset>").encode()


def _rss(*faults: str, tail: str = "</channel></rss>") -> bytes:
    items = "".join(f"<item><title>خبر</title><link>https://www.almodon.com{article_path(f)}</link></item>"
                    for f in faults)
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>المدن</title>{items}{tail}'.encode()


def _laughs_rss() -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + LAUGHS_DTD.replace("lolz", "rss")
            + '<rss version="2.0"><channel><title>&lol9;</title>'
            + f"<item><title>&lol9;</title><link>https://www.almodon.com{PREFIX}rss-&lol9;</link></item>"
            + "</channel></rss>").encode()


#: Feed modes: path → (content type, body) for robots.txt, sitemaps and the RSS feed. ``{base}``
#: and ``{port}`` in bodies are filled in per server. Paths not listed answer 404.
XML = "application/xml; charset=utf-8"
FEED_MODES: dict[str, dict[str, tuple[str, bytes] | int]] = {
    # every sitemap the index names is broken in its own way; the RSS feed is cut mid-item
    "broken": {
        "/robots.txt": ("text/plain", b"User-agent: *\nDisallow: /search\nDisallow: " + article_path("robots-disallowed").encode()
                        + b"\nSitemap: {base}/sitemap.xml\n"),
        "/sitemap.xml": (XML, _index(
            "{base}/sitemaps/2024-04-good.xml", "{base}/sitemaps/2024-04-truncated.xml",
            "{base}/sitemaps/2024-04-html.xml", "{base}/sitemaps/2024-04-wrongroot.xml",
            "{base}/sitemaps/2024-04-empty.xml", "{base}/sitemaps/2024-04-500.xml",
            "{base}/sitemaps/2024-04-laughs.xml", "{base}/sitemaps/2024-04-xxe.xml",
            f"http://{EVIL_HOST}:{{port}}/sitemaps/2024-04-offsite.xml",
        )),
        "/sitemaps/2024-04-good.xml": (XML, _urlset("ok-a")),
        "/sitemaps/2024-04-truncated.xml": (XML, _urlset("ok-b", "http-404")[:-40]),
        "/sitemaps/2024-04-html.xml": ("text/html; charset=utf-8", b"<html><body><h1>Not a sitemap</h1></body></html>"),
        "/sitemaps/2024-04-wrongroot.xml": (XML, b'<?xml version="1.0"?><feed><entry/></feed>'),
        "/sitemaps/2024-04-empty.xml": (XML, b""),
        "/sitemaps/2024-04-500.xml": 500,
        "/sitemaps/2024-04-laughs.xml": (XML, _laughs_urlset()),
        "/sitemaps/2024-04-xxe.xml": (XML, _xxe_urlset()),
        "/rss": ("application/rss+xml; charset=utf-8", _rss("redirect-target", tail="<item><title>مقطوع</ti")),
    },
    # the feed and the sitemap carry a billion-laughs DOCTYPE
    "laughs": {
        "/robots.txt": ("text/plain", b"User-agent: *\nSitemap: {base}/sitemaps/2024-04-laughs.xml\n"),
        "/sitemaps/2024-04-laughs.xml": (XML, _laughs_urlset()),
        "/rss": ("application/rss+xml; charset=utf-8", _laughs_rss()),
    },
    # robots.txt itself misbehaves; the feed is fine
    "robots-500": {"/robots.txt": 500, "/rss": ("application/rss+xml", _rss("ok-a"))},
    "robots-garbage": {"/robots.txt": ("text/plain", _noise(2048, 3) + b"\nDisallow /\n\x00"),
                       "/rss": ("application/rss+xml", _rss("ok-a"))},
    "robots-offsite": {"/robots.txt": f"http://{EVIL_HOST}:{{port}}/robots.txt",
                       "/rss": ("application/rss+xml", _rss("ok-a"))},
}
#: Listing pages the spider reads in latest/archive mode: served empty (no links) in every mode.
LISTINGS = ("/", "/politics", "/arabworld", "/economy", "/society", "/culture", "/opinion")


class _Handler(BaseHTTPRequestHandler):
    server_version = "nginx"
    sys_version = ""
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        self._answer()

    def do_HEAD(self) -> None:
        self._answer()

    def _answer(self) -> None:
        owner = self.server.owner
        path = unquote(self.path.partition("?")[0])
        host = self.headers.get("Host", "")
        with owner.lock:
            owner.counts[path] = n = owner.counts.get(path, 0) + 1
            owner.requests.append((time.monotonic(), host, path))
        if host.split(":")[0] != "127.0.0.1":
            # never serve anything to a request that followed a redirect off the site
            _send(self, 421, _page("Misdirected"))
            return
        name = path[len(PREFIX):] if path.startswith(PREFIX) else None
        if name in owner.overrides:  # a page that now misbehaves
            name = owner.overrides[name]
        elif name and name.startswith(VICTIM):  # good in phase 1, its fault from phase 2 on
            name = "ok-a" if owner.phase == 1 else name[len(VICTIM):]
        if name in ARTICLE_FAULTS:
            ARTICLE_FAULTS[name][1](self, n)
            return
        feeds = FEED_MODES.get(owner.feeds, {})
        if path == "/robots.txt" and owner.robots_delay:
            owner.stopping.wait(owner.robots_delay)  # the crawl queues its first requests meanwhile
        if path in feeds:
            spec = feeds[path]
            if isinstance(spec, int):
                _send(self, spec, _page(str(spec)))
            elif isinstance(spec, str):
                _send(self, 301, b"", ctype=None, headers={"Location": spec.format(port=owner.port)})
            else:
                ctype, body = spec
                body = body.replace(b"{base}", owner.base_url.encode()).replace(b"{port}", str(owner.port).encode())
                _send(self, 200, body, ctype=ctype)
            return
        if path in LISTINGS:
            _send(self, 200, _page("المدن"))
            return
        _send(self, 404, _page("404"))

    def log_message(self, format: str, *args) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # The crawl opens up to 64 connections at once. With socketserver's default backlog (5), a
    # busy machine drops the SYNs past it, the client re-sends them 1 s, 3 s later, and a request
    # times out before this server ever sees it (docs/faults.md, "Tests under load").
    request_queue_size = 512
    owner: FaultServer

    def handle_error(self, request, client_address) -> None:
        pass  # a client that gave up (timeout, size cap) is the point of these faults


class FaultServer:
    """The misbehaving site. ``feeds``, ``phase`` (see ``VICTIM``) and ``overrides`` may be
    changed while it runs."""

    def __init__(self, *, feeds: str = "broken", slow_seconds: float | None = None, oversize: int = 3 * 1024 * 1024,
                 bomb_size: int = 64 * 1024 * 1024, robots_delay: float = 0.0) -> None:
        self.feeds, self.slow_seconds, self.oversize = feeds, slow_seconds, oversize
        self.robots_delay = robots_delay
        self.phase = 1
        self.overrides: dict[str, str] = {}  # article name → the fault it now answers with
        self.bomb = _gzip_bomb(bomb_size)
        self.bomb_size = bomb_size
        self.counts: dict[str, int] = {}
        self.requests: list[tuple[float, str, str]] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.port = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, fault: str) -> str:
        return self.base_url + article_path(fault)

    def hits(self, fault_or_path: str) -> int:
        path = fault_or_path if fault_or_path.startswith("/") else article_path(fault_or_path)
        return self.counts.get(path, 0)

    def times(self, fault: str) -> list[float]:
        return [t for t, _, p in self.requests if p == article_path(fault)]

    def hosts_seen(self) -> set[str]:
        return {h.split(":")[0] for _, h, _ in self.requests}

    def reset_counts(self) -> None:
        with self.lock:
            self.counts.clear()
            self.requests.clear()

    def start(self) -> Self:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="almodon-faults", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class ShortTimeout:
    """Downloader middleware for the fault tests: the requests for the pages named in the
    ``ALMODON_TEST_SHORT_TIMEOUT`` setting (``"SECONDS:name,name"``, the last path segment) get
    that ``download_timeout``; every other request keeps the crawl's long DOWNLOAD_TIMEOUT. Only
    pages that never answer are named, so their timeout is certain and nothing that does answer
    can time out on a busy machine."""

    def __init__(self, seconds: float, names: set[str]) -> None:
        self.seconds, self.names = seconds, names

    @classmethod
    def from_crawler(cls, crawler):
        seconds, _, names = (crawler.settings.get("ALMODON_TEST_SHORT_TIMEOUT") or "0:").partition(":")
        return cls(float(seconds), {n for n in names.split(",") if n})

    def process_request(self, request):
        if request.url.rsplit("/", 1)[-1] in self.names:
            request.meta["download_timeout"] = self.seconds


class LoopbackResolver:
    """Scrapy ``DNS_RESOLVER`` for the fault tests: every hostname resolves to 127.0.0.1, so a
    crawl under test can never reach any other address, whatever it decides to follow. Each
    name looked up is appended to the file named by ``$ALMODON_TEST_DNS_LOG`` (if set)."""

    def __new__(cls, *args, **kwargs):  # built lazily: this module must not import Scrapy
        from scrapy.resolver import CachingThreadedResolver
        from twisted.internet import defer

        class _Loopback(CachingThreadedResolver):
            def getHostByName(self, name, timeout=()):
                log = os.environ.get("ALMODON_TEST_DNS_LOG")
                if log:
                    with open(log, "a", encoding="utf-8") as fh:
                        fh.write(name + "\n")
                return defer.succeed("127.0.0.1")

        return _Loopback(*args, **kwargs)

    @classmethod
    def from_crawler(cls, crawler, reactor):
        from scrapy.resolver import CachingThreadedResolver

        inst = cls(reactor, 0, crawler.settings.getfloat("DNS_TIMEOUT"))
        assert isinstance(inst, CachingThreadedResolver)
        return inst
