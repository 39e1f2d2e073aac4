"""The dashboards of ``almodon serve``: charts drawn by the ``datasette-dashboards`` plugin.

Each chart is one SQL statement over the archive's views (``schema.sql``) and a Vega-Lite
``display``; the plugin runs the SQL through Datasette's read-only JSON API (``/almodon.json?
sql=…``, with the dashboard's filters as ``:since``, ``:until``, ``:section``) and draws the rows.
``pipelines.datasette_metadata`` puts :func:`config` into the metadata under
``plugins.datasette-dashboards``, beside the canned queries. Pure data: no Datasette import.

- **archive**: articles per week per section, photos per agency per month, top authors, headline
  changes per week. Dates are Beirut calendar days (``published_date``); the filters are
  publication days and the section.
- **health**: the numbers ``almodon health`` prints, drawn. Fill rates and layer shares are the
  statements of ``pipelines.health.fill_sql`` / ``layers_sql`` (``almodon health`` runs them
  too), per fetch day (UTC, as ``almodon health`` counts them) and per run; skipped (and, when
  the archive records them, degraded) pages by reason; per crawl run: requests, new, updated,
  skipped, failed, blocked.

Empty filters mean "any"; without ``since`` the health dashboard shows the last
:data:`HEALTH_DAYS` fetch days and :data:`HEALTH_RUNS` runs, so it stays fast on a big archive.
What each chart costs is in ``docs/dashboards.md``.
"""

from __future__ import annotations

from .health import fill_sql, layers_sql

#: Fields of the fill-rate charts (``paragraphs`` is drawn as ``body``), as health names them.
FILL_FIELDS = ("headline", "paragraphs", "published", "modified", "authors", "captions", "credits")
#: Without a ``since`` filter, the health dashboard shows this many fetch days and runs.
HEALTH_DAYS = 60
HEALTH_RUNS = 30
#: Most authors in the top authors chart.
TOP_AUTHORS = 20

#: Publication-day and section filter (``a`` = the articles table or a view with its columns).
#: The day bounds are expressions of the parameters only, so SQLite uses the date index.
_ARCHIVE_WHERE = ("{t}published_date BETWEEN coalesce(nullif(:since, ''), '0000') "
                  "AND coalesce(nullif(:until, ''), '9999') "
                  "AND (:section = '' OR {t}section = :section)")
#: Monday of the (Beirut) week of a published_date.
_WEEK = "date({t}published_date, '-6 days', 'weekday 1')"
_FIRST_DAY = ("coalesce(nullif(:since, ''), (SELECT date(max(substr(fetched_at, 1, 10)), "
              f"'-{HEALTH_DAYS - 1} days') FROM extractions))")
#: The runs the per-run charts show: started in the range, the last HEALTH_RUNS of them.
_RUNS = ("SELECT id FROM crawl_runs WHERE substr(started_at, 1, 10) "
         "BETWEEN coalesce(nullif(:since, ''), '0000') AND coalesce(nullif(:until, ''), '9999') "
         f"ORDER BY id DESC LIMIT {HEALTH_RUNS}")
#: The section filter's choices: the archive's sections (read from the index, at every page load).
_SECTIONS = "SELECT DISTINCT section FROM articles WHERE section IS NOT NULL ORDER BY section"
_HEALTH_SECTION = "(:section = '' OR p.section = :section)"
_FIELD_LABEL = "CASE field WHEN 'paragraphs' THEN 'body' ELSE field END"
_FIELD_LIST = ", ".join(f"'{f}'" for f in FILL_FIELDS)
_FIELD_ORDER = [("body" if f == "paragraphs" else f) for f in FILL_FIELDS]
#: The counts of ``crawl_runs`` the runs chart draws (and ``degraded`` when the archive has it).
RUN_COUNTS = ("requests", "new", "updated", "skipped", "failed", "blocked")
#: The reason under which the skipped chart shows a run's degraded versions.
DEGRADED = "degraded (kept, not served)"

_BEIRUT_DAY = "publication day (Beirut calendar)"
#: An axis of counts: labels on whole numbers only.
_COUNT_AXIS = {"tickMinStep": 1, "format": "d", "labelExpr": "datum.value % 1 ? '' : datum.label"}
_FETCH_DAY = "fetch day (UTC, as almodon health)"


def _utc_day(field: str, title: str, unit: str = "utcyearmonthdate") -> dict:
    """A date axis that shows the stored calendar day as is (no shift to the browser's zone)."""
    return {"field": field, "type": "temporal", "timeUnit": unit, "title": title,
            "axis": {"labelAngle": -30}}


def _tip(axis: dict) -> dict:
    """The tooltip entry of an axis (its field, type, time unit and title)."""
    return {k: v for k, v in axis.items() if k != "axis"}


def _run_axis(title: str = "crawl run") -> dict:
    return {"field": "run_id", "type": "ordinal", "title": title, "axis": {"labelAngle": 0}}


def _fill_display(x: dict, width: int) -> dict:
    """One small line chart per field, stacked (a falling line is not hidden behind another
    at 100%), sharing the x axis; the tooltip gives the counts."""
    return {
        "facet": {"row": {"field": "field", "type": "nominal", "title": None,
                          "sort": _FIELD_ORDER,
                          "header": {"labelAngle": 0, "labelAlign": "left", "labelFontSize": 12}}},
        "spacing": 6,
        "spec": {
            "width": width,
            "height": 34,
            "mark": {"type": "line", "point": True, "tooltip": True},
            "encoding": {
                "x": x,
                "y": {"field": "fill", "type": "quantitative", "title": None,
                      "scale": {"domain": [0, 1]},
                      "axis": {"format": "%", "values": [0, 0.5, 1], "grid": True}},
                "color": {"field": "field", "type": "nominal", "sort": _FIELD_ORDER,
                          "legend": None},
                "tooltip": [_tip(x), {"field": "field"}, {"field": "filled"},
                            {"field": "pages"}, {"field": "fill", "format": ".1%"}],
            },
        },
    }


def _archive(db: str) -> dict:
    where = _ARCHIVE_WHERE.format(t="")
    a_where = _ARCHIVE_WHERE.format(t="a.")
    week = _utc_day("week", f"week (from Monday) of the {_BEIRUT_DAY}")
    return {
        "title": "Archive",
        "description": (
            "What the archive holds, by publication day: Beirut calendar days (published_date). "
            "Filters: publication days from/to (inclusive) and section; empty means any. "
            "Articles whose day is unknown are left out of the charts."),
        "layout": [["articles_per_week", "articles_per_week"],
                   ["photos_per_agency", "photos_per_agency"],
                   ["top_authors", "headline_changes"]],
        "filters": {
            "since": {"name": "Published from (Beirut day)", "type": "date"},
            "until": {"name": "Published to (Beirut day)", "type": "date"},
            "section": {"name": "Section", "type": "select", "db": db,
                        "query": _SECTIONS},
        },
        "charts": {
            "articles_per_week": {
                "title": "Articles per week, per section",
                "db": db,
                "query": (f"SELECT {_WEEK.format(t='')} AS week, "
                          f"date({_WEEK.format(t='')}, '+7 days') AS next_week,\n"
                          "       coalesce(section, '(none)') AS section, sum(articles) AS articles\n"
                          "FROM articles_per_day\n"
                          f"WHERE {where}\nGROUP BY week, section\nORDER BY week, section"),
                "library": "vega-lite",
                "display": {
                    # rects from Monday to the next Monday, stacked by hand (a bar mark with an
                    # x range would turn horizontal)
                    "transform": [{"stack": "articles", "groupby": ["week"],
                                   "sort": [{"field": "section"}], "as": ["low", "high"]}],
                    "mark": {"type": "rect", "tooltip": True},
                    "height": 260,
                    "encoding": {
                        "x": week,
                        "x2": {"field": "next_week"},
                        "y": {"field": "low", "type": "quantitative", "title": "articles",
                              "axis": _COUNT_AXIS},
                        "y2": {"field": "high"},
                        "color": {"field": "section", "type": "nominal", "title": "section"},
                        "tooltip": [_tip(week), {"field": "section"}, {"field": "articles"}],
                    },
                },
            },
            "photos_per_agency": {
                "title": "Photos per agency, per month",
                "db": db,
                "query": ("SELECT substr(a.published_date, 1, 7) || '-01' AS month, "
                          "coalesce(i.agency, '(none)') AS agency, count(*) AS photos\n"
                          "FROM articles a JOIN images i ON i.article_id = a.id\n"
                          f"WHERE {a_where}\nGROUP BY month, agency\nORDER BY month, agency"),
                "library": "vega-lite",
                "display": {
                    "mark": {"type": "bar", "tooltip": True},
                    "height": 220,
                    "encoding": {
                        "x": _utc_day("month", f"month of the {_BEIRUT_DAY}", "utcyearmonth"),
                        "y": {"field": "photos", "type": "quantitative", "stack": "zero",
                              "title": "photos", "axis": _COUNT_AXIS},
                        "color": {"field": "agency", "type": "nominal",
                                  "title": "agency ((none): no credit, or not an agency)"},
                        "tooltip": [{"field": "month", "type": "temporal",
                                     "timeUnit": "utcyearmonth"},
                                    {"field": "agency"}, {"field": "photos"}],
                    },
                },
            },
            "top_authors": {
                "title": f"Top {TOP_AUTHORS} authors",
                "db": db,
                "query": ("SELECT au.name AS author, count(*) AS articles\n"
                          "FROM articles a JOIN article_authors aa ON aa.article_id = a.id\n"
                          "JOIN authors au ON au.id = aa.author_id\n"
                          f"WHERE {a_where}\nGROUP BY au.id\n"
                          f"ORDER BY articles DESC, author\nLIMIT {TOP_AUTHORS}"),
                "library": "vega-lite",
                "display": {
                    "mark": {"type": "bar", "tooltip": True},
                    "encoding": {
                        "y": {"field": "author", "type": "nominal", "sort": "-x", "title": None},
                        "x": {"field": "articles", "type": "quantitative", "title": "articles",
                              "axis": _COUNT_AXIS},
                        "tooltip": [{"field": "author"}, {"field": "articles"}],
                    },
                },
            },
            "headline_changes": {
                "title": "Headlines changed after publication, per week",
                "db": db,
                "query": (f"SELECT {_WEEK.format(t='')} AS week, count(*) AS articles, "
                          "sum(changes) AS changes\nFROM headline_changes\n"
                          f"WHERE {where}\nGROUP BY week\nORDER BY week"),
                "library": "vega-lite",
                "display": {
                    "mark": {"type": "bar", "tooltip": True},
                    "encoding": {
                        "x": week,
                        "y": {"field": "articles", "type": "quantitative",
                              "title": "articles retitled", "axis": _COUNT_AXIS},
                        "tooltip": [_tip(week), {"field": "articles"},
                                    {"field": "changes", "title": "headline changes"}],
                    },
                },
            },
        },
    }


def _skipped_query(degraded: bool) -> str:
    sql = ("SELECT s.run_id, r.started_at, s.reason, s.pages\n"
           "FROM skips_by_reason s JOIN crawl_runs r ON r.id = s.run_id\n"
           f"WHERE s.run_id IN ({_RUNS})")
    if degraded:  # crawl_runs.degraded: versions kept but not served (the store's rule)
        sql += (f"\nUNION ALL\nSELECT id, started_at, '{DEGRADED}', degraded\n"
                f"FROM crawl_runs WHERE degraded > 0 AND id IN ({_RUNS})")
    return sql + "\nORDER BY 1, 3"


def _health(db: str, *, degraded: bool) -> dict:
    days = "{period} BETWEEN " + _FIRST_DAY + " AND coalesce(nullif(:until, ''), '9999')"
    runs = "{period} IN (" + _RUNS + ")"
    latest = "{period} = (SELECT max(run_id) FROM extractions WHERE run_id IN (" + _RUNS + "))"
    day = _utc_day("day", _FETCH_DAY)
    what = "Skipped or degraded pages" if degraded else "Skipped pages"
    counts = RUN_COUNTS + (("degraded",) if degraded else ())
    return {
        "title": "Extraction health",
        "description": (
            "What `almodon health` prints, drawn: per field, the share of pages it was filled on "
            "(a line that falls is the site's layout changing), the layers that filled them, "
            "the pages a crawl fetched but did not store, and each run's counts. Days are the "
            f"UTC day of the fetch, as `almodon health` counts them. Without a 'from' day: the "
            f"last {HEALTH_DAYS} fetch days and the last {HEALTH_RUNS} runs. The section filter "
            "applies to the fill rates and layers (runs are not per section)."),
        "layout": [["fill_per_day", "fill_per_day"], ["fill_per_run", "layers"],
                   ["skipped", "runs"]],
        "filters": {
            "since": {"name": "Fetched from (UTC day)", "type": "date"},
            "until": {"name": "Fetched to (UTC day)", "type": "date"},
            "section": {"name": "Section", "type": "select", "db": db,
                        "query": _SECTIONS},
        },
        "charts": {
            "fill_per_day": {
                "title": "Fill rate per fetch day (a drop = the site changed)",
                "db": db,
                "query": (f"SELECT period AS day, {_FIELD_LABEL} AS field, pages, filled, fill\n"
                          f"FROM ({fill_sql('day', days, _HEALTH_SECTION)})\n"
                          f"WHERE field IN ({_FIELD_LIST})\nORDER BY day, field"),
                "library": "vega-lite",
                "display": _fill_display(day, 860),
            },
            "fill_per_run": {
                "title": "Fill rate per crawl run",
                "db": db,
                "query": (f"SELECT period AS run_id, {_FIELD_LABEL} AS field, pages, filled, fill\n"
                          f"FROM ({fill_sql('run', runs, _HEALTH_SECTION)})\n"
                          f"WHERE field IN ({_FIELD_LIST})\nORDER BY run_id, field"),
                "library": "vega-lite",
                "display": _fill_display(_run_axis(), 330),
            },
            "layers": {
                "title": "Extraction layers in the latest run (share of the pages with the field)",
                "db": db,
                "query": (f"SELECT period AS run_id, {_FIELD_LABEL} AS field, layer, pages, share\n"
                          f"FROM ({layers_sql('run', latest, _HEALTH_SECTION)})"),
                "library": "vega-lite",
                "display": {
                    "mark": {"type": "bar", "tooltip": True},
                    "encoding": {
                        "y": {"field": "field", "type": "nominal", "title": None},
                        "x": {"field": "share", "type": "quantitative", "stack": "zero",
                              "title": "share of the pages that have the field",
                              "axis": {"format": "%"}},
                        "color": {"field": "layer", "type": "nominal", "title": "layer",
                                  "sort": ["jsonld", "meta", "profile", "fallback", "url"]},
                        "tooltip": [{"field": "run_id", "title": "run"}, {"field": "field"},
                                    {"field": "layer"}, {"field": "pages"},
                                    {"field": "share", "format": ".0%"}],
                    },
                },
            },
            "skipped": {
                "title": f"{what} by reason, per run",
                "db": db,
                "query": _skipped_query(degraded),
                "library": "vega-lite",
                "display": {
                    "mark": {"type": "bar", "tooltip": True},
                    "encoding": {
                        "x": _run_axis(),
                        "y": {"field": "pages", "type": "quantitative", "stack": "zero",
                              "title": "pages", "axis": _COUNT_AXIS},
                        "color": {"field": "reason", "type": "nominal", "title": "reason"},
                        "tooltip": [{"field": "run_id", "title": "run"}, {"field": "started_at"},
                                    {"field": "reason"}, {"field": "pages"}],
                    },
                },
            },
            "runs": {
                "title": "Per crawl run: " + ", ".join(counts),
                "db": db,
                "query": ("SELECT id AS run_id, started_at, job, mode, status, "
                          + ", ".join(counts)
                          + f"\nFROM crawl_runs\nWHERE id IN ({_RUNS})\nORDER BY id"),
                "library": "vega-lite",
                "display": {
                    "transform": [{"fold": list(counts), "as": ["count", "n"]}],
                    "mark": {"type": "line", "point": True, "tooltip": True},
                    "encoding": {
                        "x": _run_axis(),
                        "y": {"field": "n", "type": "quantitative", "title": "pages (symlog scale)",
                              "scale": {"type": "symlog"}},
                        "color": {"field": "count", "type": "nominal", "title": "count",
                                  "sort": list(counts)},
                        "tooltip": [{"field": "run_id", "title": "run"}, {"field": "started_at"},
                                    {"field": "job"}, {"field": "mode"}, {"field": "status"},
                                    {"field": "count"}, {"field": "n"}],
                    },
                },
            },
        },
    }


def config(db: str, *, degraded: bool = False) -> dict:
    """The ``datasette-dashboards`` plugin configuration, ``{slug: dashboard}``, for the
    database named ``db`` in Datasette. ``degraded``: its ``crawl_runs`` has a ``degraded``
    count to chart."""
    return {"archive": _archive(db), "health": _health(db, degraded=degraded)}
