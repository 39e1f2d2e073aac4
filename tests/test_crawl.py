"""End to end: the real spider crawls the replica over loopback into a temporary database."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from conftest import query
from golden import goldens

SERVED = [g for g in goldens("almodon") if g.is_article and g.fixture.get("in_replica", True)]
NOT_ARTICLES = [g for g in goldens("almodon") if not g.is_article and g.fixture.get("in_replica", True)]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """One archive crawl of the replica, then a second identical one."""
    from conftest import run_crawl
    from replica.server import Replica

    db = tmp_path_factory.mktemp("crawl") / "archive.db"
    with Replica(port=0) as rep:
        first = run_crawl(rep.base_url, db)
        first_requests = len(rep.requests)
        second = run_crawl(rep.base_url, db)
    return db, first, second, first_requests


def test_crawl_exits_zero(crawled):
    _, first, second, _ = crawled
    assert first.returncode == 0, first.stderr[-3000:]
    assert second.returncode == 0, second.stderr[-3000:]


def test_every_served_article_stored_once_under_its_canonical_url(crawled):
    db = crawled[0]
    rows = query(db, "SELECT url, section FROM articles")
    assert sorted(r["url"] for r in rows) == sorted(g.expected["url"] for g in SERVED)
    assert Counter(r["section"] for r in rows) == Counter(g.expected["section"] for g in SERVED)


def test_stored_rows_match_the_goldens(crawled):
    db = crawled[0]
    for g in SERVED:
        (row,) = query(db, "SELECT * FROM articles WHERE url = ?", g.expected["url"])
        want = g.fields
        assert row["headline"] == want["headline"]
        assert json.loads(row["paragraphs"]) == want["paragraphs"]
        assert row["body"] == "\n\n".join(want["paragraphs"])
        assert json.loads(row["authors"]) == want["authors"]
        assert row["published_date"] == want["published_date"]
        assert row["published_at"] == want["published_at"]
        assert row["modified_at"] == want["modified_at"]
        images = query(db, "SELECT i.url, caption, credit FROM images i JOIN articles a ON a.id = i.article_id "
                           "WHERE a.url = ? ORDER BY position", g.expected["url"])
        assert [dict(i) for i in images] == [
            {"url": im["url"], "caption": im["caption"], "credit": im["credit"]} for im in want["images"]
        ]


def test_non_articles_are_skipped_and_counted_not_stored(crawled):
    db = crawled[0]
    (run,) = query(db, "SELECT * FROM crawl_runs WHERE id = 1")
    reasons = json.loads(run["skipped_reasons"])
    assert run["status"] == "ok" and run["new"] == len(SERVED)
    assert run["skipped"] == sum(reasons.values()) > 0
    skipped = {r["url"]: r["reason"] for r in query(db, "SELECT url, reason FROM skipped_pages WHERE run_id = 1")}
    stored = {r["url"] for r in query(db, "SELECT url FROM articles")}
    assert not stored & set(skipped)
    assert "soft404" in skipped.values()


def test_second_run_adds_nothing_and_loses_nothing(crawled):
    db = crawled[0]
    runs = query(db, "SELECT new, updated, unchanged FROM crawl_runs ORDER BY id")
    assert [tuple(r) for r in runs] == [(len(SERVED), 0, 0), (0, 0, len(SERVED))]
    assert query(db, "SELECT count(*) AS n FROM articles")[0]["n"] == len(SERVED)
    assert query(db, "SELECT count(*) AS n FROM article_versions")[0]["n"] == len(SERVED)
    assert query(db, "PRAGMA integrity_check")[0][0] == "ok"


def test_block_is_reported_with_non_zero_exit(tmp_path, crawl):
    from replica.server import Replica

    with Replica(port=0, block=403) as rep:
        result = crawl(rep.base_url, tmp_path / "b.db")
    assert result.returncode == 3
    assert "BLOCKED" in result.stderr
    (run,) = query(tmp_path / "b.db", "SELECT status, blocked, new, failed_reasons FROM crawl_runs")
    assert run["status"] == "blocked" and run["blocked"] > 0 and run["new"] == 0
    assert "blocked_403" in json.loads(run["failed_reasons"])


def test_url_argument_fetches_just_that_article(tmp_path, replica, crawl):
    g = SERVED[0]
    result = crawl(replica.base_url, tmp_path / "u.db", args={"url": g.url})
    assert result.returncode == 0, result.stderr[-2000:]
    assert [r["url"] for r in query(tmp_path / "u.db", "SELECT url FROM articles")] == [g.expected["url"]]


#: Strings every Al-Modon page carries (almodon-site-facts.md) and chrome the replica prints.
BOILERPLATE = (
    "التعليقات المنشورة تعبر عن آراء أصحابها",
    "اشترك معنا في نشرة المدن الدورية لتبقى على اتصال دائم بالحدث",
    'جريدة "المدن" الإلكترونية',
    "خطوة بسيطة وتكون ممن يطلعون على الخبر في بداية ظهوره",
    "جميع الحقوق محفوظة",
    "حجم الخط",
    "increase",
    "الأكثر قراءة",
    "مقالات أخرى للكاتب",
    "آخر تحديث",
)


def test_no_boilerplate_in_any_stored_body_author_or_caption(crawled):
    db = crawled[0]
    texts = [r[0] for r in query(db, "SELECT body FROM articles UNION ALL SELECT authors FROM articles "
                                     "UNION ALL SELECT coalesce(caption_raw, '') FROM images")]
    assert len(texts) > 2 * len(SERVED)
    for text in texts:
        for phrase in BOILERPLATE:
            assert phrase not in text
        assert "التعليقات" != text.strip() and "الكاتب" not in text.split("\n\n")


def test_every_era_is_stored(crawled):
    eras = {r[0] for r in query(crawled[0], "SELECT DISTINCT era FROM articles")}
    assert eras >= {2, 3}
    aliases = query(crawled[0], "SELECT url FROM article_aliases WHERE url LIKE '%/articles/%'")
    assert aliases  # numeric-era links that redirected to a stored article are remembered


def test_discovery_works_without_sitemaps(tmp_path, crawl):
    """robots.txt without Sitemap: lines: RSS, the home page and section listings still find
    every article (the live site's robots.txt named no sitemap in public evidence)."""
    from replica.server import Replica

    with Replica(port=0, sitemap=False) as rep:
        result = crawl(rep.base_url, tmp_path / "n.db")
        sitemap_requests = [p for _, p, _ in rep.requests if "sitemap" in p]
    assert result.returncode == 0, result.stderr[-2000:]
    assert sitemap_requests == []
    urls = {r[0] for r in query(tmp_path / "n.db", "SELECT url FROM articles")}
    assert urls == {g.expected["url"] for g in SERVED}
