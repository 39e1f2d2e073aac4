"""Human summaries of an archive database (``almodon summary``, ``make demo``)."""

from __future__ import annotations

import json
import sqlite3


def summary(conn: sqlite3.Connection, *, newest: int = 5) -> str:
    """Articles per section, the newest headlines with Beirut and UTC times, images and
    captions, and the last run's skips with their reasons."""
    q = conn.execute
    lines: list[str] = []
    total = q("SELECT count(*) FROM articles").fetchone()[0]
    lines.append(f"{total} articles")
    for section, n in q("SELECT coalesce(section, '?'), count(*) FROM articles GROUP BY 1 ORDER BY 2 DESC, 1"):
        lines.append(f"  {section:<12} {n}")
    lines.append("")
    lines.append(f"Newest {newest}:")
    rows = q(
        "SELECT published_date, published_local, published_at, modified_local, modified_at, section, headline "
        "FROM articles ORDER BY coalesce(published_at, published_date) DESC, id DESC LIMIT ?",
        (newest,),
    ).fetchall()
    for day, local, utc, mod_local, mod_utc, section, headline in rows:
        when = f"{local} Beirut = {utc}" if utc else f"{day} (day only)"
        if mod_utc:
            when += f"; updated {mod_local} Beirut = {mod_utc}"
        lines.append(f"  [{section}] {headline}\n      {when}")
    images, captioned, credited = q(
        "SELECT count(*), count(caption), count(credit) FROM images"
    ).fetchone()
    lines.append("")
    lines.append(f"{images} images, {captioned} with a caption, {credited} with a credit")
    agencies = q("SELECT agency, photos FROM photos_per_agency ORDER BY photos DESC").fetchall()
    if agencies:
        lines.append("  by agency: " + ", ".join(f"{a} {n}" for a, n in agencies))
    run = q("SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1").fetchone()
    if run is not None:
        cols = [d[0] for d in q("SELECT * FROM crawl_runs LIMIT 0").description]
        run = dict(zip(cols, run))
        lines.append("")
        lines.append(
            f"Last run #{run['id']} ({run['job']}, {run['mode']}): {run['status']}, "
            f"{run['requests']} requests, {run['new']} new, {run['updated']} updated, "
            f"{run['unchanged']} unchanged, {run['skipped']} skipped, {run['failed']} failed"
            + (f", {run['earlier']} earlier versions" if run.get("earlier") else "")
            + (f", {run['reextracted']} re-extracted" if run.get("reextracted") else "")
            + (f", {run['degraded']} degraded (kept, not shown)" if run.get("degraded") else "")
        )
        for label, key in (("skipped", "skipped_reasons"), ("failed", "failed_reasons")):
            reasons = json.loads(run[key] or "{}")
            if reasons:
                lines.append(f"  {label}: " + ", ".join(f"{r} {n}" for r, n in sorted(reasons.items())))
    return "\n".join(lines)
