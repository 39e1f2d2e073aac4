"""``almodon serve``: the archive in Datasette, read-only, described, with canned queries.

The database is opened **read-only** (``mode=ro`` + ``PRAGMA query_only``), not ``immutable``:
a crawl may be writing the same file (WAL mode), and ``immutable=1`` tells SQLite the file never
changes, so it skips locking and the WAL and would serve stale or torn pages while a crawl runs
(Datasette also hashes and counts immutable files at start-up, slow on a big archive). With
``mode=ro`` every query sees the latest committed crawl, and any write — a plugin, a writable
canned query, Datasette's own write path — fails with "attempt to write a readonly database".

Search: when ``pipelines.search`` is importable, every connection gets its SQL functions
(``ar_normalise``, ``ar_match``, …; see ``pipelines.search.index.register_functions``), and when
the database holds the ``article_fts`` index the ``search`` canned query is added. The index is
built by the writer (the store / ``almodon search --reindex``); a read-only server cannot.

Metadata (titles, table and column descriptions, canned queries) is built by
``pipelines.datasette_metadata`` from ``schema.sql``'s own comments; the dashboards
(``/-/dashboards``, the ``datasette-dashboards`` plugin) come with it from
``pipelines.dashboards``. A view of the schema that an older archive lacks is added to each
connection as a TEMP view (``pipelines.views``), so the charts work on a read-only copy.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from . import datasette_metadata, views
from .datasette_metadata import DB_NAME
from .store import ArchiveError, open_archive, readonly_uri

if TYPE_CHECKING:  # Datasette is imported when serving, not by every `almodon` command
    from datasette.app import Datasette
    from datasette.database import Database

DEFAULT_DB = "data/almodon.db"
#: Datasette settings: a little more time per query than the default 1 s for a big archive, and
#: room for a dashboard chart's rows (weeks x sections over a decade: thousands; default 1000).
SETTINGS = {"sql_time_limit_ms": 5000, "default_page_size": 50, "facet_time_limit_ms": 500,
            "max_returned_rows": 10000}


def _search_functions():
    """``pipelines.search.register_functions`` if the search package is there, else ``None``."""
    try:
        from .search import register_functions
    except ImportError:  # search not built yet: serve without it
        return None
    return register_functions


def prepare(conn: sqlite3.Connection) -> None:
    """Make a connection read-only and register the archive's SQL functions on it. Views of
    the schema an older archive lacks are added to the connection (TEMP), not to the file."""
    views.add_missing(conn)
    conn.execute("PRAGMA query_only = 1")
    register = _search_functions()
    if register is not None:
        register(conn)


@functools.cache
def _readonly_database_class() -> type[Database]:
    from datasette.database import Database

    class ReadOnlyDatabase(Database):
        """A Datasette database read-only on every connection, the "write" one included."""

        def __init__(self, ds: Datasette, path: str | Path) -> None:
            super().__init__(ds, path=str(Path(path).resolve()), is_mutable=True)
            self.uri = readonly_uri(path)

        def connect(self, write: bool = False) -> sqlite3.Connection:
            conn = sqlite3.connect(self.uri, uri=True, check_same_thread=False)
            prepare(conn)
            self._all_file_connections.append(conn)
            return conn

    return ReadOnlyDatabase


def readonly_database(ds: Datasette, path: str | Path) -> Database:
    """A ``datasette.database.Database`` for ``path`` whose every connection is ``mode=ro``
    with ``PRAGMA query_only`` and the archive's SQL functions: writes fail."""
    return _readonly_database_class()(ds, path)


def has_search(path: str | Path) -> bool:
    """True when search can be served: the package is importable and the index table exists."""
    if _search_functions() is None:
        return False
    conn = sqlite3.connect(readonly_uri(path), uri=True)
    try:
        return conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'article_fts'").fetchone() is not None
    finally:
        conn.close()


def search_warning(path: str | Path) -> str | None:
    """A line for the operator when the search index misses articles or is out of date."""
    if not has_search(path):
        return None
    from .search.index import stale

    conn = sqlite3.connect(readonly_uri(path), uri=True)
    try:
        if stale(conn):
            return ("search index is out of date: results may miss articles "
                    "(rebuild it on the writer: `almodon search --reindex QUERY`)")
    finally:
        conn.close()
    return None


def check_archive(path: str | Path) -> None:
    """Raise ``ValueError`` unless ``path`` is an archive database (the store's checks: missing,
    not SQLite, another database, damaged)."""
    try:
        open_archive(path).close()
    except ArchiveError as exc:
        raise ValueError(str(exc)) from None


def _columns(path: str | Path, table: str) -> set[str]:
    conn = sqlite3.connect(readonly_uri(path), uri=True)
    try:
        return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
    finally:
        conn.close()


def metadata(path: str | Path, *, search: bool | None = None) -> dict:
    """The Datasette metadata for the database at ``path`` (search wired when present), with
    the dashboards (the health one charts degraded versions when ``crawl_runs`` counts them)."""
    meta = datasette_metadata.build(search=has_search(path) if search is None else search)
    meta["plugins"] = datasette_metadata.plugins(degraded="degraded" in _columns(path, "crawl_runs"))
    return meta


def make_datasette(path: str | Path, *, search: bool | None = None,
                   settings: dict | None = None) -> Datasette:
    """A Datasette serving ``path`` read-only as ``/almodon``, with metadata and canned
    queries. ``search=None`` wires search when the database has the index."""
    from datasette.app import Datasette

    ds = Datasette(metadata=metadata(path, search=search), settings={**SETTINGS, **(settings or {})})
    ds.remove_database("_memory")  # added when Datasette gets no files: nothing to see there
    ds.add_database(readonly_database(ds, path), name=DB_NAME)
    return ds


def serve(path: str | Path, *, host: str = "127.0.0.1", port: int = 8001) -> None:
    """Run the server until interrupted (uvicorn, as ``datasette serve`` does)."""
    import uvicorn

    ds = make_datasette(path)
    uvicorn.run(ds.app(), host=host, port=port, log_level="info", lifespan="on", workers=1)


@click.command("serve")
@click.option("--db", "db", default=DEFAULT_DB, show_default=True,
              type=click.Path(dir_okay=False), help="The archive database.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on (0.0.0.0 to share on the network).")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(1, 65535))
@click.option("--metadata", "print_metadata", is_flag=True,
              help="Print the Datasette metadata as JSON and exit (for `datasette -m`).")
def serve_cmd(db: str, host: str, port: int, print_metadata: bool) -> None:
    """Browse and query the archive in Datasette, read-only, at http://HOST:PORT/almodon.

    Tables and columns are described; canned queries: latest_articles, articles_by_day,
    photo_agencies, changed_headlines, recent_changes, skip_reasons, degraded_captures,
    top_authors, and search
    when the index exists. Safe to run while a crawl writes the same database, and on a
    read-only copy.

    Example: almodon serve --db data/almodon.db --port 8001

    Dashboards (charts): http://HOST:PORT/-/dashboards (archive, health).
    """
    try:
        check_archive(db)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if print_metadata:
        click.echo(json.dumps(metadata(db), ensure_ascii=False, indent=2))
        return
    warning = search_warning(db)
    if warning:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"Serving {db} read-only at http://{host}:{port}/{DB_NAME}; "
               f"dashboards at http://{host}:{port}/-/dashboards", err=True)
    serve(db, host=host, port=port)


if __name__ == "__main__":  # pragma: no cover
    serve_cmd(sys.argv[1:])
