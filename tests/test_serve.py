"""``almodon serve``: Datasette over the archive, checked with Datasette's own test client.

The database is the session's analyst archive (test_views.py: a crawl of the replica plus one
retitled and one edited article). Numbers are compared with the goldens, as in test_views.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
import subprocess
import sys
import urllib.request
from collections import Counter
from html import unescape
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import json_when_up
from test_views import (
    NEW_HEADLINE,
    RETITLED,
    SERVED,
    analyst_archive,
    expected_agencies,
    expected_authors,
    expected_per_day,
)

from pipelines import datasette_metadata
from pipelines.serve import has_search, make_datasette, serve_cmd

ROOT = Path(__file__).resolve().parent.parent
CANNED = ("latest_articles", "articles_by_day", "photo_agencies", "changed_headlines", "top_authors")


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return analyst_archive(tmp_path_factory)


@pytest.fixture(scope="module")
def ds(db):
    return make_datasette(db)


def get(ds, path: str, **kwargs):
    return asyncio.run(ds.client.get(path, **kwargs))


def rows(ds, path: str) -> list[dict]:
    sep = "&" if "?" in path else "?"
    response = get(ds, f"{path}{sep}_shape=array")
    assert response.status_code == 200, response.text[:500]
    return response.json()


# -- pages ----------------------------------------------------------------------------------
def test_index_page_names_the_archive_and_its_one_database(ds):
    response = get(ds, "/")
    assert response.status_code == 200
    assert datasette_metadata.TITLE in unescape(response.text)
    assert [d["name"] for d in get(ds, "/.json").json().values()] == ["almodon"]


def test_database_page_lists_tables_views_and_canned_queries(ds):
    data = get(ds, "/almodon.json").json()
    tables = {t["name"] for t in data["tables"]}
    assert {"articles", "article_versions", "images", "authors", "crawl_runs"} <= tables
    assert {"article_list", "articles_per_day", "photos_per_agency", "headline_changes",
            "article_changes", "articles_per_author"} <= {v["name"] for v in data["views"]}
    assert set(CANNED) <= {q["name"] for q in data["queries"]}
    html = get(ds, "/almodon").text
    for name in CANNED:
        assert f'href="/almodon/{name}"' in html


@pytest.mark.parametrize("table", ["articles", "images", "article_versions", "article_list",
                                   "articles_per_day", "headline_changes", "crawl_runs"])
def test_table_pages_render(ds, table):
    assert get(ds, f"/almodon/{table}").status_code == 200


def test_articles_table_counts_every_served_article(ds):
    data = get(ds, "/almodon/articles.json?_size=1").json()
    assert data["filtered_table_rows_count"] == len(SERVED)


def test_table_and_column_descriptions_are_shown(ds):
    html = unescape(get(ds, "/almodon/articles").text)
    assert "The latest version of each article, one row per canonical URL." in html  # schema.sql
    assert "Beirut calendar date YYYY-MM-DD" in html  # a column comment in schema.sql
    assert "The headline as printed (latest version)." in html  # written out in the metadata
    html = unescape(get(ds, "/almodon/headline_changes").text)
    assert "first_headline" in html and "The headline of the first version the archive stored." in html
    meta = get(ds, "/-/metadata.json").json()
    tables = meta["databases"]["almodon"]["tables"]
    assert tables["articles"]["columns"]["published_date"] == "Beirut calendar date YYYY-MM-DD"
    assert all(t.get("description") for name, t in tables.items() if name in
               {"articles", "images", "article_list", "articles_per_day", "photos_per_agency",
                "headline_changes", "crawl_runs"})


# -- canned queries: the views' numbers -----------------------------------------------------
def test_latest_articles_query(ds):
    got = rows(ds, "/almodon/latest_articles.json")
    assert len(got) == len(SERVED)
    by_url = {r["url"]: r for r in got}
    assert by_url[RETITLED.expected["url"]]["headline"] == NEW_HEADLINE
    assert by_url[RETITLED.expected["url"]]["version"] == 2
    co_signed = next(g for g in SERVED if len(g.fields["authors"]) > 1)
    assert by_url[co_signed.expected["url"]]["authors"] == "، ".join(co_signed.fields["authors"])
    days = [r["published_local"][:10] for r in got]
    assert days == sorted(days, reverse=True)


def test_latest_articles_query_filters(ds):
    got = rows(ds, "/almodon/latest_articles.json?since=2025-01-01&section=politics")
    want = {g.expected["url"] for g in SERVED
            if g.fields["section"] == "politics" and g.fields["published_date"] >= "2025-01-01"}
    assert {r["url"] for r in got} == want and want


def test_articles_by_day_query(ds):
    got = rows(ds, "/almodon/articles_by_day.json")
    assert {(r["published_date"], r["section"]): r["articles"] for r in got} == dict(expected_per_day())
    until = rows(ds, "/almodon/articles_by_day.json?until=2016-12-31")
    assert sum(r["articles"] for r in until) == sum(
        1 for g in SERVED if g.fields["published_date"] <= "2016-12-31")


def test_photo_agencies_query(ds):
    photos, articles = expected_agencies()
    got = rows(ds, "/almodon/photo_agencies.json")
    assert {r["agency"]: (r["photos"], r["articles"]) for r in got} == {
        a: (photos[a], articles[a]) for a in photos}
    assert [r["photos"] for r in got] == sorted((r["photos"] for r in got), reverse=True)


def test_changed_headlines_query(ds):
    (row,) = rows(ds, "/almodon/changed_headlines.json")
    assert row["url"] == RETITLED.expected["url"]
    assert (row["first_headline"], row["latest_headline"]) == (RETITLED.fields["headline"], NEW_HEADLINE)
    assert row["changes"] == 1


def test_top_authors_query(ds):
    got = rows(ds, "/almodon/top_authors.json")
    assert {r["author"]: r["articles"] for r in got} == dict(expected_authors())
    assert got[0]["articles"] == max(expected_authors().values())


def test_canned_query_page_shows_its_form_and_results(ds):
    html = unescape(get(ds, "/almodon/latest_articles?section=culture").text)
    assert "Latest articles" in html and 'name="since"' in html
    assert sum(1 for g in SERVED if g.fields["section"] == "culture") == html.count("<tr>") - 1


# -- search ---------------------------------------------------------------------------------
def test_search_query_is_wired_when_the_index_exists(ds, db):
    pytest.importorskip("pipelines.search")
    assert has_search(db)
    got = rows(ds, "/almodon/search.json?q=" + urllib.request.quote("بعلبك"))
    assert got and "بعلبك" in got[0]["headline"]  # a headline hit ranks first
    # clitics and spelling variants: «وبعلبك» and «بعلبكّ» find the same articles
    variant = rows(ds, "/almodon/search.json?q=" + urllib.request.quote("وبعلبكّ"))
    assert [r["url"] for r in variant] == [r["url"] for r in got]
    assert rows(ds, "/almodon/search.json") == []  # an empty query matches nothing, no error
    only = rows(ds, "/almodon/search.json?section=culture&q=" + urllib.request.quote("بعلبك"))
    assert {r["section"] for r in only} == {"culture"}


def test_search_functions_registered_on_every_connection(ds):
    pytest.importorskip("pipelines.search")
    got = rows(ds, "/almodon.json?sql=" + urllib.request.quote("SELECT ar_normalise('الـمدن') AS n"))
    assert got == [{"n": "المدن"}]


def test_without_an_index_there_is_no_search_query(tmp_path, db):
    plain = tmp_path / "plain.db"
    src = sqlite3.connect(db)
    src.backup(dst := sqlite3.connect(plain))
    src.close()
    dst.executescript("DROP VIEW IF EXISTS article_search; DROP TABLE IF EXISTS article_fts;")
    dst.close()
    assert not has_search(plain)
    queries = {q["name"] for q in get(make_datasette(plain), "/almodon.json").json()["queries"]}
    assert "search" not in queries and set(CANNED) <= queries


# -- read-only ------------------------------------------------------------------------------
def count(db: Path, table: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


def test_writes_are_refused(ds, db):
    before = count(db, "articles")
    response = get(ds, "/almodon.json?sql=" + urllib.request.quote("DELETE FROM articles"))
    assert response.status_code == 400
    database = ds.get_database("almodon")
    assert type(database).__name__ == "ReadOnlyDatabase"
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        asyncio.run(database.execute_write("DELETE FROM articles"))
    with pytest.raises(sqlite3.OperationalError):
        asyncio.run(database.execute_fn(lambda conn: conn.execute("DELETE FROM articles")))
    assert count(db, "articles") == before == len(SERVED)


def test_opened_read_only_not_immutable(ds):
    database = ds.get_database("almodon")
    assert database.is_mutable  # so rows written by a running crawl show up
    assert database.uri.endswith("?mode=ro")


def test_sees_rows_committed_after_start(tmp_path, db):
    """A crawl writing the database while it is served: new rows appear (not immutable)."""
    live = tmp_path / "live.db"
    src = sqlite3.connect(db)
    src.backup(dst := sqlite3.connect(live))
    src.close()
    dst.execute("PRAGMA journal_mode = WAL")
    server = make_datasette(live)
    count = "/almodon.json?sql=" + urllib.request.quote("SELECT count(*) AS n FROM articles") + "&_shape=array"
    assert get(server, count).json() == [{"n": len(SERVED)}]
    with dst:
        dst.execute("INSERT INTO authors (name) VALUES ('كاتب جديد')")
    authors = "/almodon.json?sql=" + urllib.request.quote("SELECT count(*) AS n FROM authors") + "&_shape=array"
    assert get(server, authors).json() == [{"n": len(expected_authors()) + 1}]
    dst.close()


# -- the command ----------------------------------------------------------------------------
def test_serve_command_prints_metadata(db):
    result = CliRunner().invoke(serve_cmd, ["--db", str(db), "--metadata"])
    assert result.exit_code == 0, result.output
    meta = json.loads(result.output)
    assert set(CANNED) <= set(meta["databases"]["almodon"]["queries"])


def test_serve_command_refuses_a_missing_or_foreign_database(tmp_path):
    result = CliRunner().invoke(serve_cmd, ["--db", str(tmp_path / "nope.db")])
    assert result.exit_code == 1 and "no such database" in result.output
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    result = CliRunner().invoke(serve_cmd, ["--db", str(other)])
    assert result.exit_code == 1 and "not an Al-Modon archive" in result.output


def test_serve_command_is_part_of_the_almodon_cli():
    from pipelines.cli import main

    assert "serve" in main.commands and "export" in main.commands


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_command_runs_a_server(db):
    """The real thing: the command starts uvicorn; pages answer over HTTP."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipelines.serve", "--db", str(db), "--port", str(port)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/almodon/articles_by_day.json?_shape=array"
        got = json_when_up(url, proc, wait_s=30, request_s=5)
        assert sum(r["articles"] for r in got) == len(SERVED)
        assert Counter(r["section"] for r in got for _ in range(r["articles"])) == Counter(
            g.fields["section"] for g in SERVED)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()
