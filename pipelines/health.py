"""``almodon health``: fill rates and layer shares per run and per day, and drop flags.

Every processed page leaves an ``extractions`` row (see ``pipelines/store.py``) saying which
layer filled each field (``jsonld`` / ``meta`` / ``profile`` / ``fallback`` / ``url``, or null
when the field is empty). A layout change on the live site shows up here as a field whose fill
rate falls, or whose usual layer stops producing it, in the latest run or day compared with the
ones before. The rule is in ``docs/health.md``. Pure: a sqlite3 connection in, no Scrapy.

Which pages count (each once per run, or per UTC fetch day, as last processed) and their fill
rates and layer shares are SQL (:func:`pages_sql`, :func:`fill_sql`, :func:`layers_sql`): the
health dashboard of ``almodon serve`` (``pipelines/dashboards.py``) draws the same statements.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from dataclasses import asdict, dataclass

#: The fields ``store.field_layers`` records, in report order.
FIELDS = ("headline", "authors", "published", "modified", "paragraphs", "images", "tags",
          "section_name", "summary", "captions", "credits")
#: Exit status when something is flagged (0 otherwise), for cron / monitoring.
FLAGGED_EXIT = 4
_EPS = 1e-9
LEGEND = ("Cell: fill rate, then the main layer and its share of the filled pages "
          "(j jsonld, m meta, p profile, f fallback, u url).")


@dataclass(frozen=True)
class Thresholds:
    """The drop rule's knobs (see docs/health.md)."""

    min_baseline: float = 0.5   # the baseline fill rate must be at least this …
    min_drop: float = 0.3       # … and the current one at most baseline - min_drop (absolute)
    min_pages: int = 3          # pages needed in the current scope (and in its baseline)
    layer_share: float = 0.5    # a layer "dominates" above this share of the filled pages
    examples: int = 3           # example URLs per flag


@dataclass(frozen=True)
class _Page:
    run_id: int | None
    url: str
    section: str
    day: str
    outcome: str
    fields: dict  # {field: layer or None}


def health(conn: sqlite3.Connection, *, runs: int = 10, days: int = 14,
           thresholds: Thresholds | None = None) -> dict:
    """The report: the last ``runs`` runs and ``days`` days that extracted pages (newest first),
    each with pages, outcomes and per field ``{fill, filled, layers: {layer: share of filled}}``;
    runs also with conflicts by field; and ``flags`` (see :func:`_compare`)."""
    th = thresholds or Thresholds()
    report = {"thresholds": asdict(th), "runs": [], "days": [], "flags": [], "degraded": _degraded(conn)}
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'extractions'").fetchone():
        return report
    run_pages = _by_run(conn, runs)
    day_pages = _by_day(conn, days)
    meta = _run_meta(conn, list(run_pages))
    conflicts = _conflicts_by_field(conn, list(run_pages))
    run_stats = _summaries(conn, "run", list(run_pages))
    day_stats = _summaries(conn, "day", list(day_pages))
    for run_id in run_pages:
        report["runs"].append({"run_id": run_id, **meta.get(run_id, {}), **run_stats[run_id],
                               "conflicts": conflicts[run_id]})
    for day in day_pages:
        report["days"].append({"day": day, **day_stats[day]})
    flags: list[dict] = []
    for window, groups in (("run", run_pages), ("day", day_pages)):
        if len(groups) < 2:
            continue
        (label, current), *rest = groups.items()
        label = f"run #{label}" if window == "run" else label
        baseline = [p for _, pages in rest for p in pages]
        flags += _compare(current, baseline, th, scope=window, window=window, label=label)
        for section in sorted({p.section for p in current}):
            flags += _compare([p for p in current if p.section == section],
                              [p for p in baseline if p.section == section], th,
                              scope="section", window=window, label=label, section=section)
    seen: set[tuple] = set()
    for flag in flags:  # a change seen in both the latest run and the latest day: keep the run's
        key = (flag["kind"], flag["field"], flag["section"])
        if key not in seen:
            seen.add(key)
            report["flags"].append(flag)
    return report


def exit_code(report: dict) -> int:
    """0 when nothing is flagged, 4 when a drop or a layer change is."""
    return FLAGGED_EXIT if report["flags"] else 0


# -- the statements (shared with the health dashboard) -----------------------------------------
#: The period of each window: a crawl run, or the UTC day of the fetch.
PERIODS = {"run": "e.run_id", "day": "substr(e.fetched_at, 1, 10)"}
#: Pages of the live site only: a backfill run's pages (job 'backfill') are old captures (old
#: layouts, capture days), not news of today's markup.
LIVE = "(run_id IS NULL OR run_id NOT IN (SELECT id FROM crawl_runs WHERE job = 'backfill'))"


def pages_sql(window: str, periods: str = "1") -> str:
    """SQL: the pages of each period of ``window`` (``run`` or ``day``), each once per period,
    as last processed in it (an alias URL processed twice in a run, or a page re-visited by two
    runs in a day, counts once), from the live site (:data:`LIVE`): ``id, run_id, url, section,
    day, period, outcome, fields``.
    ``periods`` picks the periods: a condition on ``{period}`` (``"{period} IN (1, 2)"``),
    applied before the pages are counted once, so SQLite reads only those periods' rows."""
    period = PERIODS[window]
    return (f"SELECT id, run_id, url, section, day, period, outcome, fields FROM (\n"
            f"  SELECT e.id, e.run_id, e.url, coalesce(e.section, '(none)') AS section,\n"
            f"         substr(e.fetched_at, 1, 10) AS day, {period} AS period, e.outcome, e.fields,\n"
            f"         row_number() OVER (PARTITION BY {period}, e.url ORDER BY e.id DESC) AS last\n"
            f"  FROM extractions e\n"
            f"  WHERE {period} IS NOT NULL AND {LIVE} AND {periods.format(period=period)})\n"
            f"WHERE last = 1")


def fields_sql(window: str, periods: str = "1", pages: str = "1") -> str:
    """SQL: per period and field, the pages whose field each layer filled (``layer`` NULL: the
    field was empty), and the ``first`` page's id. ``pages`` filters the counted pages
    (``p.section = :section``)."""
    return (f"SELECT p.period, f.key AS field, f.value AS layer, count(*) AS pages,\n"
            f"       min(p.id) AS first\n"
            f"FROM ({pages_sql(window, periods)}) p, json_each(p.fields) f\n"
            f"WHERE {pages}\nGROUP BY 1, 2, 3")


def fill_sql(window: str, periods: str = "1", pages: str = "1") -> str:
    """SQL: per period and field (of :data:`FIELDS`), ``pages``, ``filled`` (pages on which a
    layer filled the field) and ``fill`` (filled / pages, 3 decimals): the fill rate `almodon
    health` prints and the dashboard draws. One pass over the pages (``json_extract`` per field)."""
    counts = ", ".join(f"'{f}', count(json_extract(p.fields, '$.{f}'))" for f in FIELDS)
    return (f"SELECT w.period, f.key AS field, w.pages, f.value AS filled,\n"
            f"       round(1.0 * f.value / w.pages, 3) AS fill\n"
            f"FROM (SELECT p.period, count(*) AS pages, json_object({counts}) AS filled\n"
            f"      FROM ({pages_sql(window, periods)}) p\n"
            f"      WHERE {pages}\n      GROUP BY p.period) w, json_each(w.filled) f")


def layers_sql(window: str, periods: str = "1", pages: str = "1") -> str:
    """SQL: per period, field and layer, its ``pages`` and ``share`` of the pages that have the
    field (3 decimals), most used first (a tie: the layer of the earlier page first)."""
    return (f"SELECT period, field, layer, pages,\n"
            f"       round(1.0 * pages / sum(pages) OVER (PARTITION BY period, field), 3) AS share\n"
            f"FROM ({fields_sql(window, periods, pages)})\nWHERE layer IS NOT NULL\n"
            f"ORDER BY period, field, pages DESC, first")


# -- reading ----------------------------------------------------------------------------------
_COLUMNS = "run_id, url, section, day, outcome, fields"


def _page(row) -> _Page:
    return _Page(*row[:5], json.loads(row[5] or "{}"))


def _by_run(conn, limit: int) -> dict[int, list[_Page]]:
    """The last runs that extracted pages, newest first."""
    ids = [r[0] for r in conn.execute(
        f"SELECT DISTINCT run_id FROM extractions WHERE run_id IS NOT NULL AND {LIVE} "
        "ORDER BY run_id DESC LIMIT ?",
        (limit,))]
    return _pages(conn, "run", ids, key=lambda page: page.run_id)


def _by_day(conn, limit: int) -> dict[str, list[_Page]]:
    """The last days (UTC, of the fetch) with extracted pages, newest first."""
    days = [r[0] for r in conn.execute(
        f"SELECT DISTINCT substr(fetched_at, 1, 10) AS d FROM extractions WHERE {LIVE} "
        "ORDER BY d DESC LIMIT ?", (limit,))]
    return _pages(conn, "day", days, key=lambda page: page.day)


def _in(values: list) -> str:
    return "{period} IN (" + ",".join("?" * len(values)) + ")"


def _pages(conn, window: str, values: list, key) -> dict:
    """The pages of each period (run or day), each once, as last seen (:func:`pages_sql`)."""
    groups: dict = {v: [] for v in values}
    for row in conn.execute(f"SELECT {_COLUMNS} FROM ({pages_sql(window, _in(values))}) ORDER BY id",
                            values):
        page = _page(row)
        groups[key(page)].append(page)
    return groups


def _summaries(conn, window: str, values: list) -> dict:
    """Per period: pages, outcomes, and per field ``{fill, filled, layers: {layer: share}}``,
    from the SQL the dashboard draws (:func:`fill_sql`, :func:`layers_sql`)."""
    periods = _in(values)
    out = {v: {"pages": 0, "outcomes": {},
               "fields": {f: {"fill": None, "filled": 0, "layers": {}} for f in FIELDS}} for v in values}
    for period, outcome, n in conn.execute(
            f"SELECT period, outcome, count(*) FROM ({pages_sql(window, periods)}) "
            "GROUP BY 1, 2 ORDER BY 3 DESC, 2", values):
        out[period]["pages"] += n
        out[period]["outcomes"][outcome] = n
    for stats in out.values():
        for field in stats["fields"].values():
            field["fill"] = 0.0 if stats["pages"] else None
    for period, field, _n, filled, fill in conn.execute(fill_sql(window, periods), values):
        if field in FIELDS:
            out[period]["fields"][field].update(fill=fill, filled=filled)
    for period, field, layer, _n, share in conn.execute(layers_sql(window, periods), values):
        if field in FIELDS:
            out[period]["fields"][field]["layers"][layer] = share
    return out


def _degraded(conn) -> dict:
    """Versions kept flagged ``degraded`` (worse than the stored one, never shown): how many,
    in how many articles, per reason, and the newest few."""
    out = {"versions": 0, "articles": 0, "by_reason": {}, "examples": []}
    if "degraded" not in {r[1] for r in conn.execute("PRAGMA table_info(article_versions)")}:
        return out
    rows = conn.execute(
        "SELECT v.article_id, v.degraded, v.fetched_at, a.url FROM article_versions v "
        "JOIN articles a ON a.id = v.article_id WHERE v.degraded IS NOT NULL ORDER BY v.fetched_at DESC").fetchall()
    reasons = Counter(reason for r in rows for reason in r[1].split(","))
    out.update(versions=len(rows), articles=len({r[0] for r in rows}), by_reason=dict(reasons.most_common()),
               examples=[{"url": r[3], "fetched_at": r[2], "reasons": r[1]} for r in rows[:3]])
    return out


def _run_meta(conn, ids: list[int]) -> dict[int, dict]:
    marks = ",".join("?" * len(ids))
    rows = conn.execute(f"SELECT id, started_at, job, mode, status FROM crawl_runs WHERE id IN ({marks})", ids)
    return {r[0]: {"started_at": r[1], "job": r[2], "mode": r[3], "status": r[4]} for r in rows}


def _conflicts_by_field(conn, ids: list[int]) -> dict[int, dict]:
    """Per run: pages with a conflict, and pages per conflicting field (a page once, as last
    seen). The fields come from the article version in force when the page was processed."""
    marks = ",".join("?" * len(ids))
    rows = conn.execute(
        f"""SELECT e.run_id, e.url, CASE WHEN e.conflicts > 0 THEN
                   (SELECT v.conflicts FROM article_versions v
                     JOIN articles a ON a.id = v.article_id
                     WHERE a.url = e.url AND v.fetched_at <= e.fetched_at
                     ORDER BY v.version DESC LIMIT 1) END
            FROM extractions e WHERE e.run_id IN ({marks}) ORDER BY e.id""", ids)
    last: dict[int, dict[str, set]] = {}
    for run_id, url, conflicts in rows:
        fields = {c.get("field", "?") for c in json.loads(conflicts or "[]")}
        last.setdefault(run_id, {})[url] = fields
    out = {}
    for run_id, pages in last.items():
        by_field = Counter(f for fields in pages.values() for f in fields)
        out[run_id] = {"pages": sum(1 for fields in pages.values() if fields),
                       "by_field": dict(sorted(by_field.items()))}
    return out


# -- measuring --------------------------------------------------------------------------------
def _dominant(pages: list[_Page], field: str) -> tuple[str | None, float, int]:
    """The most frequent layer of ``field`` among the pages that have it, its share, and how
    many pages have the field."""
    layers = Counter(p.fields.get(field) for p in pages if p.fields.get(field))
    filled = sum(layers.values())
    if not filled:
        return None, 0.0, 0
    layer, count = layers.most_common(1)[0]
    return layer, count / filled, filled


def _compare(current: list[_Page], baseline: list[_Page], th: Thresholds, *, scope: str,
             window: str, label: str, section: str | None = None) -> list[dict]:
    """Flags for ``current`` against the pooled ``baseline``: a fill drop (``kind: fill``) or a
    change of the dominant layer (``kind: layer``), per field."""
    if len(current) < th.min_pages or len(baseline) < th.min_pages:
        return []
    flags = []
    base_flag = {"scope": scope, "window": window, "period": label, "section": section,
                 "pages": len(current), "baseline_pages": len(baseline)}
    for field in FIELDS:
        base = sum(1 for p in baseline if p.fields.get(field)) / len(baseline)
        missing = sorted(p.url for p in current if not p.fields.get(field))
        now = 1 - len(missing) / len(current)
        if base >= th.min_baseline - _EPS and now <= base - th.min_drop + _EPS:
            flags.append({"kind": "fill", "field": field, **base_flag, "baseline": round(base, 3),
                          "current": round(now, 3), "drop": round(base - now, 3),
                          "examples": missing[:th.examples]})
        old, old_share, _ = _dominant(baseline, field)
        new, new_share, filled = _dominant(current, field)
        if (old and new and new != old and filled >= th.min_pages
                and old_share > th.layer_share and new_share > th.layer_share):
            kept = sum(1 for p in current if p.fields.get(field) == old) / filled
            flags.append({"kind": "layer", "field": field, **base_flag, "layer_from": old,
                          "layer_to": new, "baseline": round(old_share, 3), "current": round(kept, 3),
                          "drop": round(old_share - kept, 3),
                          "examples": sorted(p.url for p in current if p.fields.get(field) == new)[:th.examples]})
    return flags


# -- text -------------------------------------------------------------------------------------
def _pct(x: float | None) -> str:
    return "-" if x is None else f"{round(x * 100)}%"


def _flag_line(f: dict) -> str:
    where = f"section {f['section']}, {f['period']}" if f["scope"] == "section" else f["period"]
    if f["kind"] == "fill":
        what = f"filled on {_pct(f['current'])} of {f['pages']} pages, was {_pct(f['baseline'])}"
    else:
        what = (f"now mostly from {f['layer_to']}: {f['layer_from']} on {_pct(f['current'])} of the "
                f"pages that have it, was {_pct(f['baseline'])}")
    return f"  {f['field']:<12} {where}: {what} (baseline {f['baseline_pages']} pages)"


def _table(title: str, periods: list[tuple[str, dict]]) -> list[str]:
    """Rows = fields, columns = periods (newest first); a cell is the fill rate, then the
    dominant layer's first letter and its share of the filled pages (p90 = profile on 90%)."""
    if not periods:
        return [f"{title}: none"]
    rows = []
    for field in FIELDS:
        cells = []
        for _, p in periods:
            stats = p["fields"][field]
            top = next(iter(stats["layers"].items()), None)
            cells.append(_pct(stats["fill"]) + (f" {top[0][0]}{round(top[1] * 100)}" if top else ""))
        rows.append((field, cells))
    width = 2 + max(len(c) for c in [name for name, _ in periods] + [c for _, cs in rows for c in cs])
    lines = [title, f"  {'':<12}" + "".join(f"{name:>{width}}" for name, _ in periods),
             f"  {'pages':<12}" + "".join(f"{p['pages']:>{width}}" for _, p in periods)]
    lines += [f"  {field:<12}" + "".join(f"{c:>{width}}" for c in cells) for field, cells in rows]
    return lines


def format_health(report: dict) -> str:
    """The report as text: flags first (with example URLs), then the per-run and per-day tables,
    the layer shares of the latest run, and conflicts per run."""
    flags = report["flags"]
    lines = [f"FLAGGED: {len(flags)} drop(s)" if flags else "OK: no drops"]
    for f in flags:
        lines.append(_flag_line(f))
        lines += [f"      {url}" for url in f["examples"]]
    bad = report.get("degraded") or {}
    if bad.get("versions"):
        reasons = ", ".join(f"{k} {v}" for k, v in bad["by_reason"].items())
        lines.append(f"Degraded versions kept, not shown: {bad['versions']} in {bad['articles']} "
                     f"article(s) ({reasons}); articles keep their good version")
        lines += [f"      {e['fetched_at']} {e['url']} ({e['reasons']})" for e in bad["examples"]]
    else:
        lines.append("Degraded versions: none")
    lines += ["", LEGEND, ""]
    runs = [(f"#{r['run_id']}", r) for r in report["runs"]]
    lines += _table("Per run (newest first)", runs)
    lines += [""] + _table("Per day (UTC, newest first)", [(d["day"], d) for d in report["days"]])
    if report["runs"]:
        latest = report["runs"][0]
        lines += ["", f"Layers in run #{latest['run_id']} (share of the pages that have the field):"]
        for field in FIELDS:
            layers = latest["fields"][field]["layers"]
            shares = ", ".join(f"{lay} {_pct(s)}" for lay, s in layers.items()) or "-"
            lines.append(f"  {field:<12} {shares}")
        lines += ["", "Conflicts between sources (pages, by field):"]
        for r in report["runs"]:
            c = r["conflicts"]
            detail = ", ".join(f"{k} {v}" for k, v in c["by_field"].items())
            started = (r.get("started_at") or "")[:16]
            lines.append(f"  #{r['run_id']:<5} {started:<17} {c['pages']:>4} of {r['pages']}"
                         + (f"  ({detail})" if detail else ""))
    return "\n".join(lines)
