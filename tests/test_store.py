"""The SQLite store: schema applied idempotently, upserts, versions, runs, skips."""

from __future__ import annotations

import copy
import json
import sqlite3
from pathlib import Path

import pytest
from golden import goldens

from pipelines import records
from pipelines.extract import extract
from pipelines.store import MIGRATIONS, Store, paragraphs_computed


@pytest.fixture
def record():
    g = next(g for g in goldens() if g.is_article and g.expected.get("images"))
    return records.normalise(extract(g.html.read_bytes(), g.url, content_type=g.content_type).to_dict())


def test_schema_is_idempotent_and_wal(tmp_path):
    db = tmp_path / "a.db"
    Store(db).close()
    Store(db).close()  # applying schema.sql again changes nothing and fails on nothing
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table','view')")}
    assert {"articles", "images", "authors", "article_authors", "crawl_runs", "article_versions",
            "skipped_pages", "article_list", "articles_per_day", "photos_per_agency"} <= tables
    assert conn.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] == len(MIGRATIONS)


def test_upsert_new_unchanged_updated_keeps_versions(tmp_path, record):
    with Store(tmp_path / "a.db") as store:
        assert store.upsert(record, fetched_at="2026-01-01T00:00:00Z") == "new"
        assert store.upsert(record, fetched_at="2026-01-02T00:00:00Z") == "unchanged"
        changed = copy.deepcopy(record)
        changed["headline"] = record["headline"] + " (محدّث)"
        assert store.upsert(changed, fetched_at="2026-01-03T00:00:00Z") == "updated"
        c = store.conn
        assert c.execute("SELECT count(*) FROM articles").fetchone()[0] == 1
        row = c.execute("SELECT headline, version, first_seen_at, last_checked_at FROM articles").fetchone()
        assert tuple(row) == (changed["headline"], 2, "2026-01-01T00:00:00Z", "2026-01-03T00:00:00Z")
        versions = c.execute("SELECT version, headline, changed_fields FROM article_versions ORDER BY version").fetchall()
        assert [(v[0], v[1], v[2]) for v in versions] == [
            (1, record["headline"], "[]"),
            (2, changed["headline"], '["headline"]'),
        ]
        images = c.execute("SELECT position, url, caption, credit FROM images ORDER BY position").fetchall()
        assert [tuple(i) for i in images] == [
            (n, im["url"], im["caption"], im["credit"]) for n, im in enumerate(record["images"])
        ]


def test_authors_and_tags_are_linked_once(tmp_path, record):
    rec = dict(record, authors=["رنا خوري", "رنا خوري", "سامر الحلبي"], tags=["لبنان", "لبنان"])
    with Store(tmp_path / "a.db") as store:
        store.upsert(rec)
        store.upsert(dict(rec, headline=rec["headline"] + "!"))
        c = store.conn
        assert c.execute("SELECT count(*) FROM authors").fetchone()[0] == 2
        assert c.execute("SELECT count(*) FROM article_authors").fetchone()[0] == 2
        assert c.execute("SELECT authors FROM article_list").fetchone()[0] == "رنا خوري، سامر الحلبي"
        assert c.execute("SELECT count(*) FROM article_tags").fetchone()[0] == 1


def test_runs_and_skips(tmp_path):
    with Store(tmp_path / "a.db") as store:
        run = store.start_run(mode="latest", base_url="http://x")
        store.record_skip(run, "https://www.almodon.com/politics", "listing")
        store.finish_run(run, {"requests": 3, "new": 1, "skipped_reasons": {"listing": 1}}, status="ok", exit_code=0)
        row = store.conn.execute("SELECT status, requests, new, skipped, skipped_reasons FROM crawl_runs").fetchone()
        assert tuple(row) == ("ok", 3, 1, 1, '{"listing": 1}')
        assert store.conn.execute("SELECT reason, pages FROM skips_by_reason").fetchone()[:] == ("listing", 1)


@pytest.mark.parametrize(
    "change, reason",
    [
        ({"url": "https://example.com/x"}, "not_site_url"),
        ({"headline": "  "}, "bad_headline"),
        ({"paragraphs": []}, "no_body"),
        ({"published_date": "2031-01-01"}, "bad_date"),
        ({"published_date": "1970-01-01"}, "bad_date"),
        ({"published_date": "2024-02-30"}, "bad_date"),
    ],
)
def test_validation_rejects_wrong_values(record, change, reason):
    problem = records.validate({**record, **change}, fetched_at="2026-11-26T00:00:00Z")
    assert problem is not None and problem[0] == reason


def test_validation_accepts_a_good_record(record):
    assert records.validate(record, fetched_at="2026-11-26T00:00:00Z") is None


def test_a_database_of_the_first_schema_is_migrated_without_losing_rows(tmp_path, record):
    """A database made by the first released schema.sql opens with every current table, its
    rows intact, and becomes searchable."""
    from pathlib import Path

    old_schema = Path(__file__).parent / "fixtures" / "schema" / "v1-2026-11-26.sql"
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)
    conn.executescript(old_schema.read_text(encoding="utf-8"))
    conn.execute(
        "INSERT INTO articles (url, headline, body, paragraphs, paragraph_count, word_count, content_hash, "
        "first_seen_at, last_fetched_at, last_checked_at, last_changed_at) VALUES (?, ?, ?, ?, 1, 3, 'h', 'x', 'x', 'x', 'x')",
        (record["url"], record["headline"], "نص قديم", '["نص قديم"]'),
    )
    conn.commit()
    conn.execute("PRAGMA user_version = 1")
    conn.close()
    with Store(db) as store:
        c = store.conn
        tables = {r[0] for r in c.execute("SELECT name FROM sqlite_master")}
        assert {"raw_pages", "extractions", "article_aliases", "article_fts"} <= tables
        assert c.execute("SELECT headline FROM articles").fetchone()[0] == record["headline"]
        assert c.execute("PRAGMA user_version").fetchone()[0] == MIGRATIONS[-1][0]
        assert [r[0] for r in c.execute("SELECT version FROM schema_migrations ORDER BY 1")] == [m[0] for m in MIGRATIONS[1:]]
        # a view whose definition changed is replaced, not left at its old definition
        assert "tags" in [r[1] for r in c.execute("PRAGMA table_info(article_list)")]
        assert store.upsert(record) == "updated"  # the old row is updated in place, not doubled
        assert c.execute("SELECT count(*) FROM articles").fetchone()[0] == 1


# -- articles.paragraphs is computed from body (stored once) -------------------------------------
TRICKY_PARAGRAPHS = [
    ["قال \"المصدر\": لا", "C:\\path\\n and \\\\ back", "emoji 😀 and \u2028 and \x7f"],
    ["control \x01 \x08 \x1b kept", "تمّ ـ «اقتباس»"],
    ["one"],
]


@pytest.mark.parametrize("paragraphs", TRICKY_PARAGRAPHS)
def test_paragraphs_column_is_exactly_the_json_of_the_paragraphs(tmp_path, record, paragraphs):
    """The database computes articles.paragraphs from body; what a reader gets is byte for byte
    what the store used to write (json.dumps, ensure_ascii=False)."""
    rec = records.normalise({**record, "paragraphs": paragraphs})
    with Store(tmp_path / "a.db") as store:
        assert paragraphs_computed(store.conn)
        store.upsert(rec)
        got = store.conn.execute("SELECT paragraphs, body FROM articles").fetchone()
    assert got[0] == json.dumps(rec["paragraphs"], ensure_ascii=False, sort_keys=True)
    assert json.loads(got[0]) == rec["paragraphs"] and got[1] == "\n\n".join(rec["paragraphs"])


def _v4_archive(path, rows):
    """A database of the schema before migration 5 (paragraphs stored beside body)."""
    old = Path(__file__).parent / "fixtures" / "schema" / "v4-2026-11-29.sql"
    conn = sqlite3.connect(path)
    conn.executescript(old.read_text(encoding="utf-8"))
    for i, (body, paragraphs) in enumerate(rows):
        conn.execute(
            "INSERT INTO articles (url, headline, body, paragraphs, paragraph_count, word_count, content_hash, "
            "first_seen_at, last_fetched_at, last_checked_at, last_changed_at) "
            "VALUES (?, 'h', ?, ?, 1, 1, 'x', 'x', 'x', 'x', 'x')",
            (f"https://www.almodon.com/x/{i}", body, paragraphs))
    conn.executemany("INSERT INTO schema_migrations VALUES (?, 'old', 'x')", [(v,) for v in range(1, 5)])
    conn.commit()
    conn.execute("PRAGMA user_version = 4")
    conn.close()


def test_stored_paragraphs_are_migrated_to_the_computed_column_without_a_change(tmp_path):
    rows = [("\n\n".join(p), json.dumps(p, ensure_ascii=False)) for p in TRICKY_PARAGRAPHS]
    _v4_archive(tmp_path / "old.db", rows)
    with Store(tmp_path / "old.db") as store:
        assert paragraphs_computed(store.conn)
        got = [tuple(r) for r in store.conn.execute("SELECT body, paragraphs FROM articles ORDER BY id")]
    assert got == rows


def test_paragraphs_that_differ_from_the_body_stay_stored(tmp_path, record):
    """Nothing is lost: one row whose stored paragraphs are not its body cut at blank lines
    keeps the archive's stored column, and the store goes on writing it."""
    rows = [("a\n\nb", '["a", "b"]'), ("a b", '["a", "b"]')]
    _v4_archive(tmp_path / "old.db", rows)
    with Store(tmp_path / "old.db") as store:
        assert not paragraphs_computed(store.conn)
        assert [tuple(r) for r in store.conn.execute("SELECT body, paragraphs FROM articles ORDER BY id")] == rows
        assert store.upsert(record) == "new"
        assert json.loads(store.conn.execute("SELECT paragraphs FROM articles WHERE url = ?",
                                             (record["url"],)).fetchone()[0]) == record["paragraphs"]


def test_article_columns_come_from_the_schema_not_from_the_code(tmp_path, record):
    """A column added to ``articles`` (as a migration would) is filled from the record field of
    the same name with no change to the store's code; one the record lacks keeps its default."""
    db = tmp_path / "a.db"
    Store(db).close()
    conn = sqlite3.connect(db)
    conn.execute("ALTER TABLE articles ADD COLUMN dateline TEXT")
    conn.execute("ALTER TABLE articles ADD COLUMN reviewed INTEGER NOT NULL DEFAULT 0")
    conn.commit()
    conn.close()
    with Store(db) as store:
        store.upsert({**record, "dateline": "بيروت"})
        row = store.conn.execute("SELECT dateline, reviewed, headline FROM articles").fetchone()
        assert tuple(row) == ("بيروت", 0, record["headline"])
        store.upsert({**record, "headline": record["headline"] + "!"})  # no dateline now: NULL again
        assert store.conn.execute("SELECT dateline FROM articles").fetchone()[0] is None
