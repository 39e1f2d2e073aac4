"""The site profile is data (``pipelines/extract/sites/almodon.json``), and every entry of it counts.

- Removing any one entry (a selector, a marker, a text anchor) changes some fixture's record: no
  entry is dead weight. Markers are exercised by fixture pages served at a URL of another era
  (a classic-layout page at a 2025 URL, a 2025-layout page at a 2024 URL).
- ``sources`` says ``profile`` only for what the profile's entries produced (tags never), and
  with the profile left out the generic layer answers every field on its own.
- ``almodon health`` shows the layer that really produced each field: the same pages extracted
  without the profile show the fallback layer, and the change is flagged.
"""

from __future__ import annotations

import copy
import json
import re
import sqlite3

import pytest
from golden import compare, goldens

from pipelines.extract import extract
from pipelines.extract.sites import profile as site_profile
from pipelines.health import exit_code, format_health, health
from pipelines.store import Store

ARTICLES = [g for g in goldens("almodon") + goldens("other") if g.is_article]
DATA = json.loads((site_profile.HERE / "almodon.json").read_text(encoding="utf-8"))


def _moved(golden_id: str, year: str) -> tuple[bytes, str, str]:
    """A fixture page served at the same path under another year (another layout era)."""
    g = next(g for g in ARTICLES if g.id == golden_id)
    url = re.sub(r"/(\d{4})/", f"/{year}/", g.url, count=1)
    return g.html.read_bytes(), url, g.content_type


#: (id, body, url, content type, fetched_at): the fixtures, plus two pages in another era's layout.
CASES = [(g.id, g.html.read_bytes(), g.url, g.content_type, g.fetched_at) for g in ARTICLES]
CASES += [
    ("classic-at-2025-url", *_moved("almodon/d-2016-03-27-presidential-talks", "2025"), None),
    ("ssr-at-2024-url", *_moved("almodon/d-2025-01-15-cabinet-talks", "2024"), None),
]


def _records(profile: site_profile.Profile | None, monkeypatch) -> dict[str, dict]:
    if profile is not None:
        monkeypatch.setattr(site_profile, "load", lambda site="almodon": profile)
    out = {}
    for case_id, body, url, content_type, fetched_at in CASES:
        out[case_id] = extract(body, url, content_type=content_type, fetched_at=fetched_at).to_dict()
    return out


def _entries():
    for i, era in enumerate(DATA["eras"]):
        for field in ("markers", *site_profile.FIELDS):
            for j, selector in enumerate(era[field]):
                yield pytest.param(i, field, j, id=f"{era['name']}:{field}:{selector}")
        for key in era["anchors"]:
            yield pytest.param(i, "anchors", key, id=f"{era['name']}:anchor:{key}")


@pytest.fixture(scope="module")
def with_profile():
    with pytest.MonkeyPatch.context() as mp:
        return _records(None, mp)


@pytest.mark.parametrize(("era", "field", "key"), list(_entries()))
def test_removing_any_profile_entry_changes_a_fixture(with_profile, monkeypatch, era, field, key):
    data = copy.deepcopy(DATA)
    if field == "anchors":
        del data["eras"][era]["anchors"][key]
    else:
        data["eras"][era][field].pop(key)
    without = _records(site_profile.Profile.from_dict(data), monkeypatch)
    changed = [case for case in with_profile if with_profile[case] != without[case]]
    assert changed, "no fixture depends on this entry: remove it from the profile"


def test_every_era_has_dates_and_the_url_era_and_date_choose_it():
    profile = site_profile.load()
    assert [e.name for e in profile.eras] == ["2014-15 GUID", "2016-24 classic", "2025-26 server-rendered"]
    for era in profile.eras:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", era.valid_from) and era.url_eras


def test_the_markup_chooses_the_era_when_it_disagrees_with_the_url(with_profile):
    # a classic page at a 2025 URL keeps the classic body selector (paragraphs from the profile)
    assert with_profile["classic-at-2025-url"]["sources"]["paragraphs"] == "profile"
    assert with_profile["ssr-at-2024-url"]["sources"]["headline"] in {"profile", "jsonld", "meta"}
    assert with_profile["ssr-at-2024-url"]["sources"]["paragraphs"] == "profile"


def test_sources_say_profile_only_for_what_the_profile_produced(with_profile):
    profile_fields = {"headline", "published", "modified", "authors", "paragraphs", "images", "videos"}
    for case, record in with_profile.items():
        said = {f for f, layer in record["sources"].items() if layer == "profile"}
        assert said <= profile_fields, (case, said)
        assert record["sources"].get("tags") != "profile", case


#: What only the profile gets right (measured): the generic layer alone misses these.
NEEDS_PROFILE = {
    ("almodon/g-2014-12-09-politics", "authors"): "span.writer in .section_title, no byline word",
    ("almodon/g-2014-12-09-politics", "images"): "no <h1>: the image above the body is outside the region",
    ("almodon/g-2015-05-01-politics", "authors"): "span.writer in .section_title, no byline word",
    ("almodon/d-2025-07-19-expat-summer", "images"): "the author photo in the الكاتب box (the anchor drops it)",
}


def test_without_the_profile_the_generic_layer_answers_alone():
    """The safety net: with the profile left out no source says ``profile``, and every golden
    field is still right except the few only the profile's entries get (``NEEDS_PROFILE``)."""
    missed = set()
    for g in ARTICLES:
        record = extract(g.html.read_bytes(), g.url, content_type=g.content_type,
                         fetched_at=g.fetched_at, use_profile=False).to_dict()
        assert "profile" not in record["sources"].values(), g.id
        missed |= {(g.id, field) for field in compare(record, g.fields)}
    assert missed == set(NEEDS_PROFILE)


def test_health_shows_the_fallback_when_the_profile_is_removed(tmp_path, with_profile):
    """Two runs over the same pages, the second without the profile: the extractions log and
    ``almodon health`` show the fallback layer for the body, and flag the layer change."""
    pages = [g for g in ARTICLES if with_profile[g.id]["sources"].get("paragraphs") == "profile"]
    assert len(pages) >= 10
    db = tmp_path / "h.db"
    with Store(db) as store:
        for i, use_profile in enumerate((True, False)):
            run_id = store.start_run(mode="latest")
            for g in pages:
                record = extract(g.html.read_bytes(), g.url, content_type=g.content_type,
                                 fetched_at=g.fetched_at, use_profile=use_profile).to_dict()
                store.upsert(record, run_id=run_id, fetched_at=f"2026-05-0{i + 1}T06:00:00Z")
            store.finish_run(run_id, {}, status="ok", exit_code=0)
    conn = sqlite3.connect(db)
    try:
        report = health(conn)
    finally:
        conn.close()
    latest, before = report["runs"][0], report["runs"][1]
    assert before["fields"]["paragraphs"]["layers"] == {"profile": 1.0}
    assert latest["fields"]["paragraphs"]["layers"] == {"fallback": 1.0}
    flags = {(f["kind"], f["field"], f.get("layer_to")) for f in report["flags"]}
    assert ("layer", "paragraphs", "fallback") in flags
    assert "now mostly from fallback" in format_health(report)
    assert exit_code(report) == 4
