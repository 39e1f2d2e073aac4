"""The zones and the one place where wall time becomes an instant (used by ``dates.py``).

The default is Beirut; a zone or offset printed on the page (``GMT+4``, ``بتوقيت القدس``) wins.

Conversions use the IANA zone ``Asia/Beirut`` read from the pinned ``tzdata`` package, never a
fixed +02:00/+03:00. Lebanon changes clocks at midnight local time on the last Sundays of March
(00:00 -> 01:00) and October (00:00 -> 23:00 the evening before), so the spring gap is
00:00-00:59 on the March Sunday and the repeated hour is 23:00-23:59 on the October Saturday.
"""

from __future__ import annotations

import importlib.resources
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import cache
from zoneinfo import ZoneInfo

from . import dates_lexicon as lex
from .timestamps import PRECISIONS, Timestamp

__all__ = [
    "BEIRUT",
    "TZDATA_VERSION",
    "fixed_zone",
    "localize",
    "make_timestamp",
    "named_zone",
    "printed_zone",
    "zone_name",
]


class _PinnedZone(ZoneInfo):
    """A zone read from the pinned ``tzdata`` package that pickles and copies by its key.

    (A plain ``ZoneInfo.from_file`` zone refuses ``pickle`` and ``copy.deepcopy``, and so would
    every aware datetime carrying it.)
    """

    def __reduce__(self):
        return (named_zone, (self.key,))


def _load(key: str) -> tuple[ZoneInfo, str]:
    """The IANA zone ``key`` from the pinned ``tzdata`` package, else from the system files.

    Plain ``ZoneInfo(key)`` prefers the operating system's files, whose version varies by host;
    reading the pinned package makes conversions identical everywhere.
    """
    try:
        import tzdata

        zone_file = importlib.resources.files("tzdata").joinpath(f"zoneinfo/{key}")
        with zone_file.open("rb") as fh:
            return _PinnedZone.from_file(fh, key=key), tzdata.IANA_VERSION
    except (ImportError, OSError, ValueError):  # pragma: no cover - tzdata is a dependency
        return ZoneInfo(key), "system"


@cache
def named_zone(key: str) -> ZoneInfo:
    """The IANA zone ``key`` (``Asia/Jerusalem``) from the pinned ``tzdata``; one object per key."""
    if key == "Asia/Beirut" and "BEIRUT" in globals():
        return BEIRUT
    return _load(key)[0]


def fixed_zone(minutes: int) -> tzinfo:
    """A fixed offset printed on the page (``GMT+4``, ``+03:00``); UTC for 0."""
    return UTC if minutes == 0 else timezone(timedelta(minutes=minutes))


def zone_name(zone: tzinfo) -> str:
    """``Asia/Jerusalem`` for an IANA zone, ``UTC``, or ``+04:00`` for a fixed offset."""
    key = getattr(zone, "key", None)
    if key:
        return key
    offset = zone.utcoffset(None) or timedelta()
    if not offset:
        return "UTC"
    sign = "-" if offset < timedelta() else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def printed_zone(m) -> tzinfo | None:
    """The zone a match of the lexicon's zone note printed (``lex.TIME`` or ``lex.ZONE_NOTE``):
    UTC (``GMT``, ``بتوقيت غرينتش``), a fixed offset (``GMT+4``, ``+03:00``), an IANA zone
    (``(بيروت)``, ``بتوقيت القدس``), or None when the match printed no zone."""
    if m["utc"]:
        if not m["oh"]:
            return UTC
        minutes = int(m["oh"]) * 60 + int(m["om"] or 0)
        return fixed_zone(-minutes if m["osign"] == "-" else minutes)
    if m["bh"]:
        return fixed_zone(int(m["bh"]) * 60 + int(m["bm"]))
    if m["beirut"]:
        return BEIRUT
    place = m["place"] or m["place2"]
    key = lex.zone_key(place) if place else None
    return named_zone(key) if key else None


#: ``Asia/Beirut``; ``TZDATA_VERSION`` is the IANA release it comes from (e.g. ``2026f``).
BEIRUT, TZDATA_VERSION = _load("Asia/Beirut")


def _unique(flags) -> tuple[str, ...]:
    return tuple(dict.fromkeys(flags))


# --- zone conversion ---------------------------------------------------------------------------


def localize(naive: datetime, zone: tzinfo | None = None) -> tuple[datetime, tuple[str, ...]]:
    """Wall time in ``zone`` (default :data:`BEIRUT`) -> aware datetime in that zone, plus flags.

    Never raises.

    - A wall time inside the spring gap (e.g. ``2024-03-31 00:30``) is read with the offset in
      force before the change and normalised, i.e. shifted forward by the gap
      (-> ``01:30+03:00``); flag ``nonexistent``.
    - A wall time in the autumn repeated hour (e.g. ``2024-10-26 23:30``) is the first
      occurrence (``fold=0``, summer offset); flag ``ambiguous``.
    - An aware datetime is simply converted to the zone (no flags).
    """
    zone = BEIRUT if zone is None else zone
    if naive.tzinfo is not None:
        try:
            return naive.astimezone(zone), ()
        except OverflowError:
            return naive, ()
    first = naive.replace(tzinfo=zone, fold=0)
    try:
        normal = first.astimezone(UTC).astimezone(zone)
    except OverflowError:  # year 1 / 9999 edges: keep the wall time as is
        return first, ()
    if normal.replace(tzinfo=None) != naive:
        return normal, ("nonexistent",)
    if first.utcoffset() != naive.replace(tzinfo=zone, fold=1).utcoffset():
        return normal, ("ambiguous",)
    return normal, ()


def make_timestamp(
    value: date | datetime,
    precision: str,
    source: str,
    raw: str = "",
    flags: tuple[str, ...] = (),
    zone: tzinfo | None = None,
) -> Timestamp:
    """Build a :class:`Timestamp`.

    A ``date`` is always day precision (``utc`` None, ``local`` = ``YYYY-MM-DD``). A naive
    ``datetime`` is wall time in ``zone`` — the zone printed on the page (``GMT+4``,
    ``بتوقيت القدس``), recorded as the Timestamp's ``zone`` — or Beirut wall time when the page
    printed none (see :func:`localize`); an aware one is converted. ``date`` and ``local`` are
    always Beirut's (the archive's calendar). Minute precision drops the seconds, second
    precision drops fractions (both in UTC).
    """
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; expected one of {PRECISIONS}")
    name = zone_name(zone) if zone is not None else None
    if not isinstance(value, datetime):
        day = value.isoformat()
        return Timestamp(day, None, day, "day", source, raw, _unique(flags), name)
    printed, extra = localize(value, zone)
    local = printed.astimezone(BEIRUT) if zone is not None else printed
    flags = _unique((*flags, *extra))
    if precision == "day":
        day = local.date().isoformat()
        return Timestamp(day, None, day, "day", source, raw, flags, name)
    exact = local.astimezone(UTC)
    instant = exact.replace(second=0, microsecond=0) if precision == "minute" else exact.replace(microsecond=0)
    if instant != exact or local.tzinfo is not BEIRUT:  # else ``local`` is that instant in Beirut
        local = instant.astimezone(BEIRUT)
    utc = instant.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
    return Timestamp(
        local.date().isoformat(),
        utc,
        local.isoformat(timespec="seconds"),
        precision,
        source,
        raw,
        flags,
        name,
    )
