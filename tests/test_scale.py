"""Issue 15: the crawl with extraction in worker processes, its boundaries and its recovery after a
SIGKILL; reparse on a Dask cluster (scheduler + two workers on loopback, as subprocesses); the
Parquet export read back. No test depends on timing: waits are bounded polls with generous
limits, never sleeps as synchronisation or wall-clock asserts."""

from __future__ import annotations

import ast
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, query
from golden import goldens

from pipelines import archive, recover
from pipelines.scope import SETTING, Scope
from pipelines.store import Store

SERVED = [g for g in goldens("almodon") if g.is_article and g.fixture.get("in_replica", True)]
BIN = Path(sys.executable).parent


def _wait(condition, what: str, limit: float = 180.0, every: float = 0.1):
    """Poll ``condition`` until true; fail (not hang) after a generous bound."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    pytest.fail(f"gave up waiting for {what}")


def _count(db: Path, sql: str) -> int:
    if not db.exists():
        return 0
    try:
        return query(db, sql)[0][0]
    except sqlite3.OperationalError:
        return 0


# -- boundaries ------------------------------------------------------------------------------
def test_the_spider_never_opens_a_writable_store():
    source = (ROOT / "scrapers/spiders/almodon.py").read_text()
    tree = ast.parse(source)
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert "Store" not in imported and "pipelines.store" not in imported
    assert "Store(" not in source


def test_pipelines_do_not_read_the_spiders_attributes():
    tree = ast.parse((ROOT / "pipelines/scrapy_pipelines.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            assert node.value.id != "spider", f"spider.{node.attr} read at line {node.lineno}"
        if isinstance(node, ast.Attribute) and node.attr == "spider":
            pytest.fail(f"crawler.spider read at line {node.lineno}")
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "getattr":
            assert getattr(node.args[0], "id", "") != "spider", f"getattr(spider, …) at line {node.lineno}"


def test_the_spider_publishes_its_scope_in_the_crawler_settings():
    from scrapy.crawler import Crawler

    from scrapers.spiders.almodon import AlmodonSpider

    crawler = Crawler(AlmodonSpider, {})  # settings not yet frozen, as when Scrapy creates the spider
    AlmodonSpider.from_crawler(crawler, base_url="http://127.0.0.1:9", mode="archive",
                               since="2024-01-01", until="2024-12-31")
    scope = Scope.from_setting(crawler.settings.getdict(SETTING))
    assert scope == Scope(mode="archive", base_url="http://127.0.0.1:9", since="2024-01-01", until="2024-12-31",
                          extra_hosts=("127.0.0.1:9",), job="crawl")
    assert scope.in_window("2024-06-01") and not scope.in_window("2025-01-01")


def test_the_seen_set_is_read_only_and_a_missing_database_is_empty(tmp_path):
    from pipelines import seen

    assert seen.seen_urls(tmp_path / "none.db") == frozenset()
    assert not (tmp_path / "none.db").exists()
    db = tmp_path / "a.db"
    Store(db).close()
    before = db.stat().st_mtime_ns
    assert seen.seen_urls(db) == frozenset()
    assert db.stat().st_mtime_ns == before


# -- recovery ------------------------------------------------------------------------------
def test_recovery_finds_unindexed_and_unstored_pages_and_ignores_a_cut_record(tmp_path):
    db, warc_dir = tmp_path / "r.db", tmp_path / "warc"
    pages = [archive.Fetched(url=f"https://www.almodon.com/politics/2024/04/0{i}/x{i}", body=b"<p>%d</p>" % i * 50,
                             headers={"content-type": "text/html"}, fetched_at="2026-11-30T10:00:00Z")
             for i in range(4)]
    with Store(db) as store:
        run = store.start_run(job="crawl")  # never finished: a killed run
        writer = archive.WarcWriter(warc_dir)
        locs = [writer.write(p) for p in pages]
        writer.close()
        # page 0: indexed and skipped (done); page 1: indexed, no outcome; 2, 3: not indexed
        for p, (name, offset, length) in list(zip(pages, locs, strict=True))[:2]:
            store.add_raw(url=p.url, fetch_url=None, warc_file=name, offset=offset, length=length,
                          fetched_at=p.fetched_at, status=200, content_type="text/html", sha256=p.sha256, run_id=run)
        store.record_skip(run, pages[0].url, "listing")
    path = warc_dir / locs[0][0]
    path.write_bytes(path.read_bytes()[:-20])  # the kill cut the last record short
    conn = sqlite3.connect(db)
    try:
        found = list(recover.unfinished(conn, warc_dir, run_id=99))
    finally:
        conn.close()
    assert [u.page.url for u in found] == [pages[1].url, pages[2].url]
    assert found[0].raw is None
    assert found[1].raw["offset"] == locs[2][1] and found[1].raw["length"] == locs[2][2]
    assert found[1].page.body == pages[2].body


def _crawl_cmd(base_url: str, db: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "scrapy", "crawl", "almodon", "-a", f"base_url={base_url}", "-a", "mode=archive",
            "-s", f"ALMODON_DB={db}", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
            "-s", "LOG_LEVEL=WARNING", *extra]


def test_sigkill_of_a_crawl_with_extraction_workers_loses_and_doubles_nothing(tmp_path, replica, crawl):
    db = tmp_path / "k.db"
    proc = subprocess.Popen(_crawl_cmd(replica.base_url, db, "-s", "ALMODON_EXTRACT_WORKERS=2",
                                       "-s", "CONCURRENT_REQUESTS=2"),
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(lambda: _count(db, "SELECT count(*) FROM articles") >= 2 or proc.poll() is not None, "articles")
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert query(db, "PRAGMA integrity_check")[0][0] == "ok"
    result = crawl(replica.base_url, db, settings={"ALMODON_EXTRACT_WORKERS": "2"})
    assert result.returncode == 0, result.stderr[-2000:]
    urls = sorted(r[0] for r in query(db, "SELECT url FROM articles"))
    assert urls == sorted(g.expected["url"] for g in SERVED)
    assert query(db, "SELECT count(*) FROM article_versions")[0][0] == len(SERVED)
    # each archived body indexed once
    assert query(db, "SELECT count(*) = count(DISTINCT url || content_hash) FROM raw_pages")[0][0] == 1
    assert [r[0] for r in query(db, "SELECT status FROM crawl_runs ORDER BY id")][-1] == "ok"


# -- Dask --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def archive_db(tmp_path_factory):
    """A crawl of the replica whose archive is spread over several WARC files (small rotation)."""
    from conftest import run_crawl
    from replica.server import Replica

    db = tmp_path_factory.mktemp("arch") / "a.db"
    with Replica(port=0) as rep:
        result = run_crawl(rep.base_url, db, settings={"ALMODON_WARC_MAX_BYTES": "30000"})
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(list((db.parent / "warc").glob("*.warc.gz"))) >= 3
    return db


class Cluster:
    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.file = directory / "scheduler.json"
        self.procs: list[subprocess.Popen] = []
        self.logs: list = []

    def start(self) -> Cluster:
        self.procs.append(self._spawn([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
                                       "--no-dashboard", "--scheduler-file", str(self.file)], "scheduler"))
        _wait(self.file.exists, "the scheduler file")
        self.workers = [self.add_worker(i) for i in range(2)]
        self.wait_for_workers(2)
        return self

    def _spawn(self, cmd, name):
        log = open(self.dir / f"{name}.log", "w")  # noqa: SIM115 - closed in stop()
        self.logs.append(log)
        return subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)

    def add_worker(self, i: int) -> subprocess.Popen:
        proc = self._spawn([str(BIN / "dask"), "worker", "--scheduler-file", str(self.file), "--nthreads", "1",
                            "--no-nanny", "--no-dashboard", "--host", "127.0.0.1",
                            "--local-directory", str(self.dir / f"w{i}")], f"worker{i}")
        self.procs.append(proc)
        return proc

    @property
    def address(self) -> str:
        import json

        return json.loads(self.file.read_text())["address"]

    def wait_for_workers(self, n: int) -> None:
        from distributed import Client

        with Client(self.address, timeout="120s") as client:
            client.wait_for_workers(n, timeout=180)

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in self.logs:
            log.close()


@pytest.fixture
def cluster(tmp_path):
    """A cluster of its own (for the test that kills one of its workers)."""
    c = Cluster(tmp_path)
    try:
        yield c.start()
    finally:
        c.stop()


@pytest.fixture(scope="module")
def shared_cluster(tmp_path_factory):
    c = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        yield c.start()
    finally:
        c.stop()


#: Columns that hold the run or the wall clock of the job, not the archive's content.
_VOLATILE = {"id", "at", "started_at", "finished_at", "args"}


def _dump(db: Path) -> dict[str, list]:
    out = {}
    conn = sqlite3.connect(db)
    try:
        for table in ("articles", "images", "article_versions", "article_authors", "authors", "article_tags",
                      "tags", "article_aliases", "skipped_pages", "extractions"):
            cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[1] not in _VOLATILE]
            out[table] = sorted(map(repr, conn.execute(f"SELECT {', '.join(cols)} FROM {table}")))
        out["runs"] = [tuple(r) for r in conn.execute(
            "SELECT job, new, updated, unchanged, skipped, failed, skipped_reasons, status FROM crawl_runs")]
    finally:
        conn.close()
    return out


def _almodon(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "almodon"), *args], cwd=ROOT, capture_output=True, text=True, check=False)


def test_reparse_on_a_dask_cluster_gives_the_local_database(archive_db, shared_cluster, tmp_path):
    cluster = shared_cluster
    local, remote = tmp_path / "local.db", tmp_path / "remote.db"
    assert _almodon("reparse", "--db", str(archive_db), "--into", str(local), "--workers", "1").returncode == 0
    shards = tmp_path / "shards"
    result = _almodon("reparse", "--db", str(archive_db), "--into", str(remote), "--scheduler", cluster.address,
                      "--shards", str(shards))
    assert result.returncode == 0, result.stderr[-3000:]
    files = len(list((archive_db.parent / "warc").glob("*.warc.gz")))
    assert len(list(shards.glob("*.parquet"))) == files  # one task, one shard per WARC file
    assert not list(shards.glob(".*.tmp"))
    assert _dump(remote) == _dump(local)
    assert _count(remote, "SELECT count(*) FROM articles") == len(SERVED)
    # the loader again over the same shards adds nothing twice
    again = _almodon("reparse", "--db", str(archive_db), "--into", str(remote), "--scheduler", cluster.address,
                     "--shards", str(shards))
    assert again.returncode == 0, again.stderr[-3000:]
    assert _count(remote, "SELECT count(*) FROM article_versions") == len(SERVED)
    assert f'"unchanged": {len(SERVED)}' in again.stdout


def test_killing_a_worker_mid_run_changes_nothing(archive_db, cluster, tmp_path):
    local, remote = tmp_path / "local.db", tmp_path / "remote.db"
    assert _almodon("reparse", "--db", str(archive_db), "--into", str(local), "--workers", "1").returncode == 0
    shards = tmp_path / "shards"
    job = subprocess.Popen([str(BIN / "almodon"), "reparse", "--db", str(archive_db), "--into", str(remote),
                            "--scheduler", cluster.address, "--shards", str(shards)],
                           cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait(lambda: list(shards.glob("*.parquet")) or job.poll() is not None, "a first shard")
        cluster.workers[0].send_signal(signal.SIGKILL)
        _out, err = job.communicate(timeout=600)
    finally:
        if job.poll() is None:
            job.kill()
            job.wait()
    assert job.returncode == 0, err[-3000:]
    assert cluster.workers[0].wait(timeout=60) == -signal.SIGKILL
    assert _dump(remote) == _dump(local)


def test_import_warc_on_a_dask_cluster_equals_the_local_import(archive_db, shared_cluster, tmp_path):
    cluster = shared_cluster
    files = sorted(str(p) for p in (archive_db.parent / "warc").glob("*.warc.gz"))
    local, remote = tmp_path / "l" / "i.db", tmp_path / "r" / "i.db"
    assert _almodon("import-warc", "--db", str(local), "--workers", "1", *files).returncode == 0
    result = _almodon("import-warc", "--db", str(remote), "--scheduler", cluster.address, *files)
    assert result.returncode == 0, result.stderr[-3000:]
    assert _dump(remote) == _dump(local)
    # imported pages are kept in the archive's own WARC files too, as locally
    assert _count(remote, "SELECT count(*) FROM raw_pages") == _count(local, "SELECT count(*) FROM raw_pages") > 0


def test_scheduler_unreachable_is_one_clear_line(archive_db, tmp_path):
    result = _almodon("reparse", "--db", str(archive_db), "--into", str(tmp_path / "x.db"),
                      "--scheduler", "tcp://127.0.0.1:9", "--shards", str(tmp_path / "s"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0, result.stderr


# -- Parquet export ----------------------------------------------------------------------------
def test_parquet_export_reads_back_as_the_sqlite_rows(archive_db, tmp_path):
    import pyarrow.dataset as ds

    out = tmp_path / "pq"
    result = _almodon("export", "--db", str(archive_db), "--format", "parquet", "-o", str(out))
    assert result.returncode == 0, result.stderr
    conn = sqlite3.connect(archive_db)
    try:
        for name, table, extra in (("articles", "articles", ""), ("images", "images", ""),
                                   ("versions", "article_versions", ""), ("authors", "article_authors", "author")):
            cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
            got = ds.dataset(out / name, format="parquet", partitioning="hive").to_table().to_pylist()
            assert len(got) > 0
            sql = f"SELECT {', '.join('t.' + c for c in cols)}"
            if extra:
                sql += " , au.name FROM article_authors t JOIN authors au ON au.id = t.author_id"
            else:
                sql += f" FROM {table} t"
            expected = sorted(map(repr, conn.execute(sql)))
            names = [*cols, extra] if extra else cols
            assert sorted(repr(tuple(row[c] for c in names)) for row in got) == expected
            assert {str(row["year"]) for row in got} <= {r[0] for r in conn.execute(
                "SELECT DISTINCT substr(published_date, 1, 4) FROM articles")}
        assert min((out / "articles").iterdir()).name.startswith("year=")
    finally:
        conn.close()


def test_the_next_crawl_stores_what_a_killed_run_archived_but_did_not(tmp_path, replica, crawl):
    """The state a SIGKILL can leave, made by hand: a run still marked running, one page in the
    WARC archive with its raw_pages row but no article, one page in the WARC archive only."""
    db = tmp_path / "rec.db"
    indexed, unindexed = SERVED[0], SERVED[1]
    pages = [archive.Fetched(url=g.expected["url"], body=g.html.read_bytes(), headers={"content-type": g.content_type},
                             fetched_at="2026-11-30T10:00:00Z") for g in (indexed, unindexed)]
    with Store(db) as store:
        run = store.start_run(job="crawl", mode="urls")
        writer = archive.WarcWriter(tmp_path / "warc")
        locs = [writer.write(p) for p in pages]
        writer.close()
        name, offset, length = locs[0]
        store.add_raw(url=pages[0].url, fetch_url=None, warc_file=name, offset=offset, length=length,
                      fetched_at=pages[0].fetched_at, status=200, content_type=pages[0].content_type,
                      sha256=pages[0].sha256, run_id=run)
    # a crawl of one other article: it first finishes the two archived pages
    other = SERVED[2]
    result = crawl(replica.base_url, db, mode="urls", args={"url": replica.base_url + other.expected["url"].split(
        "almodon.com", 1)[1]})
    assert result.returncode == 0, result.stderr[-2000:]
    assert "'almodon/recovered': 2" in result.stderr, result.stderr[-3000:]
    stored = {r[0] for r in query(db, "SELECT url FROM articles")}
    assert {indexed.expected["url"], unindexed.expected["url"], other.expected["url"]} <= stored
    assert query(db, "SELECT count(*) FROM raw_pages WHERE url = ?", pages[1].url)[0][0] == 1
    assert [r[0] for r in query(db, "SELECT status FROM crawl_runs ORDER BY id")] == ["interrupted", "ok"]
    # and a third run finds nothing left to finish
    again = crawl(replica.base_url, db, mode="urls", args={"url": replica.base_url + other.expected["url"].split(
        "almodon.com", 1)[1]})
    assert again.returncode == 0 and "almodon/recovered" not in again.stderr
    assert query(db, "SELECT count(*) FROM article_versions")[0][0] == 3


def test_export_fields_are_columns_of_schema_sql(tmp_path):
    """The JSONL/CSV export's field selection names columns the schema really has (PRAGMA)."""
    from pipelines.export import FIELDS
    from pipelines.export_parquet import columns

    with Store(tmp_path / "c.db") as store:
        have = {name for name, _ in columns(store.conn, "articles")}
    assert set(FIELDS) <= have
