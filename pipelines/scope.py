"""What one crawl run is about (mode, date window, base URL, the site's extra hosts), as data.

The spider builds it from its arguments and publishes it in the crawler's settings
(``ALMODON_RUN_SCOPE``, set in ``from_crawler`` before Scrapy freezes them); the run ledger and
the pipelines read it from there. Neither side reads the other's attributes. No Scrapy import.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from urllib.parse import urlsplit

SETTING = "ALMODON_RUN_SCOPE"


def site_hosts(base_url: str) -> tuple[str, ...]:
    """The base URL's host when it is not almodon.com itself (a replica, a mirror)."""
    netloc = urlsplit(base_url).netloc
    if not netloc or netloc.lower().removeprefix("www.") == "almodon.com":
        return ()
    return (netloc,)


@dataclass(frozen=True)
class Scope:
    mode: str = "latest"
    base_url: str = ""
    since: str | None = None  # YYYY-MM-DD, inclusive
    until: str | None = None
    urls: tuple[str, ...] = field(default_factory=tuple)
    extra_hosts: tuple[str, ...] = field(default_factory=tuple)  # hosts that also count as the site
    job: str = "crawl"  # crawl_runs.job: crawl | backfill

    def in_window(self, day: str | None) -> bool:
        """Archive mode keeps only pages published in [since, until]; other modes keep all."""
        if not day or self.mode != "archive":
            return True
        d = date.fromisoformat(day[:10])
        return ((self.since is None or d >= date.fromisoformat(self.since))
                and (self.until is None or d <= date.fromisoformat(self.until)))

    def to_setting(self) -> dict:
        return {**asdict(self), "urls": list(self.urls), "extra_hosts": list(self.extra_hosts)}

    @classmethod
    def from_setting(cls, value: dict | None) -> Scope:
        value = dict(value or {})
        value["urls"] = tuple(value.get("urls") or ())
        value["extra_hosts"] = tuple(value.get("extra_hosts") or ())
        return cls(**{k: v for k, v in value.items() if k in cls.__dataclass_fields__})

    def run_args(self) -> dict:
        """The ``crawl_runs.args`` of the run."""
        return {"since": self.since, "until": self.until, "urls": list(self.urls) or None}
