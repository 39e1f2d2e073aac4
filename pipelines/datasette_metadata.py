"""What Datasette shows about the archive: title, table and column descriptions, canned queries.

Descriptions come from ``schema.sql`` itself (the comment block right above each ``CREATE TABLE``
/ ``CREATE VIEW`` and the ``-- …`` comment at the end of a column line), so the schema stays the
one description of the database; ``TABLES`` and ``COLUMNS`` below only fill what the schema
leaves uncommented. ``QUERIES`` are the canned queries (one per analyst view, plus ``search``
when the full-text index is present). The dashboards (``pipelines.dashboards``) go beside them,
as the ``datasette-dashboards`` plugin's configuration (:func:`plugins`). Pure data and parsing:
no Datasette import.
"""

from __future__ import annotations

import re
import sqlite3
from urllib.parse import quote

from .store import SCHEMA_PATH  # inside the package when installed, else the repository's

#: The database's name in Datasette URLs: /almodon/articles, /almodon/headline_changes_query, …
DB_NAME = "almodon"

TITLE = "Al-Modon archive (المدن)"
DESCRIPTION = (
    "Articles of almodon.com (المدن, Beirut) as crawled into SQLite: headline, body, authors, "
    "section, tags, Beirut/UTC times and images with captions and credits. One row per article "
    "in articles (its latest version); every earlier version in article_versions. Read-only. "
    "Dates: published_date is the Beirut calendar day; *_at columns are UTC."
)
#: Arabic-friendly cells: each takes the direction of its own text (Arabic reads right to left,
#: right-aligned), headlines get room, long percent-encoded URLs show as one cut line (the link
#: keeps the whole address).
CSS = """
.rows-and-columns td { unicode-bidi: plaintext; text-align: start; }
td.col-headline, td.col-first_headline, td.col-latest_headline, td.col-previous_headline,
td.col-summary, td.col-caption { min-width: 16em; }
td.col-url a, td.col-original_url a, td.col-example_url a { display: inline-block;
  max-width: 12em; overflow: hidden; text-overflow: ellipsis; white-space: nowrap;
  direction: ltr; font-size: 0.8em; }
td.col-body, td.col-paragraphs, td.col-record { min-width: 24em; }
td.col-authors, td.col-tags, td.col-author { min-width: 8em; }
td.col-published_local, td.col-modified_local, td.col-fetched_at, td.col-changed_at,
td.col-first_changed_at, td.col-last_changed_at, td.col-site_modified_at { white-space: nowrap; }
"""

#: Descriptions of tables and views the schema does not comment (the schema's comment wins).
TABLES: dict[str, str] = {
    "schema_migrations": "Schema levels applied to this database (PRAGMA user_version).",
    "images": "One row per image of an article, in page order: address, caption, credit, agency.",
    "authors": "One row per author name (as printed in bylines).",
    "article_authors": "Which authors wrote which article; position is the byline order.",
    "tags": "One row per tag name.",
    "article_tags": "Which tags an article carries.",
    "article_list": "The latest version of each article with its section and authors.",
    "articles_per_day": "Articles per Beirut calendar day per section.",
    "photos_per_agency": "Images per photo agency (credits normalised: AFP, Reuters, Getty, …).",
    "skips_by_reason": "Pages a crawl fetched but did not store, per run and reason.",
    "headline_changes": "Articles whose headline the site changed after the archive first stored "
                        "them (re-extractions and degraded versions left out).",
    "article_changes": "Every change the site made: one row per such version (re-extractions and "
                       "degraded versions left out).",
    "degraded_versions": "Captures worse than the stored version (mojibake, lost date, paragraphs "
                         "or captions, a truncated body): kept, never shown in articles.",
    "articles_per_author": "Articles per author, with their sections and first/last day.",
    "article_fts": "Full-text index of the shadow text (folded Arabic, clitics stripped); it "
                   "keeps no text (columns read NULL) and its rowid is publication day << 24 | "
                   "article id. Use the `search` query, not this table.",
    "article_search": "The full-text index joined to articles; MATCH it with a normalised query.",
    "search_meta": "Which normaliser built the full-text index.",
}

_TIME_LOCAL = "Beirut local time, ISO with offset (a bare date when only the day is known)"
#: Column descriptions the schema leaves uncommented, by table (the schema's comment wins).
COLUMNS: dict[str, dict[str, str]] = {
    "articles": {
        "id": "Article id (also images.article_id, article_versions.article_id, …).",
        "headline": "The headline as printed (latest version).",
        "summary": "The standfirst / description, when the page has one.",
        "language": "Page language (ar).",
        "published_local": f"Publication time: {_TIME_LOCAL}.",
        "published_flags": "JSON: notes on how the publication time was read.",
        "modified_at": "Last update time printed by the site, UTC; NULL when none.",
        "modified_local": f"Last update time: {_TIME_LOCAL}.",
        "modified_precision": "day | minute | second",
        "modified_source": "jsonld | meta | visible | relative | url",
        "modified_raw": "The update time as printed.",
        "modified_flags": "JSON: notes on how the update time was read.",
        "image_count": "Images in the article (rows in images).",
        "encoding": "Character set the page was decoded with.",
        "content_hash": "sha256 of the content fields; a new value makes a new version.",
        "version": "Number of the version shown (versions are numbered in capture order).",
        "first_seen_at": "Earliest capture of the article the archive holds (UTC).",
        "last_fetched_at": "Last fetch (UTC).",
        "last_checked_at": "Last time a fetch confirmed the content (UTC).",
        "last_changed_at": "When the stored content last changed (UTC).",
        "http_status": "HTTP status of the last fetch.",
        "etag": "ETag of the last fetch.",
        "last_modified_http": "Last-Modified header of the last fetch.",
        "first_run_id": "Crawl run that first stored it.",
        "last_run_id": "Crawl run that last fetched it.",
    },
    "article_versions": {
        "version": "1 = earliest capture; numbered in capture order (fetched_at).",
        "fetched_at": "When this capture was fetched (UTC): by the crawl, or by a web archive.",
        "modified_at": "Update time printed by the site on this version, UTC.",
        "headline": "Headline of this version.",
        "body": "Empty: the text is in record_z (before migration 6 it was here).",
        "record": "Empty: the record is in record_z (before migration 6 it was here).",
        "record_z": "The version's record, zlib-compressed JSON of what changed (for the version "
                    "articles shows: what articles does not hold) "
                    "(read it with Store.versions or pipelines.versions.record_of).",
        "source": "Where the capture came from: crawl, wayback, commoncrawl, import, reparse.",
        "extractor_version": "Version of the extractor that made the record (NULL: before it was kept).",
        "reextraction": "1: a reparse by another extractor version, not a change on the site.",
        "degraded": "NULL, or why this capture is worse than the stored version (never shown).",
        "base_id": "The earlier version changed_fields compares with.",
        "body_chars": "Characters of the body.",
        "changed_fields": "JSON: fields that differ from the base version.",
    },
    "images": {
        "url": "Image address.",
        "alt": "The img alt text.",
    },
    "article_authors": {"position": "0 = first in the byline."},
    "article_list": {
        "authors": "Authors in byline order, joined by ، (Arabic comma).",
        "tags": "Tags joined by ، (Arabic comma).",
        "published_date": "Beirut calendar date YYYY-MM-DD.",
        "published_at": "Publication time, UTC; NULL when only the day is printed.",
        "version": "Number of the version shown (versions are numbered in capture order).",
    },
    "articles_per_day": {"published_date": "Beirut calendar date.", "articles": "Articles that day in that section."},
    "photos_per_agency": {
        "agency": "Normalised agency; (none) when the credit is missing or not an agency.",
        "photos": "Images credited to it.",
        "articles": "Articles with at least one of its images.",
    },
    "headline_changes": {
        "first_headline": "The headline of the first version the archive stored.",
        "latest_headline": "The current headline.",
        "changes": "Versions that changed the headline.",
        "first_changed_at": "Fetch (UTC) that first saw a changed headline.",
        "last_changed_at": "Fetch (UTC) that saw the latest headline change.",
        "site_modified_at": "Update time the site printed on the latest changed version (UTC).",
        "versions": "Versions stored in all (re-extractions and degraded ones included).",
    },
    "article_changes": {
        "changed_at": "Fetch (UTC) that saw the change.",
        "changed_fields": "JSON: fields that differ from the previous version.",
        "previous_headline": "Headline of the previous version (the one compared with).",
        "source": "Where the capture that saw the change came from.",
        "body_chars_delta": "Characters gained (+) or lost (-) by the body.",
    },
    "articles_per_author": {
        "sections": "Sections the author writes in (comma-separated slugs).",
        "first_date": "First publication day (Beirut).",
        "last_date": "Last publication day (Beirut).",
    },
}

#: Columns that mean the same in every table and view that has them (the last resort, after the
#: schema's comment, ``COLUMNS`` and, for a view, the ``articles`` column of the same name).
COMMON: dict[str, str] = {
    "id": "Row id.",
    "article_id": "The article (articles.id).",
    "author_id": "The author (authors.id).",
    "tag_id": "The tag (tags.id).",
    "run_id": "The run (crawl_runs.id) that wrote this row.",
    "url": "Canonical article URL (https://www.almodon.com/…).",
    "name": "The name as printed.",
    "position": "Order on the page, from 0.",
    "caption": "Caption as printed.",
    "credit": "Photo / video credit as printed.",
    "fetched_at": "When the page was fetched (UTC).",
    "http_status": "HTTP status of the response.",
    "content_type": "Content-Type header of the response.",
    "content_hash": "sha256 of the content.",
    "reason": "Why the page was not stored (one word: http_404, soft404, timeout, …).",
    "detail": "More about the reason (an address, an error message).",
    "at": "When it was recorded (UTC).",
    "conflicts": "How many fields the extraction layers disagreed on.",
    "section": "URL section slug (politics, arabworld, …).",
    "author": "Author name as printed in bylines.",
    "articles": "Number of articles.",
    "pages": "Number of pages.",
    "example_url": "One of the pages (the first by address).",
    "key": "Setting name.",
    "value": "Setting value.",
    "version": "Version number (1 = the first stored).",
    "description": "What the schema level added.",
    "applied_at": "When it was applied (UTC).",
    "snippet": "Shadow text around the hits, hits in [..].",
    "headline": "The headline as printed.",
    "published_date": "Beirut calendar date YYYY-MM-DD.",
    "rank": "bm25 rank: lower is better.",
    "article_search": "The index column MATCH is applied to.",
}

for _table, _described in {
    "articles": {
        "site": "almodon (the site the record came from).",
        "paragraph_count": "Paragraphs in the body.",
        "word_count": "Words in the body.",
        "published_raw": "The publication time as printed.",
    },
    "crawl_runs": {
        "id": "Run number.", "started_at": "Start (UTC).", "finished_at": "End (UTC); NULL while running.",
        "base_url": "Site crawled (the replica's address in tests and the demo).",
        "requests": "HTTP requests made.", "responses": "Responses received.",
        "new": "Articles stored for the first time.", "updated": "Articles that became a new version.",
        "unchanged": "Articles fetched again and found the same.",
        "skipped": "Pages fetched but not stored (skipped_reasons).",
        "failed": "Requests that failed for good (failed_reasons).",
        "blocked": "Requests the site refused (403/406/429).",
        "exit_code": "Exit status: 0 ok, 1 failed, 2 another job held the database, 3 blocked.",
    },
    "article_aliases": {"url": "Another address (canonicalised) that leads to the article."},
    "videos": {"url": "Video address (embed or file).", "provider": "youtube, vimeo, … or the host."},
    "raw_pages": {
        "warc_offset": "Byte offset of the record in its WARC file.",
        "warc_length": "Length of the record in bytes (compressed).",
        "content_hash": "sha256 of the body as fetched.",
    },
    "extractions": {
        "url": "Article URL processed.", "section": "Its section slug.",
        "fields": "JSON: the layer that filled each field (null: empty).",
    },
    "articles_per_author": {"articles": "Articles with this author in the byline."},
    "skips_by_reason": {"pages": "Pages skipped for this reason in this run."},
    "degraded_versions": {
        "source": "What fetched it: crawl, reparse, import, backfill.",
        "reasons": "Why it is worse than the stored version (replacement_chars, mojibake, …).",
        "body_chars": "Characters in this version's body.",
    },
    "backfill_cursors": {"updated_at": "When the cursor last moved (UTC)."},
    "discovered_urls": {"last_seen_at": "When a listing or sitemap last named it (UTC)."},
}.items():
    COLUMNS[_table] = {**_described, **COLUMNS.get(_table, {})}

#: Per-table display options (Datasette table metadata).
TABLE_OPTIONS: dict[str, dict] = {
    "articles": {"label_column": "headline", "sort_desc": "published_date", "facets": ["section"]},
    "article_versions": {"sort_desc": "fetched_at"},
    "images": {"facets": ["agency"]},
    "crawl_runs": {"sort_desc": "id"},
    "skipped_pages": {"sort_desc": "id", "facets": ["reason"]},
}

#: Optional filters shared by the canned queries: '' (an empty form field) means "any".
_DAY_FILTER = ("(:since = '' OR {t}published_date >= :since) "
               "AND (:until = '' OR {t}published_date <= :until) "
               "AND (:section = '' OR {t}section = :section)")

#: Canned queries for the analyst views. Named ``*_query`` style where a view of the same name
#: exists would be hidden by it, so they carry their own names.
QUERIES: dict[str, dict] = {
    "latest_articles": {
        "title": "Latest articles",
        "description": "The latest version of each article with its section and authors, "
                       "newest first. Leave a field empty for any.",
        "sql": ("SELECT published_local, section, headline, authors, tags, word_count, "
                "image_count, version, url\nFROM article_list\nWHERE "
                + _DAY_FILTER.format(t="")
                + "\nORDER BY coalesce(published_at, published_date) DESC, id DESC"),
        "params": ["since", "until", "section"],
    },
    "articles_by_day": {
        "title": "Articles per day per section",
        "description": "How many articles each Beirut calendar day, per section.",
        "sql": ("SELECT published_date, section, articles\nFROM articles_per_day\nWHERE "
                + _DAY_FILTER.format(t="")
                + "\nORDER BY published_date DESC, section"),
        "params": ["since", "until", "section"],
    },
    "photo_agencies": {
        "title": "Photos per agency",
        "description": "Images per photo agency (credits normalised), most first.",
        "sql": "SELECT agency, photos, articles\nFROM photos_per_agency\nORDER BY photos DESC, agency",
    },
    "changed_headlines": {
        "title": "Headlines changed after publication",
        "description": "Articles whose headline changed after the archive first stored them: "
                       "first and latest headline, and when the change was seen.",
        "sql": ("SELECT published_date, section, first_headline, latest_headline, changes, "
                "first_changed_at, site_modified_at, url\nFROM headline_changes\n"
                "ORDER BY last_changed_at DESC"),
    },
    "recent_changes": {
        "title": "What changed in stored articles",
        "description": "Every new version of a stored article, newest first: the fields that "
                       "changed, the headline before and after, body characters gained or lost.",
        "sql": ("SELECT changed_at, section, version, changed_fields, previous_headline, headline, "
                "body_chars_delta, url\nFROM article_changes\nORDER BY changed_at DESC, article_id"),
    },
    "skip_reasons": {
        "title": "Why pages were not stored",
        "description": "Pages each run fetched but did not store, per reason, with an example.",
        "sql": "SELECT run_id, reason, pages, example_url\nFROM skips_by_reason\nORDER BY run_id DESC, pages DESC",
    },
    "degraded_captures": {
        "title": "Captures worse than the stored version",
        "description": "Versions kept but never shown (replacement characters, mojibake, lost "
                       "paragraphs or dates, a body a fraction of the size), newest first, with why.",
        "sql": ("SELECT fetched_at, source, reasons, version, headline, body_chars, url\n"
                "FROM degraded_versions\nORDER BY fetched_at DESC, article_id"),
    },
    "top_authors": {
        "title": "Who writes most",
        "description": "Articles per author, the sections they write in, first and last day.",
        "sql": ("SELECT author, articles, sections, first_date, last_date\n"
                "FROM articles_per_author\nORDER BY articles DESC, author"),
    },
}

#: The search query, added when the database has the full-text index (``article_fts``) and the
#: server registers the ``ar_match`` function (pipelines.search). An empty ``q`` matches nothing.
SEARCH_QUERY: dict = {
    "title": "Search articles",
    "description": "Arabic-aware full-text search of headlines, bodies and captions: spelling "
                   "variants and attached و ف ب ك ل ال match. Words are ANDed; \"a phrase\", "
                   "word* (prefix), -word (exclude), A OR B. Best first among the 1,000 newest "
                   "matches; a word found in most articles gives its matches newest first.",
    # As `almodon search` does (docs/search.md): bm25 among the newest 1,000 matches, equal
    # scores newest first; the day bounds are a range of the index's rowid (publication day
    # << 24 | id) and the section a term of its section column, so nothing is joined first.
    "sql": ("SELECT a.published_date, a.section, a.headline, a.url, round(-f.bm, 2) AS score\n"
            "FROM (SELECT rowid, bm25(article_fts, 5.0, 1.0, 2.0, 0.0) AS bm FROM article_fts\n"
            "      WHERE article_fts MATCH coalesce(nullif(ar_match(:q, :section), ''), '\"\"')\n"
            "        AND rowid >= CASE WHEN :since != '' THEN\n"
            "              (CAST(julianday(:since) - 2440587.5 AS INTEGER) + 1) << 24\n"
            "            WHEN :until != '' THEN 1 << 24 ELSE 0 END\n"
            "        AND rowid < CASE WHEN :until != '' THEN\n"
            "              (CAST(julianday(:until) - 2440587.5 AS INTEGER) + 2) << 24\n"
            "            ELSE 1 << 62 END\n"
            "      ORDER BY rowid DESC LIMIT 1000) AS f\n"
            "JOIN articles a ON a.id = f.rowid & 16777215\n"
            "ORDER BY round(f.bm, 4), f.rowid DESC\nLIMIT 100"),
    "params": ["q", "since", "until", "section"],
}


# -- schema comments ------------------------------------------------------------------------
_CREATE = re.compile(
    r"^CREATE\s+(?:VIRTUAL\s+)?(TABLE|VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", re.IGNORECASE)
_SKIP_WORDS = {"PRIMARY", "UNIQUE", "FOREIGN", "CHECK", "CONSTRAINT"}


def schema_descriptions(sql: str) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """``(tables, columns)`` from a schema's comments: the ``--`` block right above each
    ``CREATE TABLE|VIEW`` (no blank line between), and the trailing ``-- …`` of column lines."""
    tables: dict[str, str] = {}
    columns: dict[str, dict[str, str]] = {}
    block: list[str] = []
    current: str | None = None
    for line in sql.splitlines():
        stripped = line.strip()
        if current is not None:
            if stripped.startswith(")"):
                current = None
                continue
            code, _, comment = line.partition("--")
            words = code.split()
            if comment.strip() and words and words[0].upper() not in _SKIP_WORDS:
                columns.setdefault(current, {})[words[0].rstrip(",")] = comment.strip()
            continue
        if stripped.startswith("--"):
            block.append(stripped[2:].strip())
            continue
        m = _CREATE.match(stripped)
        if m:
            name = m.group(2)
            if block:
                tables[name] = " ".join(block)
            if m.group(1).upper() == "TABLE" and stripped.endswith("("):
                current = name
        block = []
    return tables, columns


def _columns(sql: str) -> dict[str, list[str]]:
    """Every table's and view's columns, from the schema applied to an empty in-memory
    database."""
    conn = sqlite3.connect(":memory:")
    try:
        try:
            conn.executescript(sql)
        except sqlite3.Error:
            return {}
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'")]
        return {n: [r[1] for r in conn.execute(f"PRAGMA table_info({n})")] for n in names}
    finally:
        conn.close()


def build(*, search: bool = False, schema_sql: str | None = None) -> dict:
    """The Datasette metadata dict for the archive (database ``DB_NAME``)."""
    sql = schema_sql if schema_sql is not None else SCHEMA_PATH.read_text(encoding="utf-8")
    described, column_comments = schema_descriptions(sql)
    if search:
        from .search.index import fts_sql  # the index's own DDL comments describe it

        more_tables, more_columns = schema_descriptions(fts_sql())
        described = {**more_tables, **described}
        column_comments = {**more_columns, **column_comments}
    names = set(TABLES) | set(described) | set(COLUMNS) | set(column_comments) | set(TABLE_OPTIONS)
    present = _columns(sql)
    articles = {**COLUMNS["articles"], **column_comments.get("articles", {})}
    tables: dict[str, dict] = {}
    for name in sorted(names):
        entry: dict = dict(TABLE_OPTIONS.get(name, {}))
        description = described.get(name) or TABLES.get(name)
        if description:
            entry["description"] = description
        cols = {**COLUMNS.get(name, {}), **column_comments.get(name, {})}
        for col in present.get(name, ()):  # every column described: inherited, then common
            if col not in cols and (text := (articles.get(col) if name != "articles" else None)
                                    or COMMON.get(col)):
                cols[col] = text
        if cols:
            entry["columns"] = cols
        tables[name] = entry
    queries = {name: {**q, "hide_sql": True} for name, q in QUERIES.items()}
    if search:
        queries["search"] = {**SEARCH_QUERY, "hide_sql": True}
    return {
        "title": TITLE,
        "description": DESCRIPTION,
        "source": "almodon.com",
        "source_url": "https://www.almodon.com/",
        "extra_css_urls": ["data:text/css," + quote(" ".join(CSS.split()))],
        "databases": {DB_NAME: {"description": DESCRIPTION, "tables": tables, "queries": queries}},
    }


# -- dashboards -----------------------------------------------------------------------------
def plugins(*, degraded: bool = False) -> dict:
    """Plugin configuration, the metadata's ``plugins`` (beside the canned queries): the archive
    and health dashboards (``/-/dashboards``), drawn by ``datasette-dashboards`` from the SQL in
    ``pipelines.dashboards`` on database ``DB_NAME``. ``degraded``: the archive counts degraded
    versions per run (``crawl_runs.degraded``)."""
    from . import dashboards

    return {"datasette-dashboards": dashboards.config(DB_NAME, degraded=degraded)}
