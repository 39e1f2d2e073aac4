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
#: ``$base`` of the version ``articles`` shows: its record is kept as a change from the record
#: that ``articles`` and its images and videos give back (:func:`shown_record`), not again whole.
SHOWN = "articles"
#: Columns of ``articles`` that are not the record's (fetch times, run ids, counts, hash).
_NOT_RECORD = frozenset(("id", "version", "first_seen_at", "last_fetched_at", "last_checked_at",
                         "last_changed_at", "http_status", "etag", "last_modified_http", "first_run_id",
                         "last_run_id", "paragraph_count", "word_count", "image_count", "content_hash"))
#: Columns of ``articles`` holding JSON.
_JSON_COLUMNS = frozenset(("paragraphs", "authors", "tags", "published_flags", "modified_flags", "sources",
                           "conflicts"))


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def same_json(a, b) -> bool:
    """``_json(a) == _json(b)`` (so ``True`` is not ``1``), without encoding the common cases:
    two strings, two ints, or two lists of strings are equal as JSON exactly when they are
    equal; ``None`` is only ever ``null``."""
    if a is None or b is None:
        return a is b
    kind = type(a)
    if kind is type(b) and (kind is str or kind is int or kind is bool):
        return a == b
    if kind is list and type(b) is list and all(type(x) is str for x in a) and all(type(x) is str for x in b):
        return a == b
    return _json(a) == _json(b)


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


#: zlib's preset dictionary for ``record_z`` (field names, the usual change from ``articles``):
#: a version that only names what it shares with its base takes a few dozen bytes instead of
#: ~240. A stream made with it says so (zlib's FDICT flag and the dictionary's Adler-32), so
#: records written without it read as before. Never edit it: add another to ``_ZDICTS``.
_ZDICT = (
    b'{"$base": 1, "$same": ["$paragraphs", "authors", "body", "images", "videos", "caption", "caption_raw", "credit", '
    b'"alt", "provider", "url", "headline", "paragraphs", "summary", "tags", "sources", "profile", "meta", '
    b'"fallback", "jsonld", "visible", "relative", "utf-8", "windows-1256", "ar", "almodon"], '
    b'"extractor_version": "2026.11.30", "conflicts": [], "published_date": "", "modified_at": "", '
    b'"$base": "articles", "$same": ["authors", "conflicts", "encoding", "era", "headline", "images", "language", '
    b'"modified_at", "modified_flags", "modified_local", "modified_precision", "modified_raw", "modified_source", '
    b'"original_url", "paragraphs", "published_at", "published_date", "published_flags", "published_local", '
    b'"published_precision", "published_raw", "published_source", "section", "section_name", "site", "sources", '
    b'"summary", "tags", "url", "url_key", "videos"], "extractor_version": "2026.'
)
_ZDICTS = {zlib.adler32(_ZDICT): _ZDICT}


def compress(data: bytes) -> bytes:
    """zlib (level 9) with the preset dictionary :data:`_ZDICT`."""
    c = zlib.compressobj(9, zdict=_ZDICT)
    return c.compress(data) + c.flush()


def unpack(z: bytes) -> dict:
    """A ``record_z`` as stored (JSON decoded; ``$base`` not followed)."""
    if len(z) > 6 and z[1] & 0x20:  # FDICT: a preset dictionary, named by its Adler-32
        d = zlib.decompressobj(zdict=_ZDICTS[int.from_bytes(z[2:6], "big")])
        data = d.decompress(z) + d.flush()
    else:
        data = zlib.decompress(z)
    return json.loads(data.decode("utf-8"))


def shown_record(conn: sqlite3.Connection, article_id: int) -> dict:
    """The record ``articles`` shows for one article, read back from its row, images and videos
    (JSON columns decoded). A version stored as a change from it (``$base`` = :data:`SHOWN`)
    lists the fields equal to it in ``$same``; fields it gives otherwise are kept whole."""
    cur = conn.execute("SELECT * FROM articles WHERE id = ?", (article_id,))
    names = [d[0] for d in cur.description]
    row = cur.fetchone()
    out = {k: (json.loads(v) if k in _JSON_COLUMNS and v is not None else v)
           for k, v in zip(names, row, strict=True) if k not in _NOT_RECORD}
    out["images"] = [dict(zip(("url", "caption", "credit", "alt", "caption_raw"), r, strict=True)) for r in conn.execute(
        "SELECT url, caption, credit, alt, caption_raw FROM images WHERE article_id = ? ORDER BY position",
        (article_id,))]
    out["videos"] = [dict(zip(("url", "provider", "caption", "credit"), r, strict=True)) for r in conn.execute(
        "SELECT url, provider, caption, credit FROM videos WHERE article_id = ? ORDER BY position", (article_id,))]
    return out


def pack(record: dict, base: tuple[int | str, dict] | None = None) -> bytes:
    """The record as kept in ``record_z``: zlib of its JSON, ``body`` left out when it is the
    paragraphs joined. With ``base`` (``(version id, its full record)``, another version of the
    same article), only what changed is kept: ``$same`` lists the fields equal to the base's,
    a paragraph the base has is kept as its index there, and ``$base`` names the version.
    Stored versions are never rewritten, so the reference holds, with one exception: the base
    :data:`SHOWN` (the version ``articles`` shows) is rewritten by :func:`materialise` before
    ``articles`` changes. Values are compared as JSON (``True`` is not ``1``)."""
    kept = dict(record)
    if kept.get("body") is None or kept.get("body") == joined(kept):
        kept.pop("body", None)
    if base is not None:
        base_id, old = base
        same = sorted(k for k, v in kept.items() if k != "body" and k in old and same_json(old[k], v))
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
    return compress(_json(kept).encode("utf-8"))


def _decoded(row: sqlite3.Row | dict) -> dict:
    """A version's record as stored (paragraphs may still refer to ``$base``), either layout:
    ``record_z``, or the JSON ``record`` and ``body`` columns of archives not yet migrated."""
    if row["record_z"] is not None:
        record = unpack(row["record_z"])
    else:
        record = json.loads(row["record"])
        record.setdefault("body", row["body"])
    return record


def record_of(conn: sqlite3.Connection, version_id: int, cache: dict[int, dict] | None = None) -> dict:
    """The full record of a stored version, exactly as it was stored (its ``$base`` chain
    followed without recursion; ``cache`` keeps records already built)."""
    cache = {} if cache is None else cache
    chain: list[tuple[int, dict]] = []
    wanted: int | tuple | None = version_id
    while wanted is not None and wanted not in cache:
        row = conn.execute("SELECT article_id, record_z, record, body FROM article_versions WHERE id = ?",
                           (wanted,)).fetchone()
        chain.append((wanted, _decoded(row)))
        wanted = chain[-1][1].get("$base")
        if wanted == SHOWN:  # the record articles shows now (read once per cache)
            wanted = chain[-1][1]["$base"] = (SHOWN, row["article_id"])
            if wanted not in cache:
                cache[wanted] = shown_record(conn, row["article_id"])
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


def _bases(conn: sqlite3.Connection, version_id: int) -> list:
    """The ``$base`` chain of a stored version: its id, its base's, and so on."""
    out: list = []
    wanted = version_id
    while isinstance(wanted, int) and wanted not in out:
        out.append(wanted)
        row = conn.execute("SELECT record_z, record, body FROM article_versions WHERE id = ?", (wanted,)).fetchone()
        wanted = _decoded(row).get("$base")
    return out


def materialise(conn: sqlite3.Connection, article_id: int) -> int:
    """Call before ``articles`` (or its images, videos) stops showing a version: the version(s)
    kept as a change from ``articles`` (``$base`` = :data:`SHOWN`) get their own record, as a
    change from their base version (whole when that base's chain leads back to them). In the
    caller's transaction, so the record is never without a copy. Returns the versions rewritten."""
    done = 0
    for vid, base_id, z in conn.execute("SELECT id, base_id, record_z FROM article_versions "
                                        "WHERE article_id = ? AND record_z IS NOT NULL", (article_id,)).fetchall():
        if unpack(z).get("$base") != SHOWN:
            continue
        full = record_of(conn, vid)
        base = (base_id, record_of(conn, base_id)) if base_id and vid not in _bases(conn, base_id) else None
        conn.execute("UPDATE article_versions SET record_z = ? WHERE id = ?", (pack(full, base), vid))
        done += 1
    return done


def shown_versions(conn: sqlite3.Connection, article_id: int) -> list[tuple[int, dict]]:
    """``(id, full record)`` of the version(s) kept as a change from ``articles``, read while
    ``articles`` still shows them: call before it changes, then :func:`rebase` them."""
    cache: dict = {}
    return [(vid, record_of(conn, vid, cache)) for vid, z in conn.execute(
        "SELECT id, record_z FROM article_versions WHERE article_id = ? AND record_z IS NOT NULL",
        (article_id,)).fetchall() if unpack(z).get("$base") == SHOWN]


def rebase(conn: sqlite3.Connection, previous: list[tuple[int, dict]], shown_id: int) -> None:
    """The versions ``articles`` showed before (from :func:`shown_versions`) are kept as a change
    from the version it shows now (``shown_id``, itself a change from ``articles``): a replaced
    version costs what differs from its successor, and no chain can lead back to itself (the
    new version's chain is ``articles`` alone). In the caller's transaction, right after the new
    version is stored and before anything reads the old ones."""
    if not previous:
        return
    newer = record_of(conn, shown_id)
    for vid, record in previous:
        conn.execute("UPDATE article_versions SET record_z = ? WHERE id = ?", (pack(record, (shown_id, newer)), vid))


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
