"""The article record: what ``almodon extract`` prints and what lands in SQLite.

Every field is documented; raw values sit beside normalised ones; ``sources`` says which layer
produced each field (``jsonld`` / ``meta`` / ``profile`` / ``fallback`` / ``url``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .timestamps import Timestamp


class NotAnArticle(Exception):
    """The page is not an article (listing, tag page, soft 404, …). ``reason`` is one short word."""

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else reason)


@dataclass
class Image:
    """One article image (lead or inline), in page order."""

    url: str
    caption: str | None = None  # the caption as printed, without the credit
    credit: str | None = None  # the credit as printed, without parentheses / the تصوير: label
    alt: str | None = None
    caption_raw: str | None = None  # caption + credit exactly as printed

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Video:
    """An embedded video (YouTube / Facebook / Vimeo / Dailymotion iframe, or ``<video>``)."""

    url: str
    provider: str | None = None  # youtube, facebook, vimeo, dailymotion, twitter, file
    caption: str | None = None
    credit: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Article:
    url: str  # canonical https://www.almodon.com/... URL
    original_url: str  # the URL the page was fetched from / claimed to be
    headline: str
    paragraphs: list[str]
    site: str = "almodon"
    section: str | None = None  # URL section slug, lower-case (politics, arabworld, …)
    section_name: str | None = None  # the section as the page names it (e.g. سياسة), if printed
    authors: list[str] = field(default_factory=list)
    published: Timestamp | None = None
    modified: Timestamp | None = None
    images: list[Image] = field(default_factory=list)
    videos: list[Video] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    summary: str | None = None
    language: str = "ar"
    era: int | None = None
    url_key: str | None = None  # era-independent identity from the URL (n:/u:/d:)
    encoding: str | None = None
    sources: dict[str, str] = field(default_factory=dict)
    conflicts: list[dict] = field(default_factory=list)

    @property
    def body(self) -> str:
        return "\n\n".join(self.paragraphs)

    def to_dict(self) -> dict:
        """The JSON form (stable key order; the CLI and the store both use it)."""
        pub, mod = self.published, self.modified
        return {
            "url": self.url,
            "original_url": self.original_url,
            "site": self.site,
            "section": self.section,
            "section_name": self.section_name,
            "headline": self.headline,
            "authors": list(self.authors),
            "published_date": pub.date if pub else None,
            "published_at": pub.utc if pub else None,
            "published_local": pub.local if pub else None,
            "published_precision": pub.precision if pub else None,
            "published_source": pub.source if pub else None,
            "published_raw": pub.raw if pub else None,
            "published_flags": list(pub.flags) if pub else [],
            "modified_at": mod.utc if mod else None,
            "modified_local": mod.local if mod else None,
            "modified_precision": mod.precision if mod else None,
            "modified_source": mod.source if mod else None,
            "modified_raw": mod.raw if mod else None,
            "modified_flags": list(mod.flags) if mod else [],
            "summary": self.summary,
            "paragraphs": list(self.paragraphs),
            "body": self.body,
            "images": [i.to_dict() for i in self.images],
            "videos": [v.to_dict() for v in self.videos],
            "tags": list(self.tags),
            "language": self.language,
            "era": self.era,
            "url_key": self.url_key,
            "encoding": self.encoding,
            "sources": dict(self.sources),
            "conflicts": list(self.conflicts),
        }
