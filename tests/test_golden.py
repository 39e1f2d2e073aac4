"""Every fixture page against its golden JSON (extraction only, no network, no Scrapy)."""

from __future__ import annotations

import pytest
from golden import compare, goldens

from pipelines.extract import NotAnArticle, extract

#: tests/fixtures/general is scored field by field in test_scores.py (known failures as xfails).
CASES = [g for g in goldens() if g.html.parent.name != "general"]


def test_there_are_goldens_of_every_kind():
    layouts = {g.fixture.get("layout") for g in CASES if g.is_article}
    assert len([g for g in CASES if g.is_article]) >= 4
    assert any(not g.is_article for g in CASES)
    assert "2014-guid" in layouts


@pytest.mark.parametrize("golden", CASES, ids=[g.id for g in CASES])
def test_golden(golden):
    body = golden.html.read_bytes()
    if not golden.is_article:
        with pytest.raises(NotAnArticle) as err:
            extract(body, golden.url, content_type=golden.content_type)
        assert err.value.reason == golden.fixture["reason"]
        return
    record = extract(body, golden.url, content_type=golden.content_type, fetched_at=golden.fetched_at).to_dict()
    assert compare(record, golden.fields) == {}
    # every field that has a value says which layer produced it
    for field in ("headline", "paragraphs", "published"):
        assert record["sources"].get(field) in {"jsonld", "meta", "profile", "fallback", "url"}
    assert record["body"] == "\n\n".join(record["paragraphs"])
