"""Arabic-aware full-text search: the shadow index, search, snippets, SQL access, the CLI
command, and the labelled query set (recall/precision, against plain FTS5 as the baseline).

The test database is built from the article goldens the labels were made against
(``tests/fixtures/search/queries.json`` pins them), through ``Store.upsert`` + ``index_article``.
Run ``pytest tests/test_search.py -s -k strategies`` to print the comparison table of
docs/search.md.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines import records
from pipelines.search import index, search_cmd
from pipelines.search import normalise as nz
from pipelines.store import Store

FIXTURES = Path(__file__).resolve().parent / "fixtures"
LABELS = json.loads((FIXTURES / "search" / "queries.json").read_text(encoding="utf-8"))
SEED = LABELS["corpus"]["seed-2024-04-26"]
IRAQ = LABELS["corpus"]["d-2026-03-29-iraq-budget"]


def golden_record(name: str) -> dict:
    """The store record of one golden: its fields, ``site`` and ``body`` added, normalised."""
    data = json.loads((FIXTURES / "almodon" / f"{name}.json").read_text(encoding="utf-8"))
    fields = {k: v for k, v in data.items() if not k.startswith("_")}
    return records.normalise({"site": "almodon", **fields,
                              "body": "\n\n".join(fields["paragraphs"])})


def build_archive(path: Path) -> Store:
    """A store holding the labelled corpus, every article indexed."""
    store = Store(path)
    index.ensure_schema(store.conn)
    for name in LABELS["corpus"]:
        record = golden_record(name)
        store.upsert(record, fetched_at="2026-05-01T00:00:00Z")
        article_id = store.conn.execute(
            "SELECT id FROM articles WHERE url = ?", (record["url"],)).fetchone()[0]
        with store.conn:
            index.index_article(store.conn, article_id)
    return store


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    store = build_archive(tmp_path_factory.mktemp("search") / "archive.db")
    yield store
    store.close()


@pytest.fixture
def fresh(tmp_path):
    store = build_archive(tmp_path / "fresh.db")
    yield store
    store.close()


def urls(results: list[dict]) -> list[str]:
    return [r["url"] for r in results]


# -- the acceptance cases -------------------------------------------------------------
@pytest.mark.parametrize("query", ["طهران", "إيران", "ايران", "وطهران", "الإرهاب", "حيٌّ", "حي"])
def test_seed_is_found_by_spelling_variants_and_bare_words(archive, query):
    assert urls(index.search(archive.conn, query)) == [SEED]


def test_seed_never_prints_tehran_alone_and_plain_fts_misses_it(archive):
    headline, body = archive.conn.execute(
        "SELECT headline, body FROM articles WHERE url = ?", (SEED,)).fetchone()
    text = headline + "\n" + body
    assert "وطهران" in text and not re.search(r"(?<!\w)طهران", text)
    assert "إيران" in body and headline.startswith("ايران")
    plain = sqlite3.connect(":memory:")
    plain.execute("CREATE VIRTUAL TABLE t USING fts5(x)")
    plain.execute("INSERT INTO t VALUES (?)", (text,))
    assert plain.execute("SELECT count(*) FROM t WHERE t MATCH '\"طهران\"'").fetchone()[0] == 0


def test_snippet_is_original_text_with_the_word_marked(archive):
    (hit,) = index.search(archive.conn, "طهران")
    assert "[وطهران]" in hit["snippet"]
    assert "الإيراني" in hit["snippet"] or "أعلى" in hit["snippet"]  # hamza kept: not shadow text
    plain = hit["snippet"].replace("[", "").replace("]", "").strip("…")
    body = archive.conn.execute(
        "SELECT body FROM articles WHERE id = ?", (hit["id"],)).fetchone()[0]
    assert plain in " ".join(body.split())


def test_snippet_marks_harakat_words_and_joins_adjacent_hits(archive):
    (hit,) = index.search(archive.conn, "حي")
    assert "[حيٌّ]" in hit["snippet"]
    (hit,) = index.search(archive.conn, "سو-35")
    assert "[سو-35]" in hit["snippet"]
    top = index.search(archive.conn, '"مجلس الأمن"')
    assert any("[مجلس الأمن]" in r["snippet"] for r in top)


def test_stored_text_is_untouched(archive):
    row = archive.conn.execute(
        "SELECT headline, body FROM articles WHERE url = ?", (SEED,)).fetchone()
    record = golden_record("seed-2024-04-26")
    assert (row[0], row[1]) == (record["headline"], record["body"])
    key = key_of(archive.conn, SEED)
    found = [tuple(r) for r in archive.conn.execute(
        "SELECT rowid, body FROM article_fts WHERE article_fts MATCH ?", ('body : "طهران"',))]
    assert (key, None) in found  # the index finds the bare word and holds no copy of the text


def key_of(conn, url: str) -> int:
    """The search key (article_fts rowid) of a stored article: publication day << 24 | id."""
    return conn.execute(f"SELECT {index.KEY_SQL.format(t='')} FROM articles WHERE url = ?",
                        (url,)).fetchone()[0]


# -- ranking, filters, limit --------------------------------------------------------------------
def test_results_are_ranked_with_fields(archive):
    results = index.search(archive.conn, "الحكومة")
    assert len(results) == 10
    assert set(results[0]) == {"id", "url", "headline", "published_date", "section", "score",
                               "snippet"}
    scores = [r["score"] for r in results]
    assert scores == sorted(scores, reverse=True)
    # a headline hit outranks body-only hits
    top = index.search(archive.conn, "موسكو")
    assert top[0]["url"] == SEED


def test_since_until_section_and_limit(archive):
    assert len(index.search(archive.conn, "الحكومة", limit=3)) == 3
    since = index.search(archive.conn, "الحكومة", since="2025-01-01")
    assert since and all(r["published_date"] >= "2025-01-01" for r in since)
    until = index.search(archive.conn, "الحكومة", until="2016-12-31")
    assert until and all(r["published_date"] <= "2016-12-31" for r in until)
    section = index.search(archive.conn, "الحكومة", section="arabworld")
    assert urls(section) == [IRAQ]
    assert index.search(archive.conn, "طهران", section="politics") == []


@pytest.mark.parametrize("query", ["", "   ", "؟!", "-طهران", "OR"])
def test_queries_with_nothing_to_search_return_nothing(archive, query):
    assert index.search(archive.conn, query) == []


@pytest.mark.parametrize("query", ['طهران AND', '"طهران', "(طهران)", "طهران؟", "«طهران»",
                                   "طهران NOT بغداد", "طهران -بغداد", "طهران OR", "^طهران:"])
def test_fts_syntax_in_user_input_is_literal(archive, query):
    assert urls(index.search(archive.conn, query)) == [SEED]


@pytest.mark.parametrize("query", ['NEAR(طهران', 'body:طهران', '"', "*", "طهران*)", "- -",
                                   'a"b"c', "AND OR NOT", "{طهران}", "طهران NOT"])
def test_hostile_queries_never_raise(archive, query):
    index.search(archive.conn, query)


# -- index maintenance ---------------------------------------------------------------------------
def test_index_article_is_idempotent_and_follows_updates(fresh):
    c = fresh.conn
    article_id = c.execute("SELECT id FROM articles WHERE url = ?", (SEED,)).fetchone()[0]
    with c:
        index.index_article(c, article_id)
        index.index_article(c, article_id)
    rows = c.execute("SELECT count(*) FROM article_fts_docsize WHERE id = ?", (key_of(c, SEED),))
    assert rows.fetchone()[0] == 1
    assert index_terms(c) == rebuilt_terms(c)
    record = golden_record("seed-2024-04-26")
    record["headline"] = "قمة في أصفهان"
    record["published_date"] = "2024-04-27"  # a new day: a new search key
    fresh.upsert(record, fetched_at="2026-05-02T00:00:00Z")
    with c:
        index.index_article(c, article_id)
    assert urls(index.search(c, "اصفهان"))[0] == SEED
    assert index.search(c, "الإرهاب")  # body still indexed
    assert headline_hits(c, "اصفهان") == [key_of(c, SEED)]
    assert headline_hits(c, "ايران") == []  # the old headline is gone
    assert index_terms(c) == rebuilt_terms(c)  # exactly what a rebuild would hold
    assert not index.stale(c)


def headline_hits(conn, word: str) -> list[int]:
    return [r[0] for r in conn.execute("SELECT rowid FROM article_fts WHERE article_fts MATCH ?",
                                       (f'headline : "{word}"',))]


def index_terms(conn) -> list[tuple]:
    """Every (term, rowid, column, offset) the index holds."""
    conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_instances "
                 "USING fts5vocab(main, article_fts, instance)")
    return [tuple(r) for r in conn.execute("SELECT * FROM temp.fts_instances ORDER BY 1, 2, 3, 4")]


def rebuilt_terms(conn) -> list[tuple]:
    """``index_terms`` of an index rebuilt from scratch (the live one is rebuilt too)."""
    index.rebuild(conn)
    return index_terms(conn)


def test_index_article_joins_the_callers_transaction(fresh):
    c = fresh.conn
    article_id = c.execute("SELECT id FROM articles WHERE url = ?", (SEED,)).fetchone()[0]
    with pytest.raises(RuntimeError), c:  # what store.upsert does: one transaction
        c.execute("UPDATE articles SET headline = 'قمة في أصفهان' WHERE id = ?", (article_id,))
        index.index_article(c, article_id)
        assert urls(index.search(c, "اصفهان"))[0] == SEED
        raise RuntimeError("upsert failed")
    assert headline_hits(c, "اصفهان") == []
    assert headline_hits(c, "ايران") == [key_of(c, SEED)]
    assert index_terms(c) == rebuilt_terms(c)


def test_store_upsert_indexes_once_integrated(tmp_path):
    """Runs once schema.sql carries fts.sql and Store.upsert calls index_article."""
    with Store(tmp_path / "s.db") as store:
        if not store.conn.execute(
                "SELECT 1 FROM sqlite_master WHERE name = 'article_fts'").fetchone():
            pytest.skip("schema.sql does not create article_fts yet (integration pending)")
        store.upsert(golden_record("seed-2024-04-26"))
        if not store.conn.execute("SELECT count(*) FROM article_fts").fetchone()[0]:
            pytest.skip("Store.upsert does not call index_article yet (integration pending)")
        assert urls(index.search(store.conn, "طهران")) == [SEED]
        record = golden_record("seed-2024-04-26")
        record["headline"] = "قمة في أصفهان"
        store.upsert(record)
        assert urls(index.search(store.conn, "اصفهان")) == [SEED]
        assert not index.stale(store.conn)
        assert index_terms(store.conn) == rebuilt_terms(store.conn)


def test_deleting_an_article_drops_its_index_row(fresh):
    c = fresh.conn
    with c:
        c.execute("DELETE FROM articles WHERE url = ?", (SEED,))
    assert index.search(c, "طهران") == []
    assert not index.stale(c)
    assert index_terms(c) == rebuilt_terms(c)


def test_rebuild_and_staleness(fresh):
    c = fresh.conn
    n = len(LABELS["corpus"])
    assert not index.stale(c)
    with c:
        c.execute("INSERT INTO article_fts (article_fts) VALUES ('delete-all')")
    assert index.stale(c)
    assert index.ensure_current(c) == n
    assert index.ensure_current(c) is None
    with c:
        c.execute("UPDATE search_meta SET value = 'old' WHERE key = 'normaliser_version'")
    assert index.stale(c)
    assert index.rebuild(c) == n
    assert urls(index.search(c, "طهران")) == [SEED]


def test_schema_is_idempotent_on_top_of_the_store(tmp_path):
    with Store(tmp_path / "a.db") as store:
        index.ensure_schema(store.conn)
        index.ensure_schema(store.conn)
        names = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master")}
    assert {"article_fts", "search_meta", "article_search", "articles_fts_delete"} <= names
    with Store(tmp_path / "a.db") as store:  # reopening applies schema.sql again
        index.ensure_schema(store.conn)


# -- SQL access -----------------------------------------------------------------------------------
def test_sqlite3_users_match_the_view_with_a_normalised_query(archive):
    expr = nz.match_expression("طهران")  # what `almodon search --explain` prints
    conn = sqlite3.connect(archive.path)  # a plain connection: no Python functions
    rows = conn.execute(
        "SELECT url, headline FROM article_search WHERE article_search MATCH ? ORDER BY rank",
        (expr,)).fetchall()
    conn.close()
    assert [r[0] for r in rows] == [SEED] and rows[0][1].startswith("ايران وروسيا")


def test_registered_functions(archive):
    conn = sqlite3.connect(archive.path)
    index.register_functions(conn)
    assert conn.execute("SELECT ar_normalise('الـمدن إيرانٌ')").fetchone()[0] == "المدن ايران"
    assert conn.execute("SELECT ar_index_text('وطهران بالحكومة')").fetchone()[0] == "طهران حكومه"
    assert conn.execute("SELECT ar_normalise(NULL)").fetchone()[0] is None
    rows = conn.execute(
        "SELECT a.url, ar_snippet(a.body, 'طهران') FROM article_fts f "
        "JOIN articles a ON a.id = f.rowid & 16777215 WHERE article_fts MATCH ar_match('طهران') "
        "ORDER BY f.rank").fetchall()
    conn.close()
    assert rows[0][0] == SEED and "[وطهران]" in rows[0][1]


# -- the CLI command -------------------------------------------------------------------------------
def test_cli_search_prints_ranked_results(archive):
    result = CliRunner().invoke(search_cmd, ["طهران", "--db", str(archive.path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("1. 2024-04-26  arabworld  ايران وروسيا")
    assert "[وطهران]" in result.output
    assert "/arabworld/2024/04/26/ايران-وروسيا" in result.output  # the URL as read


def test_cli_search_json_filters_and_explain(archive):
    runner = CliRunner()
    result = runner.invoke(search_cmd, ["الحكومة", "--db", str(archive.path), "--json",
                                        "--since", "2025-01-01", "--limit", "2"])
    data = json.loads(result.output)
    assert len(data) == 2 and all(r["published_date"] >= "2025-01-01" for r in data)
    explained = json.loads(runner.invoke(search_cmd, ["وطهران", "--explain"]).output)
    assert explained == {"normalised": "وطهران", "terms": ["طهران", "وطهران"],
                         "match": '("طهران" OR "وطهران")'}
    missing = runner.invoke(search_cmd, ["x", "--db", str(archive.path) + ".nope"])
    assert missing.exit_code != 0


def test_cli_search_bad_day_is_one_line_and_exit_1(archive):
    result = CliRunner().invoke(search_cmd, ["الحكومة", "--db", str(archive.path), "--since", "2024/01/01"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == ["Error: not a day: '2024/01/01' (YYYY-MM-DD, YYYY-MM or YYYY)"]


def test_since_until_take_a_year_or_a_month(archive):
    year = index.search(archive.conn, "الحكومة", since="2025", until="2025")
    assert year and all(r["published_date"].startswith("2025-") for r in year)
    month = index.search(archive.conn, "الحكومة", until="2016-02")
    assert month and all(r["published_date"] <= "2016-02-29" for r in month)
    assert {r["url"] for r in month} | {r["url"] for r in index.search(
        archive.conn, "الحكومة", since="2016-03")} == {r["url"] for r in index.search(archive.conn, "الحكومة")}


def test_common_words_come_newest_first(archive):
    """A word in most articles weighs nothing in bm25 (FTS5 floors its IDF): its matches score
    0 and come newest first; only its rarer spelling forms (وفي, ففي) still weigh."""
    results = index.search(archive.conn, "في", limit=26)
    zero = [r["published_date"] for r in results if r["score"] == 0]
    assert len(zero) >= 10 and zero == sorted(zero, reverse=True)
    for a, b in pairwise(results):  # best first; equal scores newest first
        assert a["score"] > b["score"] or (
            a["score"] == b["score"] and a["published_date"] >= b["published_date"])


def test_relevance_is_ranked_among_the_newest_window_only(archive, monkeypatch):
    """More matches than RANK_WINDOW: only the newest RANK_WINDOW are ranked."""
    every = index.search(archive.conn, "الحكومة", limit=100)
    newest = sorted(every, key=lambda r: r["published_date"], reverse=True)[:3]
    monkeypatch.setattr(index, "RANK_WINDOW", 3)
    top = index.search(archive.conn, "الحكومة", limit=100)
    assert {r["url"] for r in top} == {r["url"] for r in newest}
    assert [r["score"] for r in top] == sorted((r["score"] for r in top), reverse=True)


def test_cli_search_reindexes_a_stale_archive(fresh):
    with fresh.conn:
        fresh.conn.execute("INSERT INTO article_fts (article_fts) VALUES ('delete-all')")
    result = CliRunner().invoke(search_cmd, ["طهران", "--db", str(fresh.path), "--json"])
    assert result.exit_code == 0
    assert [r["url"] for r in json.loads(result.stdout)] == [SEED]


# -- the labelled set ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Strategy:
    """An indexing option to measure: how documents are stored, how queries are split into
    words, which index forms a word looks for, and the FTS5 tokenizer."""

    doc: Callable[[str], str]
    split: Callable[[str], list[str]]
    forms: Callable[[str], tuple[str, ...]]
    tokenize: str = "unicode61 remove_diacritics 0"


LIGHT10_ARTICLES = ("وال", "بال", "كال", "فال", "لل", "ال")
LIGHT10_SUFFIXES = ("ها", "ان", "ات", "ون", "ين", "يه", "يه", "ه", "ه", "ي")  # ية/ة folded


def light10(token: str) -> str:
    """Larkey et al.'s light10 stemmer (prefix و, articles, one pass of suffixes)."""
    if not nz.is_arabic(token):
        return token
    if token.startswith("و") and len(token) >= 4:
        token = token[1:]
    for art in LIGHT10_ARTICLES:
        if token.startswith(art) and len(token) - len(art) >= 2:
            token = token[len(art):]
            break
    for suffix in LIGHT10_SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= 2:
            token = token[: -len(suffix)]
    return token


def _same(token: str) -> tuple[str, ...]:
    return (token,)


STRATEGIES: dict[str, Strategy | None] = {
    "plain FTS5 on the raw text (baseline)": Strategy(lambda t: t, str.split, _same, "unicode61"),
    "normalised, no clitic handling": Strategy(nz.normalise, nz.tokens, _same),
    "normalised, trigram (substring)": Strategy(nz.normalise, nz.tokens, _same, "trigram"),
    "normalised + light10 stemmer": Strategy(
        lambda t: " ".join(light10(w) for w in nz.tokens(t)), nz.tokens, lambda w: (light10(w),)),
    "normalised + clitic stripping, no query expansion": Strategy(
        nz.index_text, nz.tokens,
        lambda w: (nz.stem(w[2:] if w.startswith("ال") and len(w) > 4 else w),)),
    "ours: normalised + clitic stripping + query expansion": None,  # the real index.search
}


def _strategy_table(conn: sqlite3.Connection, n: int, strategy: Strategy) -> str:
    name = f"eval_{n}"
    conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS {name} USING fts5("
                 f"headline, body, captions, tokenize = '{strategy.tokenize}')")
    conn.execute(f"DELETE FROM {name}")
    articles = conn.execute("SELECT id, headline, body FROM articles").fetchall()
    for article_id, headline, body in articles:
        captions = "\n".join(r[0] for r in conn.execute(
            "SELECT caption FROM images WHERE article_id = ? AND caption IS NOT NULL "
            "ORDER BY position", (article_id,)))
        conn.execute(f"INSERT INTO {name} (rowid, headline, body, captions) VALUES (?, ?, ?, ?)",
                     (article_id, strategy.doc(headline), strategy.doc(body),
                      strategy.doc(captions)))
    conn.commit()
    return name


def _run(conn, table: str | None, strategy: Strategy | None, query: str) -> set[str]:
    if strategy is None:
        return set(urls(index.search(conn, query, limit=1000)))
    expr = nz.parse_query(query, split=strategy.split, forms=strategy.forms).match_expression()
    if not expr:
        return set()
    rows = conn.execute(f"SELECT a.url FROM {table} JOIN articles a ON a.id = {table}.rowid "
                        f"WHERE {table} MATCH ?", (expr,)).fetchall()
    return {r[0] for r in rows}


def _size(conn, table: str | None) -> int:
    if table is None:
        return index.index_bytes(conn)
    data = conn.execute(f"SELECT sum(length(block)) FROM {table}_data").fetchone()[0]
    content = conn.execute(
        f"SELECT sum(length(CAST(c0 AS BLOB)) + length(CAST(c1 AS BLOB)) + "
        f"length(CAST(c2 AS BLOB))) FROM {table}_content").fetchone()[0]
    return int(data) + int(content)


def evaluate(conn, strategy: Strategy | None, n: int = 0) -> dict:
    """Macro and micro recall/precision of one strategy over the labelled set. An empty answer
    has precision 1; a query expecting nothing has recall 1."""
    table = None if strategy is None else _strategy_table(conn, n, strategy)
    per_query, tp, got, want = [], 0, 0, 0
    for item in LABELS["queries"]:
        found, expected = _run(conn, table, strategy, item["q"]), set(item["expect"])
        hit = len(found & expected)
        precision = hit / len(found) if found else 1.0
        recall = hit / len(expected) if expected else 1.0
        per_query.append((item["q"], precision, recall))
        tp, got, want = tp + hit, got + len(found), want + len(expected)
    k = len(per_query)
    return {
        "precision": sum(p for _, p, _ in per_query) / k,
        "recall": sum(r for _, _, r in per_query) / k,
        "micro_precision": tp / got if got else 1.0,
        "micro_recall": tp / want if want else 1.0,
        "exact": sum(1 for _, p, r in per_query if p == r == 1.0),
        "misses": [(q, round(p, 2), round(r, 2)) for q, p, r in per_query if (p, r) != (1.0, 1.0)],
        "bytes": _size(conn, table),
    }


def test_labelled_set_is_big_enough_and_pinned():
    queries = LABELS["queries"]
    assert len(queries) >= 40
    assert sum(1 for q in queries if not q["expect"]) >= 3
    assert len({q["q"] for q in queries}) == len(queries)
    corpus = set(LABELS["corpus"].values())
    assert all(set(q["expect"]) <= corpus for q in queries)
    for name, url in LABELS["corpus"].items():
        assert golden_record(name)["url"] == url


def test_ours_meets_the_bar_and_beats_plain_fts(archive):
    ours = evaluate(archive.conn, None)
    assert ours["recall"] >= 0.95 and ours["micro_recall"] >= 0.95, ours["misses"]
    assert ours["precision"] >= 0.9 and ours["micro_precision"] >= 0.9, ours["misses"]
    raw = evaluate(archive.conn, STRATEGIES["plain FTS5 on the raw text (baseline)"], 99)
    assert ours["recall"] > raw["recall"] and ours["micro_recall"] > raw["micro_recall"]
    assert ours["exact"] > raw["exact"]


def test_strategies(archive):
    """The comparison table of docs/search.md (printed with -s); ours has the best F1."""
    lines = [("| option | recall | precision | micro recall | micro precision "
             "| exact queries | index bytes |"), "|---|---|---|---|---|---|---|"]
    total, f1 = len(LABELS["queries"]), {}
    for n, (name, strategy) in enumerate(STRATEGIES.items()):
        r = evaluate(archive.conn, strategy, n)
        f1[name] = 2 * r["precision"] * r["recall"] / (r["precision"] + r["recall"])
        lines.append(f"| {name} | {r['recall']:.3f} | {r['precision']:.3f} | "
                     f"{r['micro_recall']:.3f} | {r['micro_precision']:.3f} | "
                     f"{r['exact']}/{total} | {r['bytes']:,} |")
        lines.append("|  misses: " + "; ".join(f"{q} p={p} r={rc}" for q, p, rc in r["misses"])
                     + " | | | | | | |")
    print("\n" + "\n".join(lines))
    assert max(f1, key=f1.get).startswith("ours")


# -- migration of an archive made before the contentless index -----------------------------------
OLD_SCHEMA = FIXTURES / "schema" / "v4-2026-11-29.sql"  # schema.sql as of migration 4


def test_an_archive_with_the_old_index_is_migrated_in_place(tmp_path):
    """A database made by the previous schema (article_fts holding a second copy of the shadow
    text, rowid = articles.id) opens with the contentless index, loses no row of any table,
    and is searchable again (the index is rebuilt when search finds it stale)."""
    db = tmp_path / "old.db"
    conn = sqlite3.connect(db)
    conn.executescript(OLD_SCHEMA.read_text(encoding="utf-8"))
    for name in LABELS["corpus"]:  # what the old Store.upsert + index_article wrote
        r = golden_record(name)
        cur = conn.execute(
            "INSERT INTO articles (url, section, headline, body, paragraphs, paragraph_count, "
            "word_count, published_date, content_hash, first_seen_at, last_fetched_at, "
            "last_checked_at, last_changed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'h', 'x', 'x', 'x', 'x')",
            (r["url"], r["section"], r["headline"], r["body"], json.dumps(r["paragraphs"]),
             len(r["paragraphs"]), len(r["body"].split()), r["published_date"]))
        captions = [im.get("caption") for im in r.get("images") or []]
        conn.executemany(
            "INSERT INTO images (article_id, position, url, caption) VALUES (?, ?, ?, ?)",
            [(cur.lastrowid, i, im["url"], c) for i, (im, c) in enumerate(zip(r["images"], captions))])
        conn.execute("INSERT INTO article_fts (rowid, headline, body, captions) VALUES (?, ?, ?, ?)",
                     (cur.lastrowid, nz.index_text(r["headline"]), nz.index_text(r["body"]),
                      nz.index_text("\n".join(c for c in captions if c))))
    conn.execute("INSERT INTO search_meta VALUES ('normaliser_version', '1')")
    conn.executemany("INSERT INTO schema_migrations VALUES (?, 'old', 'x')", [(v,) for v in range(1, 5)])
    conn.commit()
    conn.execute("PRAGMA user_version = 4")
    before = {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in ("articles", "images")}
    assert conn.execute("SELECT count(*) FROM article_fts_content").fetchone()[0] == len(LABELS["corpus"])
    conn.close()

    with Store(db) as store:
        c = store.conn
        names = {r[0] for r in c.execute("SELECT name FROM sqlite_master")}
        assert "article_fts_content" not in names  # no second copy of the text any more
        assert "content=''" in c.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'article_fts'").fetchone()[0].replace(" ", "")
        assert {"articles_fts_update", "articles_fts_delete", "article_search"} <= names
        for table, rows in before.items():
            assert [tuple(r) for r in c.execute(f"SELECT * FROM {table} ORDER BY 1")] == rows
        assert index.stale(c)
        assert index.ensure_current(c) == len(LABELS["corpus"])
        assert urls(index.search(c, "طهران")) == [SEED]
        assert urls(index.search(c, "الحكومة", section="arabworld")) == [IRAQ]
        record = golden_record("seed-2024-04-26")  # the store keeps the new index current
        record["headline"] = "قمة في أصفهان"
        assert store.upsert(record) == "updated"
        assert headline_hits(c, "اصفهان") == [key_of(c, SEED)]
        assert index_terms(c) == rebuilt_terms(c)
