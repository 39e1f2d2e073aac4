"""Golden fixtures: ``tests/fixtures/<site>/<case>.html`` + ``<case>.json``.

The JSON holds the expected record (every key but ``_fixture`` is compared with the
extractor's output) or, for pages that are not articles, ``_fixture.expect = "not_article"`` and
the expected ``reason``. ``_fixture.original_url`` is the page's address; ``charset`` the HTTP
charset the replica serves it with (``null``: no charset in the header).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"

#: The holdout set (``tests/fixtures/holdout``) is never tuned on: ``goldens()`` leaves it out, so
#: no test of the ordinary sets sees it; only ``goldens(HOLDOUT)`` (``tests/test_holdout.py``) reads it.
HOLDOUT = "holdout"


@dataclass
class Golden:
    html: Path
    expected: dict

    @property
    def fixture(self) -> dict:
        return self.expected["_fixture"]

    @property
    def url(self) -> str:
        return self.fixture["original_url"]

    @property
    def content_type(self) -> str | None:
        charset = self.fixture.get("charset", "utf-8")
        return f"text/html; charset={charset}" if charset else "text/html"

    @property
    def fetched_at(self):
        """When the page was fetched (``_fixture.fetched_at``), for pages with relative dates."""
        from datetime import datetime

        value = self.fixture.get("fetched_at")
        return datetime.fromisoformat(value) if value else None

    @property
    def is_article(self) -> bool:
        return self.fixture.get("expect") != "not_article"

    @property
    def fields(self) -> dict:
        return {k: v for k, v in self.expected.items() if not k.startswith("_")}

    @property
    def id(self) -> str:
        return f"{self.html.parent.name}/{self.html.stem}"


def goldens(site: str | None = None) -> list[Golden]:
    """The goldens of one set (``site``), or of every set but the holdout set."""
    out = []
    for path in sorted(FIXTURES.glob(f"{site or '*'}/*.json")):
        if site is None and path.parent.name == HOLDOUT:
            continue
        html = path.with_suffix(".html")
        expected = json.loads(path.read_text(encoding="utf-8"))
        # page goldens only (listings/ holds discovery goldens of another shape)
        if html.exists() and "original_url" in expected.get("_fixture", {}):
            out.append(Golden(html, expected))
    return out


def compare(record: dict, expected: dict) -> dict:
    """The golden keys whose value differs: {key: (got, expected)}. Images are compared on the
    keys the golden names (url, caption, credit, …)."""
    diffs = {}
    for key, want in expected.items():
        got = record.get(key)
        if key == "images" and isinstance(got, list):
            got = [{k: im.get(k) for k in (want[i] if i < len(want) else im)} for i, im in enumerate(got)]
        if got != want:
            diffs[key] = (got, want)
    return diffs
