"""The spider's read-only view of the archive: what is already stored (and what is dead), and
which stored articles are due for a re-visit. Opens the database read-only (``mode=ro``); a
missing database is an empty archive. The spider never gets a writable store.
"""

from __future__ import annotations

from pathlib import Path

from .extract import urls
from .store import Store


def _open(db: str | Path) -> Store | None:
    path = Path(db)
    if not path.is_file():
        return None
    return Store(path, readonly=True)


def seen_urls(db: str | Path) -> frozenset[str]:
    """Canonical URLs of stored articles, their aliases, and article URLs known to be dead."""
    store = _open(db)
    if store is None:
        return frozenset()
    with store:
        dead = {urls.canonicalize(u) for u in store.dead_urls()} - {None}
        return frozenset(store.known_urls() | dead)


def due_for_refresh(db: str | Path, policy: list[tuple[int | None, int]], now: str) -> list[dict]:
    """Stored articles the re-visit policy says are due (url, original_url, etag, last_modified_http)."""
    store = _open(db)
    if store is None:
        return []
    with store:
        return [dict(row) for row in store.due_for_refresh(policy, now)]
