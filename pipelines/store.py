"""The SQLite store: applies ``schema.sql``, upserts records, keeps versions, records runs.

No Scrapy import: the Scrapy pipeline, ``almodon reparse`` and the tests all call this class.
Every write is one transaction (or, in a crawl's writer, a savepoint of the batch's transaction:
:meth:`Store.batching`); the database is in WAL mode so analysts can read during a crawl.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Self

from . import degraded as quality
from . import versions
from .extract import media
from .extract import version as extractor
from .extract.urls import canonicalize
from .search import index as search_index
from .versions import CONTENT_FIELDS  # noqa: F401  (re-exported: the fields that make a version)

logger = logging.getLogger(__name__)


def _schema_path() -> Path:
    """``schema.sql``: inside the package when installed from a wheel (setup.py puts it there),
    at the top of the repository in a checkout or an editable install."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "schema.sql", here.parent / "schema.sql"):
        if candidate.is_file():
            return candidate
    return here.parent / "schema.sql"


SCHEMA_PATH = _schema_path()


_ADD_COLUMN = re.compile(r"\s*ALTER\s+TABLE\s+(\w+)\s+ADD\s+COLUMN\s+(\w+)", re.IGNORECASE)


def _pack_versions(store: Store) -> int:
    """Migration 6: every version's record into ``record_z`` (its ``record`` and ``body`` text
    emptied, nothing lost: :func:`versions.record_of` gives the same record back), numbered in
    capture order and compared with its base; ``articles`` then shows the newest capture (an
    older capture imported after a crawl had been made current). Returns the versions converted."""
    conn = store.conn
    ids = [r[0] for r in conn.execute("SELECT DISTINCT article_id FROM article_versions WHERE record_z IS NULL")]
    moved = 0
    for article_id in ids:
        rows = conn.execute("SELECT id, fetched_at, record, body, record_z FROM article_versions WHERE article_id = ? "
                            "ORDER BY fetched_at, version", (article_id,)).fetchall()
        conn.execute("UPDATE article_versions SET version = -version WHERE article_id = ?", (article_id,))
        previous = None
        for number, row in enumerate(rows, 1):
            record = versions.record_of(conn, row["id"])
            conn.execute(
                "UPDATE article_versions SET version = ?, record_z = ?, record = '', body = '', "
                "body_chars = ?, conflicts = ? WHERE id = ?",
                (number, versions.pack(record, previous), len(record.get("body") or ""),
                 _json(record.get("conflicts") or []), row["id"]))
            previous = (row["id"], record)
            moved += 1
        versions.recompare(conn, article_id, after=0)
        newest = versions.rows(conn, article_id)[-1]
        shown = conn.execute("SELECT content_hash, last_changed_at FROM articles WHERE id = ?", (article_id,)).fetchone()
        if shown["content_hash"] != newest["content_hash"]:
            record = versions.record_of(conn, newest["id"])
            versions.materialise(conn, article_id)
            cols = {**store._article_row(record), "last_changed_at": newest["fetched_at"]}
            conn.execute(f"UPDATE articles SET {', '.join(f'{k} = ?' for k in cols)} WHERE id = ?",
                         (*cols.values(), article_id))
            store._show(article_id, record)
        conn.execute("UPDATE articles SET version = ?, first_seen_at = min(first_seen_at, ?) WHERE id = ?",
                     (newest["version"], rows[0]["fetched_at"], article_id))
    return moved


def paragraphs_sql() -> str:
    """The SQL expression of the computed ``articles.paragraphs`` column, from schema.sql: the
    body cut at its blank lines, written as ``json.dumps(paragraphs, ensure_ascii=False)``."""
    text = SCHEMA_PATH.read_text(encoding="utf-8")
    return re.search(r"^\s*paragraphs\s+TEXT GENERATED ALWAYS AS \((.*)\) VIRTUAL,", text, re.MULTILINE).group(1)


def paragraphs_computed(conn: sqlite3.Connection) -> bool:
    """True when ``articles.paragraphs`` is the computed column (``table_xinfo`` hidden 2/3);
    ``Store._article_row`` then leaves it out (``PRAGMA table_info`` does not list it)."""
    return any(r[1] == "paragraphs" and r[6] in (2, 3) for r in conn.execute("PRAGMA table_xinfo(articles)"))


def _paragraphs_from_body(store: Store) -> int:
    """Migration 9: ``articles.paragraphs`` stops being a second copy of the body. Every row's
    stored value is first compared with what the computed column gives; only when all are
    equal is the stored column dropped and the computed one added (nothing is lost). When
    any differs, the archive keeps its stored column and the store goes on writing it.
    Returns the rows whose copy was dropped (the store then vacuums)."""
    conn = store.conn
    if paragraphs_computed(conn):
        return 0
    expr = paragraphs_sql()
    differ = conn.execute(f"SELECT count(*) FROM articles WHERE paragraphs IS NOT ({expr})").fetchone()[0]
    if differ:
        logger.warning("articles.paragraphs kept stored: %d rows differ from their body", differ)
        return 0
    conn.execute("ALTER TABLE articles DROP COLUMN paragraphs")
    conn.execute(f"ALTER TABLE articles ADD COLUMN paragraphs TEXT GENERATED ALWAYS AS ({expr}) VIRTUAL")
    store.__dict__.pop("_record_columns", None)  # read again: paragraphs is no longer written
    return conn.execute("SELECT count(*) FROM articles").fetchone()[0]


def _shown_from_articles(store: Store) -> int:
    """Migration 10: the version ``articles`` shows stops repeating it. Its record is packed
    again as a change from what ``articles`` (with its images and videos) gives back; every
    version of the article is then read back and compared (as JSON) with what it was, and the
    article is left as it was if anything differs. Returns the versions repacked (the store
    then vacuums)."""
    conn = store.conn
    moved = 0
    for article_id, number, chash in conn.execute("SELECT id, version, content_hash FROM articles").fetchall():
        shown = conn.execute("SELECT id, record_z FROM article_versions WHERE article_id = ? AND version = ? "
                             "AND content_hash = ? AND degraded IS NULL AND record_z IS NOT NULL",
                             (article_id, number, chash)).fetchone()
        if shown is None or versions.unpack(shown["record_z"]).get("$base") == versions.SHOWN:
            continue
        ids = [r[0] for r in conn.execute("SELECT id FROM article_versions WHERE article_id = ?", (article_id,))]
        before = {i: _json(versions.record_of(conn, i)) for i in ids}
        record = versions.record_of(conn, shown["id"])
        conn.execute("UPDATE article_versions SET record_z = ? WHERE id = ?",
                     (versions.pack(record, (versions.SHOWN, versions.shown_record(conn, article_id))), shown["id"]))
        cache: dict = {}
        if any(_json(versions.record_of(conn, i, cache)) != before[i] for i in ids):
            logger.warning("article %d: its shown version kept whole (articles does not give it back)", article_id)
            conn.execute("UPDATE article_versions SET record_z = ? WHERE id = ?", (shown["record_z"], shown["id"]))
            continue
        moved += 1
    return moved


#: Numbered migrations for databases made by an older schema.sql: (version, description, step).
#: A step is SQL, run before schema.sql is applied again, for what ``CREATE … IF NOT EXISTS``
#: cannot do for an existing database (``ALTER TABLE … ADD COLUMN``, skipped for a table not
#: there yet; a view whose definition changed is dropped and schema.sql re-creates it); or a
#: function of the Store, run after schema.sql, that moves data (it returns how many rows it
#: changed; the file is then vacuumed). New tables, indexes and views need no entry but a
#: number. Data is never dropped.
MIGRATIONS: tuple[tuple[int, str, str | Callable[[Store], int]], ...] = (
    (1, "initial schema", ""),
    (2, "raw_pages, extractions, article_aliases, search index (new tables only)", ""),
    (3, "videos (new table only)", ""),
    # A view whose definition changed is dropped; schema.sql, applied next, re-creates it.
    (4, "article_list: authors in byline order, section name, tags", "DROP VIEW IF EXISTS article_list"),
    # Migration 5's declarations are those of schema.sql; views reading new columns are re-created.
    (5, "article versions: source, extractor version, re-extraction, degraded, base, compressed record",
     """ALTER TABLE article_versions ADD COLUMN source TEXT NOT NULL DEFAULT 'crawl'
            CHECK (source IN ('crawl', 'wayback', 'commoncrawl', 'import', 'reparse'));
        ALTER TABLE article_versions ADD COLUMN extractor_version TEXT;
        ALTER TABLE article_versions ADD COLUMN reextraction INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE article_versions ADD COLUMN degraded TEXT;
        ALTER TABLE article_versions ADD COLUMN base_id INTEGER;
        ALTER TABLE article_versions ADD COLUMN body_chars INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE article_versions ADD COLUMN conflicts TEXT NOT NULL DEFAULT '[]';
        ALTER TABLE article_versions ADD COLUMN record_z BLOB;
        UPDATE article_versions SET source = 'import' WHERE run_id IN (SELECT id FROM crawl_runs WHERE job = 'import');
        UPDATE article_versions SET source = 'reparse' WHERE run_id IN (SELECT id FROM crawl_runs WHERE job = 'reparse');
        ALTER TABLE extractions ADD COLUMN extractor_version TEXT;
        ALTER TABLE crawl_runs ADD COLUMN earlier INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE crawl_runs ADD COLUMN reextracted INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE crawl_runs ADD COLUMN degraded INTEGER NOT NULL DEFAULT 0;
        DROP VIEW IF EXISTS headline_changes;
        DROP VIEW IF EXISTS article_changes"""),
    (6, "article versions: records compressed, numbered in capture order", _pack_versions),
    (7, "archive_captures, backfill_cursors, discovered_urls (new tables only)", ""),
    # The search index is derived data: the old one (a second copy of the text, keyed by id) is
    # dropped and schema.sql creates the contentless one; `almodon search` rebuilds it when it
    # finds it stale (or `almodon search --reindex`).
    (8, "search index: contentless, keyed by publication day, section column",
     ("DROP VIEW IF EXISTS article_search; DROP TRIGGER IF EXISTS articles_fts_delete; "
      "DROP TRIGGER IF EXISTS articles_fts_update; DROP TABLE IF EXISTS article_fts")),
    (9, "articles.paragraphs computed from body (stored once)", _paragraphs_from_body),
    (10, "article versions: the shown version kept as a change from articles", _shown_from_articles),
)
#: Where a stored version came from (``article_versions.source``).
SOURCES = ("crawl", "wayback", "commoncrawl", "import", "reparse")
#: Columns of ``articles`` that :meth:`Store.upsert` fills from the fetch, not from the record.
_FETCH_COLUMNS = ("id", "url", "version", "first_seen_at", "last_fetched_at", "last_checked_at",
                  "last_changed_at", "http_status", "etag", "last_modified_http", "first_run_id",
                  "last_run_id")


def utcnow() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def content_hash(record: dict) -> str:
    payload = _json(versions.content(record))
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
        if not readonly:
            self.conn.execute("PRAGMA page_size = 32768")  # a new file only (docs/benchmark.md); else a no-op
        self.conn.row_factory = sqlite3.Row
        search_index.register_functions(self.conn)  # the search index's triggers call them
        self.conn.execute("PRAGMA busy_timeout = 30000")
        self.conn.execute("PRAGMA foreign_keys = ON")
        if not readonly:
            self.conn.execute("PRAGMA journal_mode = WAL")
            self.conn.execute("PRAGMA synchronous = NORMAL")
            self._apply_schema()

    # -- schema -----------------------------------------------------------------------------
    def _apply_schema(self) -> None:
        """A new database gets ``schema.sql`` and is marked current. An existing one first gets
        the SQL of the migrations it has not had (ALTERs for tables it already holds), then
        ``schema.sql`` again, which adds new tables, indexes and views and touches nothing else,
        then their data steps; the level is stamped last, so a step cut short runs again."""
        fresh = self.conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'articles'").fetchone()[0] == 0
        level = self.conn.execute("PRAGMA user_version").fetchone()[0]
        todo = [] if fresh else [step for version, _d, step in MIGRATIONS if version > level and step]
        for sql in (step for step in todo if isinstance(step, str)):
            self.conn.executescript(f"BEGIN; {self._idempotent(sql)}; COMMIT;")
        self.conn.executescript(SCHEMA_PATH.read_text(encoding="utf-8"))
        moved = 0
        for step in (step for step in todo if callable(step)):
            with self.conn:
                moved += step(self)
        with self.conn:
            for version, description, _step in MIGRATIONS:
                if fresh or version > level:
                    self.conn.execute(
                        "INSERT OR IGNORE INTO schema_migrations VALUES (?, ?, ?)",
                        (version, description, utcnow()),
                    )
            self.conn.execute(f"PRAGMA user_version = {int(MIGRATIONS[-1][0])}")
        if moved:
            self.conn.execute("VACUUM")  # give back the space the data step freed

    def _idempotent(self, sql: str) -> str:
        """``sql`` without its ``ALTER TABLE t ADD COLUMN c …`` statements for a table the
        database does not have yet (schema.sql creates it whole) or a column it already has."""
        kept = []
        for statement in sql.split(";"):
            alter = _ADD_COLUMN.match(statement)
            if alter:
                have = {r[1] for r in self.conn.execute(f"PRAGMA table_info({alter[1]})")}
                if not have or alter[2] in have:
                    continue
            kept.append(statement)
        return ";".join(kept)

    def close(self) -> None:
        try:
            self.commit()
        finally:
            self.batching = False
            self.conn.close()

    # -- transactions -------------------------------------------------------------------------
    #: True in a crawl's writer process (``workers._serve_writer``): writes go into one open
    #: transaction, committed by :meth:`commit` for a whole batch; a write that fails leaves
    #: the batch to its owner, which rolls it all back (and redoes the other writes).
    batching = False

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write: a transaction of its own (committed at the end, rolled back on an error),
        or, when ``batching``, part of the batch's transaction (not committed here).

        Not a savepoint per write: FTS5 writes its pending terms out at every savepoint, which
        cost the writer a fifth of its CPU (docs/benchmark.md); in one transaction it writes
        them once per batch."""
        if not self.batching:
            with self.conn:
                yield
            return
        if not self.conn.in_transaction:
            self.conn.execute("BEGIN")
        yield

    def commit(self) -> None:
        """Commit the open batch, if any (a no-op unless ``batching``)."""
        if self.batching and self.conn.in_transaction:
            self.conn.commit()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- runs -------------------------------------------------------------------------------
    def start_run(self, *, job: str = "crawl", mode: str | None = None, base_url: str | None = None,
                  args: dict | None = None) -> int:
        """A new ``crawl_runs`` row. Runs still marked ``running`` are from a process that died
        (the caller holds the database lock), so they are marked ``interrupted``."""
        with self.transaction():
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
        with self.transaction():
            self.conn.execute(
                """UPDATE crawl_runs SET finished_at = ?, requests = ?, responses = ?, new = ?,
                   updated = ?, unchanged = ?, earlier = ?, reextracted = ?, degraded = ?, skipped = ?, failed = ?,
                   blocked = ?, skipped_reasons = ?, failed_reasons = ?, finish_reason = ?, status = ?,
                   exit_code = ? WHERE id = ?""",
                (
                    utcnow(),
                    counts.get("requests", 0),
                    counts.get("responses", 0),
                    counts.get("new", 0),
                    counts.get("updated", 0),
                    counts.get("unchanged", 0),
                    counts.get("earlier", 0),
                    counts.get("reextracted", 0),
                    counts.get("degraded", 0),
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
        with self.transaction():
            self.conn.execute(
                "INSERT INTO skipped_pages (run_id, url, reason, detail, http_status, at) VALUES (?, ?, ?, ?, ?, ?)",
                (run_id, url, reason, detail[:500], http_status, utcnow()),
            )

    # -- articles ---------------------------------------------------------------------------
    def upsert(self, record: dict, *, run_id: int | None = None, fetched_at: str | None = None,
               http_status: int | None = None, etag: str | None = None,
               last_modified: str | None = None, aliases: list[str] | tuple = (),
               source: str = "crawl") -> str:
        """Store one capture of an article (``fetched_at``: when it was fetched or captured;
        ``source``: one of :data:`SOURCES`). Returns what it did:

        - ``new``: the first version of the article;
        - ``updated``: a new version that is the newest good capture, now in ``articles``;
        - ``earlier``: a new version captured before the current one (e.g. from a web archive),
          inserted before it in capture order; ``articles`` keeps showing the newest capture;
        - ``reextracted``: a re-extraction (below) stored as a version; in ``articles`` when it
          is the newest good one;
        - ``degraded``: worse than the stored version (see :mod:`pipelines.degraded`): kept as a
          version flagged with the reasons, never shown in ``articles``;
        - ``unchanged``: the same content as the version in force at that time (or the same
          capture again): nothing is added, only the check times move.

        A reparse (``source="reparse"``) by another extractor version than the stored version's
        is marked ``reextraction``: the views of site changes leave it out."""
        if source not in SOURCES:
            raise ValueError(f"unknown source {source!r} (one of {', '.join(SOURCES)})")
        fetched_at = fetched_at or utcnow()
        made_by = record.get("extractor_version") or extractor.EXTRACTOR_VERSION
        row = self._article_row(record)
        chash = row["content_hash"]
        fetch = {"http_status": http_status, "etag": etag, "last_modified_http": last_modified}
        with self.transaction():
            old = self.conn.execute("SELECT id FROM articles WHERE url = ?", (record["url"],)).fetchone()
            if old is None:
                cols = {"url": record["url"], **row, **fetch, "last_fetched_at": fetched_at,
                        "last_checked_at": fetched_at, "last_changed_at": fetched_at,
                        "first_seen_at": fetched_at, "first_run_id": run_id, "last_run_id": run_id,
                        "version": 1}
                names = ", ".join(cols)
                marks = ", ".join("?" for _ in cols)
                cur = self.conn.execute(f"INSERT INTO articles ({names}) VALUES ({marks})", tuple(cols.values()))
                article_id = int(cur.lastrowid)
                self._show(article_id, record)
                self._add_version(article_id, 1, record, row, fetched_at=fetched_at, run_id=run_id,
                                  source=source, made_by=made_by, base=None, changed=[],
                                  text_base=(versions.SHOWN, versions.shown_record(self.conn, article_id)))
                self._add_aliases(article_id, record["url"], aliases)
                self._log_extraction(record, "new", run_id, fetched_at, made_by)
                return "new"
            article_id = old["id"]
            self._add_aliases(article_id, record["url"], aliases)
            stored = versions.rows(self.conn, article_id)
            at = versions.position(stored, fetched_at)
            earlier, later = stored[:at], stored[at:]
            good_earlier = [v for v in earlier if not v["degraded"]]
            same = any(v["fetched_at"] == fetched_at and v["content_hash"] == chash for v in stored)
            if same or (earlier and earlier[-1]["content_hash"] == chash) or (
                    good_earlier and good_earlier[-1]["content_hash"] == chash):
                outcome = "degraded" if not same and earlier[-1]["content_hash"] == chash and \
                    earlier[-1]["degraded"] else "unchanged"
                self._seen(article_id, fetched_at, run_id, fetch)
                self._log_extraction(record, outcome, run_id, fetched_at, made_by)
                return outcome
            reextraction = (source == "reparse" and bool(good_earlier)
                            and good_earlier[-1]["extractor_version"] != made_by)
            reference = good_earlier[-1] if good_earlier else next((v for v in later if not v["degraded"]), None)
            records: dict[int, dict] = {}

            def rec(v: dict) -> dict:
                return versions.record_of(self.conn, v["id"], records)

            reasons = quality.worse(record, rec(reference), same_extractor=reference["extractor_version"] == made_by,
                                    old_is_later=not good_earlier) if reference is not None else []
            base = versions.base_of(earlier, made_by)
            number = at + 1
            changed = versions.changed_fields(record, base and rec(base))
            shows = not reasons and all(v["degraded"] for v in later)  # articles will show it
            if later:
                versions.make_room(self.conn, article_id, number)
            previous: list = []
            if shows:
                # the version shown so far is read back before articles changes and kept, once the
                # new one is stored (as a change from what articles then shows), as a change from it
                previous = versions.shown_versions(self.conn, article_id)
                cols = {**row, "last_changed_at": fetched_at, "version": number}
                assignments = ", ".join(f"{name} = ?" for name in cols)
                self.conn.execute(f"UPDATE articles SET {assignments} WHERE id = ?", (*cols.values(), article_id))
                self._seen(article_id, fetched_at, run_id, fetch)
                self._show(article_id, record)
                text = (versions.SHOWN, versions.shown_record(self.conn, article_id))
            else:
                text_base = base or reference  # the text is stored as a change from it
                text = text_base and (text_base["id"], rec(text_base))
            new_id = self._add_version(article_id, number, record, row, fetched_at=fetched_at, run_id=run_id,
                                       source=source, made_by=made_by, base=base, changed=changed,
                                       reextraction=reextraction, degraded=",".join(reasons) or None,
                                       text_base=text)
            versions.rebase(self.conn, previous, new_id)
            if later:
                versions.recompare(self.conn, article_id, after=number)
            if shows:
                outcome = "reextracted" if reextraction else "updated"
            else:
                shown = versions.current(versions.rows(self.conn, article_id))
                self.conn.execute("UPDATE articles SET version = ? WHERE id = ?", (shown["version"], article_id))
                self._seen(article_id, fetched_at, run_id, fetch)
                outcome = "degraded" if reasons else "reextracted" if reextraction else "earlier"
            self._log_extraction(record, outcome, run_id, fetched_at, made_by)
        return outcome

    def _add_version(self, article_id: int, number: int, record: dict, row: dict, *, fetched_at: str,
                     run_id: int | None, source: str, made_by: str, base: dict | None, changed: list[str],
                     reextraction: bool = False, degraded: str | None = None,
                     text_base: tuple[int | str, dict] | None = None) -> int:
        return self.conn.execute(
            "INSERT INTO article_versions (article_id, version, fetched_at, modified_at, content_hash, "
            "headline, body, record, changed_fields, run_id, source, extractor_version, reextraction, "
            "degraded, base_id, body_chars, conflicts, record_z) "
            "VALUES (?, ?, ?, ?, ?, ?, '', '', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (article_id, number, fetched_at, record.get("modified_at"), row["content_hash"],
             record["headline"], _json(changed), run_id, source, made_by, int(reextraction), degraded,
             base and base["id"], len(row["body"]), _json(record.get("conflicts") or []),
             versions.pack({**record, "extractor_version": made_by}, text_base)),
        ).lastrowid

    def _seen(self, article_id: int, fetched_at: str, run_id: int | None, fetch: dict) -> None:
        """A capture of the article at ``fetched_at``: widen the seen/checked times; the HTTP
        validators are those of the newest fetch."""
        newest = ", ".join(f"{k} = CASE WHEN ? >= last_fetched_at THEN coalesce(?, {k}) ELSE {k} END"
                           for k in fetch)
        self.conn.execute(
            "UPDATE articles SET " + (newest + ", " if newest else "")
            + "first_seen_at = min(first_seen_at, ?), last_fetched_at = max(last_fetched_at, ?), "
            "last_checked_at = max(last_checked_at, ?), last_run_id = ? WHERE id = ?",
            (*[x for v in fetch.values() for x in (fetched_at, v)], fetched_at, fetched_at, fetched_at,
             run_id, article_id),
        )

    def _show(self, article_id: int, record: dict) -> None:
        """The record is now what ``articles`` shows: its images, videos, authors, tags, index."""
        self._replace_children(article_id, record)
        search_index.index_article(self.conn, article_id)

    @cached_property
    def _record_columns(self) -> list[tuple[str, bool]]:
        """``(name, nullable)`` of the ``articles`` columns filled from the record, as schema.sql
        made them (not restated here)."""
        return [(r["name"], not r["notnull"]) for r in self.conn.execute("PRAGMA table_info(articles)")
                if r["name"] not in _FETCH_COLUMNS]

    def _article_row(self, record: dict) -> dict:
        """Column values for ``articles`` from a record (JSON columns serialised). A column the
        record does not fill is NULL when it may be, else left to its default."""
        paragraphs = record.get("paragraphs") or []
        body = record.get("body") or "\n\n".join(paragraphs)
        computed = {
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
        row = {}
        for name, nullable in self._record_columns:
            if name in computed:
                row[name] = computed[name]
            elif name in record or nullable:
                row[name] = record.get(name)
        return row

    def versions(self, url: str) -> list[dict]:
        """Every stored version of the article ``url`` in capture order, each with its full
        record (``record``) and how it was stored (source, extractor, degraded, …)."""
        out, cache = [], {}
        for row in self.conn.execute(
                "SELECT v.* FROM article_versions v JOIN articles a ON a.id = v.article_id "
                "WHERE a.url = ? ORDER BY v.version", (url,)):
            item = {k: row[k] for k in row.keys() if k not in ("record", "record_z", "body")}  # noqa: SIM118 (a Row iterates values)
            item["record"] = versions.record_of(self.conn, row["id"], cache)
            out.append(item)
        return out

    def add_aliases(self, url: str, aliases) -> int:
        """Record URLs that lead to the stored article ``url`` (no-op if it is not stored)."""
        canon = [c for c in (canonicalize(a) for a in aliases) if c]
        with self.transaction():
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

    def _log_extraction(self, record: dict, outcome: str, run_id: int | None, fetched_at: str,
                        made_by: str) -> None:
        self.conn.execute(
            "INSERT INTO extractions (run_id, url, section, fetched_at, outcome, fields, conflicts, "
            "extractor_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (run_id, record["url"], record.get("section"), fetched_at, outcome,
             _json(field_layers(record)), len(record.get("conflicts") or []), made_by),
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
        with self.transaction():
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
        with self.transaction():
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
