"""Raw first: the WARC archive written by the crawl, re-extraction from it, import of WARC files."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import query
from golden import goldens

from pipelines import archive
from pipelines.cli import main
from pipelines.extract.urls import canonicalize

ARTICLES = [g for g in goldens("almodon") if g.is_article and g.fixture.get("in_replica", True)]
COMPARED = "url, headline, body, authors, tags, published_date, published_at, modified_at, content_hash, image_count"


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    from conftest import run_crawl
    from replica.server import Replica

    db = tmp_path_factory.mktemp("archive") / "a.db"
    with Replica(port=0) as rep:
        result = run_crawl(rep.base_url, db)
    assert result.returncode == 0, result.stderr[-2000:]
    return db


def test_every_fetched_page_is_archived_and_indexed(crawled):
    rows = query(crawled, "SELECT * FROM raw_pages")
    # raw pages keep the URL as fetched (e.g. an unpadded date); articles their canonical form
    fetched = {canonicalize(r["url"]) for r in rows}
    assert {g.expected["url"] for g in ARTICLES} <= fetched  # plus the soft 404, also kept raw
    for row in rows[:5]:
        page = archive.read_at(crawled.parent / "warc" / row["warc_file"], row["warc_offset"])
        assert page.url == row["url"] and page.sha256 == row["content_hash"]
        assert page.fetched_at == row["fetched_at"] and page.status == row["http_status"]


@pytest.mark.parametrize("workers", [1, 2])
def test_reparse_into_a_fresh_database_reproduces_it(crawled, tmp_path, workers):
    fresh = tmp_path / "fresh.db"
    result = CliRunner().invoke(main, ["reparse", "--db", str(crawled), "--into", str(fresh),
                                       "--workers", str(workers)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["new"] == len(ARTICLES)
    sql = f"SELECT {COMPARED} FROM articles ORDER BY url"
    assert [tuple(r) for r in query(fresh, sql)] == [tuple(r) for r in query(crawled, sql)]
    images = "SELECT a.url, i.position, i.url, caption, credit, agency FROM images i JOIN articles a ON a.id = i.article_id ORDER BY 1, 2"
    assert [tuple(r) for r in query(fresh, images)] == [tuple(r) for r in query(crawled, images)]


def test_reparse_in_place_changes_nothing_when_extraction_is_unchanged(crawled):
    result = CliRunner().invoke(main, ["reparse", "--db", str(crawled)])
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout)
    assert counts.get("new", 0) == 0 and counts.get("updated", 0) == 0
    assert counts["unchanged"] == len(ARTICLES)
    assert query(crawled, "SELECT count(*) FROM article_versions")[0][0] == len(ARTICLES)


def test_import_warc_ingests_site_pages_and_skips_others(tmp_path):
    g = ARTICLES[0]
    warc = tmp_path / "external.warc.gz"
    writer = archive.WarcWriter(tmp_path / "ext")
    writer.write(archive.Fetched(url=g.expected["url"], body=g.html.read_bytes(),
                                 headers={"content-type": g.content_type}, fetched_at="2026-11-01T10:00:00Z"))
    writer.write(archive.Fetched(url="https://example.com/news/1", body=b"<html><h1>x</h1></html>",
                                 headers={"content-type": "text/html"}, fetched_at="2026-11-01T10:00:01Z"))
    writer.close()
    (written,) = (tmp_path / "ext").iterdir()
    written.rename(warc)
    db = tmp_path / "i.db"
    result = CliRunner().invoke(main, ["import-warc", "--db", str(db), "--workers", "2", str(warc)])
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout)
    assert counts["new"] == 1 and counts["skipped_reasons"] == {"offsite": 1}
    (row,) = query(db, "SELECT url, headline, last_fetched_at FROM articles")
    assert tuple(row) == (g.expected["url"], g.expected["headline"], "2026-11-01T10:00:00Z")
    # imported pages join this archive's own raw store, so reparse covers them
    assert query(db, "SELECT count(*) FROM raw_pages")[0][0] == 1
    again = CliRunner().invoke(main, ["reparse", "--db", str(db)])
    assert json.loads(again.stdout)["unchanged"] == 1
