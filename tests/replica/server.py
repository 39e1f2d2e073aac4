"""A local replica of almodon.com, served on 127.0.0.1 for tests and ``make demo``.

    with Replica(port=0) as rep:          # rep.base_url == "http://127.0.0.1:PORT"
        ...
    python tests/replica/server.py --port 8765 [--no-sitemap] [--block 403]

Stdlib only. Routes come from the golden fixtures at start (see ``pages.py``); options:
``sitemap`` (robots.txt names a sitemap index), ``block`` (answer every request with that status),
``mutations`` / ``set_page`` (change a page at run time); ``requests`` logs (method, path, status), ``user_agents`` (path, User-Agent).
"""

from __future__ import annotations

import argparse
import sys
import threading
from datetime import UTC
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self
from urllib.parse import parse_qs, quote, unquote

if __package__ in (None, ""):  # run as a script: make ``pages`` importable as a sibling
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from pages import FIXTURES, Resource, Site  # type: ignore[import-not-found]
else:
    from .pages import FIXTURES, Resource, Site

BLOCK_TEXT = {
    403: "Forbidden",
    406: "Not Acceptable",
    429: "Too Many Requests",
    503: "Service Unavailable",
}


def _not_modified(headers, res: Resource) -> bool:
    """RFC 9110: If-None-Match wins; If-Modified-Since only when no If-None-Match was sent."""
    inm = headers.get("If-None-Match")
    if inm is not None:
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        return "*" in tags or res.etag in tags
    ims = headers.get("If-Modified-Since")
    if ims and res.last_modified:
        try:
            return res.last_modified.replace(microsecond=0) <= parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
    return False


class _Handler(BaseHTTPRequestHandler):
    server_version = "nginx"
    sys_version = ""
    server: _Server

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def _answer(self, head: bool) -> None:
        rep = self.server.replica
        raw_path, _, query = self.path.partition("?")
        path = unquote(raw_path)
        if rep.block:
            text = f"{rep.block} {BLOCK_TEXT.get(rep.block, 'Blocked')}"
            res = Resource(f"<html><body><h1>{text}</h1></body></html>".encode(), status=rep.block)
        else:
            res = rep.site.resolve(path, parse_qs(query))
        status = 304 if res.status == 200 and _not_modified(self.headers, res) else res.status
        rep.requests.append((self.command, path + (f"?{unquote(query)}" if query else ""), status))
        rep.user_agents.append((path, self.headers.get("User-Agent")))
        body = b"" if status in (301, 304) else res.body
        self.send_response(status)
        if res.location:
            self.send_header("Location", res.location)
        if res.status == 200:
            self.send_header("ETag", res.etag)
            if res.last_modified:
                self.send_header(
                    "Last-Modified", format_datetime(res.last_modified.astimezone(UTC), usegmt=True)
                )
        if status != 304:
            self.send_header("Content-Type", res.content_type)
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:
        if self.server.replica.verbose:
            super().log_message(format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512  # a crawl opens many connections at once (tests/faults_server.py)
    replica: Replica


class Replica:
    """The fake almodon.com. ``block`` and the pages may be changed while it runs."""

    def __init__(
        self,
        port: int = 0,
        *,
        host: str = "127.0.0.1",
        sitemap: bool = True,
        block: int | None = None,
        mutations: dict[str, bytes] | None = None,
        fixtures: Path = FIXTURES,
        verbose: bool = False,
    ) -> None:
        self.host, self.port = host, port
        self.block, self.verbose = block, verbose
        self.site = Site(fixtures, sitemap=sitemap)
        for path, body in (mutations or {}).items():
            self.set_page(path, body)
        self.requests: list[tuple[str, str, int]] = []
        #: (path, User-Agent header) of every request, in order
        self.user_agents: list[tuple[str, str | None]] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        """Replica URL of a site path (decoded or not; encoded here like the live site's links)."""
        return self.base_url + quote(unquote(path), safe="/?=&")

    def set_page(self, path: str, body: bytes, content_type: str | None = None) -> None:
        self.site.set(unquote(path), body, content_type)

    def fetched(self, path: str) -> int:
        """How many times ``path`` (decoded, query included if any) was requested."""
        return sum(1 for _, p, _ in self.requests if p == unquote(path))

    def start(self) -> Self:
        self._server = _Server((self.host, self.port), _Handler)
        self._server.replica = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="almodon-replica", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the almodon.com replica on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--no-sitemap", action="store_true", help="robots.txt without Sitemap lines"
    )
    parser.add_argument(
        "--block", type=int, metavar="STATUS", help="answer every request with STATUS"
    )
    parser.add_argument("--quiet", action="store_true", help="do not log requests")
    args = parser.parse_args(argv)
    rep = Replica(
        args.port,
        host=args.host,
        sitemap=not args.no_sitemap,
        block=args.block,
        verbose=not args.quiet,
    )
    rep.start()
    print(rep.base_url, flush=True)
    try:
        rep._thread.join()
    except KeyboardInterrupt:
        pass
    finally:
        rep.stop()


if __name__ == "__main__":
    main()
