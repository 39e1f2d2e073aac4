"""Article versions: how one version's record is kept, and the order and comparisons of versions.

- A version's full record is kept once, compressed (``article_versions.record_z``: zlib of the
  JSON); ``body`` is left out when it is the paragraphs joined by a blank line (it always is for
  records of the pipeline) and put back by :func:`unpack`. ``headline``, ``body_chars`` and
  ``conflicts`` stay plain columns for the views and for ``almodon health``.
- Versions are numbered in capture order (``fetched_at``, then arrival): a capture older than the
  stored ones is inserted before them and the later ones are renumbered.
- Each version is compared with its *base*: the nearest earlier version that is not degraded,
  preferring one made by the same extractor version (so a re-extraction of an older capture does
  not make the next site change look like an extraction change). ``changed_fields`` and
  ``base_id`` say what differs from it.
"""

from __future__ import annotations

import json
import sqlite3
import zlib

#: Fields whose change makes a new version (what a reader of the article would notice).
CONTENT_FIELDS = (
    "headline",
    "paragraphs",
    "authors",
    "images",
    "videos",
    "tags",
    "section",
    "published_date",
    "published_at",
    "modified_at",
)
#: The columns of ``article_versions`` that order and compare versions (no record).
_META = "id, version, fetched_at, content_hash, degraded, reextraction, extractor_version"


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def content(record: dict) -> dict:
    """The fields a reader would notice, empty ones left out (so a field added to the record
    later does not make every stored article look changed)."""
    return {k: v for k in CONTENT_FIELDS if (v := record.get(k)) not in (None, "", [], {})}


def changed_fields(new: dict, base: dict | None) -> list[str]:
    if base is None:
        return []
    before, now = content(base), content(new)
    return [f for f in CONTENT_FIELDS if before.get(f) != now.get(f)]


def joined(record: dict) -> str:
    return "\n\n".join(record.get("paragraphs") or [])


def pack(record: dict) -> bytes:
    """The record as kept in ``record_z`` (body left out when it is the paragraphs joined)."""
    kept = dict(record)
    if kept.get("body") is None or kept.get("body") == joined(kept):
        kept.pop("body", None)
    return zlib.compress(_json(kept).encode("utf-8"), 9)


def unpack(row: sqlite3.Row | dict) -> dict:
    """The full record of a stored version (either layout: ``record_z``, or the JSON ``record``
    and ``body`` columns of archives not yet migrated)."""
    if row["record_z"] is not None:
        record = json.loads(zlib.decompress(row["record_z"]).decode("utf-8"))
        record.setdefault("body", joined(record))
        return record
    record = json.loads(row["record"])
    record.setdefault("body", row["body"])
    return record


def rows(conn: sqlite3.Connection, article_id: int) -> list[dict]:
    """The versions of one article in capture order, without their records."""
    return [dict(r) for r in conn.execute(
        f"SELECT {_META} FROM article_versions WHERE article_id = ? ORDER BY version", (article_id,))]


def record_of(conn: sqlite3.Connection, version_id: int) -> dict:
    row = conn.execute("SELECT record_z, record, body FROM article_versions WHERE id = ?", (version_id,)).fetchone()
    return unpack(row)


def base_of(earlier: list[dict], extractor_version: str | None) -> dict | None:
    """The version a new one is compared with, among those captured before it (in order)."""
    good = [v for v in earlier if not v["degraded"]]
    same = [v for v in good if v["extractor_version"] == extractor_version]
    return (same or good or [None])[-1]


def position(versions: list[dict], fetched_at: str) -> int:
    """Index where a capture at ``fetched_at`` goes: after every version captured at or before it."""
    return sum(1 for v in versions if v["fetched_at"] <= fetched_at)


def make_room(conn: sqlite3.Connection, article_id: int, version: int) -> None:
    """Shift versions ``version`` and later up by one (two steps: ``UNIQUE(article_id, version)``)."""
    conn.execute("UPDATE article_versions SET version = -version - 1 WHERE article_id = ? AND version >= ?",
                 (article_id, version))
    conn.execute("UPDATE article_versions SET version = -version WHERE article_id = ? AND version < 0",
                 (article_id,))


def recompare(conn: sqlite3.Connection, article_id: int, after: int) -> None:
    """Recompute ``base_id`` and ``changed_fields`` of the versions numbered above ``after``
    (their base may be a version inserted before them)."""
    versions = rows(conn, article_id)
    cache: dict[int, dict] = {}

    def rec(v: dict) -> dict:
        if v["id"] not in cache:
            cache[v["id"]] = record_of(conn, v["id"])
        return cache[v["id"]]

    for i, v in enumerate(versions):
        if v["version"] <= after:
            continue
        base = base_of(versions[:i], v["extractor_version"])
        conn.execute("UPDATE article_versions SET base_id = ?, changed_fields = ? WHERE id = ?",
                     (base and base["id"], _json(changed_fields(rec(v), base and rec(base))), v["id"]))


def current(versions: list[dict]) -> dict | None:
    """The version ``articles`` shows: the newest capture that is not degraded."""
    good = [v for v in versions if not v["degraded"]]
    return good[-1] if good else None
