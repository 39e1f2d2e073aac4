"""Images: URL resolution (lazy-loading, ``srcset``, relative paths) and caption/credit split."""

from __future__ import annotations

import re
from urllib.parse import urljoin

from lxml import etree

from .article import Image
from .text import clean

#: Where lazy-loading scripts keep the real image: candidate lists first (they name the largest).
_LAZY_SRCSETS = ("data-lazy-srcset", "data-srcset")
_LAZY_ATTRS = ("data-lazy-src", "data-src", "data-original", "data-lazy", "data-full-url")
_PLACEHOLDER = re.compile(r"^data:|(?:blank|spacer|placeholder|loading|lazy|pixel)[^/]*\.(?:gif|png|svg)$", re.IGNORECASE)


def _placeholder(value: str) -> bool:
    """``_PLACEHOLDER.search(value)`` for a stripped value; the regex (a case-insensitive
    alternation tried at every position) runs only on a ``data:`` URL or a .gif/.png/.svg."""
    if value[:5].lower() == "data:" or value[-4:].lower() in (".gif", ".png", ".svg") or not value.isascii():
        return bool(_PLACEHOLDER.search(value))
    return False
# A trailing "(…)" credit: "… (Getty)", "… (أ ف ب)", "…(رويترز)"; at most ~40 chars, no nested parens.
_CREDIT_PARENS = re.compile(r"\s*[(（]\s*([^()（）]{1,40}?)\s*[)）]\s*$")
# "تصوير: …" / "تصوير …" / "Photo: …" at the end (or alone).
_CREDIT_LABEL = re.compile(r"\s*[-–—|]?\s*(?:تصوير|عدسة|الصورة|صورة|photo|credit)\s*[:：]\s*(.+?)\s*$", re.IGNORECASE)

#: Trailing parentheses that describe the picture, not its source.
_NOT_CREDITS = frozenset({"يمين", "يسار", "وسط", "الوسط", "في الوسط", "أرشيفية", "ارشيفية"})

#: Printed credit (folded) → normalised agency, so analysts can count photos per agency.
_AGENCIES = {
    "afp": "AFP", "أ ف ب": "AFP", "ا ف ب": "AFP", "أف ب": "AFP", "فرانس برس": "AFP",
    "reuters": "Reuters", "رويترز": "Reuters",
    "ap": "AP", "أ ب": "AP", "ا ب": "AP", "أسوشيتد برس": "AP",
    "getty": "Getty", "getty images": "Getty", "غيتي": "Getty",
    "anadolu": "Anadolu", "الأناضول": "Anadolu", "الاناضول": "Anadolu",
    "epa": "EPA", "إ ب أ": "EPA",
    "nna": "NNA", "الوكالة الوطنية": "NNA", "الوكالة الوطنية للإعلام": "NNA",
    "المدن": "Al-Modon", "almodon": "Al-Modon",
    "sana": "SANA", "سانا": "SANA",
}


def agency(credit: str | None) -> str | None:
    if not credit:
        return None
    key = re.sub(r"[.\s]+", " ", credit).strip().lower()
    return _AGENCIES.get(key) or _AGENCIES.get(key.replace(" ", ""))


def split_credit(printed: str | None) -> tuple[str | None, str | None]:
    """``"… (Getty)"`` → ``("…", "Getty")``; ``"… تصوير: حسن"`` → ``("…", "حسن")``.

    A trailing parenthesis counts as a credit only when it is short (an agency or a name).
    """
    text = clean(printed)
    if not text:
        return None, None
    m = _CREDIT_PARENS.search(text)
    if m and len(m.group(1).split()) <= 5 and m.group(1).strip() not in _NOT_CREDITS:
        credit = clean(m.group(1))
        label = _CREDIT_LABEL.match(credit)
        return clean(text[: m.start()]) or None, clean(label.group(1)) if label else credit
    m = _CREDIT_LABEL.search(text)
    if m:
        # "… الأرز، تصوير: سامي" — the separator before the label belongs to the credit line
        return clean(text[: m.start()]).rstrip(" ،,-–—|:") or None, clean(m.group(1))
    return text, None


def _best_from_srcset(srcset: str) -> str | None:
    best, best_w = None, -1.0
    for part in srcset.split(","):
        bits = part.strip().split()
        if not bits:
            continue
        width = 0.0
        if len(bits) > 1:
            m = re.match(r"([\d.]+)([wx])", bits[1])
            if m:
                width = float(m.group(1)) * (1 if m.group(2) == "w" else 1000)
        if width > best_w:
            best, best_w = bits[0], width
    return best


def _absolute(base: str, url: str) -> str:
    """``urljoin`` (which returns an absolute http(s) URL unchanged: skip the work then)."""
    return url if url.startswith(("https://", "http://")) else urljoin(base, url)


def image_url(img: etree._Element, base: str) -> str | None:
    """The real image of an ``<img>``: lazy-loading attributes first, then the largest ``srcset``
    candidate, then ``src`` (unless it is a placeholder); absolute against ``base``."""
    for attr in _LAZY_SRCSETS:
        url = _best_from_srcset((img.get(attr) or "").strip())
        if url:
            return _absolute(base, url)
    for attr in _LAZY_ATTRS:
        value = (img.get(attr) or "").strip()
        if value and not _placeholder(value):
            return _absolute(base, value)
    srcset = (img.get("srcset") or "").strip()
    if srcset:
        url = _best_from_srcset(srcset)
        if url:
            return _absolute(base, url)
    src = (img.get("src") or "").strip()
    if src and not _placeholder(src):
        return _absolute(base, src)
    return None


def make_image(img: etree._Element, base: str, printed_caption: str | None) -> Image | None:
    url = image_url(img, base)
    if not url:
        return None
    caption, credit = split_credit(printed_caption)
    return Image(
        url=url,
        caption=caption,
        credit=credit,
        alt=clean(img.get("alt")) or None,
        caption_raw=clean(printed_caption) or None,
    )
