-- The one description of the Al-Modon archive database.
--
-- Applied by pipelines/store.py on every open: every statement is idempotent (IF NOT EXISTS).
-- A change to an existing table is a numbered migration in store.py (ALTER TABLE … ADD COLUMN,
-- never a DROP), recorded in schema_migrations; PRAGMA user_version holds the level reached.
-- Times: *_at columns are UTC 'YYYY-MM-DDTHH:MM:SSZ'; *_local are Beirut ISO with offset
-- (or a bare date when only the day is known); see docs/time-model.md.

CREATE TABLE IF NOT EXISTS schema_migrations (
    version     INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at  TEXT NOT NULL
);

-- One row per crawl / reparse / import run.
CREATE TABLE IF NOT EXISTS crawl_runs (
    id              INTEGER PRIMARY KEY,
    started_at      TEXT NOT NULL,
    finished_at     TEXT,
    job             TEXT NOT NULL DEFAULT 'crawl',   -- crawl | reparse | import
    mode            TEXT,                            -- latest | archive | urls | refresh
    base_url        TEXT,
    args            TEXT,                            -- JSON: spider arguments
    requests        INTEGER NOT NULL DEFAULT 0,
    responses       INTEGER NOT NULL DEFAULT 0,
    new             INTEGER NOT NULL DEFAULT 0,
    updated         INTEGER NOT NULL DEFAULT 0,      -- a new version became current
    unchanged       INTEGER NOT NULL DEFAULT 0,
    earlier         INTEGER NOT NULL DEFAULT 0,      -- a version captured before the current one
    reextracted     INTEGER NOT NULL DEFAULT 0,      -- a reparse by another extractor version
    degraded        INTEGER NOT NULL DEFAULT 0,      -- worse than stored: kept flagged, not shown
    skipped         INTEGER NOT NULL DEFAULT 0,
    failed          INTEGER NOT NULL DEFAULT 0,
    blocked         INTEGER NOT NULL DEFAULT 0,
    skipped_reasons TEXT,                            -- JSON {reason: count}
    failed_reasons  TEXT,                            -- JSON {reason: count}
    finish_reason   TEXT,                            -- Scrapy's: finished | shutdown | …
    status          TEXT NOT NULL DEFAULT 'running', -- running | ok | failed | blocked
    exit_code       INTEGER
);

-- The latest version of each article, one row per canonical URL.
-- Latest: its newest capture that is not degraded (see article_versions); `version` is its number.
CREATE TABLE IF NOT EXISTS articles (
    id                  INTEGER PRIMARY KEY,
    url                 TEXT NOT NULL UNIQUE,        -- canonical https://www.almodon.com/...
    url_key             TEXT,                        -- era-independent identity (n:/u:/d:)
    original_url        TEXT,                        -- as linked / fetched
    site                TEXT NOT NULL DEFAULT 'almodon',
    era                 INTEGER,                     -- 1 numeric, 2 GUID, 3 dated URL
    section             TEXT,                        -- URL section slug (politics, arabworld, …)
    section_name        TEXT,                        -- as the page names it, if it does
    headline            TEXT NOT NULL,
    summary             TEXT,
    body                TEXT NOT NULL,               -- paragraphs joined by a blank line (paragraphs below is computed from it)
    paragraphs          TEXT GENERATED ALWAYS AS (CASE WHEN body = '' THEN '[]' ELSE '["' || replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(body, '\', '\\'), '"', '\"'), char(0), '\u0000'), char(1), '\u0001'), char(2), '\u0002'), char(3), '\u0003'), char(4), '\u0004'), char(5), '\u0005'), char(6), '\u0006'), char(7), '\u0007'), char(8), '\b'), char(14), '\u000e'), char(15), '\u000f'), char(16), '\u0010'), char(17), '\u0011'), char(18), '\u0012'), char(19), '\u0013'), char(20), '\u0014'), char(21), '\u0015'), char(22), '\u0016'), char(23), '\u0017'), char(24), '\u0018'), char(25), '\u0019'), char(26), '\u001a'), char(27), '\u001b'), char(10) || char(10), '", "') || '"]' END) VIRTUAL,  -- JSON array, reading order: body cut at its blank lines, as JSON (computed, not stored)
    paragraph_count     INTEGER NOT NULL,
    word_count          INTEGER NOT NULL,
    authors             TEXT NOT NULL DEFAULT '[]',  -- JSON array (also in article_authors)
    tags                TEXT NOT NULL DEFAULT '[]',  -- JSON array (also in article_tags)
    language            TEXT,
    published_date      TEXT,                        -- Beirut calendar date YYYY-MM-DD
    published_at        TEXT,                        -- UTC, NULL when only the day is known
    published_local     TEXT,
    published_precision TEXT,                        -- day | minute | second
    published_source    TEXT,                        -- jsonld | meta | visible | relative | url
    published_raw       TEXT,
    published_flags     TEXT NOT NULL DEFAULT '[]',
    modified_at         TEXT,
    modified_local      TEXT,
    modified_precision  TEXT,
    modified_source     TEXT,
    modified_raw        TEXT,
    modified_flags      TEXT NOT NULL DEFAULT '[]',
    image_count         INTEGER NOT NULL DEFAULT 0,
    encoding            TEXT,
    sources             TEXT NOT NULL DEFAULT '{}',  -- JSON {field: layer}
    conflicts           TEXT NOT NULL DEFAULT '[]',  -- JSON [{field, kept, other, reason}]
    content_hash        TEXT NOT NULL,
    version             INTEGER NOT NULL DEFAULT 1,
    first_seen_at       TEXT NOT NULL,
    last_fetched_at     TEXT NOT NULL,
    last_checked_at     TEXT NOT NULL,
    last_changed_at     TEXT NOT NULL,
    http_status         INTEGER,
    etag                TEXT,
    last_modified_http  TEXT,
    first_run_id        INTEGER REFERENCES crawl_runs(id),
    last_run_id         INTEGER REFERENCES crawl_runs(id)
);
CREATE INDEX IF NOT EXISTS articles_published ON articles(published_date);
CREATE INDEX IF NOT EXISTS articles_section_published ON articles(section, published_date);
CREATE INDEX IF NOT EXISTS articles_url_key ON articles(url_key);

-- Every distinct version of an article's content (the first included); never deleted.
-- Numbered in capture order: version 1 is the earliest capture (fetched_at), whatever the order
-- in which captures arrived (a 2017 web-archive capture stored after a 2024 crawl comes first).
-- A capture identical to the version in force at its time adds no row. `articles` shows the
-- newest version that is not degraded. See docs/versions.md.
CREATE TABLE IF NOT EXISTS article_versions (
    id                INTEGER PRIMARY KEY,
    article_id        INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    version           INTEGER NOT NULL,                 -- 1 = earliest capture
    fetched_at        TEXT NOT NULL,                    -- capture time: crawl fetch or archive capture
    modified_at       TEXT,
    content_hash      TEXT NOT NULL,
    headline          TEXT NOT NULL,
    body              TEXT NOT NULL DEFAULT '',         -- '' (the text is in record_z; before migration 6 here)
    record            TEXT NOT NULL DEFAULT '',         -- '' (the record is in record_z; before migration 6 here)
    changed_fields    TEXT NOT NULL DEFAULT '[]',       -- JSON: fields that differ from base_id's version
    run_id            INTEGER REFERENCES crawl_runs(id),
    source            TEXT NOT NULL DEFAULT 'crawl'     -- where the capture came from
                      CHECK (source IN ('crawl', 'wayback', 'commoncrawl', 'import', 'reparse')),
    extractor_version TEXT,                             -- pipelines/extract/version.py; NULL: before it was kept
    reextraction      INTEGER NOT NULL DEFAULT 0,       -- 1: a reparse by another extractor, not a site change
    degraded          TEXT,                             -- NULL, or why it is worse than the stored version
                                                        -- (replacement_chars,invalid_bytes,date_lost,…)
    base_id           INTEGER,                          -- the earlier version it was compared with
    body_chars        INTEGER NOT NULL DEFAULT 0,       -- characters of the body
    conflicts         TEXT NOT NULL DEFAULT '[]',       -- JSON: the record's conflicts
    record_z          BLOB,                             -- zlib of the JSON record (pipelines.versions.record_of)
    UNIQUE (article_id, version)
);

-- Other URLs that led to an article (e.g. numeric-era links redirecting to it), canonical form.
CREATE TABLE IF NOT EXISTS article_aliases (
    url        TEXT PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE
);

CREATE TABLE IF NOT EXISTS images (
    id          INTEGER PRIMARY KEY,
    article_id  INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,                    -- 0 = first in page order
    url         TEXT NOT NULL,
    caption     TEXT,                                -- as printed, without the credit
    credit      TEXT,                                -- as printed, without parentheses
    agency      TEXT,                                -- normalised: AFP, Reuters, Getty, …
    alt         TEXT,
    caption_raw TEXT,                                -- caption + credit exactly as printed
    UNIQUE (article_id, position)
);
CREATE INDEX IF NOT EXISTS images_agency ON images(agency);

-- Embedded videos (YouTube / Facebook / … iframes, <video>), in page order.
CREATE TABLE IF NOT EXISTS videos (
    id          INTEGER PRIMARY KEY,
    article_id  INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    url         TEXT NOT NULL,
    provider    TEXT,                                -- youtube, facebook, vimeo, dailymotion, twitter, file
    caption     TEXT,
    credit      TEXT,
    UNIQUE (article_id, position)
);

CREATE TABLE IF NOT EXISTS authors (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS article_authors (
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    author_id  INTEGER NOT NULL REFERENCES authors(id),
    position   INTEGER NOT NULL,
    PRIMARY KEY (article_id, author_id)
);
CREATE INDEX IF NOT EXISTS article_authors_author ON article_authors(author_id);

CREATE TABLE IF NOT EXISTS tags (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS article_tags (
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    tag_id     INTEGER NOT NULL REFERENCES tags(id),
    PRIMARY KEY (article_id, tag_id)
);

-- The raw archive: every fetched response, kept in WARC files under the archive directory.
CREATE TABLE IF NOT EXISTS raw_pages (
    id           INTEGER PRIMARY KEY,
    url          TEXT NOT NULL,                      -- the site URL the page stands for
    fetch_url    TEXT,                               -- where it was fetched, when different
    warc_file    TEXT NOT NULL,                      -- file name inside the archive directory
    warc_offset  INTEGER NOT NULL,
    warc_length  INTEGER NOT NULL,
    fetched_at   TEXT NOT NULL,
    http_status  INTEGER,
    content_type TEXT,
    content_hash TEXT NOT NULL,                      -- sha256 of the body
    run_id       INTEGER REFERENCES crawl_runs(id)
);
CREATE INDEX IF NOT EXISTS raw_pages_url ON raw_pages(url, fetched_at);

-- One row per page extracted and stored in a run: which layer filled each field. This is what
-- `almodon health` reads to see fill rates and layer shares per run and per day.
CREATE TABLE IF NOT EXISTS extractions (
    id           INTEGER PRIMARY KEY,
    run_id       INTEGER REFERENCES crawl_runs(id),
    url          TEXT NOT NULL,
    section      TEXT,
    fetched_at   TEXT NOT NULL,
    outcome      TEXT NOT NULL,                      -- new | updated | earlier | reextracted | degraded | unchanged
    fields       TEXT NOT NULL,                      -- JSON {field: layer or null}
    conflicts    INTEGER NOT NULL DEFAULT 0,
    extractor_version TEXT                           -- pipelines/extract/version.py
);
CREATE INDEX IF NOT EXISTS extractions_run ON extractions(run_id);
CREATE INDEX IF NOT EXISTS extractions_day ON extractions(substr(fetched_at, 1, 10));

-- Pages fetched but not stored as articles, with the reason (listing, soft404, http_404, …).
CREATE TABLE IF NOT EXISTS skipped_pages (
    id         INTEGER PRIMARY KEY,
    run_id     INTEGER REFERENCES crawl_runs(id),
    url        TEXT NOT NULL,
    reason     TEXT NOT NULL,
    detail     TEXT,
    http_status INTEGER,
    at         TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS skipped_pages_run ON skipped_pages(run_id, reason);

-- Web-archive captures `almodon backfill` has fetched (pipelines/backfill): one row per capture,
-- whatever became of it, so no capture is fetched twice (by the archive's own address and time,
-- or by its payload digest, which the Wayback Machine and Common Crawl both give as SHA-1 base32).
CREATE TABLE IF NOT EXISTS archive_captures (
    id          INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,                       -- wayback | commoncrawl
    url         TEXT NOT NULL,                       -- canonical site URL the capture stands for
    original    TEXT NOT NULL,                       -- the URL as the archive holds it
    captured_at TEXT NOT NULL,                       -- UTC capture time
    digest      TEXT,                                -- the archive's payload digest (SHA-1 base32)
    fetch_url   TEXT,                                -- where it was fetched (id_ URL, or WARC file#offset)
    run_id      INTEGER REFERENCES crawl_runs(id),
    UNIQUE (source, original, captured_at)
);
CREATE INDEX IF NOT EXISTS archive_captures_digest ON archive_captures(digest);
CREATE INDEX IF NOT EXISTS archive_captures_url ON archive_captures(url, captured_at);

-- Where a backfill's listing of captures stopped (the CDX resume key, or the index page), so a
-- killed run resumes there; the row goes when the listing is complete.
CREATE TABLE IF NOT EXISTS backfill_cursors (
    source     TEXT NOT NULL,                        -- wayback | commoncrawl
    query      TEXT NOT NULL,                        -- the listing (crawl, url pattern, window)
    cursor     TEXT NOT NULL,                        -- resume key / page number to ask for next
    updated_at TEXT NOT NULL,
    PRIMARY KEY (source, query)
);

-- Article URLs the site itself named (sitemaps, listings, feeds, home), recorded by the spider,
-- so `almodon coverage` can say what the archive is missing from the database alone.
CREATE TABLE IF NOT EXISTS discovered_urls (
    url           TEXT PRIMARY KEY,                  -- canonical article URL, as linked
    section       TEXT,
    day           TEXT,                              -- Beirut date from the URL or the sitemap's lastmod
    via           TEXT,                              -- sitemap | listing | rss | home | …
    redirects_to  TEXT,                              -- canonical URL the site redirected it to
    first_seen_at TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL
);

-- Ready views for analysts.

-- The latest version of each article with its section and its authors in byline order.
CREATE VIEW IF NOT EXISTS article_list AS
SELECT a.id, a.url, a.section, a.section_name, a.published_date, a.published_local,
       a.published_at, a.modified_local, a.modified_at, a.headline,
       (SELECT group_concat(name, '، ') FROM (
            SELECT au.name FROM article_authors aa JOIN authors au ON au.id = aa.author_id
            WHERE aa.article_id = a.id ORDER BY aa.position)) AS authors,
       (SELECT group_concat(value, '، ') FROM (
            SELECT value FROM json_each(a.tags) GROUP BY value ORDER BY min(key))) AS tags,
       a.word_count, a.image_count, a.version, a.last_changed_at
FROM articles a;

CREATE VIEW IF NOT EXISTS articles_per_day AS
SELECT published_date, section, count(*) AS articles
FROM articles GROUP BY published_date, section;

CREATE VIEW IF NOT EXISTS photos_per_agency AS
SELECT coalesce(agency, '(none)') AS agency, count(*) AS photos, count(DISTINCT article_id) AS articles
FROM images GROUP BY coalesce(agency, '(none)');

CREATE VIEW IF NOT EXISTS skips_by_reason AS
SELECT run_id, reason, count(*) AS pages, min(url) AS example_url
FROM skipped_pages GROUP BY run_id, reason;

-- Articles whose headline changed ON THE SITE after the archive first stored them: one row per
-- article, the first headline seen, the current one, how many versions changed it and when
-- (capture time of those versions; site_modified_at is the update time the site printed on the
-- latest one). Re-extractions (a newer extractor reading an old capture) and degraded versions
-- are not site changes and are left out.
CREATE VIEW IF NOT EXISTS headline_changes AS
SELECT a.id AS article_id, a.url, a.section, a.published_date, a.published_at,
       (SELECT f.headline FROM article_versions f WHERE f.article_id = a.id AND f.degraded IS NULL
         ORDER BY f.version LIMIT 1) AS first_headline,
       a.headline AS latest_headline,
       count(*) AS changes,
       min(v.fetched_at) AS first_changed_at,
       max(v.fetched_at) AS last_changed_at,
       max(v.modified_at) AS site_modified_at,
       (SELECT count(*) FROM article_versions n WHERE n.article_id = a.id) AS versions
FROM articles a
JOIN article_versions v ON v.article_id = a.id AND v.base_id IS NOT NULL
     AND v.reextraction = 0 AND v.degraded IS NULL
     AND EXISTS (SELECT 1 FROM json_each(v.changed_fields) WHERE value = 'headline')
GROUP BY a.id;

-- Every change the site made that the archive recorded: one row per such version, with the
-- fields that changed and the headline before and after (before: the version it was compared
-- with). Re-extractions and degraded versions are left out.
CREATE VIEW IF NOT EXISTS article_changes AS
SELECT v.article_id, a.url, a.section, v.version, v.fetched_at AS changed_at, v.modified_at,
       v.changed_fields, p.headline AS previous_headline, v.headline,
       v.body_chars - p.body_chars AS body_chars_delta, v.run_id, v.source
FROM article_versions v
JOIN articles a ON a.id = v.article_id
JOIN article_versions p ON p.id = v.base_id
WHERE v.reextraction = 0 AND v.degraded IS NULL AND v.changed_fields <> '[]';

-- Versions worse than the one stored (kept, never shown in articles), newest first.
CREATE VIEW IF NOT EXISTS degraded_versions AS
SELECT v.article_id, a.url, v.version, v.fetched_at, v.source, v.degraded AS reasons, v.headline,
       v.body_chars, v.run_id
FROM article_versions v JOIN articles a ON a.id = v.article_id
WHERE v.degraded IS NOT NULL;

-- Who writes: articles per author, the sections they write in, first and last day.
CREATE VIEW IF NOT EXISTS articles_per_author AS
SELECT au.id AS author_id, au.name AS author, count(*) AS articles,
       group_concat(DISTINCT a.section) AS sections,
       min(a.published_date) AS first_date, max(a.published_date) AS last_date
FROM authors au
JOIN article_authors aa ON aa.author_id = au.id
JOIN articles a ON a.id = aa.article_id
GROUP BY au.id;

-- ===== Arabic-aware full-text search (pipelines/search; see docs/search.md) =====
--
-- article_fts indexes a SHADOW text per article: every word folded (harakat, tatweel, hamza
-- carriers, ى/ي, ة/ه, digits) and stripped of its attached clitics (و ف ب ك ل ال لل), e.g.
-- «وطهران» is indexed as طهران and «بالحكومة» as حكومه. The index is CONTENTLESS: it keeps the
-- terms and their positions, never a copy of the text (columns read back as NULL); snippets are
-- cut from articles/images, whose text is never changed. Rows are written by
-- pipelines.search.index (the store calls index_article inside its upsert transaction).
--
-- rowid is a search key, not articles.id: (publication day << 24) | articles.id, where the day
-- is counted from 1970-01-01 = 1 (0 when the article has no date). FTS5 walks rowids in order,
-- so "newest first" and --since/--until are rowid order and rowid ranges inside the index, and
-- articles.id = rowid & 16777215. `section` holds two tokens, the URL slug and the printed name
-- (folded, spaces removed), for --section; it weighs 0 in the ranking and user queries are
-- restricted to the three text columns.
-- Idempotent: safe to run on every open.

CREATE VIRTUAL TABLE IF NOT EXISTS article_fts USING fts5(
    headline,                                   -- shadow of articles.headline
    body,                                       -- shadow of articles.body
    captions,                                   -- shadow of images.caption, in page order
    section,                                    -- slug + printed name of articles.section
    content = '',
    tokenize = 'unicode61 remove_diacritics 0'
);

-- Which normaliser and index layout built the index (a change means `almodon search --reindex`;
-- `almodon search` does it by itself when it finds the index stale).
CREATE TABLE IF NOT EXISTS search_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- A contentless index forgets a row only when told the exact terms it indexed, so the old row
-- is removed BEFORE the article changes or goes (images still hold the old captions then), and
-- only by the normaliser that indexed it (another one means a stale index: the next search
-- rebuilds it from scratch).
-- These triggers call the Python functions of pipelines.search.index.register_functions, which
-- every Store connection registers: an UPDATE of these columns from a plain sqlite3 shell fails
-- with "no such function: ar_index_text" instead of silently corrupting the index.
CREATE TRIGGER IF NOT EXISTS articles_fts_update
BEFORE UPDATE OF headline, body, section, section_name, published_date ON articles
WHEN coalesce((SELECT value FROM search_meta WHERE key = 'normaliser_version'),
              ar_index_version()) = ar_index_version()
 AND EXISTS (SELECT 1 FROM article_fts_docsize WHERE id =
    (max(coalesce(CAST(julianday(old.published_date) - 2440587.5 AS INTEGER) + 1, 0), 0) << 24) | old.id)
BEGIN
    INSERT INTO article_fts (article_fts, rowid, headline, body, captions, section) VALUES (
        'delete',
        (max(coalesce(CAST(julianday(old.published_date) - 2440587.5 AS INTEGER) + 1, 0), 0) << 24) | old.id,
        ar_index_text(old.headline), ar_index_text(old.body),
        ar_index_text(coalesce((SELECT group_concat(caption, char(10)) FROM (
            SELECT caption FROM images WHERE article_id = old.id AND caption IS NOT NULL
            ORDER BY position)), '')),
        ar_section_text(old.section, old.section_name));
END;

CREATE TRIGGER IF NOT EXISTS articles_fts_delete
BEFORE DELETE ON articles
WHEN coalesce((SELECT value FROM search_meta WHERE key = 'normaliser_version'),
              ar_index_version()) = ar_index_version()
 AND EXISTS (SELECT 1 FROM article_fts_docsize WHERE id =
    (max(coalesce(CAST(julianday(old.published_date) - 2440587.5 AS INTEGER) + 1, 0), 0) << 24) | old.id)
BEGIN
    INSERT INTO article_fts (article_fts, rowid, headline, body, captions, section) VALUES (
        'delete',
        (max(coalesce(CAST(julianday(old.published_date) - 2440587.5 AS INTEGER) + 1, 0), 0) << 24) | old.id,
        ar_index_text(old.headline), ar_index_text(old.body),
        ar_index_text(coalesce((SELECT group_concat(caption, char(10)) FROM (
            SELECT caption FROM images WHERE article_id = old.id AND caption IS NOT NULL
            ORDER BY position)), '')),
        ar_section_text(old.section, old.section_name));
END;

-- For sqlite3 users: MATCH the shadow index with a normalised query (get it from
-- `almodon search --explain "QUERY"`), best first:
--   SELECT id, url, headline FROM article_search
--   WHERE article_search MATCH '"طهران"' ORDER BY rank LIMIT 20;
-- The index holds no text, so there is no FTS snippet here: from Python, ar_snippet(body, query)
-- cuts one from the original text (docs/search.md).
CREATE VIEW IF NOT EXISTS article_search AS
SELECT a.id, a.url, a.section, a.published_date, a.headline, a.summary,
       bm25(article_fts, 5.0, 1.0, 2.0, 0.0) AS rank,   -- lower is better; headline weighs most
       article_fts AS article_search
FROM article_fts JOIN articles a ON a.id = (article_fts.rowid & 16777215);
