"""Data safety while a crawl writes: analysts read the database without ever seeing
``database is locked``, and the crawl writes nowhere but the database's directory (or the
paths it is given).

SIGKILL during writes (integrity_check ok, a rerun completes, nothing lost or duplicated):
``tests/test_refresh.py::test_sigkill_mid_crawl_loses_and_duplicates_nothing``.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from conftest import ROOT, query, run_crawl
from demo import LOCAL_SETTINGS

#: What an analyst runs (README, "Five queries an analyst would run", and the ready views).
ANALYST_QUERIES = (
    ("SELECT published_local, section, headline, authors FROM article_list "
     "ORDER BY coalesce(published_at, published_date) DESC LIMIT 20"),
    "SELECT substr(published_date, 1, 7) AS month, section, count(*) FROM articles GROUP BY month, section",
    ("SELECT au.name, a.section, count(*) AS n FROM authors au JOIN article_authors aa ON aa.author_id = au.id "
     "JOIN articles a ON a.id = aa.article_id GROUP BY au.name, a.section ORDER BY n DESC"),
    "SELECT * FROM photos_per_agency",
    "SELECT headline FROM articles WHERE modified_at IS NOT NULL",
    "SELECT * FROM skips_by_reason",
    "SELECT status, new, skipped FROM crawl_runs",
)


class Reader(threading.Thread):
    """Runs the analyst queries in a loop until stopped; records every OperationalError.

    ``persistent``: one connection held open throughout (``sqlite3 archive.db`` in a terminal),
    else a new connection per round (a script). ``timeout``: the busy timeout; 0 is what the
    ``sqlite3`` shell uses unless told otherwise, 5 s is Python's default.
    """

    def __init__(self, db: Path, *, persistent: bool, timeout: float, readonly: bool = False) -> None:
        super().__init__(daemon=True)
        self.db, self.persistent, self.timeout, self.readonly = db, persistent, timeout, readonly
        self.stop = threading.Event()
        self.errors: list[str] = []
        self.rounds = 0
        self.counts: list[int] = []

    def connect(self) -> sqlite3.Connection:
        if self.readonly:
            return sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=self.timeout)
        return sqlite3.connect(self.db, timeout=self.timeout)

    def run(self) -> None:
        conn = None
        while not self.stop.is_set():
            if not self.db.exists():
                time.sleep(0.002)
                continue
            try:
                if conn is None:
                    conn = self.connect()
                for sql in ANALYST_QUERIES:
                    conn.execute(sql).fetchall()
                self.counts.append(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
                self.rounds += 1
            except sqlite3.OperationalError as exc:
                if "no such table" not in str(exc):  # the schema is being created: not an error
                    self.errors.append(str(exc))
                time.sleep(0.002)
            finally:
                if conn is not None and not self.persistent:
                    conn.close()
                    conn = None
        if conn is not None:
            conn.close()


def _schema_ready(db: Path) -> bool:
    try:
        return bool(query(db, "SELECT count(*) FROM crawl_runs"))
    except sqlite3.OperationalError:
        return False


def test_readers_never_see_database_is_locked_while_a_crawl_writes(tmp_path, replica):
    """While the database is being created, a script with Python's default busy timeout; once it
    exists, readers with no busy timeout at all: two ``sqlite3`` shell sessions (read-only and
    read-write) and a script opening a new connection for every round of queries.

    One connection-per-query reader only: two of them with no busy timeout briefly lock *each
    other* out when one closes (SQLite tries an exclusive lock at close to see whether it is the
    last connection), with or without a crawl running; see docs/faults.md."""
    db = tmp_path / "archive.db"
    creating = Reader(db, persistent=False, timeout=5.0)
    creating.start()
    result: dict = {}
    crawl = threading.Thread(target=lambda: result.update(
        r=run_crawl(replica.base_url, db, settings={"DOWNLOAD_DELAY": "0.03"})), daemon=True)
    crawl.start()
    deadline = time.monotonic() + 60
    while not _schema_ready(db) and crawl.is_alive() and time.monotonic() < deadline:
        time.sleep(0.005)
    creating.stop.set()
    creating.join(timeout=10)
    readers = [Reader(db, persistent=True, timeout=0, readonly=True),
               Reader(db, persistent=True, timeout=0),
               Reader(db, persistent=False, timeout=0)]
    for r in readers:
        r.start()
    crawl.join(timeout=120)
    # the connection-per-query script first: a shell session closing (the last connection)
    # checkpoints the WAL under an exclusive lock, which a zero-timeout reader would meet
    for r in reversed(readers):
        r.stop.set()
        r.join(timeout=10)
    assert result["r"].returncode == 0, result["r"].stderr[-2000:]
    stored = query(db, "SELECT count(*) FROM articles")[0][0]
    assert stored > 10
    assert query(db, "PRAGMA journal_mode")[0][0] == "wal"
    assert creating.errors == []
    for r in readers:
        assert r.errors == [], (r.persistent, r.readonly, r.errors[:3])
        assert r.rounds > 20
        # the reads overlapped the writes: readers saw the archive grow
        assert min(r.counts) < max(r.counts)


def _files(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob("*") if p.is_file()}


def _crawl_elsewhere(base_url: str, workdir: Path, home: Path, settings: dict) -> subprocess.CompletedProcess:
    """``scrapy crawl almodon`` from an empty working directory with an empty HOME and TMPDIR
    of its own, so a write to any relative path or to ~ shows up there."""
    env = {**os.environ, "HOME": str(home), "TMPDIR": str(home / "tmp"), "SCRAPY_SETTINGS_MODULE": "scrapers.settings",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    cmd = [sys.executable, "-m", "scrapy", "crawl", "almodon", "-a", f"base_url={base_url}", "-a", "mode=archive"]
    for key, value in {**LOCAL_SETTINGS, **settings}.items():
        cmd += ["-s", f"{key}={value}"]
    return subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True, check=False)


def test_the_crawl_writes_only_under_the_database_directory(tmp_path, replica):
    work, home = tmp_path / "work", tmp_path / "home"
    for d in (work, home, home / "tmp"):
        d.mkdir()
    db = tmp_path / "out" / "archive" / "almodon.db"
    result = _crawl_elsewhere(replica.base_url, work, home, {"ALMODON_DB": str(db)})
    assert result.returncode == 0, result.stderr[-2000:]
    assert query(db, "SELECT count(*) FROM articles")[0][0] > 10
    written = _files(tmp_path)
    outside = {p for p in written if p.parts[:2] != ("out", "archive")}
    assert outside == set()
    names = {p.relative_to("out/archive") for p in written}
    warcs = {p for p in names if p.parts[0] == "warc"}
    assert warcs and all(p.name.endswith(".warc.gz") for p in warcs)
    assert names - warcs <= {Path("almodon.db"), Path("almodon.db.lock"), Path("almodon.db-wal"), Path("almodon.db-shm")}
    # the raw archive index points into that folder
    assert query(db, "SELECT count(DISTINCT warc_file) FROM raw_pages")[0][0] == len(warcs)


def test_a_given_warc_directory_is_used_and_nothing_else(tmp_path, replica):
    work, home = tmp_path / "work", tmp_path / "home"
    for d in (work, home, home / "tmp"):
        d.mkdir()
    db, warc = tmp_path / "db" / "a.db", tmp_path / "raw" / "warc"
    result = _crawl_elsewhere(replica.base_url, work, home, {"ALMODON_DB": str(db), "ALMODON_WARC_DIR": str(warc)})
    assert result.returncode == 0, result.stderr[-2000:]
    written = _files(tmp_path)
    assert {p.parts[0] for p in written} == {"db", "raw"}
    assert {p.name for p in written if p.parts[0] == "db"} <= {"a.db", "a.db.lock", "a.db-wal", "a.db-shm"}
    assert [p for p in written if p.parts[0] == "raw"] and all(
        p.parts[:2] == ("raw", "warc") and p.name.endswith(".warc.gz") for p in written if p.parts[0] == "raw")
