"""Processes beside the one that fetches: extraction workers and the one SQLite writer.

Extraction is pure CPU (``process.prepare``: extract → validate → normalise), so it runs in a
pool of worker processes; the database has exactly one writer, the parent (``jobs``) or, in a
crawl, a writer process of its own, so the Scrapy process only fetches and archives.

- :func:`prepared`: the pool as an ordered iterator (``almodon reparse`` / ``import-warc``).
- :class:`ExtractionPool`: the same work as awaitable futures (the crawl's ``ExtractPipeline``).
- :class:`Writer`: one process holding the one ``Store``; calls run in submission order (FIFO),
  so a page's ``raw_pages`` row is always written before its article.

Both start with the ``spawn`` method (no fork of a process that holds threads or SQLite
handles; the children inherit no file descriptor, so a killed crawl leaves no lock behind).
No Scrapy import.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from . import process
from .archive import Fetched
from .store import Store

logger = logging.getLogger(__name__)


def spawn_context():
    return multiprocessing.get_context("spawn")


# -- extraction -----------------------------------------------------------------------------
def prepare(page: Fetched, extra_hosts: tuple[str, ...] = ()) -> tuple[str, object]:
    """Steps 1-3 for one page: ``("ok", record)``, ``("rejected", (reason, detail))`` or
    ``("error", text)``. Never raises (a worker must not die)."""
    try:
        return "ok", process.prepare(page, extra_hosts)
    except process.Rejected as exc:
        return "rejected", (exc.reason, exc.detail)
    except Exception as exc:
        logger.exception("failed on %s", page.url)
        return "error", f"{type(exc).__name__}: {exc}"


def _prepare_with_page(page: Fetched) -> tuple[Fetched, str, object]:
    return (page, *prepare(page))


def prepared(pages: Iterable[Fetched], workers: int) -> Iterator[tuple[Fetched, str, object]]:
    """``(page, kind, payload)`` for each page, in order; with ``workers > 1`` in a process pool."""
    if workers <= 1:
        yield from map(_prepare_with_page, pages)
        return
    with spawn_context().Pool(workers) as pool:
        yield from pool.imap(_prepare_with_page, pages, chunksize=16)


class ExtractionPool:
    """``await pool.prepare(page, hosts)`` → ``(kind, payload)``, computed in a worker process
    (``workers == 0``: in this process, for debugging)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._executor = (ProcessPoolExecutor(workers, mp_context=spawn_context())
                          if workers > 0 else None)

    async def prepare(self, page: Fetched, extra_hosts: tuple[str, ...] = ()) -> tuple[str, object]:
        if self._executor is None:
            return prepare(page, extra_hosts)
        return await asyncio.wrap_future(self._executor.submit(prepare, page, extra_hosts))

    def map(self, pages: Iterable[Fetched]) -> Iterator[tuple[Fetched, str, object]]:
        """Synchronous, ordered (recovery at the start of a run)."""
        if self._executor is None:
            yield from map(_prepare_with_page, pages)
        else:
            yield from self._executor.map(_prepare_with_page, pages, chunksize=8)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


# -- the one writer -------------------------------------------------------------------------
_STORE: Store | None = None


def _open_store(db: str) -> None:
    global _STORE
    _STORE = Store(db)


def _write(op: str, args: tuple, kwargs: dict):
    """Run one store operation in the writer (``_STORE`` is this process's Store)."""
    store = _STORE
    if op == "raw":  # idempotent per URL + content hash (a recovered page is not indexed twice)
        if store.latest_raw_hash(kwargs["url"]) == kwargs["sha256"]:
            return False
        store.add_raw(**kwargs)
        return True
    if op == "store":
        record, page, run_id = args
        return process.store_record(store, record, page, run_id)
    if op == "close":
        store.close()
        return None
    return getattr(store, op)(*args, **kwargs)  # start_run, finish_run, record_skip, touch, add_aliases


class Writer:
    """The run's one SQLite writer, in a process of its own (``inline=True``: in this one).

    ``submit(op, …)`` returns a ``concurrent.futures.Future``; ``await call(op, …)`` the result;
    ``run(op, …)`` waits for it. Operations are ``Store`` methods (``start_run``, ``finish_run``,
    ``record_skip``, ``touch``, ``add_aliases``) plus ``raw`` (``add_raw`` unless the URL's last
    archived body has the same hash) and ``store`` (``process.store_record``)."""

    def __init__(self, db: str | Path, *, inline: bool = False) -> None:
        self.db = str(db)
        self._executor: ProcessPoolExecutor | None = None
        if inline:
            _open_store(self.db)
        else:
            self._executor = ProcessPoolExecutor(1, mp_context=spawn_context(), initializer=_open_store,
                                                 initargs=(self.db,))

    def submit(self, op: str, *args, **kwargs) -> Future:
        if self._executor is not None:
            return self._executor.submit(_write, op, args, kwargs)
        future: Future = Future()
        try:
            future.set_result(_write(op, args, kwargs))
        except Exception as exc:  # noqa: BLE001 - handed to the caller through the future
            future.set_exception(exc)
        return future

    async def call(self, op: str, *args, **kwargs):
        return await asyncio.wrap_future(self.submit(op, *args, **kwargs))

    def run(self, op: str, *args, **kwargs):
        return self.submit(op, *args, **kwargs).result()

    def close(self) -> None:
        """Finish every submitted write, then close the store."""
        try:
            self.run("close")
        finally:
            if self._executor is not None:
                self._executor.shutdown(wait=True)
                self._executor = None
