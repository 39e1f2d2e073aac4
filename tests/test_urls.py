"""Tests for pipelines.extract.urls: recognising and canonicalising Al-Modon URLs."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

import pytest
from w3lib.url import canonicalize_url, safe_url_string

from pipelines.extract.urls import (
    CANONICAL_BASE,
    SITE_HOSTS,
    UrlInfo,
    canonicalize,
    classify,
    to_fetch_url,
    to_site_url,
)

B = CANONICAL_BASE
REPLICA = "127.0.0.1:8123"
UUID = "26575731-1b58-425a-83ed-4d7a3f311701"
AUTHOR = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
SLUG = "ايران-وروسيا"
SLUG_ENC = quote(SLUG)  # upper-case hex, as w3lib produces
SLUG_LOWER_HEX = SLUG_ENC.lower()
SLUG2 = "أزمة-المصارف-في-لبنان"
SLUG2_ENC = quote(SLUG2)
ART3 = f"{B}/arabworld/2024/04/26/{SLUG_ENC}"

# (url, extra_hosts, kind, canonical)
CASES = [
    # --- era 1: /<Section>/Articles/<number>
    ("http://almodon.com/ArabWorld/Articles/10392", (), "article", f"{B}/arabworld/articles/10392"),
    (
        "https://www.almodon.com/arabworld/articles/10392",
        (),
        "article",
        f"{B}/arabworld/articles/10392",
    ),
    (
        "http://www.almodon.com/Politics/Articles/0010392/",
        (),
        "article",
        f"{B}/politics/articles/10392",
    ),
    (
        "http://almodon.com/Economy/ARTICLES/77?print=1#top",
        (),
        "article",
        f"{B}/economy/articles/77",
    ),
    # --- era 2: /<section>/<uuid>
    (f"http://www.almodon.com/politics/{UUID}", (), "article", f"{B}/politics/{UUID}"),
    (f"https://almodon.com/Politics/{UUID.upper()}/", (), "article", f"{B}/politics/{UUID}"),
    (
        f"http://www.almodon.com/culture/{UUID}?ref=home#comments",
        (),
        "article",
        f"{B}/culture/{UUID}",
    ),
    # --- era 3: /<section>/YYYY/M(M)/D(D)/<slug>
    (f"https://www.almodon.com/arabworld/2024/04/26/{SLUG_ENC}", (), "article", ART3),
    (f"https://www.almodon.com/arabworld/2024/04/26/{SLUG}", (), "article", ART3),
    (f"http://almodon.com/arabworld/2024/04/26/{SLUG_LOWER_HEX}", (), "article", ART3),
    (f"https://www.almodon.com/ArabWorld/2024/4/26/{SLUG}/", (), "article", ART3),
    (
        f"https://www.almodon.com/arabworld/2024/04/26/{SLUG_ENC}?utm_source=fb#comments",
        (),
        "article",
        ART3,
    ),
    (f"//www.almodon.com/arabworld/2024/04/26/{SLUG_ENC}", (), "article", ART3),
    (f"/arabworld/2024/04/26/{SLUG}", (), "article", ART3),
    (
        f"https://www.almodon.com/politics/2026/01/28/{SLUG2_ENC}",
        (),
        "article",
        f"{B}/politics/2026/01/28/{SLUG2_ENC}",
    ),
    (
        f"https://almodon.com/society/2025/6/2/{SLUG2}",
        (),
        "article",
        f"{B}/society/2025/06/02/{SLUG2_ENC}",
    ),
    (
        "https://www.almodon.com/opinion/2016/11/3/some-latin-slug",
        (),
        "article",
        f"{B}/opinion/2016/11/03/some-latin-slug",
    ),
    (
        f"https://www.almodon.com/politics/2024/02/30/{SLUG_ENC}",
        (),
        "article",
        f"{B}/politics/2024/02/30/{SLUG_ENC}",
    ),
    (
        f"HTTPS://WWW.ALMODON.COM/Media/2023/12/31/{SLUG}",
        (),
        "article",
        f"{B}/media/2023/12/31/{SLUG_ENC}",
    ),
    # --- replica host (extra_hosts) and look-alikes
    (f"http://{REPLICA}/arabworld/2024/04/26/{SLUG_ENC}", (REPLICA,), "article", ART3),
    (
        f"http://{REPLICA}/ArabWorld/Articles/10392",
        (REPLICA,),
        "article",
        f"{B}/arabworld/articles/10392",
    ),
    (f"http://{REPLICA}/politics?page=3", (REPLICA,), "listing", f"{B}/politics?page=3"),
    (f"http://{REPLICA}/arabworld/2024/04/26/{SLUG_ENC}", (), "offsite", None),
    (f"http://127.0.0.1:9999/arabworld/2024/04/26/{SLUG_ENC}", (REPLICA,), "offsite", None),
    (f"https://evil-almodon.com/arabworld/2024/04/26/{SLUG_ENC}", (), "offsite", None),
    (f"https://almodon.com.evil.net/arabworld/2024/04/26/{SLUG_ENC}", (), "offsite", None),
    ("http://almodon.com@evil.net/politics/2024/04/26/x", (), "offsite", None),
    ("http://evil.net\\@almodon.com/politics/2024/04/26/x", (), "offsite", None),
    ("https://www.facebook.com/almodon", (), "offsite", None),
    ("mailto:info@almodon.com", (), "offsite", None),
    ("javascript:void(0)", (), "offsite", None),
    (
        "https://media.almodon.com/uploads/2024/04/26/photo.JPG",
        (),
        "static",
        "https://media.almodon.com/uploads/2024/04/26/photo.JPG",
    ),
    ("https://media.almodon.com/politics", (), "offsite", None),
    # --- home, sections, listings
    ("https://www.almodon.com", (), "home", f"{B}/"),
    ("http://almodon.com/?utm_source=x", (), "home", f"{B}/"),
    ("https://www.almodon.com/?page=2", (), "listing", f"{B}/?page=2"),
    ("https://www.almodon.com/politics", (), "section", f"{B}/politics"),
    ("http://almodon.com/ArabWorld/", (), "section", f"{B}/arabworld"),
    (
        "https://www.almodon.com/politics?page=2&utm_medium=rss",
        (),
        "listing",
        f"{B}/politics?page=2",
    ),
    ("https://www.almodon.com/economy/page/2", (), "listing", f"{B}/economy/page/2"),
    # --- authors, tags, search
    (f"https://www.almodon.com/author/{AUTHOR}", (), "author", f"{B}/author/{AUTHOR}"),
    ("https://www.almodon.com/author/some-writer", (), "author", f"{B}/author/some-writer"),
    (
        f"https://almodon.com/getallauthorarticles/2/{AUTHOR}",
        (),
        "author_listing",
        f"{B}/getallauthorarticles/2/{AUTHOR}",
    ),
    (
        f"http://www.almodon.com/GetAllAuthorArticles/1/{AUTHOR.upper()}",
        (),
        "author_listing",
        f"{B}/getallauthorarticles/1/{AUTHOR}",
    ),
    ("https://www.almodon.com/tag/لبنان", (), "tag", f"{B}/tag/{quote('لبنان')}"),
    ("https://www.almodon.com/tags/iran", (), "tag", f"{B}/tags/iran"),
    ("https://www.almodon.com/search?q=لبنان", (), "search", f"{B}/search?q={quote('لبنان')}"),
    # --- feeds, sitemaps, robots, static
    ("https://www.almodon.com/rss", (), "rss", f"{B}/rss"),
    ("http://almodon.com/rss/politics", (), "rss", f"{B}/rss/politics"),
    ("https://www.almodon.com/sitemap.xml", (), "sitemap", f"{B}/sitemap.xml"),
    ("https://www.almodon.com/sitemap-2024-04.xml", (), "sitemap", f"{B}/sitemap-2024-04.xml"),
    ("https://www.almodon.com/news-sitemap.xml.gz", (), "sitemap", f"{B}/news-sitemap.xml.gz"),
    (
        "https://www.almodon.com/sitemaps/articles-2024.xml",
        (),
        "sitemap",
        f"{B}/sitemaps/articles-2024.xml",
    ),
    ("https://almodon.com/robots.txt", (), "robots", f"{B}/robots.txt"),
    ("https://www.almodon.com/assets/images/logo.png", (), "static", f"{B}/assets/images/logo.png"),
    ("https://www.almodon.com/styles.3f2a1b.css", (), "static", f"{B}/styles.3f2a1b.css"),
    ("https://www.almodon.com/main.9a8b7c.js?v=2", (), "static", f"{B}/main.9a8b7c.js"),
    (
        "https://www.almodon.com/politics/2024/04/26/cover.webp",
        (),
        "static",
        f"{B}/politics/2024/04/26/cover.webp",
    ),
    ("https://www.almodon.com/icons/share.svg", (), "static", f"{B}/icons/share.svg"),
    ("https://www.almodon.com/files/report.pdf", (), "static", f"{B}/files/report.pdf"),
    ("https://www.almodon.com/feeds/latest.xml", (), "rss", f"{B}/feeds/latest.xml"),
    ("https://www.almodon.com/data/export.xml", (), "static", f"{B}/data/export.xml"),
    # --- on-site but not articles
    ("https://www.almodon.com/about", (), "other", f"{B}/about"),
    ("https://www.almodon.com/search/2024/04/26/x", (), "search", f"{B}/search/2024/04/26/x"),
    (f"https://www.almodon.com/tag/{UUID}", (), "tag", f"{B}/tag/{UUID}"),
    ("https://www.almodon.com/politics/2024/04/26", (), "other", f"{B}/politics/2024/04/26"),
    ("https://www.almodon.com/politics/2024/04/26/", (), "other", f"{B}/politics/2024/04/26"),
    (
        "https://www.almodon.com/politics/2024/04/26/slug/extra",
        (),
        "other",
        f"{B}/politics/2024/04/26/slug/extra",
    ),
    ("https://www.almodon.com/politics/not-a-uuid", (), "other", f"{B}/politics/not-a-uuid"),
    ("https://www.almodon.com/politics/24/04/26/x", (), "other", f"{B}/politics/24/04/26/x"),
    ("https://www.almodon.com/pol1tics/2024/04/26/x", (), "other", f"{B}/pol1tics/2024/04/26/x"),
    ("https://www.almodon.com/api/2024/04/26/x", (), "other", f"{B}/api/2024/04/26/x"),
    ("relative/path", (), "other", None),
]


@pytest.mark.parametrize(("url", "extra", "kind", "canonical"), CASES)
def test_classify_table(url, extra, kind, canonical):
    info = classify(url, extra)
    assert (info.kind, info.canonical) == (kind, canonical)
    assert canonicalize(url, extra) == (canonical if kind == "article" else None)
    if kind == "article":
        assert info.is_article
        assert info.era in (1, 2, 3)
        assert info.section and info.section == info.section.lower()
        assert info.key
    else:
        assert (info.era, info.key, info.url_date) == (None, None, None)


def test_table_is_large_enough():
    assert len(CASES) >= 40


@pytest.mark.parametrize("canonical", sorted({c for _, _, _, c in CASES if c}))
def test_canonical_is_a_fixed_point(canonical):
    """A canonical URL classifies to itself and w3lib leaves it unchanged."""
    assert classify(canonical).canonical == canonical
    assert canonicalize_url(canonical) == canonical
    if classify(canonical).kind == "article":
        assert safe_url_string(canonical) == canonical
        assert canonical.startswith(B + "/")
        assert "?" not in canonical and "#" not in canonical and not canonical.endswith("/")


SPELLINGS = {
    "era1": [
        "http://almodon.com/ArabWorld/Articles/10392",
        "https://www.almodon.com/arabworld/articles/10392",
        "http://www.almodon.com/ArabWorld/Articles/10392/",
        "http://almodon.com/ArabWorld/Articles/010392?x=1#y",
        f"http://{REPLICA}/ArabWorld/Articles/10392",
    ],
    "era2": [
        f"http://www.almodon.com/politics/{UUID}",
        f"https://almodon.com/Politics/{UUID.upper()}",
        f"http://www.almodon.com/politics/{UUID}/#comments",
        f"/politics/{UUID}",
        f"http://{REPLICA}/politics/{UUID}",
    ],
    "era3": [
        f"https://www.almodon.com/arabworld/2024/04/26/{SLUG}",
        f"https://www.almodon.com/arabworld/2024/04/26/{SLUG_ENC}",
        f"http://almodon.com/arabworld/2024/04/26/{SLUG_LOWER_HEX}",
        f"http://almodon.com/ArabWorld/2024/4/26/{SLUG}/?utm_source=x#c",
        f"https://www.almodon.com//arabworld/2024/04/26/./{SLUG_ENC}",
        f"https://www.almodon.com/arabworld/2024/04/26/{unicodedata.normalize('NFD', SLUG)}",
        f"http://{REPLICA}/arabworld/2024/04/26/{SLUG_ENC}",
    ],
}


@pytest.mark.parametrize("era", sorted(SPELLINGS))
def test_spellings_share_canonical_and_key(era):
    infos = [classify(u, [REPLICA]) for u in SPELLINGS[era]]
    assert {i.kind for i in infos} == {"article"}
    assert len({i.canonical for i in infos}) == 1
    assert len({i.key for i in infos}) == 1
    assert {i.era for i in infos} == {int(era[-1])}


def test_keys():
    assert classify("http://almodon.com/ArabWorld/Articles/10392").key == "n:10392"
    assert classify(f"http://www.almodon.com/politics/{UUID.upper()}").key == f"u:{UUID}"
    assert classify(f"http://almodon.com/ArabWorld/2024/4/26/{SLUG_ENC}").key == (
        f"d:arabworld/2024/04/26/{SLUG}"
    )


def test_nfc_composes_decomposed_hamza():
    decomposed = "\u0627\u0654زمة"  # alef + combining hamza above
    composed = "\u0623زمة"  # alef with hamza above
    a = classify(f"{B}/politics/2024/04/26/{quote(decomposed)}")
    b = classify(f"{B}/politics/2024/04/26/{composed}")
    assert a.canonical == b.canonical == f"{B}/politics/2024/04/26/{quote(composed)}"
    assert a.key == b.key == f"d:politics/2024/04/26/{composed}"


def test_escapes_inside_slug_survive():
    info = classify(f"{B}/politics/2024/04/26/100%25-a%2Fb")
    assert info.canonical == f"{B}/politics/2024/04/26/100%25-a%2Fb"
    assert classify(f"{B}/politics/2024/04/26/100%-a%2fb").canonical == info.canonical


def test_non_utf8_slug_is_kept_escaped():
    info = classify(f"{B}/politics/2024/04/26/%C7%E1%E3%CF%E4")  # windows-1256 bytes
    assert info.kind == "article"
    assert info.canonical == f"{B}/politics/2024/04/26/%C7%E1%E3%CF%E4"
    assert info.key == "d:politics/2024/04/26/%C7%E1%E3%CF%E4"
    info.key.encode("utf-8")  # storable


@pytest.mark.parametrize(
    ("path", "url_date"),
    [
        ("2024/04/26", "2024-04-26"),
        ("2025/6/2", "2025-06-02"),
        ("2024/02/29", "2024-02-29"),
        ("2024/02/30", None),
        ("2023/02/29", None),
        ("2024/13/01", None),
        ("2024/00/10", None),
        ("2024/4/0", None),
    ],
)
def test_url_date_only_for_real_dates(path, url_date):
    info = classify(f"{B}/politics/{path}/{SLUG}")
    assert info.kind == "article" and info.era == 3
    assert info.url_date == url_date


def test_sections():
    assert classify(f"{B}/Politics").section == "politics"
    assert classify(f"{B}/politics?page=2").section == "politics"
    assert classify(f"{B}/rss/economy").section == "economy"
    assert classify(f"{B}/about").section is None


@pytest.mark.parametrize(
    "reserved",
    [
        "getallauthorarticles",
        "search",
        "tag",
        "tags",
        "author",
        "authors",
        "assets",
        "static",
        "images",
        "uploads",
        "api",
        "rss",
        "sitemap",
        "sitemaps",
        "sitemapindex",
        "about",
        "contact",
    ],
)
def test_reserved_first_segments_are_not_articles(reserved):
    for path in (f"/{reserved}/{UUID}", f"/{reserved}/2024/04/26/x", f"/{reserved}/Articles/5"):
        assert classify(B + path).kind != "article", path
    assert classify(f"{B}/{reserved}").kind != "section"


def test_extra_hosts_forms():
    url = f"http://{REPLICA}/politics/{UUID}"
    assert classify(url, iter([REPLICA])).kind == "article"
    assert classify(url, [f"http://{REPLICA}/"]).kind == "article"
    assert classify(url, REPLICA).kind == "article"  # a bare string, not a list
    assert classify(url, ["127.0.0.1"]).kind == "article"  # no port: any port
    assert classify(url, ["localhost:8123"]).kind == "offsite"
    assert classify(f"http://localhost/politics/{UUID}", ["localhost:80"]).kind == "article"


def test_bad_urls_do_not_raise():
    assert classify("http://almodon.com:notaport/x").kind == "offsite"
    assert classify("http://[broken/x").kind == "offsite"
    assert classify("").kind == "other"
    assert to_site_url("http://[broken/x", f"http://{REPLICA}") == "http://[broken/x"


def test_url_info_is_frozen():
    info = classify(ART3)
    assert isinstance(info, UrlInfo)
    with pytest.raises(AttributeError):
        info.kind = "home"  # type: ignore[misc]


def test_site_hosts():
    assert SITE_HOSTS == {"almodon.com", "www.almodon.com"}
    assert CANONICAL_BASE == "https://www.almodon.com"


# --- to_fetch_url / to_site_url -----------------------------------------------------------

REPLICA_BASE = f"http://{REPLICA}"


@pytest.mark.parametrize(
    ("url", "fetch"),
    [
        (ART3, f"{REPLICA_BASE}/arabworld/2024/04/26/{SLUG_ENC}"),
        ("http://almodon.com/ArabWorld/Articles/10392", f"{REPLICA_BASE}/ArabWorld/Articles/10392"),
        ("https://almodon.com/politics?page=2#x", f"{REPLICA_BASE}/politics?page=2"),
        (
            f"https://www.almodon.com/getallauthorarticles/2/{AUTHOR}",
            f"{REPLICA_BASE}/getallauthorarticles/2/{AUTHOR}",
        ),
        ("https://www.almodon.com/", f"{REPLICA_BASE}/"),
    ],
)
def test_to_fetch_url_onto_replica(url, fetch):
    assert to_fetch_url(url, REPLICA_BASE) == fetch
    assert to_fetch_url(url, REPLICA_BASE + "/") == fetch


@pytest.mark.parametrize(
    "url",
    [
        "https://www.facebook.com/almodon",
        "https://media.almodon.com/a.jpg",
        "/politics/2024/04/26/x",
        "mailto:info@almodon.com",
    ],
)
def test_to_fetch_url_leaves_other_urls(url):
    assert to_fetch_url(url, REPLICA_BASE) == url


def test_to_fetch_url_on_real_site_gives_https_www():
    for base in ("https://www.almodon.com", "http://almodon.com/"):
        assert to_fetch_url(f"http://almodon.com/politics/{UUID}?a=1", base) == (
            f"{B}/politics/{UUID}?a=1"
        )


def test_to_site_url():
    assert to_site_url(f"{REPLICA_BASE}/politics?page=2#frag", REPLICA_BASE) == (
        f"{B}/politics?page=2"
    )
    assert to_site_url(f"{REPLICA_BASE}/arabworld/2024/04/26/{SLUG}", REPLICA_BASE) == ART3
    # other hosts and ports are left alone
    for url in ("https://www.facebook.com/x", "http://127.0.0.1:9999/x", "/politics"):
        assert to_site_url(url, REPLICA_BASE) == url
    # on the real site any almodon form becomes https://www.
    assert to_site_url("http://almodon.com/rss", B) == f"{B}/rss"


@pytest.mark.parametrize("canonical", sorted({c for _, _, _, c in CASES if c and c.startswith(B)}))
def test_round_trip_through_replica(canonical):
    fetch = to_fetch_url(canonical, REPLICA_BASE)
    assert fetch.startswith(REPLICA_BASE + "/")
    assert to_site_url(fetch, REPLICA_BASE) == canonical
    assert classify(fetch, [REPLICA]).canonical == canonical


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://www.almodon.com/?s=%D8%A7%D9%84%D9%85%D9%88%D8%A7%D8%B2%D9%86%D8%A9", "search"),
        ("https://www.almodon.com/?q=budget", "search"),
        ("https://www.almodon.com/category/politics/page/2/", "listing"),
        ("https://www.almodon.com/category/politics", "listing"),
    ],
)
def test_wordpress_style_search_and_category_urls(url, kind):
    assert classify(url).kind == kind
