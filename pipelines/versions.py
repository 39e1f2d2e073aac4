"""Article versions: how one version's record is kept, and the order and comparisons of versions.

- A version's full record is kept once, compressed (``article_versions.record_z``: zlib of the
  JSON); ``body`` is left out when it is the paragraphs joined by a blank line (it always is for
  records of the pipeline), and a paragraph an earlier version already holds is kept as a
  reference to it: only changed text is stored again. :func:`record_of` gives the record back
  exactly. ``headline``, ``body_chars`` and ``conflicts`` stay plain columns for the views and
  for ``almodon health``.
- Versions are numbered in capture order (``fetched_at``, then arrival): a capture older than the
  stored ones is inserted before them and the later ones are renumbered.
- Each version is compared with its *base*: the nearest earlier version that is not degraded,
  preferring one made by the same extractor version (so a re-extraction of an older capture does
  not make the next site change look like an extraction change). ``changed_fields`` and
  ``base_id`` say what differs from it.
"""

from __future__ import annotations

import copy
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


def pack(record: dict, base: tuple[int, dict] | None = None) -> bytes:
    """The record as kept in ``record_z``: zlib of its JSON, ``body`` left out when it is the
    paragraphs joined. With ``base`` (``(version id, its full record)``, another version of the
    same article), only what changed is kept: ``$same`` lists the fields equal to the base's,
    a paragraph the base has is kept as its index there, and ``$base`` names the version.
    Stored versions are never rewritten, so the reference holds."""
    kept = dict(record)
    if kept.get("body") is None or kept.get("body") == joined(kept):
        kept.pop("body", None)
    if base is not None:
        base_id, old = base
        same = sorted(k for k, v in kept.items() if k != "body" and k in old and old[k] == v)
        for k in same:
            del kept[k]
        where: dict[str, int] = {}
        for i, p in enumerate(old.get("paragraphs") or []):
            where.setdefault(p, i)
        if any(p in where for p in kept.get("paragraphs") or []):
            kept["paragraphs"] = [where.get(p, p) for p in kept["paragraphs"]]
            same.append("$paragraphs")
        if same:
            kept["$base"], kept["$same"] = base_id, same
    return zlib.compress(_json(kept).encode("utf-8"), 9)


def _decoded(row: sqlite3.Row | dict) -> dict:
    """A version's record as stored (paragraphs may still refer to ``$base``), either layout:
    ``record_z``, or the JSON ``record`` and ``body`` columns of archives not yet migrated."""
    if row["record_z"] is not None:
        record = json.loads(zlib.decompress(row["record_z"]).decode("utf-8"))
    else:
        record = json.loads(row["record"])
        record.setdefault("body", row["body"])
    return record


def record_of(conn: sqlite3.Connection, version_id: int, cache: dict[int, dict] | None = None) -> dict:
    """The full record of a stored version, exactly as it was stored (its ``$base`` chain
    followed without recursion; ``cache`` keeps records already built)."""
    cache = {} if cache is None else cache
    chain: list[tuple[int, dict]] = []
    wanted: int | None = version_id
    while wanted is not None and wanted not in cache:
        row = conn.execute("SELECT record_z, record, body FROM article_versions WHERE id = ?", (wanted,)).fetchone()
        chain.append((wanted, _decoded(row)))
        wanted = chain[-1][1].get("$base")
    for vid, record in reversed(chain):
        base_id, same = record.pop("$base", None), record.pop("$same", [])
        if base_id is not None:
            base = cache[base_id]
            record.update({k: copy.deepcopy(base[k]) for k in same if k != "$paragraphs"})
            if "$paragraphs" in same:
                record["paragraphs"] = [base["paragraphs"][p] if isinstance(p, int) else p
                                        for p in record["paragraphs"]]
        record.setdefault("body", joined(record))
        cache[vid] = record
    return cache[version_id]


def rows(conn: sqlite3.Connection, article_id: int) -> list[dict]:
    """The versions of one article in capture order, without their records."""
    return [dict(r) for r in conn.execute(
        f"SELECT {_META} FROM article_versions WHERE article_id = ? ORDER BY version", (article_id,))]


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
        return record_of(conn, v["id"], cache)

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
