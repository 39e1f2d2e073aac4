"""Scheduled runs: latest mode fetches nothing it has, refresh keeps revisions, one run at a time,
and a crawl killed with SIGKILL loses and duplicates nothing."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from urllib.parse import unquote, urlsplit

from conftest import ROOT, query
from golden import goldens

from pipelines.extract import extract
from pipelines.lock import db_lock

SERVED = [g for g in goldens("almodon") if g.is_article and g.fixture.get("in_replica", True)]
ARTICLE_PATHS = {unquote(urlsplit(g.url).path) for g in SERVED}


UPDATE_TIME = re.compile(r"(آخر\s*تحديث\s*:\s*)(\d{1,2}:\d{2})")


def _modified_from_update_line(g) -> bool:
    record = extract(g.html.read_bytes(), g.url, content_type=g.content_type)
    return record.modified is not None and record.sources.get("modified") == "profile"


def _headline_from_h1(g) -> bool:
    record = extract(g.html.read_bytes(), g.url, content_type=g.content_type)
    html = g.html.read_text("utf-8", "replace")
    return record.sources["headline"] == "profile" and bool(
        re.search(r"<h1[^>]*>\s*" + re.escape(record.headline), html))


def _stored(db) -> int:
    """Articles in a database another process is creating (0 until its schema exists)."""
    if not db.exists():
        return 0
    try:
        return query(db, "SELECT count(*) FROM articles")[0][0]
    except sqlite3.OperationalError:
        return 0


def article_fetches(rep) -> int:
    return sum(1 for _, path, status in rep.requests if path in ARTICLE_PATHS)


def test_latest_twice_fetches_no_article_the_second_time(tmp_path, replica, crawl):
    db = tmp_path / "l.db"
    first = crawl(replica.base_url, db, mode="latest")
    assert first.returncode == 0, first.stderr[-2000:]
    stored = query(db, "SELECT count(*) FROM articles")[0][0]
    assert stored >= 10  # RSS + home + two listing pages per section
    fetched_first = article_fetches(replica)
    replica.requests.clear()
    second = crawl(replica.base_url, db, mode="latest")
    assert second.returncode == 0, second.stderr[-2000:]
    assert fetched_first >= stored and article_fetches(replica) == 0
    (run,) = query(db, "SELECT new, updated, unchanged, status FROM crawl_runs WHERE id = 2")
    assert tuple(run) == (0, 0, 0, "ok")


def test_refresh_keeps_a_version_for_each_changed_page_only(tmp_path, replica, crawl):
    db = tmp_path / "r.db"
    assert crawl(replica.base_url, db).returncode == 0
    edited = next(g for g in SERVED if _headline_from_h1(g))
    updated = next(g for g in SERVED if g is not edited and _modified_from_update_line(g))
    headline = edited.expected["headline"]
    html = re.sub(r"(<h1[^>]*>\s*)" + re.escape(headline), lambda m: m.group(1) + headline + " (محدّث)",
                  edited.html.read_text("utf-8"), count=1)
    replica.set_page(urlsplit(edited.url).path, html.encode())
    page = updated.html.read_text("utf-8")
    bumped = UPDATE_TIME.sub(lambda m: m.group(1) + ("23:58" if m.group(2) != "23:58" else "23:59"), page)
    assert bumped != page
    replica.set_page(urlsplit(updated.url).path, bumped.encode())
    result = crawl(replica.base_url, db, mode="refresh", settings={"ALMODON_REFRESH_POLICY": "*:0"})
    assert result.returncode == 0, result.stderr[-2000:]
    (run,) = query(db, "SELECT new, updated, unchanged FROM crawl_runs WHERE id = 2")
    assert tuple(run) == (0, 2, len(SERVED) - 2)
    changes = {r["url"]: json.loads(r["changed_fields"]) for r in query(
        db, "SELECT a.url, v.changed_fields FROM article_versions v JOIN articles a ON a.id = v.article_id WHERE v.version = 2")}
    assert changes[edited.expected["url"]] == ["headline"]
    assert "modified_at" in changes[updated.expected["url"]] and "headline" not in changes[updated.expected["url"]]
    (row,) = query(db, "SELECT headline, version FROM articles WHERE url = ?", edited.expected["url"])
    assert tuple(row) == (edited.expected["headline"] + " (محدّث)", 2)
    # the unchanged pages were answered 304 and only checked
    assert query(db, "SELECT count(*) FROM articles WHERE last_run_id = 2")[0][0] == len(SERVED)


def test_a_second_run_on_the_same_database_exits_with_a_clear_message(tmp_path, replica, crawl):
    db = tmp_path / "k.db"
    with db_lock(db):
        result = crawl(replica.base_url, db)
    assert result.returncode == 2
    assert "another job" in result.stderr and str(db) in result.stderr


def test_sigkill_mid_crawl_loses_and_duplicates_nothing(tmp_path, replica, crawl):
    db = tmp_path / "s.db"
    cmd = [sys.executable, "-m", "scrapy", "crawl", "almodon", "-a", f"base_url={replica.base_url}",
           "-a", "mode=archive", "-s", f"ALMODON_DB={db}", "-s", "DOWNLOAD_DELAY=0.15",
           "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS=1", "-s", "LOG_LEVEL=WARNING"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if _stored(db) >= 3:
                break
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=10)
    partial = query(db, "SELECT count(*) FROM articles")[0][0]
    assert 3 <= partial < len(SERVED)
    assert query(db, "PRAGMA integrity_check")[0][0] == "ok"
    result = crawl(replica.base_url, db)
    assert result.returncode == 0, result.stderr[-2000:]
    assert query(db, "PRAGMA integrity_check")[0][0] == "ok"
    urls = [r[0] for r in query(db, "SELECT url FROM articles")]
    assert sorted(urls) == sorted(g.expected["url"] for g in SERVED)
    assert query(db, "SELECT count(*) FROM article_versions")[0][0] == len(SERVED)
    statuses = [r[0] for r in query(db, "SELECT status FROM crawl_runs ORDER BY id")]
    assert statuses == ["interrupted", "ok"]
