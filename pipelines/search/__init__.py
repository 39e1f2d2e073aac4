"""Arabic-aware full-text search over the archive (see docs/search.md).

``normalise`` (the module) makes the search form of text and queries; ``index`` keeps the
``article_fts`` shadow index and searches it. ``search_cmd`` is the ``almodon search`` click
command (``main.add_command(search_cmd)`` in ``pipelines/cli.py``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import unquote

import click

from ..options import DEFAULT_DB
from . import normalise as nz  # the module (its function is nz.normalise: never shadowed here)
from .index import (
    _day,
    ensure_current,
    ensure_schema,
    index_article,
    rebuild,
    register_functions,
    search,
    snippet,
    stale,
)
from .normalise import match_expression, parse_query, query_terms

__all__ = [
    "ensure_current",
    "ensure_schema",
    "format_results",
    "index_article",
    "match_expression",
    "parse_query",
    "query_terms",
    "rebuild",
    "register_functions",
    "search",
    "search_cmd",
    "snippet",
    "stale",
]


def format_results(results: list[dict]) -> str:
    """Human-readable lines for ``search`` results (rank, date, section, headline, URL as
    read, snippet)."""
    lines = []
    for n, r in enumerate(results, 1):
        lines.append(f"{n}. {r['published_date'] or '????-??-??'}  {r['section'] or '-'}  "
                     f"{r['headline']}  (score {r['score']:.2f})")
        lines.append(f"   {unquote(r['url'])}")
        if r["snippet"]:
            lines.append(f"   {r['snippet']}")
    return "\n".join(lines)


@click.command("search", context_settings={"ignore_unknown_options": True})
@click.argument("query", nargs=-1, required=True)
@click.option("--db", "db_path", default=DEFAULT_DB, show_default=True,
              help="The archive database.")
@click.option("--since", callback=lambda c, p, v: _bound(p, v, last=False),
              help="Only articles published on or after this day (YYYY-MM-DD, YYYY-MM or YYYY).")
@click.option("--until", callback=lambda c, p, v: _bound(p, v, last=True),
              help="Only articles published on or before this day (YYYY-MM-DD, YYYY-MM or YYYY).")
@click.option("--section", help="Only this section: URL slug (politics) or printed name (سياسة).")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--explain", is_flag=True,
              help="Print the normalised query and its FTS5 MATCH string (for sqlite3), no search.")
@click.option("--reindex", is_flag=True, help="Rebuild the search index before searching.")
def search_cmd(query: tuple[str, ...], db_path: str, since: str | None, until: str | None,
               section: str | None, limit: int, as_json: bool, explain: bool,
               reindex: bool) -> None:
    """Search headlines, bodies and captions; Arabic spelling variants and attached clitics
    (و ف ب ك ل ال) match. Words are ANDed; "a phrase", word* (prefix), -word (exclude),
    A OR B. The database is opened read-only; a stale index is rebuilt only when the file
    is writable (else reported).

    \b
    Order: relevance (bm25, headline first) among the 1,000 newest matching articles,
    which is all of them for most queries; equal scores go to the newer article. A
    form found in most articles scores nothing (الحكومة in a Lebanese archive), so a
    query of only such words lists the newest matches first; rarer forms of a word
    (وفي, بلبنان) still score. --since/--until/--section narrow the matches first.

    Example: almodon search "طهران" --since 2024-01-01 --section arabworld
    """
    text = " ".join(query)
    if since and until and _day(since, last=False) > _day(until, last=True):
        raise click.UsageError(f"--since {since} is after --until {until}: nothing to select")
    if explain:
        click.echo(_dump({"normalised": nz.normalise(text), "terms": query_terms(text),
                          "match": match_expression(text)}))
        return
    _refresh_index(db_path, force=reindex)
    from ..store import open_archive  # late: the store itself imports this package

    conn = open_archive(db_path)
    try:
        register_functions(conn)
        results = search(conn, text, since=since, until=until, section=section, limit=limit)
    finally:
        conn.close()
    if as_json:
        click.echo(_dump(results))
    elif results:
        click.echo(format_results(results))
    else:
        click.echo("no results", err=True)


def _bound(param, value: str | None, *, last: bool) -> str | None:
    """A ``--since``/``--until`` the index can read (YYYY-MM-DD, YYYY-MM or YYYY), else one line."""
    if value is not None:
        try:
            _day(value, last=last)
        except ValueError as exc:  # exit 1 (not click's 2 for usage), also outside `almodon`
            raise click.ClickException(str(exc)) from None
    return value


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK) and os.access(path.resolve().parent, os.W_OK)


def _refresh_index(db_path: str, *, force: bool) -> None:
    """Rebuild the index when asked or stale, on a writable archive; on a read-only one, say
    so (a missing index is an error, a stale one a warning) and touch nothing."""
    from ..store import open_archive

    conn = open_archive(db_path)
    try:
        present = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name IN ('article_fts', 'search_meta')").fetchall()
        outdated = force or len(present) < 2 or stale(conn)
    finally:
        conn.close()
    if not outdated:
        return
    if _writable(Path(db_path)):
        writer = open_archive(db_path, readonly=False)
        try:
            register_functions(writer)  # the index's triggers call them
            ensure_schema(writer)
            click.echo(f"search index rebuilt: {rebuild(writer)} articles", err=True)
        finally:
            writer.close()
        return
    hint = "run `almodon search --reindex` on a writable copy"
    if force or len(present) < 2:
        what = "cannot rebuild its search index" if force else "has no search index"
        raise click.ClickException(f"{db_path} is read-only and {what}: {hint}")
    click.echo(f"almodon: warning: the search index of {db_path} is out of date (read-only, not "
               f"rebuilt): results may miss articles; {hint}", err=True)


def _dump(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2)
