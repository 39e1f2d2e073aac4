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
import collections
import itertools
import logging
import multiprocessing
import signal
import sqlite3
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from pathlib import Path

from . import discovery, process
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


def _prepare_pages(pages: list[Fetched]) -> list[tuple[str, object]]:
    return [prepare(page) for page in pages]


def prepared(pages: Iterable[Fetched], workers: int) -> Iterator[tuple[Fetched, str, object]]:
    """``(page, kind, payload)`` for each page, in order; with ``workers > 1`` in worker
    processes (the crawl's :class:`ExtractionPool`, driven synchronously).

    Ctrl-C reaches the whole process group: the workers ignore SIGINT, the parent alone gets
    ``KeyboardInterrupt``, and closing this generator kills the workers at once. (It used
    ``multiprocessing.Pool``, whose ``terminate`` can deadlock when a worker is blocked writing a
    large result: ``make test`` hung 1 run in ~20 under load on it.)"""
    if workers <= 1:
        yield from map(_prepare_with_page, pages)
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # inherited by the spawned workers
    try:
        pool = ExtractionPool(workers)
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        yield from pool.map(pages)
    except BaseException:  # KeyboardInterrupt, GeneratorExit (the consumer stopped), a failure
        pool.terminate()
        raise
    pool.close()


# -- processes beside the event loop ------------------------------------------------------------
def _serve(conn, initializer=None, initargs=()) -> None:
    """A child's loop: ``(call id, function, args, kwargs)`` in, ``(call id, ok, value)`` out."""
    if initializer is not None:
        initializer(*initargs)
    while True:
        try:
            message = conn.recv()
        except EOFError:  # the parent is gone (even killed): so is this process
            return
        if message is None:
            conn.send(None)
            return
        conn.send(_call(*message))


class _Lane:
    """One child process and its pipe, driven from the parent's event loop without threads:
    calls are pickled and written by the caller's thread (at most ``depth`` in the pipe, the rest
    wait here, in order), results are read when the loop says the pipe is readable. (A
    ``ProcessPoolExecutor`` hands every call to helper threads; in the Scrapy process their GIL
    hand-offs cost ~1.7 ms per call, more than the page's extraction.)"""

    def __init__(self, name: str, depth: int, initializer=None, initargs=(), serve=None, serve_args=()) -> None:
        ctx = spawn_context()
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=serve or _serve, args=(child, initializer, initargs, *serve_args),
                                   name=name, daemon=True)
        self.process.start()
        child.close()
        self.batching = serve is _serve_writer  # results come back per committed batch
        self.depth = depth
        self.waiting: collections.deque = collections.deque()
        self.futures: dict[int, Future] = {}
        self.sent = 0
        self._ids = itertools.count()
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def load(self) -> int:
        return len(self.futures)

    def submit(self, fn, *args, **kwargs) -> Future:
        future: Future = Future()
        call_id = future.call_id = next(self._ids)
        self.futures[call_id] = future
        self.waiting.append((call_id, fn, args, kwargs))
        self._watch()
        self._flush()
        return future

    def _flush(self) -> None:
        while self.waiting and self.sent < self.depth:
            self.conn.send(self.waiting.popleft())
            self.sent += 1

    def _watch(self) -> None:
        """Read results as the event loop finds them (when called from inside one)."""
        if self._loop is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._loop = loop
        loop.add_reader(self.conn.fileno(), self._readable)

    def _readable(self) -> None:
        while self._loop is not None and self.conn.poll():  # a dead child: _broken() unwatched it
            self._receive()

    def _receive(self) -> None:
        try:
            message = self.conn.recv()
        except (EOFError, OSError):  # a child killed with unread calls: ECONNRESET, not EOF
            self._broken(RuntimeError(f"{self.process.name} died (exit {self.process.exitcode})"))
            return
        if message is None:
            return
        call_id, ok, value = message
        self.sent -= 1
        future = self.futures.pop(call_id)
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)
        self._flush()

    def _broken(self, exc: Exception) -> None:
        self._unwatch()
        for future in self.futures.values():
            if not future.done():
                future.set_exception(exc)
        self.futures.clear()
        self.waiting.clear()

    def wait(self, future: Future):
        """Block until ``future`` is done (reading every result that arrives before it); a
        batching child is asked to commit once the call is in its pipe."""
        asked = not self.batching
        while not future.done():
            self._flush()
            if not asked and not any(m[0] == future.call_id for m in self.waiting):
                self.conn.send(COMMIT)
                asked = True
            if not self.conn.poll(1.0):
                if not self.process.is_alive() and not self.conn.poll():
                    self._broken(RuntimeError(f"{self.process.name} died (exit {self.process.exitcode})"))
                continue
            self._receive()
        return future.result()

    def _unwatch(self) -> None:
        if self._loop is not None:
            if not self._loop.is_closed():
                self._loop.remove_reader(self.conn.fileno())
            self._loop = None

    def terminate(self) -> None:
        """Kill the child at once; its pending calls fail."""
        self._unwatch()
        self.process.kill()
        self.process.join(timeout=60)
        self._broken(RuntimeError(f"{self.process.name} was stopped"))
        self.conn.close()

    def close(self) -> None:
        """Finish every call, then stop the child."""
        for future in list(self.futures.values()):
            try:
                self.wait(future)
            except Exception as exc:  # noqa: BLE001 - its caller has been told
                logger.debug("%s: a call failed at close: %s", self.process.name, exc)
        self._unwatch()
        if self.process.is_alive():
            try:
                self.conn.send(None)
                self.conn.recv()
            except (EOFError, OSError):
                pass
        self.process.join(timeout=60)
        self.conn.close()


class ExtractionPool:
    """``await pool.prepare(page, hosts)`` → ``(kind, payload)``, computed in one of ``workers``
    processes (the least busy); ``workers == 0``: in this process, for debugging."""

    def __init__(self, workers: int, depth: int = 4) -> None:
        self.workers = workers
        self._lanes = [_Lane(f"almodon-extract-{i}", depth) for i in range(workers)]

    def _lane(self) -> _Lane:
        return min(self._lanes, key=lambda lane: lane.load)

    async def prepare(self, page: Fetched, extra_hosts: tuple[str, ...] = ()) -> tuple[str, object]:
        if not self._lanes:
            return prepare(page, extra_hosts)
        return await asyncio.wrap_future(self._lane().submit(prepare, page, extra_hosts))

    def map(self, pages: Iterable[Fetched], chunk: int = 16) -> Iterator[tuple[Fetched, str, object]]:
        """Synchronous and ordered (recovery at the start of a run, reparse, import): ``chunk``
        pages a call, at most ONE call in flight per worker, and the pages are not sent back.
        (With more, this thread could block writing a call to a worker that is itself blocked
        writing a result nobody reads: pages of 300 KB fill a socket's buffer.)"""
        if not self._lanes:
            yield from map(_prepare_with_page, pages)
            return
        ahead: collections.deque = collections.deque()  # (lane, future, pages) in order
        free = collections.deque(self._lanes)
        it = iter(pages)
        while True:
            while free and (batch := list(itertools.islice(it, chunk))):
                lane = free.popleft()
                ahead.append((lane, lane.submit(_prepare_pages, batch), batch))
            if not ahead:
                return
            lane, future, batch = ahead.popleft()
            results = lane.wait(future)
            free.append(lane)
            for page, (kind, payload) in zip(batch, results, strict=True):
                yield page, kind, payload

    def close(self) -> None:
        for lane in self._lanes:
            lane.close()
        self._lanes = []

    def terminate(self) -> None:
        """Stop the workers now, whatever they are doing (their results are not wanted)."""
        for lane in self._lanes:
            lane.terminate()
        self._lanes = []


# -- the one writer -------------------------------------------------------------------------
_STORE: Store | None = None


def _open_store(db: str) -> None:
    global _STORE
    _STORE = Store(db)


#: The longest a batch (one transaction) stays open before it is committed: a commit costs
#: about the same for 6 or 48 articles (docs/benchmark.md), and a result waits for it.
BATCH_SECONDS = 0.1
#: Sent by a caller that waits for a result (``_Lane.wait``): commit the batch now.
COMMIT = "commit"


def _serve_writer(conn, initializer, initargs, seconds: float, limit: int) -> None:
    """The writer's loop: like :func:`_serve`, but the calls that arrive within ``seconds``
    (at most ``limit``: the parent's ``depth``, which sends no more before their results) are
    written in ONE transaction, and their results are sent only once it is committed; a
    caller that blocks on a result sends :data:`COMMIT` to have it committed at once. A result
    the parent has received is therefore on disk (in the WAL), as with a commit per call; a
    SIGKILL before the commit loses the whole batch, which the next run finishes from the WARC
    archive like any page archived but not stored (``pipelines.recover``).

    A call that fails rolls the batch back: the calls before it are written again, each in a
    transaction of its own, and the failed one gets its error, having changed nothing (as
    with a commit per call). A commit that fails (a full disk) fails every call of the batch."""
    initializer(*initargs)
    store = _STORE
    store.batching = True
    done: list[tuple] = []  # (call id, function, args, kwargs, result) of the open transaction

    def send(results) -> None:
        for result in results:
            conn.send(result)

    def commit() -> None:
        nonlocal done
        try:
            store.commit()
            results = [(call_id, True, value) for call_id, *_call, value in done]
        except Exception as exc:  # noqa: BLE001 - every call of the batch failed with it
            store.conn.rollback()
            results = [(call_id, False, exc) for call_id, *_call in done]
        done = []
        send(results)

    def redo(failed_id, error) -> None:
        """The call ``failed_id`` failed: roll back, write the others again one by one."""
        nonlocal done
        try:
            store.conn.rollback()
        except sqlite3.Error as exc:  # closed by a failed "close": the calls below say so
            logger.debug("the writer could not roll back: %s", exc)
        again, done = done, []
        store.batching = False
        try:
            results = [_call(call_id, fn, args, kwargs) for call_id, fn, args, kwargs, _value in again]
        finally:
            store.batching = True
        send([*results, (failed_id, False, error)])

    opened = 0.0
    while True:
        if done:
            left = seconds - (time.monotonic() - opened)
            if len(done) >= limit or left <= 0 or not conn.poll(left):
                commit()
        try:
            message = conn.recv()
        except EOFError:  # the parent is gone (even killed): keep what was written, and stop
            try:
                store.close()
            except Exception as exc:  # noqa: BLE001 - nobody left to tell; the next run recovers
                logger.debug("the writer could not commit its last batch: %s", exc)
            return
        if message is None:
            commit()
            conn.send(None)
            return
        if message == COMMIT:
            if done:
                commit()
            continue
        if not done:
            opened = time.monotonic()
        call_id, fn, args, kwargs = message
        try:
            done.append((call_id, fn, args, kwargs, fn(*args, **kwargs)))
        except Exception as exc:  # noqa: BLE001 - handed back to the caller
            redo(call_id, exc)


def _call(call_id: int, fn, args, kwargs) -> tuple:
    try:
        return call_id, True, fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - handed back to the caller
        return call_id, False, exc


def _write(op: str, args: tuple, kwargs: dict):
    """Run one store operation in the writer (``_STORE`` is this process's Store)."""
    store = _STORE
    if op == "raw":  # idempotent per URL + content hash (a recovered page is not indexed twice)
        if store.latest_raw_hash(kwargs["url"]) == kwargs["sha256"]:
            return False
        store.add_raw(**kwargs)
        return True
    if op == "store":
        return process.store_record(store, *args)  # record, page, run_id[, source]
    if op == "discovered":
        with store.transaction():
            return discovery.record(store.conn, *args)
    if op == "close":
        store.close()  # commits the open batch first
        return None
    return getattr(store, op)(*args, **kwargs)  # start_run, finish_run, record_skip, touch, add_aliases


class Writer:
    """The run's one SQLite writer, in a process of its own (``inline=True``: in this one).

    ``submit(op, …)`` returns a ``concurrent.futures.Future``; ``await call(op, …)`` the result;
    ``run(op, …)`` waits for it. Operations are ``Store`` methods (``start_run``, ``finish_run``,
    ``record_skip``, ``touch``, ``add_aliases``) plus ``raw`` (``add_raw`` unless the URL's last
    archived body has the same hash) and ``store`` (``process.store_record``). They run in the
    order they were submitted; in the writer process, the calls waiting together are written in
    one transaction (:func:`_serve_writer`), and each result comes back once it is committed."""

    def __init__(self, db: str | Path, *, inline: bool = False, depth: int = 128,
                 batch_seconds: float = BATCH_SECONDS) -> None:
        self.db = str(db)
        self._lane: _Lane | None = None
        if inline:
            _open_store(self.db)
        else:
            self._lane = _Lane("almodon-writer", depth, _open_store, (self.db,), serve=_serve_writer,
                               serve_args=(batch_seconds, depth))

    def submit(self, op: str, *args, **kwargs) -> Future:
        if self._lane is not None:
            return self._lane.submit(_write, op, args, kwargs)
        future: Future = Future()
        try:
            future.set_result(_write(op, args, kwargs))
        except Exception as exc:  # noqa: BLE001 - handed to the caller through the future
            future.set_exception(exc)
        return future

    async def call(self, op: str, *args, **kwargs):
        return await asyncio.wrap_future(self.submit(op, *args, **kwargs))

    def run(self, op: str, *args, **kwargs):
        future = self.submit(op, *args, **kwargs)
        return self._lane.wait(future) if self._lane is not None else future.result()

    def close(self) -> None:
        """Finish every submitted write, then close the store."""
        try:
            self.run("close")
        finally:
            if self._lane is not None:
                self._lane.close()
                self._lane = None
