"""`make bench`: throughput, memory and latency of the pipeline on N synthetic pages, on this
machine, in one run. Numbers go to docs/benchmark.md; nothing here is a test.

    .venv/bin/python scripts/bench.py                      # N=10000, crawls at 1000 and 10000
    .venv/bin/python scripts/bench.py --n 50000            # more pages (crawls at 1000 and 50000)
    .venv/bin/python scripts/bench.py --n 2000 --skip-crawl --json /tmp/b.json
    .venv/bin/python scripts/bench.py --profile /tmp/almodon-profiles   # + py-spy / pyinstrument

Steps (each can be skipped, except the first, which takes a second):

0. ``scores``: field accuracy over every golden set (``tests/scoring.py``; pinned in
   ``tests/test_scores.py``), printed as its own table after the others.
1. ``synth``: N pages in the replica's style (``scripts/synth.py``), written to a work directory.
2. ``extract``: on the same ``--extract-n`` pages, in this process, one core: our extractor,
   the bare lxml parse (the floor), our decode+parse step alone, and trafilatura in three
   configurations. Also how many pages our extractor gets exactly right (vs the synth goldens).
3. ``crawl``: per ``--sizes`` (ascending), the replica serving the first k pages in this process
   (a ThreadingHTTPServer) and the real ``scrapy crawl almodon -a mode=archive`` in a subprocess
   (``scripts/demo.py``'s ``crawl()``, loopback settings): wall time, Scrapy's CPU (children
   rusage) and run-queue wait, the server's CPU (this process's rusage: it does nothing else
   meanwhile), peak RSS (``VmHWM`` of the Scrapy process; see ``ChildMonitor`` for why not
   ``ru_maxrss`` / Scrapy's ``memusage/max``, which are reported too; its extraction workers and
   writer are sampled apart). Beside it, in the same run, ``scripts/bare_spider.py``: plain
   Scrapy fetching the same articles through robots.txt and the sitemaps, one XPath each;
   ``--repeat`` pairs, alternating which goes first, give the ratio ours / bare and its spread.
   ``--code DIR`` measures another checkout's crawl (a before/after in one run).
4. ``reparse``: ``pipelines.jobs.reparse`` of the largest crawl's WARC archive into a new database.
5. ``db``: bytes per article of the largest crawl's database (per table), WARC bytes per page.
6. ``search``: ``pipelines.search.search`` latency over generated queries on the largest
   database (index built first when missing); ``n/a`` when the module is not importable.

Results: a table on stdout (with PASS/MISS against the targets) and JSON (``--json``).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

import bench_archive
import synth
from demo import crawl
from replica.server import Replica

TARGETS = {
    "extract_vs_trafilatura": 10.0,  # our throughput / trafilatura's, at least
    "extract_vs_parse": 3.0,  # our time / bare lxml parse, at most
    "crawl_pages_s": 200.0,
    "crawl_vs_bare_scrapy": 0.7,  # our articles/s / a bare Scrapy crawl's, same pages, same run
    "crawl_peak_rss_mb": 300.0,
    "crawl_rss_growth": 1.1,  # peak RSS at the largest size / at the smallest, at most
    "reparse_pages_s": 300.0,
    "search_p95_ms": 20.0,
    "db_bytes_per_article": 8 * 1024,
}
#: The checkout whose ``scrapy crawl almodon`` is measured (``--code``: e.g. an older commit's
#: worktree, for a before/after in one run).
CODE = ROOT
CRAWL_SETTINGS = {"LOG_LEVEL": "INFO", "MEMUSAGE_CHECK_INTERVAL_SECONDS": "1"}


def log(msg: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {msg}", file=sys.stderr, flush=True)


# -- machine --------------------------------------------------------------------------------
def machine() -> dict:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    versions = {}
    for mod in ("scrapy", "lxml", "trafilatura", "warcio", "twisted"):
        try:
            versions[mod] = __import__(mod).__version__
        except Exception:  # noqa: BLE001 - informative only
            versions[mod] = "?"
    try:
        from lxml import etree

        versions["libxml2"] = ".".join(map(str, etree.LIBXML_VERSION))
    except ImportError:
        pass
    git = {}
    try:
        git["head"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                     text=True, check=True).stdout.strip()
        status = subprocess.run(["git", "status", "--short", "--", "pipelines", "scrapers", "schema.sql"],
                                cwd=ROOT, capture_output=True, text=True, check=True).stdout
        git["uncommitted"] = [line[3:] for line in status.splitlines()]
    except (OSError, subprocess.CalledProcessError):
        pass
    return {
        "git": git,
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": cpu,
        "memory": mem,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
        "versions": versions,
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


# -- helpers --------------------------------------------------------------------------------
def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def cpu_of(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def load_pages(directory: Path, n: int) -> list[dict]:
    pages = []
    for golden_path in sorted(directory.glob("*.json"))[:n]:
        golden = json.loads(golden_path.read_text(encoding="utf-8"))
        fx = golden["_fixture"]
        pages.append({
            "golden": golden,
            "url": fx["original_url"],
            "content_type": f"text/html; charset={fx['charset']}" if fx.get("charset") else "text/html",
            "body": golden_path.with_suffix(".html").read_bytes(),
        })
    return pages


def time_each(fn, pages: list[dict], warmup: int = 30) -> dict:
    """Run ``fn(page)`` on every page (after ``warmup`` untimed calls): ms per page."""
    for page in pages[:warmup]:
        fn(page)
    gc.collect()
    times = []
    _, wait0 = schedstat()
    start = time.perf_counter()
    cpu0 = time.process_time()
    for page in pages:
        t0 = time.perf_counter()
        fn(page)
        times.append((time.perf_counter() - t0) * 1000)
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    waited = schedstat()[1] - wait0
    return {
        "pages": len(pages),
        "ms_mean": wall * 1000 / len(pages),
        "ms_p50": pct(times, 0.5),
        "ms_p95": pct(times, 0.95),
        "cpu_ms_mean": cpu * 1000 / len(pages),
        "runqueue_wait_ms_mean": waited * 1000 / len(pages),
        "pages_s": len(pages) / wall,
        "load": os.getloadavg()[0],
    }


#: Where a crawl's CPU goes: the first category whose frame is on a sample's stack.
CATEGORIES = (
    ("startup (imports)", ("_find_and_load",)),
    ("extract", ("extract_record (pipelines/process.py)",)),
    ("store: search index", ("index_article (pipelines/search",)),
    ("store: upsert", ("store_record (pipelines/process.py)",)),
    ("archive: WARC", ("ArchivePipeline.process_item",)),
    ("hand-off to workers / writer", ("_Lane.", "ExtractPipeline.process_item", "StorePipeline.process_item")),
    ("scope (ValidatePipeline)", ("ValidatePipeline.process_item",)),
    ("run ledger (skips, stats)", ("RunLedger.",)),
    ("spider: listings", ("parse_listing (scrapers",)),
    ("spider: sitemaps", ("parse_sitemap (scrapers",)),
    ("spider: rss/robots", ("parse_rss (scrapers", "parse_robots (scrapers")),
    ("spider: article response", ("parse_article (scrapers",)),
    ("scheduler + dupefilter", ("Scheduler.", "RFPDupeFilter", "_schedule_request")),
    ("downloader + HTTP", ("Downloader", "HTTP11", "twisted/web/", "twisted/internet/tcp.py")),
)


def _frames(stack: str) -> list[str]:
    """py-spy frames ``func (path:line)`` as ``func (repo-relative path)``."""
    frames = [re.sub(r":\d+\)$", ")", f.strip()) for f in stack.split(";") if f.strip()]
    return [f.replace(str(ROOT) + "/", "").replace(sys.prefix + "/", "")
            .replace("lib/python3.11/site-packages/", "") for f in frames]


def categorise(raw: Path) -> dict[str, float]:
    """Shares of py-spy samples per CATEGORIES entry (the rest: Scrapy/Twisted/asyncio)."""
    counts: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        stack = ";".join(_frames(stack))
        for name, markers in CATEGORIES:
            if any(m in stack for m in markers):
                counts[name] += n
                break
        else:
            counts["other: Scrapy/Twisted/asyncio machinery"] += n
    return {k: v / total for k, v in counts.most_common()} if total else {}


def collapse_profile(raw: Path, top: int = 25) -> str:
    """Summarise py-spy's collapsed stacks: shares per category, then the functions with the
    most samples, inclusive and self, as shares of all samples."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = _frames(stack)
        for f in set(frames[1:]):  # the first frame is the process/thread
            inclusive[f] += n
        if frames:
            own[frames[-1]] += n
    if not total:
        return "(no samples)"
    out = [f"{total} samples", "", "by category:"]
    out += [f"  {100 * v:5.1f}%  {k}" for k, v in categorise(raw).items()]
    out += ["", "inclusive:"]
    out += [f"  {100 * n / total:5.1f}%  {f}" for f, n in inclusive.most_common(top * 3)]
    out += ["", "self:"]
    out += [f"  {100 * n / total:5.1f}%  {f}" for f, n in own.most_common(top)]
    return "\n".join(out)


def schedstat(path: str = "/proc/thread-self/schedstat") -> tuple[float, float]:
    """(seconds on a CPU, seconds runnable but waiting for one) of a thread or process."""
    try:
        on_cpu, waiting, _ = Path(path).read_text().split()
        return int(on_cpu) / 1e9, int(waiting) / 1e9
    except (OSError, ValueError):
        return 0.0, 0.0


def find_child(marker: bytes, timeout: float = 10.0) -> int | None:
    """Pid of this process's child whose command line holds ``marker``."""
    me = os.getpid()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                cmd = (stat.parent / "cmdline").read_bytes()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == me and marker in cmd:
                return int(stat.parent.name)
        time.sleep(0.05)
    return None


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            out += [int(c) for c in task.read_text().split()]
        except OSError:
            pass
    return out


class ChildMonitor:
    """Samples the Scrapy subprocess while it runs: ``/proc/PID/schedstat`` (its CPU time and the
    time it was runnable but waiting for a CPU: other processes on the machine) and
    ``/proc/PID/status`` (``VmHWM``, its peak RSS, and ``VmRSS`` over time).

    Why not ``ru_maxrss`` (or Scrapy's ``memusage/max``, which reads it): on Linux a child
    started by ``subprocess`` (vfork + exec) keeps its parent's high-water RSS in
    ``ru_maxrss``, so the bench process's own size (the replica's pages) would leak into the
    number. ``VmHWM`` belongs to the new program image only."""

    def __init__(self, marker: bytes = b"scrapy") -> None:
        self.marker = marker
        self.on_cpu = self.waiting = 0.0
        self.hwm_kb = 0
        self.children_hwm_kb: dict[int, int] = {}  # extraction workers, writer: peak RSS each
        self.rss_kb: list[tuple[float, int]] = []  # (seconds since start, VmRSS kB)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        pid = find_child(self.marker)
        start = time.monotonic()
        last_rss = -1.0
        while pid and not self._stop.is_set():
            on_cpu, waiting = schedstat(f"/proc/{pid}/schedstat")
            if on_cpu:
                self.on_cpu, self.waiting = on_cpu, waiting
            try:
                status = Path(f"/proc/{pid}/status").read_text()
                hwm = int(re.search(r"VmHWM:\s+(\d+)", status).group(1))
                rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
                self.hwm_kb = max(self.hwm_kb, hwm)
                for child in _children(pid):
                    m = re.search(r"VmHWM:\s+(\d+)", Path(f"/proc/{child}/status").read_text())
                    if m:
                        self.children_hwm_kb[child] = max(self.children_hwm_kb.get(child, 0), int(m.group(1)))
                now = time.monotonic() - start
                if now - last_rss >= 5:
                    self.rss_kb.append((round(now, 1), rss))
                    last_rss = now
            except (OSError, AttributeError):
                pass
            self._stop.wait(0.2)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=15)


def pyspy() -> str | None:
    exe = Path(sys.executable).parent / "py-spy"
    return str(exe) if exe.exists() else shutil.which("py-spy")


class ChildProfiler:
    """py-spy on the Scrapy subprocess that ``crawl()`` starts (found by parent pid)."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.proc: subprocess.Popen | None = None
        self._thread = threading.Thread(target=self._attach, daemon=True)

    def _attach(self) -> None:
        pid = find_child(b"scrapy")
        if pid is not None:
            self.proc = subprocess.Popen(
                [pyspy(), "record", "--pid", str(pid), "--rate", "50", "--format", "raw",
                 "-o", str(self.out), "--nonblocking"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._thread.join(timeout=15)
        if self.proc is not None:
            self.proc.wait(timeout=60)


# -- steps ----------------------------------------------------------------------------------
def step_synth(n: int, work: Path, seed: int) -> tuple[Path, dict]:
    pages_dir = work / "pages"
    existing = sorted(pages_dir.glob("*.json")) if pages_dir.exists() else []
    t0 = time.perf_counter()
    if len(existing) < n:
        shutil.rmtree(pages_dir, ignore_errors=True)
        synth.generate(n, pages_dir, seed=seed)
    took = time.perf_counter() - t0
    htmls = sorted(pages_dir.glob("*.html"))[:n]
    size = sum(p.stat().st_size for p in htmls)
    templates = Counter(p.stem.split("-", 1)[1] for p in htmls)
    return pages_dir, {
        "pages": n,
        "templates": len(templates),
        "kib_per_page": size / n / 1024,
        "seconds": took,
    }


def fidelity(pages: list[dict]) -> dict:
    """How many pages our extractor gets exactly right, field by field (vs the synth golden)."""
    from pipelines.extract import NotAnArticle, extract

    fields = ("url", "section", "headline", "published_date", "authors", "paragraphs", "tags")
    wrong: Counter[str] = Counter()
    exact = rejected = 0
    for page in pages:
        g = page["golden"]
        try:
            rec = extract(page["body"], page["url"], content_type=page["content_type"]).to_dict()
        except NotAnArticle:
            rejected += 1
            continue
        bad = [f for f in fields if rec.get(f) != g[f]]
        if [i["url"] for i in rec.get("images") or []] != [i["url"] for i in g["images"]]:
            bad.append("images")
        wrong.update(bad)
        exact += not bad
    return {"pages": len(pages), "exact": exact, "rejected": rejected, "wrong_fields": dict(wrong)}


def step_extract(pages: list[dict], profile: Path | None) -> dict:
    import lxml.html
    import trafilatura

    from pipelines.extract import NotAnArticle, extract
    from pipelines.extract.page import Page

    def ours(p):
        try:
            extract(p["body"], p["url"], content_type=p["content_type"])
        except NotAnArticle:
            pass

    runs = {
        "ours": ours,
        "lxml_parse": lambda p: lxml.html.document_fromstring(p["body"]),
        "ours_decode_parse": lambda p: Page.parse(p["body"], p["url"], p["content_type"]),
        "trafilatura_text": lambda p: trafilatura.extract(p["body"], url=p["url"]),
        "trafilatura_meta": lambda p: trafilatura.extract(
            p["body"], url=p["url"], with_metadata=True, include_images=True, output_format="json"),
        "trafilatura_meta_fast": lambda p: trafilatura.extract(
            p["body"], url=p["url"], with_metadata=True, include_images=True, output_format="json",
            fast=True),
    }
    out = {}
    for name, fn in runs.items():
        log(f"extract: {name} on {len(pages)} pages")
        out[name] = time_each(fn, pages)
    # Ratios of CPU time per page: the machine may be shared, and CPU time does not count the
    # time this process waited for a core (wall-clock ratios are in the JSON too).
    base = out["ours"]["cpu_ms_mean"]
    out["ratios"] = {
        "trafilatura_text_over_ours": out["trafilatura_text"]["cpu_ms_mean"] / base,
        "trafilatura_meta_over_ours": out["trafilatura_meta"]["cpu_ms_mean"] / base,
        "trafilatura_meta_fast_over_ours": out["trafilatura_meta_fast"]["cpu_ms_mean"] / base,
        "ours_over_lxml_parse": base / out["lxml_parse"]["cpu_ms_mean"],
    }
    wall = out["ours"]["ms_mean"]
    out["ratios_wall"] = {
        "trafilatura_meta_over_ours": out["trafilatura_meta"]["ms_mean"] / wall,
        "ours_over_lxml_parse": wall / out["lxml_parse"]["ms_mean"],
    }
    log("extract: fidelity")
    out["fidelity"] = fidelity(pages)
    if profile:
        profile_extract(pages, profile)
    return out


def profile_extract(pages: list[dict], profile: Path) -> None:
    import cProfile
    import io
    import pstats

    from pipelines.extract import NotAnArticle, extract

    def run():
        for p in pages:
            try:
                extract(p["body"], p["url"], content_type=p["content_type"])
            except NotAnArticle:
                pass

    try:
        from pyinstrument import Profiler

        prof = Profiler(interval=0.0005)
        prof.start()
        run()
        prof.stop()
        (profile / "extract-pyinstrument.txt").write_text(
            prof.output_text(unicode=True, color=False, show_all=False), encoding="utf-8")
    except ImportError:
        log("pyinstrument not installed: cProfile only")
    cp = cProfile.Profile()
    cp.enable()
    run()
    cp.disable()
    buf = io.StringIO()
    stats = pstats.Stats(cp, stream=buf)
    stats.sort_stats("tottime").print_stats(35)
    stats.sort_stats("cumulative").print_stats(45)
    text = buf.getvalue().replace(str(ROOT) + "/", "").replace(sys.prefix + "/", "")
    (profile / "extract-cprofile.txt").write_text(text, encoding="utf-8")


def _stat(stderr: str, key: str) -> float | None:
    m = re.search(rf"'{re.escape(key)}': ([0-9.]+)", stderr)
    return float(m.group(1)) if m else None


def bare_crawl(base_url: str) -> dict:
    """The baseline: ``scripts/bare_spider.py`` (plain Scrapy, same pages, same settings)."""
    with ChildMonitor(b"bare_spider") as monitor:
        kids0 = cpu_of(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        result = subprocess.run([sys.executable, str(ROOT / "scripts" / "bare_spider.py"), base_url],
                                cwd=ROOT, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t0
        cpu = cpu_of(resource.RUSAGE_CHILDREN) - kids0
    if result.returncode != 0:
        raise SystemExit(f"bare crawl exited {result.returncode}: {result.stderr[-2000:]}")
    stats = json.loads(result.stdout.strip().splitlines()[-1])
    articles = stats.get("item_scraped_count", 0)
    return {"articles": articles, "responses": stats.get("downloader/response_count", 0), "wall_s": wall,
            "pages_s": articles / wall, "cpu_s": cpu, "cpu_ms_per_page": cpu * 1000 / max(articles, 1),
            "peak_rss_mb": monitor.hwm_kb / 1024 if monitor.hwm_kb else None}


def our_crawl(rep: Replica, db: Path, work: Path, size: int) -> dict:
    """One ``scrapy crawl almodon -a mode=archive`` of the replica into a new database."""
    shutil.rmtree(db.parent, ignore_errors=True)
    load0 = os.getloadavg()[0]
    with ChildMonitor() as monitor:
        self0, kids0 = cpu_of(resource.RUSAGE_SELF), cpu_of(resource.RUSAGE_CHILDREN)
        requests0 = len(rep.requests)
        t0 = time.perf_counter()
        result = crawl(rep.base_url, db, mode="archive", extra=CRAWL_SETTINGS, root=CODE)
        wall = time.perf_counter() - t0
        server_cpu = cpu_of(resource.RUSAGE_SELF) - self0
        total_cpu = cpu_of(resource.RUSAGE_CHILDREN) - kids0  # Scrapy + its workers + its writer
        requests = len(rep.requests) - requests0
    maxrss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    if result.returncode != 0:
        (work / f"crawl-{size}.stderr").write_text(result.stderr)
        raise SystemExit(f"crawl of {size} pages exited {result.returncode}; see {work}/crawl-{size}.stderr")
    with sqlite3.connect(db) as conn:
        articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        run = conn.execute("SELECT requests, responses, new, updated, unchanged, skipped, failed "
                           "FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
    elapsed = _stat(result.stderr, "elapsed_time_seconds") or wall
    mem_max = _stat(result.stderr, "memusage/max")
    mem_start = _stat(result.stderr, "memusage/startup")
    scrapy_cpu = monitor.on_cpu or total_cpu
    children_mb = sum(monitor.children_hwm_kb.values()) / 1024
    return {
        "pages": size,
        "articles": articles,
        "requests": run[0],
        "responses": run[1],
        "stored": {"new": run[2], "updated": run[3], "unchanged": run[4]},
        "skipped": run[5],
        "failed": run[6],
        "server_requests": requests,
        "wall_s": wall,
        "scrapy_elapsed_s": elapsed,
        "pages_s": articles / wall,
        "pages_s_elapsed": articles / elapsed,
        "responses_s": run[1] / elapsed,
        "scrapy_cpu_s": scrapy_cpu,
        "scrapy_cpu_ms_per_page": scrapy_cpu * 1000 / articles,
        "scrapy_cpu_util": scrapy_cpu / wall,
        "total_cpu_ms_per_page": total_cpu * 1000 / articles,
        "scrapy_runqueue_wait_s": monitor.waiting,
        "scrapy_runqueue_wait_share": monitor.waiting / wall,
        "pages_s_cpu_bound": articles / scrapy_cpu,
        "load_before": load0,
        "load_after": os.getloadavg()[0],
        "server_cpu_s": server_cpu,
        "server_cpu_ms_per_request": server_cpu * 1000 / max(requests, 1),
        "server_cpu_util": server_cpu / wall,
        "peak_rss_mb": monitor.hwm_kb / 1024 if monitor.hwm_kb else None,
        "workers_peak_rss_mb": children_mb,  # the extraction workers' and the writer's peaks, summed
        "workers": len(monitor.children_hwm_kb),
        "rss_mb_over_time": [(t, kb / 1024) for t, kb in monitor.rss_kb],
        # Both inherit the bench process's own peak through vfork + exec (see ChildMonitor):
        "scrapy_memusage_max_mb": mem_max / 2**20 if mem_max else None,
        "scrapy_memusage_startup_mb": mem_start / 2**20 if mem_start else None,
        "children_maxrss_mb": maxrss / 2**20,
        "bench_process_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "db": str(db),
    }


def step_crawl(pages_dir: Path, sizes: list[int], work: Path, profile: Path | None, repeat: int = 1,
               bare: bool = True) -> dict:
    """Per size: ``repeat`` pairs of (bare Scrapy, our crawl) on the same replica, alternating
    which goes first; the ratio of each pair, its median and spread. The reported crawl is the
    median one by pages/s."""
    out: dict = {}
    for size in sizes:
        site_dir = synth.subset(pages_dir, size, work / f"site-{size}")
        t0 = time.perf_counter()
        rep = Replica(fixtures=site_dir)
        built = time.perf_counter() - t0
        log(f"crawl: {size} pages ({len(rep.site.pages)} routes, built in {built:.1f} s)")
        ours, bares, ratios = [], [], []
        with rep:
            for i in range(repeat):
                db = work / f"crawl-{size}-{i}" / "almodon.db"
                order = ("bare", "ours") if i % 2 == 0 else ("ours", "bare")
                for who in order if bare else ("ours",):
                    if who == "bare":
                        bares.append(bare_crawl(rep.base_url))
                        log(f"crawl: {size}: bare Scrapy {bares[-1]['articles']} articles in "
                            f"{bares[-1]['wall_s']:.1f} s = {bares[-1]['pages_s']:.1f} pages/s")
                    else:
                        ours.append(our_crawl(rep, db, work, size))
                        log(f"crawl: {size}: ours {ours[-1]['articles']} articles in {ours[-1]['wall_s']:.1f} s"
                            f" = {ours[-1]['pages_s']:.1f} pages/s")
                if bare:
                    ratios.append(ours[-1]["pages_s"] / bares[-1]["pages_s"])
                    log(f"crawl: {size}: ratio {ratios[-1]:.2f}")
        median = sorted(ours, key=lambda c: c["pages_s"])[len(ours) // 2]
        # the median crawl's database is the one later steps read
        keep = work / f"crawl-{size}" / "almodon.db"
        shutil.rmtree(keep.parent, ignore_errors=True)
        shutil.copytree(Path(median["db"]).parent, keep.parent)
        for c in ours:
            shutil.rmtree(Path(c["db"]).parent, ignore_errors=True)
        median["db"] = str(keep)
        out[str(size)] = {**median, "site_build_s": built, "repeat": repeat,
                          "ours_pages_s": [c["pages_s"] for c in ours],
                          "peak_rss_mb_all": [c["peak_rss_mb"] for c in ours],
                          "bare": bares, "bare_pages_s": [b["pages_s"] for b in bares],
                          "ratio": ratios,
                          "ratio_median": statistics.median(ratios) if ratios else None}
    if profile and sizes:
        size = sizes[0]
        log(f"crawl: py-spy profile of a {size}-page crawl")
        db = work / f"crawl-profile-{size}" / "almodon.db"
        shutil.rmtree(db.parent, ignore_errors=True)
        raw = profile / f"crawl-{size}-pyspy.txt"
        with Replica(fixtures=work / f"site-{size}") as rep, ChildProfiler(raw):
            crawl(rep.base_url, db, mode="archive", extra=CRAWL_SETTINGS)
        if raw.exists():
            (profile / f"crawl-{size}-pyspy-summary.txt").write_text(collapse_profile(raw))
    return out


def step_reparse(db: Path, work: Path, profile: Path | None, profile_db: Path | None) -> dict:
    from pipelines.jobs import reparse

    into = work / "reparse" / "almodon.db"
    shutil.rmtree(into.parent, ignore_errors=True)
    with sqlite3.connect(db) as conn:
        raw = conn.execute("SELECT count(*) FROM raw_pages").fetchone()[0]
    log(f"reparse: {raw} archived pages")
    _, wait0 = schedstat()
    cpu0, t0 = time.process_time(), time.perf_counter()
    workers = min(4, os.cpu_count() or 1)  # as `almodon reparse` does by default
    result = reparse(db, into=into, workers=workers)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    waited = schedstat()[1] - wait0
    out = {
        "pages": raw,
        "workers": workers,
        "stored": sum(result.get(k, 0) for k in ("new", "updated", "unchanged")),
        "status": result["status"],
        "wall_s": wall,
        "pages_s": raw / wall,
        "cpu_ms_per_page": cpu * 1000 / raw,
        "pages_s_cpu_bound": raw / cpu,
        "runqueue_wait_share": waited / wall,
        "load": os.getloadavg()[0],
    }
    if profile and profile_db is not None:
        log("reparse: pyinstrument profile of the smallest crawl's archive")
        target = work / "reparse-profile" / "almodon.db"
        shutil.rmtree(target.parent, ignore_errors=True)
        try:
            from pyinstrument import Profiler

            prof = Profiler(interval=0.0005)
            prof.start()
            reparse(profile_db, into=target)
            prof.stop()
            (profile / "reparse-pyinstrument.txt").write_text(
                prof.output_text(unicode=True, color=False), encoding="utf-8")
        except ImportError:
            log("pyinstrument not installed: no reparse profile")
    return out


def step_db(db: Path) -> dict:
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        tables: dict[str, int] = {}
        try:
            rows = conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()
            index_of = dict(conn.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'"))
            for name, size in rows:
                table = index_of.get(name) or ("articles" if name.startswith("sqlite_autoindex_articles") else name)
                tables[table] = tables.get(table, 0) + size
        except sqlite3.DatabaseError:
            pass
        text = conn.execute("SELECT coalesce(sum(length(CAST(body AS BLOB))), 0) FROM articles").fetchone()[0]
    finally:
        conn.close()
    size = db.stat().st_size
    warc = sum(p.stat().st_size for p in (db.parent / "warc").glob("*.warc.gz"))
    return {
        "articles": articles,
        "bytes": size,
        "bytes_per_article": size / max(articles, 1),
        "body_utf8_bytes_per_article": text / max(articles, 1),
        "tables_bytes_per_article": {k: v / max(articles, 1) for k, v in sorted(tables.items(), key=lambda kv: -kv[1])},
        "warc_bytes": warc,
        "warc_bytes_per_page": warc / max(articles, 1),
    }


#: Words that match most of the archive (the issue's examples): their queries have no useful
#: relevance order, which is what the "common" kinds measure.
COMMON_WORDS = ("لبنان", "الحكومة", "بيروت", "في")
QUERY_KINDS = ("word", "two", "phrase", "prefix", "section", "since", "common", "common_section",
               "common_since")


def make_queries(conn: sqlite3.Connection, count: int, seed: int) -> list[dict]:
    """Queries an analyst might type, drawn from the archive's own headlines and bodies:
    one word, two words, a quoted phrase, a prefix, and with section / date filters; and the
    common words (alone, with a section, with a ``since`` day)."""
    rng = random.Random(seed)
    heads = [r[0] for r in conn.execute("SELECT headline FROM articles ORDER BY id")]
    words = [w for h in heads for w in h.split() if len(w) >= 4 and w.isalpha()]
    sections = [r[0] for r in conn.execute("SELECT DISTINCT section FROM articles ORDER BY 1")]
    queries = []
    for i in range(count):
        kind = QUERY_KINDS[i % len(QUERY_KINDS)]
        head = rng.choice(heads).split()
        if kind == "two":
            q = {"query": f"{rng.choice(words)} {rng.choice(words)}"}
        elif kind == "phrase" and len(head) >= 2:
            k = rng.randrange(len(head) - 1)
            q = {"query": f'"{head[k]} {head[k + 1]}"'}
        elif kind == "prefix":
            q = {"query": rng.choice(words)[:4] + "*"}
        elif kind == "section":
            q = {"query": rng.choice(words), "section": rng.choice(sections)}
        elif kind == "since":
            q = {"query": rng.choice(words), "since": f"{rng.randint(2016, 2025)}-01-01"}
        elif kind == "common":
            q = {"query": COMMON_WORDS[(i // len(QUERY_KINDS)) % len(COMMON_WORDS)]}
        elif kind == "common_section":
            q = {"query": rng.choice(COMMON_WORDS), "section": rng.choice(sections)}
        elif kind == "common_since":
            q = {"query": rng.choice(COMMON_WORDS), "since": f"{rng.randint(2016, 2025)}-01-01"}
        else:
            q = {"query": rng.choice(words)}
        q["kind"] = kind
        queries.append(q)
    return queries


def step_search(db: Path, count: int, seed: int, profile: Path | None = None) -> dict:
    try:
        import pipelines.search as search_mod
        from pipelines.search.index import index_bytes
    except ImportError as exc:
        return {"available": False, "reason": f"pipelines.search not importable: {exc}"}
    conn = sqlite3.connect(db)
    try:
        size_before = db.stat().st_size
        t0 = time.perf_counter()
        search_mod.ensure_schema(conn)
        rebuilt = search_mod.ensure_current(conn)
        build = time.perf_counter() - t0
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        queries = make_queries(conn, count, seed)
        for q in queries[:20]:  # warm the page cache and the statement cache
            search_mod.search(conn, q["query"], **{k: v for k, v in q.items() if k in ("section", "since")})
        times: dict[str, list[float]] = {}
        hits = []
        hits_by_kind: dict[str, list[int]] = {}
        worst = []
        cpu_times: dict[str, list[float]] = {}
        for q in queries:
            c0, t0 = time.thread_time(), time.perf_counter()
            res = search_mod.search(conn, q["query"], **{k: v for k, v in q.items() if k in ("section", "since")})
            took = (time.perf_counter() - t0) * 1000
            cpu_times.setdefault(q["kind"], []).append((time.thread_time() - c0) * 1000)
            times.setdefault(q["kind"], []).append(took)
            hits.append(len(res))
            hits_by_kind.setdefault(q["kind"], []).append(len(res))
            worst.append((took, q))
        every = [t for ts in times.values() for t in ts]
        if profile:
            import cProfile
            import io
            import pstats

            cp = cProfile.Profile()
            cp.enable()
            for q in queries:
                search_mod.search(conn, q["query"], **{k: v for k, v in q.items() if k in ("section", "since")})
            cp.disable()
            buf = io.StringIO()
            stats = pstats.Stats(cp, stream=buf)
            stats.sort_stats("tottime").print_stats(25)
            stats.sort_stats("cumulative").print_stats(30)
            (profile / "search-cprofile.txt").write_text(
                buf.getvalue().replace(str(ROOT) + "/", "").replace(sys.prefix + "/", ""), encoding="utf-8")
        return {
            "available": True,
            "articles": articles,
            "queries": len(every),
            "index_built_s": build if rebuilt is not None else 0.0,
            "index_rebuilt": rebuilt is not None,
            "index_bytes": index_bytes(conn),
            "db_bytes_per_article_with_index": db.stat().st_size / max(articles, 1),
            "db_bytes_before_index": size_before,
            "p50_ms": pct(every, 0.5),
            "p95_ms": pct(every, 0.95),
            "max_ms": max(every),
            "mean_hits": statistics.mean(hits),
            "by_kind_p95_ms": {k: pct(v, 0.95) for k, v in times.items()},
            "by_kind_p50_ms": {k: pct(v, 0.5) for k, v in times.items()},
            "by_kind_max_ms": {k: max(v) for k, v in times.items()},
            # CPU time of the searching thread: what the machine's other load does not change
            "cpu_p50_ms": pct([t for ts in cpu_times.values() for t in ts], 0.5),
            "cpu_p95_ms": pct([t for ts in cpu_times.values() for t in ts], 0.95),
            "by_kind_cpu_p50_ms": {k: pct(v, 0.5) for k, v in cpu_times.items()},
            "by_kind_cpu_p95_ms": {k: pct(v, 0.95) for k, v in cpu_times.items()},
            "by_kind_cpu_max_ms": {k: max(v) for k, v in cpu_times.items()},
            "load": os.getloadavg()[0],
            "by_kind_queries": {k: len(v) for k, v in times.items()},
            "by_kind_mean_hits": {k: statistics.mean(v) for k, v in hits_by_kind.items()},
            "worst": sorted(worst, key=lambda w: -w[0])[:10],
        }
    finally:
        conn.close()


# -- report ---------------------------------------------------------------------------------
def verdicts(res: dict) -> list[tuple[str, str, str, str]]:
    """(measure, value, target, PASS/MISS) rows."""
    rows = []

    def row(name, value, fmt, target, ok):
        shown = "n/a" if value is None else fmt.format(value)
        rows.append((name, shown, target, "n/a" if value is None else ("PASS" if ok else "MISS")))

    ex = res.get("extract")
    if ex:
        r = ex["ratios"]
        row("extract: trafilatura(meta+images) / ours", r["trafilatura_meta_over_ours"], "{:.2f}x",
            f">= {TARGETS['extract_vs_trafilatura']:.0f}x", r["trafilatura_meta_over_ours"] >= TARGETS["extract_vs_trafilatura"])
        row("extract: trafilatura(text, defaults) / ours", r["trafilatura_text_over_ours"], "{:.2f}x",
            f">= {TARGETS['extract_vs_trafilatura']:.0f}x", r["trafilatura_text_over_ours"] >= TARGETS["extract_vs_trafilatura"])
        row("extract: ours / bare lxml parse", r["ours_over_lxml_parse"], "{:.1f}x",
            f"<= {TARGETS['extract_vs_parse']:.0f}x", r["ours_over_lxml_parse"] <= TARGETS["extract_vs_parse"])
    cr = res.get("crawl") or {}
    for size, c in cr.items():
        row(f"crawl {size}: pages/s (wall)", c["pages_s"], "{:.1f}", f">= {TARGETS['crawl_pages_s']:.0f}",
            c["pages_s"] >= TARGETS["crawl_pages_s"])
        if c.get("ratio"):
            r = c["ratio"]
            row(f"crawl {size}: ours / bare Scrapy (median of {len(r)}, {min(r):.2f}-{max(r):.2f})",
                c["ratio_median"], "{:.2f}x", f">= {TARGETS['crawl_vs_bare_scrapy']:.1f}x",
                c["ratio_median"] >= TARGETS["crawl_vs_bare_scrapy"])
        rss = c["peak_rss_mb"] or c["children_maxrss_mb"]
        row(f"crawl {size}: peak RSS MB", rss, "{:.0f}", f"< {TARGETS['crawl_peak_rss_mb']:.0f}",
            rss < TARGETS["crawl_peak_rss_mb"])
    if len(cr) >= 2:
        sizes = sorted(cr, key=int)
        a, b = cr[sizes[0]], cr[sizes[-1]]
        ra, rb = a["peak_rss_mb"] or a["children_maxrss_mb"], b["peak_rss_mb"] or b["children_maxrss_mb"]
        row(f"crawl: peak RSS {sizes[-1]} / {sizes[0]}", rb / ra, "{:.2f}x",
            f"<= {TARGETS['crawl_rss_growth']:.2f}x (flat)", rb / ra <= TARGETS["crawl_rss_growth"])
    rp = res.get("reparse")
    if rp:
        row("reparse: pages/s", rp["pages_s"], "{:.1f}", f">= {TARGETS['reparse_pages_s']:.0f}",
            rp["pages_s"] >= TARGETS["reparse_pages_s"])
    se = res.get("search")
    if se is not None:
        p95 = se.get("p95_ms") if se.get("available") else None
        row(f"search: p95 ms ({se.get('articles')} articles)", p95, "{:.2f}", f"< {TARGETS['search_p95_ms']:.0f}",
            p95 is not None and p95 < TARGETS["search_p95_ms"])
        for kind, value in (se.get("by_kind_p95_ms") or {}).items():
            row(f"search: p95 ms, {kind}", value, "{:.2f}", f"< {TARGETS['search_p95_ms']:.0f}",
                value < TARGETS["search_p95_ms"])
        if se.get("cpu_p95_ms") is not None:
            row("search: p95 CPU ms (all kinds)", se["cpu_p95_ms"], "{:.2f}", f"< {TARGETS['search_p95_ms']:.0f}",
                se["cpu_p95_ms"] < TARGETS["search_p95_ms"])
    db = res.get("db")
    if db:
        row(f"database: bytes/article ({db['articles']} articles)", db["bytes_per_article"], "{:,.0f}",
            f"<= {TARGETS['db_bytes_per_article']:,}", db["bytes_per_article"] <= TARGETS["db_bytes_per_article"])
    return rows


def report(res: dict) -> str:
    m = res["machine"]
    lines = [(f"machine: {m['nproc']} CPUs ({m['cpu']}), {m['memory']}, Python {m['python']}, "
             f"SQLite {m['sqlite']}, Scrapy {m['versions'].get('scrapy')}, lxml {m['versions'].get('lxml')}, "
             f"trafilatura {m['versions'].get('trafilatura')}")]
    sy = res.get("synth")
    if sy:
        lines.append(f"synth: {sy['pages']} pages from {sy['templates']} templates, "
                     f"{sy['kib_per_page']:.1f} KiB/page, generated in {sy['seconds']:.1f} s")
    ex = res.get("extract")
    if ex:
        lines += ["", f"extraction, {ex['ours']['pages']} pages, one core",
                  f"  {'':24s} {'CPU ms':>7s} {'wall ms':>7s} {'p50':>7s} {'p95':>7s} {'pages/s':>8s}  waited"]
        for name in ("ours", "lxml_parse", "ours_decode_parse", "trafilatura_text", "trafilatura_meta",
                     "trafilatura_meta_fast"):
            e = ex[name]
            lines.append(f"  {name:24s} {e['cpu_ms_mean']:7.2f} {e['ms_mean']:7.2f} {e['ms_p50']:7.2f} "
                         f"{e['ms_p95']:7.2f} {1000 / e['cpu_ms_mean']:8.1f}  {e['runqueue_wait_ms_mean'] / e['ms_mean']:.0%}")
        f = ex["fidelity"]
        lines.append(f"  ours exactly right on {f['exact']}/{f['pages']} pages "
                     f"(rejected {f['rejected']}; wrong fields {f['wrong_fields'] or 'none'})")
    cr = res.get("crawl")
    if cr:
        lines += ["", "crawl (scrapy crawl almodon -a mode=archive, replica on loopback in the bench process)",
                  ("    size articles   resp  wall s pages/s  resp/s | Scrapy: CPU ms/page  util  waited "
                  "pages/CPU-s | server: CPU ms/req util | peak RSS MB (VmHWM; memusage/max)")]
        for size, c in cr.items():
            lines.append(
                f"  {size:>6} {c['articles']:8d} {c['responses']:6d} {c['wall_s']:7.1f} {c['pages_s']:7.1f} "
                f"{c['responses_s']:7.1f} |        {c['scrapy_cpu_ms_per_page']:8.2f} {c['scrapy_cpu_util']:5.0%} "
                f"{c['scrapy_runqueue_wait_share']:6.0%} {c['pages_s_cpu_bound']:11.1f} |"
                f"         {c['server_cpu_ms_per_request']:6.2f} {c['server_cpu_util']:4.0%} |"
                f" {c['peak_rss_mb'] or 0:6.0f} ({c['scrapy_memusage_max_mb'] or 0:.0f})")
        for size, c in cr.items():
            if c.get("ratio"):
                lines.append(
                    f"  {size:>6}: ours {', '.join(f'{v:.1f}' for v in c['ours_pages_s'])} pages/s; bare Scrapy "
                    f"{', '.join(f'{v:.1f}' for v in c['bare_pages_s'])}; ratio "
                    f"{', '.join(f'{v:.2f}' for v in c['ratio'])} (median {c['ratio_median']:.2f}); "
                    f"peak RSS Scrapy {', '.join(f'{v or 0:.0f}' for v in c['peak_rss_mb_all'])} MB, "
                    f"workers + writer {c['workers_peak_rss_mb']:.0f} MB ({c['workers']} processes); "
                    f"all processes CPU {c['total_cpu_ms_per_page']:.1f} ms/page")
        loads = ", ".join(f"{c['load_before']:.1f}" for c in cr.values())
        lines.append(f"  (load average {loads} at the start of each; 'waited': share of the wall time "
                     "Scrapy was runnable but had no CPU)")
    rp = res.get("reparse")
    if rp:
        lines += ["", (f"reparse: {rp['pages']} pages in {rp['wall_s']:.1f} s = {rp['pages_s']:.1f} pages/s, "
                  f"{rp['cpu_ms_per_page']:.2f} CPU ms/page = {rp['pages_s_cpu_bound']:.1f} pages/CPU-s "
                  f"(waited {rp['runqueue_wait_share']:.0%}; {rp['status']})")]
    ar = res.get("archive")
    if ar:
        lines += ["", (f"archive (records through Store.upsert, no crawl): {ar['pages']} articles in "
                  f"{ar['wall_s']:.0f} s = {ar['pages_s']:.0f}/s ({ar['cpu_ms_per_page']:.2f} CPU ms each; "
                  f"{ar['already_stored']} already stored); {ar['outcomes']}")]
    db = res.get("db")
    if db:
        per = ", ".join(f"{k} {v:,.0f}" for k, v in db["tables_bytes_per_article"].items())
        lines += ["", (f"database: {db['bytes_per_article']:,.0f} bytes/article ({db['articles']} articles; "
                  f"body text {db['body_utf8_bytes_per_article']:,.0f} B); WARC {db['warc_bytes_per_page']:,.0f} B/page"),
                  f"  per table (B/article): {per}"]
    se = res.get("search")
    if se:
        if se.get("available"):
            lines += ["", (f"search over {se['articles']} articles, {se['queries']} queries: p50 {se['p50_ms']:.2f} ms, "
                      f"p95 {se['p95_ms']:.2f} ms, max {se['max_ms']:.2f} ms, {se['mean_hits']:.1f} hits/query"),
                      (f"  CPU (the searching thread): p50 {se['cpu_p50_ms']:.2f} ms, p95 {se['cpu_p95_ms']:.2f} ms; "
                       f"load average {se['load']:.1f} at the end"),
                      (f"  {'kind':16s} {'queries':>7s} {'p50 ms':>7s} {'p95 ms':>7s} {'max ms':>7s} {'hits':>5s}"
                       f"  | CPU {'p50':>6s} {'p95':>6s} {'max':>6s}")]
            for k in se["by_kind_p95_ms"]:
                lines.append(f"  {k:16s} {se['by_kind_queries'][k]:7d} {se['by_kind_p50_ms'][k]:7.2f} "
                             f"{se['by_kind_p95_ms'][k]:7.2f} {se['by_kind_max_ms'][k]:7.2f} "
                             f"{se['by_kind_mean_hits'][k]:5.1f}  |     {se['by_kind_cpu_p50_ms'][k]:6.2f} "
                             f"{se['by_kind_cpu_p95_ms'][k]:6.2f} {se['by_kind_cpu_max_ms'][k]:6.2f}")
            lines += [
                      f"  index {se['index_bytes'] / max(se['articles'], 1):,.0f} B/article"
                      + (f", built in {se['index_built_s']:.1f} s" if se["index_rebuilt"] else " (already current)")
                      + f"; database with index {se['db_bytes_per_article_with_index']:,.0f} B/article"]
        else:
            lines += ["", f"search: n/a ({se['reason']})"]
    rows = verdicts(res)
    if rows:
        w = max(len(r[0]) for r in rows)
        lines += ["", "targets:"] + [f"  {r[0]:{w}s}  {r[1]:>9s}  {r[2]:>18s}  {r[3]}" for r in rows]
    return "\n".join(lines)


def step_scores() -> dict:
    """Field accuracy over every golden set (``tests/scoring.py``): per set and field, how many
    pages are exact / missing / wrong. The same figures ``tests/test_scores.py`` pins."""
    import scoring

    return scoring.score()


def scores_report(scores: dict) -> str:
    import scoring

    return "field accuracy over the goldens (exact / missing / wrong; pinned in tests/test_scores.py)\n" + (
        "\n".join("  " + line for line in scoring.table(scores).splitlines()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000, help="synthetic pages (default 10000)")
    parser.add_argument("--sizes", help="crawl sizes, comma-separated (default 1000,N)")
    parser.add_argument("--extract-n", type=int, default=1000,
                        help="pages for the extraction comparison (default 1000; trafilatura is slow)")
    parser.add_argument("--queries", type=int, default=450, help="search queries (default 450)")
    parser.add_argument("--archive-n", type=int, default=100_000,
                        help="articles in the archive that the db and search steps measure, stored "
                             "without a crawl (scripts/bench_archive.py; default 100000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3,
                        help="crawl pairs (bare Scrapy, ours) per size, alternating order (default 3)")
    parser.add_argument("--no-bare", action="store_true", help="leave out the bare Scrapy baseline")
    parser.add_argument("--workdir", type=Path, help="work directory (default: a new one under /tmp)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--json", type=Path, default=Path(tempfile.gettempdir()) / "almodon-bench.json",
                        help="where to write the results (default /tmp/almodon-bench.json)")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="also write profiles (pyinstrument/cProfile, py-spy) into DIR")
    parser.add_argument("--measure-db", type=Path, metavar="DB",
                        help="measure this existing archive in the db and search steps (no archive built)")
    for step in ("extract", "crawl", "reparse", "archive", "search"):
        parser.add_argument(f"--skip-{step}", action="store_true")
    parser.add_argument("--code", type=Path, default=ROOT,
                        help="measure the crawl of this checkout (default: this one)")
    opts = parser.parse_args(argv)
    global CODE
    CODE = opts.code.resolve()
    sizes = sorted({int(s) for s in (opts.sizes or f"1000,{opts.n}").split(",") if s.strip()})
    sizes = [s for s in sizes if s <= opts.n] or [opts.n]
    work = opts.workdir or Path(tempfile.mkdtemp(prefix="almodon-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    if opts.profile:
        opts.profile.mkdir(parents=True, exist_ok=True)
    res: dict = {"machine": machine(), "args": {"n": opts.n, "sizes": sizes, "extract_n": opts.extract_n,
                                                "queries": opts.queries, "seed": opts.seed,
                                                "repeat": opts.repeat,
                                                "archive_n": None if opts.skip_archive else opts.archive_n},
                 "targets": TARGETS}
    started = time.perf_counter()
    try:
        log("scores: every golden, field by field")
        res["scores"] = step_scores()
        log(f"synth: {opts.n} pages into {work}/pages")
        pages_dir, res["synth"] = step_synth(opts.n, work, opts.seed)
        # Crawls first: the children's ru_maxrss is then exact for the first (smallest) crawl.
        if not opts.skip_crawl:
            res["crawl"] = step_crawl(pages_dir, sizes, work, opts.profile, opts.repeat, not opts.no_bare)
        if not opts.skip_extract:
            res["extract"] = step_extract(load_pages(pages_dir, opts.extract_n), opts.profile)
        largest = work / f"crawl-{sizes[-1]}" / "almodon.db"
        measured = None  # the database the db and search steps measure
        if not opts.skip_crawl:
            if not opts.skip_reparse:
                smallest = work / f"crawl-{sizes[0]}" / "almodon.db"
                res["reparse"] = step_reparse(largest, work, opts.profile, smallest)
            measured = largest
        if opts.measure_db:
            measured = opts.measure_db
        elif not opts.skip_archive:
            measured = work / f"archive-{opts.archive_n}" / "almodon.db"
            log(f"archive: {opts.archive_n} articles into {measured} (no crawl)")
            res["archive"] = bench_archive.build_records(opts.archive_n, measured, seed=opts.seed, log=log)
        if measured is not None:
            res["db"] = step_db(measured)
            if not opts.skip_search:
                log("search")
                res["search"] = step_search(measured, opts.queries, opts.seed, opts.profile)
        elif not opts.skip_search:
            res["search"] = {"available": False, "reason": "no database: --skip-crawl and --skip-archive"}
    finally:
        res["total_s"] = time.perf_counter() - started
        opts.json.parent.mkdir(parents=True, exist_ok=True)
        opts.json.write_text(json.dumps(res, indent=2, ensure_ascii=False, default=str))
        if not opts.keep and not opts.workdir:
            shutil.rmtree(work, ignore_errors=True)
    print(report(res))
    if res.get("scores"):
        print("\n" + scores_report(res["scores"]))
    print(f"\n{res['total_s']:.0f} s in all; results in {opts.json}"
          + (f"; profiles in {opts.profile}" if opts.profile else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
