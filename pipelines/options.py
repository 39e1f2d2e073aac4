"""Command-line options shared by the ``almodon`` commands (click types, the ``--db`` option)."""

from __future__ import annotations

from datetime import date

import click

DEFAULT_DB = "data/almodon.db"


class Day(click.ParamType):
    """A calendar day ``YYYY-MM-DD`` (a real one: 2024-02-31 is refused); kept as the string."""

    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        if value is None:
            return value
        text = str(value)
        try:
            if len(text) != 10:
                raise ValueError(text)
            return date.fromisoformat(text).isoformat()
        except ValueError:
            self.fail(f"{text!r} is not a day YYYY-MM-DD", param, ctx)


DAY = Day()


def check_window(since: str | None, until: str | None) -> None:
    """``--since`` after ``--until`` selects nothing: refuse it rather than print no results."""
    if since and until and since > until:
        raise click.UsageError(f"--since {since} is after --until {until}: nothing to select")


def db_option(f):
    return click.option("--db", "db", default=DEFAULT_DB, show_default=True,
                        type=click.Path(dir_okay=False), help="The archive database.")(f)
