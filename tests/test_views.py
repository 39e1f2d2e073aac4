"""The analysts' views (schema.sql) give the right numbers on a crawl of the replica.

The archive: the real spider crawls the replica, then one article's headline and another's body
are edited on the site and both are crawled again by URL (two new versions). Every expected
number is computed from the golden JSON files, not from the database.

``analyst_archive`` builds that database once per test session; test_serve.py and
test_export.py reuse it.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from golden import goldens

from pipelines.extract import media

SERVED = [g for g in goldens("almodon") if g.is_article and g.fixture.get("in_replica", True)]
#: The article whose headline the site changes after publication, and its new headline.
RETITLED = next(g for g in SERVED if g.html.stem == "d-2024-10-27-negotiations-stall")
NEW_HEADLINE = "مسار التفاوض يتعثّر مجدداً: الوسطاء يعلّقون جولتهم"
#: The article whose body (only) the site changes, and the sentence appended to a paragraph.
EDITED = next(g for g in SERVED if g.html.stem == "d-2017-07-14-baalbeck-festival")
ADDED = " وأعلنت اللجنة تمديد المهرجان أسبوعاً."

_BUILT: dict[str, Path] = {}


def _edited_page(g, old: str, new: str) -> bytes:
    html = g.html.read_bytes()
    assert old.encode() in html
    return html.replace(old.encode(), new.encode())


def build_archive(db: Path) -> Path:
    """Crawl the replica into ``db``, change two articles on the site, re-crawl them; then build
    the search index when ``pipelines.search`` exists (what the writer does)."""
    from conftest import run_crawl
    from replica.server import Replica

    with Replica(port=0) as rep:
        first = run_crawl(rep.base_url, db)
        assert first.returncode == 0, first.stderr[-3000:]
        rep.set_page(urlsplit(RETITLED.url).path,
                     _edited_page(RETITLED, RETITLED.fields["headline"], NEW_HEADLINE),
                     "text/html; charset=utf-8")
        paragraph = EDITED.fields["paragraphs"][1]
        rep.set_page(urlsplit(EDITED.url).path, _edited_page(EDITED, paragraph, paragraph + ADDED),
                     "text/html; charset=utf-8")
        second = run_crawl(rep.base_url, db, args={"url": f"{RETITLED.url},{EDITED.url}"})
        assert second.returncode == 0, second.stderr[-3000:]
    try:
        from pipelines.search import ensure_schema, rebuild
    except ImportError:
        return db
    conn = sqlite3.connect(db)
    try:
        ensure_schema(conn)
        rebuild(conn)
    finally:
        conn.close()
    return db


def analyst_archive(tmp_path_factory) -> Path:
    """The session's analyst archive (built on first use)."""
    if "db" not in _BUILT:
        _BUILT["db"] = build_archive(tmp_path_factory.mktemp("analysts") / "almodon.db")
    return _BUILT["db"]


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return analyst_archive(tmp_path_factory)


def rows(db: Path, sql: str, *params) -> list[dict]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def golden_headline(g) -> str:
    return NEW_HEADLINE if g is RETITLED else g.fields["headline"]


# -- expected numbers, from the goldens -----------------------------------------------------
def expected_per_day() -> Counter:
    return Counter((g.fields["published_date"], g.fields["section"]) for g in SERVED)


def expected_agencies() -> tuple[Counter, Counter]:
    photos, articles = Counter(), Counter()
    for g in SERVED:
        found = [media.agency(im.get("credit")) or "(none)" for im in g.fields.get("images", [])]
        photos.update(found)
        articles.update(set(found))
    return photos, articles


def expected_authors() -> Counter:
    return Counter(name for g in SERVED for name in dict.fromkeys(g.fields["authors"]))


# -- the views ------------------------------------------------------------------------------
def test_article_list_has_every_article_once_with_section_and_byline(db):
    got = {r["url"]: r for r in rows(db, "SELECT * FROM article_list")}
    assert len(got) == len(SERVED)
    for g in SERVED:
        row = got[g.expected["url"]]
        assert row["section"] == g.fields["section"]
        assert row["headline"] == golden_headline(g)  # the latest version
        assert row["authors"] == ("، ".join(g.fields["authors"]) or None)
        assert row["published_date"] == g.fields["published_date"]
        assert row["image_count"] == len(g.fields.get("images", []))
        assert row["tags"] == ("، ".join(dict.fromkeys(g.fields.get("tags", []))) or None)
        assert row["version"] == (2 if g in (RETITLED, EDITED) else 1)


def test_co_authors_come_in_byline_order(db):
    multi = [g for g in SERVED if len(g.fields["authors"]) > 1]
    assert multi, "the replica has a co-signed article"
    for g in multi:
        (row,) = rows(db, "SELECT authors FROM article_list WHERE url = ?", g.expected["url"])
        assert row["authors"].split("، ") == g.fields["authors"]


def test_articles_per_day_per_section(db):
    got = {(r["published_date"], r["section"]): r["articles"]
           for r in rows(db, "SELECT * FROM articles_per_day")}
    assert got == dict(expected_per_day())
    assert sum(got.values()) == len(SERVED)


def test_photos_per_agency(db):
    photos, articles = expected_agencies()
    got = rows(db, "SELECT * FROM photos_per_agency")
    assert {r["agency"]: r["photos"] for r in got} == dict(photos)
    assert {r["agency"]: r["articles"] for r in got} == dict(articles)
    assert {"AFP", "Reuters"} <= set(photos)


def test_headline_changes_lists_only_the_retitled_article(db):
    (row,) = rows(db, "SELECT * FROM headline_changes")
    assert row["url"] == RETITLED.expected["url"]
    assert row["section"] == RETITLED.fields["section"]
    assert row["first_headline"] == RETITLED.fields["headline"]
    assert row["latest_headline"] == NEW_HEADLINE
    assert (row["changes"], row["versions"]) == (1, 2)
    (v2,) = rows(db, "SELECT v.fetched_at, v.modified_at FROM article_versions v JOIN articles a "
                     "ON a.id = v.article_id WHERE a.url = ? AND v.version = 2", row["url"])
    assert row["first_changed_at"] == row["last_changed_at"] == v2["fetched_at"]
    assert row["site_modified_at"] == v2["modified_at"] == RETITLED.fields["modified_at"]
    published = RETITLED.fields["published_at"] or RETITLED.fields["published_date"]
    assert row["first_changed_at"] > published


def test_article_changes_has_one_row_per_new_version(db):
    got = {r["url"]: r for r in rows(db, "SELECT * FROM article_changes")}
    assert set(got) == {RETITLED.expected["url"], EDITED.expected["url"]}
    title = got[RETITLED.expected["url"]]
    assert "headline" in json.loads(title["changed_fields"])
    assert (title["previous_headline"], title["headline"]) == (RETITLED.fields["headline"], NEW_HEADLINE)
    body = got[EDITED.expected["url"]]
    assert json.loads(body["changed_fields"]) == ["paragraphs"]
    assert body["previous_headline"] == body["headline"] == EDITED.fields["headline"]
    assert body["body_chars_delta"] == len(ADDED)
    assert title["version"] == body["version"] == 2


def test_articles_per_author(db):
    got = {r["author"]: r for r in rows(db, "SELECT * FROM articles_per_author")}
    assert {name: r["articles"] for name, r in got.items()} == dict(expected_authors())
    for name, r in got.items():
        mine = [g for g in SERVED if name in g.fields["authors"]]
        assert set(r["sections"].split(",")) == {g.fields["section"] for g in mine}
        assert r["first_date"] == min(g.fields["published_date"] for g in mine)
        assert r["last_date"] == max(g.fields["published_date"] for g in mine)
