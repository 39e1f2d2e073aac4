"""Arabic-aware full-text search over the archive (see docs/search.md).

``normalise`` (the module) makes the search form of text and queries; ``index`` keeps the
``article_fts`` shadow index and searches it. ``search_cmd`` is the ``almodon search`` click
command (``main.add_command(search_cmd)`` in ``pipelines/cli.py``).
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote

import click

from . import normalise as nz  # the module (its function is nz.normalise: never shadowed here)
from .index import (
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


@click.command("search")
@click.argument("query")
@click.option("--db", "db_path", default="data/almodon.db", show_default=True,
              help="The archive database.")
@click.option("--since", help="Only articles published on or after this day (YYYY-MM-DD, YYYY-MM or YYYY).")
@click.option("--until", help="Only articles published on or before this day (YYYY-MM-DD, YYYY-MM or YYYY).")
@click.option("--section", help="Only this section: URL slug (politics) or printed name (سياسة).")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.option("--explain", is_flag=True,
              help="Print the normalised query and its FTS5 MATCH string (for sqlite3), no search.")
@click.option("--reindex", is_flag=True, help="Rebuild the search index before searching.")
def search_cmd(query: str, db_path: str, since: str | None, until: str | None,
               section: str | None, limit: int, as_json: bool, explain: bool,
               reindex: bool) -> None:
    """Search headlines, bodies and captions; Arabic spelling variants and attached clitics
    (و ف ب ك ل ال) match. Words are ANDed; "a phrase", word* (prefix), -word (exclude),
    A OR B.

    \b
    Order: relevance (bm25, headline first) among the 1,000 newest matching articles,
    which is all of them for most queries; equal scores go to the newer article. A
    form found in most articles scores nothing (الحكومة in a Lebanese archive), so a
    query of only such words lists the newest matches first; rarer forms of a word
    (وفي, بلبنان) still score. --since/--until/--section narrow the matches first.

    Example: almodon search "طهران" --since 2024-01-01 --section arabworld
    """
    if explain:
        click.echo(_dump({"normalised": nz.normalise(query), "terms": query_terms(query),
                          "match": match_expression(query)}))
        return
    if not Path(db_path).is_file():
        raise click.ClickException(f"no such database: {db_path}")
    from ..store import Store  # late: the store itself imports this package

    with Store(db_path) as store:
        ensure_schema(store.conn)
        rebuilt = rebuild(store.conn) if reindex else ensure_current(store.conn)
        if rebuilt is not None:
            click.echo(f"search index rebuilt: {rebuilt} articles", err=True)
        try:
            results = search(store.conn, query, since=since, until=until, section=section,
                             limit=limit)
        except ValueError as exc:  # a --since/--until that is not a day: one line, exit 1
            raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(_dump(results))
    elif results:
        click.echo(format_results(results))
    else:
        click.echo("no results", err=True)


def _dump(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2)
