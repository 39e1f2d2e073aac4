"""Round-trip properties of ``pipelines.extract.dates`` (hypothesis).

A real instant is turned into Beirut wall time by plain zone conversion (UTC -> Beirut is never
ambiguous), printed in one of the shapes the site and the region use, and parsed back.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipelines.extract.dates import BEIRUT, find_dates, parse_date

SETTINGS = settings(max_examples=300, deadline=None)

FIRST, LAST = date(2000, 1, 1), date(2035, 12, 31)
UTC_FROM = datetime(2000, 1, 1, 0, 0)
UTC_TO = datetime(2035, 12, 31, 21, 59)

DIGITS = {
    "western": str.maketrans("", ""),
    "arabic-indic": str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"),
    "persian": str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"),
}
LEVANTINE = [
    ["كانون الثاني", "كانون ثاني"],
    ["شباط"],
    ["آذار", "اذار"],
    ["نيسان"],
    ["أيار", "ايار"],
    ["حزيران"],
    ["تموز"],
    ["آب", "اب"],
    ["أيلول", "ايلول"],
    ["تشرين الأول", "تشرين الاول", "تشرين أول"],
    ["تشرين الثاني", "تشرين ثاني"],
    ["كانون الأول", "كانون الاول"],
]
MSA = [
    ["يناير"],
    ["فبراير"],
    ["مارس"],
    ["أبريل", "ابريل", "إبريل"],
    ["مايو"],
    ["يونيو", "يونيه"],
    ["يوليو", "يوليه"],
    ["أغسطس", "اغسطس"],
    ["سبتمبر"],
    ["أكتوبر", "اكتوبر"],
    ["نوفمبر"],
    ["ديسمبر"],
]
WEEKDAYS = [
    ["الإثنين", "الاثنين"],
    ["الثلاثاء"],
    ["الأربعاء", "الاربعاء"],
    ["الخميس"],
    ["الجمعة"],
    ["السبت"],
    ["الأحد", "الاحد"],
]
FAMILIES = ["ymd", "dmy", "levantine", "msa", "double"]


def _format_day(draw, day: date, family: str) -> str:
    """``day`` printed in ``family`` (with random but valid separators / spellings)."""
    y, m, d = day.year, day.month, day.day
    if family in ("ymd", "dmy"):
        sep = draw(st.sampled_from("/-."))
        pad = draw(st.booleans())
        mm, dd = (f"{m:02d}", f"{d:02d}") if pad else (str(m), str(d))
        return f"{y}{sep}{mm}{sep}{dd}" if family == "ymd" else f"{dd}{sep}{mm}{sep}{y}"
    lev = draw(st.sampled_from(LEVANTINE[m - 1]))
    msa = draw(st.sampled_from(MSA[m - 1]))
    if family == "levantine":
        month = lev
    elif family == "msa":
        month = msa
    else:
        month = draw(st.sampled_from([f"{lev}/{msa}", f"{lev} ({msa})", f"{msa} ({lev})"]))
    return f"{d} {month} {y}"


def _format_clock(draw, hour: int, minute: int) -> str:
    style = draw(st.sampled_from(["24h", "12h-short", "12h-long"]))
    if style == "24h":
        return f"{hour:02d}:{minute:02d}"
    h12 = hour % 12 or 12
    if style == "12h-short":
        return f"{h12}:{minute:02d} {'ص' if hour < 12 else 'م'}"
    return f"{h12}:{minute:02d} {'صباحاً' if hour < 12 else 'مساءً'}"


@st.composite
def printed_days(draw):
    day = draw(st.dates(FIRST, LAST))
    family = draw(st.sampled_from(FAMILIES))
    digits = draw(st.sampled_from(sorted(DIGITS)))
    text = _format_day(draw, day, family)
    if draw(st.booleans()):
        text = f"{draw(st.sampled_from(WEEKDAYS[day.weekday()]))} {text}"
    return day, text.translate(DIGITS[digits])


@st.composite
def printed_instants(draw):
    """(instant truncated to the minute, its Beirut wall time, the text printed from it)."""
    naive_utc = draw(st.datetimes(UTC_FROM, UTC_TO)).replace(second=0, microsecond=0)
    instant = naive_utc.replace(tzinfo=UTC)
    local = instant.astimezone(BEIRUT)
    family = draw(st.sampled_from(FAMILIES))
    digits = draw(st.sampled_from(sorted(DIGITS)))
    day_text = _format_day(draw, local.date(), family)
    clock = _format_clock(draw, local.hour, local.minute)
    joiner = draw(st.sampled_from([" ", " - ", " | ", "، ", " الساعة "]))
    text = f"{day_text}{joiner}{clock}".translate(DIGITS[digits])
    return instant, local, text


def _utc(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _assert_round_trip(instant: datetime, local: datetime, text: str) -> None:
    ts = parse_date(text)
    assert ts is not None, text
    assert "nonexistent" not in ts.flags  # a real instant is never in the spring gap
    assert "weekday_mismatch" not in ts.flags
    if local.fold == 1:
        # the second pass through the autumn repeated hour reads as the first one, flagged
        assert "ambiguous" in ts.flags
        assert ts.utc == _utc(instant - timedelta(hours=1))
    else:
        assert ts.utc == _utc(instant), text
        assert ts.local == local.isoformat(timespec="seconds")
    assert ts.date == local.date().isoformat()
    assert ts.precision == "minute"


@SETTINGS
@given(printed_days())
def test_every_day_every_digit_system_and_month_family(case):
    day, text = case
    ts = parse_date(text)
    assert ts is not None, text
    assert (ts.date, ts.utc, ts.precision, ts.flags) == (day.isoformat(), None, "day", ())
    assert ts.raw == text


@SETTINGS
@given(printed_instants())
def test_local_time_round_trips_in_every_form(case):
    _assert_round_trip(*case)


@SETTINGS
@given(st.datetimes(UTC_FROM, UTC_TO), st.sampled_from(["", "| ", "المدن - ", "نشر في: "]))
@example(datetime(2024, 10, 26, 20, 30), "")  # 23:30+03:00, first pass of the repeated hour
@example(datetime(2024, 10, 26, 21, 30), "")  # 23:30+02:00, second pass: flagged ambiguous
@example(datetime(2024, 3, 30, 22, 0), "")  # 01:00+03:00, right after the spring gap
@example(datetime(2023, 4, 10, 9, 0), "")  # 2023: postponement reversed, summer time
def test_site_header_round_trips(naive_utc, noise):
    """``الجمعة 2024/04/26`` + ``21:43``, as the site prints it, parses back to the instant."""
    instant = naive_utc.replace(second=0, microsecond=0, tzinfo=UTC)
    local = instant.astimezone(BEIRUT)
    weekday = WEEKDAYS[local.weekday()][0]
    text = f"{noise}{weekday} {local:%Y/%m/%d} {local:%H:%M}{' |' if noise == '| ' else ''}"
    _assert_round_trip(instant, local, text)


@SETTINGS
@given(st.lists(printed_days(), min_size=1, max_size=4))
def test_several_dates_come_back_in_text_order(cases):
    text = " ؛ ".join(t for _, t in cases)
    assert [ts.date for ts in find_dates(text)] == [d.isoformat() for d, _ in cases]


@SETTINGS
@given(st.dates(FIRST, LAST), st.integers(0, 6))
def test_wrong_weekday_is_flagged_not_dropped(day, shift):
    weekday = WEEKDAYS[(day.weekday() + shift) % 7][0]
    ts = parse_date(f"{weekday} {day:%Y/%m/%d}")
    assert ts.date == day.isoformat()
    assert ("weekday_mismatch" in ts.flags) == (shift != 0)


SOUP = "0123456789٠١٢٣٤٥٦٧٨٩۰۴/-.: \n\u064b\u064f\u0640\u200fالجمعةنيسانأبريلمنذساعةأمسصم()"


@SETTINGS
@given(st.text(alphabet=SOUP, max_size=40))
def test_never_raises_and_raw_is_verbatim(text):
    for ts in find_dates(text, datetime(2024, 4, 26, 12, 0, tzinfo=BEIRUT)):
        assert ts.raw and ts.raw in text
        assert ts.precision in ("day", "minute", "second")
