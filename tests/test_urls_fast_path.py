"""``urls._site_url`` skips w3lib's ``canonicalize_url`` when it would change nothing; this
checks that claim on arbitrary segments (the fast path gives exactly the slow path's URL)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from w3lib.url import canonicalize_url

from pipelines.extract import urls

SEGMENT = st.text(
    alphabet=st.one_of(st.characters(min_codepoint=32, max_codepoint=126),
                       st.characters(min_codepoint=0x600, max_codepoint=0x6FF),
                       st.sampled_from("\u200c\u00a0\u2019\u00e9\U0001F600\udcff")),
    min_size=1, max_size=12,
).filter(lambda s: s not in {".", ".."})


@settings(max_examples=3000, deadline=None)
@given(st.lists(SEGMENT, min_size=1, max_size=5))
def test_the_fast_path_gives_the_canonical_url(segs):
    url = urls._site_url(segs)
    assert canonicalize_url(url) == url


def test_the_fast_path_is_taken_for_arabic_slugs():
    url = urls._site_url(["politics", "2024", "04", "26", "ايران-وروسيا"])
    assert url == "https://www.almodon.com/politics/2024/04/26/%D8%A7%D9%8A%D8%B1%D8%A7%D9%86-%D9%88%D8%B1%D9%88%D8%B3%D9%8A%D8%A7"
