"""The Beirut zone and the one place where wall time becomes an instant (used by ``dates.py``).

Conversions use the IANA zone ``Asia/Beirut`` read from the pinned ``tzdata`` package, never a
fixed +02:00/+03:00. Lebanon changes clocks at midnight local time on the last Sundays of March
(00:00 -> 01:00) and October (00:00 -> 23:00 the evening before), so the spring gap is
00:00-00:59 on the March Sunday and the repeated hour is 23:00-23:59 on the October Saturday.
"""

from __future__ import annotations

import importlib.resources
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from .timestamps import PRECISIONS, Timestamp

__all__ = ["BEIRUT", "TZDATA_VERSION", "localize", "make_timestamp"]


class _PinnedZone(ZoneInfo):
    """A zone read from the pinned ``tzdata`` package that pickles and copies as :data:`BEIRUT`.

    (A plain ``ZoneInfo.from_file`` zone refuses ``pickle`` and ``copy.deepcopy``, and so would
    every aware datetime carrying it.)
    """

    def __reduce__(self):
        return (_beirut, ())


def _beirut() -> ZoneInfo:
    return BEIRUT


def _load_beirut() -> tuple[ZoneInfo, str]:
    """``Asia/Beirut`` from the pinned ``tzdata`` package, else from the system zone files.

    Plain ``ZoneInfo("Asia/Beirut")`` prefers the operating system's files, whose version varies
    by host; reading the pinned package makes conversions identical everywhere.
    """
    try:
        import tzdata

        zone_file = importlib.resources.files("tzdata").joinpath("zoneinfo/Asia/Beirut")
        with zone_file.open("rb") as fh:
            return _PinnedZone.from_file(fh, key="Asia/Beirut"), tzdata.IANA_VERSION
    except (ImportError, OSError, ValueError):  # pragma: no cover - tzdata is a dependency
        return ZoneInfo("Asia/Beirut"), "system"


#: ``Asia/Beirut``; ``TZDATA_VERSION`` is the IANA release it comes from (e.g. ``2026f``).
BEIRUT, TZDATA_VERSION = _load_beirut()


def _unique(flags) -> tuple[str, ...]:
    return tuple(dict.fromkeys(flags))


# --- zone conversion ---------------------------------------------------------------------------


def localize(naive: datetime) -> tuple[datetime, tuple[str, ...]]:
    """Beirut wall time -> aware datetime in :data:`BEIRUT`, plus flags. Never raises.

    - A wall time inside the spring gap (e.g. ``2024-03-31 00:30``) is read with the offset in
      force before the change and normalised, i.e. shifted forward by the gap
      (-> ``01:30+03:00``); flag ``nonexistent``.
    - A wall time in the autumn repeated hour (e.g. ``2024-10-26 23:30``) is the first
      occurrence (``fold=0``, summer offset); flag ``ambiguous``.
    - An aware datetime is simply converted to Beirut (no flags).
    """
    if naive.tzinfo is not None:
        try:
            return naive.astimezone(BEIRUT), ()
        except OverflowError:
            return naive, ()
    first = naive.replace(tzinfo=BEIRUT, fold=0)
    try:
        normal = first.astimezone(UTC).astimezone(BEIRUT)
    except OverflowError:  # year 1 / 9999 edges: keep the wall time as is
        return first, ()
    if normal.replace(tzinfo=None) != naive:
        return normal, ("nonexistent",)
    if first.utcoffset() != naive.replace(tzinfo=BEIRUT, fold=1).utcoffset():
        return normal, ("ambiguous",)
    return normal, ()


def make_timestamp(
    value: date | datetime,
    precision: str,
    source: str,
    raw: str = "",
    flags: tuple[str, ...] = (),
) -> Timestamp:
    """Build a :class:`Timestamp`.

    A ``date`` is always day precision (``utc`` None, ``local`` = ``YYYY-MM-DD``). A naive
    ``datetime`` is Beirut wall time (see :func:`localize`); an aware one is converted to Beirut.
    Minute precision drops the seconds, second precision drops fractions (both in UTC).
    """
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; expected one of {PRECISIONS}")
    if not isinstance(value, datetime):
        day = value.isoformat()
        return Timestamp(day, None, day, "day", source, raw, _unique(flags))
    local, extra = localize(value)
    flags = _unique((*flags, *extra))
    if precision == "day":
        day = local.date().isoformat()
        return Timestamp(day, None, day, "day", source, raw, flags)
    instant = local.astimezone(UTC).replace(microsecond=0)
    if precision == "minute":
        instant = instant.replace(second=0)
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
    )
