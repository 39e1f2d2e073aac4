"""An archive made by the schema and code before versions were compressed and ordered by capture
time (level 4) is migrated in place: no version lost, every record reconstructed exactly, versions
renumbered in capture order, the views and the store working on the new layout."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from pipelines.store import MIGRATIONS, Store

DUMP = Path(__file__).parent / "fixtures" / "schema" / "v4-archive-2026-11-30.sql"


@pytest.fixture
def old_db(tmp_path) -> Path:
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)
    conn.executescript(DUMP.read_text(encoding="utf-8"))
    conn.close()
    return db


def _old_versions(db: Path) -> dict[tuple[str, str], dict]:
    """Every version as the old layout holds it: ``(url, fetched_at) -> record`` with its body."""
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 4
        out = {}
        for url, fetched_at, record, body, run_id in conn.execute(
                "SELECT a.url, v.fetched_at, v.record, v.body, v.run_id FROM article_versions v "
                "JOIN articles a ON a.id = v.article_id"):
            out[(url, fetched_at)] = {**json.loads(record), "body": body, "_run": run_id}
        return out
    finally:
        conn.close()


def test_every_version_survives_the_migration_exactly(old_db):
    before = _old_versions(old_db)
    assert len(before) == 6
    articles_before = [tuple(r) for r in sqlite3.connect(old_db).execute("SELECT * FROM articles ORDER BY id")]
    # the old columns, read before the migration (after it, paragraphs is a computed column,
    # which PRAGMA table_info does not list)
    names = [r[1] for r in sqlite3.connect(old_db).execute("PRAGMA table_info(articles)")]
    with Store(old_db) as store:
        c = store.conn
        assert c.execute("PRAGMA user_version").fetchone()[0] == MIGRATIONS[-1][0]
        after = {}
        for (url,) in c.execute("SELECT url FROM articles"):
            for v in store.versions(url):
                after[(url, v["fetched_at"])] = v
        assert set(after) == set(before)
        for key, old in before.items():
            run = old["_run"]
            old = {k: v for k, v in old.items() if k != "_run"}
            assert after[key]["record"] == old, key  # the record and body, exactly
            assert after[key]["source"] == ("import" if run == 3 else "crawl")
        # migration 10: the version each article shows is kept as a change from articles
        from pipelines.versions import unpack
        shown = c.execute("SELECT v.record_z FROM article_versions v JOIN articles a ON a.id = v.article_id "
                          "AND a.version = v.version").fetchall()
        assert len(shown) == 3 and all(unpack(z)["$base"] == "articles" for (z,) in shown)
        # the old text columns are emptied, the text lives once in record_z
        assert c.execute("SELECT count(*) FROM article_versions WHERE body <> '' OR record <> '' "
                         "OR record_z IS NULL").fetchone()[0] == 0
        # articles keeps its columns; the two crawled articles are untouched; the third showed the
        # 2017 capture imported after the crawl and now shows the newest capture again
        after_rows = [dict(r) for r in c.execute("SELECT * FROM articles ORDER BY id")]
        assert [tuple(r[k] for k in names) for r in after_rows[:2]] == articles_before[:2]
        third = after_rows[2]
        newest = max((k for k in before if k[0] == third["url"]), key=lambda k: k[1])
        assert (third["headline"], third["body"], third["version"], third["first_seen_at"]) == (
            before[newest]["headline"], before[newest]["body"], 2, "2017-06-01T12:00:00Z")
        assert [r[0] for r in c.execute("SELECT count(*) FROM images WHERE article_id = 3")] == [
            len(before[newest]["images"])]


def test_versions_are_renumbered_in_capture_order_and_the_views_follow(old_db):
    with Store(old_db) as store:
        c = store.conn
        rows = c.execute("SELECT a.url, v.version, v.fetched_at FROM article_versions v "
                         "JOIN articles a ON a.id = v.article_id ORDER BY a.id, v.version").fetchall()
        by_url: dict[str, list] = {}
        for url, version, fetched_at in rows:
            by_url.setdefault(url, []).append((version, fetched_at))
        for versions in by_url.values():
            assert [v for v, _ in versions] == list(range(1, len(versions) + 1))
            assert [f for _, f in versions] == sorted(f for _, f in versions)
        # the 2017 capture imported after the crawl is now version 1 of its article
        imported = c.execute("SELECT version, fetched_at, source FROM article_versions WHERE source = 'import'").fetchone()
        assert tuple(imported) == (1, "2017-06-01T12:00:00Z", "import")
        changes = c.execute("SELECT url, changes, first_headline, latest_headline FROM headline_changes "
                            "ORDER BY url").fetchall()
        assert len(changes) == 2 and all(r["changes"] == 1 for r in changes)
        older = next(r for r in changes if r["first_headline"].startswith("عنوان أقدم: "))
        assert older["latest_headline"] == older["first_headline"].removeprefix("عنوان أقدم: ")
        fields = [json.loads(r[0]) for r in c.execute("SELECT changed_fields FROM article_changes ORDER BY url, version")]
        assert sorted(map(tuple, fields)) == [("headline",), ("headline",), ("paragraphs",)]
        # and the store goes on: an identical re-visit adds nothing, the article stays as it was
        url = older["url"]
        record = store.versions(url)[-1]["record"]
        assert store.upsert(record, fetched_at="2026-02-01T00:00:00Z") == "unchanged"


def test_a_migrated_archive_opens_again_without_changes(old_db):
    Store(old_db).close()
    first = [tuple(r) for r in sqlite3.connect(old_db).execute("SELECT * FROM article_versions ORDER BY id")]
    Store(old_db).close()
    assert [tuple(r) for r in sqlite3.connect(old_db).execute("SELECT * FROM article_versions ORDER BY id")] == first
