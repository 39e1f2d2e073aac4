"""Faithful text: what the page says, in Unicode NFC with whitespace tidied.

Search normalisation (hamza, harakat, tatweel, clitics) lives elsewhere and never touches these
values.
"""

from __future__ import annotations

import re
import unicodedata

from w3lib.encoding import (
    html_body_declared_encoding,
    html_to_unicode,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
)

# Invisible marks that only steer rendering; they never carry meaning in a news text.
_INVISIBLE = re.compile("[\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def clean(text: str | None) -> str:
    """NFC, invisible direction marks removed, runs of white space (``str.split``'s, NO-BREAK
    SPACE included) folded to one space, trimmed."""
    if not text:
        return ""
    if not text.isascii():
        if not unicodedata.is_normalized("NFC", text):
            text = unicodedata.normalize("NFC", text)
        inner = text.strip()
        if "  " not in inner and not _UNTIDY.search(inner):  # already tidy (most lines)
            return inner
        if _INVISIBLE.search(text):
            text = _INVISIBLE.sub("", text)
    return " ".join(text.split())


#: What ``clean`` would change inside a stripped text besides a double space: white space other
#: than a space (``str.isspace``'s, as ``str.split`` folds it; ``tests/test_text_clean.py``) and
#: the invisible marks, as one character class (an alternation scans far slower).
_UNTIDY = re.compile("[\t\n\x0b\x0c\r\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
                     "\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def _sniff(body: bytes) -> str | None:
    """Detection when neither header nor markup names a charset.

    Al-Modon's older pages are windows-1256; anything that is not valid UTF-8 is read as that.
    """
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1256"
    return "utf-8"


#: A page read under its declared charset may hold this many invalid byte sequences and still be
#: that charset (a stray byte in a UTF-8 page); more means the declaration is wrong.
FEW_INVALID = 8


def _decode(body: bytes, encoding: str) -> tuple[str | None, int | None]:
    """(text, 0) when ``body`` is valid ``encoding``; (text with U+FFFD, invalid sequences)
    when not; (None, None) for an unknown codec."""
    try:
        return body.decode(encoding), 0
    except LookupError:
        return None, None
    except UnicodeDecodeError:
        text = body.decode(encoding, "replace")
        return text, text.count("\ufffd") - body.decode(encoding, "ignore").count("\ufffd")


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode a page. Returns ``(encoding, text)``; see :func:`decode_with_witnesses`."""
    encoding, text, _ = decode_with_witnesses(body, content_type)
    return encoding, text


def decode_with_witnesses(body: bytes, content_type: str | None = None) -> tuple[str, str, list[dict]]:
    """Decode a page from its witnesses, surest first: the BOM, the HTTP ``Content-Type``
    charset, ``<meta charset>``, detection (UTF-8 if valid, else windows-1256).

    A witness whose charset does not decode the bytes (more than ``FEW_INVALID`` invalid
    sequences) is passed over for the next one, and the record says so; a page with a few
    invalid bytes keeps its charset, with replacement characters, and a note
    ``{"field": "encoding", "reason": "invalid_bytes", …}``. iso-8859-1 / windows-1252 (a server
    default, never an Arabic page's charset) is not a witness.
    """
    notes: list[dict] = []
    bom, _ = read_bom(body)
    if bom:
        encoding, text = html_to_unicode(content_type, body)
        return encoding, text, notes
    def declared() -> str | None:
        if b"charset" not in body[:4096].lower():
            return None
        return resolve_encoding(html_body_declared_encoding(body) or "")

    for source, witness in (("header", lambda: http_content_type_encoding(content_type)), ("meta", declared)):
        enc = witness()
        if not enc or enc == "cp1252":
            continue
        text, bad = _decode(body, enc)
        if bad is None:
            continue
        if bad == 0:
            return enc, text, notes
        if bad <= FEW_INVALID and bad * 200 < len(body):
            notes.append({"field": "encoding", "reason": "invalid_bytes", "encoding": enc, "count": bad})
            return enc, text, notes
        notes.append({"field": "encoding", "reason": "declared_charset_wrong", "declared": enc, "by": source})
    text, bad = _decode(body, "utf-8")
    if bad == 0:
        return "utf-8", text, notes
    if bad <= FEW_INVALID and bad * 200 < len(body):
        notes.append({"field": "encoding", "reason": "invalid_bytes", "encoding": "utf-8", "count": bad})
        return "utf-8", text, notes
    return "cp1256", body.decode("cp1256", errors="replace"), notes
