"""The last date layer: ``dateparser`` on a candidate string the Arabic lexicon read nothing in.

The lexicon (``dates_lexicon.py`` + ``dates.py``) reads every Arabic form the archive has met,
fast. What it does not read are dates in the other languages of bilingual pages — English and
French date lines (``Published 15 September 2020, 11:20 AM``, ``Publié le lundi 7 juin 2021 à
10h30``), relative forms in those languages (``3 hours ago``, ``il y a 2 jours``, ``hier à
14h05``). :func:`parse_fallback` hands such a string to ``dateparser``.

Rules, the same as the lexicon's:

- Only on short candidate strings (a date line, a label), never on body text: callers use it
  after :func:`dates.find_dates` returned nothing (``dates.read_date_line`` does exactly that).
- Day, month and year must all be printed (``12 juillet`` or ``Tuesday`` alone is not a date);
  relative forms need the fetch time as ``reference`` and are ignored without one (``dateparser``
  would count from "now"; here the relative base is then a sentinel in 1850 that is rejected).
- Numbers are day first (``05/07/2023`` is 5 July).
- A zone printed with the time (``GMT+1``, ``(بيروت)``, ``بتوقيت غرينتش``, …) is read by the
  lexicon's own zone pattern and wins; otherwise the wall time is Beirut's. ``dateparser``'s own
  zone words (``EST``, ``CET``) are converted by it.

The strings only this layer reads are listed in ``tests/test_dates_fallback.py``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, tzinfo
from functools import cache

from . import dates_lexicon as lex
from .dates_zone import BEIRUT, localize, make_timestamp, printed_zone
from .timestamps import Timestamp

#: Languages tried, in order (Arabic is the lexicon's; dateparser adds little there, see the note).
LANGUAGES = ("en", "fr")
#: Longer strings are not date lines: body text never reaches dateparser.
MAX_CHARS = 160
_SENTINEL = datetime(1850, 1, 1)
_YEAR = re.compile(r"(?<!\d)(?:1[89]|20|21)\d\d(?!\d)")
_CLOCK = re.compile(r"\d{1,2}\s*[:h]\s*\d{2}(?:\s*:\s*(\d{2}))?", re.IGNORECASE)
_HAS_LETTER_OR_DIGIT = re.compile(r"[0-9A-Za-zÀ-ÿ]")


@cache
def _parsers():
    """(search_dates, DateDataParser) built once; imported lazily (dateparser loads slowly)."""
    from dateparser.date import DateDataParser
    from dateparser.search import search_dates

    return search_dates, DateDataParser


def _settings(base: datetime) -> dict:
    return {
        "TIMEZONE": "UTC",
        "RETURN_AS_TIMEZONE_AWARE": True,
        "RELATIVE_BASE": base,
        "PREFER_DATES_FROM": "past",
        "DATE_ORDER": "DMY",
        "REQUIRE_PARTS": ["day", "month", "year"],
        "RETURN_TIME_AS_PERIOD": True,
    }


def _zone_note(text: str) -> tuple[str, tzinfo | None]:
    """The text without the first zone note the lexicon knows, and that zone (or None)."""
    norm = lex.normalize(text)
    for m in lex.ZONE_NOTE.finditer(norm.text):
        zone = printed_zone(m)
        if zone is not None:
            original = norm.span(text, *m.span())
            return text.replace(original, " ", 1), zone
    return text, None


def _parse(text: str, base: datetime):
    """(matched substring, aware datetime, period) of the first date dateparser reads, or None."""
    search_dates, parser_class = _parsers()
    settings = _settings(base)
    parser = parser_class(languages=list(LANGUAGES), settings=settings)
    data = parser.get_date_data(text)
    if data.date_obj is not None:
        return text, data.date_obj, data.period
    found = search_dates(text, languages=list(LANGUAGES), settings=settings) or []
    for piece, _ in found:
        data = parser.get_date_data(piece)
        if data.date_obj is not None:
            return piece, data.date_obj, data.period
    return None


def parse_fallback(
    text: str,
    reference: datetime | None = None,
    source: str = "visible",
    zone: tzinfo | None = None,
) -> Timestamp | None:
    """The one date ``dateparser`` reads in a short candidate string, as a :class:`Timestamp`.

    ``reference`` is the fetch time (aware, or naive = Beirut) for relative forms; ``zone`` the
    page's zone when the caller knows one (a zone printed in ``text`` wins over both). Returns
    None for long strings, strings with no Latin letter or digit, or nothing read.
    """
    if not text or len(text) > MAX_CHARS or not _HAS_LETTER_OR_DIGIT.search(text):
        return None
    stripped, printed = _zone_note(text)
    zone = printed or zone
    wall_zone = zone or BEIRUT
    if reference is not None:
        ref = reference if reference.tzinfo else localize(reference)[0]
        base = ref.astimezone(wall_zone).replace(tzinfo=None)
    else:
        base = _SENTINEL
    try:
        found = _parse(stripped.strip(), base)
    except (ValueError, TypeError, OverflowError):  # pragma: no cover - dateparser edge cases
        return None
    if found is None:
        return None
    piece, value, period = found
    relative = not _YEAR.search(piece)
    if value.year < 1900 or (relative and reference is None):
        return None
    # dateparser returns UTC-labelled wall time unless the string named a zone it converted
    if value.tzinfo is not None and value.utcoffset() == UTC.utcoffset(None) and not _names_zone(piece):
        value = value.replace(tzinfo=None)
    kind = "relative" if relative else source
    if period != "time":
        return make_timestamp(date(value.year, value.month, value.day), "day", kind, piece.strip())
    clock = _CLOCK.search(piece)
    precision = "second" if clock and clock.group(1) else "minute"
    return make_timestamp(value, precision, kind, piece.strip(), (), zone if value.tzinfo is None else None)


_ZONE_WORD = re.compile(r"\b(?!AM\b|PM\b)[A-Z]{2,5}\b|[+-]\d{2}:?\d{2}\b")


def _names_zone(piece: str) -> bool:
    """Whether dateparser saw a zone of its own in ``piece`` (``EST``, ``CET``, ``GMT``)."""
    return bool(_ZONE_WORD.search(piece))
