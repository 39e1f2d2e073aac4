"""`almodon backfill` end to end against fake web archives on 127.0.0.1 (tests/web_archives.py),
into temporary databases; and the pure capture planner."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, query
from web_archives import FakeCCData, FakeCCIndex, FakeWayback, Snapshot, corpus, sha1_b32

from pipelines import archive
from pipelines.backfill.captures import Capture, Planner, parse_cc_index, parse_cdx_json
from pipelines.extract import urls

#: Loopback needs no politeness delay (as `make demo`); everything else is production.
LOCAL = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_LEVEL=INFO",
         "-s", "ALMODON_BACKFILL_PAGE_SIZE=3"]
C = corpus()
REC = C["reconstruction"]["url"]
TALKS = C["talks"]["url"]
CULTURE = C["cp1256"]["url"]


def backfill(db: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "pipelines.cli", "backfill", "--db", str(db), *args, *LOCAL]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)


def wayback_captures(log) -> list[str]:
    return [p for p, s in log if p.startswith("/web/") and s == 200]


@pytest.fixture(scope="module")
def wayback(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wayback")
    db = tmp / "archive.db"
    with FakeWayback(C["snapshots"]) as wb:
        dry_fresh = backfill(tmp / "dry.db", "--source", "wayback", "--endpoint", wb.base_url, "--dry-run")
        after_dry = len(wayback_captures(wb.log))
        first = backfill(db, "--source", "wayback", "--endpoint", wb.base_url)
        after_first = list(wb.log)
        second = backfill(db, "--source", "wayback", "--endpoint", wb.base_url)
        dry_full = backfill(db, "--source", "wayback", "--endpoint", wb.base_url, "--dry-run")
        log = list(wb.log)
    return {"db": db, "first": first, "second": second, "dry_fresh": dry_fresh, "dry_full": dry_full,
            "after_dry": after_dry, "after_first": after_first, "log": log, "dry_db": tmp / "dry.db"}


def test_wayback_run_succeeds_and_counts(wayback):
    first = wayback["first"]
    assert first.returncode == 0, first.stderr[-3000:]
    out = json.loads(first.stdout)
    assert out["status"] == "ok"
    assert out["captures/fetch"] == 5 and out["captures/fetched"] == 5
    assert out["captures/duplicate_digest"] == 1  # the second capture of the same bytes
    assert out["captures/not_article"] == 4  # home, listing, rss, a logo: counted, never fetched
    assert out["listing/malformed"] == 1
    (run,) = query(wayback["db"], "SELECT * FROM crawl_runs WHERE id = 1")
    assert (run["job"], run["mode"], run["status"], run["new"]) == ("backfill", "wayback", "ok", 3)
    assert json.loads(run["skipped_reasons"]) == {"soft404": 1}


def test_every_capture_stored_once(wayback):
    db = wayback["db"]
    assert sorted(r["url"] for r in query(db, "SELECT url FROM articles")) == sorted([REC, TALKS, CULTURE])
    caps = query(db, "SELECT url, captured_at FROM archive_captures ORDER BY captured_at")
    assert len(caps) == len({tuple(c) for c in caps}) == 5
    raw = query(db, "SELECT url, fetched_at FROM raw_pages ORDER BY fetched_at")
    assert [tuple(r) for r in raw] == [tuple(c) for c in caps]
    fetched = wayback_captures(wayback["after_first"])
    assert len(fetched) == len(set(fetched)) == 5
    assert not [p for p in fetched if p.endswith(("/rss", "logo.png", "/politics", "almodon.com/"))]


def test_429_with_retry_after_is_retried(wayback):
    statuses = [s for p, s in wayback["after_first"] if p.startswith("/web/")]
    assert statuses[0] == 429 and statuses.count(429) == 1 and statuses.count(200) == 5


def test_versions_in_capture_order(wayback):
    db = wayback["db"]
    versions = query(db, "SELECT v.version, v.fetched_at, v.headline FROM article_versions v "
                         "JOIN articles a ON a.id = v.article_id WHERE a.url = ? ORDER BY v.version", REC)
    assert [(v["fetched_at"], v["headline"]) for v in versions] == [
        ("2025-06-03T08:00:00Z", C["reconstruction"]["headline"]), ("2025-08-01T09:30:00Z", C["changed"])]
    (article,) = query(db, "SELECT headline, version FROM articles WHERE url = ?", REC)
    assert (article["headline"], article["version"]) == (C["changed"], 2)
    (change,) = query(db, "SELECT first_headline, latest_headline FROM headline_changes")
    assert tuple(change) == (C["reconstruction"]["headline"], C["changed"])


def test_capture_time_is_the_fetch_time(wayback):
    rows = {r["url"]: r for r in query(wayback["db"], "SELECT url, first_seen_at FROM articles")}
    assert rows[CULTURE]["first_seen_at"] == "2015-02-11T12:00:00Z"
    assert rows[TALKS]["first_seen_at"] == "2016-03-28T10:15:00Z"


def test_eras_and_charsets(wayback):
    db = wayback["db"]
    (culture,) = query(db, "SELECT headline, era, encoding FROM articles WHERE url = ?", CULTURE)
    assert culture["headline"] == C["cp1256"]["headline"] and culture["era"] == 2
    assert culture["encoding"].lower() in ("windows-1256", "cp1256")
    # the numeric capture names its dated URL: stored there, the numeric URL kept as an alias
    (talks,) = query(db, "SELECT id, headline, era FROM articles WHERE url = ?", TALKS)
    assert talks["headline"] == C["talks"]["headline"] and talks["era"] == 3
    aliases = [r["url"] for r in query(db, "SELECT url FROM article_aliases WHERE article_id = ?", talks["id"])]
    assert aliases == [urls.canonicalize(C["numeric"])]


def test_warc_keeps_the_capture_time_and_the_archive_headers(wayback):
    db = wayback["db"]
    (row,) = query(db, "SELECT * FROM raw_pages WHERE url = ?", CULTURE)
    path = db.parent / "warc" / row["warc_file"]
    page = archive.read_at(path, row["warc_offset"])
    assert page.fetched_at == "2015-02-11T12:00:00Z"
    assert page.headers["memento-datetime"] == "Wed, 11 Feb 2015 12:00:00 GMT"
    assert page.headers["content-type"] == "text/html; charset=windows-1256"
    assert page.warc_headers["WARC-Source"] == "wayback"
    assert page.warc_headers["WARC-Source-Target-URI"] == C["cp1256"]["_fixture"]["original_url"]
    assert page.fetch_url.endswith("/web/20150211120000id_/" + C["cp1256"]["_fixture"]["original_url"])
    assert page.sha256 == row["content_hash"]


def test_second_run_fetches_nothing(wayback):
    second = wayback["second"]
    assert second.returncode == 0, second.stderr[-3000:]
    assert wayback_captures(wayback["log"]) == wayback_captures(wayback["after_first"])
    out = json.loads(second.stdout)
    assert out.get("captures/fetch", 0) == 0 and out["new"] == out["updated"] == 0
    assert query(wayback["db"], "SELECT count(*) FROM archive_captures")[0][0] == 5
    assert query(wayback["db"], "SELECT count(*) FROM backfill_cursors")[0][0] == 0  # listing complete


def test_dry_run_fetches_nothing_and_prints_the_plan(wayback):
    fresh = wayback["dry_fresh"]
    assert fresh.returncode == 0, fresh.stderr[-3000:]
    assert wayback["after_dry"] == 0 and not wayback["dry_db"].exists()
    lines = [line.split() for line in fresh.stdout.splitlines()]
    assert lines[0] == ["year", "section", "captures"]
    assert lines[1:6] == [["2015", "culture", "1"], ["2016", "politics", "1"], ["2023", "politics", "1"],
                          ["2025", "politics", "2"], ["total", "5"]]
    assert "duplicate_digest 1" in fresh.stdout and "not_article 4" in fresh.stdout
    full = wayback["dry_full"]
    assert full.returncode == 0 and ["total", "0"] in [line.split() for line in full.stdout.splitlines()]


def _poll(check, what: str, bound: float = 180.0):
    deadline = time.monotonic() + bound  # a generous bound on a wait for a state, not a timing assert
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.2)


def test_killed_run_resumes_at_its_checkpoint(tmp_path):
    db = tmp_path / "archive.db"
    with FakeWayback(C["snapshots"], page_size=2) as wb:
        wb.block_after = 3  # the 4th capture request is held: the run is then past the first page
        cmd = [sys.executable, "-m", "pipelines.cli", "backfill", "--db", str(db), "--source", "wayback",
               "--endpoint", wb.base_url, *LOCAL, "-s", "ALMODON_BACKFILL_PAGE_SIZE=2", "-s", "DOWNLOAD_TIMEOUT=900"]
        with open(tmp_path / "out.log", "w") as log:
            proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            def cursor_saved_and_held():
                if not wb.held or not db.exists():
                    return False
                conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
                try:  # a checkpoint written, and the three answered captures stored
                    return (conn.execute("SELECT count(*) FROM backfill_cursors").fetchone()[0] > 0
                            and conn.execute("SELECT count(*) FROM archive_captures").fetchone()[0] == 3)
                except sqlite3.OperationalError:
                    return False
                finally:
                    conn.close()

            _poll(cursor_saved_and_held, "the run to hold a checkpoint and wait on a capture")
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        (cursor,) = query(db, "SELECT cursor FROM backfill_cursors")
        stored_before = query(db, "SELECT count(*) FROM archive_captures")[0][0]
        assert stored_before == 3
        wb.release()
        queries_before = len(wb.cdx_queries)
        second = backfill(db, "--source", "wayback", "--endpoint", wb.base_url)
        assert second.returncode == 0, second.stderr[-3000:]
        assert wb.cdx_queries[queries_before]["resumeKey"] == [cursor["cursor"]]  # resumed, not restarted
        fetched = wayback_captures(wb.log)
    assert len(fetched) == len(set(fetched)) == 5  # nothing fetched twice
    assert sorted(r["url"] for r in query(db, "SELECT url FROM articles")) == sorted([REC, TALKS, CULTURE])
    assert query(db, "SELECT count(*) FROM archive_captures")[0][0] == 5
    assert query(db, "SELECT count(*) FROM article_versions")[0][0] == 4
    assert [r["status"] for r in query(db, "SELECT status FROM crawl_runs ORDER BY id")] == ["interrupted", "ok"]
    assert query(db, "PRAGMA integrity_check")[0][0] == "ok"


# -- Common Crawl ----------------------------------------------------------------------------------
def _cc_crawls() -> dict[str, list[Snapshot]]:
    snaps = {(s.original, s.timestamp): s for s in C["snapshots"]}
    rec = [s for s in C["snapshots"] if "2025" in s.timestamp[:4]]
    numeric = next(s for s in C["snapshots"] if s.original == C["numeric"])
    talks_plain = (ROOT / "tests/fixtures/almodon/d-2016-03-27-presidential-talks.html").read_bytes()
    assert snaps
    return {
        "CC-MAIN-2016-14": [numeric, Snapshot(C["talks"]["_fixture"]["original_url"], "20160401000000", talks_plain)],
        "CC-MAIN-2025-33": [rec[0], rec[2],
                            Snapshot("https://www.almodon.com/politics", "20250802000000", b"<html>listing</html>")],
    }


@pytest.fixture(scope="module")
def commoncrawl(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cc")
    db = tmp / "archive.db"
    with FakeCCData() as data, FakeCCIndex(_cc_crawls(), data) as index:
        args = ["--source", "commoncrawl", "--endpoint", index.base_url, "--data-endpoint", data.base_url]
        dry = backfill(tmp / "dry.db", *args, "--dry-run")
        after_dry = len(data.log)
        first = backfill(db, *args)
        after_first = list(data.log)
        second = backfill(db, *args)
        return {"db": db, "dry": dry, "after_dry": after_dry, "first": first, "second": second,
                "after_first": after_first, "log": list(data.log), "index_log": list(index.log),
                "ranges": list(data.ranges)}


def test_commoncrawl_end_to_end(commoncrawl):
    first = commoncrawl["first"]
    assert first.returncode == 0, first.stderr[-3000:]
    out = json.loads(first.stdout)
    assert out["captures/fetched"] == 4 and out["captures/not_article"] == 1 and out["listing/malformed"] == 2
    db = commoncrawl["db"]
    assert sorted(r["url"] for r in query(db, "SELECT url FROM articles")) == sorted([REC, TALKS])
    versions = query(db, "SELECT v.fetched_at, v.headline FROM article_versions v JOIN articles a "
                         "ON a.id = v.article_id WHERE a.url = ? ORDER BY v.version", REC)
    assert [v["headline"] for v in versions] == [C["reconstruction"]["headline"], C["changed"]]
    # the numeric and dated captures of one article: one article whose first version is the
    # earlier capture, and no change. The two captures are fetched concurrently, so either may
    # be stored first: the earlier one first leaves the later one a mere re-sighting (one
    # version); the later one first keeps both sightings as identical versions (Store.upsert's
    # rule, tests/test_versions.py); both are right, and the change views agree.
    talks = query(db, "SELECT v.version, v.fetched_at, v.content_hash FROM article_versions v JOIN articles a "
                      "ON a.id = v.article_id WHERE a.url = ? ORDER BY v.version", TALKS)
    assert [v["fetched_at"] for v in talks] in (["2016-03-28T10:15:00Z"],
                                                ["2016-03-28T10:15:00Z", "2016-04-01T00:00:00Z"])
    assert len({v["content_hash"] for v in talks}) == 1
    assert not query(db, "SELECT * FROM article_changes WHERE url = ?", TALKS)
    # every record fetched as a byte range of its WARC file, one 429 honoured first
    statuses = [s for _, s in commoncrawl["after_first"] if _ != "/robots.txt"]
    assert statuses[0] == 429 and statuses.count(206) == 4 and len(commoncrawl["ranges"]) == 4
    # both crawls from collinfo.json, each index read page by page
    index = [p for p, _ in commoncrawl["index_log"]]
    assert "/collinfo.json" in index and sum("showNumPages" in p for p in index) >= 2
    assert any("page=1" in p for p in index)


def test_commoncrawl_warc_keeps_the_record_headers(commoncrawl):
    db = commoncrawl["db"]
    (row,) = query(db, "SELECT * FROM raw_pages WHERE fetched_at = '2025-08-01T09:30:00Z'")
    page = archive.read_at(db.parent / "warc" / row["warc_file"], row["warc_offset"])
    assert page.fetched_at == "2025-08-01T09:30:00Z"
    assert page.warc_headers["WARC-Source"] == "commoncrawl"
    assert page.warc_headers["WARC-Source-IP-Address"] == "192.0.2.1"
    assert page.warc_headers["WARC-Source-Record-ID"].startswith("<urn:uuid:")
    assert page.warc_headers["WARC-Source-Filename"].startswith("crawl-data/CC-MAIN-2025-33/")
    assert sha1_b32(page.body) == next(s.digest for s in C["snapshots"] if s.timestamp == "20250801093000")


def test_commoncrawl_second_run_and_dry_run_fetch_nothing(commoncrawl):
    assert commoncrawl["second"].returncode == 0
    assert len([s for _, s in commoncrawl["log"] if s == 206]) == 4
    assert commoncrawl["dry"].returncode == 0 and commoncrawl["after_dry"] == 0
    assert ["total", "4"] in [line.split() for line in commoncrawl["dry"].stdout.splitlines()]


def test_captures_another_archive_already_gave_are_not_fetched(wayback, tmp_path):
    db = tmp_path / "archive.db"
    db.write_bytes(wayback["db"].read_bytes())
    with FakeCCData() as data, FakeCCIndex(_cc_crawls(), data) as index:
        result = backfill(db, "--source", "commoncrawl", "--endpoint", index.base_url,
                          "--data-endpoint", data.base_url)
        ranges = list(data.ranges)
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout)
    # same payload digests as the Wayback's captures: only the dated 2016 capture is new
    assert out["captures/duplicate_digest"] == 3 and out["captures/fetched"] == 1 and len(ranges) == 1
    assert out["unchanged"] == 1 and out["new"] == 0


def test_blocked_archive_exits_3(tmp_path):
    with FakeWayback(C["snapshots"]) as wb:
        wb.answer = lambda path, headers: (403, {"Content-Type": "text/plain"}, b"no")
        result = backfill(tmp_path / "a.db", "--source", "wayback", "--endpoint", wb.base_url)
    assert result.returncode == 3, result.stderr[-2000:]


def test_bad_arguments_get_one_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "pipelines.cli", "backfill", "--source", "wayback",
                             "--db", str(tmp_path / "a.db"), "--since", "2016-13-01"],
                            cwd=ROOT, capture_output=True, text=True, check=False)
    # usage errors exit 1 like every error (README, "Exit statuses": 2 is "another job holds the db")
    assert result.returncode == 1 and "expected YYYY-MM-DD" in result.stderr
    assert "Traceback" not in result.stderr


# -- the pure parts ----------------------------------------------------------------------------------
def test_parse_cdx_json_reads_rows_resume_key_and_skips_a_malformed_line():
    text = ('[["timestamp","original","statuscode","digest"],\n'
            '["20160101000000","http://almodon.com/politics/2016/1/1/x","200","AAAA"],\n'
            '["2016010","http://almodon.com/bad","200","B"],\n'
            '["20160102000000","http://almodon.com/politics/2016/1/2/y","200"\n'
            '["20169999000000","http://almodon.com/politics/2016/1/3/z","200","C"],\n'
            '[],\n["com,almodon)/politics 20160103!3"]]\n')
    captures, resume, malformed = parse_cdx_json(text)
    assert [c.original for c in captures] == ["http://almodon.com/politics/2016/1/1/x"]
    assert captures[0].captured_at == "2016-01-01T00:00:00Z" and captures[0].digest == "AAAA"
    assert resume == "com,almodon)/politics 20160103!3" and malformed == 3
    assert parse_cdx_json("[]") == ([], None, 0)


def test_parse_cc_index_needs_filename_offset_length():
    line = {"timestamp": "20250801093000", "url": "https://www.almodon.com/politics/2025/08/01/x",
            "status": "200", "digest": "D", "filename": "f.warc.gz", "offset": "10", "length": "20"}
    captures, malformed = parse_cc_index("\n".join([json.dumps(line), "{broken", json.dumps({**line, "offset": None})]))
    assert len(captures) == 1 and malformed == 2
    assert (captures[0].filename, captures[0].offset, captures[0].length) == ("f.warc.gz", 10, 20)


def test_planner_canonicalises_eras_and_skips_what_is_held():
    dated = "https://www.almodon.com/politics/2016/03/27/x"
    planner = Planner(digests={"OLD"}, held={(dated, "2016-04-01T00:00:00Z")},
                      aliases={"https://www.almodon.com/politics/articles/31337": dated})
    cap = lambda url, ts, digest=None: Capture("wayback", url, ts, digest, 200)
    d = planner.decide(cap("http://almodon.com/Politics/Articles/0031337", "20160328000000", "N1"))
    assert (d.verdict, d.url, d.aliases) == ("fetch", dated, ("https://www.almodon.com/politics/articles/31337",))
    assert planner.decide(cap("http://almodon.com/politics/2016/3/27/x", "20160329000000", "N1")).verdict \
        == "duplicate_digest"
    assert planner.decide(cap("http://www.almodon.com/politics/2016/3/27/x", "20160401000000")).verdict == "held"
    assert planner.decide(cap("http://almodon.com/politics/2016/3/27/x", "20160402000000", "OLD")).verdict \
        == "duplicate_digest"
    assert planner.decide(cap("http://almodon.com/politics", "20160402000000")).verdict == "not_article"
    assert planner.decide(cap("http://example.org/a", "20160402000000")).verdict == "offsite"
    assert planner.counts == {"fetch": 1, "duplicate_digest": 2, "held": 1, "not_article": 1, "offsite": 1}


def test_coverage_counts_articles_known_only_from_web_archives(wayback):
    from pipelines.backfill.coverage import coverage

    conn = sqlite3.connect(f"file:{wayback['db']}?mode=ro", uri=True)
    report = coverage(conn)
    conn.close()
    rows = {(r["month"], r["section"]): (r["stored"], r["archive_only"]) for r in report["rows"]}
    assert rows == {("2015-02", "culture"): (1, 1), ("2016-03", "politics"): (1, 1), ("2025-06", "politics"): (1, 1)}
    sources = {r[0] for r in query(wayback["db"], "SELECT DISTINCT source FROM article_versions")}
    assert sources == {"wayback"}


def test_limit_caps_the_captures_of_a_run_and_the_next_run_goes_on(tmp_path):
    db = tmp_path / "archive.db"
    with FakeWayback(C["snapshots"]) as wb:
        first = backfill(db, "--source", "wayback", "--endpoint", wb.base_url, "--limit", "2")
        assert first.returncode == 0, first.stderr[-3000:]
        assert len(wayback_captures(wb.log)) == 2 and json.loads(first.stdout)["captures/over_limit"] >= 1
        second = backfill(db, "--source", "wayback", "--endpoint", wb.base_url)
        assert second.returncode == 0, second.stderr[-3000:]
        fetched = wayback_captures(wb.log)
    assert len(fetched) == len(set(fetched)) == 5
    assert query(db, "SELECT count(*) FROM archive_captures")[0][0] == 5


def test_a_second_job_on_the_database_exits_2(tmp_path):
    from pipelines.lock import db_lock

    db = tmp_path / "archive.db"
    with FakeWayback(C["snapshots"]) as wb, db_lock(db):
        result = backfill(db, "--source", "wayback", "--endpoint", wb.base_url)
        assert result.returncode == 2 and "another job" in result.stderr
        assert not [p for p, _ in wb.log]  # not even the listing was asked for


def test_every_capture_failing_is_not_an_ok(tmp_path):
    with FakeWayback(C["snapshots"]) as wb:
        listing = wb.answer

        def answer(path, headers):
            if path.startswith("/web/"):
                return 500, {"Content-Type": "text/plain"}, b"oops"
            return listing(path, headers)

        wb.answer = answer
        result = backfill(tmp_path / "a.db", "--source", "wayback", "--endpoint", wb.base_url,
                          "-s", "RETRY_TIMES=0")
    assert result.returncode == 1 and "no capture could be fetched" in result.stderr
    (run,) = query(tmp_path / "a.db", "SELECT failed, failed_reasons FROM crawl_runs")
    assert run["failed"] == 5 and json.loads(run["failed_reasons"]) == {"archive_http_500": 5}


@pytest.fixture(scope="module")
def crawled_then_backfilled(tmp_path_factory):
    """A crawl of the replica (today), then a Wayback backfill of older captures into the same database."""
    from conftest import run_crawl
    from replica.server import Replica

    db = tmp_path_factory.mktemp("both") / "archive.db"
    with Replica(port=0) as rep:
        crawl = run_crawl(rep.base_url, db)
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    before = {r["url"]: tuple(r) for r in query(db, "SELECT url, headline, content_hash, last_fetched_at FROM articles")}
    with FakeWayback(C["snapshots"]) as wb:
        result = backfill(db, "--source", "wayback", "--endpoint", wb.base_url)
    assert result.returncode == 0, result.stderr[-3000:]
    return db, before, json.loads(result.stdout)


def test_older_captures_become_earlier_versions_of_crawled_articles(crawled_then_backfilled):
    db, before, out = crawled_then_backfilled
    after = {r["url"]: tuple(r) for r in query(db, "SELECT url, headline, content_hash, last_fetched_at FROM articles")}
    assert after == before  # the crawl's pages stay current: nothing stored was made older
    versions = query(db, "SELECT v.version, v.fetched_at, v.source, v.headline FROM article_versions v "
                         "JOIN articles a ON a.id = v.article_id WHERE a.url = ? ORDER BY v.version", REC)
    assert [(v["fetched_at"][:10], v["source"]) for v in versions][:2] == [("2025-06-03", "wayback"),
                                                                           ("2025-08-01", "wayback")]
    assert versions[-1]["source"] == "crawl" and [v["version"] for v in versions] == [1, 2, 3]
    assert [v["headline"] for v in versions] == [C["reconstruction"]["headline"], C["changed"],
                                                 C["reconstruction"]["headline"]]
    (change,) = query(db, "SELECT first_headline, latest_headline, changes FROM headline_changes WHERE url = ?", REC)
    assert tuple(change) == (C["reconstruction"]["headline"], C["reconstruction"]["headline"], 2)
    assert out["new"] == 0 and out["earlier"] >= 2


def test_health_reads_the_live_site_only_after_a_backfill(crawled_then_backfilled):
    db = crawled_then_backfilled[0]
    result = subprocess.run([sys.executable, "-m", "pipelines.cli", "health", "--db", str(db), "--json"],
                            cwd=ROOT, capture_output=True, text=True, check=False)
    report = json.loads(result.stdout)
    assert result.returncode == 0, result.stdout[:2000]  # old captures are no baseline for today's crawl
    assert [r["run_id"] for r in report["runs"]] == [1]
    assert [d["day"] for d in report["days"]] == [report["runs"][0]["started_at"][:10]]


def test_planner_learns_redirects_and_raw_pages_from_the_database(tmp_path):
    from pipelines.store import Store

    dated = "https://www.almodon.com/politics/2016/03/27/x"
    with Store(tmp_path / "a.db") as store:
        store.conn.execute("INSERT INTO discovered_urls (url, redirects_to, first_seen_at, last_seen_at) "
                           "VALUES ('https://www.almodon.com/politics/articles/31337', ?, 'x', 'x')", (dated,))
        store.add_raw(url="https://www.almodon.com/politics/2016/3/27/x", fetch_url=None, warc_file="f", offset=0,
                      length=1, fetched_at="2016-04-01T00:00:00Z", status=200, content_type=None, sha256="s",
                      run_id=None)
        store.conn.commit()
        planner = Planner.from_db(store.conn)
    numeric = planner.decide(Capture("wayback", "http://almodon.com/Politics/Articles/31337", "20160328000000"))
    assert (numeric.verdict, numeric.url) == ("fetch", dated)
    held = planner.decide(Capture("wayback", "http://almodon.com/politics/2016/03/27/x", "20160401000000"))
    assert held.verdict == "held"


def test_a_listed_redirect_teaches_the_alias_without_a_fetch():
    planner = Planner()
    dated = "https://www.almodon.com/politics/2016/03/27/x"
    moved = Capture("commoncrawl", "http://almodon.com/Politics/Articles/31337", "20160301000000", "R", 301,
                    filename="f", offset=0, length=1, redirect="https://www.almodon.com/politics/2016/3/27/x")
    assert planner.decide(moved).verdict == "redirect"
    later = planner.decide(Capture("commoncrawl", "http://almodon.com/Politics/Articles/31337", "20160302000000",
                                   "P", 200, filename="f", offset=1, length=1))
    assert (later.verdict, later.url) == ("fetch", dated)


def test_killed_commoncrawl_run_resumes_at_its_index_page(tmp_path):
    db = tmp_path / "archive.db"
    with FakeCCData() as data, FakeCCIndex(_cc_crawls(), data) as index:
        data.block_after = 3  # 2016: two captures; 2025 page 0: one; page 1's capture is held
        cmd = [sys.executable, "-m", "pipelines.cli", "backfill", "--db", str(db), "--source", "commoncrawl",
               "--endpoint", index.base_url, "--data-endpoint", data.base_url, *LOCAL, "-s", "DOWNLOAD_TIMEOUT=900"]
        with open(tmp_path / "out.log", "w") as log:
            proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            def checkpointed():
                if not data.held or not db.exists():
                    return False
                conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
                try:
                    return (conn.execute("SELECT count(*) FROM backfill_cursors").fetchone()[0] > 0
                            and conn.execute("SELECT count(*) FROM archive_captures").fetchone()[0] == 3)
                except sqlite3.OperationalError:
                    return False
                finally:
                    conn.close()

            _poll(checkpointed, "the run to checkpoint an index page and wait on a capture")
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        (cursor,) = query(db, "SELECT query, cursor FROM backfill_cursors")
        assert "CC-MAIN-2025-33" in cursor["query"] and cursor["cursor"] == "1"
        data.release()
        seen = len(index.log)
        second = backfill(db, "--source", "commoncrawl", "--endpoint", index.base_url,
                          "--data-endpoint", data.base_url)
        assert second.returncode == 0, second.stderr[-3000:]
        resumed = [p for p, _ in index.log[seen:] if "CC-MAIN-2025-33-index" in p and "page=" in p]
        assert resumed and not [p for p in resumed if "page=0" in p]  # page 0 was done: not asked again
        assert len(data.ranges) == len(set(data.ranges)) == 4  # no record fetched twice
    assert sorted(r["url"] for r in query(db, "SELECT url FROM articles")) == sorted([REC, TALKS])
    assert query(db, "SELECT count(*) FROM archive_captures")[0][0] == 4
