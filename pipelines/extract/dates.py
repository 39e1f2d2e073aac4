"""Beirut time done right: read dates and times off Al-Modon pages into :class:`Timestamp`.

The site prints Beirut wall time in many shapes (``الجمعة 2024/04/26``, ``26 نيسان 2024``,
``آخر تحديث: 21:43 (بيروت)``, ``منذ 5 دقائق``, ISO 8601 in JSON-LD, dates in URLs). This
module turns all of them into one value type, normalised to UTC with the Beirut local time kept
alongside. Rules (see ``docs/time-model.md``):

- A numeric date with a 4-digit year first is Y/M/D; otherwise it is day first (D/M/Y).
  Impossible dates are dropped, never "repaired". A bare year is not a date.
- Naive times are Beirut wall time, converted with the IANA zone ``Asia/Beirut`` (from the
  pinned ``tzdata`` package), never with a fixed offset.
- Spring gap (a wall time that does not exist): shifted forward by the gap, flag ``nonexistent``.
  Autumn repeat (a wall time that happens twice): the first occurrence, flag ``ambiguous``.
- Relative forms (``منذ ساعتين``, ``أمس``) need the fetch time as ``reference``; without it
  they are ignored (never "now").

Word lists and regexes live in ``dates_lexicon.py``, the zone and :func:`localize` /
:func:`make_timestamp` in ``dates_zone.py`` (re-exported here); this module holds the parsing.
"""

from __future__ import annotations

import bisect
import email.utils
import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from types import MappingProxyType
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

from . import dates_lexicon as lex
from .dates_zone import BEIRUT, TZDATA_VERSION, localize, make_timestamp, printed_zone
from .timestamps import Timestamp

__all__ = [
    "BEIRUT",
    "TZDATA_VERSION",
    "date_from_url",
    "dates_report",
    "find_dates",
    "find_time",
    "impossible_dates",
    "localize",
    "make_timestamp",
    "parse_date",
    "parse_fallback",
    "parse_iso",
    "read_date_line",
    "time_on_date",
    "to_ascii_digits",
]

#: Years accepted in free text (Hijri years such as 1445 fall below) and in URLs.
TEXT_YEARS = (1800, 2100)
URL_YEARS = (1990, 2100)


def to_ascii_digits(text: str) -> str:
    """Arabic-Indic ``٠-٩`` and Extended (Persian) ``۰-۹`` digits -> ``0-9``; nothing else."""
    return text.translate(lex.DIGIT_TABLE)


# --- machine forms -----------------------------------------------------------------------------

_ISO = re.compile(
    r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})"
    r"(?:[T ](?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,]\d+)?)?"
    r"\s*(?P<off>Z|[+-]\d{2}(?::?\d{2})?)?)?",
    re.IGNORECASE,
)
_RFC2822 = re.compile(r"(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d")


def _read_iso(text: str) -> tuple[date | datetime, str, tuple[str, ...]] | None:
    """(value, precision, flags) of an ISO 8601 string, or None.

    An explicit offset is kept as given; it is flagged ``offset_mismatch`` when it is neither
    UTC (``Z``/``+00:00``, a legitimate universal form) nor Beirut's offset at that instant.
    """
    m = _ISO.fullmatch(to_ascii_digits(text.strip()))
    if not m:
        return None
    try:
        day = date(int(m["y"]), int(m["mo"]), int(m["d"]))
        if m["h"] is None:
            return day, "day", ()
        naive = datetime.combine(day, time(int(m["h"]), int(m["mi"]), int(m["s"] or 0)))
    except ValueError:
        return None
    precision = "minute" if m["s"] is None else "second"
    off = m["off"]
    if off is None:
        return naive, precision, ()
    if off.upper() == "Z":
        return naive.replace(tzinfo=UTC), precision, ()
    digits = off[1:].replace(":", "")
    delta = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
    if delta >= timedelta(hours=24) or int(digits[2:] or 0) > 59:
        return None
    aware = naive.replace(tzinfo=timezone(-delta if off[0] == "-" else delta))
    return aware, precision, _offset_flags(aware)


def _offset_flags(aware: datetime) -> tuple[str, ...]:
    """``offset_mismatch`` when a printed offset is neither UTC nor Beirut's at that instant."""
    offset = aware.utcoffset()
    if offset and aware.astimezone(BEIRUT).utcoffset() != offset:
        return ("offset_mismatch",)
    return ()


def parse_iso(value: str, source: str = "jsonld") -> Timestamp | None:
    """A JSON-LD / meta time: ISO 8601 with offset, ``Z``, naive (= Beirut) or date only.

    Also accepts RFC 2822 (``Fri, 26 Apr 2024 21:43:00 +0300``) and, as a last resort, a value
    holding exactly one date in any form :func:`find_dates` reads. ``raw`` is ``value``.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    read = _read_iso(value)
    if read:
        return make_timestamp(read[0], read[1], source, value, read[2])
    text = value.strip()
    if _RFC2822.match(text):
        try:
            parsed = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            parsed = None
        if parsed is not None:
            if parsed.tzinfo is None:  # "-0000": UTC, local offset unknown (RFC 5322)
                parsed = parsed.replace(tzinfo=UTC)
            return make_timestamp(parsed, "second", source, value, _offset_flags(parsed))
    found = find_dates(value, source=source)
    return found[0] if len(found) == 1 else None


_URL_DATE = re.compile(r"/(\d{4})/(\d{1,2})/(\d{1,2})(?=/|$)")


@lru_cache(maxsize=4096)
def date_from_url(url: str) -> Timestamp | None:
    """The ``/YYYY/M/D/`` date in a URL path (also percent-encoded) -> day precision, ``url``."""
    path = to_ascii_digits(unquote(urlsplit(url).path))
    for m in _URL_DATE.finditer(path):
        year, month, day = (int(g) for g in m.groups())
        if URL_YEARS[0] <= year <= URL_YEARS[1]:
            try:
                return make_timestamp(date(year, month, day), "day", "url", m.group().strip("/"))
            except ValueError:
                continue
    return None


# --- free text ---------------------------------------------------------------------------------


class _Clock(NamedTuple):
    hour: int
    minute: int
    second: int | None  # None when not printed
    zone: tzinfo | None  # the zone printed with the time (GMT, GMT+4, بتوقيت القدس, …)


class _Hit(NamedTuple):
    start: int
    end: int
    kind: str  # 'iso' | 'date' | 'ago' | 'day' | 'time', in priority order
    value: object
    flags: tuple[str, ...] = ()


_PRIORITY = MappingProxyType({"iso": 0, "date": 1, "ago": 2, "day": 3, "time": 4})
_GAP_MAX = 24
_GAP_BREAK = re.compile(r"[\d.!?؟؛]|\n\s*\n")
_ADJACENT = re.compile(r"[\s،,|\-:]{0,3}")


def _clock(m: re.Match) -> _Clock | None:
    hour = lex.apply_meridiem(int(m["h"]), m["ap"])
    minute, second = int(m["mi"]), (int(m["s"]) if m["s"] else None)
    if hour is None or minute > 59 or (second or 0) > 59:
        return None
    return _Clock(hour, minute, second, printed_zone(m))


def _calendar_date(m: re.Match) -> tuple[date, tuple[str, ...]] | None:
    if "mon" in m.re.groupindex:
        month = lex.month_number(m["mon"])
        if m["mon2"] and lex.month_number(m["mon2"]) != month:
            return None  # "نيسان (أيار)": contradictory double form
    else:
        month = int(m["m"])
    year = int(m["y"])
    if not TEXT_YEARS[0] <= year <= TEXT_YEARS[1]:
        return None
    try:
        day = date(year, month, int(m["d"]))
    except ValueError:
        return None
    return day, _weekday_flags(m["wd"], day)


def _ago(m: re.Match) -> tuple[timedelta, str] | None:
    """(how long ago, precision) of ``منذ ساعة و20 دقيقة``; None for a vague ``منذ ساعات``.

    Precision: day when only days/weeks are counted, else minute (second with seconds).
    """
    total, units = timedelta(), []
    for n, word in ((m["n"], m["unit"]), (m["n2"], m["unit2"])):
        if word is None:
            continue
        unit, implied = lex.UNITS[word]
        count = lex.number_value(n) if n else implied
        if count is None:
            return None
        total += timedelta(**{unit: count})
        units.append(unit)
    if m["frac"]:  # "ونصف" / "وربع": a half / a quarter of the (single) unit
        unit = lex.UNITS[m["unit"]][0]
        total += timedelta(**{unit: 1}) / (2 if m["frac"] == "نصف" else 4)
        units.append({"minutes": "seconds", "hours": "minutes"}.get(unit, unit))
    if all(u in ("days", "weeks") for u in units):
        return total, "day"
    return total, "second" if "seconds" in units else "minute"


def _weekday_flags(word: str | None, day: date) -> tuple[str, ...]:
    if word and lex.weekday_number(word) != day.weekday():
        return ("weekday_mismatch",)
    return ()


def _scan(norm: str, ref: datetime | None) -> list[_Hit]:
    """All candidate pieces, overlaps resolved by priority (machine > date > relative > time)."""
    hits: list[_Hit] = [
        _Hit(m.start(), m.end(), "iso", m.group()) for m in lex.ISO_IN_TEXT.finditer(norm)
    ]
    for pattern in (lex.YMD, lex.DMY, lex.NAMED):
        for m in pattern.finditer(norm):
            found = _calendar_date(m)
            if found:
                hits.append(_Hit(m.start(), m.end(), "date", found[0], found[1]))
    if ref is not None:
        for m in lex.RELATIVE.finditer(norm):
            ago = _ago(m)
            if ago:
                hits.append(_Hit(m.start(), m.end(), "ago", ago))
        for m in lex.RELATIVE_DAY.finditer(norm):
            word = m["word"]
            back = 0 if word == "اليوم" else 2 if word.startswith("اول") else 1
            day = ref.date() - timedelta(days=back)
            flags = _weekday_flags(m["wd"], day)
            hits.append(_Hit(m.start("word"), m.end(), "day", day, flags))
    for m in lex.TIME.finditer(norm):
        clock = _clock(m)
        if clock:
            hits.append(_Hit(m.start(), m.end(), "time", clock))
    accepted: list[_Hit] = []  # kept sorted by start; accepted spans never overlap
    for hit in sorted(hits, key=lambda h: (_PRIORITY[h.kind], h.start)):
        i = bisect.bisect_left(accepted, hit.start, key=lambda h: h.start)
        if (i == 0 or accepted[i - 1].end <= hit.start) and (
            i == len(accepted) or hit.end <= accepted[i].start
        ):
            accepted.insert(i, hit)
    return accepted


def _close(gap: str) -> bool:
    return len(gap) <= _GAP_MAX and not _GAP_BREAK.search(gap)


def _pair_times(norm: str, hits: list[_Hit]) -> list[tuple[_Hit, _Hit | None]]:
    """Attach to each date / relative day the time right after it, else the one right before.

    "Right" means next in the list of hits (nothing else found in between) and close by: at
    most ``_GAP_MAX`` characters, with no digit, sentence end or blank line in the gap.
    """
    used: set[int] = set()
    pairs = []
    for i, anchor in enumerate(hits):
        if anchor.kind not in ("date", "day"):
            continue
        chosen = None
        after = hits[i + 1] if i + 1 < len(hits) else None
        before = hits[i - 1] if i > 0 else None
        if after and after.kind == "time" and _close(norm[anchor.end : after.start]):
            chosen = after
        elif (
            before
            and before.kind == "time"
            and before.start not in used
            and _close(norm[before.end : anchor.start])
        ):
            chosen = before
        if chosen:
            used.add(chosen.start)
        pairs.append((anchor, chosen))
    return pairs


def _on_day(day: date, clock: _Clock, source: str, raw: str, flags=()) -> Timestamp:
    naive = datetime.combine(day, time(clock.hour, clock.minute, clock.second or 0))
    precision = "minute" if clock.second is None else "second"
    return make_timestamp(naive, precision, source, raw, flags, zone=clock.zone)


def _as_reference(reference: datetime | None) -> datetime | None:
    if reference is None:
        return None
    return localize(reference)[0]


def find_dates(
    text: str, reference: datetime | None = None, source: str = "visible"
) -> list[Timestamp]:
    """Every timestamp in ``text``, in text order.

    A date with a time closely after (or before) it becomes one minute/second-precision
    timestamp. Relative forms are resolved against ``reference`` (the fetch time; naive =
    Beirut) with source ``relative``; without a reference they are skipped. A time with no date
    is not a timestamp (use :func:`find_time` / :func:`time_on_date`).
    """
    if not text:
        return []
    norm = lex.normalize(text)
    ref = _as_reference(reference)
    hits = _scan(norm.text, ref)
    hits = [h for i, h in enumerate(hits) if not _beside_printed_date(norm.text, hits, i)]
    out: list[tuple[int, Timestamp]] = []
    for hit in hits:
        raw = norm.span(text, hit.start, hit.end)
        if hit.kind == "iso":
            read = _read_iso(hit.value)
            if read:
                out.append((hit.start, make_timestamp(read[0], read[1], source, raw, read[2])))
        elif hit.kind == "ago":
            delta, precision = hit.value
            # days count back on the Beirut calendar, hours and minutes on the UTC clock
            # (aware arithmetic in one zone is wall-clock arithmetic: wrong across a DST change)
            when = (ref - delta).date() if precision == "day" else ref.astimezone(UTC) - delta
            out.append((hit.start, make_timestamp(when, precision, "relative", raw)))
    for anchor, clock in _pair_times(norm.text, hits):
        src = source if anchor.kind == "date" else "relative"
        if clock is None:
            raw = norm.span(text, anchor.start, anchor.end)
            out.append((anchor.start, make_timestamp(anchor.value, "day", src, raw, anchor.flags)))
        else:
            start, end = min(anchor.start, clock.start), max(anchor.end, clock.end)
            raw = norm.span(text, start, end)
            out.append((start, _on_day(anchor.value, clock.value, src, raw, anchor.flags)))
    return [ts for _, ts in sorted(out, key=lambda pair: pair[0])]


def _beside_printed_date(norm: str, hits: list[_Hit], i: int) -> bool:
    """A relative day word right next to a printed date (``اليوم 26/04/2024``) adds nothing."""
    if hits[i].kind != "day":
        return False
    before = hits[i - 1] if i > 0 else None
    after = hits[i + 1] if i + 1 < len(hits) else None
    return bool(
        (before and before.kind == "date" and _ADJACENT.fullmatch(norm[before.end : hits[i].start]))
        or (after and after.kind == "date" and _ADJACENT.fullmatch(norm[hits[i].end : after.start]))
    )


def parse_date(
    text: str, reference: datetime | None = None, source: str = "visible"
) -> Timestamp | None:
    """The first timestamp :func:`find_dates` finds in ``text``, or None."""
    found = find_dates(text, reference, source)
    return found[0] if found else None


def _first_clock(norm: str) -> tuple[re.Match, _Clock] | None:
    """The time after ``آخر تحديث`` if there is one, else the first valid time."""
    update = lex.UPDATE.search(norm)
    if update:
        m = lex.TIME.match(norm, update.end())
        if m and (clock := _clock(m)):
            return m, clock
    for m in lex.TIME.finditer(norm):
        if clock := _clock(m):
            return m, clock
    return None


def find_time(text: str) -> tuple[int, int] | None:
    """(hour, minute) of the time of day in ``text``, 24-hour, as printed (12-hour words applied).

    ``'21:43'``, ``'9:05 م'``, ``'٩:٠٥ مساءً'``, ``'آخر تحديث:16:29(بيروت)'`` -> (16, 29).
    """
    found = _first_clock(lex.normalize(text).text) if text else None
    return (found[1].hour, found[1].minute) if found else None


def time_on_date(day: str, text: str, source: str = "visible") -> Timestamp | None:
    """The time in ``text`` (the update line ``آخر تحديث: 21:43 (بيروت)``) on Beirut day ``day``.

    ``day`` is ``YYYY-MM-DD``. If ``text`` carries its own date with a time, that wins. Returns
    None when there is no time or ``day`` is not a date.
    """
    try:
        on = date.fromisoformat(day.strip()[:10])
    except (AttributeError, ValueError):
        return None
    if not text:
        return None
    read = _read_update(text, source)
    if read is None:
        return None
    own, clock, raw = read
    return own if own is not None else _on_day(on, clock, source, raw)


@lru_cache(maxsize=4096)
def _read_update(text: str, source: str) -> tuple[Timestamp | None, _Clock | None, str] | None:
    """What an update line says apart from the day it is on: its own dated time (wins), or its
    clock and the printed span; memoised (the same update line is printed on many days)."""
    for ts in find_dates(text, source=source):
        if ts.precision != "day":
            return ts, None, ""
    norm = lex.normalize(text)
    found = _first_clock(norm.text)
    if not found:
        return None
    m, clock = found
    return None, clock, norm.span(text, m.start(), m.end())


def read_date_line(
    text: str, reference: datetime | None = None, source: str = "visible", zone=None
) -> list[Timestamp]:
    """The timestamps of a candidate date line: the lexicon's (:func:`find_dates`), else the one
    the ``dateparser`` layer reads (English/French dates, relative forms in those languages).

    For short candidate strings (a line under the headline, a label), not body text: the
    fallback only runs when the lexicon found nothing, and never on more than 160 characters.
    ``zone`` is the page's zone when known (a zone printed in ``text`` wins).
    """
    found = find_dates(text, reference, source)
    if found:
        return found
    other = parse_fallback(text, reference, source, zone)
    return [other] if other else []


def parse_fallback(text: str, reference: datetime | None = None, source: str = "visible", zone=None):
    """``dates_fallback.parse_fallback`` (imported on first use: dateparser loads slowly)."""
    from .dates_fallback import parse_fallback as fallback

    return fallback(text, reference, source, zone)


def impossible_dates(text: str) -> list[str]:
    """Date-shaped strings in ``text`` that name no day of the calendar, as printed.

    ``31/02/2024``, ``29/02/2023``, ``2024/13/01``, ``31 نيسان 2024``: the parser drops them (it
    never repairs a date); this says which were dropped (``almodon dates`` reports them).
    """
    if not text:
        return []
    norm = lex.normalize(text)
    out: list[tuple[int, str]] = []
    for pattern in (lex.YMD, lex.DMY, lex.NAMED):
        for m in pattern.finditer(norm.text):
            if not TEXT_YEARS[0] <= int(m["y"]) <= TEXT_YEARS[1]:
                continue
            if "mon" in m.re.groupindex:
                month = lex.month_number(m["mon"])
                if m["mon2"] and lex.month_number(m["mon2"]) != month:
                    continue
            else:
                month = int(m["m"])
            try:
                date(int(m["y"]), month, int(m["d"]))
            except ValueError:
                out.append((m.start(), norm.span(text, m.start(), m.end())))
    return [raw for _, raw in sorted(set(out))]


def dates_report(text: str, reference: str | None = None) -> list[dict]:
    """For ``almodon dates "TEXT" [--reference ISO]``: every timestamp found, as dicts.

    The lexicon first; when it finds nothing, the ``dateparser`` layer (its entries say
    ``"layer": "dateparser"``). Raises ``ValueError`` for a reference that is not ISO 8601
    (naive / date only = Beirut).
    """
    ref = None
    if reference:
        read = _read_iso(reference)
        if not read:
            raise ValueError(f"reference is not an ISO 8601 time: {reference!r}")
        value = read[0]
        ref = value if isinstance(value, datetime) else datetime.combine(value, time())
    found = find_dates(text, ref)
    if found:
        return [ts.to_dict() for ts in found]
    other = parse_fallback(text, ref)
    return [{**other.to_dict(), "layer": "dateparser"}] if other else []
