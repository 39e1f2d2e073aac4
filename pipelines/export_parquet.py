"""``almodon export --format parquet -o DIR``: the archive as Parquet for DuckDB, pandas, Spark.

Four datasets under ``DIR``, each partitioned by the article's publication year (hive style,
``DIR/articles/year=2024/…``; ``year=__HIVE_DEFAULT_PARTITION__`` when the date is unknown):

- ``articles``: every column of ``articles``;
- ``images``: every column of ``images``;
- ``authors``: ``article_authors`` with the author's name (one row per article and author);
- ``versions``: every column of ``article_versions``.

Columns and their types come from the database itself (``PRAGMA table_info``, i.e. schema.sql),
never from a list here. Rows are streamed in batches (memory stays flat); the database is opened
read-only. Needs pyarrow (the ``scale`` extra).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

BATCH = 2000
#: dataset → (table whose columns are exported, extra columns, FROM/JOIN clause)
DATASETS = {
    "articles": ("articles", "", "articles AS t"),
    "images": ("images", "", "images AS t JOIN articles AS a ON a.id = t.article_id"),
    "authors": ("article_authors", ", au.name AS author",
                ("article_authors AS t JOIN authors AS au ON au.id = t.author_id "
                 "JOIN articles AS a ON a.id = t.article_id")),
    "versions": ("article_versions", "", "article_versions AS t JOIN articles AS a ON a.id = t.article_id"),
}


def _arrow_type(declared: str):
    import pyarrow as pa

    declared = (declared or "").upper()
    if "INT" in declared:
        return pa.int64()
    if any(k in declared for k in ("REAL", "FLOA", "DOUB")):
        return pa.float64()
    if "BLOB" in declared:
        return pa.binary()
    return pa.string()


def columns(conn: sqlite3.Connection, table: str) -> list[tuple[str, str]]:
    """``(name, declared type)`` of a table, in schema order (``PRAGMA table_info``)."""
    return [(r[1], r[2]) for r in conn.execute(f"PRAGMA table_info({table})")]


def _batches(conn, sql: str, params: list, schema) -> Iterator:
    import pyarrow as pa

    names = schema.names
    cursor = conn.execute(sql, params)
    while rows := cursor.fetchmany(BATCH):
        yield pa.RecordBatch.from_pydict({n: [r[i] for r in rows] for i, n in enumerate(names)}, schema=schema)


def export_parquet(db: str | Path, out: str | Path, *, where: str = "", params: list | None = None) -> dict:
    """Write the four datasets; ``where`` filters articles (alias ``a`` / ``t`` for articles).
    Returns the row count of each."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    out = Path(db), Path(out)
    db, out = out
    if not db.is_file():
        raise FileNotFoundError(f"no such database: {db}")
    # read-only; pyarrow pulls the batches from its own thread
    conn = sqlite3.connect(db.resolve().as_uri() + "?mode=ro", uri=True, check_same_thread=False)
    conn.execute("PRAGMA query_only = 1")
    counts = {}
    try:
        for name, (table, extra, source) in DATASETS.items():
            cols = columns(conn, table)
            fields = [pa.field(c, _arrow_type(t)) for c, t in cols]
            if extra:
                fields.append(pa.field("author", pa.string()))
            fields.append(pa.field("year", pa.string()))
            schema = pa.schema(fields)
            art = "t" if name == "articles" else "a"
            select = ", ".join(f"t.{c}" for c, _ in cols) + extra + f", substr({art}.published_date, 1, 4) AS year"
            cond = where.replace("{a}", art)
            sql = f"SELECT {select} FROM {source}" + (f" WHERE {cond}" if cond else "") + " ORDER BY t.rowid"
            counts[name] = 0

            def counted(batches, name=name):
                for batch in batches:
                    counts[name] += batch.num_rows
                    yield batch

            ds.write_dataset(
                counted(_batches(conn, sql, params or [], schema)), out / name, schema=schema, format="parquet",
                partitioning=ds.partitioning(pa.schema([("year", pa.string())]), flavor="hive"),
                existing_data_behavior="delete_matching", basename_template="part-{i}.parquet")
    finally:
        conn.close()
    return counts
