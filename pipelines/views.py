"""The schema's views for a reader of an archive written by an older version.

A writer (crawl, reparse, import) applies ``schema.sql`` when it opens the archive, so the views
are in the file. A reader opens it read-only and cannot add them: an archive last written before
a view existed (an analyst's read-only copy, say) lacks it, and ``almodon serve``'s dashboards or
``almodon health`` would fail with "no such table". :func:`add_missing` creates each view of
``schema.sql`` that the file lacks as a ``TEMP`` view of the connection: nothing is written to
the file, and the definition is still the schema's own.
"""

from __future__ import annotations

import functools
import re
import sqlite3

from .store import SCHEMA_PATH

_VIEW = re.compile(r"^CREATE VIEW IF NOT EXISTS (\w+) AS\b.*?;[ \t]*$", re.MULTILINE | re.DOTALL)


@functools.cache
def schema_views() -> dict[str, str]:
    """``{name: CREATE VIEW statement}`` for every view of ``schema.sql``, in file order."""
    return {m.group(1): m.group(0) for m in _VIEW.finditer(SCHEMA_PATH.read_text(encoding="utf-8"))}


def add_missing(conn: sqlite3.Connection) -> list[str]:
    """Create the schema's views that the database lacks as TEMP views of ``conn`` (call it
    before ``PRAGMA query_only``); the names added. A view over a table the database has not
    got is left out."""
    present = {r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'view' "
        "UNION SELECT name FROM sqlite_temp_master WHERE type = 'view'")}
    added = []
    for name, sql in schema_views().items():
        if name in present:
            continue
        conn.execute(sql.replace("CREATE VIEW", "CREATE TEMP VIEW", 1))
        try:  # a view over a table this archive has not got (the search index): leave it out
            conn.execute(f"SELECT * FROM temp.{name} LIMIT 0")
        except sqlite3.Error:
            conn.execute(f"DROP VIEW temp.{name}")
            continue
        added.append(name)
    return added
