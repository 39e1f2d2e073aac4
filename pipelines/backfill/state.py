"""The backfill's own rows: listing cursors (so a killed run resumes) and fetched captures
(so none is fetched twice). Tables in schema.sql: ``backfill_cursors``, ``archive_captures``."""

from __future__ import annotations

import sqlite3

from ..store import utcnow
from .captures import Capture


def load_cursor(conn: sqlite3.Connection, source: str, query: str) -> str | None:
    row = conn.execute("SELECT cursor FROM backfill_cursors WHERE source = ? AND query = ?",
                       (source, query)).fetchone()
    return row[0] if row else None


def save_cursor(conn: sqlite3.Connection, source: str, query: str, cursor: str | None) -> None:
    """Checkpoint where the listing goes on (``None``: the listing is complete)."""
    with conn:
        if cursor is None:
            conn.execute("DELETE FROM backfill_cursors WHERE source = ? AND query = ?", (source, query))
        else:
            conn.execute(
                "INSERT INTO backfill_cursors (source, query, cursor, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (source, query) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at",
                (source, query, cursor, utcnow()),
            )


def record_capture(conn: sqlite3.Connection, capture: Capture, url: str, fetch_url: str,
                   run_id: int | None) -> None:
    with conn:
        conn.execute(
            "INSERT OR IGNORE INTO archive_captures (source, url, original, captured_at, digest, fetch_url, run_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (capture.source, url, capture.original, capture.captured_at, capture.digest, fetch_url, run_id),
        )
