"""The almodon.com replica (tests/replica) serves what the spider will meet on the real site."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import quote, unquote, urlsplit
from urllib.request import HTTPRedirectHandler, Request, build_opener

import lxml.html
import pytest
from replica.pages import FIXTURES, LISTING_SIZE, SITE, author_uuid
from replica.server import Replica

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
CARD_LINKS = '//div[@class="w-full lg:w-1/2 lg:px-3 mb-6"]//h2/a/@href'


class _NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = build_opener(_NoRedirect)


def get(rep: Replica, path: str, method: str = "GET", **headers: str) -> tuple[int, dict, bytes]:
    """(status, headers, body) of one request, redirects not followed, errors not raised."""
    url = path if path.startswith("http") else rep.url(path)
    try:
        with _OPENER.open(Request(url, headers=headers, method=method), timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except HTTPError as err:
        with err:
            return err.code, dict(err.headers), err.read()


def on_replica(link: str) -> str:
    """A link as printed by the site (absolute almodon.com or relative) → decoded site path."""
    parts = urlsplit(link)
    assert parts.netloc in ("", "www.almodon.com"), link
    return unquote(parts.path) + (f"?{parts.query}" if parts.query else "")


def goldens() -> list[tuple[Path, dict]]:
    return [(p, json.loads(p.read_text(encoding="utf-8"))) for p in sorted(FIXTURES.glob("*.json"))]


def served_articles() -> set[str]:
    """Decoded paths of every article golden the replica must serve, read independently of it."""
    return {
        unquote(urlsplit(g["_fixture"]["original_url"]).path)
        for _, g in goldens()
        if g.get("_fixture", {}).get("original_url")
        and g["_fixture"].get("in_replica") is not False
        and g["_fixture"].get("expect") != "not_article"
    }


def fixture_path(stem: str) -> str:
    g = json.loads((FIXTURES / f"{stem}.json").read_text(encoding="utf-8"))
    return unquote(urlsplit(g["_fixture"]["original_url"]).path)


@pytest.fixture(scope="module")
def rep():
    with Replica(port=0) as r:
        yield r


@pytest.fixture
def fresh():
    with Replica(port=0) as r:
        yield r


def test_base_url_and_request_log(fresh):
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", fresh.base_url)
    get(fresh, "/robots.txt")
    get(fresh, "/no/such/page")
    assert fresh.requests == [("GET", "/robots.txt", 200), ("GET", "/no/such/page", 404)]
    assert fresh.fetched("/robots.txt") == 1


def test_every_fixture_is_served_as_is(rep):
    for golden_path, g in goldens():
        fx = g.get("_fixture", {})
        if not fx.get("original_url") or fx.get("in_replica") is False:
            continue
        status, headers, body = get(rep, unquote(urlsplit(fx["original_url"]).path))
        assert status == 200, golden_path.name
        assert body == golden_path.with_suffix(".html").read_bytes(), golden_path.name
        charset = fx.get("charset")
        assert headers["Content-Type"] == (
            f"text/html; charset={charset}" if charset else "text/html"
        )
        assert headers["ETag"] and "Date" in headers
        if fx.get("expect") != "not_article":
            assert parsedate_to_datetime(headers["Last-Modified"])


def test_robots_names_the_sitemap(rep):
    status, headers, body = get(rep, "/robots.txt")
    text = body.decode()
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert "Disallow: /search" in text and "Disallow: /admin" in text
    assert "Sitemap: https://www.almodon.com/sitemap.xml" in text.splitlines()


def test_without_sitemap_discovery_is_rss_and_listings():
    with Replica(port=0, sitemap=False) as r:
        _, _, body = get(r, "/robots.txt")
        assert "Disallow: /search" in body.decode() and "sitemap" not in body.decode().lower()
        assert get(r, "/sitemap.xml")[0] == 404
        assert get(r, "/rss")[0] == 200 and get(r, "/politics")[0] == 200


def test_sitemap_index_lists_every_article(rep):
    status, headers, body = get(rep, "/sitemap.xml")
    assert status == 200 and "xml" in headers["Content-Type"]
    index = ET.fromstring(body)
    assert index.tag == f"{SM}sitemapindex"
    seen: set[str] = set()
    for sitemap in index.iter(f"{SM}sitemap"):
        loc = sitemap.findtext(f"{SM}loc")
        assert re.fullmatch(r"https://www\.almodon\.com/sitemaps/\d{4}-\d{2}\.xml", loc)
        assert sitemap.findtext(f"{SM}lastmod")
        status, _, monthly = get(rep, on_replica(loc))
        assert status == 200
        for url in ET.fromstring(monthly).iter(f"{SM}url"):
            page = url.findtext(f"{SM}loc")
            assert page.startswith(SITE) and page.isascii()  # percent-encoded like the live site
            assert re.match(r"\d{4}-\d{2}-\d{2}", url.findtext(f"{SM}lastmod"))
            seen.add(on_replica(page))
    assert seen == served_articles()
    for path in seen:
        assert get(rep, path, method="HEAD")[0] == 200


def test_rss_has_the_latest_items(rep):
    status, headers, body = get(rep, "/rss")
    assert status == 200 and headers["Content-Type"].startswith("application/rss+xml")
    channel = ET.fromstring(body).find("channel")
    items = channel.findall("item")
    entries = rep.site.entries
    assert len(items) == min(20, len(entries)) > 0
    dates = [parsedate_to_datetime(i.findtext("pubDate")) for i in items]
    assert dates == sorted(dates, reverse=True)
    assert dates[0] == max(e.published for e in entries)
    for item in items:
        assert item.findtext("title") and item.findtext("description")
        assert item.findtext("guid") == item.findtext("link")
        assert on_replica(item.findtext("link")) in served_articles()


def test_section_listings_paginate_over_every_article(rep):
    sections = {e.section for e in rep.site.entries}
    for section in sections:
        path, links, pages, forms = f"/{section}", [], 0, set()
        while path:
            status, _, body = get(rep, path)
            assert status == 200, path
            tree = lxml.html.fromstring(body)
            hrefs = tree.xpath(CARD_LINKS)
            assert 0 < len(hrefs) <= LISTING_SIZE
            dates = tree.xpath(
                '//div[@class="w-full lg:w-1/2 lg:px-3 mb-6"]//span[contains(@class, "date")]/text()'
            )
            assert len(dates) == len(hrefs) and all(
                re.fullmatch(r"\d{4}/\d{2}/\d{2}", d) for d in dates
            )
            forms |= {h.startswith("https://") for h in hrefs}
            links += [on_replica(h) for h in hrefs]
            nxt = tree.xpath('//a[@rel="next"]/@href')
            path, pages = (on_replica(nxt[0]) if nxt else None), pages + 1
        expected = [e.path for e in rep.site.entries if e.section == section]
        assert links == expected  # newest first, each once
        if len(expected) > 1:
            assert forms == {True, False}  # relative and absolute hrefs both occur
        assert get(rep, f"/{section}?page={pages + 1}")[0] == 404
    assert get(rep, "/opinion")[0] == 200  # a section with no article is an empty listing


def test_author_listing_endpoint_pages(rep):
    authors = {a for e in rep.site.entries for a in e.authors}
    assert authors
    for name in authors:
        uid, page, seen = author_uuid(name), 1, []
        while True:
            status, _, body = get(rep, f"/getallauthorarticles/{page}/{uid}")
            assert status == 200
            items = lxml.html.fromstring(body or b"<div/>").xpath(
                '//div[@class="left-right-wrapper"]'
            )
            if not items:
                break
            for item in items:
                href = item.xpath(".//a/@href")[0]
                assert href.startswith("/") and not href.startswith("//")
                assert re.fullmatch(
                    r"\d{4}/\d{2}/\d{2}", item.xpath('.//span[@class="date"]/text()')[0]
                )
                seen.append(unquote(href))
            page += 1
        assert seen == [e.path for e in rep.site.entries if name in e.authors]
        status, _, body = get(rep, f"/author/{uid}")  # generated, or the x-author fixture
        assert status == 200 and name in body.decode()
        first = lxml.html.fromstring(body).xpath('//div[@class="left-right-wrapper"]//a/@href')
        assert [unquote(h) for h in first] == seen[: len(first)] and first
    assert get(rep, "/getallauthorarticles/1/00000000-0000-0000-0000-000000000000")[0] == 404


def test_numeric_era_links_redirect_or_404(rep):
    for e in rep.site.entries:
        status, headers, _ = get(rep, e.numeric_path)
        assert status == 301 and headers["Location"] == quote(e.path)
        assert get(rep, headers["Location"])[0] == 200
    culture = fixture_path("g-2015-02-10-culture-cp1256")
    assert get(rep, "/Culture/Articles/9871")[1]["Location"] == quote(culture)
    assert get(rep, "/ArabWorld/Articles/9871")[0] == 301  # the section segment is not checked
    for n in (10392, 10401):
        assert get(rep, f"/ArabWorld/Articles/{n}")[0] == 404
    old = get(rep, fixture_path("g-2015-05-01-politics"))[2].decode()
    assert "/Culture/Articles/9871" in old and "/ArabWorld/Articles/10392" in old


def test_unknown_paths_are_real_404s(rep):
    status, headers, body = get(rep, "/politics/2099/01/01/no-such-article")
    assert status == 404 and headers["Content-Type"].startswith("text/html")
    assert "الصفحة غير موجودة" in body.decode()
    path = fixture_path("g-2015-05-01-politics")
    assert get(rep, path + "/")[0] == 200  # trailing slash tolerated
    assert get(rep, path.upper())[0] == 404  # other spellings are not
    assert get(rep, "/politics?page=abc")[0] == 404


def test_soft404_tag_search_and_author_pages_answer_200(rep):
    assert rep.site.reasons.get("soft404")
    home = get(rep, "/")[2].decode()
    for path in rep.site.reasons["soft404"]:
        status, _, body = get(rep, path)
        assert status == 200 and "الصفحة غير موجودة" in body.decode()
        assert SITE + quote(path) in home
    for path in rep.site.reasons["tag"]:
        assert get(rep, path)[0] == 200 and SITE + quote(path) in home
    assert get(rep, "/search?q=" + quote("لبنان"))[0] == 200
    assert get(rep, fixture_path("x-author"))[2] == (FIXTURES / "x-author.html").read_bytes()


def test_home_page_links_latest_sections_and_archive(rep):
    status, _, body = get(rep, "/")
    assert status == 200
    tree = lxml.html.fromstring(body)
    latest = [on_replica(h) for h in tree.xpath(CARD_LINKS)]
    assert latest == [e.path for e in rep.site.entries[:10]]
    nav = {on_replica(h) for h in tree.xpath("//nav//a/@href")}
    assert {"/politics", "/arabworld", "/economy", "/culture"} <= nav
    archive = [on_replica(h) for h in tree.xpath('//aside[@class="archive-box"]//a/@href')]
    assert any(re.fullmatch(r"/[A-Za-z]+/Articles/\d+", p) for p in archive)


def test_generated_pages_never_print_the_replica_host(rep):
    paths = ["/", "/rss", "/robots.txt", "/sitemap.xml", "/politics", "/authors"]
    for path in paths:
        assert b"127.0.0.1" not in get(rep, path)[2], path


def test_windows_1256_pages_decode(rep):
    status, headers, body = get(rep, fixture_path("g-2015-02-10-culture-cp1256"))
    assert headers["Content-Type"] == "text/html; charset=windows-1256"
    assert "مسرح المدينة يستعيد جمهوره" in body.decode("cp1256")
    status, headers, body = get(rep, fixture_path("g-2015-03-03-economy-cp1256-nocharset"))
    assert status == 200 and headers["Content-Type"] == "text/html"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    text = body.decode("cp1256")
    assert 'charset=windows-1256"' in text and "المرفأ يسجّل تراجعاً" in text


def test_conditional_requests_get_304(rep):
    path = fixture_path("g-2015-05-01-politics")
    _, headers, _ = get(rep, path)
    etag, modified = headers["ETag"], headers["Last-Modified"]
    status, headers304, body = get(rep, path, **{"If-None-Match": etag})
    assert status == 304 and body == b"" and headers304["ETag"] == etag
    assert get(rep, path, **{"If-None-Match": f'"other", W/{etag}'})[0] == 304
    assert get(rep, path, **{"If-Modified-Since": modified})[0] == 304
    earlier = format_datetime(parsedate_to_datetime(modified) - timedelta(days=1), usegmt=True)
    assert get(rep, path, **{"If-Modified-Since": earlier})[0] == 200
    assert get(rep, path, **{"If-None-Match": '"other"', "If-Modified-Since": modified})[0] == 200
    assert get(rep, "/", **{"If-None-Match": get(rep, "/")[1]["ETag"]})[0] == 304


def test_block_answers_every_request():
    with Replica(port=0, block=403) as r:
        for path in ("/robots.txt", "/", "/rss", fixture_path("g-2015-05-01-politics")):
            status, headers, body = get(r, path)
            assert (
                status == 403
                and b"Forbidden" in body
                and headers["Content-Type"].startswith("text/html")
            )
        assert [s for _, _, s in r.requests] == [403] * 4
        r.block = None
        assert get(r, "/robots.txt")[0] == 200


def test_set_page_changes_body_and_etag(fresh):
    path = fixture_path("g-2015-05-01-politics")
    _, before, _ = get(fresh, path)
    new = (
        (FIXTURES / "g-2015-05-01-politics.html")
        .read_bytes()
        .replace("النصاب لم يكتمل".encode(), "النصاب اكتمل أخيراً".encode())
    )
    fresh.set_page(quote(path), new)  # encoded or decoded paths both work
    status, after, body = get(fresh, path, **{"If-None-Match": before["ETag"]})
    assert status == 200 and body == new and after["ETag"] != before["ETag"]
    assert parsedate_to_datetime(after["Last-Modified"]) > parsedate_to_datetime(
        before["Last-Modified"]
    )
    assert get(fresh, path, **{"If-Modified-Since": before["Last-Modified"]})[0] == 200
    assert fresh.fetched(path) == 3


def test_mutations_apply_at_start():
    with Replica(port=0, mutations={"/politics/new": b"<html>new</html>"}) as r:
        assert get(r, "/politics/new")[2] == b"<html>new</html>"


def test_cli_serves_until_killed():
    script = Path(__file__).parent / "replica" / "server.py"
    cmd = [sys.executable, str(script), "--port", "0", "--no-sitemap", "--quiet"]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) as proc:
        try:
            base = proc.stdout.readline().strip()
            assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base)
            status, _, body = get(None, base + "/robots.txt")  # type: ignore[arg-type]
            assert status == 200 and b"Sitemap" not in body
        finally:
            proc.terminate()
            proc.wait(timeout=10)
