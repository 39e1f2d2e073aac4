"""The shadow full-text index (``article_fts``) and search over it.

Pure sqlite3 (no Scrapy): every function takes an open connection. The index stores
``normalise.index_text`` of each article's headline, body and image captions under
``rowid = articles.id``; snippets are cut from the ORIGINAL ``articles`` text, the matched words
marked. Writers never commit: ``index_article`` runs inside the caller's transaction.
"""

from __future__ import annotations

import re
import sqlite3

from . import normalise as nz

#: bm25 column weights: headline, body, captions (the ``article_search`` view uses the same).
WEIGHTS = (5.0, 1.0, 2.0)
#: Words of context in a snippet, and the default hit markers.
SNIPPET_WORDS = 28
MARKS = ("[", "]")
ELLIPSIS = "…"


def fts_sql() -> str:
    """The DDL of the index: its section of ``schema.sql`` (the one description of the
    database), from the search marker to the end. Idempotent."""
    from ..store import SCHEMA_PATH

    text = SCHEMA_PATH.read_text(encoding="utf-8")
    return text[text.index("-- ===== Arabic-aware full-text search"):]


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the index, its view and trigger if missing; record the normaliser version if
    none is recorded. Idempotent.

    Uses ``executescript``, which commits any open transaction: call it outside one."""
    conn.executescript(fts_sql())
    with conn:
        conn.execute(
            "INSERT OR IGNORE INTO search_meta (key, value) VALUES ('normaliser_version', ?)",
            (str(nz.NORMALISER_VERSION),),
        )


def _shadow(conn: sqlite3.Connection, article_id: int) -> tuple[str, str, str] | None:
    row = conn.execute("SELECT headline, body FROM articles WHERE id = ?", (article_id,)).fetchone()
    if row is None:
        return None
    captions = [
        r[0]
        for r in conn.execute(
            "SELECT caption FROM images WHERE article_id = ? AND caption IS NOT NULL "
            "ORDER BY position",
            (article_id,),
        )
    ]
    return nz.index_text(row[0]), nz.index_text(row[1]), nz.index_text("\n".join(captions))


def index_article(conn: sqlite3.Connection, article_id: int) -> None:
    """(Re)build the index row of one article from ``articles`` + ``images``; removes it when
    the article is gone. Does not commit (the store calls this inside its upsert)."""
    conn.execute("DELETE FROM article_fts WHERE rowid = ?", (article_id,))
    shadow = _shadow(conn, article_id)
    if shadow is not None:
        conn.execute(
            "INSERT INTO article_fts (rowid, headline, body, captions) VALUES (?, ?, ?, ?)",
            (article_id, *shadow),
        )


def rebuild(conn: sqlite3.Connection) -> int:
    """Reindex every article in one transaction; returns how many were indexed."""
    ids = [r[0] for r in conn.execute("SELECT id FROM articles ORDER BY id")]
    with conn:
        conn.execute("DELETE FROM article_fts")
        for article_id in ids:
            index_article(conn, article_id)
        conn.execute(
            "INSERT OR REPLACE INTO search_meta (key, value) VALUES ('normaliser_version', ?)",
            (str(nz.NORMALISER_VERSION),),
        )
    conn.execute("INSERT INTO article_fts(article_fts) VALUES ('optimize')")
    conn.commit()
    return len(ids)


def stale(conn: sqlite3.Connection) -> bool:
    """True when the index was built by another normaliser version or misses articles."""
    row = conn.execute("SELECT value FROM search_meta WHERE key = 'normaliser_version'").fetchone()
    if row is not None and row[0] != str(nz.NORMALISER_VERSION):
        return True
    indexed = conn.execute("SELECT count(*) FROM article_fts").fetchone()[0]
    return indexed != conn.execute("SELECT count(*) FROM articles").fetchone()[0]


def ensure_current(conn: sqlite3.Connection) -> int | None:
    """``rebuild`` when ``stale``; returns the count rebuilt, or ``None`` when already current."""
    return rebuild(conn) if stale(conn) else None


def search(conn: sqlite3.Connection, query: str, *, since: str | None = None,
           until: str | None = None, section: str | None = None, limit: int = 20) -> list[dict]:
    """Ranked articles for a user query, best first:
    ``[{id, url, headline, published_date, section, score, snippet}]``.

    ``since``/``until`` bound ``published_date`` (``YYYY-MM-DD``, inclusive); ``section`` is the
    URL slug (``politics``) or the printed name (``سياسة``). ``score`` is ``-bm25`` (higher is
    better); ``snippet`` is original text with the matched words between ``MARKS``."""
    parsed = nz.parse_query(query)
    if parsed.empty:
        return []
    if not (since or until or section):
        # rank inside the index and join only the winners: most of a body-heavy article row is
        # never read
        sql = (
            "WITH ranked AS (SELECT rowid, bm25(article_fts, ?, ?, ?) AS bm FROM article_fts "
            "WHERE article_fts MATCH ? ORDER BY bm LIMIT ?) "
            "SELECT a.id, a.url, a.headline, a.published_date, a.section, ranked.bm "
            "FROM ranked JOIN articles a ON a.id = ranked.rowid "
            "ORDER BY ranked.bm, a.published_date DESC, a.id"
        )
        return _results(conn, conn.execute(sql, [*WEIGHTS, parsed.match_expression(), int(limit)]), parsed)
    # filtered: every match is joined to test the filter (FTS5 cannot use a rowid IN (…)
    # constraint well: measured 50x slower), but the body is only read for the winners
    sql = [
        "SELECT a.id, a.url, a.headline, a.published_date, a.section,",
        "       bm25(article_fts, ?, ?, ?) AS bm",
        "FROM article_fts JOIN articles a ON a.id = article_fts.rowid",
        "WHERE article_fts MATCH ?",
    ]
    params: list = [*WEIGHTS, parsed.match_expression()]
    if since:
        sql.append("AND a.published_date >= ?")
        params.append(since)
    if until:
        sql.append("AND a.published_date <= ?")
        params.append(until)
    if section:
        sql.append("AND (a.section = ? OR a.section_name = ?)")
        params += [section, section]
    sql.append("ORDER BY bm, a.published_date DESC, a.id LIMIT ?")
    params.append(int(limit))
    return _results(conn, conn.execute("\n".join(sql), params), parsed)


def _results(conn: sqlite3.Connection, rows, parsed) -> list[dict]:
    """The result dicts, with snippets cut from the original text of the ranked rows only."""
    out = []
    for row in rows.fetchall():
        article_id, url, headline, day, sec, bm = tuple(row)
        body = conn.execute("SELECT body FROM articles WHERE id = ?", (article_id,)).fetchone()[0]
        captions = [r[0] for r in conn.execute(
            "SELECT caption FROM images WHERE article_id = ? AND caption IS NOT NULL "
            "ORDER BY position", (article_id,))]
        out.append({
            "id": article_id,
            "url": url,
            "headline": headline,
            "published_date": day,
            "section": sec,
            "score": round(-bm, 4),
            "snippet": snippet([*body.split("\n\n"), *captions, headline], parsed),
        })
    return out


def _hits(text: str, terms: tuple[nz.Term, ...]) -> tuple[list[tuple[int, int]], list[int]]:
    """Word spans of ``text`` and, per word, the index of the first term it matches (-1)."""
    spans, which = [], []
    for start, end, stems in nz.word_spans(text):
        spans.append((start, end))
        which.append(next((i for i, t in enumerate(terms) for s in stems if t.matches(s)), -1))
    return spans, which


def _best_window(which: list[int], width: int) -> int:
    """Start word of the ``width``-word window with the most distinct terms, then the most
    hits, then the hits nearest its centre."""
    def key(start: int) -> tuple[int, int, float]:
        hits = [i for i in range(start, start + width) if which[i] >= 0]
        centre = (hits[0] + hits[-1]) / 2 if hits else start
        return len({which[i] for i in hits}), len(hits), -abs(centre - (start + width / 2))

    return max(range(len(which) - width + 1), key=key)


#: Passages tokenised exactly for the snippet, after the cheap ranking.
SNIPPET_CANDIDATES = 3
_MARKS_RE = re.compile("[\u064B-\u065F\u0670\u0640]")  # harakat, shadda, tatweel


def snippet(texts: list[str], query: str | nz.Query, *, words: int = SNIPPET_WORDS,
            marks: tuple[str, str] = MARKS) -> str:
    """A passage of the ORIGINAL text with the query's words marked.

    ``texts`` are the candidate passages in order of preference (paragraphs, captions,
    headline); the one with the most distinct matched terms wins. Words are marked whole, with
    their clitics (``[وطهران]`` for ``طهران``); cut ends get ``…``."""
    parsed = nz.parse_query(query) if isinstance(query, str) else query
    terms = parsed.terms()
    # Rank passages cheaply on their folded text (substring counts of the query's stems), then
    # tokenise only the few best: tokenising every paragraph of every result was 89% of the
    # query time (docs/benchmark.md).
    candidates = []
    for order, text in enumerate(t for t in texts if t and t.strip()):
        folded = _MARKS_RE.sub("", text).translate(nz.FOLD_TABLE)
        counts = [sum(folded.count(a) for a in t.alternatives) for t in terms]
        candidates.append(((sum(1 for c in counts if c), sum(counts), -order), text))
    if not candidates:
        return ""
    candidates.sort(key=lambda c: c[0], reverse=True)
    # folded substrings miss words the cheap fold does not cover (harakat composed by NFC,
    # ligatures): when no passage shows a hit that way, rank them all exactly
    best = candidates if candidates[0][0][0] == 0 else candidates[:SNIPPET_CANDIDATES]
    scored = []
    for _, text in best:
        spans, which = _hits(text, terms)
        hit = [w for w in which if w >= 0]
        scored.append(((len(set(hit)), len(hit), -texts.index(text)), text, spans, which))
        if len(set(hit)) == len(terms):  # every query word is in this passage: good enough
            break
    _, text, spans, which = max(scored, key=lambda s: s[0])
    if not spans:
        return " ".join(text.split())
    first = _best_window(which, words) if len(spans) > words else 0
    last = min(len(spans), first + words) - 1
    cut_from = spans[first][0] if first > 0 else 0
    cut_to = spans[last][1] if last < len(spans) - 1 else len(text)
    marked: list[list[int]] = []  # [start, end] of marked runs: adjacent hits share one mark
    for (start, end), w in zip(spans[first:last + 1], which[first:last + 1], strict=True):
        if w < 0:
            continue
        if marked and _joinable(text[marked[-1][1]:start]):
            marked[-1][1] = end
        else:
            marked.append([start, end])
    pieces, pos = [], cut_from
    for start, end in marked:
        pieces += [text[pos:start], marks[0], text[start:end], marks[1]]
        pos = end
    pieces.append(text[pos:cut_to])
    out = " ".join("".join(pieces).split())
    return (ELLIPSIS if cut_from > 0 else "") + out + (ELLIPSIS if cut_to < len(text) else "")


def _joinable(gap: str) -> bool:
    """Two hits separated only by this gap get one mark: ``[مجلس الأمن]``, ``[سو-35]``."""
    return len(gap) <= 2 and all(ch in " -\u00a0\u2010\u2011" for ch in gap)


def register_functions(conn: sqlite3.Connection) -> None:
    """SQL functions for programmatic (Python) users of a connection:

    - ``ar_normalise(text)``: the folded search form (``normalise.normalise``);
    - ``ar_index_text(text)``: what the index stores for ``text`` (clitics stripped);
    - ``ar_match(query)``: the FTS5 MATCH string for a user query;
    - ``ar_snippet(text, query)``: ``text`` cut around the query's words, marked ``[…]``.
    """
    conn.create_function("ar_normalise", 1, _nullsafe(nz.normalise), deterministic=True)
    conn.create_function("ar_index_text", 1, _nullsafe(nz.index_text), deterministic=True)
    conn.create_function("ar_match", 1, _nullsafe(nz.match_expression), deterministic=True)
    conn.create_function(
        "ar_snippet", 2,
        lambda text, query: None if text is None else snippet(text.split("\n\n"), query or ""),
        deterministic=True,
    )


def _nullsafe(fn):
    return lambda value: None if value is None else fn(str(value))


def index_bytes(conn: sqlite3.Connection) -> int:
    """Bytes the index takes (its b-tree data plus stored shadow text), for reports."""
    data = conn.execute(
        "SELECT coalesce(sum(length(block)), 0) FROM article_fts_data").fetchone()[0]
    content = conn.execute(
        "SELECT coalesce(sum(length(CAST(c0 AS BLOB)) + length(CAST(c1 AS BLOB)) "
        "+ length(CAST(c2 AS BLOB))), 0) FROM article_fts_content"
    ).fetchone()[0]
    return int(data) + int(content)
