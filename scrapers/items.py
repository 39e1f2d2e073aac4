"""What the spider yields: the raw page, nothing extracted (spiders fetch, pipelines extract)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.archive import Fetched


@dataclass(repr=False)
class RawPage(Fetched):
    """A fetched page (url, bytes, headers, fetch time) plus how the crawl found it."""

    via: str = ""  # rss | sitemap | listing | home | url | refresh
    meta: dict = field(default_factory=dict)

    def __repr__(self) -> str:  # keep logs readable: never print the body
        return f"RawPage({self.status} {self.url} {len(self.body)} bytes via {self.via})"
