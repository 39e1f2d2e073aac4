"""What a killed crawl archived but did not store, found again by the next run.

The crawl writes each page's WARC record first, then (through the writer, in order) its
``raw_pages`` row, then its article or its skip. A SIGKILL can fall between any two, so the next
run, before it fetches anything, looks at the runs that never finished:

- ``raw_pages`` rows of those runs with no outcome (no ``extractions`` and no ``skipped_pages``
  row of that run for the URL): read back from the WARC file and processed;
- WARC records of those runs with no ``raw_pages`` row (written just before the kill): indexed
  and processed. A record cut off by the kill fails its ``WARC-Payload-Digest`` and is ignored.

Processing is idempotent (the store's upsert of an unchanged page adds no version), so a page
that was in fact stored just before the kill is not doubled. Reads only; the caller writes.
"""

from __future__ import annotations

import base64
import hashlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from . import archive
from .extract import urls


@dataclass
class Unfinished:
    page: archive.Fetched
    raw: dict | None  # the raw_pages row to add (keyword arguments of Store.add_raw), or None


def interrupted_runs(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    """Crawl runs that never finished, since the last crawl that did (which recovered the older)."""
    conn.row_factory = sqlite3.Row
    return conn.execute(
        "SELECT id, started_at FROM crawl_runs WHERE job = 'crawl' AND finished_at IS NULL AND id > "
        "coalesce((SELECT max(id) FROM crawl_runs WHERE job = 'crawl' AND finished_at IS NOT NULL), 0) "
        "ORDER BY id"
    ).fetchall()


def _done(conn: sqlite3.Connection, run_ids: list[int]) -> set[str]:
    marks = ", ".join("?" for _ in run_ids)
    return {r[0] for r in conn.execute(
        f"SELECT url FROM extractions WHERE run_id IN ({marks}) "
        f"UNION SELECT url FROM skipped_pages WHERE run_id IN ({marks})", [*run_ids, *run_ids])}


def _digest_ok(record, body: bytes) -> bool:
    declared = record.rec_headers.get_header("WARC-Payload-Digest") or ""
    algo, _, value = declared.partition(":")
    if algo.lower() != "sha1":
        return bool(body) or not declared
    return base64.b32encode(hashlib.sha1(body).digest()).decode() == value


def _records(path: Path) -> Iterator[tuple[int, int, archive.Fetched]]:
    """``(offset, length, Fetched)`` of every complete response record of a WARC file."""
    with open(path, "rb") as fh:
        it = ArchiveIterator(fh)
        try:
            for record in it:
                page = archive._from_record(record)
                it.read_to_end(record)
                if page is not None and _digest_ok(record, page.body):
                    yield it.get_record_offset(), it.get_record_length(), page
        except Exception:  # noqa: BLE001 - a record cut off by the kill ends the file
            return


def unfinished(conn: sqlite3.Connection, warc_dir: Path, run_id: int | None) -> Iterator[Unfinished]:
    """Pages of interrupted crawls that were archived but have no outcome; ``run_id`` (the
    recovering run) goes on the ``raw_pages`` rows added for unindexed records."""
    runs = interrupted_runs(conn)
    if not runs:
        return
    ids = [r["id"] for r in runs]
    done = _done(conn, ids)

    def is_done(url: str) -> bool:
        return url in done or urls.canonicalize(url) in done

    marks = ", ".join("?" for _ in ids)
    rows = conn.execute(f"SELECT url, warc_file, warc_offset FROM raw_pages WHERE run_id IN ({marks}) "
                        "ORDER BY id", ids).fetchall()
    for row in rows:
        if not is_done(row["url"]):
            page = archive.read_at(warc_dir / row["warc_file"], row["warc_offset"])
            if page is not None:
                yield Unfinished(page, None)
    # WARC files these runs may have written: named almodon-<UTC stamp>-<n>, stamped when opened
    first = min(r["started_at"] for r in runs).replace("-", "").replace(":", "").replace("T", "")[:14]
    for path in sorted(warc_dir.glob("almodon-*.warc.gz")) if warc_dir.is_dir() else ():
        stamp = path.name.split("-")[1] if path.name.count("-") >= 2 else ""
        if stamp < first:
            continue
        indexed = {r[0] for r in conn.execute("SELECT warc_offset FROM raw_pages WHERE warc_file = ?",
                                              (path.name,))}
        for offset, length, page in _records(path):
            if offset in indexed or is_done(page.url):
                continue
            yield Unfinished(page, {
                "url": page.url, "fetch_url": page.fetch_url, "warc_file": path.name, "offset": offset,
                "length": length, "fetched_at": page.fetched_at, "status": page.status,
                "content_type": page.content_type, "sha256": page.sha256, "run_id": run_id})
