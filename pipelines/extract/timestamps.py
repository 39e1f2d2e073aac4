"""The one value type for a point in time read off a page.

Kept apart from the parser (``dates.py``) so the record, the store and the tests can share it
without importing the parsing machinery.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Where a timestamp was read, best first. The extractor keeps the best and records the rest.
SOURCES = ("jsonld", "meta", "visible", "relative", "url")
PRECISIONS = ("day", "minute", "second")


@dataclass(frozen=True)
class Timestamp:
    """A moment (or a day) in Beirut, as printed and as normalised.

    - ``date``: the Beirut calendar date, ``YYYY-MM-DD`` (always set).
    - ``utc``: ``YYYY-MM-DDTHH:MM:SSZ``, or ``None`` when only the day is known.
    - ``local``: Beirut local ISO with its offset (``2024-04-26T21:43:00+03:00``), or the bare
      date when only the day is known.
    - ``precision``: ``day`` / ``minute`` / ``second``.
    - ``source``: ``jsonld`` / ``meta`` / ``visible`` / ``relative`` / ``url``.
    - ``raw``: the text as printed on the page (or the attribute value).
    - ``flags``: e.g. ``ambiguous`` (autumn repeated hour), ``nonexistent`` (spring gap),
      ``weekday_mismatch``, ``offset_mismatch`` (an ISO offset that is not Beirut's at that time).
    - ``zone``: the zone printed on the page with the time, in which the printed wall time was
      read (it wins over the default Beirut): ``Asia/Jerusalem``, ``UTC``, ``+04:00``, or
      ``Asia/Beirut`` for a printed ``(بيروت)``; ``None`` when the page printed no zone and Beirut
      was assumed (and for machine forms, whose offset is in ``raw``).
    """

    date: str
    utc: str | None
    local: str
    precision: str
    source: str
    raw: str = ""
    flags: tuple[str, ...] = field(default_factory=tuple)
    zone: str | None = None

    def to_dict(self) -> dict:
        """The JSON form; ``zone`` is there only when the page printed one."""
        out = {
            "date": self.date,
            "utc": self.utc,
            "local": self.local,
            "precision": self.precision,
            "source": self.source,
            "raw": self.raw,
            "flags": list(self.flags),
        }
        if self.zone:
            out["zone"] = self.zone
        return out
