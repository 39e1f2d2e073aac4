"""The bench's archive without a crawl (scripts/bench_archive.py): its records are what
extracting the bench's generated pages gives, and they go through the real store and index."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import bench_archive
import synth

from pipelines import search
from pipelines.store import Store

FIELDS = ("url", "original_url", "section", "section_name", "headline", "authors", "published_date",
          "paragraphs", "body", "tags", "summary")  # UTC times may differ by a DST hour


def test_records_are_what_extracting_the_generated_pages_gives():
    templates, pools = synth.load_templates()
    bench_archive._init(seed=1)
    taken: set[str] = set()
    same = 0
    for i in range(52):  # every template twice
        record = bench_archive.synth_record(i, templates, pools, 1, taken)
        _page, kind, extracted = bench_archive._prepare(i)
        assert kind == "ok", extracted
        assert {f: record.get(f) for f in FIELDS if f != "original_url"} == {
            f: extracted.get(f) for f in FIELDS if f != "original_url"}, i
        assert [im["url"] for im in record["images"]] == [im["url"] for im in extracted["images"]]
        same += record["original_url"] == extracted["original_url"]
    assert same >= 40  # the 2014 layout is fetched at another form of its URL


def test_build_records_stores_through_the_store_and_index(tmp_path):
    db = tmp_path / "a.db"
    result = bench_archive.build_records(60, db)
    assert result["outcomes"] == {"new": 60}
    with Store(db) as store:
        c = store.conn
        assert c.execute("SELECT count(*) FROM articles").fetchone()[0] == 60
        assert c.execute("SELECT count(*) FROM raw_pages").fetchone()[0] == 60
        assert not search.stale(c)
        headline = c.execute("SELECT headline FROM articles WHERE id = 7").fetchone()[0]
        assert 7 in [r["id"] for r in search.search(c, f'"{headline}"')]
    assert bench_archive.build_records(60, db)["already_stored"] == 60  # resumes, adds nothing
