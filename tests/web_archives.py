"""Fake web archives on 127.0.0.1 for the backfill tests: a Wayback Machine (CDX server with
resume keys, ``id_`` raw captures) and Common Crawl (index server with pages and collinfo.json, a
data server answering ``Range`` requests with gzip WARC members written by warcio).

Stdlib + warcio. Both answer one 429 with ``Retry-After`` first; ``block_after`` makes the
capture server hold every capture request after the first N until ``release()`` (for the
kill-and-resume test: no timing involved). ``log`` records (path, status) of every answer.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "almodon"


def _fixture(name: str) -> tuple[bytes, dict]:
    golden = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return (FIXTURES / f"{name}.html").read_bytes(), golden


def sha1_b32(body: bytes) -> str:
    return base64.b32encode(hashlib.sha1(body).digest()).decode()


@dataclass
class Snapshot:
    original: str
    timestamp: str  # 14 digits UTC
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200

    @property
    def digest(self) -> str:
        return sha1_b32(self.body)

    @property
    def when(self) -> datetime:
        return datetime.strptime(self.timestamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)

    @property
    def captured_at(self) -> str:
        return self.when.strftime("%Y-%m-%dT%H:%M:%SZ")


# -- the corpus ----------------------------------------------------------------------------------
CHANGED = "إعادة الإعمار: الحكومة تعلن خطة جديدة"


def corpus() -> dict[str, object]:
    """The captures both fakes serve, built from the golden fixtures, and what they stand for."""
    rec, rec_golden = _fixture("d-2025-06-02-reconstruction")
    changed = rec.replace(rec_golden["headline"].encode(), CHANGED.encode())
    assert changed != rec
    cp, cp_golden = _fixture("g-2015-02-10-culture-cp1256")
    talks, talks_golden = _fixture("d-2016-03-27-presidential-talks")
    numeric_body = talks.replace(b"</head>", f'<link rel="canonical" href="{talks_golden["url"]}">\n</head>'.encode(), 1)
    assert numeric_body != talks
    soft, soft_golden = _fixture("x-soft404")
    rec_url = rec_golden["_fixture"]["original_url"].replace("https://www.", "http://")
    return {
        "reconstruction": rec_golden, "cp1256": cp_golden, "talks": talks_golden, "changed": CHANGED,
        "numeric": "http://www.almodon.com/Politics/Articles/31337",
        "snapshots": [
            # era 3, captured three times, the third with a new headline
            Snapshot(rec_url, "20250603080000", rec),
            Snapshot(rec_golden["_fixture"]["original_url"], "20250701080000", rec),
            Snapshot(rec_url, "20250801093000", changed),
            # era 2 (GUID) in windows-1256
            Snapshot(cp_golden["_fixture"]["original_url"], "20150211120000", cp,
                     "text/html; charset=windows-1256"),
            # era 1 (numeric): the page names its dated URL
            Snapshot("http://www.almodon.com/Politics/Articles/31337", "20160328101500", numeric_body),
            # a soft 404 at an article-shaped URL
            Snapshot(soft_golden["_fixture"]["original_url"], "20230105000000", soft),
            # not articles: counted, never fetched
            Snapshot("http://almodon.com/", "20160101000000", b"<html><body>home</body></html>"),
            Snapshot("https://www.almodon.com/politics", "20170101000000", b"<html><body>listing</body></html>"),
            Snapshot("https://www.almodon.com/rss", "20180101000000", b"<rss/>", "application/rss+xml"),
            Snapshot("https://www.almodon.com/assets/images/logo.png", "20190101000000", b"\x89PNG", "image/png"),
        ],
    }


# -- HTTP plumbing ---------------------------------------------------------------------------------
class _Handler(BaseHTTPRequestHandler):
    server_version = "fake-archive"
    sys_version = ""

    def do_GET(self) -> None:
        app = self.server.app
        status, headers, body = app.answer(self.path, self.headers)
        if status == 0:  # held and then released: drop the connection without an answer
            self.close_connection = True
            return
        app.log.append((self.path, status))
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


class _App:
    def __init__(self) -> None:
        self.log: list[tuple[str, int]] = []
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.app = self
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.block_after: int | None = None
        self.served_captures = 0
        self.held = 0
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._throttled: set[str] = set()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
        self.httpd.shutdown()
        self.httpd.server_close()

    def release(self) -> None:
        self.block_after = None
        self._release.set()

    def _gate(self) -> bool:
        """True when this capture request may be answered; holds it while blocked."""
        with self._lock:
            if self.block_after is None or self.served_captures < self.block_after:
                self.served_captures += 1
                return True
            self.held += 1
        self._release.wait(timeout=600)
        return False

    def throttle_once(self, key: str) -> tuple[int, dict, bytes] | None:
        """The first request of a kind answers 429 with Retry-After."""
        with self._lock:
            if key in self._throttled:
                return None
            self._throttled.add(key)
        return 429, {"Retry-After": "1", "Content-Type": "text/plain"}, b"slow down"

    def captures_served(self, marker: str) -> list[str]:
        return [p for p, s in self.log if marker in p and s in (200, 206)]

    def answer(self, path: str, headers) -> tuple[int, dict, bytes]:
        raise NotImplementedError


# -- Wayback -------------------------------------------------------------------------------------
class FakeWayback(_App):
    """``/cdx/search/cdx`` (output=json, fl, filter=statuscode:200, from/to, showResumeKey/limit/
    resumeKey) and ``/web/<timestamp>id_/<original>``."""

    def __init__(self, snapshots: list[Snapshot], page_size: int = 3, malformed: bool = True) -> None:
        super().__init__()
        self.snapshots = sorted(snapshots, key=lambda s: (_surt(s.original), s.timestamp))
        self.page_size = page_size
        self.malformed = malformed
        self.cdx_queries: list[dict] = []

    def answer(self, path, headers):
        parts = urlsplit(path)
        if parts.path == "/cdx/search/cdx":
            return self._cdx(parse_qs(parts.query))
        m = re.match(r"^/web/(\d{14})id_/(.+)$", path)
        if m:
            return self._capture(m.group(1), unquote(m.group(2)))
        return 404, {"Content-Type": "text/plain"}, b"not found"

    def _cdx(self, q: dict) -> tuple[int, dict, bytes]:
        self.cdx_queries.append(q)
        if q.get("output") != ["json"] or q.get("filter") != ["statuscode:200"]:
            return 400, {}, b"bad query"
        fields = q["fl"][0].split(",")
        lo, hi = q.get("from", [""])[0], q.get("to", ["99999999999999"])[0]
        rows = [s for s in self.snapshots if s.status == 200
                and s.timestamp[:len(lo)] >= lo and s.timestamp[:len(hi)] <= hi]
        start = int(q["resumeKey"][0].rsplit("!", 1)[1]) if "resumeKey" in q else 0
        limit = int(q.get("limit", ["100000"])[0])
        page = rows[start:start + limit]
        values = {"timestamp": lambda s: s.timestamp, "original": lambda s: s.original,
                  "statuscode": lambda s: str(s.status), "mimetype": lambda s: s.content_type.split(";")[0],
                  "digest": lambda s: s.digest, "length": lambda s: str(len(s.body))}
        lines = [json.dumps(fields)] + [json.dumps([values[f](s) for f in fields], ensure_ascii=False) for s in page]
        if self.malformed and start == 0:
            lines.insert(2, '["20150101000000", "http://www.almodon.com/politics/2015/01/01/broken')
        if q.get("showResumeKey") == ["true"] and start + limit < len(rows):
            nxt = rows[start + limit]
            lines += ["[]", json.dumps([f"{_surt(nxt.original)} {nxt.timestamp}!{start + limit}"], ensure_ascii=False)]
        body = "[" + ",\n".join(lines) + "]\n"
        return 200, {"Content-Type": "application/json"}, body.encode()

    def _capture(self, timestamp: str, original: str) -> tuple[int, dict, bytes]:
        snap = next((s for s in self.snapshots if s.timestamp == timestamp and s.original == original), None)
        if snap is None:
            return 404, {"Content-Type": "text/plain"}, b"not in archive"
        throttled = self.throttle_once("capture")
        if throttled:
            return throttled
        if not self._gate():
            return 0, {}, b""
        return snap.status, {
            "Content-Type": snap.content_type,
            "Memento-Datetime": format_datetime(snap.when, usegmt=True),
            "X-Archive-Orig-Server": "nginx",
            "Link": f'<{quote(snap.original, safe=":/?&=%#")}>; rel="original"',
        }, snap.body


def _surt(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    return ",".join(reversed(host.split("."))) + ")" + (parts.path or "/").lower()


# -- Common Crawl ---------------------------------------------------------------------------------
class FakeCCData(_App):
    """The data server: ``/<filename>`` with ``Range: bytes=a-b`` → 206 and those bytes."""

    def __init__(self) -> None:
        super().__init__()
        self.files: dict[str, bytes] = {}
        self.ranges: list[str] = []

    def answer(self, path, headers):
        data = self.files.get(unquote(path.lstrip("/")))
        if data is None:
            return 404, {}, b"no such file"
        m = re.fullmatch(r"bytes=(\d+)-(\d+)", headers.get("Range", ""))
        if not m:
            return 416, {}, b"this fake wants a Range"
        throttled = self.throttle_once("data")
        if throttled:
            return throttled
        if not self._gate():
            return 0, {}, b""
        a, b = int(m.group(1)), int(m.group(2))
        self.ranges.append(headers["Range"])
        return 206, {"Content-Type": "application/octet-stream",
                     "Content-Range": f"bytes {a}-{b}/{len(data)}"}, data[a:b + 1]


class FakeCCIndex(_App):
    """``/collinfo.json`` and ``/<crawl>-index`` (showNumPages, page, from/to, output=json)."""

    def __init__(self, crawls: dict[str, list[Snapshot]], data: FakeCCData, page_size: int = 2) -> None:
        super().__init__()
        self.page_size = page_size
        self.rows: dict[str, list[dict]] = {}
        self.crawls = crawls
        for crawl, snaps in crawls.items():
            filename = f"crawl-data/{crawl}/segments/1700000000000.1/warc/{crawl}-00000.warc.gz"
            buf = io.BytesIO()
            writer = WARCWriter(buf, gzip=True)
            rows = []
            for s in sorted(snaps, key=lambda s: (_surt(s.original), s.timestamp)):
                date = s.when.strftime("%Y-%m-%dT%H:%M:%SZ")
                uri = quote(s.original, safe=":/?&=%#")  # as Common Crawl writes it
                req = writer.create_warc_record(uri, "request", payload=io.BytesIO(b""), length=0,
                                                http_headers=StatusAndHeaders(f"GET {urlsplit(uri).path} HTTP/1.1",
                                                                              [("Host", urlsplit(s.original).netloc)],
                                                                              is_http_request=True),
                                                warc_headers_dict={"WARC-Date": date})
                writer.write_record(req)
                offset = buf.tell()
                resp = writer.create_warc_record(
                    uri, "response", payload=io.BytesIO(s.body), length=len(s.body),
                    http_headers=StatusAndHeaders(f"{s.status} OK", [("Content-Type", s.content_type),
                                                                     ("Server", "nginx")], protocol="HTTP/1.1"),
                    warc_headers_dict={"WARC-Date": date, "WARC-IP-Address": "192.0.2.1"})
                writer.write_record(resp)
                rows.append({"urlkey": f"{_surt(s.original)}", "timestamp": s.timestamp, "url": s.original,
                             "mime": s.content_type.split(";")[0], "status": str(s.status), "digest": s.digest,
                             "length": str(buf.tell() - offset), "offset": str(offset), "filename": filename})
            data.files[filename] = buf.getvalue()
            self.rows[crawl] = rows

    def answer(self, path, headers):
        parts = urlsplit(path)
        if parts.path == "/collinfo.json":
            info = []
            for crawl, snaps in self.crawls.items():
                first, last = min(s.when for s in snaps), max(s.when for s in snaps)
                info.append({"id": crawl, "name": crawl, "cdx-api": f"{self.base_url}/{crawl}-index",
                             "from": first.strftime("%Y-%m-%dT00:00:00"), "to": last.strftime("%Y-%m-%dT23:59:59")})
            return 200, {"Content-Type": "application/json"}, json.dumps(info).encode()
        m = re.fullmatch(r"/(CC-MAIN-\d{4}-\d{2})-index", parts.path)
        if not m or m.group(1) not in self.rows:
            return 404, {}, b"no such index"
        q = parse_qs(parts.query)
        lo, hi = q.get("from", [""])[0], q.get("to", ["99999999999999"])[0]
        rows = [r for r in self.rows[m.group(1)] if r["timestamp"][:len(lo)] >= lo and r["timestamp"][:len(hi)] <= hi]
        pages = max(1, -(-len(rows) // self.page_size))
        if q.get("showNumPages") == ["true"]:
            body = json.dumps({"pages": pages, "pageSize": self.page_size, "blocks": len(rows)})
            return 200, {"Content-Type": "application/json"}, body.encode()
        page = int(q.get("page", ["0"])[0])
        chunk = rows[page * self.page_size:(page + 1) * self.page_size]
        lines = [json.dumps(r) for r in chunk]
        if page == 0:
            lines.insert(1, '{"urlkey": "com,almodon)/broken", "timestamp": "2025')
        return 200, {"Content-Type": "text/x-ndjson"}, ("\n".join(lines) + "\n").encode()
