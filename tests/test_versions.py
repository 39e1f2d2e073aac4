"""Article versions: where each came from, capture order, identical captures, site changes only.

Records come from a golden page through the real extractor; each test changes what a reader
would notice (the headline, a paragraph) and stores captures at chosen times and in chosen orders.
"""

from __future__ import annotations

import copy
import json

import pytest
from golden import goldens

from pipelines import records
from pipelines.extract import extract
from pipelines.store import SOURCES, Store


@pytest.fixture
def record():
    g = next(g for g in goldens() if g.is_article and g.expected.get("images"))
    return records.normalise(extract(g.html.read_bytes(), g.url, content_type=g.content_type).to_dict())


def retitled(record: dict, suffix: str) -> dict:
    out = copy.deepcopy(record)
    out["headline"] = record["headline"] + suffix
    return out


def versions(store: Store, url: str) -> list[tuple]:
    return [(v["version"], v["fetched_at"], v["record"]["headline"], v["source"],
             json.loads(v["changed_fields"])) for v in store.versions(url)]


def current(store: Store) -> tuple:
    row = store.conn.execute("SELECT headline, version, first_seen_at, last_fetched_at, last_changed_at "
                             "FROM articles").fetchone()
    return tuple(row)


def test_every_version_records_its_source(tmp_path, record):
    with Store(tmp_path / "a.db") as store:
        for n, source in enumerate(SOURCES):
            outcome = store.upsert(retitled(record, f" {n}"), fetched_at=f"2026-01-0{n + 1}T00:00:00Z",
                                   source=source)
            assert outcome == ("new" if n == 0 else "updated")
        assert [v[3] for v in versions(store, record["url"])] == list(SOURCES)
        assert store.upsert(record, source="crawl") == "updated"  # the default is crawl too
        assert versions(store, record["url"])[-1][3] == "crawl"
        with pytest.raises(ValueError, match="unknown source"):
            store.upsert(record, source="ftp")


def test_an_older_capture_stored_later_becomes_an_earlier_version(tmp_path, record):
    """A page captured in 2017 (from a web archive) stored after a 2024 crawl: version 1, and
    the 2024 crawl stays the current row; the change is computed 2017 → 2024."""
    old = retitled(record, " (2017)")
    with Store(tmp_path / "a.db") as store:
        assert store.upsert(record, fetched_at="2024-05-01T10:00:00Z") == "new"
        assert store.upsert(old, fetched_at="2017-03-01T08:00:00Z", source="wayback") == "earlier"
        assert versions(store, record["url"]) == [
            (1, "2017-03-01T08:00:00Z", old["headline"], "wayback", []),
            (2, "2024-05-01T10:00:00Z", record["headline"], "crawl", ["headline"]),
        ]
        assert current(store) == (record["headline"], 2, "2017-03-01T08:00:00Z", "2024-05-01T10:00:00Z",
                                  "2024-05-01T10:00:00Z")
        (change,) = store.conn.execute("SELECT * FROM headline_changes").fetchall()
        assert (change["first_headline"], change["latest_headline"], change["changes"], change["versions"]) == (
            old["headline"], record["headline"], 1, 2)
        assert change["first_changed_at"] == "2024-05-01T10:00:00Z"
        (row,) = store.conn.execute("SELECT * FROM article_changes").fetchall()
        assert (row["version"], row["previous_headline"], row["headline"], row["source"]) == (
            2, old["headline"], record["headline"], "crawl")
        # the images etc. are still those of the current (2024) version
        assert store.conn.execute("SELECT count(*) FROM images").fetchone()[0] == len(record["images"])


def test_a_capture_between_two_versions_is_inserted_and_the_neighbours_are_recompared(tmp_path, record):
    a, b, c = retitled(record, " أ"), retitled(record, " ب"), retitled(record, " ج")
    with Store(tmp_path / "a.db") as store:
        store.upsert(a, fetched_at="2018-01-01T00:00:00Z")
        store.upsert(c, fetched_at="2022-01-01T00:00:00Z")
        assert store.upsert(b, fetched_at="2020-01-01T00:00:00Z", source="commoncrawl") == "earlier"
        got = versions(store, record["url"])
        assert [(v[0], v[2]) for v in got] == [(1, a["headline"]), (2, b["headline"]), (3, c["headline"])]
        ids = [v["id"] for v in store.versions(record["url"])]
        bases = [v["base_id"] for v in store.versions(record["url"])]
        assert bases == [None, ids[0], ids[1]]  # c is now compared with b, not with a
        changes = store.conn.execute("SELECT previous_headline, headline FROM article_changes ORDER BY version")
        assert [tuple(r) for r in changes] == [(a["headline"], b["headline"]), (b["headline"], c["headline"])]
        assert current(store)[:2] == (c["headline"], 3)


def test_a_newer_capture_after_an_older_backfill_still_becomes_current(tmp_path, record):
    new = retitled(record, " (محدّث)")
    with Store(tmp_path / "a.db") as store:
        store.upsert(record, fetched_at="2024-05-01T00:00:00Z")
        store.upsert(retitled(record, " قديم"), fetched_at="2017-01-01T00:00:00Z", source="wayback")
        assert store.upsert(new, fetched_at="2025-01-01T00:00:00Z") == "updated"
        assert current(store)[:2] == (new["headline"], 3)
        assert store.conn.execute("SELECT count(*) FROM article_changes").fetchone()[0] == 2


@pytest.mark.parametrize("when, expected", [
    ("2020-06-01T00:00:00Z", "unchanged"),  # identical to the version in force then (2018)
    ("2018-01-01T00:00:00Z", "unchanged"),  # the same URL and time again
    ("2023-01-01T00:00:00Z", "unchanged"),  # identical to the 2022 version, after it
])
def test_an_identical_capture_adds_nothing(tmp_path, record, when, expected):
    a, c = retitled(record, " أ"), retitled(record, " ج")
    with Store(tmp_path / "a.db") as store:
        store.upsert(a, fetched_at="2018-01-01T00:00:00Z")
        store.upsert(c, fetched_at="2022-01-01T00:00:00Z")
        same = a if when < "2022" else c
        assert store.upsert(same, fetched_at=when, source="wayback") == expected
        assert len(store.versions(record["url"])) == 2
        assert store.conn.execute("SELECT count(*) FROM article_changes").fetchone()[0] == 1
        assert current(store)[:2] == (c["headline"], 2)


def test_an_identical_capture_before_the_first_version_is_recorded_as_the_earliest(tmp_path, record):
    """The same content captured earlier than any stored version says it existed then: it
    becomes version 1 and the later identical one changes nothing (no row in the change views)."""
    with Store(tmp_path / "a.db") as store:
        store.upsert(record, fetched_at="2024-01-01T00:00:00Z")
        assert store.upsert(record, fetched_at="2019-01-01T00:00:00Z", source="wayback") == "earlier"
        got = versions(store, record["url"])
        assert [(v[0], v[1], v[4]) for v in got] == [(1, "2019-01-01T00:00:00Z", []),
                                                     (2, "2024-01-01T00:00:00Z", [])]
        assert store.conn.execute("SELECT count(*) FROM article_changes").fetchone()[0] == 0
        assert store.conn.execute("SELECT count(*) FROM headline_changes").fetchone()[0] == 0
        assert current(store)[1:3] == (2, "2019-01-01T00:00:00Z")


def test_captures_arriving_in_any_order_give_the_same_changes(tmp_path, record):
    """Whatever order the captures arrive in, the site's changes (article_changes) and the
    current row are the same. (A capture identical to a LATER stored one is kept as the earlier
    sighting: the later one then shows no change.)"""
    captures = [(f"20{y}-01-01T00:00:00Z", retitled(record, f" {h}"))
                for y, h in ((16, "أ"), (18, "ب"), (19, "ب"), (21, "ج"), (24, "أ"))]
    results = []
    for order in (captures, captures[::-1], captures[2:] + captures[:2]):
        with Store(tmp_path / f"{len(results)}.db") as store:
            for when, rec in order:
                store.upsert(rec, fetched_at=when, source="wayback")
            changes = [tuple(r) for r in store.conn.execute(
                "SELECT changed_at, previous_headline, headline, changed_fields FROM article_changes "
                "ORDER BY changed_at")]
            results.append((changes, current(store)[0]))
    assert results[0] == results[1] == results[2]
    changes, shown = results[0]
    h = [c[1]["headline"] for c in captures]
    assert changes == [("2018-01-01T00:00:00Z", h[0], h[1], '["headline"]'),
                       ("2021-01-01T00:00:00Z", h[1], h[3], '["headline"]'),
                       ("2024-01-01T00:00:00Z", h[3], h[4], '["headline"]')]
    assert shown == h[4]


# -- re-extraction: a newer extractor reading old captures is not a change on the site ----------
def test_reextractions_are_not_site_changes(tmp_path, record):
    """Crawled by extractor 1 at t1 and t2 (the site retitled the article in between), then a
    reparse by extractor 2 that reads every headline differently: each capture gets a
    re-extraction version, the one real change stays the only one in the views, and the next
    crawl by extractor 2 compares with extractor 2's reading."""
    def by(rec: dict, made_by: str, suffix: str = "") -> dict:
        return {**retitled(rec, suffix), "extractor_version": made_by}

    site2 = retitled(record, " (محدّث)")
    with Store(tmp_path / "a.db") as store:
        store.upsert(by(record, "1"), fetched_at="2024-01-01T00:00:00Z")
        store.upsert(by(site2, "1"), fetched_at="2024-02-01T00:00:00Z")
        for rec, when in ((record, "2024-01-01T00:00:00Z"), (site2, "2024-02-01T00:00:00Z")):
            assert store.upsert(by(rec, "2", " - المدن"), fetched_at=when, source="reparse") == "reextracted"
        got = store.versions(record["url"])
        assert [(v["fetched_at"], v["extractor_version"], v["reextraction"]) for v in got] == [
            ("2024-01-01T00:00:00Z", "1", 0), ("2024-01-01T00:00:00Z", "2", 1),
            ("2024-02-01T00:00:00Z", "1", 0), ("2024-02-01T00:00:00Z", "2", 1)]
        (change,) = store.conn.execute("SELECT * FROM headline_changes").fetchall()
        assert change["changes"] == 1 and change["first_headline"] == record["headline"]
        assert change["latest_headline"] == site2["headline"] + " - المدن"  # the newest reading
        assert [tuple(r) for r in store.conn.execute(
            "SELECT previous_headline, headline FROM article_changes")] == [(record["headline"], site2["headline"])]
        # the next crawl by extractor 2: unchanged against extractor 2's reading of t2
        assert store.upsert(by(site2, "2", " - المدن"), fetched_at="2024-03-01T00:00:00Z") == "unchanged"
        site3 = retitled(record, " (ثالث)")
        assert store.upsert(by(site3, "2", " - المدن"), fetched_at="2024-04-01T00:00:00Z") == "updated"
        assert [tuple(r) for r in store.conn.execute(
            "SELECT previous_headline, headline FROM article_changes ORDER BY version")] == [
            (record["headline"], site2["headline"]),
            (site2["headline"] + " - المدن", site3["headline"] + " - المدن")]
        assert store.conn.execute("SELECT changes FROM headline_changes").fetchone()[0] == 2
        made = store.conn.execute("SELECT extractor_version, outcome FROM extractions ORDER BY id").fetchall()
        assert [tuple(r) for r in made] == [("1", "new"), ("1", "updated"), ("2", "reextracted"),
                                            ("2", "reextracted"), ("2", "unchanged"), ("2", "updated")]


def test_a_record_without_an_extractor_version_gets_the_current_one(tmp_path, record):
    from pipelines.extract.version import EXTRACTOR_VERSION

    with Store(tmp_path / "a.db") as store:
        store.upsert(record)
        assert store.versions(record["url"])[0]["extractor_version"] == EXTRACTOR_VERSION
        assert store.conn.execute("SELECT extractor_version FROM extractions").fetchone()[0] == EXTRACTOR_VERSION


@pytest.fixture(scope="module")
def retitled_archive(tmp_path_factory):
    """The replica crawled, one article retitled on the site and crawled again (a real change)."""
    from urllib.parse import urlsplit

    from conftest import run_crawl
    from replica.server import Replica
    from test_views import NEW_HEADLINE, RETITLED, _edited_page

    db = tmp_path_factory.mktemp("reext") / "a.db"
    with Replica(port=0) as rep:
        assert run_crawl(rep.base_url, db).returncode == 0
        rep.set_page(urlsplit(RETITLED.url).path, _edited_page(RETITLED, RETITLED.fields["headline"], NEW_HEADLINE),
                     "text/html; charset=utf-8")
        assert run_crawl(rep.base_url, db, args={"url": RETITLED.url}).returncode == 0
    return db


def test_reparse_by_a_bumped_extractor_adds_no_headline_change(retitled_archive, monkeypatch):
    """End to end on the replica: a reparse by a newer extractor version whose headlines differ
    (it appends the outlet's name) records re-extractions; headline_changes keeps its one row."""
    from conftest import query

    from pipelines import jobs, process
    from pipelines.extract import version

    db = retitled_archive
    before = [tuple(r) for r in query(db, "SELECT article_id, first_headline, changes FROM headline_changes")]
    assert len(before) == 1
    articles = query(db, "SELECT count(*) FROM articles")[0][0]
    real = process.extract_record

    def newer(page, extra_hosts=()):
        return {**(rec := real(page, extra_hosts)), "headline": rec["headline"] + " - المدن"}

    monkeypatch.setattr(version, "EXTRACTOR_VERSION", "2099.1")
    monkeypatch.setattr(process, "extract_record", newer)
    counts = jobs.reparse(db, workers=1)
    assert counts["status"] == "ok" and counts.get("new", 0) == 0 and counts.get("updated", 0) == 0
    assert counts["reextracted"] == articles + 1
    assert query(db, "SELECT reextracted FROM crawl_runs WHERE id = ?", counts["run_id"])[0][0] == articles + 1
    after = [tuple(r) for r in query(db, "SELECT article_id, first_headline, changes FROM headline_changes")]
    assert after == before
    assert query(db, "SELECT count(*) FROM article_changes")[0][0] == 1
    # every article now shows the newer reading, each through a re-extraction version
    assert query(db, "SELECT count(*) FROM articles WHERE headline LIKE '% - المدن'")[0][0] == articles
    reext = query(db, "SELECT source, extractor_version, count(*) FROM article_versions WHERE reextraction = 1 "
                      "GROUP BY 1, 2")
    assert [tuple(r) for r in reext] == [("reparse", "2099.1", articles + 1)]  # +1: both captures of the retitled
    assert query(db, "SELECT count(*) FROM extractions WHERE extractor_version = '2099.1'")[0][0] >= articles


# -- size: one compressed copy of each version, reconstructed exactly ---------------------------
def test_every_version_of_every_article_is_reconstructed_exactly(tmp_path):
    """Every golden article stored in three versions (as found, retitled, a paragraph added):
    each version's record comes back from the compressed copy exactly as it was stored, and
    the plain text is not stored twice in article_versions."""
    from pipelines.extract.version import EXTRACTOR_VERSION

    stored: dict[str, list[dict]] = {}
    with Store(tmp_path / "a.db") as store:
        for g in goldens():
            if not g.is_article:
                continue
            rec = records.normalise(extract(g.html.read_bytes(), g.url, content_type=g.content_type).to_dict())
            added = copy.deepcopy(rec)
            added["paragraphs"].append("فقرة أضافها الموقع.")
            chain = [rec, retitled(rec, " (محدّث)"), records.normalise(added)]
            for n, version in enumerate(chain):
                store.upsert(version, fetched_at=f"2026-0{n + 1}-01T00:00:00Z")
            stored[rec["url"]] = chain
        assert len(stored) >= 20
        for url, chain in stored.items():
            got = [v["record"] for v in store.versions(url)]
            assert got == [{**r, "extractor_version": EXTRACTOR_VERSION} for r in chain], url
        assert store.conn.execute("SELECT count(*) FROM article_versions WHERE body <> '' OR record <> ''"
                                  ).fetchone()[0] == 0


def test_a_long_chain_of_versions_is_reconstructed_in_any_arrival_order(tmp_path, record):
    """30 versions, each a paragraph longer and retitled, stored newest first (every one an
    earlier version, each stored as a change from another): all come back exactly."""
    chain = []
    for n in range(30):
        rec = copy.deepcopy(record)
        rec["headline"] = f"{record['headline']} {n}"
        rec["paragraphs"] = [*record["paragraphs"], *(f"فقرة رقم {i}" for i in range(n))]
        chain.append(records.normalise(rec))
    with Store(tmp_path / "a.db") as store:
        for n in reversed(range(30)):
            store.upsert(chain[n], fetched_at=f"2026-01-{n + 1:02d}T00:00:00Z")
        got = store.versions(record["url"])
        assert [v["degraded"] for v in got] == [None] * 30  # older captures rightly have less text
        assert [v["record"]["paragraphs"] for v in got] == [r["paragraphs"] for r in chain]
        assert [v["record"]["headline"] for v in got] == [r["headline"] for r in chain]
        assert store.conn.execute("SELECT headline FROM articles").fetchone()[0] == chain[-1]["headline"]


# -- the version articles shows is not stored twice ----------------------------------------------
def _stored(store: Store, url: str) -> list[dict]:
    from pipelines.versions import unpack

    return [unpack(r[0]) for r in store.conn.execute(
        "SELECT v.record_z FROM article_versions v JOIN articles a ON a.id = v.article_id WHERE a.url = ? "
        "ORDER BY v.version", (url,))]


def test_the_version_articles_shows_is_kept_as_a_change_from_articles(tmp_path, record):
    from pipelines.extract.version import EXTRACTOR_VERSION

    with Store(tmp_path / "a.db") as store:
        store.upsert(record, fetched_at="2026-01-01T00:00:00Z")
        (kept,) = _stored(store, record["url"])
        assert kept["$base"] == "articles" and "paragraphs" in kept["$same"] and "body" not in kept
        assert "headline" not in kept and "images" not in kept  # read back from articles / images
        size = store.conn.execute("SELECT length(record_z) FROM article_versions").fetchone()[0]
        assert size < 100 < len(record["body"].encode())
        assert store.versions(record["url"])[0]["record"] == {**record, "extractor_version": EXTRACTOR_VERSION}


def test_a_replaced_version_gets_its_own_record_and_every_version_comes_back(tmp_path, record):
    """The shown version is kept as a change from the version that replaces it, also when an
    older capture stored in between was kept as a change from it (no chain leads back)."""
    from pipelines.extract.version import EXTRACTOR_VERSION

    middle, older, newer = retitled(record, " (2)"), retitled(record, " (1)"), retitled(record, " (3)")
    newer["paragraphs"] = [*record["paragraphs"], "فقرة جديدة."]
    newer = records.normalise(newer)
    with Store(tmp_path / "a.db") as store:
        assert store.upsert(middle, fetched_at="2026-02-01T00:00:00Z") == "new"
        assert store.upsert(older, fetched_at="2026-01-01T00:00:00Z") == "earlier"
        assert [k.get("$base") for k in _stored(store, record["url"])][1] == "articles"
        assert store.upsert(newer, fetched_at="2026-03-01T00:00:00Z") == "updated"
        bases = [k.get("$base") for k in _stored(store, record["url"])]
        ids = [v["id"] for v in store.versions(record["url"])]
        assert bases[2] == "articles" and bases[1] == ids[2]  # the replaced one: a change from its successor
        assert bases[0] in ids[1:]
        got = [v["record"] for v in store.versions(record["url"])]
        assert got == [{**r, "extractor_version": EXTRACTOR_VERSION} for r in (older, middle, newer)]


def test_a_failed_update_keeps_the_shown_version_whole(tmp_path, record, monkeypatch):
    """The shown version is written out in the transaction that changes articles: when that
    transaction fails (here: the search index), neither happens and the version still reads back."""
    from pipelines.extract.version import EXTRACTOR_VERSION
    from pipelines.search import index

    with Store(tmp_path / "a.db") as store:
        store.upsert(record, fetched_at="2026-01-01T00:00:00Z")

        def broken(*_a, **_k):
            raise RuntimeError("killed")

        monkeypatch.setattr(index, "index_article", broken)
        with pytest.raises(RuntimeError):
            store.upsert(retitled(record, " (محدّث)"), fetched_at="2026-02-01T00:00:00Z")
        assert [k["$base"] for k in _stored(store, record["url"])] == ["articles"]
        assert store.conn.execute("SELECT headline FROM articles").fetchone()[0] == record["headline"]
        assert [v["record"] for v in store.versions(record["url"])] == [
            {**record, "extractor_version": EXTRACTOR_VERSION}]


def test_records_read_with_and_without_the_preset_dictionary():
    """Records written before the dictionary (plain zlib) read as they were; the dictionary is
    named by its Adler-32 in each stream, so it must never change (this pins it)."""
    import zlib

    from pipelines import versions as v

    assert zlib.adler32(v._ZDICT) == 560078717
    record = {"headline": "عنوان", "paragraphs": ["فقرة"], "extractor_version": "2026.11.30"}
    assert v.unpack(zlib.compress(v._json(record).encode("utf-8"), 9)) == record
    packed = v.pack(record)
    assert packed[1] & 0x20 and v.unpack(packed) == record


def test_materialise_writes_the_shown_version_out_without_a_cycle(tmp_path, record):
    """For code that changes articles otherwise (migration 6): the shown version gets its own
    record; its base (an older capture stored as a change from it) would lead back to it, so
    it is kept whole, and every version still reads back."""
    from pipelines import versions as v
    from pipelines.extract.version import EXTRACTOR_VERSION

    older = retitled(record, " (1)")
    with Store(tmp_path / "a.db") as store:
        store.upsert(record, fetched_at="2026-02-01T00:00:00Z")
        store.upsert(older, fetched_at="2026-01-01T00:00:00Z")
        with store.conn:
            assert v.materialise(store.conn, 1) == 1
        kept = _stored(store, record["url"])
        assert kept[1].get("$base") is None and kept[0]["$base"] == store.versions(record["url"])[1]["id"]
        assert [x["record"] for x in store.versions(record["url"])] == [
            {**r, "extractor_version": EXTRACTOR_VERSION} for r in (older, record)]
