"""What the spider yields: the raw page, nothing extracted (spiders fetch, pipelines extract)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RawPage:
    url: str  # the site URL the page stands for (https://www.almodon.com/...)
    fetch_url: str  # the URL actually fetched (differs when crawling the replica)
    status: int
    headers: dict[str, str]  # response headers, first value of each, lower-case names
    body: bytes
    fetched_at: str  # UTC 'YYYY-MM-DDTHH:MM:SSZ' when the response arrived
    via: str = ""  # how it was discovered: rss | sitemap | listing | home | url | refresh
    meta: dict = field(default_factory=dict)

    def __repr__(self) -> str:  # keep logs readable: never print the body
        return f"RawPage({self.status} {self.url} {len(self.body)} bytes via {self.via})"
