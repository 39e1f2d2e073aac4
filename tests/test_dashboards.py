"""The dashboards of ``almodon serve`` (datasette-dashboards), through Datasette's test client.

Every chart's SQL is run the way the plugin's JavaScript runs it (``/almodon.json?sql=…`` plus
the dashboard's filters as parameters, on the read-only database) and its rows are checked:
- the archive dashboard on the analysts' archive (test_views.py: a crawl of the replica, one
  headline changed), against numbers computed from the goldens;
- the health dashboard on the database of test_health.py where one section lost its captions:
  the fill-rate lines show the drop, with the same numbers `almodon health` reports;
- every chart on an empty archive: no rows, no error.
No browser here: the screenshots in docs/ are made by hand with headless Chromium.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from test_health import SECTION, _crawl_twice
from test_views import RETITLED, SERVED, analyst_archive, expected_authors

from pipelines import dashboards
from pipelines.extract import media
from pipelines.health import health
from pipelines.serve import make_datasette, serve_cmd
from pipelines.store import Store

CHARTS = {
    "archive": ("articles_per_week", "photos_per_agency", "top_authors", "headline_changes"),
    "health": ("fill_per_day", "fill_per_run", "layers", "skipped", "runs"),
}
FILL_FIELDS = ("headline", "body", "published", "modified", "authors", "captions", "credits")


@pytest.fixture(scope="module")
def archive_db(tmp_path_factory):
    return analyst_archive(tmp_path_factory)


@pytest.fixture(scope="module")
def archive_ds(archive_db):
    return make_datasette(archive_db)


@pytest.fixture(scope="module")
def captions_lost(tmp_path_factory):
    """Two crawls of the replica; before the second, the arabworld pages lose their captions."""
    return _crawl_twice(tmp_path_factory, "dash-captions-lost", strip_section=SECTION)


@pytest.fixture(scope="module")
def empty_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("empty") / "empty.db"
    Store(path).close()
    return path


def get(ds, path: str):
    return asyncio.run(ds.client.get(path))


def chart_rows(ds, dashboard: str, chart: str, **filters) -> list[dict]:
    """The rows the plugin draws: the chart's SQL on /almodon.json with the filters given."""
    config = ds.plugin_config("datasette-dashboards")
    query = config[dashboard]["charts"][chart]["query"]
    response = get(ds, "/almodon.json?" + urlencode({"sql": query, **filters, "_shape": "objects"}))
    assert response.status_code == 200, response.text[:1000]
    body = response.json()
    assert body["ok"] and not body["truncated"]
    return body["rows"]


def monday(day: str) -> str:
    d = date.fromisoformat(day)
    return (d - timedelta(days=d.weekday())).isoformat()


# -- the pages --------------------------------------------------------------------------------
def test_the_dashboards_are_listed_and_linked_from_the_menu(archive_ds):
    response = get(archive_ds, "/-/dashboards")
    assert response.status_code == 200
    for slug in CHARTS:
        assert f'href="/-/dashboards/{slug}"' in response.text
    assert 'href="/-/dashboards"' in get(archive_ds, "/").text  # the menu link


@pytest.mark.parametrize("slug", CHARTS)
def test_each_dashboard_page_renders_its_charts_and_filters(archive_ds, slug):
    html = get(archive_ds, f"/-/dashboards/{slug}").text
    for chart in CHARTS[slug]:
        assert f"renderChart('{chart}'" in html
        assert get(archive_ds, f"/-/dashboards/{slug}/{chart}").status_code == 200
    for name in ("since", "until", "section"):
        assert f'name="{name}"' in html
    assert "vega-lite.min.js" in html  # the plugin's own copy: no network needed


def test_the_section_filter_offers_the_archive_sections(archive_ds):
    html = get(archive_ds, "/-/dashboards/archive").text
    for section in {g.fields["section"] for g in SERVED}:
        assert f'<option value="{section}"' in html


def test_the_configuration_is_in_the_metadata_beside_the_canned_queries(archive_db):
    from click.testing import CliRunner

    result = CliRunner().invoke(serve_cmd, ["--db", str(archive_db), "--metadata"])
    assert result.exit_code == 0, result.output
    meta = json.loads(result.output)
    assert set(meta["plugins"]["datasette-dashboards"]) == set(CHARTS)
    assert meta["databases"]["almodon"]["queries"]


def _fields(spec) -> set[str]:
    """Every ``field`` a Vega-Lite encoding (or facet) names, at any depth."""
    if isinstance(spec, list):
        return set().union(*map(_fields, spec)) if spec else set()
    if not isinstance(spec, dict):
        return set()
    found = {spec["field"]} if isinstance(spec.get("field"), str) else set()
    return found.union(*(_fields(v) for k, v in spec.items() if k != "transform"))


def test_every_axis_and_tooltip_names_a_column_of_its_rows(archive_ds):
    config = archive_ds.plugin_config("datasette-dashboards")
    for slug, dashboard in config.items():
        for name, chart in dashboard["charts"].items():
            display = chart["display"]
            rows = chart_rows(archive_ds, slug, name)
            assert rows, (slug, name)
            columns = set(rows[0])
            for step in display.get("transform", []):  # fold, stack: their inputs and outputs
                assert set(step.get("fold", [step.get("stack")])) <= columns, step
                columns |= set(step["as"])
            used = _fields({k: v for k, v in display.items() if k != "transform"})
            assert used and used <= columns, (slug, name, used - columns)


# -- archive ----------------------------------------------------------------------------------
def test_articles_per_week_per_section(archive_ds):
    got = chart_rows(archive_ds, "archive", "articles_per_week")
    want = Counter((monday(g.fields["published_date"]), g.fields["section"]) for g in SERVED)
    assert {(r["week"], r["section"]): r["articles"] for r in got} == dict(want)
    assert all(date.fromisoformat(r["next_week"]) - date.fromisoformat(r["week"]) == timedelta(7)
               for r in got)
    assert all(date.fromisoformat(r["week"]).weekday() == 0 for r in got)  # Mondays
    assert [r["week"] for r in got] == sorted(r["week"] for r in got)


def test_the_archive_filters_apply_to_every_chart(archive_ds):
    got = chart_rows(archive_ds, "archive", "articles_per_week",
                     since="2016-01-01", until="2025-06-30", section="politics")
    want = Counter(monday(g.fields["published_date"]) for g in SERVED
                   if g.fields["section"] == "politics"
                   and "2016-01-01" <= g.fields["published_date"] <= "2025-06-30")
    assert {r["week"]: r["articles"] for r in got} == dict(want) and want
    assert {r["section"] for r in got} == {"politics"}
    authors = chart_rows(archive_ds, "archive", "top_authors", section="culture")
    assert {r["author"] for r in authors} == {
        a for g in SERVED if g.fields["section"] == "culture" for a in g.fields["authors"]}
    photos = chart_rows(archive_ds, "archive", "photos_per_agency", until="2016-12-31")
    assert sum(r["photos"] for r in photos) == sum(
        len(g.fields.get("images", [])) for g in SERVED if g.fields["published_date"] <= "2016-12-31")


def test_photos_per_agency_per_month(archive_ds):
    got = chart_rows(archive_ds, "archive", "photos_per_agency")
    want = Counter((g.fields["published_date"][:7] + "-01", media.agency(im.get("credit")) or "(none)")
                   for g in SERVED for im in g.fields.get("images", []))
    assert {(r["month"], r["agency"]): r["photos"] for r in got} == dict(want)


def test_top_authors(archive_ds):
    got = chart_rows(archive_ds, "archive", "top_authors")
    want = sorted(expected_authors().items(), key=lambda kv: (-kv[1], kv[0]))[:dashboards.TOP_AUTHORS]
    assert [(r["author"], r["articles"]) for r in got] == want


def test_headline_changes_per_week(archive_ds):
    (row,) = chart_rows(archive_ds, "archive", "headline_changes")
    assert row == {"week": monday(RETITLED.fields["published_date"]), "articles": 1, "changes": 1}
    assert chart_rows(archive_ds, "archive", "headline_changes", section="culture") == []


# -- health: the drop -------------------------------------------------------------------------
def _fills(rows: list[dict], key: str) -> dict:
    return {(r[key], r["field"]): r["fill"] for r in rows}


def test_the_fill_rate_per_run_shows_the_section_losing_its_captions(captions_lost):
    db, changed = captions_lost
    ds = make_datasette(db)
    rows = chart_rows(ds, "health", "fill_per_run", section=SECTION)
    fills = _fills(rows, "run_id")
    assert {field for _, field in fills} == set(FILL_FIELDS)
    assert (fills[1, "captions"], fills[2, "captions"]) == (1.0, 0.0)
    assert (fills[1, "credits"], fills[2, "credits"]) == (1.0, 0.0)
    for field in set(FILL_FIELDS) - {"captions", "credits"}:  # the rest did not move
        assert fills[1, field] == fills[2, field], field
    assert {r["pages"] for r in rows} == {len(changed)}
    # over the whole site the captions line falls by the section's pages
    everywhere = {(r["run_id"], r["field"]): r for r in chart_rows(ds, "health", "fill_per_run")}
    assert everywhere[1, "captions"]["filled"] - everywhere[2, "captions"]["filled"] == len(changed)


def test_the_fill_rate_per_day_shows_the_drop_on_the_day_of_the_crawl_that_met_it(
        captions_lost, tmp_path):
    """The same archive with its two crawls on two days (both ran today, within minutes)."""
    db = _copy(captions_lost[0], tmp_path / "two-days.db")
    before, after = "2026-05-03", "2026-05-04"
    conn = sqlite3.connect(db)
    with conn:
        for run, day in ((1, before), (2, after)):
            conn.execute("UPDATE extractions SET fetched_at = ? || substr(fetched_at, 11) "
                         "WHERE run_id = ?", (day, run))
    conn.close()
    ds = make_datasette(db)
    fills = _fills(chart_rows(ds, "health", "fill_per_day", section=SECTION), "day")
    assert (fills[before, "captions"], fills[after, "captions"]) == (1.0, 0.0)
    assert fills[before, "headline"] == fills[after, "headline"] == 1.0
    assert _fills(chart_rows(ds, "health", "fill_per_day", section=SECTION, since=after),
                  "day") == {k: v for k, v in fills.items() if k[0] == after}


def test_the_health_charts_draw_the_numbers_almodon_health_prints(captions_lost):
    db, _ = captions_lost
    ds = make_datasette(db)
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        report = health(conn)
    finally:
        conn.close()
    label = {"body": "paragraphs"}
    per_run = chart_rows(ds, "health", "fill_per_run")
    assert {r["run_id"] for r in per_run} == {r["run_id"] for r in report["runs"]}
    runs = {r["run_id"]: r for r in report["runs"]}
    for row in per_run:
        stats = runs[row["run_id"]]["fields"][label.get(row["field"], row["field"])]
        assert (row["fill"], row["filled"], row["pages"]) == (
            stats["fill"], stats["filled"], runs[row["run_id"]]["pages"])
    days = {d["day"]: d for d in report["days"]}
    per_day = chart_rows(ds, "health", "fill_per_day")
    assert {r["day"] for r in per_day} == set(days)
    for row in per_day:
        assert row["fill"] == days[row["day"]]["fields"][label.get(row["field"], row["field"])]["fill"]
    latest = report["runs"][0]
    layers = chart_rows(ds, "health", "layers")
    assert {r["run_id"] for r in layers} == {latest["run_id"]}
    for row in layers:
        field = label.get(row["field"], row["field"])
        assert latest["fields"][field]["layers"][row["layer"]] == row["share"]
    assert len(layers) == sum(len(f["layers"]) for f in latest["fields"].values())


def _runs(db: Path) -> list[dict]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM crawl_runs ORDER BY id")]
    finally:
        conn.close()


def test_skipped_pages_and_run_counts_per_run(captions_lost):
    db, changed = captions_lost
    ds = make_datasette(db)
    runs = _runs(db)
    skipped = chart_rows(ds, "health", "skipped")
    for run in runs:
        want = json.loads(run["skipped_reasons"])
        if run.get("degraded"):  # an archive that keeps worse versions flagged counts them
            want[dashboards.DEGRADED] = run["degraded"]
        assert {r["reason"]: r["pages"] for r in skipped if r["run_id"] == run["id"]} == want
    assert sum(run["skipped"] for run in runs) > 0
    counts = chart_rows(ds, "health", "runs")
    assert [r["run_id"] for r in counts] == [run["id"] for run in runs] == [1, 2]
    names = dashboards.RUN_COUNTS + (("degraded",) if "degraded" in runs[0] else ())
    for row, run in zip(counts, runs, strict=True):
        assert {k: row[k] for k in names} == {k: run[k] for k in names}
    assert (counts[0]["new"], counts[1]["new"]) == (len(SERVED), 0)
    # the pages that lost their captions: new versions, or kept flagged degraded
    assert counts[1]["updated"] + counts[1].get("degraded", 0) == len(changed)


def test_the_health_date_filter(captions_lost):
    db, _ = captions_lost
    ds = make_datasette(db)
    day = chart_rows(ds, "health", "fill_per_day")[0]["day"]
    assert chart_rows(ds, "health", "fill_per_day", since="2000-01-01", until="2000-12-31") == []
    assert chart_rows(ds, "health", "runs", until="2000-12-31") == []
    assert {r["day"] for r in chart_rows(ds, "health", "fill_per_day", since=day, until=day)} == {day}


# -- degraded versions, older archives, an empty one --------------------------------------------
def _copy(src: Path, dst: Path) -> Path:
    a = sqlite3.connect(src)
    a.backup(b := sqlite3.connect(dst))
    a.close()
    b.close()
    return dst


def test_degraded_versions_are_charted_only_when_the_archive_counts_them(captions_lost, tmp_path):
    counted = _copy(captions_lost[0], tmp_path / "counted.db")
    conn = sqlite3.connect(counted)
    with conn:
        if "degraded" not in {r[1] for r in conn.execute("PRAGMA table_info(crawl_runs)")}:
            conn.execute("ALTER TABLE crawl_runs ADD COLUMN degraded INTEGER NOT NULL DEFAULT 0")
        conn.execute("UPDATE crawl_runs SET degraded = CASE id WHEN 2 THEN 3 ELSE 0 END")
    conn.close()
    ds = make_datasette(counted)
    rows = chart_rows(ds, "health", "skipped")
    assert [(r["run_id"], r["pages"]) for r in rows if r["reason"] == dashboards.DEGRADED] == [(2, 3)]
    assert [r["degraded"] for r in chart_rows(ds, "health", "runs")] == [0, 3]
    # an archive without the count (written before it existed): no degraded bar, no error
    uncounted = _copy(counted, tmp_path / "uncounted.db")
    conn = sqlite3.connect(uncounted)
    conn.execute("ALTER TABLE crawl_runs DROP COLUMN degraded")
    conn.close()
    ds = make_datasette(uncounted)
    assert not [r for r in chart_rows(ds, "health", "skipped") if r["reason"] == dashboards.DEGRADED]
    assert "degraded" not in chart_rows(ds, "health", "runs")[0]


def test_an_archive_written_before_the_views_is_charted_without_being_changed(archive_db, tmp_path):
    old = _copy(archive_db, tmp_path / "old.db")
    conn = sqlite3.connect(old)
    conn.executescript("DROP VIEW articles_per_day; DROP VIEW headline_changes;")
    conn.close()
    old.chmod(0o444)
    before = old.read_bytes()
    ds = make_datasette(old)
    assert chart_rows(ds, "archive", "articles_per_week")
    assert chart_rows(ds, "archive", "headline_changes")
    assert chart_rows(ds, "health", "fill_per_run")
    assert old.read_bytes() == before
    conn = sqlite3.connect(f"file:{old}?mode=ro", uri=True)
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'view'")}
    conn.close()
    assert not {"articles_per_day", "headline_changes"} & names


@pytest.mark.parametrize("slug", CHARTS)
def test_an_empty_archive_gives_empty_charts(empty_db, slug):
    ds = make_datasette(empty_db)
    assert get(ds, f"/-/dashboards/{slug}").status_code == 200
    for chart in CHARTS[slug]:
        assert chart_rows(ds, slug, chart) == []
        assert chart_rows(ds, slug, chart, since="2020-01-01", section="politics") == []
