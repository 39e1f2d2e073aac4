"""Migrate an archive in place with the current code and check that no row changed: a digest of
every row of ``articles`` (``paragraphs`` included), ``article_versions`` (each version's full
record, as ``Store.versions`` gives it after the migration and as its old columns held it
before), ``images`` and ``raw_pages``, before and after; then rebuild the search index, VACUUM
and print bytes per article per table. The numbers of docs/benchmark.md ("Migration in place").

    .venv/bin/python scripts/migrate_check.py data/almodon.db      # works on the file itself
"""

from __future__ import annotations

import hashlib
import sqlite3
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TABLES = (("articles", "id, url, headline, body, paragraphs, published_date, section, content_hash"),
          ("images", "id, article_id, caption"), ("raw_pages", "id, url"))


def digest(conn: sqlite3.Connection) -> dict[str, tuple[int, str]]:
    out = {}
    for table, cols in TABLES:
        h, n = hashlib.sha256(), 0
        for row in conn.execute(f"SELECT {cols} FROM {table} ORDER BY id"):
            h.update(repr(tuple(row)).encode())
            n += 1
        out[table] = (n, h.hexdigest()[:16])
    from pipelines import versions  # reads every layout: record and body columns, or record_z

    conn.row_factory = sqlite3.Row
    h, n, cache = hashlib.sha256(), 0, {}
    for (vid,) in conn.execute("SELECT id FROM article_versions ORDER BY article_id, fetched_at, id").fetchall():
        h.update(versions._json(versions.record_of(conn, vid, cache)).encode())
        n += 1
    conn.row_factory = None
    out["article_versions"] = (n, h.hexdigest()[:16])
    return out


def per_table(conn: sqlite3.Connection) -> dict[str, int]:
    articles = max(conn.execute("SELECT count(*) FROM articles").fetchone()[0], 1)
    index_of = dict(conn.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'").fetchall())
    sizes: dict[str, int] = {}
    for name, size in conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"):
        table = index_of.get(name) or ("articles" if name.startswith("sqlite_autoindex_articles") else name)
        sizes[table] = sizes.get(table, 0) + size
    return {k: round(v / articles) for k, v in sorted(sizes.items(), key=lambda kv: -kv[1]) if v >= articles}


def main(argv: list[str]) -> int:
    from pipelines import search
    from pipelines.store import Store, paragraphs_computed

    db = Path(argv[0])
    conn = sqlite3.connect(db)
    before = digest(conn)
    print("before:", before, per_table(conn), flush=True)
    conn.close()
    t0 = time.perf_counter()
    with Store(db) as store:
        print(f"opened (migrations) in {time.perf_counter() - t0:.1f} s; paragraphs computed: "
              f"{paragraphs_computed(store.conn)}", flush=True)
        t0 = time.perf_counter()
        search.ensure_schema(store.conn)
        rebuilt = search.ensure_current(store.conn)
        print(f"search index rebuilt: {rebuilt} in {time.perf_counter() - t0:.1f} s", flush=True)
        after = digest(store.conn)
        print("rows and values unchanged:", after == before, flush=True)
        t0 = time.perf_counter()
        store.conn.execute("VACUUM")
        print(f"VACUUM in {time.perf_counter() - t0:.1f} s", flush=True)
        articles = max(store.conn.execute("SELECT count(*) FROM articles").fetchone()[0], 1)
        print(f"after: {db.stat().st_size / articles:,.0f} bytes/article", per_table(store.conn))
    return 0 if after == before else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
