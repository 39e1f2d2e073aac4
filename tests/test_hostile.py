"""Hostile and careless input, as a table: command → exit status → exactly ONE line on stderr,
never a traceback (README, "Exit statuses"). Then what the table cannot show in one row: nothing
written to a foreign database, no run left ``running``, a cut WARC counted, Ctrl-C during a
reparse, a full disk during an import and a crawl, and every reading command on a read-only
copy of an archive in a read-only directory.

Every row runs the installed ``almodon`` console script (or ``scrapy crawl``) in a subprocess,
as a user would.
"""

from __future__ import annotations

import ctypes
import errno
import gzip
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, json_when_up, query, run_crawl
from golden import goldens
from warcio.archiveiterator import ArchiveIterator

from pipelines import archive
from pipelines.cli import main
from pipelines.lock import db_lock
from pipelines.store import Store
from scrapers import settings

ALMODON = str(Path(sys.executable).parent / "almodon")
SEED = ROOT / "tests" / "fixtures" / "almodon" / "seed-2024-04-26.html"
DAMAGED = r"almodon: \S+ is damaged \(run PRAGMA integrity_check\)"
FOREIGN = r"almodon: \S+ is not an Al-Modon archive"


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """A crawled archive and hostile files beside it."""
    from replica.server import Replica

    tmp = tmp_path_factory.mktemp("hostile")
    db = tmp / "archive.db"
    with Replica(port=0) as rep:
        assert run_crawl(rep.base_url, db).returncode == 0
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = db.read_bytes()
    (warc,) = (tmp / "warc").iterdir()
    raw = warc.read_bytes()
    out = {"db": db, "dir": tmp}

    def make(key: str, name: str, content: bytes) -> None:
        out[key] = tmp / name
        out[key].write_bytes(content)

    make("trunc", "trunc.db", data[: len(data) // 2])
    # header intact, pages after the first overwritten: the file "looks" fine until read
    make("overwritten", "overwritten.db", data[:4096] + b"\x5a" * (len(data) - 4096))
    make("text", "notes.db", b"these are my notes, not a database\n")
    make("empty", "empty.db", b"")
    make("notwarc", "notes.warc.gz", b"hello\n")
    make("emptywarc", "empty.warc.gz", b"")
    make("cutwarc", "cut.warc.gz", raw[: _middle_of_a_record(warc)])
    other = tmp / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    out["other"] = other
    copied = tmp / "copied"  # a database copied without its warc/ folder
    copied.mkdir()
    shutil.copy(db, copied / "archive.db")
    out["copied"] = copied / "archive.db"
    return out


def _record_spans(warc: Path) -> list[tuple[int, int]]:
    """``(start, end)`` of each record (gzip member) of a WARC file."""
    spans = []
    with open(warc, "rb") as fh:
        records = ArchiveIterator(fh)
        for record in records:
            record.content_stream().read()
            start = records.get_record_offset()
            spans.append((start, start + records.get_record_length()))
    return spans


def _middle_of_a_record(warc: Path) -> int:
    """A cut "in half" that really cuts a record: the middle of the middle record."""
    spans = _record_spans(warc)
    start, end = spans[len(spans) // 2]
    return (start + end) // 2


def _run(args: list[str], cwd: Path | None = None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, check=False, cwd=cwd or ROOT, **kwargs)


def _one_line(result: subprocess.CompletedProcess, status: int, pattern: str) -> str:
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr[-3000:]
    assert re.fullmatch(pattern, lines[0]), lines[0]
    assert result.returncode == status, (result.returncode, lines[0])
    return lines[0]


#: (name, arguments after `almodon` with {placeholders} from ``files``, exit status, the line).
ROWS = [
    # databases that are not an archive, for every command that opens one
    *[(f"{cmd}-{kind}", [*args, "--db", f"{{{kind}}}"], 1, line)
      for cmd, args in [("summary", ["summary"]), ("health", ["health"]), ("search", ["search", "طهران"]),
                        ("export", ["export"]), ("serve", ["serve", "--metadata"]), ("reparse", ["reparse"]),
                        ("coverage", ["coverage"])]
      for kind, line in [("trunc", DAMAGED), ("text", FOREIGN), ("other", FOREIGN), ("empty", FOREIGN)]],
    *[(f"{cmd}-overwritten", [cmd, "--db", "{overwritten}"], 1, DAMAGED) for cmd in ("summary", "health")],
    *[(f"{cmd}-missing", [cmd, "--db", "{dir}/nope.db"], 1, r"almodon: no such database: \S+/nope.db")
      for cmd in ("summary", "health", "export", "reparse")],
    ("import-warc-into-foreign-db", ["import-warc", "--db", "{other}", "{cutwarc}"], 1, FOREIGN),
    ("import-warc-not-a-warc", ["import-warc", "--db", "{dir}/new.db", "{notwarc}"], 1,
     r"almodon: \S+notes.warc.gz is not a WARC file \(expected WARC/1.0 or WARC/1.1 records, gzipped or not\)"),
    ("import-warc-empty-file", ["import-warc", "--db", "{dir}/new.db", "{emptywarc}"], 1,
     r"almodon: \S+empty.warc.gz: empty file, no records"),
    ("reparse-missing-warc-dir", ["reparse", "--db", "{copied}"], 1,
     (r"almodon: no WARC directory \S+/copied/warc \(the raw pages of \S+, e.g. almodon-\S+\.warc\.gz, "
      r"are kept there\): give their directory with --warc-dir")),
    ("reparse-since-garbage", ["reparse", "--db", "{db}", "--since", "garbage"], 1,
     r"almodon: Invalid value for '--since': 'garbage' is not a day YYYY-MM-DD \(see .*--help`\)"),
    ("search-since-garbage", ["search", "طهران", "--db", "{db}", "--since", "garbage"], 1,
     r"almodon: not a day: 'garbage' \(YYYY-MM-DD, YYYY-MM or YYYY\)"),
    ("export-since-impossible-day", ["export", "--db", "{db}", "--since", "2024-02-31"], 1,
     r"almodon: Invalid value for '--since': '2024-02-31' is not a day YYYY-MM-DD \(see .*--help`\)"),
    ("search-since-after-until", ["search", "طهران", "--db", "{db}", "--since", "2024-05-01", "--until", "2024-01-01"],
     1, r"almodon: --since 2024-05-01 is after --until 2024-01-01: nothing to select \(see .*--help`\)"),
    ("export-since-after-until", ["export", "--db", "{db}", "--since", "2024-05-01", "--until", "2024-01-01"],
     1, r"almodon: --since 2024-05-01 is after --until 2024-01-01: nothing to select \(see .*--help`\)"),
    ("export-into-missing-directory", ["export", "--db", "{db}", "-o", "{dir}/no/such/dir/out.jsonl"], 1,
     r"almodon: no such directory: \S+/no/such/dir \(create it first\)"),
    ("extract-malformed-url", ["extract", "http://[::1/x"], 1,
     r"almodon: Invalid value for SOURCE: 'http://\[::1/x' is not a valid URL \(Invalid IPv6 URL\) \(see .*--help`\)"),
    ("extract-malformed-original-url", ["extract", str(SEED), "--url", "http://[::1/x"], 1,
     r"almodon: Invalid value for --url: 'http://\[::1/x' is not a valid URL \(Invalid IPv6 URL\) \(see .*--help`\)"),
    ("extract-fetched-at-garbage", ["extract", str(SEED), "--fetched-at", "garbage"], 1,
     r"almodon: Invalid value for --fetched-at: 'garbage' is not an ISO 8601 time .*"),
    ("extract-not-an-article", ["extract", str(ROOT / "tests/fixtures/almodon/x-soft404.html")], 1,
     r"almodon: not an article: .*"),
    ("dates-reference-garbage", ["dates", "أمس", "--reference", "garbage"], 1, r"almodon: .*'garbage'.*"),
    ("dates-impossible-day", ["dates", "31/02/2024"], 1, r"almodon: no real date: 31/02/2024 names no day .*"),
    ("unknown-option", ["summary", "--frobnicate"], 1, r"almodon: No such option '--frobnicate'\. \(see .*--help`\)"),
]


@pytest.mark.parametrize(("name", "args", "status", "line"), ROWS, ids=[r[0] for r in ROWS])
def test_one_clear_line(files, name, args, status, line):
    result = _run([ALMODON, *(a.format(**files) for a in args)])
    _one_line(result, status, line)
    assert result.stdout == "" or not result.stdout.lstrip().startswith("OK")


#: `scrapy crawl almodon -a …`: refused before Scrapy starts (no log at all), no run row.
SPIDER_ROWS = [
    ("mode-foo", ["mode=foo"], r"almodon: mode='foo': expected one of latest, archive, urls, refresh"),
    ("since-notadate", ["since=notadate"], r"almodon: since='notadate': expected a real day YYYY-MM-DD"),
    ("since-impossible", ["since=2024-02-31"], r"almodon: since='2024-02-31': expected a real day YYYY-MM-DD"),
    ("base-url-no-scheme", ["base_url=www.almodon.com"],
     r"almodon: base_url='www.almodon.com': expected an http\(s\) URL such as http://127.0.0.1:8765"),
    ("since-after-until", ["mode=archive", "since=2024-05-01", "until=2024-01-01"],
     r"almodon: since=2024-05-01 is after until=2024-01-01: nothing to crawl"),
    ("unknown-argument", ["mdoe=archive"], r"almodon: unknown spider argument 'mdoe': expected mode, since, until, url, base_url"),
    ("url-on-another-host", ["url=https://example.com/politics/2024/04/26/x"],
     r"almodon: url='https://example.com/politics/2024/04/26/x': not on almodon.com or www.almodon.com"),
]


@pytest.mark.parametrize(("name", "spargs", "line"), SPIDER_ROWS, ids=[r[0] for r in SPIDER_ROWS])
def test_bad_spider_arguments_are_refused_before_the_crawl(tmp_path, name, spargs, line):
    db = tmp_path / "crawl.db"
    cmd = [sys.executable, "-m", "scrapy", "crawl", "almodon", "-s", f"ALMODON_DB={db}"]
    for arg in spargs:
        cmd += ["-a", arg]
    _one_line(_run(cmd), 1, line)
    assert not db.exists()  # no run happened: no database, no crawl_runs row


@pytest.mark.parametrize("kind", ["other", "text", "trunc"])
def test_a_crawl_refuses_a_database_that_is_not_an_archive(files, kind):
    before = files[kind].read_bytes()
    result = _run([sys.executable, "-m", "scrapy", "crawl", "almodon", "-s", f"ALMODON_DB={files[kind]}"])
    _one_line(result, 1, DAMAGED if kind == "trunc" else FOREIGN)
    assert files[kind].read_bytes() == before


# -- what one row cannot show ---------------------------------------------------------------------
def test_writers_add_nothing_to_a_foreign_database(files):
    for args in (["reparse", "--db", str(files["other"])],
                 ["import-warc", "--db", str(files["other"]), str(files["cutwarc"])]):
        _one_line(_run([ALMODON, *args]), 1, FOREIGN)
    assert [r[0] for r in query(files["other"], "SELECT name FROM sqlite_master")] == ["invoices"]
    assert not Path(f"{files['other']}.lock").exists()


def test_import_of_a_non_warc_leaves_no_run_and_no_database(files, tmp_path):
    db = tmp_path / "fresh.db"
    _one_line(_run([ALMODON, "import-warc", "--db", str(db), str(files["notwarc"])]), 1, r"almodon: .* is not a WARC file.*")
    assert not db.exists()
    existing = tmp_path / "existing.db"
    shutil.copy(files["db"], existing)
    _run([ALMODON, "import-warc", "--db", str(existing), str(files["notwarc"])])
    assert query(existing, "SELECT count(*) FROM crawl_runs WHERE status = 'running'")[0][0] == 0


def test_a_warc_cut_in_half_is_counted_and_fails_with_a_summary(files, tmp_path):
    db = tmp_path / "cut.db"
    result = _run([ALMODON, "import-warc", "--db", str(db), "--workers", "1", str(files["cutwarc"])])
    line = _one_line(result, 1, r"almodon: run 1 failed: 1 truncated \(\d+ pages stored; see skipped_pages\)")
    summary = json.loads(result.stdout)
    assert summary["status"] == "failed" and summary["failed_reasons"] == {"truncated": 1}
    stored = int(re.search(r"\((\d+) pages stored", line).group(1))
    assert stored > 0 and stored == summary.get("new", 0)  # the pages before the cut are in
    (run,) = query(db, "SELECT status, exit_code, failed FROM crawl_runs")
    assert tuple(run) == ("failed", 1, 1)
    (skip,) = query(db, "SELECT detail FROM skipped_pages WHERE reason = 'truncated'")
    assert "cut short" in skip["detail"]


def test_a_warc_cut_anywhere_is_seen_by_the_reader(files, tmp_path):
    """Cut at 40 points across the file (inside a record's WARC headers, its HTTP headers, its
    body, or between records): the pages before the cut come out whole, and a cut inside a
    record is reported, once; a cut between records leaves nothing to report."""
    (warc,) = (files["dir"] / "warc").iterdir()
    raw = warc.read_bytes()
    whole = list(archive.iter_warc(warc))
    ends = {end for _, end in _record_spans(warc)}  # where each record (one gzip member) ends
    cut_file = tmp_path / "cut.warc.gz"
    for size in range(97, len(raw), len(raw) // 40):
        cut_file.write_bytes(raw[:size])
        cuts: list[archive.Cut] = []
        pages = list(archive.iter_warc(cut_file, on_cut=cuts.append))
        assert [p.sha256 for p in pages] == [p.sha256 for p in whole[: len(pages)]], size
        assert len(cuts) == (0 if size in ends else 1), (size, cuts)
        assert len(pages) == sum(1 for end in ends if end <= size), size


@pytest.mark.parametrize("job", ["reparse", "import-warc"])
def test_another_job_holding_the_database_is_exit_2(files, tmp_path, job):
    db = tmp_path / "locked.db"
    shutil.copy(files["db"], db)
    args = ["reparse", "--db", str(db), "--warc-dir", str(files["dir"] / "warc")] if job == "reparse" else [
        "import-warc", "--db", str(db), str(next((files["dir"] / "warc").iterdir()))]
    with db_lock(db):
        result = _run([ALMODON, *args])
    _one_line(result, 2, rf"almodon: another job \(pid {os.getpid()}\) is writing \S+; not starting a second one")


def test_search_minus_word_is_an_exclusion_not_an_option(files):
    both = _run([ALMODON, "search", "طهران", "--db", str(files["db"]), "--json"])
    assert both.returncode == 0, both.stderr
    assert len(json.loads(both.stdout)) == 1  # the seed article: وطهران … وروسيا
    excluded = _run([ALMODON, "search", "طهران", "-روسيا", "--db", str(files["db"]), "--json"])
    assert excluded.returncode == 0 and "Traceback" not in excluded.stderr, excluded.stderr
    assert json.loads(excluded.stdout) == []
    alone = _run([ALMODON, "search", "-روسيا", "--db", str(files["db"])])
    assert alone.returncode == 0 and "No such option" not in alone.stderr


# -- Ctrl-C, full disk ---------------------------------------------------------------------------
def _big_archive(tmp: Path, pages: int) -> Path:
    """An archive whose raw index points at ``pages`` archived copies of the seed page under
    different addresses (nothing extracted yet): a reparse with work to do."""
    db = tmp / "big.db"
    writer = archive.WarcWriter(tmp / "warc")
    body = SEED.read_bytes()
    with Store(db) as store:
        for i in range(pages):
            page = archive.Fetched(url=f"https://www.almodon.com/arabworld/2024/04/26/copy-{i}", body=body,
                                   headers={"content-type": "text/html; charset=utf-8"},
                                   fetched_at="2026-11-01T10:00:00Z")
            name, offset, length = writer.write(page)
            store.add_raw(url=page.url, fetch_url=None, warc_file=name, offset=offset, length=length,
                          fetched_at=page.fetched_at, status=200, content_type=page.content_type,
                          sha256=page.sha256, run_id=None)
    writer.close()
    return db


def _sigint_default() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_during_reparse_is_one_line_and_the_workers_exit_quietly(tmp_path):
    db = _big_archive(tmp_path, 1500)
    # a command typed at a terminal starts with SIGINT at its default; a suite started in the
    # background by a non-interactive shell (CI, `make test &`) has it ignored, which the child
    # would inherit (and Python then installs no KeyboardInterrupt handler)
    proc = subprocess.Popen([ALMODON, "reparse", "--db", str(db), "--workers", "2"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=_sigint_default)  # noqa: PLW1509 - only a signal reset before exec
    try:
        # the signal goes in while pages are being stored (workers up, SIGINT not ignored)
        deadline = time.monotonic() + 600
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                if query(db, "SELECT count(*) FROM extractions")[0][0] > 0:
                    break
            except sqlite3.OperationalError:
                pass
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGINT)  # what the terminal does on Ctrl-C: the whole group
        _, stderr = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    result = subprocess.CompletedProcess(proc.args, proc.returncode, "", stderr)
    _one_line(result, 1, r"almodon: interrupted; run it again to continue")
    (run,) = query(db, "SELECT status, exit_code FROM crawl_runs")
    assert tuple(run) == ("interrupted", 1)
    stored = query(db, "SELECT count(*) FROM articles")[0][0]
    assert 0 < stored < 1500
    assert query(db, "PRAGMA integrity_check")[0][0] == "ok"


def _cli(args: list[str]):
    return CliRunner().invoke(main, args)


def test_a_full_disk_during_import_is_one_line_and_loses_nothing(files, tmp_path, monkeypatch):
    db = tmp_path / "full.db"
    shutil.copy(files["db"], db)
    before = query(db, "SELECT url, content_hash FROM articles ORDER BY url")
    start_run = Store.start_run

    def then_fill_the_disk(self, **kwargs):
        run_id = start_run(self, **kwargs)
        pages = self.conn.execute("PRAGMA page_count").fetchone()[0]
        self.conn.execute(f"PRAGMA max_page_count = {pages}")  # not one page more: SQLITE_FULL
        return run_id

    monkeypatch.setattr(Store, "start_run", then_fill_the_disk)
    external = tmp_path / "external.warc.gz"
    writer = archive.WarcWriter(tmp_path / "ext")
    for i in range(3):
        writer.write(archive.Fetched(url=f"https://www.almodon.com/arabworld/2024/04/26/new-{i}",
                                     body=SEED.read_bytes(), headers={"content-type": "text/html"},
                                     fetched_at="2026-11-01T10:00:00Z"))
    writer.close()
    next((tmp_path / "ext").iterdir()).rename(external)
    result = _cli(["import-warc", "--db", str(db), "--workers", "1", str(external)])
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [
        (f"almodon: no space left on device (writing {db}): free some space and run it again "
         "(nothing stored was lost)")]
    after = {tuple(r) for r in query(db, "SELECT url, content_hash FROM articles")}
    assert {tuple(r) for r in before} <= after  # what was stored is there, unchanged (pages that
    assert query(db, "PRAGMA integrity_check")[0][0] == "ok"  # fitted before the disk filled may be added)


def test_a_full_disk_for_the_warc_archive_is_one_line(files, tmp_path, monkeypatch):
    db = tmp_path / "full.db"
    shutil.copy(files["db"], db)

    def no_space(self, page):
        raise OSError(errno.ENOSPC, "No space left on device", str(self.dir / "almodon-x.warc.gz"))

    monkeypatch.setattr(archive.WarcWriter, "write", no_space)
    external = tmp_path / "external.warc.gz"
    shutil.copy(next((files["dir"] / "warc").iterdir()), external)
    # the archive already holds these pages: make their bodies look new so they are kept
    monkeypatch.setattr(Store, "latest_raw_hash", lambda self, url: None)
    result = _cli(["import-warc", "--db", str(db), "--workers", "1", str(external)])
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == [
        (f"almodon: no space left on device ({tmp_path}/warc/almodon-x.warc.gz): free some space and "
         "run it again (nothing stored was lost)")]
    (run,) = query(db, "SELECT status FROM crawl_runs ORDER BY id DESC LIMIT 1")
    assert run[0] == "failed"


def test_a_full_disk_during_a_crawl_stops_it_with_one_line_and_loses_nothing(tmp_path, replica, crawl):
    db = tmp_path / "crawl.db"
    one = next(g for g in goldens("almodon") if g.is_article and g.fixture.get("in_replica", True))
    first = crawl(replica.base_url, db, args={"url": one.url})  # one article stored
    assert first.returncode == 0, first.stderr[-2000:]
    before = query(db, "SELECT url, content_hash FROM articles ORDER BY url")
    assert len(before) == 1
    # the whole replica, the writer process's database full from its run row on (tests/full_disk.py)
    result = crawl(replica.base_url, db, settings={
        "ALMODON_EXTRACT_WORKERS": 1, "EXTENSIONS": json.dumps({"tests.full_disk.FillTheDisk": 0, **settings.EXTENSIONS})})
    assert result.returncode == 1, result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines() if line.startswith("almodon:")]
    assert lines == [(f"almodon: no space left on device (writing {db}): free some space and run it "
                      "again (nothing stored was lost)")]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    (run,) = query(db, "SELECT status, exit_code, finish_reason FROM crawl_runs ORDER BY id DESC LIMIT 1")
    assert tuple(run) == ("failed", 1, "disk_full")
    after = {tuple(r) for r in query(db, "SELECT url, content_hash FROM articles")}
    assert {tuple(r) for r in before} <= after
    assert query(db, "PRAGMA integrity_check")[0][0] == "ok"


def test_a_full_disk_for_the_warc_archive_during_a_crawl_is_one_line(tmp_path, replica, crawl):
    db = tmp_path / "crawl.db"
    result = crawl(replica.base_url, db, settings={
        "EXTENSIONS": json.dumps({"tests.full_disk.NoSpaceForWarc": 0, **settings.EXTENSIONS})})
    assert result.returncode == 1, result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines() if line.startswith("almodon:")]
    assert lines == [(f"almodon: no space left on device ({tmp_path}/warc/almodon-x.warc.gz): free some "
                      "space and run it again (nothing stored was lost)")]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    (run,) = query(db, "SELECT status, exit_code, finish_reason FROM crawl_runs")
    assert tuple(run) == ("failed", 1, "disk_full")
    assert query(db, "SELECT count(*) FROM raw_pages")[0][0] == 0  # nothing indexed without its WARC record


# -- read-only copies ----------------------------------------------------------------------------
def _drop_capabilities() -> None:
    """In the child, before exec: empty the capability bounding set, so that root runs the
    command without CAP_DAC_OVERRIDE & co. and file permissions apply to it as to anyone."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in range(64):
        libc.prctl(24, cap, 0, 0, 0)  # PR_CAPBSET_DROP (EINVAL past the last one: ignored)


def _as_reader() -> dict:
    """subprocess options running the child like an analyst without write permission: as is,
    or as root without its capabilities when the tests run as root (root writes anywhere:
    chmod alone would prove nothing)."""
    return {"preexec_fn": _drop_capabilities} if os.geteuid() == 0 else {}


@pytest.fixture(scope="module")
def readonly_copy(files):
    """The archive copied into a fresh directory, file and directory then made read-only (the
    way analysts receive archives). A WAL database: no -wal/-shm beside it."""
    top = Path(tempfile.mkdtemp(prefix="almodon-ro-"))
    os.chmod(top, 0o755)
    shutil.copy(files["db"], top / "archive.db")
    conn = sqlite3.connect(top / "archive.db")  # an index built by older rules: stale
    with conn:
        conn.execute("INSERT OR REPLACE INTO search_meta (key, value) VALUES ('normaliser_version', 'older')")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    assert query(top / "archive.db", "PRAGMA journal_mode")[0][0] == "wal"
    for extra in top.glob("archive.db-*"):
        extra.unlink()
    os.chmod(top / "archive.db", 0o444)
    os.chmod(top, 0o555)
    before = (top / "archive.db").read_bytes()
    yield top / "archive.db"
    assert (top / "archive.db").read_bytes() == before, "a reading command wrote to the archive"
    assert sorted(p.name for p in top.iterdir()) == ["archive.db"], "a reading command created files"
    os.chmod(top, 0o755)
    shutil.rmtree(top)


@pytest.mark.parametrize("args", [
    ["summary"], ["health"], ["export", "--format", "csv"], ["serve", "--metadata"], ["search", "الحكومة", "--json"],
], ids=lambda a: a[0])
def test_reading_commands_work_on_a_read_only_copy(readonly_copy, args):
    result = _run([ALMODON, *args, "--db", str(readonly_copy)], cwd=readonly_copy.parent, **_as_reader())
    assert result.returncode == 0, result.stderr[-3000:]
    assert "readonly" not in result.stderr and "Traceback" not in result.stderr
    assert result.stdout.strip()
    if args[0] == "search":  # stale index: reported, not rebuilt, and the search still runs
        assert json.loads(result.stdout)
        assert result.stderr.splitlines() == [
            (f"almodon: warning: the search index of {readonly_copy} is out of date (read-only, not "
             "rebuilt): results may miss articles; run `almodon search --reindex` on a writable copy")]


def test_reindex_on_a_read_only_copy_is_one_line(readonly_copy):
    result = _run([ALMODON, "search", "x", "--reindex", "--db", str(readonly_copy)], **_as_reader())
    _one_line(result, 1, r"almodon: \S+ is read-only and cannot rebuild its search index: run "
                         r"`almodon search --reindex` on a writable copy")


def test_serve_answers_from_a_read_only_copy(readonly_copy):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([ALMODON, "serve", "--db", str(readonly_copy), "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, **_as_reader())
    try:
        url = f"http://127.0.0.1:{port}/almodon/articles.json?_shape=array&_size=5"
        rows = json_when_up(url, proc, wait_s=300, request_s=30)
        assert len(rows) == 5 and all(r["headline"] for r in rows)
    finally:
        proc.terminate()
        try:
            _, stderr = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, stderr = proc.communicate()
    assert "readonly" not in stderr and "Traceback" not in stderr, stderr[-3000:]


def test_search_on_a_writable_archive_still_rebuilds_a_stale_index(files, tmp_path):
    db = tmp_path / "stale.db"
    shutil.copy(files["db"], db)
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("INSERT OR REPLACE INTO search_meta (key, value) VALUES ('normaliser_version', 'older')")
    conn.close()
    result = _run([ALMODON, "search", "طهران", "--db", str(db), "--json"])
    assert result.returncode == 0 and result.stderr.startswith("search index rebuilt:"), result.stderr
    assert query(db, "SELECT value FROM search_meta WHERE key = 'normaliser_version'")[0][0] != "older"
    assert json.loads(result.stdout)


def test_reading_commands_never_write(files, tmp_path):
    """On a writable archive too: same bytes after every reading command, no table created."""
    db = tmp_path / "w.db"
    shutil.copy(files["db"], db)
    before = db.read_bytes()
    for args in (["summary"], ["health"], ["export"], ["serve", "--metadata"], ["search", "طهران"]):
        assert _run([ALMODON, *args, "--db", str(db)]).returncode == 0, args
    assert db.read_bytes() == before


def test_damaged_database_is_never_reported_ok_by_health(files):
    for kind in ("trunc", "overwritten", "other", "text"):
        result = _run([ALMODON, "health", "--db", str(files[kind])])
        assert result.returncode == 1 and "OK" not in result.stdout + result.stderr, kind


def test_gzip_of_the_cut_file_really_is_cut(files):
    """The fixture is what the row says: a gzip stream that ends mid-member."""
    with pytest.raises((EOFError, OSError)):
        gzip.decompress(files["cutwarc"].read_bytes())
