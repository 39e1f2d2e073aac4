"""The shadow full-text index (``article_fts``) and search over it.

Pure sqlite3 (no Scrapy): every function takes an open connection. The index is contentless:
it holds the terms of ``normalise.index_text`` of each article's headline, body and image
captions (and two section tokens), never the text itself; snippets are cut from the ORIGINAL
``articles`` text, the matched words marked. Its rowid is a search key (``KEY_SQL``): the
publication day in the high bits, ``articles.id`` in the low ``ID_BITS``, so FTS5's rowid order
is publication order. Writers never commit: ``index_article`` runs inside the caller's
transaction.
"""

from __future__ import annotations

import calendar
import re
import sqlite3
from datetime import date

from . import normalise as nz

#: bm25 column weights: headline, body, captions, section (the ``article_search`` view uses the same).
WEIGHTS = (5.0, 1.0, 2.0, 0.0)
#: Words of context in a snippet, and the default hit markers.
SNIPPET_WORDS = 28
MARKS = ("[", "]")
ELLIPSIS = "…"
#: Low bits of the search key that hold ``articles.id`` (16.7 million articles).
ID_BITS = 24
ID_MASK = (1 << ID_BITS) - 1
#: The search key of an article row, in SQL (schema.sql's triggers spell out the same
#: expression): days since 1969-12-31 of ``published_date`` (0 without one) << 24 | id.
KEY_SQL = ("(max(coalesce(CAST(julianday({t}published_date) - 2440587.5 AS INTEGER) + 1, 0), 0) "
           f"<< {ID_BITS}) | {{t}}id")
#: Matches ranked by relevance: the newest RANK_WINDOW matching articles (all of them when
#: fewer match). Past that, relevance is not worth its cost (docs/search.md, "Common words").
RANK_WINDOW = 1000
#: What the index was built with; a change makes ``stale`` true (``rebuild``).
LAYOUT = "2"  # 2: contentless, keyed by publication day, section column
_TEXT_COLUMNS = "{headline body captions}"


def fts_sql() -> str:
    """The DDL of the index: its section of ``schema.sql`` (the one description of the
    database), from the search marker to the end. Idempotent."""
    from ..store import SCHEMA_PATH

    text = SCHEMA_PATH.read_text(encoding="utf-8")
    return text[text.index("-- ===== Arabic-aware full-text search"):]


def _version() -> str:
    return f"{nz.NORMALISER_VERSION}/{LAYOUT}"


def ensure_schema(conn: sqlite3.Connection) -> None:
    """Create the index, its view and triggers if missing; record the normaliser version if
    none is recorded; register the SQL functions the triggers call. Idempotent.

    Uses ``executescript``, which commits any open transaction: call it outside one."""
    register_functions(conn)
    conn.executescript(fts_sql())
    with conn:
        conn.execute(
            "INSERT OR IGNORE INTO search_meta (key, value) VALUES ('normaliser_version', ?)",
            (_version(),),
        )


def day_number(day: date) -> int:
    """The day part of a search key (``KEY_SQL``): 1970-01-01 is 1."""
    return day.toordinal() - date(1970, 1, 1).toordinal() + 1


def section_token(value: str | None) -> str:
    """One index token for a section slug or printed name: folded, spaces removed
    (``politics``, ``سياسه``); ``""`` for nothing."""
    return "".join(nz.normalise(value or "").split())


def section_text(section: str | None, section_name: str | None) -> str:
    """What the ``section`` column indexes: the slug's and the printed name's tokens."""
    return " ".join(dict.fromkeys(t for t in (section_token(section), section_token(section_name)) if t))


_ROW_SQL = (
    f"SELECT {KEY_SQL.format(t='a.')}, a.headline, a.body, "
    "coalesce((SELECT group_concat(caption, char(10)) FROM (SELECT caption FROM images "
    "WHERE article_id = a.id AND caption IS NOT NULL ORDER BY position)), ''), "
    "a.section, a.section_name FROM articles a"
)


def _shadow(row) -> tuple:
    key, headline, body, captions, section, section_name = row
    return (key, nz.index_text(headline), nz.index_text(body), nz.index_text(captions),
            section_text(section, section_name))


def _indexed(conn: sqlite3.Connection, key: int) -> bool:
    return conn.execute("SELECT 1 FROM article_fts_docsize WHERE id = ?", (key,)).fetchone() is not None


_INSERT = "INSERT INTO article_fts (rowid, headline, body, captions, section) VALUES (?, ?, ?, ?, ?)"
_DELETE = ("INSERT INTO article_fts (article_fts, rowid, headline, body, captions, section) "
           "VALUES ('delete', ?, ?, ?, ?, ?)")


def index_article(conn: sqlite3.Connection, article_id: int) -> None:
    """(Re)index one article from ``articles`` + ``images``. Does not commit (the store calls
    this inside its upsert).

    A changed or deleted article left the index already: the schema's triggers remove its
    old row (with the old terms) before the change. A row still present is therefore the
    current text's, which this removes before adding it again (idempotent)."""
    built_by = conn.execute(
        "SELECT value FROM search_meta WHERE key = 'normaliser_version'").fetchone()
    if built_by is not None and built_by[0] != _version():
        return  # an index of other rules is stale as a whole: the next search rebuilds it
    if not 0 < article_id <= ID_MASK:
        raise ValueError(f"article id {article_id} does not fit the search key ({ID_BITS} bits)")
    row = conn.execute(f"{_ROW_SQL} WHERE a.id = ?", (article_id,)).fetchone()
    if row is None:
        return
    shadow = _shadow(row)
    if _indexed(conn, shadow[0]):
        conn.execute(_DELETE, shadow)
    conn.execute(_INSERT, shadow)


def rebuild(conn: sqlite3.Connection) -> int:
    """Reindex every article in one transaction (in key order); returns how many."""
    register_functions(conn)
    count = 0
    with conn:
        conn.execute("INSERT INTO article_fts (article_fts) VALUES ('delete-all')")
        rows = conn.execute(f"{_ROW_SQL} ORDER BY 1").fetchall()
        for row in rows:
            conn.execute(_INSERT, _shadow(row))
            count += 1
        conn.execute(
            "INSERT OR REPLACE INTO search_meta (key, value) VALUES ('normaliser_version', ?)",
            (_version(),),
        )
    conn.execute("INSERT INTO article_fts(article_fts) VALUES ('optimize')")
    conn.commit()
    return count


def stale(conn: sqlite3.Connection) -> bool:
    """True when the index was built by another normaliser or layout, or misses articles."""
    row = conn.execute("SELECT value FROM search_meta WHERE key = 'normaliser_version'").fetchone()
    if row is not None and row[0] != _version():
        return True
    indexed = conn.execute("SELECT count(*) FROM article_fts_docsize").fetchone()[0]
    return indexed != conn.execute("SELECT count(*) FROM articles").fetchone()[0]


def ensure_current(conn: sqlite3.Connection) -> int | None:
    """``rebuild`` when ``stale``; returns the count rebuilt, or ``None`` when already current."""
    return rebuild(conn) if stale(conn) else None


def _day(value: str, *, last: bool) -> date:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` as a day (the first, or with ``last`` the last
    day of a year or month); ``ValueError`` with a readable message otherwise."""
    parts = (value or "").strip().split("-")
    try:
        if len(parts) == 3:
            return date.fromisoformat("-".join(parts))
        year = int(parts[0])
        if len(parts) == 1 and len(parts[0]) == 4:
            return date(year, 12, 31) if last else date(year, 1, 1)
        if len(parts) == 2 and len(parts[0]) == 4:
            month = int(parts[1])
            return date(year, month, calendar.monthrange(year, month)[1] if last else 1)
    except ValueError:
        pass
    raise ValueError(f"not a day: {value!r} (YYYY-MM-DD, YYYY-MM or YYYY)")


def match_for(query: str | nz.Query, section: str | None = None) -> str:
    """The full MATCH string: the query on the three text columns, and the section token."""
    parsed = nz.parse_query(query) if isinstance(query, str) else query
    expr = parsed.match_expression()
    if not expr:
        return ""
    full = f"{_TEXT_COLUMNS} : ({expr})"
    if section is not None:
        token = section_token(section)
        if not token:
            return ""
        full += f' AND section : "{token}"'
    return full


def search(conn: sqlite3.Connection, query: str, *, since: str | None = None,
           until: str | None = None, section: str | None = None, limit: int = 20) -> list[dict]:
    """Ranked articles for a user query, best first:
    ``[{id, url, headline, published_date, section, score, snippet}]``.

    The ranking is bm25 over the newest ``RANK_WINDOW`` matching articles (all of them when
    fewer match); equal scores (to 4 places, as shown) go to the newer article, which is every
    result of a word found in most articles (its bm25 weight is nil); see docs/search.md,
    "Common words". ``since``/``until``
    bound ``published_date`` (``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``, inclusive; ``ValueError``
    for anything else); ``section`` is the URL slug (``politics``) or the printed name
    (``سياسة``). Filters are constraints inside the index (a rowid range, a section term):
    nothing is joined before the winners are known. ``score`` is ``-bm25`` (higher is better);
    ``snippet`` is original text with the matched words between ``MARKS``."""
    parsed = nz.parse_query(query)
    lo = day_number(_day(since, last=False)) << ID_BITS if since else None
    hi = ((day_number(_day(until, last=True)) + 1) << ID_BITS) - 1 if until else None
    if hi is not None and lo is None:
        lo = 1 << ID_BITS  # an article without a date is before no day
    full = match_for(parsed, section)
    if not full:
        return []
    where, params = ["article_fts MATCH ?"], [*WEIGHTS, full]
    if lo is not None:
        where.append("rowid >= ?")
        params.append(lo)
    if hi is not None:
        where.append("rowid <= ?")
        params.append(hi)
    sql = (
        "SELECT rowid, bm FROM (SELECT rowid, bm25(article_fts, ?, ?, ?, ?) AS bm FROM article_fts "
        f"WHERE {' AND '.join(where)} ORDER BY rowid DESC LIMIT ?) "
        "ORDER BY round(bm, 4), rowid DESC LIMIT ?"
    )
    params += [RANK_WINDOW, int(limit)]
    return _results(conn, conn.execute(sql, params).fetchall(), parsed)


def _results(conn: sqlite3.Connection, ranked: list, parsed) -> list[dict]:
    """The result dicts, with snippets cut from the original text of the ranked rows only."""
    out = []
    for key, bm in ranked:
        row = conn.execute("SELECT id, url, headline, published_date, section, body FROM articles "
                           "WHERE id = ?", (key & ID_MASK,)).fetchone()
        if row is None:  # an index row without its article: the index is stale
            continue
        article_id, url, headline, day, sec, body = tuple(row)
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
    - ``ar_match(query)``: the FTS5 MATCH string for a user query (on the text columns);
      ``ar_match(query, section)`` also asks for the section (slug or printed name; ``''``: any);
    - ``ar_snippet(text, query)``: ``text`` cut around the query's words, marked ``[…]``;
    - ``ar_section_text(section, section_name)``: what the index's ``section`` column holds
      (schema.sql's triggers call it, ``ar_index_text`` and ``ar_index_version()``, the rules
      and layout this code indexes with).
    """
    conn.create_function("ar_normalise", 1, _nullsafe(nz.normalise), deterministic=True)
    conn.create_function("ar_index_text", 1, _nullsafe(nz.index_text), deterministic=True)
    conn.create_function("ar_match", 1, _nullsafe(match_for), deterministic=True)
    conn.create_function("ar_match", 2, lambda query, section: None if query is None else match_for(
        str(query), str(section) if section else None), deterministic=True)
    conn.create_function("ar_section_text", 2, section_text, deterministic=True)
    conn.create_function("ar_index_version", 0, _version, deterministic=True)
    conn.create_function(
        "ar_snippet", 2,
        lambda text, query: None if text is None else snippet(text.split("\n\n"), query or ""),
        deterministic=True,
    )


def _nullsafe(fn):
    return lambda value: None if value is None else fn(str(value))


def index_bytes(conn: sqlite3.Connection) -> int:
    """Bytes the index takes (its b-tree data and per-row column sizes), for reports."""
    data = conn.execute(
        "SELECT coalesce(sum(length(block)), 0) FROM article_fts_data").fetchone()[0]
    sizes = conn.execute(
        "SELECT coalesce(sum(length(sz)), 0) FROM article_fts_docsize").fetchone()[0]
    return int(data) + int(sizes)
