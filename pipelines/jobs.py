"""Offline jobs over archived pages: re-extraction and import of external WARC files.

Both run pages through :func:`pipelines.process.process` (the crawl's own steps) and write a
``crawl_runs`` row, so a reparse or an import is counted and reasoned like a crawl.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from . import archive, process
from .extract import urls
from .lock import db_lock
from .store import Store

logger = logging.getLogger(__name__)


def warc_dir_for(db: Path) -> Path:
    return db.parent / "warc"


def _run(store: Store, pages: Iterable[archive.Fetched], *, job: str, args: dict,
         keep: archive.WarcWriter | None = None) -> dict:
    run_id = store.start_run(job=job, args=args)
    outcomes: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    for page in pages:
        info = urls.classify(page.url)
        if info.kind == "offsite":
            skipped["offsite"] += 1
            continue
        if keep is not None and store.latest_raw_hash(page.url) != page.sha256:
            name, offset, length = keep.write(page)
            store.add_raw(url=page.url, fetch_url=page.fetch_url, warc_file=name, offset=offset,
                          length=length, fetched_at=page.fetched_at, status=page.status,
                          content_type=page.content_type, sha256=page.sha256, run_id=run_id)
        try:
            outcomes[process.process(page, store, run_id)] += 1
        except process.Rejected as exc:
            skipped[exc.reason] += 1
            store.record_skip(run_id, page.url, exc.reason, exc.detail, page.status)
        except Exception as exc:
            logger.exception("failed on %s", page.url)
            failed[type(exc).__name__] += 1
            store.record_skip(run_id, page.url, "error", f"{type(exc).__name__}: {exc}", page.status)
    counts = {**outcomes, "skipped_reasons": dict(skipped), "failed_reasons": dict(failed),
              "responses": sum(outcomes.values()) + sum(skipped.values()) + sum(failed.values())}
    status = "ok" if not failed else "failed"
    store.finish_run(run_id, counts, status=status, exit_code=0 if status == "ok" else 1, finish_reason="finished")
    return {"run_id": run_id, "status": status, **counts}


def reparse(db: Path, *, since: str | None = None, warc_dir: Path | None = None,
            into: Path | None = None) -> dict:
    """Re-extract every archived page of ``db`` (oldest first) through the current extraction,
    into ``db`` itself or into a fresh database ``into``. No network."""
    warc_dir = warc_dir or warc_dir_for(db)
    with Store(db) as source:
        rows = source.raw_pages(since)

    def pages():
        for row in rows:
            page = archive.read_at(warc_dir / row["warc_file"], row["warc_offset"])
            if page is not None:
                yield page

    with db_lock(into or db), Store(into or db) as target:
        return _run(target, pages(), job="reparse", args={"since": since, "source": str(db)})


def import_warc(db: Path, files: list[Path], *, warc_dir: Path | None = None) -> dict:
    """Ingest Al-Modon responses from external WARC files; other sites are counted and skipped.
    Imported pages are kept in this archive's own WARC files too, so reparse covers them."""
    writer = archive.WarcWriter(warc_dir or warc_dir_for(db))

    def pages():
        for path in files:
            yield from archive.iter_warc(path)

    with db_lock(db), Store(db) as store:
        try:
            return _run(store, pages(), job="import", args={"files": [str(f) for f in files]}, keep=writer)
        finally:
            writer.close()
