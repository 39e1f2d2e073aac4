"""One writer job per database at a time: an exclusive ``flock`` on ``<db>.lock``.

Held by ``scrapy crawl almodon``, ``almodon reparse`` and ``almodon import-warc``; a second job
on the same database exits at once with a clear message (the kernel drops the lock when the
holder dies, even by SIGKILL, so a crashed run never blocks the next one).
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path


class Locked(RuntimeError):
    """Another job holds the database."""


@contextmanager
def db_lock(db: str | Path):
    path = Path(f"{db}.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
            raise Locked(f"another job (pid {holder}) is writing {db}; not starting a second one") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield path
    finally:
        os.close(fd)
