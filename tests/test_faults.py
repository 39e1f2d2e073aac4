"""The fault matrix: a misbehaving almodon.com (``faults_server.py``) and the real spider.

For every fault the run goes on, the right thing is retried or skipped, every page not stored is
logged with its reason and counted in ``crawl_runs``, and nothing already stored is lost or
corrupted (``victim-<fault>`` pages are good in a first run and turn into ``<fault>`` in a second).
Redirects to another host are refused before any connection: the crawl resolves every hostname
to 127.0.0.1 (``LoopbackResolver``), so even a bug can only reach the fault server, which logs
the ``Host`` of every request. The table of this matrix, with what was observed, is
``docs/faults.md``. SIGKILL during writes: ``tests/test_refresh.py::test_sigkill_mid_crawl_loses_and_duplicates_nothing``.

The tests named after a bug pin the behaviour that bug broke (``docs/faults.md``, "Bugs
found"); each bug is fixed and its test guards against it coming back.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path

import pytest
from conftest import ROOT, query, run_crawl
from faults_server import (
    ARTICLE_FAULTS,
    EVIL_HOST,
    GOOD_HEADLINE,
    PREFIX,
    VICTIM,
    FaultServer,
    article_path,
)

from scrapers.settings import DOWNLOADER_MIDDLEWARES

RETRY_TIMES = 2
R = RETRY_TIMES + 1  # requests for a page that is retried to the end
MAXSIZE = 1024 * 1024
#: Pages that never answer (``slow``, ``trickle``) time out after SHORT_TIMEOUT seconds; every
#: other request has DOWNLOAD_TIMEOUT = 60, which nothing that answers reaches, even on a
#: machine so busy that the crawl's reactor stalls for seconds: no outcome depends on timing.
TIMEOUT_FAULTS = ("slow", "trickle")
SHORT_TIMEOUT = 2
SETTINGS = {
    "DOWNLOAD_TIMEOUT": "60",
    "DOWNLOADER_MIDDLEWARES": json.dumps({**DOWNLOADER_MIDDLEWARES, "faults_server.ShortTimeout": 340}),
    "ALMODON_TEST_SHORT_TIMEOUT": f"{SHORT_TIMEOUT}:{','.join(TIMEOUT_FAULTS)}",
    "RETRY_TIMES": str(RETRY_TIMES),
    "DOWNLOAD_MAXSIZE": str(MAXSIZE),
    "DOWNLOAD_WARNSIZE": str(MAXSIZE // 2),
    "CONCURRENT_REQUESTS": "64",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "64",
    # every hostname → 127.0.0.1: nothing this crawl decides to follow can leave loopback
    "TWISTED_DNS_RESOLVER": "faults_server.LoopbackResolver",
}
SITE = "https://www.almodon.com"

ANY = None
#: fault → (outcome, accepted reasons, requests the server saw). Outcome: stored | skipped |
#: failed | blocked (the ``kind`` of the skipped_pages row; ``failed_reasons`` holds failed and
#: blocked). One reason each: the readable names are the only spelling since they were fixed.
MATRIX: dict[str, tuple[str, set[str] | None, int | tuple[int, int]]] = {
    "ok-a": ("stored", ANY, 1),
    "ok-b": ("stored", ANY, 1),
    "http-500": ("failed", {"http_500"}, R),
    "http-502": ("failed", {"http_502"}, R),
    "http-503-twice": ("stored", ANY, 3),
    "http-429-once": ("stored", ANY, 2),
    "http-429-always": ("blocked", {"blocked_429"}, (1, R)),
    "http-404": ("skipped", {"http_404"}, 1),
    "http-410": ("skipped", {"http_410"}, 1),
    "soft-404": ("skipped", {"soft404"}, 1),
    "slow": ("failed", {"timeout"}, R),
    "trickle": ("failed", {"timeout"}, R),
    # Twisted itself re-sends a GET once when a kept-alive connection dies: up to 2 per attempt
    "reset": ("failed", {"connection_lost"}, (R, 2 * R)),
    "closed": ("failed", {"connection_lost"}, (R, 2 * R)),
    "truncated": ("failed", {"truncated"}, R),
    "truncated-chunked": ("failed", {"truncated"}, R),
    "redirect-ok": ("stored", ANY, 1),  # as redirect-target, redirect-ok its alias
    "redirect-offsite": ("skipped", {"redirect_offsite"}, 1),
    "redirect-lookalike": ("skipped", {"redirect_offsite"}, 1),
    "redirect-file": ("skipped", {"redirect_offsite"}, 1),
    "refresh-offsite": ("skipped", {"no_headline"}, 1),  # the meta refresh is not followed
    "charset-wrong": ("stored", ANY, 1),
    "charset-missing": ("stored", ANY, 1),
    "charset-bogus": ("stored", ANY, 1),
    "cp1256-declared": ("stored", ANY, 1),
    "cp1256-undeclared": ("stored", ANY, 1),
    "oversized": ("failed", {"too_large"}, 1),
    "oversized-chunked": ("failed", {"too_large"}, 1),
    "gzip-bomb": ("failed", {"too_large"}, 1),
    "gzip-corrupt": ("failed", {"bad_encoding"}, 1),
    "html-tagsoup": ("stored", ANY, 1),
    "html-deep": ("skipped", {"no_body"}, 1),
    "html-unclosed-div": ("stored", ANY, 1),
    "html-nul": ("stored", ANY, 1),
    "html-bad-utf8": ("stored", ANY, 1),
    "html-empty": ("skipped", {"unparsable"}, 1),
    "html-binary": ("skipped", {"no_headline"}, 1),
    "type-pdf": ("skipped", {"not_html"}, 1),
    "type-jpeg": ("skipped", {"not_html"}, 1),
    "type-json": ("skipped", {"not_html"}, 1),
    "billion-laughs": ("stored", ANY, 1),
    "xxe": ("stored", ANY, 1),
}
#: Given as url= too, but pinned by their own tests: loops, a too-long chain, and a page
#: robots.txt disallows (asked for while robots.txt takes 0.5 s to arrive, not first in the list).
REDIRECT_ENTRIES = ("loop-a", "loop-self", "pair-a", "pair-b", "chain-1")
PINNED = (*REDIRECT_ENTRIES, "robots-disallowed")
#: Stored pages that turn into each of these faults in the second run and must come out unchanged.
HARMLESS_FOR_STORED = [f for f, (outcome, _, _) in MATRIX.items() if outcome != "stored"] + [
    "html-tagsoup", "html-nul", "charset-missing", "charset-wrong", "html-unclosed-div"]
#: Stored pages that turn into these become a new version (the page really says something else).
NEW_VERSION = ["billion-laughs", "xxe"]
#: Stored pages that turn into these are WORSE than stored (U+FFFD from invalid bytes): kept as a
#: version flagged degraded, the good version stays in articles (docs/versions.md).
DEGRADED = ["html-bad-utf8"]
VICTIMS = [VICTIM + f for f in HARMLESS_FOR_STORED + NEW_VERSION + DEGRADED]
URLS = [*list(MATRIX)[:8], "robots-disallowed", *list(MATRIX)[8:], *REDIRECT_ENTRIES, *VICTIMS]
STORED_AS = {"redirect-ok": "redirect-target"}

assert set(MATRIX) | set(PINNED) <= set(ARTICLE_FAULTS)
assert {f[len(VICTIM):] for f in VICTIMS} <= set(ARTICLE_FAULTS)


def site(fault: str) -> str:
    return SITE + article_path(STORED_AS.get(fault, fault))


def _env(monkeypatch, tmp: Path) -> Path:
    """The crawl subprocess imports ``faults_server`` (the resolver) and logs every lookup."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT / "tests"), os.environ.get("PYTHONPATH")])))
    log = tmp / "dns.log"
    monkeypatch.setenv("ALMODON_TEST_DNS_LOG", str(log))
    return log


def _looked_up(log: Path) -> set[str]:
    return set(log.read_text().split()) if log.exists() else set()


def _snapshot(db) -> dict[str, tuple]:
    return {r["url"]: (r["version"], r["content_hash"], r["headline"], r["body"])
            for r in query(db, "SELECT url, version, content_hash, headline, body FROM articles")}


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    """Run 1: every fault and every victim (still good). Run 2: the same URLs, victims now faulty."""
    tmp = tmp_path_factory.mktemp("faults")
    db = tmp / "faults.db"
    with pytest.MonkeyPatch.context() as mp, FaultServer(feeds="broken", robots_delay=0.5) as srv:
        dns_log = _env(mp, tmp)
        args = {"url": ",".join(srv.url(f) for f in URLS)}
        first = run_crawl(srv.base_url, db, mode="urls", args=args, settings=SETTINGS)
        hits1, times1, hosts1 = dict(srv.counts), {f: srv.times(f) for f in URLS}, srv.hosts_seen()
        snap1 = _snapshot(db)
        versions1 = query(db, "SELECT count(*) FROM article_versions")[0][0]
        srv.reset_counts()
        srv.phase = 2
        never_answer = [*TIMEOUT_FAULTS, *(VICTIM + f for f in TIMEOUT_FAULTS)]  # the victims too, now
        second = run_crawl(srv.base_url, db, mode="urls", args=args, settings={
            **SETTINGS, "ALMODON_TEST_SHORT_TIMEOUT": f"{SHORT_TIMEOUT}:{','.join(never_answer)}"})
        hits2, hosts2 = dict(srv.counts), srv.hosts_seen()
    return {"db": db, "runs": (first, second), "hits": (hits1, hits2), "times": times1,
            "hosts": hosts1 | hosts2, "snap1": snap1, "versions1": versions1, "dns": _looked_up(dns_log)}


def _skips(db, run_id: int) -> dict[str, list[tuple[str, str, int | None]]]:
    out: dict[str, list] = {}
    for r in query(db, "SELECT url, reason, detail, http_status FROM skipped_pages WHERE run_id = ?", run_id):
        out.setdefault(r["url"], []).append((r["reason"], r["detail"], r["http_status"]))
    return out


def _kind(db, run_id: int, reason: str) -> str:
    (run,) = query(db, "SELECT skipped_reasons, failed_reasons FROM crawl_runs WHERE id = ?", run_id)
    if reason in json.loads(run["skipped_reasons"]):
        return "skipped"
    return "blocked" if reason.startswith("blocked_") else "failed"


# -- the run goes on ------------------------------------------------------------------------------


def test_both_runs_finish_ok_with_exit_zero(matrix):
    for run_id, result in enumerate(matrix["runs"], 1):
        assert result.returncode == 0, result.stderr[-3000:]
        (run,) = query(matrix["db"], "SELECT status, exit_code, finish_reason FROM crawl_runs WHERE id = ?", run_id)
        assert tuple(run) == ("ok", 0, "finished")
        assert "Traceback" not in result.stderr, result.stderr[-3000:]


def test_the_database_is_intact(matrix):
    db = matrix["db"]
    assert query(db, "PRAGMA integrity_check")[0][0] == "ok"
    assert query(db, "PRAGMA foreign_key_check") == []
    urls = [r[0] for r in query(db, "SELECT url FROM articles")]
    assert len(urls) == len(set(urls))


# -- retried or skipped, logged and counted -------------------------------------------------------


@pytest.mark.parametrize("fault", list(MATRIX))
def test_fault_outcome(matrix, fault):
    """Each fault: stored (once), or exactly one skipped_pages row with the expected reason;
    retried exactly when it should be; logged with its reason."""
    db = matrix["db"]
    outcome, reasons, hits = MATRIX[fault]
    seen = matrix["hits"][0].get(article_path(fault), 0)
    lo, hi = hits if isinstance(hits, tuple) else (hits, hits)
    assert lo <= seen <= hi, f"{fault}: {seen} requests, expected {hits}"
    skips = _skips(db, 1).get(site(fault), [])
    stored = query(db, "SELECT headline FROM articles WHERE url = ?", site(fault))
    if outcome == "stored":
        assert len(stored) == 1 and not skips, skips
        return
    assert not stored
    assert len(skips) == 1, skips
    reason = skips[0][0]
    assert reason in reasons, skips
    assert _kind(db, 1, reason) == outcome
    label = {"skipped": "Skipped", "failed": "Failed", "blocked": "Blocked"}[outcome]
    logged = re.compile(rf"INFO: (?:{label}|Skipped) {re.escape(site(fault))}: {re.escape(reason)}\b")
    assert logged.search(matrix["runs"][0].stderr), f"{fault}: no log line for {reason}"


def test_crawl_runs_counts_match_the_skipped_pages(matrix):
    db = matrix["db"]
    for run_id in (1, 2):
        (run,) = query(db, "SELECT * FROM crawl_runs WHERE id = ?", run_id)
        skipped, failed = json.loads(run["skipped_reasons"]), json.loads(run["failed_reasons"])
        rows = Counter(r[0] for r in query(db, "SELECT reason FROM skipped_pages WHERE run_id = ?", run_id))
        assert rows == Counter(skipped) + Counter(failed)
        assert run["skipped"] == sum(skipped.values()) and run["failed"] == sum(failed.values())
        assert run["blocked"] == sum(v for k, v in failed.items() if k.startswith("blocked_"))
    (run,) = query(db, "SELECT new FROM crawl_runs WHERE id = 1")
    stored = {r[0] for r in query(db, "SELECT url FROM articles")}
    expected = {site(f) for f, (o, _, _) in MATRIX.items() if o == "stored"} | {site(v) for v in VICTIMS}
    assert run["new"] == len(stored)
    assert stored == expected


def test_retries_come_back_and_are_stored_once(matrix):
    db = matrix["db"]
    for fault in ("http-503-twice", "http-429-once"):
        (row,) = query(db, "SELECT headline, version FROM articles WHERE url = ?", site(fault))
        assert tuple(row) == (GOOD_HEADLINE, 1)
    assert query(db, "SELECT count(*) FROM article_versions v JOIN articles a ON a.id = v.article_id "
                     "WHERE a.url IN (?, ?)", site("http-503-twice"), site("http-429-once"))[0][0] == 2


def test_decoding_headers_meta_and_detection(matrix):
    db = matrix["db"]
    for fault, encoding in [("ok-a", "utf-8"), ("charset-missing", "utf-8"), ("charset-bogus", "utf-8"),
                            ("cp1256-declared", "cp1256"), ("cp1256-undeclared", "cp1256"),
                            ("html-tagsoup", "utf-8"), ("html-nul", "utf-8")]:
        (row,) = query(db, "SELECT headline, encoding, body FROM articles WHERE url = ?", site(fault))
        assert (row["headline"], row["encoding"]) == (GOOD_HEADLINE, encoding), fault
        assert "\x00" not in row["body"] and "\ufffd" not in row["headline"]
    ok_body = query(db, "SELECT body FROM articles WHERE url = ?", site("ok-a"))[0][0]
    for fault in ("cp1256-declared", "cp1256-undeclared", "charset-missing", "html-tagsoup"):
        assert query(db, "SELECT body FROM articles WHERE url = ?", site(fault))[0][0] == ok_body, fault


def test_invalid_bytes_become_replacement_characters_nothing_else_is_lost(matrix):
    db = matrix["db"]
    ok = json.loads(query(db, "SELECT paragraphs FROM articles WHERE url = ?", site("ok-a"))[0][0])
    (row,) = query(db, "SELECT headline, paragraphs FROM articles WHERE url = ?", site("html-bad-utf8"))
    paragraphs = json.loads(row["paragraphs"])
    assert row["headline"] == GOOD_HEADLINE and any("\ufffd" in p for p in paragraphs)
    text = " ".join(paragraphs).replace("\ufffd", " ")
    assert all(p in text for p in ok)


def test_an_unclosed_div_in_the_header_keeps_the_dates(matrix):
    db = matrix["db"]
    cols = "published_date, published_raw, modified_at"
    (good,) = query(db, f"SELECT {cols} FROM articles WHERE url = ?", site("ok-a"))
    (row,) = query(db, f"SELECT {cols} FROM articles WHERE url = ?", site("html-unclosed-div"))
    assert tuple(row) == tuple(good)


def test_a_wrong_latin1_header_charset_does_not_store_mojibake(matrix):
    (row,) = query(matrix["db"], "SELECT headline FROM articles WHERE url = ?", site("charset-wrong"))
    assert row[0] == GOOD_HEADLINE


def test_size_caps_stop_reading_and_nothing_is_archived(matrix):
    db, stderr = matrix["db"], matrix["runs"][0].stderr
    for fault in ("oversized", "oversized-chunked", "gzip-bomb"):
        assert not query(db, "SELECT 1 FROM raw_pages WHERE url = ?", site(fault)), fault
    (detail,) = [d for r, d, _ in _skips(db, 1)[site("gzip-bomb")]]
    assert "DOWNLOAD_MAXSIZE" in detail
    assert re.search(r"gzip-bomb> because its body \(\d+ B compressed, \d+ B decompressed so far\)", stderr)


def test_entities_are_never_expanded_nor_loaded(matrix):
    """Billion laughs and an external entity in an article page: stored as the literal text a
    browser shows, nothing expanded, no file read."""
    db = matrix["db"]
    (laughs,) = query(db, "SELECT headline, body FROM articles WHERE url = ?", site("billion-laughs"))
    assert laughs["headline"] == GOOD_HEADLINE + " &lol9;"
    (xxe,) = query(db, "SELECT headline FROM articles WHERE url = ?", site("xxe"))
    assert xxe["headline"] == GOOD_HEADLINE + " &xxe;"
    assert query(db, "SELECT count(*) FROM articles WHERE body LIKE '%lollol%' OR headline LIKE '%lollol%'")[0][0] == 0


# -- nothing stored is lost or corrupted ----------------------------------------------------------


def test_second_run_loses_nothing(matrix):
    db, before = matrix["db"], matrix["snap1"]
    after = _snapshot(db)
    assert set(after) == set(before)
    changed = {u for u in before if after[u] != before[u]}
    allowed = {site(VICTIM + f) for f in NEW_VERSION}
    assert changed <= allowed, sorted(changed - allowed)
    for fault in NEW_VERSION:  # a new version, the old one kept
        url = site(VICTIM + fault)
        assert after[url][0] == 2 and after[url][1] != before[url][1]
        versions = query(db, "SELECT v.version, v.headline FROM article_versions v JOIN articles a "
                             "ON a.id = v.article_id WHERE a.url = ? ORDER BY v.version", url)
        assert tuple(versions[0]) == (1, GOOD_HEADLINE)
    for fault in DEGRADED:  # kept as a flagged version, never shown
        url = site(VICTIM + fault)
        assert after[url] == before[url]
        versions = query(db, "SELECT v.version, v.degraded FROM article_versions v JOIN articles a "
                             "ON a.id = v.article_id WHERE a.url = ? ORDER BY v.version", url)
        # both rules fire: U+FFFD in the text, and the decoder's invalid_bytes encoding flag
        assert [tuple(v) for v in versions] == [(1, None), (2, "replacement_chars,invalid_bytes")]
    grew = query(db, "SELECT count(*) FROM article_versions")[0][0] - matrix["versions1"]
    assert grew == len(NEW_VERSION) + len(DEGRADED)
    assert query(db, "SELECT degraded FROM crawl_runs WHERE id = 2")[0][0] >= len(DEGRADED)


@pytest.mark.parametrize("fault", HARMLESS_FOR_STORED)
def test_a_stored_page_turning_into_a_fault_is_kept_as_it_was(matrix, fault):
    db, url = matrix["db"], site(VICTIM + fault)
    assert _snapshot(db)[url] == matrix["snap1"][url]
    (row,) = query(db, "SELECT headline, version FROM articles WHERE url = ?", url)
    assert tuple(row) == (GOOD_HEADLINE, 1)
    outcome, reasons, _ = MATRIX.get(fault, ("stored", None, 0))
    skips = _skips(db, 2).get(url, [])
    if outcome == "stored":
        assert not skips
    else:
        assert [s[0] for s in skips] and skips[0][0] in reasons, skips


def test_a_stored_page_served_with_a_wrong_charset_is_not_overwritten_with_mojibake(matrix):
    url = site(VICTIM + "charset-wrong")
    assert _snapshot(matrix["db"])[url] == matrix["snap1"][url]


# -- redirects ------------------------------------------------------------------------------------


def test_no_request_ever_left_the_site(matrix):
    """Redirects to evil.example (and a look-alike, and file://) are refused before any
    connection: no lookup of the name, no request with that Host."""
    assert matrix["hosts"] == {"127.0.0.1"}
    assert matrix["dns"] <= {"127.0.0.1"}
    assert not [p for hits in matrix["hits"] for p in hits if p.endswith("offsite-target")]


def test_a_redirect_on_the_site_is_followed_and_remembered(matrix):
    db = matrix["db"]
    (row,) = query(db, "SELECT a.url FROM article_aliases x JOIN articles a ON a.id = x.article_id WHERE x.url = ?",
                   SITE + article_path("redirect-ok"))
    assert row[0] == site("redirect-ok")


@pytest.mark.parametrize("fault", ["loop-a", "loop-self"])
def test_a_redirect_loop_is_a_counted_skip(matrix, fault):
    assert matrix["hits"][0][article_path(fault)] == 1
    skips = _skips(matrix["db"], 1).get(site(fault), [])
    assert [s[0] for s in skips] == ["redirect_loop"]


def test_every_url_asked_for_is_stored_or_counted(matrix):
    """The invariant behind the matrix: no URL given to the crawl vanishes without a trace."""
    db = matrix["db"]
    stored = {r[0] for r in query(db, "SELECT url FROM articles")}
    aliases = {r[0] for r in query(db, "SELECT url FROM article_aliases")}
    counted = set(_skips(db, 1))
    lost = [f for f in URLS if site(f) not in stored | aliases | counted]
    assert lost == []


def test_a_redirect_loop_is_not_followed_forever(matrix):
    hits = matrix["hits"][0]
    loops = ("loop-a", "loop-b", "loop-self", "pair-a", "pair-b")
    assert [hits[article_path(f)] for f in loops] == [1] * len(loops)
    assert not query(matrix["db"], "SELECT 1 FROM articles WHERE url LIKE ?", f"%{PREFIX}loop-%")


def test_a_long_redirect_chain_is_cut(matrix):
    hits = matrix["hits"][0]
    followed = [i for i in range(1, 10) if hits.get(article_path(f"chain-{i}"))]
    assert followed == list(range(1, 7))  # REDIRECT_MAX_TIMES = 5 hops
    assert not query(matrix["db"], "SELECT 1 FROM articles WHERE url LIKE ?", f"%{PREFIX}chain-%")
    assert sum(r["reason"].startswith("redirect_") for r in query(
        matrix["db"], "SELECT reason FROM skipped_pages WHERE run_id = 1 AND url LIKE ?", f"%{PREFIX}chain-%")) == 1


def test_a_long_redirect_chain_is_counted_at_the_url_asked_for(matrix):
    skips = _skips(matrix["db"], 1)
    assert [s[0] for s in skips.get(site("chain-1"), [])] == ["redirect_too_many"]


def test_retry_after_is_honoured(matrix):
    first, second = matrix["times"]["http-429-once"]
    assert second - first >= 2


def test_robots_txt_is_obeyed_by_every_request(matrix):
    assert matrix["hits"][0].get(article_path("robots-disallowed"), 0) == 0
    skips = _skips(matrix["db"], 1).get(site("robots-disallowed"), [])
    assert [s[0] for s in skips] == ["robots_disallowed"]


# -- robots.txt, sitemaps, RSS --------------------------------------------------------------------


def _feeds_crawl(tmp_path, monkeypatch, feeds: str, mode: str = "archive"):
    db = tmp_path / f"{feeds}.db"
    dns_log = _env(monkeypatch, tmp_path)
    with FaultServer(feeds=feeds) as srv:
        args = {"since": "2024-04-01", "until": "2024-04-30"} if mode == "archive" else None
        result = run_crawl(srv.base_url, db, mode=mode, args=args, settings=SETTINGS)
        requests = list(srv.requests)
    assert result.returncode == 0, result.stderr[-3000:]
    assert query(db, "PRAGMA integrity_check")[0][0] == "ok"
    (run,) = query(db, "SELECT * FROM crawl_runs")
    assert run["status"] == "ok"
    return db, run, requests, _looked_up(dns_log), result


@pytest.fixture(scope="module")
def broken_feeds(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        return _feeds_crawl(tmp_path_factory.mktemp("broken"), mp, "broken")


def test_broken_sitemaps_and_feed_are_counted_and_the_rest_is_read(broken_feeds):
    db, run, requests, dns, _ = broken_feeds
    stored = {r[0] for r in query(db, "SELECT url FROM articles")}
    # good sitemap, truncated sitemap (what precedes the cut), truncated RSS (the whole first item)
    assert stored == {site("ok-a"), site("ok-b"), site("redirect-target")}
    skips = {(r["url"].rsplit("/", 1)[-1], r["reason"]) for r in query(db, "SELECT url, reason FROM skipped_pages")}
    assert {("2024-04-html.xml", "bad_sitemap"), ("2024-04-wrongroot.xml", "bad_sitemap"),
            ("2024-04-empty.xml", "bad_sitemap"), ("2024-04-500.xml", "http_500"),
            ("http-404", "http_404")} <= skips
    paths = Counter(p for _, _, p in requests)
    assert paths["/sitemaps/2024-04-500.xml"] == R
    # an external entity in a sitemap <loc> is dropped, never loaded
    assert paths[PREFIX + "xxe-"] == 1 and not [p for p in paths if p.startswith(PREFIX + "xxe-") and p != PREFIX + "xxe-"]
    # a sitemap on another host named by the index is not fetched
    assert {h.split(":")[0] for _, h, _ in requests} == {"127.0.0.1"} and dns <= {"127.0.0.1"}
    skipped = json.loads(run["skipped_reasons"])
    assert skipped["bad_sitemap"] >= 3 and run["skipped"] == sum(skipped.values())


def test_a_billion_laughs_sitemap_is_counted(broken_feeds):
    db = broken_feeds[0]
    reasons = {r["url"].rsplit("/", 1)[-1]: r["reason"] for r in query(db, "SELECT url, reason FROM skipped_pages")}
    assert reasons.get("2024-04-laughs.xml") == "bad_sitemap"


def test_billion_laughs_in_feed_and_sitemap_expand_nothing(tmp_path, monkeypatch):
    db, run, requests, _, _ = _feeds_crawl(tmp_path, monkeypatch, "laughs")
    assert json.loads(run["skipped_reasons"]).get("bad_feed") == 1
    assert not [p for _, _, p in requests if "lol" in p]
    assert query(db, "SELECT count(*) FROM articles")[0][0] == 0


@pytest.mark.parametrize("feeds", ["robots-500", "robots-garbage"])
def test_a_broken_robots_txt_does_not_stop_the_crawl(tmp_path, monkeypatch, feeds):
    db, run, _, _, _ = _feeds_crawl(tmp_path, monkeypatch, feeds, mode="latest")
    assert [r[0] for r in query(db, "SELECT url FROM articles")] == [site("ok-a")]
    if feeds == "robots-500":
        failed = json.loads(run["failed_reasons"])
        assert failed == {"http_500": 1}  # the spider's own robots.txt request, counted


def test_a_robots_txt_redirecting_off_the_site_is_not_followed(tmp_path, monkeypatch):
    _, _, requests, dns, _ = _feeds_crawl(tmp_path, monkeypatch, "robots-offsite", mode="latest")
    assert {h.split(":")[0] for _, h, _ in requests} == {"127.0.0.1"}
    assert EVIL_HOST not in dns


def test_refresh_never_follows_a_redirect_off_the_site(tmp_path, monkeypatch):
    db = tmp_path / "refresh.db"
    dns_log = _env(monkeypatch, tmp_path)
    with FaultServer() as srv:
        names = ["ok-a", "ok-b"]
        assert run_crawl(srv.base_url, db, mode="urls", args={"url": ",".join(map(srv.url, names))},
                         settings=SETTINGS).returncode == 0
        before = _snapshot(db)
        srv.overrides.update({"ok-a": "redirect-offsite", "ok-b": "refresh-offsite"})
        result = run_crawl(srv.base_url, db, mode="refresh", settings={**SETTINGS, "ALMODON_REFRESH_POLICY": "*:0"})
        hosts = srv.hosts_seen()
    assert result.returncode == 0, result.stderr[-3000:]
    assert _snapshot(db) == before
    assert hosts == {"127.0.0.1"} and EVIL_HOST not in _looked_up(dns_log)
    reasons = {r["url"]: r["reason"] for r in query(db, "SELECT url, reason FROM skipped_pages WHERE run_id = 2")}
    assert reasons.get(site("ok-a")) == "redirect_offsite"


@pytest.mark.parametrize(
    ("name", "detail", "reason"),
    [
        ("DownloadFailedError", "Connection was closed cleanly.", "connection_lost"),
        ("ResponseDataLossError", "", "truncated"),
        ("DownloadCancelledError", "", "too_large"),
        ("IgnoreRequest", "Ignored response … exceeded DOWNLOAD_MAXSIZE during decompression.", "too_large"),
        ("IgnoreRequest", "Forbidden by robots.txt", "robots_disallowed"),
        ("error", "Error -3 while decompressing data", "bad_encoding"),
        ("SomethingNew", "", "SomethingNew"),
    ],
)
def test_transport_failures_get_readable_reasons(name, detail, reason):
    from scrapers.spiders.almodon import failure_reason

    assert failure_reason(name, detail) == reason


@pytest.mark.parametrize(
    ("content_type", "reason"),
    [("application/pdf", "not_html"), ("image/jpeg", "not_html"), ("application/json; charset=utf-8", "not_html"),
     ("text/html; charset=utf-8", None), ("application/xhtml+xml", None), (None, None)],
)
def test_non_html_responses_are_skipped_before_extraction(content_type, reason):
    from pipelines.archive import Fetched
    from pipelines.process import Rejected, extract_record

    seed = Path(__file__).parent / "fixtures" / "almodon" / "seed-2024-04-26.html"
    page = Fetched(url="https://www.almodon.com/arabworld/2024/04/26/x", body=seed.read_bytes(),
                   headers={"content-type": content_type} if content_type else {})
    if reason is None:
        assert extract_record(page)["headline"]
    else:
        with pytest.raises(Rejected) as err:
            extract_record(page)
        assert err.value.reason == reason
