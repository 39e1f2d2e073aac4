"""``almodon coverage``: per month (Beirut dates) and section, what the site names and what the
archive holds. Read-only, from the database alone:

- ``named``: article URLs the site's sitemaps, listings, feeds and home page named to a crawl
  (``discovered_urls``), one per article (a numeric link that redirects counts as its target);
- ``stored``: articles stored; ``archive_only``: of those, known only from web archives
  (every stored version came from the Wayback Machine or Common Crawl);
- ``dead``: named URLs that answered 404/410 (or a soft 404) and are not stored;
- ``missing``: named URLs neither stored nor dead: what a crawl (``-a url=…``) or a backfill
  should fetch next.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections import defaultdict

import click

from ..extract import urls

COLUMNS = ("named", "stored", "archive_only", "dead", "missing")
#: Skip reasons that make a URL dead: gone (404/410), or a page saying so with status 200.
DEAD = ("http_404", "http_410", "soft404")


def _rows(conn: sqlite3.Connection, sql: str, *params) -> list:
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:  # a database made before the table existed
        if "no such table" in str(exc):
            return []
        raise


def coverage(conn: sqlite3.Connection) -> dict:
    """``{"rows": [{month, section, named, stored, archive_only, dead, missing}], "missing": [urls]}``."""
    articles = {url: (section, day) for url, section, day in _rows(
        conn, "SELECT url, section, published_date FROM articles")}
    aliases = dict(_rows(conn, "SELECT al.url, a.url FROM article_aliases al JOIN articles a ON a.id = al.article_id"))
    archive_only = {r[0] for r in _rows(
        conn, "SELECT a.url FROM articles a JOIN article_versions v ON v.article_id = a.id "
              "GROUP BY a.id HAVING sum(v.source NOT IN ('wayback', 'commoncrawl')) = 0")}
    marks = ", ".join("?" for _ in DEAD)
    dead = {urls.canonicalize(u) for (u,) in _rows(
        conn, f"SELECT DISTINCT url FROM skipped_pages WHERE reason IN ({marks})", *DEAD)}
    table: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(COLUMNS, 0))
    for url, (section, day) in articles.items():
        key = ((day or "")[:7] or "unknown", section or "?")
        table[key]["stored"] += 1
        if url in archive_only:
            table[key]["archive_only"] += 1
    missing: list[str] = []
    named: set[str] = set()
    for url, section, day, target in _rows(
            conn, "SELECT url, section, day, redirects_to FROM discovered_urls ORDER BY url"):
        article = next((a for a in (target, url) if a in articles), None) or aliases.get(url) or aliases.get(target)
        resolved = article or target or url
        if resolved in named:
            continue
        named.add(resolved)
        if article:
            section, day = articles[article][0] or section, articles[article][1] or day
        info = urls.classify(resolved)
        key = ((day or info.url_date or "")[:7] or "unknown", section or info.section or "?")
        table[key]["named"] += 1
        if article:
            continue
        if {url, target} & dead:
            table[key]["dead"] += 1
        else:
            table[key]["missing"] += 1
            missing.append(resolved)
    rows = [{"month": m, "section": s, **counts} for (m, s), counts in sorted(table.items())]
    return {"rows": rows, "missing": sorted(missing)}


def format_coverage(report: dict) -> str:
    head = f"{'month':<9}{'section':<12}" + "".join(f"{c:>14}" for c in COLUMNS)
    lines = [head]
    totals = dict.fromkeys(COLUMNS, 0)
    for row in report["rows"]:
        lines.append(f"{row['month']:<9}{row['section']:<12}" + "".join(f"{row[c]:>14}" for c in COLUMNS))
        for c in COLUMNS:
            totals[c] += row[c]
    lines.append(f"{'total':<21}" + "".join(f"{totals[c]:>14}" for c in COLUMNS))
    if not any(totals[c] for c in ("named",)):
        lines.append("No URLs recorded from the site's sitemaps or listings yet: crawl it first "
                     "(scrapy crawl almodon -a mode=archive).")
    return "\n".join(lines)


@click.command("coverage")
@click.option("--db", "db", default="data/almodon.db", show_default=True, type=click.Path(dir_okay=False),
              help="The archive database.")
@click.option("--missing", "missing", is_flag=True,
              help="Print only the missing article URLs, one per line.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def coverage_cmd(db: str, missing: bool, as_json: bool) -> None:
    """Per month (Beirut dates) and section: article URLs the site's sitemaps and listings name,
    articles stored, those known only from web archives, dead (404/410) URLs, and what is missing.

    Read-only. --missing prints the missing URLs one per line, ready for
    `scrapy crawl almodon -a url=…` or a backfill.

    Example: almodon coverage --db data/almodon.db --missing > missing.txt
    """
    from ..store import open_archive  # the one opener: missing, foreign, damaged -> one line

    conn = open_archive(db)
    try:
        report = coverage(conn)
    finally:
        conn.close()
    if missing:
        sys.stdout.write("".join(f"{u}\n" for u in report["missing"]))
    elif as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        click.echo(format_coverage(report))
