"""Offline jobs over archived pages: re-extraction and import of external WARC files.

Both run pages through :func:`pipelines.process.process` (the crawl's own steps) and write a
``crawl_runs`` row, so a reparse or an import is counted and reasoned like a crawl.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from . import archive, process
from .exits import Failure, is_fatal
from .extract import urls
from .lock import db_lock
from .store import Store, open_archive
from .workers import prepared

logger = logging.getLogger(__name__)


def warc_dir_for(db: Path) -> Path:
    return db.parent / "warc"


def _run(store: Store, pages: Iterable[archive.Fetched], *, job: str, args: dict,
         keep: archive.WarcWriter | None = None, workers: int = 1, source: str = "crawl",
         cuts: list[archive.Cut] | None = None) -> dict:
    """Every page through the pipeline into ``store``; ``source`` is recorded with each version
    (``Store.upsert``). Outcomes (new, updated, earlier, reextracted, degraded, unchanged) are counted in the run.
    ``cuts`` (filled while ``pages`` is read) are records cut short: counted as failed ``truncated``."""
    offsite = [0]

    def on_site():
        for page in pages:
            if urls.classify(page.url).kind == "offsite":
                offsite[0] += 1
                continue
            yield page

    with contextlib.closing(prepared(on_site(), workers)) as results:  # a stop ends the workers now
        return load(store, results, job=job, args=args, keep=keep, offsite=lambda: offsite[0], source=source,
                    cuts=cuts)


def load(store: Store, results: Iterable[tuple[archive.Fetched, str, object]], *, job: str, args: dict,
         keep: archive.WarcWriter | None = None, offsite=lambda: 0, source: str = "crawl",
         cuts: list[archive.Cut] | None = None) -> dict:
    """The one writer's side of a job: ``(page, kind, payload)`` results (from the local pool or
    from a cluster's Parquet shards) into the store, in order, as one ``crawl_runs`` row. A run
    stopped by Ctrl-C, a full disk or any other exception is marked ``interrupted`` / ``failed``
    before the exception goes on (no row stays ``running``); a full disk stops it at once."""
    run_id = store.start_run(job=job, args=args)
    outcomes: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    cuts = cuts if cuts is not None else []

    def counts() -> dict:
        return {**outcomes, "skipped_reasons": dict(skipped), "failed_reasons": dict(failed),
                "responses": sum(outcomes.values()) + sum(skipped.values()) + sum(failed.values())}

    try:
        for page, kind, payload in results:
            if keep is not None and store.latest_raw_hash(page.url) != page.sha256:  # raw first
                name, offset, length = keep.write(page)
                store.add_raw(url=page.url, fetch_url=page.fetch_url, warc_file=name, offset=offset,
                              length=length, fetched_at=page.fetched_at, status=page.status,
                              content_type=page.content_type, sha256=page.sha256, run_id=run_id)
            if kind == "ok":
                try:
                    outcomes[process.store_record(store, payload, page, run_id, source)] += 1
                    continue
                except Exception as exc:
                    if is_fatal(exc):
                        raise
                    logger.exception("failed to store %s", page.url)
                    kind, payload = "error", f"{type(exc).__name__}: {exc}"
            if kind == "rejected":
                reason, detail = payload
                skipped[reason] += 1
                store.record_skip(run_id, page.url, reason, detail, page.status)
            else:
                failed["error"] += 1
                store.record_skip(run_id, page.url, "error", payload, page.status)
    except BaseException as exc:
        status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
        try:
            store.finish_run(run_id, counts(), status=status, exit_code=1, finish_reason=type(exc).__name__)
        except sqlite3.Error:
            pass  # e.g. the disk is full: the next run marks this one interrupted
        raise
    for cut in cuts:
        failed["truncated"] += 1
        store.record_skip(run_id, cut.url or f"{cut.path}#{cut.offset}", "truncated",
                          f"{cut.path} at byte {cut.offset}: {cut.detail}")
    if offsite():
        skipped["offsite"] += offsite()
    status = "ok" if not failed else "failed"
    store.finish_run(run_id, counts(), status=status, exit_code=0 if status == "ok" else 1, finish_reason="finished")
    result = {"run_id": run_id, "status": status, **counts()}
    if failed:
        what = ", ".join(f"{n} {reason}" for reason, n in sorted(failed.items()))
        stored = sum(outcomes.values())
        result["message"] = f"run {run_id} failed: {what} ({stored} pages stored; see skipped_pages)"
    return result


def _missing_warcs(rows, warc_dir: Path, db: Path) -> None:
    """Refuse to start when archived pages point at WARC files that are not there (a database
    copied without its ``warc/`` directory): say which, and that ``--warc-dir`` exists."""
    names = sorted({row["warc_file"] for row in rows})
    missing = [n for n in names if not (warc_dir / n).is_file()]
    if not missing:
        return
    if not warc_dir.is_dir():
        raise Failure(f"no WARC directory {warc_dir} (the raw pages of {db}, e.g. {missing[0]}, are "
                      "kept there): give their directory with --warc-dir")
    raise Failure(f"{len(missing)} of {len(names)} WARC files missing in {warc_dir} (first: {missing[0]}): "
                  "give the directory that holds them with --warc-dir")


def reparse(db: Path, *, since: str | None = None, warc_dir: Path | None = None,
            into: Path | None = None, workers: int = 1) -> dict:
    """Re-extract every archived page of ``db`` (oldest first) through the current extraction,
    into ``db`` itself or into a fresh database ``into``. No network."""
    warc_dir = warc_dir or warc_dir_for(db)
    with Store(db, readonly=True) as source:
        rows = source.raw_pages(since)
    _missing_warcs(rows, warc_dir, db)

    def pages():
        for row in rows:
            page = archive.read_at(warc_dir / row["warc_file"], row["warc_offset"])
            if page is not None:
                yield page

    open_archive(into or db, readonly=False, create=True).close()  # refused before the lock file
    with db_lock(into or db), Store(into or db) as target:
        return _run(target, pages(), job="reparse", args={"since": since, "source": str(db)}, workers=workers,
                    source="reparse")


def import_warc(db: Path, files: list[Path], *, warc_dir: Path | None = None, workers: int = 1) -> dict:
    """Ingest Al-Modon responses from external WARC files; other sites are counted and skipped.
    Imported pages are kept in this archive's own WARC files too, so reparse covers them.
    Files that are empty or not WARC stop it before anything is written; a record cut short is
    counted ``truncated`` and makes the run fail, after the pages before it are imported."""
    for path in files:
        try:
            archive.check_warc(path)
        except archive.NotAWarc as exc:
            raise Failure(str(exc)) from None
    open_archive(db, readonly=False, create=True).close()  # refused before the lock file
    writer = archive.WarcWriter(warc_dir or warc_dir_for(db))
    cuts: list[archive.Cut] = []

    def pages():
        for path in files:
            yield from archive.iter_warc(path, on_cut=cuts.append)

    with db_lock(db), Store(db) as store:
        try:
            return _run(store, pages(), job="import", args={"files": [str(f) for f in files]}, keep=writer,
                        workers=workers, source="import", cuts=cuts)
        finally:
            writer.close()
