"""What each dashboard chart of ``almodon serve`` costs on a big archive (docs/dashboards.md).

Builds a synthetic archive of ``--articles`` articles from a small real one (``make demo``'s, or
a crawl of ``scripts/synth.py`` pages) by copying its rows: copy ``k`` gets its own URLs, its
publication days moved back by ``k * 37 mod 4000`` days (so the weeks of 2015-2026 fill up),
its own crawl run (24 runs a fetch day, as hourly ``latest`` runs), its own authors (300 groups
of names), and one article in 33 a second version with a changed headline. Then every chart's SQL
runs as the dashboard runs it (a read-only connection prepared as ``almodon serve`` prepares
it), without and with filters; the median of ``--repeat`` warm runs is printed with the rows it
gives and the query plan. Nothing here is a test.

    .venv/bin/python scripts/dashboard_cost.py --source data/demo.db --articles 100000 \\
        --db /tmp/almodon-dash-100k.db
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines import dashboards
from pipelines.datasette_metadata import DB_NAME
from pipelines.serve import prepare, readonly_uri
from pipelines.store import Store

RUNS_PER_DAY = 24


def _columns(conn, table: str, skip: tuple[str, ...] = ("id",)) -> list[str]:
    return [r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[1] not in skip]


def build(source: Path, db: Path, articles: int) -> None:
    """``db`` = ``source`` plus copies of its articles until it holds ``articles``."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, db)
    Store(db).close()  # the current schema (views, migrations)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    n = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    stride = conn.execute("SELECT max(id) + 1 FROM articles").fetchone()[0]
    astride = conn.execute("SELECT max(id) + 1 FROM authors").fetchone()[0]
    first_day = conn.execute("SELECT min(substr(fetched_at, 1, 10)) FROM extractions").fetchone()[0]
    copies = -(-articles // n) - 1
    art = [c for c in _columns(conn, "articles") if c not in ("url", "url_key", "published_date",
                                                                "first_run_id", "last_run_id")]
    run_cols = [c for c in _columns(conn, "crawl_runs") if c != "started_at"]
    ext = [c for c in _columns(conn, "extractions") if c not in ("run_id", "url", "fetched_at")]
    skip = [c for c in _columns(conn, "skipped_pages") if c not in ("run_id", "url")]
    img = [c for c in _columns(conn, "images") if c != "article_id"]
    ver = [c for c in _columns(conn, "article_versions") if c not in ("article_id", "run_id")]
    src_run = conn.execute("SELECT max(id) FROM crawl_runs").fetchone()[0]
    for k in range(1, copies + 1):
        off, run = k * stride, src_run + k
        shift = f"-{(k * 37) % 4000} days"
        day = f"date('{first_day}', '+{k // RUNS_PER_DAY} days')"
        fetched = f"{day} || printf('T%02d:00:00Z', {k % RUNS_PER_DAY})"
        group = k % 300
        conn.execute(
            f"INSERT INTO crawl_runs (id, started_at, {', '.join(run_cols)}) "
            f"SELECT {run}, {fetched}, {', '.join(run_cols)} FROM crawl_runs WHERE id = {src_run}")
        conn.execute(
            f"INSERT INTO articles (id, url, url_key, published_date, first_run_id, last_run_id, "
            f"{', '.join(art)}) SELECT id + {off}, url || '?copy={k}', url_key || ':{k}', "
            f"date(published_date, '{shift}'), {run}, {run}, {', '.join(art)} FROM articles "
            f"WHERE id < {stride}")
        conn.execute(
            f"INSERT INTO images (article_id, {', '.join(img)}) SELECT article_id + {off}, "
            f"{', '.join(img)} FROM images WHERE article_id < {stride}")
        conn.execute(
            f"INSERT OR IGNORE INTO authors (id, name) SELECT id + {group * astride}, "
            f"name || ' {group}' FROM authors WHERE id < {astride}")
        conn.execute(
            f"INSERT INTO article_authors SELECT article_id + {off}, author_id + {group * astride}, "
            f"position FROM article_authors WHERE article_id < {stride}")
        conn.execute(
            f"INSERT INTO article_versions (article_id, run_id, {', '.join(ver)}) "
            f"SELECT article_id + {off}, {run}, {', '.join(ver)} FROM article_versions "
            f"WHERE article_id < {stride} AND version = 1")
        conn.execute(
            f"INSERT INTO article_versions (article_id, run_id, version, fetched_at, content_hash, "
            f"headline, body, record, changed_fields) SELECT article_id + {off}, {run}, 2, "
            f"fetched_at, content_hash || '2', headline || ' (2)', body, record, '[\"headline\"]' "
            f"FROM article_versions WHERE article_id < {stride} AND version = 1 "
            f"AND (article_id + {k}) % 33 = 0")
        conn.execute(
            f"INSERT INTO extractions (run_id, url, fetched_at, {', '.join(ext)}) "
            f"SELECT {run}, url || '?copy={k}', {fetched}, {', '.join(ext)} FROM extractions "
            f"WHERE run_id = {src_run}")
        conn.execute(
            f"INSERT INTO skipped_pages (run_id, url, {', '.join(skip)}) SELECT {run}, "
            f"url || '?copy={k}', {', '.join(skip)} FROM skipped_pages WHERE run_id = {src_run}")
        if k % 500 == 0:
            conn.commit()
            print(f"  {k}/{copies} copies", file=sys.stderr)
    conn.execute("UPDATE articles SET version = 2 WHERE id IN "
                 "(SELECT article_id FROM article_versions WHERE version = 2)")
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()


def connect(db: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(readonly_uri(db), uri=True)
    prepare(conn)  # what `almodon serve` does to each connection: read-only, TEMP views if missing
    return conn


def measure(db: Path, repeat: int, filtered: dict) -> list[dict]:
    conn = connect(db)
    out = []
    config = dashboards.config(DB_NAME)
    cases = (("no filter", {"since": "", "until": "", "section": ""}), ("filtered", filtered))
    for slug, dashboard in config.items():
        for name, chart in dashboard["charts"].items():
            sql = chart["query"]
            plan = [r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, cases[0][1])]
            for label, params in cases:
                conn.execute(sql, params).fetchall()  # warm the cache
                times, rows = [], 0
                for _ in range(repeat):
                    t = time.perf_counter()
                    rows = len(conn.execute(sql, params).fetchall())
                    times.append((time.perf_counter() - t) * 1000)
                out.append({"dashboard": slug, "chart": name, "case": label, "rows": rows,
                            "ms": statistics.median(times), "plan": plan})
    conn.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=ROOT / "data" / "demo.db")
    parser.add_argument("--db", type=Path, required=True, help="the synthetic archive to write")
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="measure --db as it is")
    parser.add_argument("--plans", action="store_true", help="print each query plan")
    args = parser.parse_args(argv)
    if not args.reuse:
        t = time.perf_counter()
        build(args.source, args.db, args.articles)
        print(f"built {args.db} in {time.perf_counter() - t:.0f} s", file=sys.stderr)
    conn = sqlite3.connect(readonly_uri(args.db), uri=True)
    counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in (
        "articles", "images", "article_versions", "extractions", "crawl_runs", "skipped_pages")}
    last = conn.execute("SELECT max(substr(fetched_at, 1, 10)) FROM extractions").fetchone()[0]
    newest = conn.execute("SELECT max(published_date) FROM articles").fetchone()[0]
    conn.close()
    size = args.db.stat().st_size / 1e6
    print(f"{args.db}: {size:.0f} MB; " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    year = f"{int(newest[:4]) - 1}{newest[4:]}"
    filtered = {"since": year, "until": "", "section": "politics"}
    print(f"filtered: archive since {year}, health since {last} (one fetch day); section politics")
    results = measure(args.db, args.repeat, filtered)
    results += [r | {"case": "health, one day"} for r in measure(
        args.db, args.repeat, {"since": last, "until": last, "section": "politics"})
        if r["dashboard"] == "health" and r["case"] == "filtered"]
    print(f"\n| dashboard | chart | case | rows | ms (median of {args.repeat}, warm) |")
    print("|---|---|---|---:|---:|")
    for r in results:
        if r["dashboard"] == "health" and r["case"] == "filtered":
            continue  # the year filter means little for fetch days: shown as "one day"
        print(f"| {r['dashboard']} | {r['chart']} | {r['case']} | {r['rows']} | {r['ms']:.0f} |")
    if args.plans:
        seen = set()
        for r in results:
            if (r["dashboard"], r["chart"]) not in seen:
                seen.add((r["dashboard"], r["chart"]))
                print(f"\n{r['dashboard']}/{r['chart']}:")
                print("\n".join(f"  {p}" for p in r["plan"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
