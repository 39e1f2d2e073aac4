"""The SQLite store: applies ``schema.sql``, upserts records, keeps versions, records runs.

No Scrapy import: the Scrapy pipeline, ``almodon reparse`` and the tests all call this class.
Every write is one transaction; the database is in WAL mode so analysts can read during a crawl.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

from .extract import media
from .extract.urls import canonicalize
from .search import index as search_index


def _schema_path() -> Path:
    """``schema.sql``: inside the package when installed from a wheel (setup.py puts it there),
    at the top of the repository in a checkout or an editable install."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "schema.sql", here.parent / "schema.sql"):
        if candidate.is_file():
            return candidate
    return here.parent / "schema.sql"


SCHEMA_PATH = _schema_path()
#: Numbered migrations for databases made by an older schema.sql: (version, description, SQL).
#: Only what ``CREATE … IF NOT EXISTS`` in schema.sql cannot do for an existing database
#: (``ALTER TABLE … ADD COLUMN``); new tables, indexes and views need no entry but a number.
#: Data is never dropped.
MIGRATIONS: tuple[tuple[int, str, str], ...] = (
    (1, "initial schema", ""),
    (2, "raw_pages, extractions, article_aliases, search index (new tables only)", ""),
    (3, "videos (new table only)", ""),
    # A view whose definition changed is dropped; schema.sql, applied next, re-creates it.
    (4, "article_list: authors in byline order, section name, tags", "DROP VIEW IF EXISTS article_list"),
)
#: Fields whose change makes a new version (what a reader of the article would notice).
CONTENT_FIELDS = (
    "headline",
    "paragraphs",
    "authors",
    "images",
    "videos",
    "tags",
    "section",
    "published_date",
    "published_at",
    "modified_at",
)
_ARTICLE_COLUMNS = ["url_key", "original_url", "site", "era", "section", "section_name", "headline", "summary", "body", "paragraphs", "paragraph_count", "word_count", "authors", "tags", "language", "published_date", "published_at", "published_local", "published_precision", "published_source", "published_raw", "published_flags", "modified_at", "modified_local", "modified_precision", "modified_source", "modified_raw", "modified_flags", "image_count", "encoding", "sources", "conflicts", "content_hash"]


def utcnow() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _content(record: dict) -> dict:
    """The fields a reader would notice, empty ones left out (so a field added to the record
    later does not make every stored article look changed)."""
    return {k: v for k in CONTENT_FIELDS if (v := record.get(k)) not in (None, "", [], {})}


def content_hash(record: dict) -> str:
    payload = _json(_content(record))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class ArchiveError(Exception):
    """A database a command cannot use (missing, not an archive, damaged). ``str()`` is the one
    line the command prints; ``pipelines.exits`` maps it to exit status 1."""


#: The first 16 bytes of every SQLite 3 database file.
SQLITE_MAGIC = b"SQLite format 3\x00"
#: Tables every Al-Modon archive has had since schema version 1.
ARCHIVE_TABLES = ("articles", "crawl_runs", "schema_migrations")


def damaged(path: str | Path) -> ArchiveError:
    return ArchiveError(f"{path} is damaged (run PRAGMA integrity_check)")


def not_an_archive(path: str | Path) -> ArchiveError:
    return ArchiveError(f"{path} is not an Al-Modon archive")


def _check_file(path: Path) -> bool:
    """Cheap checks of the file itself, no SQLite: True when it holds a database, False when it
    is missing or empty. Raises ``ArchiveError`` for another kind of file or a cut one."""
    if path.is_dir():
        raise ArchiveError(f"{path} is a directory, not an archive database")
    try:
        with open(path, "rb") as fh:
            header = fh.read(100)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise ArchiveError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not header:
        return False
    if len(header) < 100 or not header.startswith(SQLITE_MAGIC):
        raise not_an_archive(path)
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    # the in-header size is valid when its "version-valid-for" equals the change counter
    if header[92:96] == header[24:28] and pages * page_size > path.stat().st_size:
        raise damaged(path)
    return True


def readonly_uri(path: str | Path) -> str:
    """``file:`` URI opening ``path`` read-only. A copy in a directory nobody may write, with no
    ``-wal`` beside it, is also ``immutable`` (SQLite could not create the WAL index there, and
    nothing can be writing it)."""
    path = Path(path).resolve()
    uri = path.as_uri() + "?mode=ro"
    if not Path(f"{path}-wal").exists() and not os.access(path.parent, os.W_OK):
        uri += "&immutable=1"
    return uri


def _verify(conn: sqlite3.Connection, path: Path, *, allow_empty: bool) -> None:
    """Raise ``ArchiveError`` unless ``conn`` is an Al-Modon archive (or, with ``allow_empty``,
    an SQLite database with no tables at all, which a writer may initialise)."""
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        name = getattr(exc, "sqlite_errorname", "")
        if name == "SQLITE_NOTADB":
            raise not_an_archive(path) from None
        if name == "SQLITE_CORRUPT":
            raise damaged(path) from None
        raise ArchiveError(f"cannot read {path}: {exc}") from None
    if not names and allow_empty:
        return
    if not set(ARCHIVE_TABLES) <= names:
        raise not_an_archive(path)


def open_archive(path: str | Path, *, readonly: bool = True,
                 create: bool = False) -> sqlite3.Connection:
    """The one way a command opens the archive. Read-only (``mode=ro``: nothing created, no WAL
    switch, works on a read-only file in a read-only directory) unless ``readonly=False``.
    Raises ``ArchiveError`` with the line to print for a missing file (unless a writer may
    ``create`` it), a file that is not SQLite or an SQLite database of something else, and a
    truncated or corrupt one."""
    path = Path(path)
    exists = _check_file(path)
    if not exists and (readonly or not create):
        if path.exists():  # an empty file
            raise not_an_archive(path)
        raise ArchiveError(f"no such database: {path}")
    if readonly:
        conn = sqlite3.connect(readonly_uri(path), uri=True, timeout=30)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=30)
    try:
        _verify(conn, path, allow_empty=not readonly)
    except BaseException:
        conn.close()
        raise
    return conn


class Store:
    """One SQLite archive. ``Store(path)`` creates or migrates it; use as a context manager.
    A file that is not an archive (or is damaged) raises ``ArchiveError`` and is left as it was."""

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.conn = open_archive(self.path, readonly=readonly, create=not readonly)
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA busy_timeout = 30000")
        self.conn.execute("PRAGMA foreign_keys = ON")
        if not readonly:
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = NORMAL")
            self._apply_schema()

    # -- schema -----------------------------------------------------------------------------
    def _apply_schema(self) -> None:
        """A new database gets ``schema.sql`` and is marked current. An existing one first gets
        the migrations it has not had (ALTERs for tables it already holds), then ``schema.sql``
        again, which adds new tables, indexes and views and touches nothing else."""
        fresh = self.conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'articles'").fetchone()[0] == 0
        level = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if not fresh:
            for version, _description, sql in MIGRATIONS:
                if version > level and sql:
                    self.conn.executescript(f"BEGIN; {sql}; COMMIT;")
        self.conn.executescript(SCHEMA_PATH.read_text(encoding="utf-8"))
        with self.conn:
            for version, description, _sql in MIGRATIONS:
                if fresh or version > level:
                    self.conn.execute(
                        "INSERT OR IGNORE INTO schema_migrations VALUES (?, ?, ?)",
                        (version, description, utcnow()),
                    )
            self.conn.execute(f"PRAGMA user_version = {int(MIGRATIONS[-1][0])}")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- runs -------------------------------------------------------------------------------
    def start_run(self, *, job: str = "crawl", mode: str | None = None, base_url: str | None = None,
                  args: dict | None = None) -> int:
        """A new ``crawl_runs`` row. Runs still marked ``running`` are from a process that died
        (the caller holds the database lock), so they are marked ``interrupted``."""
        with self.conn:
            self.conn.execute(
                "UPDATE crawl_runs SET status = 'interrupted', exit_code = coalesce(exit_code, -9) "
                "WHERE status = 'running'"
            )
            cur = self.conn.execute(
                "INSERT INTO crawl_runs (started_at, job, mode, base_url, args) VALUES (?, ?, ?, ?, ?)",
                (utcnow(), job, mode, base_url, _json(args or {})),
            )
        return int(cur.lastrowid)

    def finish_run(self, run_id: int, counts: dict, *, status: str, exit_code: int,
                   finish_reason: str | None = None) -> None:
        with self.conn:
            self.conn.execute(
                """UPDATE crawl_runs SET finished_at = ?, requests = ?, responses = ?, new = ?,
                   updated = ?, unchanged = ?, skipped = ?, failed = ?, blocked = ?,
                   skipped_reasons = ?, failed_reasons = ?, finish_reason = ?, status = ?,
                   exit_code = ? WHERE id = ?""",
                (
                    utcnow(),
                    counts.get("requests", 0),
                    counts.get("responses", 0),
                    counts.get("new", 0),
                    counts.get("updated", 0),
                    counts.get("unchanged", 0),
                    sum(counts.get("skipped_reasons", {}).values()),
                    sum(counts.get("failed_reasons", {}).values()),
                    counts.get("blocked", 0),
                    _json(counts.get("skipped_reasons", {})),
                    _json(counts.get("failed_reasons", {})),
                    finish_reason,
                    status,
                    exit_code,
                    run_id,
                ),
            )

    def record_skip(self, run_id: int | None, url: str, reason: str, detail: str = "",
                    http_status: int | None = None) -> None:
        with self.conn:
            self.conn.execute(
                "INSERT INTO skipped_pages (run_id, url, reason, detail, http_status, at) VALUES (?, ?, ?, ?, ?, ?)",
                (run_id, url, reason, detail[:500], http_status, utcnow()),
            )

    # -- articles ---------------------------------------------------------------------------
    def upsert(self, record: dict, *, run_id: int | None = None, fetched_at: str | None = None,
               http_status: int | None = None, etag: str | None = None,
               last_modified: str | None = None, aliases: list[str] | tuple = ()) -> str:
        """Insert or update one article record. Returns ``new`` / ``updated`` / ``unchanged``.

        An unchanged re-visit only touches ``last_checked_at``; a changed one keeps the old
        content in ``article_versions`` and bumps ``version``."""
        fetched_at = fetched_at or utcnow()
        row = _article_row(record)
        with self.conn:
            old = self.conn.execute(
                "SELECT id, content_hash, version FROM articles WHERE url = ?", (record["url"],)
            ).fetchone()
            if old is not None:
                self._add_aliases(old["id"], record["url"], aliases)
            if old is not None and old["content_hash"] == row["content_hash"]:
                self._log_extraction(record, "unchanged", run_id, fetched_at)
                self.conn.execute(
                    "UPDATE articles SET last_checked_at = ?, last_fetched_at = ?, last_run_id = ?, "
                    "http_status = coalesce(?, http_status), etag = coalesce(?, etag), "
                    "last_modified_http = coalesce(?, last_modified_http) WHERE id = ?",
                    (fetched_at, fetched_at, run_id, http_status, etag, last_modified, old["id"]),
                )
                return "unchanged"
            meta = {
                "last_fetched_at": fetched_at,
                "last_checked_at": fetched_at,
                "last_changed_at": fetched_at,
                "http_status": http_status,
                "etag": etag,
                "last_modified_http": last_modified,
                "last_run_id": run_id,
            }
            if old is None:
                cols = {"url": record["url"], **row, **meta, "first_seen_at": fetched_at,
                        "first_run_id": run_id, "version": 1}
                names = ", ".join(cols)
                marks = ", ".join("?" for _ in cols)
                cur = self.conn.execute(f"INSERT INTO articles ({names}) VALUES ({marks})", tuple(cols.values()))
                article_id, version, changed, outcome = cur.lastrowid, 1, [], "new"
            else:
                article_id, version = old["id"], old["version"] + 1
                previous = self.conn.execute(
                    "SELECT record FROM article_versions WHERE article_id = ? ORDER BY version DESC LIMIT 1",
                    (article_id,),
                ).fetchone()
                before = json.loads(previous["record"]) if previous else {}
                now = _content(record)
                changed = [f for f in CONTENT_FIELDS if _content(before).get(f) != now.get(f)]
                cols = {**row, **meta, "version": version}
                assignments = ", ".join(f"{name} = ?" for name in cols)
                self.conn.execute(
                    f"UPDATE articles SET {assignments} WHERE id = ?", (*cols.values(), article_id)
                )
                outcome = "updated"
            self.conn.execute(
                "INSERT INTO article_versions (article_id, version, fetched_at, modified_at, content_hash, "
                "headline, body, record, changed_fields, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (article_id, version, fetched_at, record.get("modified_at"), row["content_hash"],
                 record["headline"], row["body"], _json(_without_body(record)), _json(changed), run_id),
            )
            self._replace_children(article_id, record)
            search_index.index_article(self.conn, article_id)
            self._add_aliases(article_id, record["url"], aliases)
            self._log_extraction(record, outcome, run_id, fetched_at)
        return outcome

    def add_aliases(self, url: str, aliases) -> int:
        """Record URLs that lead to the stored article ``url`` (no-op if it is not stored)."""
        canon = [c for c in (canonicalize(a) for a in aliases) if c]
        with self.conn:
            row = self.conn.execute("SELECT id FROM articles WHERE url = ?", (url,)).fetchone()
            if row is None:
                return 0
            self._add_aliases(row[0], url, canon)
        return len(canon)

    def _add_aliases(self, article_id: int, url: str, aliases) -> None:
        self.conn.executemany(
            "INSERT OR IGNORE INTO article_aliases (url, article_id) VALUES (?, ?)",
            [(a, article_id) for a in aliases if a and a != url],
        )

    def _log_extraction(self, record: dict, outcome: str, run_id: int | None, fetched_at: str) -> None:
        self.conn.execute(
            "INSERT INTO extractions (run_id, url, section, fetched_at, outcome, fields, conflicts) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (run_id, record["url"], record.get("section"), fetched_at, outcome,
             _json(field_layers(record)), len(record.get("conflicts") or [])),
        )

    def _replace_children(self, article_id: int, record: dict) -> None:
        c = self.conn
        c.execute("DELETE FROM images WHERE article_id = ?", (article_id,))
        c.executemany(
            "INSERT INTO images (article_id, position, url, caption, credit, agency, alt, caption_raw) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (article_id, i, im["url"], im.get("caption"), im.get("credit"),
                 media.agency(im.get("credit")), im.get("alt"), im.get("caption_raw"))
                for i, im in enumerate(record.get("images", []))
            ],
        )
        c.execute("DELETE FROM videos WHERE article_id = ?", (article_id,))
        c.executemany(
            "INSERT INTO videos (article_id, position, url, provider, caption, credit) VALUES (?, ?, ?, ?, ?, ?)",
            [(article_id, i, v["url"], v.get("provider"), v.get("caption"), v.get("credit"))
             for i, v in enumerate(record.get("videos", []))],
        )
        c.execute("DELETE FROM article_authors WHERE article_id = ?", (article_id,))
        for position, name in enumerate(dict.fromkeys(record.get("authors", []))):
            c.execute("INSERT OR IGNORE INTO authors (name) VALUES (?)", (name,))
            author_id = c.execute("SELECT id FROM authors WHERE name = ?", (name,)).fetchone()[0]
            c.execute("INSERT INTO article_authors VALUES (?, ?, ?)", (article_id, author_id, position))
        c.execute("DELETE FROM article_tags WHERE article_id = ?", (article_id,))
        for name in dict.fromkeys(record.get("tags", [])):
            c.execute("INSERT OR IGNORE INTO tags (name) VALUES (?)", (name,))
            tag_id = c.execute("SELECT id FROM tags WHERE name = ?", (name,)).fetchone()[0]
            c.execute("INSERT INTO article_tags VALUES (?, ?)", (article_id, tag_id))

    def touch(self, url: str, *, fetched_at: str, run_id: int | None = None) -> bool:
        """A re-visit that found the page unchanged (e.g. HTTP 304): only ``last_checked_at``."""
        with self.conn:
            cur = self.conn.execute(
                "UPDATE articles SET last_checked_at = ?, last_run_id = ? WHERE url = ?", (fetched_at, run_id, url)
            )
        return cur.rowcount > 0

    def due_for_refresh(self, policy: list[tuple[int | None, int]], now: str) -> list[sqlite3.Row]:
        """Stored articles due for a re-visit. ``policy`` is ``[(max_age_days, every_days), …]``
        checked in order (``None``: any age): an article younger than ``max_age_days`` is due when
        it was last checked ``every_days`` or more ago (0: every run)."""
        rows = self.conn.execute(
            "SELECT url, original_url, etag, last_modified_http, last_checked_at, "
            "julianday(?) - julianday(coalesce(published_at, published_date, first_seen_at)) AS age, "
            "julianday(?) - julianday(last_checked_at) AS since_check FROM articles ORDER BY age",
            (now, now),
        ).fetchall()
        due = []
        for row in rows:
            for max_age, every in policy:
                if max_age is None or (row["age"] is not None and row["age"] < max_age):
                    if every == 0 or row["since_check"] is None or row["since_check"] >= every - 1e-6:
                        due.append(row)
                    break
        return due

    # -- raw archive index --------------------------------------------------------------------
    def add_raw(self, *, url: str, fetch_url: str | None, warc_file: str, offset: int, length: int,
                fetched_at: str, status: int, content_type: str | None, sha256: str,
                run_id: int | None) -> None:
        with self.conn:
            self.conn.execute(
                "INSERT INTO raw_pages (url, fetch_url, warc_file, warc_offset, warc_length, fetched_at, "
                "http_status, content_type, content_hash, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (url, fetch_url, warc_file, offset, length, fetched_at, status, content_type, sha256, run_id),
            )

    def latest_raw_hash(self, url: str) -> str | None:
        row = self.conn.execute(
            "SELECT content_hash FROM raw_pages WHERE url = ? ORDER BY fetched_at DESC, id DESC LIMIT 1", (url,)
        ).fetchone()
        return row[0] if row else None

    def raw_pages(self, since: str | None = None) -> list[sqlite3.Row]:
        """Every archived response (oldest first), for re-extraction; ``since`` filters on fetch time."""
        sql = "SELECT * FROM raw_pages"
        params: tuple = ()
        if since:
            sql += " WHERE fetched_at >= ?"
            params = (since,)
        return self.conn.execute(sql + " ORDER BY fetched_at, id", params).fetchall()

    #: Skip reasons that say an article URL is dead for good (not worth fetching in latest mode).
    DEAD_REASONS = ("http_404", "http_410", "soft404", "no_body", "no_headline")

    def dead_urls(self) -> set[str]:
        marks = ", ".join("?" for _ in self.DEAD_REASONS)
        return {r[0] for r in self.conn.execute(
            f"SELECT DISTINCT url FROM skipped_pages WHERE reason IN ({marks})", self.DEAD_REASONS)}

    def known_urls(self) -> set[str]:
        """Canonical URLs of stored articles and of the aliases that led to them."""
        return {r[0] for r in self.conn.execute("SELECT url FROM articles UNION SELECT url FROM article_aliases")}


def _without_body(record: dict) -> dict:
    """The version's record as kept in ``article_versions.record``: ``body`` is left out (it is
    the paragraphs joined, and the version row has its own ``body`` column)."""
    return {k: v for k, v in record.items() if k != "body"}


def field_layers(record: dict) -> dict[str, str | None]:
    """Which layer filled each field of a record (``None``: the field is empty). Captions and
    credits count as filled when at least one image has one."""
    sources = record.get("sources") or {}
    images = record.get("images") or []
    out = {f: (sources.get(f) if record.get(key) else None) for f, key in (
        ("headline", "headline"), ("authors", "authors"), ("published", "published_date"),
        ("modified", "modified_at"), ("paragraphs", "paragraphs"), ("images", "images"),
        ("tags", "tags"), ("section_name", "section_name"), ("summary", "summary"))}
    out["captions"] = sources.get("images") if any(i.get("caption") for i in images) else None
    out["credits"] = sources.get("images") if any(i.get("credit") for i in images) else None
    return out


def _article_row(record: dict) -> dict:
    """Column values for ``articles`` from a record (JSON columns serialised)."""
    paragraphs = record.get("paragraphs") or []
    body = record.get("body") or "\n\n".join(paragraphs)
    row = {name: record.get(name) for name in _ARTICLE_COLUMNS}
    row.update(
        {
            "url_key": record.get("url_key"),
            "body": body,
            "paragraphs": _json(paragraphs),
            "paragraph_count": len(paragraphs),
            "word_count": len(body.split()),
            "authors": _json(record.get("authors") or []),
            "tags": _json(record.get("tags") or []),
            "published_flags": _json(record.get("published_flags") or []),
            "modified_flags": _json(record.get("modified_flags") or []),
            "image_count": len(record.get("images") or []),
            "sources": _json(record.get("sources") or {}),
            "conflicts": _json(record.get("conflicts") or []),
            "content_hash": content_hash(record),
        }
    )
    return row
