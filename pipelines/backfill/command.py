"""``almodon backfill``: run the backfill spider (scrapers/spiders/backfill.py) through Scrapy's
CrawlerProcess with the project's settings, under the database lock, like ``scrapy crawl``."""

from __future__ import annotations

import json
import os
import sys
from datetime import date

import click

EXIT_LOCKED = 2


def _day(value: str | None, name: str) -> str | None:
    if value:
        try:
            date.fromisoformat(value)
        except ValueError:
            raise click.BadParameter(f"{value!r}: expected YYYY-MM-DD", param_hint=name) from None
    return value


def format_plan(would_fetch: dict[tuple[str, str], int], counts: dict[str, int]) -> str:
    """The dry run's table: captures that would be fetched per year and section."""
    lines = [f"{'year':<6}{'section':<14}{'captures':>9}"]
    for (year, section), n in sorted(would_fetch.items()):
        lines.append(f"{year:<6}{section:<14}{n:>9}")
    lines.append(f"{'total':<20}{sum(would_fetch.values()):>9}")
    skipped = {k: v for k, v in sorted(counts.items()) if k != "fetch" and v}
    if skipped:
        lines.append("not fetched: " + ", ".join(f"{k} {v}" for k, v in skipped.items()))
    return "\n".join(lines)


@click.command("backfill")
@click.option("--source", type=click.Choice(["wayback", "commoncrawl"]), required=True,
              help="The web archive to read.")
@click.option("--db", "db", default="data/almodon.db", show_default=True, type=click.Path(dir_okay=False),
              help="The archive database.")
@click.option("--since", help="Captures made on or after this day (YYYY-MM-DD, UTC).")
@click.option("--until", help="Captures made on or before this day (YYYY-MM-DD, UTC).")
@click.option("--crawl", "crawls", multiple=True, metavar="CC-MAIN-YYYY-WW",
              help="Common Crawl crawls to read (default: every crawl collinfo.json lists for the window).")
@click.option("--endpoint", help="Wayback (https://web.archive.org) or Common Crawl index "
                                 "(https://index.commoncrawl.org) server.")
@click.option("--data-endpoint", help="Common Crawl data server (https://data.commoncrawl.org).")
@click.option("--dry-run", is_flag=True, help="List captures only: print per year and section how many "
                                              "would be fetched; fetch and write nothing.")
@click.option("--limit", type=click.IntRange(min=1), help="Fetch at most N captures in this run.")
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE",
              help="A Scrapy setting for this run (as `scrapy crawl -s`).")
def backfill_cmd(source: str, db: str, since: str | None, until: str | None, crawls: tuple[str, ...],
                 endpoint: str | None, data_endpoint: str | None, dry_run: bool, limit: int | None,
                 overrides: tuple[str, ...]) -> None:
    """Fetch Al-Modon captures the archive lacks from the Wayback Machine or Common Crawl.

    Each capture is kept raw in the WARC archive and goes through the crawl's pipelines with
    the capture time as its fetch time. Resumable (the listing cursor is kept in the database);
    a second run fetches only new captures. Exit 0 ok, 1 failed, 2 another job holds the
    database, 3 the archive refused us.

    Example: almodon backfill --source wayback --since 2016-01-01 --until 2016-12-31 --dry-run
    """
    from scrapy.crawler import CrawlerProcess
    from scrapy.utils.project import get_project_settings

    from ..lock import Locked, db_lock

    _day(since, "--since")
    _day(until, "--until")
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "scrapers.settings")
    settings = get_project_settings()
    for item in overrides:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{item!r}: expected NAME=VALUE", param_hint="--set")
        settings.set(name, value, priority="cmdline")
    settings.set("ALMODON_DB", db, priority="cmdline")
    if dry_run:  # no run row, no pipelines: nothing is written
        settings.set("ITEM_PIPELINES", {}, priority="cmdline")
        settings.set("EXTENSIONS", {"pipelines.scrapy_pipelines.RunLedger": None}, priority="cmdline")
    from scrapers.spiders.backfill import BackfillSpider

    args = {"source": source, "since": since, "until": until, "endpoint": endpoint,
            "data_endpoint": data_endpoint, "crawl": ",".join(crawls), "limit": limit, "dry_run": dry_run}
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(BackfillSpider)

    def run() -> None:
        process.crawl(crawler, **args)
        process.start()

    if dry_run:
        run()
        spider = crawler.spider
        click.echo(format_plan(dict(spider.would_fetch), dict(spider.planner.counts)))
        sys.exit(0 if not spider.listing_failed else 1)
    try:
        with db_lock(db):
            run()
    except Locked as exc:
        click.echo(f"almodon: {exc}", err=True)
        sys.exit(EXIT_LOCKED)
    stats = crawler.stats.get_stats() if crawler.stats else {}
    summary = {k.split("/", 1)[1]: v for k, v in sorted(stats.items()) if k.startswith("backfill/")}
    summary.update({k: stats.get(f"almodon/{k}", 0) for k in ("new", "updated", "earlier", "degraded", "unchanged")})
    click.echo(json.dumps({"run_id": stats.get("almodon/run_id"), "status": stats.get("almodon/status"),
                           **summary}, ensure_ascii=False, indent=2))
    code = int(stats.get("almodon/exit_code") or (1 if process.bootstrap_failed else 0))
    if code == 0 and stats.get("backfill/captures/fetch") and not stats.get("backfill/captures/fetched"):
        click.echo("almodon: no capture could be fetched (see failed_reasons in crawl_runs)", err=True)
        code = 1  # the listing answered, every capture failed: not an "ok"
    sys.exit(code)
