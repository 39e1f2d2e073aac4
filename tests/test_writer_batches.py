"""The crawl's one writer writes the calls that arrive together in one transaction
(``workers._serve_writer``): a result comes back only once its batch is committed, a failed call
changes nothing and costs the others nothing, and a writer killed with a batch open loses the
batch whole, which the next crawl finishes from the WARC archive. The batches here are held
open for an hour (``batch_seconds``), so what is in one batch does not depend on timing; waits
are bounded polls, never sleeps as synchronisation."""

from __future__ import annotations

import dataclasses
import os
import signal
import sqlite3
import time
from pathlib import Path

import pytest
from conftest import query
from golden import goldens

from pipelines import archive, process
from pipelines.workers import Writer

SERVED = [g for g in goldens("almodon") if g.is_article and g.fixture.get("in_replica", True)]
HOUR = 3600.0


def _page(golden, fetched_at: str = "2026-11-30T10:00:00Z") -> archive.Fetched:
    return archive.Fetched(url=golden.expected["url"], body=golden.html.read_bytes(),
                           headers={"content-type": golden.content_type}, fetched_at=fetched_at)


def _stored(page: archive.Fetched) -> tuple[dict, archive.Fetched]:
    """What the crawl sends the writer for a page: its record and the page without its body."""
    return process.prepare(page), dataclasses.replace(page, body=b"")


def _raw(page: archive.Fetched, loc: tuple[str, int, int], run_id: int) -> dict:
    name, offset, length = loc
    return {"url": page.url, "fetch_url": None, "warc_file": name, "offset": offset, "length": length,
            "fetched_at": page.fetched_at, "status": 200, "content_type": page.content_type,
            "sha256": page.sha256, "run_id": run_id}


def _write_locked(db: Path) -> bool:
    """True while another connection holds the database's write lock (an open batch)."""
    conn = sqlite3.connect(db, timeout=0)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.rollback()
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        conn.close()


def _wait(condition, what: str, limit: float = 180.0) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"gave up waiting for {what}")


def test_a_failed_call_in_a_batch_changes_nothing_and_the_others_are_stored(tmp_path):
    db = tmp_path / "w.db"
    writer = Writer(db, batch_seconds=HOUR)
    try:
        run = writer.run("start_run", job="crawl")  # a caller that waits is not kept an hour
        first, bad, last = (_stored(_page(g)) for g in SERVED[:3])
        # the middle record fails half-way through its upsert (its articles row is written, then
        # an image without a URL raises): the batch is rolled back and the others written again
        broken = {**bad[0], "images": [*bad[0]["images"], {"caption": "no url"}]}
        futures = [writer.submit("store", first[0], first[1], run),
                   writer.submit("store", broken, bad[1], run),
                   writer.submit("store", last[0], last[1], run)]
        assert writer.run("touch", "https://www.almodon.com/nothing", fetched_at="2026-11-30T10:00:00Z") is False
        assert futures[0].result() == "new" and futures[2].result() == "new"
        assert isinstance(futures[1].exception(), KeyError)
        # the writer goes on: the record, mended, is stored by a later batch
        assert writer.run("store", bad[0], bad[1], run) == "new"
    finally:
        writer.close()
    urls = [first[0]["url"], last[0]["url"], bad[0]["url"]]  # the failed attempt took no id
    assert [r[0] for r in query(db, "SELECT url FROM articles ORDER BY id")] == urls
    assert query(db, "SELECT count(*) FROM article_versions")[0][0] == 3
    assert [r[0] for r in query(db, "SELECT outcome FROM extractions ORDER BY id")] == ["new"] * 3
    images = query(db, "SELECT count(*) FROM images i JOIN articles a ON a.id = i.article_id WHERE a.url = ?",
                   bad[0]["url"])[0][0]
    assert images == len(bad[0]["images"])  # nothing of the failed attempt is left
    assert query(db, "SELECT count(*) FROM article_fts")[0][0] == 3
    assert query(db, "PRAGMA integrity_check")[0][0] == "ok"


def test_a_writer_killed_with_a_batch_open_loses_it_whole_and_the_next_crawl_finishes_it(
        tmp_path, replica, crawl):
    db = tmp_path / "k.db"
    pages = [_page(g) for g in SERVED[:3]]
    writer = Writer(db, batch_seconds=HOUR)
    run = writer.run("start_run", job="crawl", mode="archive")  # committed: the caller waited
    warc = archive.WarcWriter(db.parent / "warc")
    locs = [warc.write(p) for p in pages]  # raw first: the WARC records are on disk
    warc.close()
    for page, loc in zip(pages, locs, strict=True):
        writer.submit("raw", **_raw(page, loc, run))
        writer.submit("store", *_stored(page), run)
    _wait(lambda: _write_locked(db), "the writer to open its batch")
    os.kill(writer._lane.process.pid, signal.SIGKILL)
    writer._lane.process.join(timeout=60)
    writer._lane.conn.close()
    # nothing of the batch is in the database, and the run is still marked running
    assert query(db, "PRAGMA integrity_check")[0][0] == "ok"
    assert query(db, "SELECT count(*) FROM raw_pages")[0][0] == 0
    assert query(db, "SELECT count(*) FROM articles")[0][0] == 0
    assert query(db, "SELECT status FROM crawl_runs")[0][0] == "running"
    # the next crawl (of one other article) first finishes the three archived pages, once each
    other = SERVED[3]
    result = crawl(replica.base_url, db, mode="urls",
                   args={"url": replica.base_url + other.expected["url"].split("almodon.com", 1)[1]})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "'almodon/recovered': 3" in result.stderr, result.stderr[-3000:]
    stored = {r[0] for r in query(db, "SELECT url FROM articles")}
    assert stored == {p.url for p in pages} | {other.expected["url"]}
    assert query(db, "SELECT count(*) FROM article_versions")[0][0] == 4
    assert query(db, "SELECT count(*) = count(DISTINCT url || content_hash) FROM raw_pages")[0][0] == 1
    assert [r[0] for r in query(db, "SELECT status FROM crawl_runs ORDER BY id")] == ["interrupted", "ok"]


def test_a_writer_that_dies_fails_its_calls_and_is_no_longer_read(tmp_path):
    """The Scrapy process reads the writer's pipe from its event loop; at EOF ``poll()`` stays
    true, so reading must stop once the child is found dead (else the loop spins for ever)."""
    import asyncio
    import threading

    writer = Writer(tmp_path / "d.db", batch_seconds=HOUR)
    lane = writer._lane
    loop = asyncio.new_event_loop()
    try:
        writer.run("start_run", job="crawl")
        lane._loop = loop  # as _watch() does inside the crawl's running loop
        loop.add_reader(lane.conn.fileno(), lane._readable)
        pending = writer.submit("touch", "https://www.almodon.com/x", fetched_at="2026-11-30T10:00:00Z")
        lane.process.kill()
        lane.process.join(timeout=60)
        reader = threading.Thread(target=lane._readable, daemon=True)
        reader.start()
        reader.join(timeout=60)
        assert not reader.is_alive()
        error = pending.exception(timeout=60)  # a hang fails here instead of stopping the suite
        assert isinstance(error, RuntimeError) and "died" in str(error)
        assert lane._loop is None
    finally:
        loop.close()
        lane.conn.close()
