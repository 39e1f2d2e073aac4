"""Faithful text: what the page says, in Unicode NFC with whitespace tidied.

Search normalisation (hamza, harakat, tatweel, clitics) lives elsewhere and never touches these
values.
"""

from __future__ import annotations

import re
import unicodedata

from w3lib.encoding import html_to_unicode, http_content_type_encoding

_WS = re.compile(r"\s+")
_NEEDS_TIDY = re.compile(r"\s\s|[^\S ]|^\s|\s$|[\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
# Invisible marks that only steer rendering; they never carry meaning in a news text.
_INVISIBLE = re.compile("[\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def clean(text: str | None) -> str:
    """NFC, invisible direction marks removed, runs of white space folded to one space, trimmed."""
    if not text:
        return ""
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    if _NEEDS_TIDY.search(text) is None:  # the common case: already tidy
        return text
    return _WS.sub(" ", _INVISIBLE.sub("", text)).strip()


def _sniff(body: bytes) -> str | None:
    """Detection when neither header nor markup names a charset.

    Al-Modon's older pages are windows-1256; anything that is not valid UTF-8 is read as that.
    """
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1256"
    return "utf-8"


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode a page: BOM, then the HTTP ``Content-Type`` charset, then ``<meta charset>``,
    then detection (UTF-8 if valid, else windows-1256). Returns ``(encoding, text)``."""
    if http_content_type_encoding(content_type) == "cp1252":
        # iso-8859-1 / latin1 / us-ascii / windows-1252 (w3lib maps them all to cp1252) is a
        # server default, never the charset of an Arabic page: let the BOM, <meta> or detection speak
        content_type = None
    encoding, text = html_to_unicode(content_type, body, default_encoding="utf-8", auto_detect_fun=_sniff)
    return encoding, text
