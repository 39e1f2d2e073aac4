"""Damaged pages never crash the extractor: a record or ``NotAnArticle``, nothing else.

Every fixture page cut short, with bytes overwritten, with unclosed or stray tags, with a slice
removed, without its <body>/<head> tags, under three charset claims (the index, the profile and
the generic layer all see trees they were not written for)."""

from __future__ import annotations

import random

import pytest
from golden import goldens

from pipelines.extract import NotAnArticle, extract

CASES = goldens()


def _mutations(body: bytes, rng: random.Random):
    yield body[: rng.randint(0, len(body))]
    b = bytearray(body)
    for _ in range(20):
        b[rng.randrange(len(b))] = rng.randrange(256)
    yield bytes(b)
    i = rng.randrange(len(body))
    yield body[:i] + b"<div><span><p>" * 50 + body[i:]
    i, j = sorted((rng.randrange(len(body)), rng.randrange(len(body))))
    yield body[:i] + body[j:]
    yield body.replace(b"</", b"<", rng.randint(1, 30))
    yield body.replace(b"<body", b"<b", 1).replace(b"<head", b"<hx", 1)


@pytest.mark.parametrize("golden", CASES, ids=[g.id for g in CASES])
def test_damaged_pages_give_a_record_or_not_an_article(golden):
    rng = random.Random(golden.id)
    for _ in range(3):
        for body in _mutations(golden.html.read_bytes(), rng):
            for content_type in ("text/html; charset=utf-8", None, "text/html; charset=windows-1256"):
                try:
                    record = extract(body, golden.url, content_type=content_type).to_dict()
                except NotAnArticle:
                    continue
                assert record["headline"] and record["paragraphs"]
