"""Words, digits and patterns for reading Arabic dates; the parsing logic lives in ``dates.py``.

Everything here works on *normalised* text (see :func:`normalize`): ASCII digits, one alef
(``أ إ آ ٱ`` -> ``ا``), ``ى``/``ی`` -> ``ي``, ``ة`` -> ``ه``, ``ئ`` -> ``ي``, ``ؤ`` -> ``و``,
no short vowels / tanween / tatweel / direction marks, one kind of space and dash. That is
why the patterns below spell ``ابريل`` for ``أبريل``/``إبريل``, ``مساء`` for ``مساءً`` and
``ساعه`` for ``ساعة``. All tables are immutable; all patterns are compiled once at import.
"""

from __future__ import annotations

import re
from types import MappingProxyType
from typing import NamedTuple

# --- digits and normalisation ---------------------------------------------------------------

_DIGITS = {0x0660 + i: str(i) for i in range(10)} | {0x06F0 + i: str(i) for i in range(10)}
#: ``str.translate`` tables (plain dicts for speed; never modified).
DIGIT_TABLE = str.maketrans(_DIGITS)
#: One-to-one replacements (the text keeps its length, so offsets stay valid).
_TABLE = str.maketrans(
    {
        **_DIGITS,
        **dict.fromkeys(map(ord, "أإآٱ"), "ا"),
        **dict.fromkeys(map(ord, "ىی"), "ي"),
        ord("ئ"): "ي",
        ord("ؤ"): "و",
        ord("ة"): "ه",
        ord("ک"): "ك",
        ord("٫"): ".",
        **dict.fromkeys(map(ord, "\u2044\u2215"), "/"),
        **dict.fromkeys([*range(0x2010, 0x2016), 0x2212], "-"),
        **dict.fromkeys([0x00A0, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000], " "),
    }
)
del _DIGITS
#: Characters dropped outright: harakat and tanween, superscript alef, tatweel, bidi/zero-width.
_DROP = re.compile("[\u064b-\u065f\u0670\u0640\u061c\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


class Normalized(NamedTuple):
    """Normalised text plus, when characters were dropped, where each character came from."""

    text: str
    origin: tuple[int, ...] | None  # origin[i] = index in the original text; None = identity

    def span(self, original: str, start: int, end: int) -> str:
        """The original text behind normalised ``[start:end]`` (for ``Timestamp.raw``).

        Dropped characters right after the span (a final tanween, a tatweel) are included.
        """
        if self.origin is None:
            return original[start:end]
        stop = self.origin[end] if end < len(self.origin) else len(original)
        return original[self.origin[start] : stop]


def normalize(text: str) -> Normalized:
    """Normalise ``text`` for matching; keeps a map back to the original offsets."""
    kept: list[int] = []
    done = 0
    for m in _DROP.finditer(text):
        kept.extend(range(done, m.start()))
        done = m.end()
    if not done:
        return Normalized(text.translate(_TABLE), None)
    kept.extend(range(done, len(text)))
    return Normalized(_DROP.sub("", text).translate(_TABLE), tuple(kept))


# --- vocabulary ------------------------------------------------------------------------------

AR = "\u0621-\u064a\u066e-\u06d3"  # Arabic letters (for word boundaries)
_NOT_AR_BEFORE = rf"(?<![{AR}])"
_NOT_AR_AFTER = rf"(?![{AR}])"

#: (pattern, month) - Levantine, MSA/Egyptian/Gulf (with spelling variants), Iraqi ``مايس``,
#: Maghrebi (Tunisia/Algeria: ``جانفي فيفري مارس أفريل ماي جوان جويلية أوت``, from the French)
#: and Moroccan (``يوليوز غشت شتنبر نونبر دجنبر``).
# fmt: off
MONTHS: tuple[tuple[str, int], ...] = (
    (r"كانون\s*+(?:ال)?ثاني", 1), (r"شباط", 2), (r"اذار", 3), (r"نيسان", 4), (r"ايار", 5),
    (r"حزيران", 6), (r"تموز", 7), (r"اب", 8), (r"ايلول", 9), (r"تشرين\s*+(?:ال)?اول", 10),
    (r"تشرين\s*+(?:ال)?ثاني", 11), (r"كانون\s*+(?:ال)?اول", 12),
    (r"يناير", 1), (r"فبراير", 2), (r"مارس", 3), (r"ابريل", 4), (r"مايو", 5), (r"مايس", 5),
    (r"يوني[وه]", 6), (r"يولي[وه]", 7), (r"اغسطس", 8), (r"سبتمبر", 9), (r"اكتوبر", 10),
    (r"نوفمبر", 11), (r"ديسمبر", 12),
    (r"جانفي", 1), (r"فيفري", 2), (r"افريل", 4), (r"ماي", 5), (r"جوان", 6), (r"جويليه", 7),
    (r"اوت", 8),
    (r"يوليوز", 7), (r"غشت", 8), (r"شتنبر", 9), (r"نونبر", 11), (r"دجنبر", 12),
)
# fmt: on
_MONTH_FULL = tuple((re.compile(rf"(?:ال)?{p}"), m) for p, m in MONTHS)
MONTH = (
    _NOT_AR_BEFORE
    + "(?:ال)?(?:"
    + "|".join(p for p, _ in sorted(MONTHS, key=lambda pm: -len(pm[0])))
    + ")"
    + _NOT_AR_AFTER
)

#: Weekday stem (after ``ال``, without the final hamza) -> ``date.weekday()``.
WEEKDAYS = MappingProxyType(
    {"اثنين": 0, "ثلاثا": 1, "اربعا": 2, "خميس": 3, "جمعه": 4, "سبت": 5, "احد": 6}
)
WEEKDAY = _NOT_AR_BEFORE + r"ال(?:اثنين|ثلاثاء?|اربعاء?|خميس|جمعه|سبت|احد)" + _NOT_AR_AFTER

#: Number words that may stand for the count in relative forms (``منذ ثلاث ساعات``).
# fmt: off
NUMBER_WORDS = MappingProxyType({
    "ثلاث": 3, "ثلاثه": 3, "اربع": 4, "اربعه": 4, "خمس": 5, "خمسه": 5, "ست": 6, "سته": 6,
    "سبع": 7, "سبعه": 7, "ثماني": 8, "ثمان": 8, "ثمانيه": 8, "تسع": 9, "تسعه": 9,
    "عشر": 10, "عشره": 10,
})
#: Relative units: word -> (unit, count implied by the word or None when a number is needed).
UNITS = MappingProxyType({
    "ثانيه": ("seconds", 1), "ثانيتين": ("seconds", 2), "ثانيتان": ("seconds", 2),
    "ثوان": ("seconds", None), "ثواني": ("seconds", None),
    "دقيقه": ("minutes", 1), "دقيقتين": ("minutes", 2), "دقيقتان": ("minutes", 2),
    "دقايق": ("minutes", None),
    "ساعه": ("hours", 1), "ساعتين": ("hours", 2), "ساعتان": ("hours", 2), "ساعات": ("hours", None),
    "يوم": ("days", 1), "يومين": ("days", 2), "يومان": ("days", 2), "ايام": ("days", None),
    "اسبوع": ("weeks", 1), "اسبوعين": ("weeks", 2), "اسبوعان": ("weeks", 2),
    "اسابيع": ("weeks", None),
})

#: Meridiem words -> rule name used by :func:`apply_meridiem`.
MERIDIEMS = MappingProxyType({
    "ص": "am", "صباحا": "am", "صباح": "am", "am": "am", "a.m.": "am",
    "م": "pm", "مساء": "pm", "مساءا": "pm", "مسا": "pm", "عصرا": "pm", "عصر": "pm",
    "بعد الظهر": "pm", "pm": "pm", "p.m.": "pm",
    "ظهرا": "noon", "ظهر": "noon", "الظهر": "noon",
    "فجرا": "dawn", "فجر": "dawn", "الفجر": "dawn",
    "ليلا": "night", "ليل": "night",
})
# fmt: on


def _alternation(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


# --- compiled patterns ------------------------------------------------------------------------

_YEAR = r"(?P<y>\d{4})(?!\d)(?!\s*ه" + _NOT_AR_AFTER + ")"  # not a Hijri year ``1445 هـ``
_WEEKDAY_PREFIX = rf"(?:(?P<wd>{WEEKDAY})\s*+[،,|:\-]?\s*+(?:الموافق\s*+)?)?"
_NO_DIGIT_BEFORE = r"(?<!\d)(?<!\d[./\-])"
_NO_DIGIT_AFTER = r"(?!\d)(?![./]\d)"

#: ``2024/04/26``, ``2024-4-26`` (4-digit year first: Y/M/D), optional weekday before.
YMD = re.compile(
    _WEEKDAY_PREFIX
    + _NO_DIGIT_BEFORE
    + r"(?P<y>\d{4})\s?(?P<sep>[/.\-])\s?(?P<m>\d{1,2})\s?(?P=sep)\s?(?P<d>\d{1,2})"
    + _NO_DIGIT_AFTER
)
#: ``26/04/2024``, ``26-4-2024``, ``26.04.2024`` (otherwise day first: D/M/Y).
DMY = re.compile(
    _WEEKDAY_PREFIX
    + _NO_DIGIT_BEFORE
    + r"(?P<d>\d{1,2})\s?(?P<sep>[/.\-])\s?(?P<m>\d{1,2})\s?(?P=sep)\s?"
    + _YEAR
    + _NO_DIGIT_AFTER
)
#: ``26 نيسان 2024``, ``26 نيسان (أبريل) 2024``, ``26 نيسان/أبريل 2024``, ``26 أبريل (نيسان)``.
NAMED = re.compile(
    _WEEKDAY_PREFIX
    + r"(?<!\d)(?P<d>\d{1,2})\s*+-?\s*+(?:من\s++)?(?:شهر\s++)?"
    + rf"(?P<mon>{MONTH})(?:\s*+[/\\\-(،,]?\s*+(?P<mon2>{MONTH})\s*+\)?)?"
    + r"\s*+[،,\-/]?\s*+(?:(?:من\s++)?(?:العام|عام|سنه)\s++)?"
    + _YEAR
)
#: A time of day, with optional seconds, meridiem word and zone note.
#: (Runs of spaces use possessive ``\s*+``: no backtracking, linear time on long blank runs.)
_MERIDIEM = rf"(?P<ap>{_alternation(MERIDIEMS)})(?![{AR}\w])"
#: Places whose clock a page may name after a time (normalised text) -> IANA zone. Beirut may
#: stand bare (``21:43 بيروت``); the others only after ``بتوقيت``/``توقيت`` or in parentheses.
# fmt: off
ZONE_PLACES: tuple[tuple[str, str], ...] = (
    (r"بيروت|لبنان", "Asia/Beirut"),
    (r"القدس", "Asia/Jerusalem"), (r"فلسطين", "Asia/Hebron"),
    (r"مكه(?:\s*+المكرمه)?|الرياض|السعوديه", "Asia/Riyadh"),
    (r"القاهره|مصر", "Africa/Cairo"), (r"دمشق|سوريا|سوريه", "Asia/Damascus"),
    (r"بغداد|العراق", "Asia/Baghdad"), (r"الدوحه|قطر", "Asia/Qatar"),
    (r"ابو\s*+ظبي|دبي|الامارات", "Asia/Dubai"), (r"الكويت", "Asia/Kuwait"),
    (r"المنامه|البحرين", "Asia/Bahrain"), (r"مسقط|سلطنه\s*+عمان", "Asia/Muscat"),
    (r"صنعاء|اليمن", "Asia/Aden"), (r"الخرطوم|السودان", "Africa/Khartoum"),
    (r"تونس", "Africa/Tunis"), (r"الجزاير", "Africa/Algiers"), (r"الرباط|المغرب", "Africa/Casablanca"),
    (r"لندن", "Europe/London"), (r"باريس", "Europe/Paris"),
)
# fmt: on
_PLACES_FULL = tuple((re.compile(p), key) for p, key in ZONE_PLACES)
_PLACE = "|".join(p for p, _ in ZONE_PLACES)
_NOTE = r"(?:بتوقيت|توقيت)\s*+"
#: A zone printed after a time: ``(بيروت)``, ``بتوقيت غرينتش``/``GMT``/``UTC`` (UTC),
#: ``GMT+4``, ``(GMT+0400)``, ``UTC+2``, ``GMT+03:00`` (a fixed offset), ``بتوقيت القدس``,
#: ``(القاهرة)`` (an IANA zone), or a bare ``+03:00`` (a ``+`` sign only: ``21:00-22:00`` is a range).
_ZONE = (
    rf"(?:\(?\s*+(?:{_NOTE})?(?:"
    r"(?P<utc>غرينتش|غرينيتش|جرينتش|جرينيتش|gmt|utc)"
    r"(?:\s?(?P<osign>[+-])(?P<oh>1[0-4]|0?\d)(?::?(?P<om>[0-5]\d))?(?!\d))?"
    rf"|(?P<beirut>بيروت|لبنان){_NOT_AR_AFTER}"
    r")\s*+\)?"
    rf"|\(\s*+(?:{_NOTE})?(?P<place>{_PLACE}){_NOT_AR_AFTER}\s*+\)"
    rf"|{_NOTE}(?P<place2>{_PLACE}){_NOT_AR_AFTER}"
    r"|\(?\+(?P<bh>0\d|1[0-4]):?(?P<bm>[0-5]\d)(?!\d)\)?)"
)
TIME = re.compile(
    r"(?<![\d.])(?<!\d:)(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?(?!\d)(?![:.]\d)"
    + rf"(?:\s*+{_MERIDIEM})?(?:\s*+{_ZONE})?",
    re.IGNORECASE,
)
#: A zone note on its own (the dateparser layer reads the zone before handing the rest over).
ZONE_NOTE = re.compile(_ZONE, re.IGNORECASE)
#: The site's update line; the time after it wins over other times in the same text.
UPDATE = re.compile(r"اخر\s*+تحديث\s*+:?\s*+")
#: ISO 8601 inside free text: needs a ``T`` or an explicit offset to count as machine form.
ISO_IN_TEXT = re.compile(
    r"(?<![\d.])\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?"
    r"|\s\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2}))(?![\d:])",
    re.IGNORECASE,
)
_COUNT = rf"\d{{1,3}}|{_alternation(NUMBER_WORDS)}"
_UNIT = _alternation(UNITS)
#: ``منذ 5 دقائق``, ``قبل ساعتين``, ``منذ ساعة و20 دقيقة``, ``منذ ساعة ونصف``; not
#: ``منذ يوم الجمعة`` (since Friday) or ``قبل 5 دقائق من`` (five minutes before ...).
RELATIVE = re.compile(
    _NOT_AR_BEFORE
    + r"(?:منذ|قبل)\s++(?:(?:حوالي|نحو|قرابه)\s++)?"
    + rf"(?:(?P<n>{_COUNT})\s*+)?(?P<unit>{_UNIT}){_NOT_AR_AFTER}"
    + rf"(?:\s*+و\s*+(?:(?P<frac>نصف|ربع){_NOT_AR_AFTER}"
    + rf"|(?:(?P<n2>{_COUNT})\s*+)?(?P<unit2>{_UNIT}){_NOT_AR_AFTER}))?"
    + rf"(?!\s*(?:ال[{AR}]|من{_NOT_AR_AFTER}))"
)
#: ``اليوم``, ``أمس``, ``البارحة``, ``أول أمس`` (optionally with the weekday after it).
RELATIVE_DAY = re.compile(
    _NOT_AR_BEFORE
    + r"و?(?P<word>اليوم|(?:اول\s++(?:من\s++)?)?(?:ال)?امس|البارحه)"
    + _NOT_AR_AFTER
    + rf"(?:\s*+[،,]?\s*+(?P<wd>{WEEKDAY}))?"
    + rf"(?!\s+ال[{AR}])"
)


# --- small lookups -----------------------------------------------------------------------------


def month_number(word: str) -> int | None:
    """Month number of a matched month word (normalised text), e.g. ``تشرين الاول`` -> 10."""
    for pattern, month in _MONTH_FULL:
        if pattern.fullmatch(word):
            return month
    return None


def zone_key(word: str) -> str | None:
    """IANA key of a matched place name (normalised text), e.g. ``القدس`` -> ``Asia/Jerusalem``."""
    for pattern, key in _PLACES_FULL:
        if pattern.fullmatch(word):
            return key
    return None


def weekday_number(word: str) -> int:
    """``date.weekday()`` of a matched weekday word (``الجمعه`` -> 4)."""
    return WEEKDAYS[word.removeprefix("ال").rstrip("ء")]


def number_value(word: str) -> int:
    """A count in digits or words (``3``, ``ثلاث``)."""
    return int(word) if word.isdigit() else NUMBER_WORDS[word]


def apply_meridiem(hour: int, word: str | None) -> int | None:
    """24-hour value of ``hour`` read with a 12-hour word, or ``None`` when impossible.

    ``ص``/``صباحاً`` (am): 12 -> 0.  ``م``/``مساءً``/``عصراً`` (pm): 1-11 -> +12.
    ``ظهراً`` (around noon): 12 stays, 1-6 -> +12, 7-11 stay (late morning).
    ``فجراً`` (dawn): 12 -> 0, else as is.  ``ليلاً`` (night): 12 -> 0, 6-11 -> +12, 1-5 stay.
    An hour above 12 is already 24-hour; the word is then redundant and ignored.
    """
    if hour > 23:
        return None
    if word is None or hour > 12:
        return hour
    rule = MERIDIEMS[re.sub(r"\s+", " ", word.lower())]
    if hour == 0:
        return 0
    if rule == "am" or rule == "dawn":
        return 0 if hour == 12 else hour
    if rule == "pm":
        return 12 if hour == 12 else hour + 12
    if rule == "noon":
        return hour + 12 if 1 <= hour <= 6 else hour
    # night
    if hour == 12:
        return 0
    return hour + 12 if hour >= 6 else hour
