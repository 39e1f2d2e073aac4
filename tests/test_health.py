"""`almodon health`: fill rates and layer shares per run and per day, and the drop flags.

End to end on databases built by crawling the replica (one section losing its captions, or a
clean re-visit), and the rule itself on small hand-made databases."""

from __future__ import annotations

import copy
import json
import re
import sqlite3
from urllib.parse import unquote, urlsplit

import pytest
from golden import goldens

from pipelines.extract import extract
from pipelines.health import FIELDS, Thresholds, exit_code, format_health, health
from pipelines.store import Store

SERVED = [g for g in goldens("almodon") if g.is_article and g.fixture.get("in_replica", True)]
SECTION = "arabworld"  # every page of it has captioned images; its 5 pages are < 30% of the site
#: The caption elements of every layout: <figcaption>, <p class="image-caption">, <div class="img_caption">.
CAPTION = re.compile(rb'<figcaption\b[^>]*>.*?</figcaption>'
                     rb'|<(p|div)\b[^>]*class="[^"]*caption[^"]*"[^>]*>.*?</\1>', re.DOTALL)


def _report(db, **kw) -> dict:
    conn = sqlite3.connect(db)
    try:
        return health(conn, **kw)
    finally:
        conn.close()


# -- end to end: the replica ------------------------------------------------------------------
def _crawl_twice(tmp_path_factory, name: str, *, strip_section: str | None) -> tuple:
    from conftest import run_crawl
    from replica.server import Replica

    db = tmp_path_factory.mktemp(name) / "archive.db"
    changed = []
    with Replica(port=0) as rep:
        first = run_crawl(rep.base_url, db)
        for g in SERVED:
            if strip_section and g.expected["section"] == strip_section:
                body = g.html.read_bytes()
                assert CAPTION.search(body), g.id
                rep.set_page(unquote(urlsplit(g.url).path), CAPTION.sub(b"", body))
                changed.append(g.expected["url"])
        second = run_crawl(rep.base_url, db)
    assert first.returncode == 0, first.stderr[-3000:]
    assert second.returncode == 0, second.stderr[-3000:]
    return db, changed


@pytest.fixture(scope="module")
def captions_lost(tmp_path_factory):
    return _crawl_twice(tmp_path_factory, "captions-lost", strip_section=SECTION)


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    return _crawl_twice(tmp_path_factory, "clean", strip_section=None)[0]


def test_the_stripped_pages_were_re_visited_as_degraded(captions_lost):
    """Pages that lost their captions are worse than stored: kept as degraded versions (not
    shown), and still extracted and logged, so health sees the drop."""
    db, changed = captions_lost
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute("SELECT url, outcome FROM extractions WHERE run_id = 2").fetchall()
        counted = conn.execute("SELECT degraded, updated FROM crawl_runs WHERE id = 2").fetchone()
        reasons = {r[0] for r in conn.execute("SELECT degraded FROM article_versions WHERE degraded IS NOT NULL")}
    finally:
        conn.close()
    assert {url for url, _ in rows} == {g.expected["url"] for g in SERVED}
    assert {url for url, outcome in rows if outcome == "degraded"} == set(changed)
    assert tuple(counted) == (len(changed), 0) and reasons == {"captions_lost"}


def test_a_section_losing_its_captions_is_flagged_with_its_pages(captions_lost):
    db, changed = captions_lost
    report = _report(db)
    flagged = {(f["kind"], f["field"], f["scope"], f["section"]) for f in report["flags"]}
    # Credits are printed inside the caption element on this site, so they go with it.
    assert flagged == {("fill", "captions", "section", SECTION), ("fill", "credits", "section", SECTION)}
    (flag,) = [f for f in report["flags"] if f["field"] == "captions"]
    assert flag["period"] == "run #2" and flag["window"] == "run"
    assert (flag["baseline"], flag["current"], flag["drop"], flag["pages"]) == (1.0, 0.0, 1.0, 5)
    assert len(flag["examples"]) == 3 and set(flag["examples"]) <= set(changed)
    assert exit_code(report) == 4


def test_the_report_has_per_run_and_per_day_rates(captions_lost):
    db, changed = captions_lost
    report = _report(db)
    assert [r["run_id"] for r in report["runs"]] == [2, 1]
    latest, first = report["runs"]
    assert latest["pages"] == first["pages"] == len(SERVED)  # each page once, aliases or not
    assert latest["job"] == "crawl" and latest["mode"] == "archive"
    with_captions = sum(1 for g in SERVED if any(im.get("caption") for im in g.expected["images"]))
    assert first["fields"]["captions"]["filled"] == with_captions
    assert latest["fields"]["captions"]["filled"] == with_captions - len(changed)
    assert first["fields"]["headline"]["fill"] == 1.0
    assert sum(first["fields"]["paragraphs"]["layers"].values()) == pytest.approx(1.0, abs=0.01)
    assert sum(d["pages"] for d in report["days"]) >= len(SERVED)  # one day, or two over midnight
    json.dumps(report)  # what --json prints


def test_conflicts_are_counted_per_run_by_field(captions_lost):
    db, _ = captions_lost
    conn = sqlite3.connect(db)
    try:
        expected: dict[str, int] = {}
        for (conflicts,) in conn.execute("SELECT conflicts FROM articles"):
            for field in {c["field"] for c in json.loads(conflicts)}:
                expected[field] = expected.get(field, 0) + 1
    finally:
        conn.close()
    assert expected  # the replica has pages whose sources disagree
    for run in _report(db)["runs"]:
        assert run["conflicts"]["by_field"] == expected
        assert run["conflicts"]["pages"] <= sum(expected.values())


def test_the_text_puts_the_flags_first_with_example_urls(captions_lost):
    db, _ = captions_lost
    report = _report(db)
    text = format_health(report)
    head = text.splitlines()[:4]
    assert head[0] == "FLAGGED: 2 drop(s)"
    assert "captions" in head[1] and f"section {SECTION}, run #2" in head[1]
    assert head[2].strip() == report["flags"][0]["examples"][0]
    for word in ("Per run", "Per day", "Layers in run #2", "Conflicts"):
        assert word in text


def test_a_clean_re_visit_flags_nothing(clean):
    report = _report(clean)
    assert report["flags"] == []
    assert exit_code(report) == 0
    assert format_health(report).startswith("OK: no drops")
    latest, first = report["runs"]
    assert latest["fields"] == first["fields"]


# -- the rule, on hand-made databases ---------------------------------------------------------
SEED = next(g for g in SERVED if g.html.stem.startswith("seed-"))
_BASE = extract(SEED.html.read_bytes(), SEED.url, content_type=SEED.content_type).to_dict()


def _record(n: int, section: str = "politics", *, caption: bool = True, credit: bool = True,
            paragraphs: str = "profile", conflicts: tuple[str, ...] = ()) -> dict:
    """The seed's record moved to page ``n`` of ``section``, with or without captions/credits."""
    r = copy.deepcopy(_BASE)
    r["url"] = f"https://www.almodon.com/{section}/2024/04/26/page-{n}"
    r["section"] = section
    for im in r["images"]:
        im["caption"] = im["caption"] if caption else None
        im["credit"] = im["credit"] if credit else None
    r["sources"] = {**r["sources"], "paragraphs": paragraphs}
    r["conflicts"] = [{"field": f, "kept": "jsonld", "other": "profile", "reason": "different_time"}
                      for f in conflicts]
    return r


def _db(tmp_path, runs: list[tuple[str, list[dict]]]):
    """A database with one run per (fetched_at, records)."""
    path = tmp_path / "h.db"
    with Store(path) as store:
        for fetched_at, records in runs:
            run_id = store.start_run(mode="latest")
            for record in records:
                store.upsert(record, run_id=run_id, fetched_at=fetched_at)
            store.finish_run(run_id, {}, status="ok", exit_code=0)
    return path


def _flags(path, **kw) -> set[tuple]:
    return {(f["kind"], f["field"], f["scope"], f["section"]) for f in _report(path, **kw)["flags"]}


def test_captions_dropping_on_every_page_flags_the_run(tmp_path):
    runs = [(f"2026-05-0{d}T06:00:00Z", [_record(i) for i in range(5)]) for d in (1, 2, 3)]
    runs.append(("2026-05-04T06:00:00Z", [_record(i, caption=False) for i in range(5)]))
    report = _report(_db(tmp_path, runs))
    flagged = {(f["kind"], f["field"], f["scope"], f["window"], f["section"]) for f in report["flags"]}
    # Latest run and latest day say the same thing: reported once, by the run.
    assert flagged == {("fill", "captions", "run", "run", None),
                       ("fill", "captions", "section", "run", "politics")}
    flag = report["flags"][0]
    assert flag["baseline_pages"] == 15 and flag["pages"] == 5
    assert flag["examples"] == sorted(_record(i)["url"] for i in range(5))[:3]


@pytest.mark.parametrize(("baseline_captioned", "current_captioned", "flagged"), [
    (8, 5, True),    # 0.8 -> 0.5: a drop of exactly 0.3
    (8, 6, False),   # 0.8 -> 0.6: 0.2 is not enough
    (5, 0, True),    # a baseline of exactly 0.5
    (4, 0, False),   # 0.4 is too rare to call a drop
])
def test_drop_thresholds(tmp_path, baseline_captioned, current_captioned, flagged):
    base = [_record(i, caption=i < baseline_captioned) for i in range(10)]
    current = [_record(i, caption=i < current_captioned) for i in range(10)]
    path = _db(tmp_path, [("2026-05-01T06:00:00Z", base), ("2026-05-01T07:00:00Z", current)])
    assert (("fill", "captions", "run", None) in _flags(path)) is flagged


def test_thresholds_are_parameters(tmp_path):
    base = [_record(i) for i in range(10)]
    current = [_record(i, caption=i < 8) for i in range(10)]
    path = _db(tmp_path, [("2026-05-01T06:00:00Z", base), ("2026-05-01T07:00:00Z", current)])
    assert not _flags(path)
    assert ("fill", "captions", "run", None) in _flags(path, thresholds=Thresholds(min_drop=0.2))


def test_too_few_current_pages_flag_nothing(tmp_path):
    path = _db(tmp_path, [("2026-05-01T06:00:00Z", [_record(i) for i in range(10)]),
                          ("2026-05-01T07:00:00Z", [_record(i, caption=False) for i in range(2)])])
    assert not _flags(path)


def test_only_the_section_that_changed_is_flagged(tmp_path):
    def pages(lost: bool):
        return ([_record(i, "politics") for i in range(10)]
                + [_record(i, "culture", caption=not lost, credit=True) for i in range(3)])

    path = _db(tmp_path, [("2026-05-01T06:00:00Z", pages(False)), ("2026-05-02T06:00:00Z", pages(True))])
    report = _report(path)
    assert {(f["field"], f["section"]) for f in report["flags"]} == {("captions", "culture")}
    assert all("/culture/" in url for url in report["flags"][0]["examples"])


def test_small_runs_are_caught_by_the_day(tmp_path):
    """Hourly `latest` runs of 2 pages: no run is big enough, the day is."""
    runs = [(f"2026-05-01T{h:02d}:00:00Z", [_record(h * 2 + i) for i in range(2)]) for h in range(4)]
    runs += [(f"2026-05-02T{h:02d}:00:00Z", [_record(100 + h * 2 + i, caption=False) for i in range(2)])
             for h in range(3)]
    report = _report(_db(tmp_path, runs))
    flags = {(f["field"], f["scope"], f["window"], f["period"]) for f in report["flags"]}
    assert ("captions", "day", "day", "2026-05-02") in flags
    assert all(window == "day" for _, _, window, _ in flags)
    assert [d["day"] for d in report["days"]] == ["2026-05-02", "2026-05-01"]
    assert report["days"][0]["pages"] == 6


def test_a_day_counts_a_page_once_as_last_seen(tmp_path):
    path = _db(tmp_path, [("2026-05-01T06:00:00Z", [_record(i) for i in range(4)]),
                          ("2026-05-01T07:00:00Z", [_record(i, caption=False) for i in range(4)])])
    (day,) = _report(path)["days"]
    assert day["pages"] == 4 and day["fields"]["captions"]["filled"] == 0


def test_a_run_counts_a_page_once_as_last_seen(tmp_path):
    """A page reached twice in one run (by an alias URL, say)."""
    twice = [_record(i, conflicts=("modified",)) for i in range(4)] + [_record(i) for i in range(4)]
    (run,) = _report(_db(tmp_path, [("2026-05-01T06:00:00Z", twice)]))["runs"]
    assert run["pages"] == 4 and run["outcomes"] == {"unchanged": 4}
    assert run["conflicts"] == {"pages": 0, "by_field": {}}


def test_a_change_of_layer_is_flagged(tmp_path):
    """The profile's paragraph selectors stop matching: the fallback takes over."""
    base = [_record(i) for i in range(6)]
    current = [_record(i, paragraphs="fallback" if i < 5 else "profile") for i in range(6)]
    path = _db(tmp_path, [("2026-05-01T06:00:00Z", base), ("2026-05-01T07:00:00Z", current)])
    report = _report(path)
    (flag, section_flag) = report["flags"]
    assert (flag["kind"], flag["field"], flag["scope"]) == ("layer", "paragraphs", "run")
    assert (flag["layer_from"], flag["layer_to"]) == ("profile", "fallback")
    assert flag["baseline"] == 1.0 and flag["current"] == pytest.approx(1 / 6, abs=0.001)
    assert flag["examples"] == sorted(_record(i)["url"] for i in range(5))[:3]
    assert section_flag["scope"] == "section"
    assert "now mostly from fallback" in format_health(report)
    assert exit_code(report) == 4


def test_a_mixed_baseline_is_no_layer_change(tmp_path):
    base = [_record(i, paragraphs="profile" if i % 2 else "fallback") for i in range(6)]
    current = [_record(i, paragraphs="fallback") for i in range(6)]
    path = _db(tmp_path, [("2026-05-01T06:00:00Z", base), ("2026-05-01T07:00:00Z", current)])
    assert not _flags(path)


def test_only_the_last_runs_form_the_baseline(tmp_path):
    runs = [("2026-05-01T06:00:00Z", [_record(i, caption=False) for i in range(5)])]
    runs += [(f"2026-05-0{d}T06:00:00Z", [_record(i) for i in range(5)]) for d in (2, 3)]
    path = _db(tmp_path, runs)
    report = _report(path, runs=2, days=2)
    assert [r["run_id"] for r in report["runs"]] == [3, 2]
    assert [d["day"] for d in report["days"]] == ["2026-05-03", "2026-05-02"]


def test_conflicts_by_field_follow_unchanged_re_visits(tmp_path):
    pages = [_record(0, conflicts=("modified",)), _record(1, conflicts=("modified", "authors")), _record(2)]
    path = _db(tmp_path, [("2026-05-01T06:00:00Z", pages), ("2026-05-02T06:00:00Z", pages)])
    report = _report(path)
    for run in report["runs"]:
        assert run["conflicts"] == {"pages": 2, "by_field": {"authors": 1, "modified": 2}}
    assert run["outcomes"] == {"new": 3}
    assert report["runs"][0]["outcomes"] == {"unchanged": 3}


def test_an_empty_or_old_database_is_healthy(tmp_path):
    conn = sqlite3.connect(":memory:")
    try:
        report = health(conn)
    finally:
        conn.close()
    assert report["flags"] == [] and exit_code(report) == 0
    assert format_health(report).startswith("OK")
    with Store(tmp_path / "empty.db"):
        pass
    report = _report(tmp_path / "empty.db")
    assert report["runs"] == [] and report["days"] == [] and exit_code(report) == 0
    assert "Per run (newest first): none" in format_health(report)


def test_every_field_is_measured(tmp_path):
    path = _db(tmp_path, [("2026-05-01T06:00:00Z", [_record(0)])])
    (run,) = _report(path)["runs"]
    assert tuple(run["fields"]) == FIELDS


def test_the_cli_command(captions_lost, clean):
    from click.testing import CliRunner

    from pipelines.cli import main

    if "health" not in main.commands:
        pytest.skip("`almodon health` is not in pipelines/cli.py yet")
    flagged = CliRunner().invoke(main, ["health", "--db", str(captions_lost[0])])
    assert flagged.exit_code == 4 and flagged.output.startswith("FLAGGED: 2 drop(s)")
    ok = CliRunner().invoke(main, ["health", "--db", str(clean), "--json", "--runs", "1"])
    assert ok.exit_code == 0
    assert [r["run_id"] for r in json.loads(ok.output)["runs"]] == [2]
