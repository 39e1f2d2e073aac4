"""``almodon reparse`` / ``import-warc`` on a Dask distributed cluster (``--scheduler tcp://…``).

What runs where:

- **Each Dask worker** runs one task per WARC file: it reads the file's records (a reparse: the
  offsets ``raw_pages`` lists for it; an import: every response), runs the crawl's own steps
  (``workers.prepare``: extract → validate → normalise) and writes the results as one Parquet
  shard, ``<shards>/<job>-<n>-<digest>.parquet``, under a temporary name renamed into place
  (``os.replace``): a shard is whole or absent. A shard already there is not computed again.
- **This process** (the loader) is the one SQLite writer: it takes the shards in the order of
  the files and merges them through ``jobs.load``, the same code the local pool feeds (the
  store's upsert: an unchanged page adds no version, so loading a shard twice adds nothing).

A killed worker loses nothing: the scheduler runs its tasks again elsewhere, and a half-written
shard was never renamed. The WARC files and the shard directory must be reachable under the
same paths from every worker and from this process (a shared filesystem). Needs the ``scale``
extra (``pip install '.[scale]'``: dask[distributed], pyarrow).
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from . import archive
from .extract import urls
from .jobs import load, warc_dir_for
from .lock import db_lock
from .store import Store
from .workers import prepare

#: Columns of a shard (one row per page, in file order).
SHARD_COLUMNS = ("url", "fetch_url", "status", "headers", "fetched_at", "kind", "payload", "body")


def _schema():
    import pyarrow as pa

    return pa.schema([("url", pa.string()), ("fetch_url", pa.string()), ("status", pa.int32()),
                      ("headers", pa.string()), ("fetched_at", pa.string()), ("kind", pa.string()),
                      ("payload", pa.string()), ("body", pa.binary())])


def _row(page: archive.Fetched, kind: str, payload, keep_body: bool) -> dict:
    return {"url": page.url, "fetch_url": page.fetch_url, "status": page.status,
            "headers": json.dumps(page.headers, ensure_ascii=False), "fetched_at": page.fetched_at,
            "kind": kind, "payload": json.dumps(payload, ensure_ascii=False),
            "body": page.body if keep_body else None}


def _write_shard(rows: list[dict], path: Path) -> Path:
    """Write the shard under a temporary name, then rename it into place (atomic)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    tmp = path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
    pq.write_table(pa.Table.from_pylist(rows, schema=_schema()), tmp)
    os.replace(tmp, path)
    return path


def shard_task(warc: str, offsets: list[int] | None, out: str, keep_body: bool) -> str:
    """One Dask task: the records of one WARC file → one Parquet shard. ``offsets``: only
    these records (a reparse); ``None``: every response, off-site ones counted (an import)."""
    path = Path(out)
    if path.exists():
        return out
    if offsets is None:
        pages = archive.iter_warc(warc)
    else:
        pages = (p for p in (archive.read_at(warc, o) for o in offsets) if p is not None)
    rows = []
    for page in pages:
        if urls.classify(page.url).kind == "offsite":
            rows.append(_row(page, "offsite", None, False))
        else:
            rows.append(_row(page, *prepare(page), keep_body))
    _write_shard(rows, path)
    return out


def read_shard(path: str | Path) -> Iterator[tuple[archive.Fetched, str, object]]:
    import pyarrow.parquet as pq

    for row in pq.read_table(path).to_pylist():
        page = archive.Fetched(url=row["url"], body=row["body"] or b"", status=row["status"],
                               headers=json.loads(row["headers"]), fetched_at=row["fetched_at"],
                               fetch_url=row["fetch_url"])
        payload = json.loads(row["payload"])
        if row["kind"] == "rejected":
            payload = tuple(payload)
        yield page, row["kind"], payload


def _shard_name(job: str, n: int, warc: Path, offsets: list[int] | None) -> str:
    digest = hashlib.sha1(f"{warc.resolve()}|{offsets}".encode()).hexdigest()[:12]
    return f"{job}-{n:05d}-{digest}.parquet"


def run(store: Store, tasks: list[tuple[Path, list[int] | None]], *, scheduler: str, shards: Path,
        job: str, args: dict, keep: archive.WarcWriter | None = None) -> dict:
    """Submit one task per WARC file to the cluster; load the shards in file order."""
    from distributed import Client

    shards.mkdir(parents=True, exist_ok=True)
    offsite = [0]
    with Client(scheduler, timeout="120s") as client:
        futures = []
        for n, (warc, offsets) in enumerate(tasks):
            out = shards / _shard_name(job, n, warc, offsets)
            futures.append(client.submit(shard_task, str(warc.resolve()), offsets, str(out.resolve()),
                                         keep is not None, key=f"almodon-{out.stem}", retries=3))

        def results():
            for future in futures:  # in file order; the cluster works ahead
                for page, kind, payload in read_shard(future.result()):
                    if kind == "offsite":
                        offsite[0] += 1
                    else:
                        yield page, kind, payload

        return load(store, results(), job=job, args={**args, "scheduler": scheduler, "shards": str(shards)},
                    keep=keep, offsite=lambda: offsite[0], source=job)


def _default_shards(db: Path, job: str) -> Path:
    return db.parent / "shards" / f"{job}-{datetime.now(UTC):%Y%m%dT%H%M%S}"


def reparse(db: Path, *, scheduler: str, since: str | None = None, warc_dir: Path | None = None,
            into: Path | None = None, shards: Path | None = None) -> dict:
    """``jobs.reparse`` on a cluster: one task per WARC file of the archive."""
    warc_dir = warc_dir or warc_dir_for(db)
    with Store(db, readonly=True) as source:
        rows = source.raw_pages(since)
    by_file: dict[str, list[int]] = {}
    for row in rows:  # files in the order of their first page, pages in fetch order
        by_file.setdefault(row["warc_file"], []).append(row["warc_offset"])
    tasks = [(warc_dir / name, offsets) for name, offsets in by_file.items()]
    target = into or db
    with db_lock(target), Store(target) as store:
        return run(store, tasks, scheduler=scheduler, shards=shards or _default_shards(target, "reparse"),
                   job="reparse", args={"since": since, "source": str(db)})


def import_warc(db: Path, files: list[Path], *, scheduler: str, warc_dir: Path | None = None,
                shards: Path | None = None) -> dict:
    """``jobs.import_warc`` on a cluster: one task per given WARC file."""
    writer = archive.WarcWriter(warc_dir or warc_dir_for(db))
    with db_lock(db), Store(db) as store:
        try:
            return run(store, [(f, None) for f in files], scheduler=scheduler,
                       shards=shards or _default_shards(db, "import"), job="import",
                       args={"files": [str(f) for f in files]}, keep=writer)
        finally:
            writer.close()
