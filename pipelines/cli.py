"""The ``almodon`` command: a thin click CLI over the extractor and the store."""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import click

from . import exits
from .backfill.command import backfill_cmd
from .backfill.coverage import coverage_cmd
from .export import export_cmd
from .extract import NotAnArticle, extract
from .extract import dates as dates_mod
from .fetch import fetch_one
from .options import DAY, DEFAULT_DB, db_option
from .search import search_cmd
from .serve import serve_cmd


def _dump(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2)


def _db_arg(ctx: click.Context) -> str:
    """The ``--db`` the command line names (for the failure line), else the default."""
    args = [*getattr(ctx, "_protected_args", []), *ctx.args]
    for i, arg in enumerate(args):
        if arg == "--db" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--db="):
            return arg[5:]
    return DEFAULT_DB


class _Fail(click.ClickException):
    def __init__(self, status: int, line: str) -> None:
        super().__init__(line)
        self.exit_code = status


class AlmodonGroup(click.Group):
    """Every failure of every command ends the same way: ONE line ``almodon: …`` on stderr and
    an exit status from ``pipelines.exits`` (usage errors included: 1, not click's 2, which
    means "another job holds the database" here). Never a traceback for bad input."""

    def invoke(self, ctx: click.Context):
        db = _db_arg(ctx)  # (click empties ctx.args when it hands them to the command)
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except (Exception, KeyboardInterrupt) as exc:
            described = exits.describe(exc, db)
            if described is None:
                raise
            raise _Fail(*described) from None

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            rv = super().main(args, prog_name or "almodon", complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            where = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx else ""
            click.echo(f"almodon: {exc.format_message()}{where}", err=True)
            sys.exit(exits.ERROR)
        except click.ClickException as exc:
            click.echo(f"almodon: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo(f"almodon: {exits.INTERRUPTED}", err=True)
            sys.exit(exits.ERROR)
        sys.exit(rv if isinstance(rv, int) else exits.OK)


@click.group(cls=AlmodonGroup)
@click.version_option(package_name="almodon-archive")
def main() -> None:
    """Al-Modon news archive: extract pages, query and maintain the SQLite archive."""


@main.command("extract")
@click.argument("source")
@click.option("--url", "original_url", help="The page's original address (when SOURCE is a file).")
@click.option("--content-type", help="The HTTP Content-Type header the page came with.")
@click.option("--fetched-at", help="When the page was fetched (ISO 8601), for relative dates.")
def extract_cmd(source: str, original_url: str | None, content_type: str | None, fetched_at: str | None) -> None:
    """Print the article record of a page as JSON.

    SOURCE is a file path or an http(s) URL. Exit 0 with the JSON on stdout, or exit 1 with a
    one-line reason on stderr when the page is not an article.

    Example: almodon extract tests/fixtures/almodon/seed-2024-04-26.html
    --url https://www.almodon.com/arabworld/2024/04/26/ايران-وروسيا
    """
    when = _fetched_at(fetched_at)
    for url, hint in ((source, "SOURCE"), (original_url, "--url")):
        _check_url(url, hint)
    if source.startswith(("http://", "https://")):
        try:
            body, fetched_type, url = fetch_one(source)
        except (OSError, ValueError) as exc:
            raise click.ClickException(f"cannot fetch {source}: {exc}") from exc
        content_type = content_type or fetched_type
        original_url = original_url or url
    else:
        path = Path(source)
        if not path.is_file():
            raise click.ClickException(f"no such file: {source}")
        body = path.read_bytes()
        original_url = original_url or path.resolve().as_uri()
    try:
        article = extract(body, original_url, content_type=content_type, fetched_at=when)
    except NotAnArticle as exc:
        raise click.ClickException(f"not an article: {exc}") from None
    click.echo(_dump(article.to_dict()))


def _check_url(url: str | None, hint: str) -> None:
    if not url or not url.startswith(("http://", "https://")):
        return
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise click.BadParameter(f"{url!r} is not a valid URL ({exc})", param_hint=hint) from None
    if not parts.hostname:
        raise click.BadParameter(f"{url!r} is not a valid URL (no host)", param_hint=hint)


def _fetched_at(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 time (e.g. 2024-04-26T18:43:00Z)",
                                 param_hint="--fetched-at") from None


@main.command("dates")
@click.argument("text")
@click.option("--reference", help="ISO time that relative forms (منذ 5 دقائق, أمس) count from.")
def dates_cmd(text: str, reference: str | None) -> None:
    """Print every timestamp found in TEXT as JSON (utc, local, precision, source, flags, zone).

    A zone printed with a time (GMT+4, (GMT+0400), +03:00, بتوقيت غرينتش, بتوقيت القدس, (بيروت))
    wins over Beirut time. English and French dates are read by the dateparser layer when the
    Arabic lexicon finds nothing. Exit 1 with one line when --reference is not ISO 8601, or when
    the only dates in TEXT name no real day (31/02/2024).

    Example: almodon dates "الجمعة 2024/04/26 آخر تحديث: 21:43 (بيروت)"
    """
    try:
        found = dates_mod.dates_report(text, reference)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    impossible = dates_mod.impossible_dates(text)
    if impossible and not found:
        raise click.ClickException(f"no real date: {', '.join(impossible)} names no day of the calendar")
    click.echo(_dump(found))
    if impossible:
        click.echo(f"note: dropped {', '.join(impossible)}: no such day", err=True)


def _workers_option(f):
    return click.option(
        "--workers", type=click.IntRange(min=1), default=min(4, os.cpu_count() or 1), show_default=True,
        help="Extraction processes (the database has one writer, this process).",
    )(f)


def _cluster_options(f):
    f = click.option("--shards", type=click.Path(file_okay=False),
                     help="With --scheduler: the Parquet shard directory, on storage every worker "
                          "shares (default: shards/<job>-<time> beside the database); give an earlier "
                          "one to load it again or finish it.")(f)
    return click.option("--scheduler", metavar="tcp://HOST:PORT",
                        help="Run the extraction on this Dask distributed cluster, one task per WARC "
                             "file (needs the 'scale' extra); without it, local processes (--workers).")(f)


def _report(result: dict) -> None:
    click.echo(_dump(result))
    if result["status"] != "ok":
        click.echo(f"almodon: {result.get('message') or 'run ' + result['status']}", err=True)
        sys.exit(exits.ERROR)


@main.command("reparse")
@db_option
@click.option("--since", type=DAY, help="Only pages fetched on or after this date (YYYY-MM-DD).")
@click.option("--warc-dir", type=click.Path(file_okay=False), help="Archive directory (default: warc/ beside the database).")
@click.option("--into", type=click.Path(dir_okay=False), help="Rebuild into this (new) database instead.")
@_workers_option
@_cluster_options
def reparse_cmd(db: str, since: str | None, warc_dir: str | None, into: str | None, workers: int,
                scheduler: str | None, shards: str | None) -> None:
    """Re-extract every archived page through the current extraction and pipelines, offline.

    Prints the run's counts (new / updated / unchanged / skipped) as JSON.

    Example: almodon reparse --db data/almodon.db --since 2026-01-01
    """
    from .jobs import reparse

    path = Path(db)
    where = {"warc_dir": Path(warc_dir) if warc_dir else None, "into": Path(into) if into else None}
    if not scheduler:
        _report(reparse(path, since=since, workers=workers, **where))
        return
    distributed = _distributed()
    try:
        _report(distributed.reparse(path, scheduler=scheduler, since=since,
                                    shards=Path(shards) if shards else None, **where))
    except OSError as exc:  # the scheduler cannot be reached (a full disk keeps its own line)
        if exits.describe(exc) is not None:
            raise
        raise click.ClickException(f"{scheduler}: {exc}") from None


def _distributed():
    try:
        import distributed as _dask  # noqa: F401
        import pyarrow  # noqa: F401

        from . import distributed
    except ImportError as exc:
        raise click.ClickException(
            f"--scheduler needs the 'scale' extra: pip install '.[scale]' ({exc.name} is missing)") from None
    return distributed


@main.command("import-warc")
@db_option
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@_workers_option
@_cluster_options
def import_warc_cmd(db: str, files: tuple[str, ...], workers: int, scheduler: str | None,
                    shards: str | None) -> None:
    """Ingest Al-Modon pages from external WARC files (web archives, Common Crawl).

    Pages of other sites are counted and skipped. Example: almodon import-warc crawl.warc.gz
    """
    from .jobs import import_warc

    if not scheduler:
        _report(import_warc(Path(db), [Path(f) for f in files], workers=workers))
        return
    try:
        _report(_distributed().import_warc(Path(db), [Path(f) for f in files], scheduler=scheduler,
                                           shards=Path(shards) if shards else None))
    except OSError as exc:  # the scheduler cannot be reached (a full disk keeps its own line)
        if exits.describe(exc) is not None:
            raise
        raise click.ClickException(f"{scheduler}: {exc}") from None


@main.command("summary")
@db_option
def summary_cmd(db: str) -> None:
    """Print what the archive holds: sections, newest articles, images, the last run.

    Example: almodon summary --db data/demo.db
    """
    from .report import summary

    conn = _read_only(db)
    try:
        click.echo(summary(conn))
    finally:
        conn.close()


@main.command("health")
@db_option
@click.option("--runs", default=10, show_default=True, type=click.IntRange(min=1),
              help="How many of the last runs to show; the latest is compared with the others.")
@click.option("--days", default=14, show_default=True, type=click.IntRange(min=1),
              help="How many of the last days (UTC, with pages) to show; likewise.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def health_cmd(db: str, runs: int, days: int, as_json: bool) -> None:
    """Fill rate and source layer of each field per run and per day; flag drops.

    A field that most pages had and the latest run or day (overall or in one section) lacks,
    or that a different layer now fills, is flagged with example URLs first. Exit 0 when
    nothing is flagged, 4 when something is (for cron). See docs/health.md.

    Example: almodon health --db data/almodon.db
    """
    from .health import exit_code, format_health, health

    conn = _read_only(db)
    try:
        report = health(conn, runs=runs, days=days)
    finally:
        conn.close()
    click.echo(_dump(report) if as_json else format_health(report))
    sys.exit(exit_code(report))


def _read_only(db: str):
    from .store import open_archive

    return open_archive(db)


main.add_command(search_cmd)
main.add_command(serve_cmd)
main.add_command(export_cmd)
main.add_command(backfill_cmd)
main.add_command(coverage_cmd)

if __name__ == "__main__":  # pragma: no cover
    main()
