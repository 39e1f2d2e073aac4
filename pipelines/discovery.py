"""What the site itself names: article URLs the spider found in sitemaps, listings, feeds and the
home page (table ``discovered_urls``), so ``almodon coverage`` can tell what is missing."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from zoneinfo import ZoneInfo

from .store import utcnow

BEIRUT = ZoneInfo("Asia/Beirut")


def beirut_day(lastmod: str | None) -> str | None:
    """A sitemap ``<lastmod>`` (W3C datetime or date) as a Beirut calendar date."""
    if not lastmod:
        return None
    text = lastmod.strip().replace("Z", "+00:00")
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    if when.tzinfo is None:
        return when.date().isoformat()
    return when.astimezone(BEIRUT).date().isoformat()


def record(conn: sqlite3.Connection, rows: dict[str, dict]) -> None:
    """Upsert ``{url: {section, day, via, redirects_to}}``: first/last seen, the first day and
    via kept, a redirect target once known. Runs in the caller's transaction (the writer's
    ``Store.transaction``): it does not commit."""
    now = utcnow()
    conn.executemany(
        "INSERT INTO discovered_urls (url, section, day, via, redirects_to, first_seen_at, last_seen_at) "
        "VALUES (:url, :section, :day, :via, :redirects_to, :now, :now) "
        "ON CONFLICT (url) DO UPDATE SET last_seen_at = :now, day = coalesce(day, :day), "
        "redirects_to = coalesce(:redirects_to, redirects_to)",
        [{"url": url, "now": now, "section": r.get("section"), "day": r.get("day"), "via": r.get("via"),
          "redirects_to": r.get("redirects_to")} for url, r in rows.items()],
    )
