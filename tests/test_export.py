"""``almodon export``: JSON Lines and CSV of the archive, filtered, streamed."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_views import EDITED, NEW_HEADLINE, RETITLED, SERVED, analyst_archive

from pipelines.cli import main
from pipelines.export import FIELDS, LIST_SEPARATOR, export, iter_articles, readonly
from pipelines.store import ArchiveError, Store

GOLDEN = {g.expected["url"]: g for g in SERVED}


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return analyst_archive(tmp_path_factory)


def run(*args: str):
    """``almodon export ARGS`` (through the group: its one-line errors and exit table)."""
    return CliRunner().invoke(main, ["export", *args])


def jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def test_jsonl_has_one_article_per_line_with_its_fields(db):
    out = io.StringIO()
    assert export(db, out, fmt="jsonl") == len(SERVED)
    records = jsonl(out.getvalue())
    assert len(records) == len(SERVED) == len({r["url"] for r in records})
    assert list(records[0]) == list(FIELDS)
    for r in records:
        g = GOLDEN[r["url"]]
        assert r["section"] == g.fields["section"]
        assert r["published_date"] == g.fields["published_date"]
        assert r["published_at"] == g.fields["published_at"]
        assert r["modified_at"] == g.fields["modified_at"]
        assert r["authors"] == g.fields["authors"]
        assert r["image_count"] == len(g.fields.get("images", []))
        if g is RETITLED:
            assert (r["headline"], r["version"]) == (NEW_HEADLINE, 2)
        else:
            assert r["headline"] == g.fields["headline"]
        if g is not EDITED:
            assert r["body"] == "\n\n".join(g.fields["paragraphs"])
    keys = [(r["published_date"], r["published_at"] or "", r["id"]) for r in records]
    assert keys == sorted(keys)  # oldest first


def test_csv_round_trips_the_same_articles(db):
    out = io.StringIO(newline="")
    assert export(db, out, fmt="csv") == len(SERVED)
    table = list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))
    assert len(table) == len(SERVED)
    assert tuple(table[0]) == FIELDS
    for row in table:
        g = GOLDEN[row["url"]]
        assert row["authors"] == LIST_SEPARATOR.join(g.fields["authors"])
        assert int(row["image_count"]) == len(g.fields.get("images", []))
        if g not in (EDITED, RETITLED):
            assert row["headline"] == g.fields["headline"]
            assert row["body"] == "\n\n".join(g.fields["paragraphs"])  # paragraph breaks kept


@pytest.mark.parametrize(("args", "keep"), [
    ({"since": "2025-01-01"}, lambda f: f["published_date"] >= "2025-01-01"),
    ({"since": "2016-01-01", "until": "2019-12-31"},
     lambda f: "2016-01-01" <= f["published_date"] <= "2019-12-31"),
    ({"section": "economy"}, lambda f: f["section"] == "economy"),
    ({"since": "2020-01-01", "section": "politics"},
     lambda f: f["section"] == "politics" and f["published_date"] >= "2020-01-01"),
])
def test_filters(db, args, keep):
    conn = readonly(db)
    try:
        got = {r["url"] for r in iter_articles(conn, **args)}
    finally:
        conn.close()
    want = {url for url, g in GOLDEN.items() if keep(g.fields)}
    assert got == want and want


def test_section_by_its_printed_name(db):
    conn = readonly(db)
    try:
        named = conn.execute("SELECT section, section_name FROM articles WHERE section_name "
                             "IS NOT NULL LIMIT 1").fetchone()
        by_name = {r["url"] for r in iter_articles(conn, section=named[1])}
        by_slug = {r["url"] for r in iter_articles(conn, section=named[0])}
    finally:
        conn.close()
    assert by_name and by_name <= by_slug


def test_command_writes_a_file_and_reports_the_count(db, tmp_path):
    target = tmp_path / "out.jsonl"
    result = run("--db", str(db), "--since", "2025-01-01", "--format", "jsonl", "--output", str(target))
    assert result.exit_code == 0, result.output
    want = sum(1 for g in SERVED if g.fields["published_date"] >= "2025-01-01")
    assert f"exported {want} articles" in result.stderr
    records = jsonl(target.read_text(encoding="utf-8"))
    assert len(records) == want and all(r["published_date"] >= "2025-01-01" for r in records)


def test_command_csv_to_stdout(db):
    result = run("--db", str(db), "--section", "culture", "--format", "csv")
    assert result.exit_code == 0, result.output
    table = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    assert {r["url"] for r in table} == {u for u, g in GOLDEN.items() if g.fields["section"] == "culture"}


def test_command_bom_for_spreadsheets(db, tmp_path):
    target = tmp_path / "out.csv"
    assert run("--db", str(db), "--format", "csv", "--bom", "-o", str(target)).exit_code == 0
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\xef\xbb\xbf") == 1
    assert "headline" in raw.decode("utf-8-sig").splitlines()[0]


@pytest.mark.parametrize("args", [
    ["--since", "2025-13-01"],
    ["--until", "yesterday"],
    ["--format", "xml"],
])
def test_command_rejects_bad_arguments(db, args):
    result = run("--db", str(db), *args)
    assert result.exit_code == 1
    assert result.stdout == "" and result.stderr.startswith("almodon: ")
    assert len(result.stderr.splitlines()) == 1


def test_command_missing_database(tmp_path):
    result = run("--db", str(tmp_path / "nope.db"))
    assert result.exit_code == 1 and "no such database" in result.output
    assert not (tmp_path / "nope.db").exists()  # read-only: nothing created


def test_export_streams_rows_without_holding_them(tmp_path):
    """3,000 articles of 20 kB each (60 MB of text): the export's peak Python memory stays
    far below the data it writes, because rows go out as they are read."""
    db = tmp_path / "big.db"
    Store(db).close()
    conn = sqlite3.connect(db)
    with conn:
        conn.execute(
            """WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
               INSERT INTO articles (url, headline, body, paragraph_count, word_count,
                   published_date, content_hash, first_seen_at, last_fetched_at,
                   last_checked_at, last_changed_at)
               SELECT 'https://www.almodon.com/x/' || i, 'عنوان ' || i, printf('%.*c', 20000, 'x'),
                   1, 1, date('2020-01-01', '+' || (i % 1000) || ' days'), i, 'now', 'now',
                   'now', 'now' FROM n""")
    conn.close()

    class Sink(io.TextIOBase):
        written = 0

        def write(self, s: str) -> int:
            self.written += len(s)
            return len(s)

    sink = Sink()
    tracemalloc.start()
    try:
        n = export(db, sink, fmt="jsonl")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert n == 3000 and sink.written > 60_000_000
    assert peak < 2_000_000, peak


def test_query_uses_the_publication_indexes(db):
    from pipelines.export import query

    conn = readonly(db)
    try:
        for args, index in (({"since": "2020-01-01"}, "articles_published"),
                            ({}, "articles_published")):
            sql, params = query(**args)
            plan = " ".join(r[-1] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, params))
            assert index in plan, plan
    finally:
        conn.close()


def test_readonly_never_creates_or_writes(db, tmp_path):
    with pytest.raises(ArchiveError, match="no such database"):
        readonly(tmp_path / "absent.db")
    conn = readonly(db)
    try:
        with pytest.raises(sqlite3.OperationalError):
            conn.execute("DELETE FROM articles")
    finally:
        conn.close()
    assert Path(db).is_file()
