"""Field scorer over every golden: per set, per field, how many pages are exact, missing or wrong.

    .venv/bin/python tests/scoring.py            # the table (also printed by `make bench`)

A golden page (``tests/fixtures/<set>/<case>.json``) names the fields it asserts; each of those
fields of the extractor's record is scored against it with the same comparison as
``tests/test_golden.py`` (:func:`golden.compare`):

- ``exact``: equal to the golden (an empty/null golden matched by an empty/null record counts);
- ``missing``: the golden has a value and the record has none (``None``, ``""``, ``[]``), or the
  page was rejected as not an article;
- ``wrong``: anything else (a value that differs, or a value where the golden has none).

Pages that are not articles score one field, ``not_article``: exact when the extractor rejects
them with the golden's reason, ``wrong`` otherwise. ``tests/test_scores.py`` pins the figures.
"""

from __future__ import annotations

from collections import Counter
from functools import cache

from golden import Golden, compare, goldens

from pipelines.extract import NotAnArticle, extract

#: Column order of the table (fields a golden does not name are not scored for that page).
FIELDS = (
    "url",
    "section",
    "headline",
    "authors",
    "published_date",
    "published_at",
    "modified_at",
    "paragraphs",
    "images",
    "videos",
    "tags",
    "not_article",
)
OUTCOMES = ("exact", "missing", "wrong")


def set_of(golden: Golden) -> str:
    return golden.html.parent.name


@cache
def _record(html: str, url: str, content_type: str | None, fetched_at) -> dict | str:
    """The record as a dict, or the NotAnArticle reason as a string (one extraction per page)."""
    from pathlib import Path

    try:
        return extract(Path(html).read_bytes(), url, content_type=content_type, fetched_at=fetched_at).to_dict()
    except NotAnArticle as exc:
        return exc.reason


def record_of(golden: Golden) -> dict | str:
    return _record(str(golden.html), golden.url, golden.content_type, golden.fetched_at)


def _empty(value) -> bool:
    return value is None or value == "" or value == []


def score_page(golden: Golden) -> dict[str, str]:
    """``{field: "exact" | "missing" | "wrong"}`` for the fields this golden asserts."""
    record = record_of(golden)
    if not golden.is_article:
        ok = isinstance(record, str) and record == golden.fixture.get("reason")
        return {"not_article": "exact" if ok else "wrong"}
    fields = golden.fields
    if isinstance(record, str):
        return {f: ("exact" if _empty(want) else "missing") for f, want in fields.items()}
    diffs = compare(record, fields)
    out = {}
    for field, want in fields.items():
        if field not in diffs:
            out[field] = "exact"
        else:
            got, want = diffs[field]
            out[field] = "missing" if _empty(got) and not _empty(want) else "wrong"
    return out


def score(cases: list[Golden] | None = None) -> dict[str, dict[str, dict[str, int]]]:
    """``{set: {field: {"exact": n, "missing": n, "wrong": n}}}`` over the goldens."""
    counts: dict[str, dict[str, Counter]] = {}
    for golden in goldens() if cases is None else cases:
        per_set = counts.setdefault(set_of(golden), {})
        for field, outcome in score_page(golden).items():
            per_set.setdefault(field, Counter())[outcome] += 1
    return {
        name: {f: {o: c[o] for o in OUTCOMES} for f, c in sorted(fields.items(), key=_column)}
        for name, fields in sorted(counts.items())
    }


def _column(item) -> tuple[int, str]:
    return (FIELDS.index(item[0]) if item[0] in FIELDS else len(FIELDS), item[0])


def failures(cases: list[Golden] | None = None) -> dict[tuple[str, str], str]:
    """``{(golden id, field): "missing" | "wrong"}`` for every field that is not exact."""
    out = {}
    for golden in goldens() if cases is None else cases:
        for field, outcome in score_page(golden).items():
            if outcome != "exact":
                out[(golden.id, field)] = outcome
    return out


def table(scores: dict | None = None) -> str:
    """The scores as text: one block per set, one row per field (exact/missing/wrong of total)."""
    scores = score() if scores is None else scores
    lines = [f"{'set':10s} {'field':16s} {'exact':>6s} {'missing':>8s} {'wrong':>6s} {'pages':>6s}"]
    for name, fields in scores.items():
        for field, c in fields.items():
            total = sum(c.values())
            lines.append(f"{name:10s} {field:16s} {c['exact']:6d} {c['missing']:8d} {c['wrong']:6d} {total:6d}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table())
