"""Web-archive captures: reading the Wayback CDX and Common Crawl index answers, and deciding
which captures are worth fetching. Pure (no Scrapy, no network); the spider and ``--dry-run`` use it.

A capture is worth fetching when its URL is an Al-Modon article (any of the three URL eras,
canonicalised, numeric and GUID forms mapped onto the article they are known to lead to) and the
archive holds neither its payload digest nor the same URL at the same time. Everything else is
counted by reason, never fetched.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

from ..extract import urls

#: CDX fields asked of the Wayback Machine (``fl=``), in this order.
WAYBACK_FIELDS = ("timestamp", "original", "statuscode", "mimetype", "digest", "length")


@dataclass(frozen=True)
class Capture:
    """One capture as an archive's index lists it."""

    source: str  # wayback | commoncrawl
    original: str  # the URL as captured
    timestamp: str  # 14 digits, UTC
    digest: str | None = None  # payload SHA-1, base32
    status: int | None = None
    mime: str | None = None
    filename: str | None = None  # Common Crawl: WARC file, offset and length of the record
    offset: int | None = None
    length: int | None = None
    redirect: str | None = None  # Common Crawl lists where a 3xx capture pointed

    @property
    def captured_at(self) -> str:
        """UTC ``YYYY-MM-DDTHH:MM:SSZ``."""
        t = self.timestamp.ljust(14, "0")
        return f"{t[:4]}-{t[4:6]}-{t[6:8]}T{t[8:10]}:{t[10:12]}:{t[12:14]}Z"

    @property
    def when(self) -> datetime:
        return datetime.strptime(self.captured_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _valid_timestamp(value: str) -> bool:
    if not (value.isdigit() and 4 <= len(value) <= 14):
        return False
    try:
        Capture("", "", value).when  # noqa: B018 - validates the calendar date
    except ValueError:
        return False
    return True


def parse_cdx_json(text: str) -> tuple[list[Capture], str | None, int]:
    """A Wayback CDX ``output=json`` answer → ``(captures, resume key or None, malformed rows)``.

    The answer is a JSON array with one row per line: the field names, the rows, and with
    ``showResumeKey=true`` an empty row followed by ``[resume key]``. It is read line by line, so
    one malformed line costs that line (counted), not the page.
    """
    body = text.strip()
    if body.startswith("[") and body.endswith("]"):
        body = body[1:-1]
    rows: list = []
    malformed = 0
    for line in body.splitlines():
        line = line.strip().rstrip(",")
        if not line:
            continue
        try:
            row = json.loads(line)
        except ValueError:
            malformed += 1
            continue
        if not isinstance(row, list) or not all(isinstance(v, str) for v in row):
            malformed += 1
            continue
        rows.append(row)
    if not rows:
        return [], None, malformed
    header, rows = rows[0], rows[1:]
    resume = None
    if len(rows) >= 2 and rows[-2] == [] and len(rows[-1]) == 1:
        resume, rows = rows[-1][0], rows[:-2]
    captures = []
    for row in rows:
        if len(row) != len(header):
            malformed += 1
            continue
        rec = dict(zip(header, row, strict=True))
        capture = _capture("wayback", rec)
        if capture is None:
            malformed += 1
        else:
            captures.append(capture)
    return captures, resume, malformed


def parse_cc_index(text: str) -> tuple[list[Capture], int]:
    """A Common Crawl index page (``output=json``: one JSON object per line) → ``(captures, malformed)``."""
    captures, malformed = [], 0
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except ValueError:
            malformed += 1
            continue
        capture = _capture("commoncrawl", rec) if isinstance(rec, dict) else None
        if capture is None:
            malformed += 1
        else:
            captures.append(capture)
    return captures, malformed


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _capture(source: str, rec: dict) -> Capture | None:
    ts, original = str(rec.get("timestamp") or ""), rec.get("original") or rec.get("url")
    if not original or not isinstance(original, str) or not _valid_timestamp(ts):
        return None
    capture = Capture(
        source=source, original=original, timestamp=ts, digest=rec.get("digest") or None,
        status=_int(rec.get("statuscode") or rec.get("status")),
        mime=rec.get("mimetype") or rec.get("mime"),
        filename=rec.get("filename"), offset=_int(rec.get("offset")), length=_int(rec.get("length")),
        redirect=rec.get("redirect") if isinstance(rec.get("redirect"), str) else None,
    )
    if source == "commoncrawl" and (not capture.filename or capture.offset is None or not capture.length):
        return None
    return capture


def _rows(conn: sqlite3.Connection, sql: str) -> list:
    """Rows of ``sql``; none from a table a database made by an older schema lacks (a dry run
    opens the database read-only, so nothing is migrated)."""
    try:
        return conn.execute(sql).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return []
        raise


@dataclass(frozen=True)
class Decision:
    verdict: str  # fetch | not_article | offsite | not_ok | redirect | held | duplicate_digest
    capture: Capture
    url: str | None = None  # canonical article URL (aliases resolved)
    section: str | None = None
    aliases: tuple[str, ...] = ()  # other canonical URLs the capture's URL stands for


class Planner:
    """Decides capture by capture, remembering what this run already chose (so a digest seen
    twice is fetched once). ``counts`` holds every verdict."""

    def __init__(self, *, digests: set[str] | None = None, held: set[tuple[str, str]] | None = None,
                 aliases: dict[str, str] | None = None) -> None:
        self.digests = set(digests or ())
        self.held = set(held or ())
        self.aliases = dict(aliases or {})
        self.counts: Counter[str] = Counter()

    @classmethod
    def from_db(cls, conn: sqlite3.Connection) -> Planner:
        """What the archive already holds: capture digests, (URL, time) pairs of raw pages and
        captures, and the alias → article URL map."""
        digests = {r[0] for r in _rows(conn, "SELECT digest FROM archive_captures WHERE digest IS NOT NULL")}
        held = {(r[0], r[1]) for r in _rows(conn, "SELECT url, captured_at FROM archive_captures")}
        held |= {(urls.canonicalize(r[0]) or r[0], r[1]) for r in _rows(conn, "SELECT url, fetched_at FROM raw_pages")}
        # numeric / GUID URLs the site redirected to a dated one (seen by a crawl), then the
        # aliases of stored articles
        aliases = dict(_rows(conn, "SELECT url, redirects_to FROM discovered_urls WHERE redirects_to IS NOT NULL"))
        aliases.update(_rows(conn, "SELECT al.url, a.url FROM article_aliases al JOIN articles a ON a.id = al.article_id"))
        return cls(digests=digests, held=held, aliases=aliases)

    def decide(self, capture: Capture) -> Decision:
        decision = self._decide(capture)
        self.counts[decision.verdict] += 1
        if decision.verdict == "fetch":
            if capture.digest:
                self.digests.add(capture.digest)
            self.held.add((decision.url, capture.captured_at))
        return decision

    def _decide(self, capture: Capture) -> Decision:
        info = urls.classify(capture.original)
        if info.kind == "offsite":
            return Decision("offsite", capture)
        if info.kind != "article":
            return Decision("not_article", capture, section=info.section)
        if capture.status in (301, 302, 303, 307, 308) and capture.redirect:
            target = urls.classify(capture.redirect)
            if target.kind == "article" and target.key != info.key:  # numeric/GUID -> dated: an alias
                self.aliases.setdefault(info.canonical, self.aliases.get(target.canonical, target.canonical))
            return Decision("redirect", capture, info.canonical, info.section)
        if capture.status not in (None, 200):
            return Decision("not_ok", capture, info.canonical, info.section)
        url = self.aliases.get(info.canonical, info.canonical)
        aliases = (info.canonical,) if url != info.canonical else ()
        section = urls.classify(url).section or info.section
        if capture.digest and capture.digest in self.digests:
            return Decision("duplicate_digest", capture, url, section, aliases)
        if (url, capture.captured_at) in self.held or (info.canonical, capture.captured_at) in self.held:
            return Decision("held", capture, url, section, aliases)
        return Decision("fetch", capture, url, section, aliases)
