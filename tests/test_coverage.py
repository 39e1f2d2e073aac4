"""`almodon coverage` on the replica: after a partial crawl it lists exactly what was left out."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest
from conftest import ROOT, query
from golden import goldens

from pipelines.backfill.coverage import coverage
from pipelines.extract import urls

SERVED = [g for g in goldens("almodon") if g.is_article and g.fixture.get("in_replica", True)]
#: Article-shaped URLs the replica's home page links to whose pages say "not found" (HTTP 200)
SOFT404 = [g.fixture["original_url"] for g in goldens("almodon") if g.fixture.get("reason") == "soft404"]
CUT = "2025-01-01"


@pytest.fixture(scope="module")
def partial(tmp_path_factory):
    """An archive crawl of the replica that keeps only articles from 2025 on."""
    from conftest import run_crawl
    from replica.server import Replica

    db = tmp_path_factory.mktemp("coverage") / "archive.db"
    with Replica(port=0) as rep:
        result = run_crawl(rep.base_url, db, args={"since": CUT})
    assert result.returncode == 0, result.stderr[-3000:]
    return db


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "pipelines.cli", *args], cwd=ROOT, capture_output=True,
                          text=True, check=False)


def test_missing_is_exactly_what_the_partial_crawl_skipped(partial):
    articles = [g.expected["url"] for g in SERVED if g.expected["published_date"] < CUT]
    # the soft 404 is linked with a 2023 date: the partial crawl never fetched it either
    skipped = sorted([*articles, *(urls.canonicalize(u) for u in SOFT404)])
    stored = {r["url"] for r in query(partial, "SELECT url FROM articles")}
    assert articles and stored == {g.expected["url"] for g in SERVED} - set(articles)
    result = _cli("coverage", "--db", str(partial), "--missing")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == skipped


def test_nothing_missing_once_the_crawl_is_completed(partial, tmp_path):
    from conftest import run_crawl
    from replica.server import Replica

    db = tmp_path / "full.db"
    db.write_bytes(partial.read_bytes())
    with Replica(port=0) as rep:
        result = run_crawl(rep.base_url, db)
    assert result.returncode == 0, result.stderr[-3000:]
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    report = coverage(conn)
    conn.close()
    assert report["missing"] == []
    assert sum(r["dead"] for r in report["rows"]) == 2 + len(SOFT404)


def test_per_month_and_section_counts(partial):
    conn = sqlite3.connect(f"file:{partial}?mode=ro", uri=True)
    report = coverage(conn)
    conn.close()
    rows = {(r["month"], r["section"]): r for r in report["rows"]}
    for g in SERVED:
        # a stored article has its day; a missing one its URL's (GUID URLs have none: "unknown"
        # unless a sitemap listed it, and this crawl read only the 2025-2026 sitemaps)
        day = g.expected["published_date"] if g.expected["published_date"] >= CUT else urls.classify(
            g.expected["url"]).url_date
        row = rows[((day or "unknown")[:7], g.expected["section"])]
        assert row["named"] >= 1
    totals = {c: sum(r[c] for r in report["rows"]) for c in ("named", "stored", "archive_only", "dead", "missing")}
    n_skipped = sum(g.expected["published_date"] < CUT for g in SERVED)
    # every served article is named once (its numeric link counts as the article), plus the two
    # dead numeric links of the home page's archive box
    assert totals == {"named": len(SERVED) + 2 + len(SOFT404), "stored": len(SERVED) - n_skipped,
                      "archive_only": 0, "dead": 2, "missing": n_skipped + len(SOFT404)}
    # the dead ones have no date: they sit in "unknown"
    assert sum(r["dead"] for r in report["rows"] if r["month"] == "unknown") == 2


def test_table_and_no_database(partial, tmp_path):
    result = _cli("coverage", "--db", str(partial))
    assert result.returncode == 0
    assert result.stdout.splitlines()[0].split() == ["month", "section", "named", "stored", "archive_only",
                                                     "dead", "missing"]
    missing = _cli("coverage", "--db", str(tmp_path / "nope.db"))
    assert missing.returncode == 1 and "no such database" in missing.stderr
