"""Is a new version of an article WORSE than the one stored? (Nothing stored is made worse.)

A worse version (mojibake from a wrong charset, a truncated page, a layout glitch that lost the
date or the captions) is kept as a version flagged ``degraded`` with the reasons, but never
replaces the good one in ``articles``. A real correction by the site (a changed headline, an
edited or added paragraph) is not worse and becomes current. Pure: two records in, reasons out.
"""

from __future__ import annotations

import json

#: A body shorter than this share of the stored one is "a fraction of the size".
SHRINK_RATIO = 0.5
REPLACEMENT = "\ufffd"


def _text(record: dict) -> str:
    images = record.get("images") or []
    parts = [record.get("headline") or "", *(record.get("paragraphs") or []),
             *(im.get("caption") or "" for im in images)]
    return "\n".join(parts)


def _arabic_share(text: str) -> float | None:
    """Share of Arabic-script letters among the letters of ``text`` (None: no letters)."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return None
    arabic = sum(1 for c in letters if "\u0600" <= c <= "\u06ff" or "\u0750" <= c <= "\u077f"
                 or "\ufb50" <= c <= "\ufdff" or "\ufe70" <= c <= "\ufeff")
    return arabic / len(letters)


def _body_chars(record: dict) -> int:
    return sum(len(p) for p in record.get("paragraphs") or [])


def _captions(record: dict) -> int:
    return sum(1 for im in record.get("images") or [] if im.get("caption"))


def invalid_bytes(record: dict) -> bool:
    """The extractor flagged bytes invalid under the charset it decoded with."""
    flags = [record.get("encoding_flags"), record.get("conflicts")]
    return "invalid_bytes" in json.dumps(flags, ensure_ascii=False)


def _lost_paragraphs(new: list[str], old: list[str]) -> bool:
    """Nothing new and something gone: the new paragraphs are the old ones, in order, minus some."""
    if len(new) >= len(old):
        return False
    it = iter(old)
    return all(any(p == q for q in it) for p in new)


def worse(new: dict, old: dict, *, same_extractor: bool = True, old_is_later: bool = False) -> list[str]:
    """Why ``new`` is worse than ``old`` (empty: it is not). The structural rules (lost
    paragraphs, lost captions) compare extractions by the same extractor version only: a newer
    extractor may drop junk blocks or wrong captions on purpose. When ``old`` was captured
    AFTER ``new`` (an older capture from a web archive, with no good one before it), only the
    encoding rules apply: an article grows after publication, so an older capture may rightly
    lack a date line, paragraphs or captions."""
    reasons = []
    if _text(new).count(REPLACEMENT) > _text(old).count(REPLACEMENT):
        reasons.append("replacement_chars")
    before, now = _arabic_share(_text(old)), _arabic_share(_text(new))
    if before is not None and before >= 0.5 and (now or 0.0) < before / 2:
        reasons.append("mojibake")  # Arabic read under a wrong charset (Ø§Ù… …) has no U+FFFD
    if invalid_bytes(new) and not invalid_bytes(old):
        reasons.append("invalid_bytes")
    if old_is_later:
        return reasons
    if (old.get("published_date") and not new.get("published_date")) or (
            old.get("published_at") and not new.get("published_at")):
        reasons.append("date_lost")
    if _body_chars(new) < SHRINK_RATIO * _body_chars(old):
        reasons.append("body_shrunk")
    if same_extractor:
        if _lost_paragraphs(new.get("paragraphs") or [], old.get("paragraphs") or []):
            reasons.append("paragraphs_lost")
        if (_captions(new) < _captions(old)
                and len(new.get("images") or []) >= len(old.get("images") or [])):
            reasons.append("captions_lost")
    return reasons
