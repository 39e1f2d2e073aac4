"""The accuracy floor: field scores over every golden set, pinned, and every (page, field) checked.

``PINNED`` holds today's figures per set and field as (exact, missing, wrong) (see
``tests/scoring.py``). A regression fails, and so does an improvement: when a fix lands, raise
the pin to the new figure (never lower it to make a test pass). ``KNOWN_FAILURES`` lists exactly
which (page, field) the extractor gets wrong today; each is a strict xfail, so a fix makes it
XPASS and the entry must be removed (and ``PINNED`` raised) in the same change.
"""

from __future__ import annotations

import pytest
from golden import goldens
from scoring import score, score_page, set_of, table

CASES = goldens()

#: {set: {field: (exact, missing, wrong)}}: main @ 25374c7 measured general published_date (11, 1, 2),
#: published_at (8, 3, 3), modified_at (11, 2, 1); raised when printed zones and Maghrebi months landed,
#: and to 14/14 on every general field with the one-pass index and the content-based detectors.
PINNED = {
    "almodon": {
        "url": (26, 0, 0),
        "section": (26, 0, 0),
        "headline": (26, 0, 0),
        "authors": (26, 0, 0),
        "published_date": (26, 0, 0),
        "published_at": (26, 0, 0),
        "modified_at": (26, 0, 0),
        "paragraphs": (26, 0, 0),
        "images": (26, 0, 0),
        "tags": (26, 0, 0),
        "not_article": (5, 0, 0),
    },
    "general": {
        "url": (14, 0, 0),
        "section": (2, 0, 0),
        "headline": (14, 0, 0),
        "authors": (14, 0, 0),
        "published_date": (14, 0, 0),
        "published_at": (14, 0, 0),
        "modified_at": (14, 0, 0),
        "paragraphs": (14, 0, 0),
        "images": (14, 0, 0),
        "tags": (14, 0, 0),
    },
    "other": {
        "url": (10, 0, 0),
        "section": (10, 0, 0),
        "headline": (10, 0, 0),
        "authors": (10, 0, 0),
        "published_date": (10, 0, 0),
        "published_at": (10, 0, 0),
        "modified_at": (10, 0, 0),
        "paragraphs": (10, 0, 0),
        "images": (10, 0, 0),
        "videos": (1, 0, 0),
        "tags": (10, 0, 0),
        "not_article": (4, 0, 0),
    },
}

#: (golden id, field) -> why the extractor gets it wrong today (measured, not guessed). Empty
#: since the one-pass index and the content-based generic detectors landed (branch extract).
KNOWN_FAILURES: dict[tuple[str, str], str] = {}


def _pairs():
    for golden in CASES:
        fields = golden.fields if golden.is_article else {"not_article": golden.fixture["reason"]}
        for field in fields:
            key = (golden.id, field)
            marks = []
            if key in KNOWN_FAILURES:
                marks = [pytest.mark.xfail(strict=True, reason=KNOWN_FAILURES[key])]
            yield pytest.param(golden, field, id=f"{golden.id}:{field}", marks=marks)


@pytest.mark.parametrize(("golden", "field"), list(_pairs()))
def test_field(golden, field):
    assert score_page(golden)[field] == "exact"


def test_known_failures_name_real_pages_and_fields():
    known = {(g.id, f) for g in CASES for f in (g.fields if g.is_article else {"not_article": 1})}
    assert set(KNOWN_FAILURES) <= known


def test_scores_are_the_pinned_figures():
    got = {name: {f: (c["exact"], c["missing"], c["wrong"]) for f, c in fields.items()}
           for name, fields in score(CASES).items()}
    changes = []
    for name in sorted(set(got) | set(PINNED)):
        for field in sorted(set(got.get(name, {})) | set(PINNED.get(name, {}))):
            now, pin = got.get(name, {}).get(field), PINNED.get(name, {}).get(field)
            if now != pin:
                verdict = "better: raise the pin" if now and pin and now[0] > pin[0] else "REGRESSION or new field"
                changes.append(f"{name}/{field}: pinned {pin}, now {now} ({verdict})")
    assert not changes, "\n".join(changes) + "\n\n" + table(score(CASES))


def test_every_set_is_scored():
    assert {set_of(g) for g in CASES} >= {"almodon", "other", "general"}
    assert len([g for g in CASES if set_of(g) == "general"]) >= 12
