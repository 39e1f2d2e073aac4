"""Nothing stored is ever made worse: a worse capture is kept as a degraded version, never shown.

Each rule on the store with a record from a golden page; a real correction still becomes
current; the run and `almodon health` count degraded versions; and end to end, a windows-1256
article re-fetched with a wrong `charset=utf-8` header (through a crawl of the replica and
through `import-warc`) leaves the stored article as it was.
"""

from __future__ import annotations

import copy
import json
import sqlite3
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner
from conftest import query, run_crawl
from golden import goldens

from pipelines import archive, degraded, records
from pipelines.cli import main
from pipelines.extract import extract
from pipelines.health import format_health, health
from pipelines.store import Store

GOOD_AT, LATER = "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"
CP1256 = next(g for g in goldens("almodon") if g.html.stem == "g-2015-02-10-culture-cp1256")


@pytest.fixture
def record():
    """A golden article with a date and at least two captioned images and four paragraphs."""
    for g in goldens("almodon"):
        if not g.is_article:
            continue
        rec = records.normalise(extract(g.html.read_bytes(), g.url, content_type=g.content_type).to_dict())
        if (rec.get("published_at") and len(rec["paragraphs"]) >= 4
                and sum(1 for im in rec["images"] if im.get("caption")) >= 1):
            return rec
    raise AssertionError("no golden page has a time, 4 paragraphs and a caption")


def _worse_variants(rec: dict) -> dict[str, dict]:
    def changed(**fields) -> dict:
        out = {**copy.deepcopy(rec), **fields}
        return {**out, "body": "\n\n".join(out["paragraphs"])}

    paragraphs = rec["paragraphs"]
    return {
        "replacement_chars": changed(paragraphs=[p[:20] + "\ufffd\ufffd" + p[20:] for p in paragraphs]),
        # UTF-8 Arabic read as Latin-1 (a wrong charset header): no U+FFFD, every letter Latin
        "mojibake": changed(headline=rec["headline"].encode().decode("latin-1"),
                            paragraphs=[p.encode().decode("latin-1") for p in paragraphs]),
        "invalid_bytes": changed(conflicts=[*(rec.get("conflicts") or []),
                                            {"field": "encoding", "kept": "utf-8", "other": "?",
                                             "reason": "invalid_bytes"}],
                                 paragraphs=[*paragraphs[:-1], paragraphs[-1] + " x"]),
        "date_lost": changed(published_date=None, published_at=None, published_local=None),
        "body_shrunk": changed(paragraphs=["نص قصير جديد."]),
        "paragraphs_lost": changed(paragraphs=paragraphs[:-1]),
        "captions_lost": changed(images=[{**im, "caption": None} for im in rec["images"]]),
    }


@pytest.mark.parametrize("reason", list(_worse_variants({"headline": "x", "paragraphs": ["x"], "images": []})))
def test_a_worse_version_is_kept_flagged_and_never_shown(tmp_path, record, reason):
    bad = _worse_variants(record)[reason]
    with Store(tmp_path / "a.db") as store:
        assert store.upsert(record, fetched_at=GOOD_AT) == "new"
        shown = [tuple(r) for r in store.conn.execute("SELECT * FROM articles")]
        images = [tuple(r) for r in store.conn.execute("SELECT * FROM images")]
        assert store.upsert(bad, fetched_at=LATER) == "degraded"
        versions = store.versions(record["url"])
        assert (len(versions), versions[0]["version"], versions[0]["degraded"]) == (2, 1, None)
        assert reason in versions[1]["degraded"].split(",")
        assert versions[1]["record"]["paragraphs"] == bad["paragraphs"]  # kept as it came
        # articles, images and the search index still serve the good version
        now = store.conn.execute("SELECT * FROM articles").fetchone()
        assert [v for k, v in zip(now.keys(), now, strict=True) if not k.startswith("last_")] == \
               [v for k, v in zip(now.keys(), shown[0], strict=True) if not k.startswith("last_")]
        assert now["last_fetched_at"] == LATER and now["version"] == 1
        assert [tuple(r) for r in store.conn.execute("SELECT * FROM images")] == images
        # not a change of the article on the site
        assert store.conn.execute("SELECT count(*) FROM article_changes").fetchone()[0] == 0
        (row,) = store.conn.execute("SELECT url, reasons FROM degraded_versions").fetchall()
        assert row["url"] == record["url"] and reason in row["reasons"]
        # the same bad capture again adds no row (and is counted degraded again); the good one again is unchanged
        assert store.upsert(bad, fetched_at="2026-03-01T00:00:00Z") == "degraded"
        assert store.upsert(record, fetched_at="2026-04-01T00:00:00Z") == "unchanged"
        assert len(store.versions(record["url"])) == 2


@pytest.mark.parametrize("correction", ["headline", "added_paragraph", "edited_paragraph", "new_caption"])
def test_a_real_correction_by_the_site_becomes_current(tmp_path, record, correction):
    new = copy.deepcopy(record)
    if correction == "headline":
        new["headline"] += " (محدّث)"
    elif correction == "added_paragraph":
        new["paragraphs"].insert(2, "فقرة أضافها الموقع لاحقاً.")
    elif correction == "edited_paragraph":
        new["paragraphs"][1] = new["paragraphs"][1].replace(" ", " جداً ", 1)
    else:
        new["images"][0]["caption"] = "تعليق جديد على الصورة"
    new = records.normalise(new)
    assert degraded.worse(new, record) == []
    with Store(tmp_path / "a.db") as store:
        store.upsert(record, fetched_at=GOOD_AT)
        assert store.upsert(new, fetched_at=LATER) == "updated"
        assert store.conn.execute("SELECT headline, body FROM articles").fetchone()[:] == (
            new["headline"], "\n\n".join(new["paragraphs"]))


def test_an_older_bad_capture_is_flagged_against_the_good_one_after_it(tmp_path, record):
    """A web-archive capture older than every stored version, with mojibake: compared with the
    next good version (there is none before it), flagged, and not the first headline."""
    bad = _worse_variants(record)["replacement_chars"]
    with Store(tmp_path / "a.db") as store:
        store.upsert(record, fetched_at=GOOD_AT)
        assert store.upsert(bad, fetched_at="2019-01-01T00:00:00Z", source="wayback") == "degraded"
        assert [(v["version"], v["degraded"]) for v in store.versions(record["url"])] == [
            (1, "replacement_chars"), (2, None)]
        assert store.conn.execute("SELECT version FROM articles").fetchone()[0] == 2


@pytest.mark.parametrize("reason", ["date_lost", "paragraphs_lost", "captions_lost", "body_shrunk"])
def test_an_older_capture_may_have_less_than_a_later_one(tmp_path, record, reason):
    """A web-archive capture from before the first stored version, with less text, no date line
    or no captions yet: the article grew after it, so it is an earlier version, not degraded."""
    older = _worse_variants(record)[reason]
    with Store(tmp_path / "a.db") as store:
        store.upsert(record, fetched_at=GOOD_AT)
        assert store.upsert(older, fetched_at="2019-01-01T00:00:00Z", source="wayback") == "earlier"
        assert [v["degraded"] for v in store.versions(record["url"])] == [None, None]


def test_a_newer_extractor_may_drop_paragraphs_but_not_the_date(tmp_path, record):
    """Lost paragraphs and captions are judged between extractions by the same extractor only
    (a newer one may drop junk on purpose); a lost date or mojibake is worse whoever made it."""
    fewer = {**record, "paragraphs": record["paragraphs"][:-1], "extractor_version": "2099.1"}
    assert degraded.worse(fewer, record, same_extractor=False) == []
    assert degraded.worse(fewer, record, same_extractor=True) == ["paragraphs_lost"]
    undated = {**record, "published_date": None, "published_at": None}
    assert degraded.worse(undated, record, same_extractor=False) == ["date_lost"]
    with Store(tmp_path / "a.db") as store:
        store.upsert(record, fetched_at=GOOD_AT)
        assert store.upsert(fewer, fetched_at=GOOD_AT, source="reparse") == "reextracted"


def test_degraded_versions_are_counted_in_the_run_and_in_health(tmp_path, record):
    bad = _worse_variants(record)["replacement_chars"]
    db = tmp_path / "a.db"
    with Store(db) as store:
        run = store.start_run()
        outcomes = [store.upsert(record, run_id=run, fetched_at=GOOD_AT),
                    store.upsert(bad, run_id=run, fetched_at=LATER)]
        store.finish_run(run, {o: outcomes.count(o) for o in outcomes}, status="ok", exit_code=0)
        assert store.conn.execute("SELECT new, degraded FROM crawl_runs").fetchone()[:] == (1, 1)
    conn = sqlite3.connect(db)
    report = health(conn)
    conn.close()
    assert report["degraded"]["versions"] == 1 and report["degraded"]["by_reason"] == {"replacement_chars": 1}
    assert report["runs"][0]["outcomes"] == {"degraded": 1}  # a page counts once per run, as last seen
    text = format_health(report)
    assert "Degraded versions kept, not shown: 1 in 1 article(s) (replacement_chars 1)" in text
    assert record["url"] in text


# -- end to end: a windows-1256 page re-fetched under a wrong charset=utf-8 header --------------
def _good(db) -> tuple:
    return tuple(query(db, "SELECT headline, body FROM articles")[0])


def _expect_good(db, outcome: str, counted: int) -> None:
    """The article is still the good text. The re-fetch is either decoded right (the decoder
    falls back to the page's own <meta>: unchanged) or worse and kept as a degraded version."""
    headline, body = _good(db)
    assert headline == CP1256.fields["headline"] and "\ufffd" not in body
    assert body.split("\n\n") == CP1256.fields["paragraphs"]
    versions = query(db, "SELECT degraded FROM article_versions ORDER BY version")
    if outcome == "degraded":
        assert len(versions) == 2 and "replacement_chars" in versions[1][0] and counted == 1
    else:
        assert outcome == "unchanged" and len(versions) == 1 and counted == 0


def test_a_wrong_utf8_header_does_not_spoil_a_stored_cp1256_article_crawl(tmp_path):
    from replica.server import Replica

    db = tmp_path / "a.db"
    with Replica(port=0) as rep:
        first = run_crawl(rep.base_url, db, args={"url": CP1256.url})
        assert first.returncode == 0, first.stderr[-2000:]
        assert _good(db)[0] == CP1256.fields["headline"]
        rep.set_page(urlsplit(CP1256.url).path, CP1256.html.read_bytes(), "text/html; charset=utf-8")
        second = run_crawl(rep.base_url, db, args={"url": CP1256.url})
        assert second.returncode == 0, second.stderr[-2000:]
    (outcome,) = [r[0] for r in query(db, "SELECT outcome FROM extractions WHERE run_id = 2")]
    counted = query(db, "SELECT degraded FROM crawl_runs WHERE id = 2")[0][0]
    _expect_good(db, outcome, counted)


def test_a_wrong_utf8_header_does_not_spoil_a_stored_cp1256_article_import(tmp_path):
    writer = archive.WarcWriter(tmp_path / "ext")
    for when, content_type in ((GOOD_AT, CP1256.content_type), (LATER, "text/html; charset=utf-8")):
        writer.write(archive.Fetched(url=CP1256.url, body=CP1256.html.read_bytes(),
                                     headers={"content-type": content_type}, fetched_at=when))
    writer.close()
    (warc,) = (tmp_path / "ext").iterdir()
    db = tmp_path / "i.db"
    result = CliRunner().invoke(main, ["import-warc", "--db", str(db), str(warc)])
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout)
    assert counts["new"] == 1
    outcome = "degraded" if counts.get("degraded") else "unchanged"
    _expect_good(db, outcome, query(db, "SELECT degraded FROM crawl_runs")[0][0])
    assert query(db, "SELECT source FROM article_versions WHERE version = 1")[0][0] == "import"
