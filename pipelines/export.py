"""``almodon export``: articles as JSON Lines or CSV, one article per line / row, streamed.

Rows come from one read-only cursor, in publication order (``published_date``, then the time,
then id) and are written as they are read: memory stays flat whatever the archive's size. The
filters use the ``articles(published_date)`` and ``articles(section, published_date)`` indexes.

Fields (``FIELDS``): JSON Lines keeps ``authors`` and ``tags`` as arrays; CSV joins them with
``LIST_SEPARATOR`` and keeps the body's paragraph breaks (blank lines) inside the quoted cell.
For any other query, use ``sqlite-utils query DB "SELECT …" --csv`` / ``--nl`` (docs/analysts.md).
"""

from __future__ import annotations

import csv
import json
import sqlite3
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TextIO

import click

from .options import DAY, check_window

DEFAULT_DB = "data/almodon.db"
FORMATS = ("jsonl", "csv")
#: Columns, in order; every one is a column of ``articles`` but ``authors``/``tags`` (decoded).
FIELDS = (
    "id", "url", "section", "section_name", "published_date", "published_at", "published_local",
    "published_precision", "modified_at", "modified_local", "headline", "summary", "authors",
    "tags", "word_count", "paragraph_count", "image_count", "version", "first_seen_at",
    "last_changed_at", "body",
)
_LISTS = ("authors", "tags")
#: How CSV joins a list cell (names and tags contain spaces and Arabic commas, never this).
LIST_SEPARATOR = "; "


def readonly(path: str | Path) -> sqlite3.Connection:
    """Open the archive read-only (a crawl may be writing it: WAL readers do not block it).
    Raises ``store.ArchiveError`` for a missing, foreign or damaged file."""
    from .store import open_archive

    conn = open_archive(path)
    conn.execute("PRAGMA query_only = 1")
    return conn


def _check_day(value: str | None, name: str) -> None:
    if value is not None:
        try:
            date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{name} must be a day YYYY-MM-DD, not {value!r}") from None


def query(since: str | None = None, until: str | None = None,
          section: str | None = None) -> tuple[str, list]:
    """The SELECT and its parameters. ``since``/``until`` bound the Beirut publication day,
    inclusive; ``section`` is the URL slug (``politics``) or the printed name (``سياسة``)."""
    _check_day(since, "since")
    _check_day(until, "until")
    where, params = [], []
    if since:
        where.append("published_date >= ?")
        params.append(since)
    if until:
        where.append("published_date <= ?")
        params.append(until)
    if section:
        where.append("(section = ? OR section_name = ?)")
        params += [section, section]
    sql = f"SELECT {', '.join(FIELDS)} FROM articles"
    if where:
        sql += " WHERE " + " AND ".join(where)
    return sql + " ORDER BY published_date, coalesce(published_at, ''), id", params


def iter_articles(conn: sqlite3.Connection, since: str | None = None, until: str | None = None,
                  section: str | None = None) -> Iterator[dict]:
    """One dict per article (``FIELDS``, lists decoded), streamed from a single cursor."""
    sql, params = query(since, until, section)
    cursor = conn.execute(sql, params)
    try:
        for row in cursor:
            record = dict(zip(FIELDS, row, strict=True))
            for key in _LISTS:
                record[key] = json.loads(record[key] or "[]")
            yield record
    finally:
        cursor.close()


def write_jsonl(records: Iterator[dict], out: TextIO) -> int:
    """One JSON object per line (UTF-8, Arabic unescaped). Returns how many were written."""
    n = 0
    for n, record in enumerate(records, 1):
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return n


def write_csv(records: Iterator[dict], out: TextIO) -> int:
    """A header row, then one row per article; list cells joined by ``LIST_SEPARATOR``."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(FIELDS)
    n = 0
    for n, record in enumerate(records, 1):
        writer.writerow([LIST_SEPARATOR.join(record[f]) if f in _LISTS else record[f] for f in FIELDS])
    return n


def export(db: str | Path, out: TextIO, *, fmt: str = "jsonl", since: str | None = None,
           until: str | None = None, section: str | None = None) -> int:
    """Write the matching articles of ``db`` to ``out`` in ``fmt``; returns the count."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    query(since, until, section)  # validate before opening anything
    conn = readonly(db)
    try:
        records = iter_articles(conn, since, until, section)
        return (write_jsonl if fmt == "jsonl" else write_csv)(records, out)
    finally:
        conn.close()


@click.command("export")
@click.option("--db", "db", default=DEFAULT_DB, show_default=True,
              type=click.Path(dir_okay=False), help="The archive database.")
@click.option("--since", type=DAY, help="First Beirut publication day, inclusive (YYYY-MM-DD).")
@click.option("--until", type=DAY, help="Last Beirut publication day, inclusive (YYYY-MM-DD).")
@click.option("--section", help="Only this section: URL slug (politics) or printed name (سياسة).")
@click.option("--format", "fmt", type=click.Choice((*FORMATS, "parquet")), default="jsonl", show_default=True,
              help="parquet: a directory of datasets (articles, images, authors, versions) by year.")
@click.option("--output", "-o", type=click.Path(allow_dash=True), default="-",
              show_default=True, help="File to write (- for standard output); a directory for parquet.")
@click.option("--bom", is_flag=True,
              help="Start the file with a UTF-8 byte order mark (Excel then reads Arabic right).")
def export_cmd(db: str, since: str | None, until: str | None, section: str | None, fmt: str,
               output: str, bom: bool) -> None:
    """Export articles, one per line (jsonl) or row (csv), oldest first, streamed.

    Fields: url, section, published_date/at/local, modified_at/local, headline, summary,
    authors, tags, word and image counts, version, body. Prints the count on stderr.

    Example: almodon export --since 2025-01-01 --format csv -o 2025.csv

    Parquet (needs the 'scale' extra): almodon export --format parquet -o parquet/
    """
    check_window(since, until)
    if output != "-" and not Path(output).resolve().parent.is_dir():
        raise click.ClickException(f"no such directory: {Path(output).parent} (create it first)")
    readonly(db).close()  # a missing, foreign or damaged database: one line, no file written
    try:
        if fmt == "parquet":
            _parquet(db, output, since, until, section)
            return
        if Path(output).is_dir():
            raise ValueError(f"{output} is a directory (only --format parquet writes a directory)")
        if output == "-":
            with click.open_file("-", "w", encoding="utf-8") as out:
                if bom:
                    out.write("\ufeff")
                n = export(db, out, fmt=fmt, since=since, until=until, section=section)
        else:
            # newline="" so the csv module's \r\n is written as is (RFC 4180), jsonl uses \n
            with open(output, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as out:
                n = export(db, out, fmt=fmt, since=since, until=until, section=section)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"exported {n} articles", err=True)


def _parquet(db: str, output: str, since: str | None, until: str | None, section: str | None) -> None:
    if output == "-":
        raise ValueError("--format parquet writes a directory: give -o DIR")
    try:
        import pyarrow  # noqa: F401

        from .export_parquet import export_parquet
    except ImportError:
        raise click.ClickException("--format parquet needs pyarrow: pip install '.[scale]'") from None
    where, params = [], []
    if since:
        where.append("{a}.published_date >= ?")
        params.append(since)
    if until:
        where.append("{a}.published_date <= ?")
        params.append(until)
    if section:
        where.append("({a}.section = ? OR {a}.section_name = ?)")
        params += [section, section]
    counts = export_parquet(db, output, where=" AND ".join(where), params=params)
    click.echo("exported " + ", ".join(f"{n} {name}" for name, n in counts.items()) + f" to {output}", err=True)


if __name__ == "__main__":  # pragma: no cover
    export_cmd(sys.argv[1:])
