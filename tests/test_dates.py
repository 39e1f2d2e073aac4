"""Tests for ``pipelines.extract.dates``: the real-world table, then each API function."""

from __future__ import annotations

import copy
import pickle
import time
from datetime import UTC, date, datetime, timedelta

import pytest

from pipelines.extract import dates
from pipelines.extract.dates import (
    BEIRUT,
    date_from_url,
    dates_report,
    find_dates,
    find_time,
    localize,
    make_timestamp,
    parse_date,
    parse_iso,
    time_on_date,
    to_ascii_digits,
)
from pipelines.extract.timestamps import Timestamp

#: Fetch time used to resolve relative forms in the table: Friday 2024-04-26 12:34:56 Beirut.
REF = datetime(2024, 4, 26, 12, 34, 56, tzinfo=BEIRUT)

# (text, expected): expected is a UTC instant "…Z" (a timestamp with a time), a "YYYY-MM-DD"
# (day precision) or None (no date at all). The first timestamp found is checked.
TABLE: list[tuple[str, str | None]] = [
    # --- numeric Y/M/D, the site's usual header line -------------------------------------------
    ("2024/04/26", "2024-04-26"),
    ("| الجمعة 2024/04/26 |", "2024-04-26"),
    ("الجمعة 2024/04/26", "2024-04-26"),
    ("الجمعة 2024/04/26 21:43", "2024-04-26T18:43:00Z"),
    ("الجمعة 2024/04/26 | 21:43", "2024-04-26T18:43:00Z"),
    ("الجمعة 2024/4/26 - 21:43", "2024-04-26T18:43:00Z"),
    ("2024-04-26", "2024-04-26"),
    ("2024.04.26", "2024-04-26"),
    ("2024/4/6", "2024-04-06"),
    ("2024 / 04 / 26", "2024-04-26"),
    ("نشر في: 2024/04/26", "2024-04-26"),
    ("تاريخ النشر: 2024/04/26 - 09:05", "2024-04-26T06:05:00Z"),
    ("الأحد 2024/01/07", "2024-01-07"),
    ("الاحد 2024/01/07 08:00", "2024-01-07T06:00:00Z"),
    ("الإثنين 2024/01/08", "2024-01-08"),
    ("الاثنين 2024/01/08", "2024-01-08"),
    ("الثلاثاء 2024/01/09", "2024-01-09"),
    ("الأربعاء 2024/01/10", "2024-01-10"),
    ("الاربعاء 2024/01/10", "2024-01-10"),
    ("الخميس 2024/01/11", "2024-01-11"),
    ("السبت 2024/01/13", "2024-01-13"),
    ("الجمعة 2015/05/01", "2015-05-01"),
    # --- numeric D/M/Y (day first) -----------------------------------------------------------
    ("26/04/2024", "2024-04-26"),
    ("26-4-2024", "2024-04-26"),
    ("26.04.2024", "2024-04-26"),
    ("01/05/2015", "2015-05-01"),
    ("1/5/2015", "2015-05-01"),
    ("05/01/2015", "2015-01-05"),
    ("12/11/2019", "2019-11-12"),
    ("المدن - الجمعة 26/04/2024 - 21:43", "2024-04-26T18:43:00Z"),
    ("المدن - الجمعة 26/04/2024 – 21:43", "2024-04-26T18:43:00Z"),
    ("نشر في: 26/04/2024 21:43", "2024-04-26T18:43:00Z"),
    ("بيروت، 26/04/2024", "2024-04-26"),
    ("(26/04/2024)", "2024-04-26"),
    ("26/04/2024 الساعة 21:43", "2024-04-26T18:43:00Z"),
    ("26/04/2024، 21:43", "2024-04-26T18:43:00Z"),
    ("26/04/2024\n21:43", "2024-04-26T18:43:00Z"),
    ("26-04-2024 21:43:05", "2024-04-26T18:43:05Z"),
    ("السبت 1/6/2024", "2024-06-01"),
    ("29/02/2024", "2024-02-29"),
    ("31/12/2023 23:59", "2023-12-31T21:59:00Z"),
    ("1/1/2024 00:00", "2023-12-31T22:00:00Z"),
    # --- Arabic-Indic and Extended (Persian) digits -------------------------------------------
    ("٢٦/٠٤/٢٠٢٤", "2024-04-26"),
    ("٢٠٢٤/٠٤/٢٦", "2024-04-26"),
    ("الجمعة ٢٠٢٤/٠٤/٢٦ ٢١:٤٣", "2024-04-26T18:43:00Z"),
    ("۲۶/۰۴/۲۰۲۴", "2024-04-26"),
    ("۲۰۲۴/۴/۲۶ - ۲۱:۴۳", "2024-04-26T18:43:00Z"),
    ("٢٦ نيسان ٢٠٢٤", "2024-04-26"),
    ("۲۶ آوریل", None),
    ("١ أيار ٢٠٢٣ - ٩:٠٥ مساءً", "2023-05-01T18:05:00Z"),
    ("٢٦-٤-٢٠٢٤", "2024-04-26"),
    ("٢٦.٠٤.٢٠٢٤ ١٠:٠٠ ص", "2024-04-26T07:00:00Z"),
    # --- Levantine month names ----------------------------------------------------------------
    ("26 نيسان 2024", "2024-04-26"),
    ("الجمعة 26 نيسان 2024", "2024-04-26"),
    ("الجمعة، 26 نيسان 2024", "2024-04-26"),
    ("1 كانون الثاني 2024", "2024-01-01"),
    ("1 كانون ثاني 2024", "2024-01-01"),
    ("14 شباط 2005", "2005-02-14"),
    ("8 آذار 2023", "2023-03-08"),
    ("8 اذار 2023", "2023-03-08"),
    ("15 أيار 2022", "2022-05-15"),
    ("15 ايار 2022", "2022-05-15"),
    ("30 حزيران 2021", "2021-06-30"),
    ("12 تموز 2006", "2006-07-12"),
    ("4 آب 2020", "2020-08-04"),
    ("4 اب 2020", "2020-08-04"),
    ("الثلاثاء 4 آب 2020 - 18:07", "2020-08-04T15:07:00Z"),
    ("21 أيلول 2019", "2019-09-21"),
    ("17 تشرين الأول 2019", "2019-10-17"),
    ("17 تشرين الاول 2019", "2019-10-17"),
    ("17 تشرين أول 2019", "2019-10-17"),
    ("22 تشرين الثاني 1943", "1943-11-22"),
    ("25 كانون الأول 2023", "2023-12-25"),
    ("25 كانون الاول 2023", "2023-12-25"),
    ("13 نيسان 1975", "1975-04-13"),
    ("26 نيسان، 2024", "2024-04-26"),
    ("26-نيسان-2024", "2024-04-26"),
    ("26 من شهر نيسان عام 2024", "2024-04-26"),
    ("يوم الجمعة الموافق 26 نيسان 2024", "2024-04-26"),
    ("26 نيسانَ 2024", "2024-04-26"),
    ("السبت ٢٧ نيسان ٢٠٢٤ الساعة ٠٨:١٥", "2024-04-27T05:15:00Z"),
    # --- MSA / Egyptian month names and spellings ---------------------------------------------
    ("1 يناير 2024", "2024-01-01"),
    ("14 فبراير 2024", "2024-02-14"),
    ("8 مارس 2024", "2024-03-08"),
    ("26 أبريل 2024", "2024-04-26"),
    ("26 ابريل 2024", "2024-04-26"),
    ("26 إبريل 2024", "2024-04-26"),
    ("1 مايو 2024", "2024-05-01"),
    ("30 يونيو 2024", "2024-06-30"),
    ("30 يونيه 2024", "2024-06-30"),
    ("23 يوليو 2024", "2024-07-23"),
    ("23 يوليه 2024", "2024-07-23"),
    ("4 أغسطس 2020", "2020-08-04"),
    ("4 اغسطس 2020", "2020-08-04"),
    ("11 سبتمبر 2001", "2001-09-11"),
    ("6 أكتوبر 1973", "1973-10-06"),
    ("6 اكتوبر 1973", "1973-10-06"),
    ("9 نوفمبر 1989", "1989-11-09"),
    ("31 ديسمبر 2024", "2024-12-31"),
    ("الجمعة 26 أبريل 2024 09:05 م", "2024-04-26T18:05:00Z"),
    ("القاهرة في 26 أبريل 2024", "2024-04-26"),
    # --- double forms --------------------------------------------------------------------------
    ("26 نيسان/أبريل 2024", "2024-04-26"),
    ("26 أبريل (نيسان) 2024", "2024-04-26"),
    ("26 نيسان (أبريل) 2024", "2024-04-26"),
    ("26 نيسان - أبريل 2024", "2024-04-26"),
    ("الجمعة، 26 نيسان/أبريل 2024 الساعة 9:05 مساءً", "2024-04-26T18:05:00Z"),
    ("4 آب/أغسطس 2020", "2020-08-04"),
    ("17 تشرين الأول (أكتوبر) 2019", "2019-10-17"),
    ("1 كانون الثاني/يناير 2024", "2024-01-01"),
    ("26 نيسان (أيار) 2024", None),  # contradictory: no silent pick
    # --- times: 12-hour words, seconds, zone notes ----------------------------------------------
    ("26/04/2024 9:05 م", "2024-04-26T18:05:00Z"),
    ("26/04/2024 9:05 ص", "2024-04-26T06:05:00Z"),
    ("26/04/2024 9:05 صباحاً", "2024-04-26T06:05:00Z"),
    ("26/04/2024 9:05 صباحًا", "2024-04-26T06:05:00Z"),
    ("26/04/2024 9:05 صباحا", "2024-04-26T06:05:00Z"),
    ("26/04/2024 9:05 مساءً", "2024-04-26T18:05:00Z"),
    ("26/04/2024 9:05 مساء", "2024-04-26T18:05:00Z"),
    ("26/04/2024 12:30 ظهراً", "2024-04-26T09:30:00Z"),
    ("26/04/2024 1:15 ظهراً", "2024-04-26T10:15:00Z"),
    ("26/04/2024 11:30 ظهرا", "2024-04-26T08:30:00Z"),
    ("26/04/2024 4:30 فجراً", "2024-04-26T01:30:00Z"),
    ("26/04/2024 10:00 ليلاً", "2024-04-26T19:00:00Z"),
    ("26/04/2024 12:15 ص", "2024-04-25T21:15:00Z"),
    ("26/04/2024 12:15 م", "2024-04-26T09:15:00Z"),
    ("26/04/2024 21:43 م", "2024-04-26T18:43:00Z"),
    ("26/04/2024 21:43:05", "2024-04-26T18:43:05Z"),
    ("26/04/2024 21:43 (بيروت)", "2024-04-26T18:43:00Z"),
    ("26/04/2024 21:43 (بتوقيت بيروت)", "2024-04-26T18:43:00Z"),
    ("26/04/2024 21:43 بتوقيت لبنان", "2024-04-26T18:43:00Z"),
    ("26/04/2024 18:43 بتوقيت غرينتش", "2024-04-26T18:43:00Z"),
    ("26/04/2024 18:43 GMT", "2024-04-26T18:43:00Z"),
    ("26/04/2024 21:43 (GMT+3)", "2024-04-26T18:43:00Z"),
    ("21:43 - 26/04/2024", "2024-04-26T18:43:00Z"),
    ("الساعة 21:43 من يوم الجمعة 26/04/2024", "2024-04-26T18:43:00Z"),
    ("26/04/2024 25:10", "2024-04-26"),  # impossible time: the date alone
    ("26/04/2024 21:75", "2024-04-26"),
    # --- seasons, 2023, gap and fold -------------------------------------------------------------
    ("15/01/2024 12:00", "2024-01-15T10:00:00Z"),
    ("15/07/2024 12:00", "2024-07-15T09:00:00Z"),
    ("10/04/2023 12:00", "2023-04-10T09:00:00Z"),
    ("27/03/2023 12:00", "2023-03-27T09:00:00Z"),
    ("25/04/2023 12:00", "2023-04-25T09:00:00Z"),
    ("30/03/2024 23:59", "2024-03-30T21:59:00Z"),
    ("31/03/2024 00:30", "2024-03-30T22:30:00Z"),  # gap: = 01:30 summer time
    ("31/03/2024 01:00", "2024-03-30T22:00:00Z"),
    ("26/10/2024 22:59", "2024-10-26T19:59:00Z"),
    ("26/10/2024 23:30", "2024-10-26T20:30:00Z"),  # repeated hour: first occurrence
    ("27/10/2024 00:30", "2024-10-26T22:30:00Z"),
    # --- machine forms -----------------------------------------------------------------------
    ("2024-04-26T21:43:00+03:00", "2024-04-26T18:43:00Z"),
    ("2024-04-26T18:43:00Z", "2024-04-26T18:43:00Z"),
    ("2024-04-26T21:43:00", "2024-04-26T18:43:00Z"),
    ("2024-04-26T21:43", "2024-04-26T18:43:00Z"),
    ("2024-04-26T21:43:00.000+0300", "2024-04-26T18:43:00Z"),
    ("datePublished: 2024-04-26T21:43:00+03:00,", "2024-04-26T18:43:00Z"),
    ("2024-04-26 18:43:00+00:00", "2024-04-26T18:43:00Z"),
    # --- relative forms (reference REF = 2024-04-26 12:34:56 Beirut) ---------------------------
    ("منذ 5 دقائق", "2024-04-26T09:29:00Z"),
    ("منذ ٥ دقائق", "2024-04-26T09:29:00Z"),
    ("قبل 5 دقائق", "2024-04-26T09:29:00Z"),
    ("منذ دقيقة", "2024-04-26T09:33:00Z"),
    ("منذ دقيقتين", "2024-04-26T09:32:00Z"),
    ("منذ 15 دقيقة", "2024-04-26T09:19:00Z"),
    ("منذ ساعة", "2024-04-26T08:34:00Z"),
    ("منذ ساعتين", "2024-04-26T07:34:00Z"),
    ("منذ 3 ساعات", "2024-04-26T06:34:00Z"),
    ("منذ ثلاث ساعات", "2024-04-26T06:34:00Z"),
    ("نشر منذ حوالي ساعة", "2024-04-26T08:34:00Z"),
    ("منذ يوم", "2024-04-25"),
    ("منذ يومين", "2024-04-24"),
    ("منذ 3 أيام", "2024-04-23"),
    ("منذ اسبوع", "2024-04-19"),
    ("أمس", "2024-04-25"),
    ("امس", "2024-04-25"),
    ("البارحة", "2024-04-25"),
    ("أول أمس", "2024-04-24"),
    ("اليوم", "2024-04-26"),
    ("اليوم الجمعة", "2024-04-26"),
    ("أمس 21:43", "2024-04-25T18:43:00Z"),
    ("اليوم 09:15", "2024-04-26T06:15:00Z"),
    # --- no date -------------------------------------------------------------------------------
    ("", None),
    ("لا تاريخ هنا", None),
    ("01/234567", None),
    ("للاتصال: 01/234567 أو 03/123456", None),
    ("فاز الفريق 3-1", None),
    ("2024", None),
    ("في عام 2024", None),
    ("نيسان 2024", None),
    ("الإصدار 1.2.3", None),
    ("version 2.10.1", None),
    ("21:43", None),
    ("آخر تحديث: 21:43 (بيروت)", None),
    ("الجمعة", None),
    ("31/02/2024", None),
    ("29/02/2023", None),
    ("2024/26/04", None),
    ("2024/13/01", None),
    ("00/01/2024", None),
    ("1445/10/17 هـ", None),
    ("17 رمضان 1445", None),
    ("192.168.1.10", None),
    ("منذ ساعات", None),
    ("منذ 2015", None),
    ("منذ يوم الجمعة", None),
    ("قبل 5 دقائق من انطلاق المباراة", None),
    ("في اليوم التالي", None),
    ("خامس أيام الأسبوع", None),
    ("25-26/04/2024", None),
]


def _check(found: Timestamp | None, expected: str | None) -> None:
    if expected is None:
        assert found is None
        return
    assert found is not None
    if expected.endswith("Z"):
        assert found.utc == expected
        assert found.precision in ("minute", "second")
    else:
        assert (found.date, found.utc, found.precision) == (expected, None, "day")


def test_table_is_big_enough():
    assert len(TABLE) >= 150
    assert len({text for text, _ in TABLE}) == len(TABLE)


@pytest.mark.parametrize(("text", "expected"), TABLE, ids=[t or "<empty>" for t, _ in TABLE])
def test_table(text, expected):
    _check(parse_date(text, REF), expected)
    for ts in find_dates(text, REF):
        assert ts.raw and ts.raw in text  # raw is always verbatim page text


# --- to_ascii_digits --------------------------------------------------------------------------


def test_to_ascii_digits():
    assert to_ascii_digits("٠١٢٣٤٥٦٧٨٩") == "0123456789"
    assert to_ascii_digits("۰۱۲۳۴۵۶۷۸۹") == "0123456789"
    assert to_ascii_digits("الجمعة ٢٠٢٤/۰۴/26") == "الجمعة 2024/04/26"
    assert to_ascii_digits("no digits, أحرف") == "no digits, أحرف"


# --- localize / make_timestamp --------------------------------------------------------------------


def test_localize_plain_winter_and_summer():
    winter, flags = localize(datetime(2024, 1, 15, 12, 0))
    assert flags == () and winter.utcoffset() == timedelta(hours=2)
    summer, flags = localize(datetime(2024, 7, 15, 12, 0))
    assert flags == () and summer.utcoffset() == timedelta(hours=3)


def test_localize_spring_gap_shifts_forward():
    aware, flags = localize(datetime(2024, 3, 31, 0, 30))
    assert flags == ("nonexistent",)
    assert aware.isoformat() == "2024-03-31T01:30:00+03:00"
    assert aware.astimezone(UTC) == datetime(2024, 3, 30, 22, 30, tzinfo=UTC)


def test_localize_autumn_repeat_takes_first_occurrence():
    aware, flags = localize(datetime(2024, 10, 26, 23, 30))
    assert flags == ("ambiguous",)
    assert aware.isoformat() == "2024-10-26T23:30:00+03:00"


def test_transition_edges_from_tzdata():
    # Lebanon switches at midnight: 2024-03-31 00:00 -> 01:00 and 2024-10-27 00:00 -> 2024-10-26 23:00.
    assert localize(datetime(2024, 3, 30, 23, 59))[1] == ()
    assert localize(datetime(2024, 3, 31, 0, 0))[1] == ("nonexistent",)
    assert localize(datetime(2024, 3, 31, 0, 59))[1] == ("nonexistent",)
    assert localize(datetime(2024, 3, 31, 1, 0))[1] == ()
    assert localize(datetime(2024, 10, 26, 22, 59))[1] == ()
    assert localize(datetime(2024, 10, 26, 23, 0))[1] == ("ambiguous",)
    assert localize(datetime(2024, 10, 26, 23, 59))[1] == ("ambiguous",)
    assert localize(datetime(2024, 10, 27, 0, 0))[1] == ()
    assert localize(datetime(2024, 10, 27, 0, 30))[0].utcoffset() == timedelta(hours=2)


def test_localize_never_raises_and_accepts_aware():
    for edge in (datetime.min, datetime.max, datetime(2024, 3, 31, 0, 0)):
        localize(edge)
    aware, flags = localize(datetime(2024, 4, 26, 18, 43, tzinfo=UTC))
    assert aware.isoformat() == "2024-04-26T21:43:00+03:00" and flags == ()


def test_2023_reversed_postponement():
    """2023: DST was postponed to 20 April, then the postponement was cancelled.

    tzdata (2023c and later) keeps the normal rule: summer time from 2023-03-26 00:00.
    """
    ts = make_timestamp(datetime(2023, 4, 10, 12, 0), "minute", "visible")
    assert ts.utc == "2023-04-10T09:00:00Z"
    assert ts.local == "2023-04-10T12:00:00+03:00"
    assert (
        make_timestamp(datetime(2023, 3, 26, 12, 0), "minute", "visible").utc
        == "2023-03-26T09:00:00Z"
    )
    assert (
        make_timestamp(datetime(2023, 3, 25, 12, 0), "minute", "visible").utc
        == "2023-03-25T10:00:00Z"
    )


def test_zone_data_is_the_pinned_package():
    import tzdata

    assert dates.TZDATA_VERSION == tzdata.IANA_VERSION
    assert str(BEIRUT) == "Asia/Beirut"


def test_zone_pickles_and_copies():
    aware = datetime(2024, 10, 26, 23, 30, fold=1, tzinfo=BEIRUT)
    for clone in (pickle.loads(pickle.dumps(aware)), copy.deepcopy(aware)):
        assert clone.tzinfo is BEIRUT and clone.fold == 1
        assert clone.utcoffset() == timedelta(hours=2)


def test_make_timestamp_date_is_day_precision():
    ts = make_timestamp(date(2024, 4, 26), "minute", "url", "2024/04/26")
    assert ts == Timestamp("2024-04-26", None, "2024-04-26", "day", "url", "2024/04/26", ())


def test_make_timestamp_naive_minute_drops_seconds():
    ts = make_timestamp(datetime(2024, 4, 26, 21, 43, 59, 123), "minute", "visible", "x")
    assert (ts.utc, ts.local, ts.date) == (
        "2024-04-26T18:43:00Z",
        "2024-04-26T21:43:00+03:00",
        "2024-04-26",
    )


def test_make_timestamp_aware_second_and_day():
    aware = datetime(2024, 4, 26, 22, 30, 5, 999, tzinfo=UTC)
    ts = make_timestamp(aware, "second", "jsonld")
    assert ts.utc == "2024-04-26T22:30:05Z"
    assert ts.local == "2024-04-27T01:30:05+03:00"
    assert ts.date == "2024-04-27"  # the Beirut calendar day, not the UTC one
    day = make_timestamp(aware, "day", "jsonld")
    assert (day.date, day.utc, day.local, day.precision) == (
        "2024-04-27",
        None,
        "2024-04-27",
        "day",
    )


def test_make_timestamp_merges_flags_and_rejects_bad_precision():
    ts = make_timestamp(
        datetime(2024, 3, 31, 0, 30), "minute", "visible", flags=("weekday_mismatch",)
    )
    assert ts.flags == ("weekday_mismatch", "nonexistent")
    with pytest.raises(ValueError):
        make_timestamp(datetime(2024, 1, 1), "hour", "visible")


# --- parse_iso --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "utc", "local", "precision", "flags"),
    [
        (
            "2024-04-26T21:43:00+03:00",
            "2024-04-26T18:43:00Z",
            "2024-04-26T21:43:00+03:00",
            "second",
            (),
        ),
        ("2024-04-26T18:43:00Z", "2024-04-26T18:43:00Z", "2024-04-26T21:43:00+03:00", "second", ()),
        (
            "2024-04-26T18:43:00+00:00",
            "2024-04-26T18:43:00Z",
            "2024-04-26T21:43:00+03:00",
            "second",
            (),
        ),
        ("2024-04-26T21:43:00", "2024-04-26T18:43:00Z", "2024-04-26T21:43:00+03:00", "second", ()),
        ("2024-04-26T21:43", "2024-04-26T18:43:00Z", "2024-04-26T21:43:00+03:00", "minute", ()),
        ("2024-04-26 21:43:00", "2024-04-26T18:43:00Z", "2024-04-26T21:43:00+03:00", "second", ()),
        (
            "2024-04-26T21:43:00.123456+03:00",
            "2024-04-26T18:43:00Z",
            "2024-04-26T21:43:00+03:00",
            "second",
            (),
        ),
        (
            "2024-04-26T21:43:00+0300",
            "2024-04-26T18:43:00Z",
            "2024-04-26T21:43:00+03:00",
            "second",
            (),
        ),
        (
            "  2024-04-26T21:43:00+03:00\n",
            "2024-04-26T18:43:00Z",
            "2024-04-26T21:43:00+03:00",
            "second",
            (),
        ),
        (
            "2024-01-15T12:00:00+02:00",
            "2024-01-15T10:00:00Z",
            "2024-01-15T12:00:00+02:00",
            "second",
            (),
        ),
        # a CMS that always writes +02:00: the instant is kept, the mismatch recorded
        (
            "2024-04-26T21:43:00+02:00",
            "2024-04-26T19:43:00Z",
            "2024-04-26T22:43:00+03:00",
            "second",
            ("offset_mismatch",),
        ),
        (
            "2024-01-15T12:00:00+03:00",
            "2024-01-15T09:00:00Z",
            "2024-01-15T11:00:00+02:00",
            "second",
            ("offset_mismatch",),
        ),
        (
            "2024-04-26T21:43:00-04:00",
            "2024-04-27T01:43:00Z",
            "2024-04-27T04:43:00+03:00",
            "second",
            ("offset_mismatch",),
        ),
        (
            "2024-03-31T00:30:00",
            "2024-03-30T22:30:00Z",
            "2024-03-31T01:30:00+03:00",
            "second",
            ("nonexistent",),
        ),
        (
            "2024-10-26T23:30:00",
            "2024-10-26T20:30:00Z",
            "2024-10-26T23:30:00+03:00",
            "second",
            ("ambiguous",),
        ),
        (
            "٢٠٢٤-٠٤-٢٦T٢١:٤٣:٠٠+٠٣:٠٠",
            "2024-04-26T18:43:00Z",
            "2024-04-26T21:43:00+03:00",
            "second",
            (),
        ),
        (
            "Fri, 26 Apr 2024 21:43:00 +0300",
            "2024-04-26T18:43:00Z",
            "2024-04-26T21:43:00+03:00",
            "second",
            (),
        ),
    ],
)
def test_parse_iso(value, utc, local, precision, flags):
    ts = parse_iso(value, source="meta")
    assert (ts.utc, ts.local, ts.precision, ts.flags, ts.source, ts.raw) == (
        utc,
        local,
        precision,
        flags,
        "meta",
        value,
    )


def test_parse_iso_date_only_and_default_source():
    ts = parse_iso("2024-04-26")
    assert ts == Timestamp("2024-04-26", None, "2024-04-26", "day", "jsonld", "2024-04-26", ())


def test_parse_iso_lenient_single_date():
    assert parse_iso("26/04/2024 21:43", source="meta").utc == "2024-04-26T18:43:00Z"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "not a date",
        "2024-02-30",
        "2024-04-26T25:00:00",
        "2024-04-26T21:43:00+25:00",
        "2024",
        "26/04/2024 و 27/04/2024",
        None,
        20240426,
    ],
)
def test_parse_iso_rejects(value):
    assert parse_iso(value) is None


# --- find_dates / parse_date -------------------------------------------------------------------


def test_find_dates_text_order_and_raw():
    text = "نشر في 2024/04/26 - 21:43، وآخر تحديث في 27/04/2024 الساعة 8:05 ص"
    found = find_dates(text)
    assert [t.utc for t in found] == ["2024-04-26T18:43:00Z", "2024-04-27T05:05:00Z"]
    assert [t.raw for t in found] == ["2024/04/26 - 21:43", "27/04/2024 الساعة 8:05 ص"]
    assert all(t.source == "visible" for t in found)


def test_find_dates_source_argument():
    assert find_dates("26/04/2024", source="meta")[0].source == "meta"


def test_find_dates_time_belongs_to_the_nearest_date():
    found = find_dates("26/04/2024 | 27/04/2024 21:43")
    assert [(t.date, t.precision) for t in found] == [
        ("2024-04-26", "day"),
        ("2024-04-27", "minute"),
    ]


def test_find_dates_distant_time_is_not_combined():
    found = find_dates("26/04/2024. وقالت الوزارة في بيان صدر عند 21:43")
    assert [(t.date, t.precision) for t in found] == [("2024-04-26", "day")]


def test_find_dates_relative_needs_reference():
    assert find_dates("منذ 5 دقائق") == []
    assert find_dates("أمس") == []
    assert find_dates("نشر أمس، 26/04/2024")[0].source == "visible"


def test_find_dates_relative_uses_beirut_calendar_day():
    # 00:30 Beirut on 27 April is still 26 April in UTC: "yesterday" is the Beirut 26th.
    ref = datetime(2024, 4, 26, 21, 30, tzinfo=UTC)
    assert parse_date("أمس", ref).date == "2024-04-26"
    assert parse_date("منذ يومين", ref).date == "2024-04-25"
    assert parse_date("منذ 5 دقائق", ref).utc == "2024-04-26T21:25:00Z"


def test_find_dates_relative_counts_real_time_across_dst():
    ref = datetime(2024, 3, 31, 1, 2, tzinfo=BEIRUT)  # 2 minutes after the spring change
    assert ref.utcoffset() == timedelta(hours=3)
    assert parse_date("منذ 5 دقائق", ref).utc == "2024-03-30T21:57:00Z"
    assert parse_date("منذ 5 دقائق", ref).local == "2024-03-30T23:57:00+02:00"
    assert parse_date("منذ ساعتين", ref).utc == "2024-03-30T20:02:00Z"
    assert parse_date("منذ يوم", ref).date == "2024-03-30"
    autumn = datetime(2024, 10, 27, 0, 30, tzinfo=BEIRUT)  # after the repeated hour
    assert parse_date("منذ ساعة", autumn).utc == "2024-10-26T21:30:00Z"


def test_relative_compound_and_fractions():
    assert parse_date("منذ 3 ساعات و20 دقيقة", REF).utc == "2024-04-26T06:14:00Z"
    assert parse_date("منذ ساعة ونصف", REF).utc == "2024-04-26T08:04:00Z"
    assert parse_date("منذ ساعتين وربع", REF).utc == "2024-04-26T07:19:00Z"
    assert parse_date("منذ 5 دقائق و30 ثانية", REF).utc == "2024-04-26T09:29:26Z"
    assert parse_date("منذ يومين وساعة", REF).utc == "2024-04-24T08:34:00Z"
    ts = parse_date("منذ يوم ونصف", REF)
    assert (ts.date, ts.precision) == ("2024-04-25", "day")


def test_find_dates_relative_naive_reference_is_beirut():
    assert parse_date("منذ ساعة", datetime(2024, 4, 26, 12, 0)).utc == "2024-04-26T08:00:00Z"


def test_find_dates_relative_is_flagged_as_relative():
    ts = parse_date("منذ 3 ساعات", REF)
    assert (ts.source, ts.precision, ts.raw) == ("relative", "minute", "منذ 3 ساعات")
    assert parse_date("منذ 3 أيام", REF).precision == "day"


def test_relative_day_next_to_printed_date_is_dropped():
    found = find_dates("اليوم 26/04/2024", REF)
    assert [(t.date, t.source) for t in found] == [("2024-04-26", "visible")]


def test_weekday_mismatch_is_flagged_and_date_kept():
    ts = parse_date("الخميس 2024/04/26")
    assert ts.date == "2024-04-26" and ts.flags == ("weekday_mismatch",)
    assert parse_date("الجمعة 2024/04/26").flags == ()
    assert parse_date("السبت 26 نيسان 2024 - 21:43").flags == ("weekday_mismatch",)
    assert parse_date("اليوم الخميس", REF).flags == ("weekday_mismatch",)


def test_gap_and_fold_flags_in_text():
    assert parse_date("31/03/2024 00:30").flags == ("nonexistent",)
    assert parse_date("الأحد 31/03/2024 00:30").flags == ("nonexistent",)
    assert parse_date("26/10/2024 23:30").flags == ("ambiguous",)
    assert parse_date("26/10/2024 22:30").flags == ()


def test_utc_marked_time_moves_the_beirut_day():
    ts = parse_date("26/04/2024 22:30 GMT")
    assert (ts.utc, ts.local, ts.date) == (
        "2024-04-26T22:30:00Z",
        "2024-04-27T01:30:00+03:00",
        "2024-04-27",
    )


def test_raw_keeps_diacritics_and_original_digits():
    ts = parse_date("نُشِرَ: الجُمُعَة ٢٦ نيسانَ ٢٠٢٤ - ٩:٠٥ مساءً.")
    assert ts.raw == "الجُمُعَة ٢٦ نيسانَ ٢٠٢٤ - ٩:٠٥ مساءً"
    assert ts.utc == "2024-04-26T18:05:00Z"


def test_bidi_marks_are_ignored():
    assert parse_date("\u200f26\u200f/04/2024\u200e").date == "2024-04-26"


def test_parse_date_none_and_first():
    assert parse_date("لا شيء") is None
    assert parse_date("2024/04/26 ثم 2024/04/27").date == "2024-04-26"


# --- find_time / time_on_date ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("21:43", (21, 43)),
        ("9:05 م", (21, 5)),
        ("9:05 ص", (9, 5)),
        ("٩:٠٥ مساءً", (21, 5)),
        ("۹:۰۵ صباحاً", (9, 5)),
        ("آخر تحديث:16:29(بيروت)", (16, 29)),
        ("آخر تحديث: 21:43 (بيروت)", (21, 43)),
        ("12:30 ظهراً", (12, 30)),
        ("1:15 ظهراً", (13, 15)),
        ("12:10 ليلاً", (0, 10)),
        ("21:43:05", (21, 43)),
        ("الساعة 9:05 مساء", (21, 5)),
        ("نص بلا وقت", None),
        ("3-1", None),
        ("25:00", None),
        ("12:75", None),
        ("", None),
    ],
)
def test_find_time(text, expected):
    assert find_time(text) == expected


def test_find_time_prefers_the_update_line():
    assert find_time("الخبر نشر 10:00 - آخر تحديث: 21:43 (بيروت)") == (21, 43)


def test_time_on_date_seed_case():
    ts = time_on_date("2024-04-26", "آخر تحديث: 21:43 (بيروت)")
    assert ts.utc == "2024-04-26T18:43:00Z"
    assert ts.local == "2024-04-26T21:43:00+03:00"
    assert (ts.date, ts.precision, ts.source) == ("2024-04-26", "minute", "visible")
    assert ts.raw == "21:43 (بيروت)"


def test_time_on_date_without_spaces():
    ts = time_on_date("2024-04-26", "آخر تحديث:16:29(بيروت)")
    assert ts.utc == "2024-04-26T13:29:00Z"
    assert ts.raw == "16:29(بيروت)"


def test_time_on_date_winter_gap_fold_and_seconds():
    assert time_on_date("2024-01-15", "آخر تحديث: 21:43 (بيروت)").utc == "2024-01-15T19:43:00Z"
    assert time_on_date("2024-03-31", "آخر تحديث: 00:15").flags == ("nonexistent",)
    assert time_on_date("2024-10-26", "آخر تحديث: 23:15").flags == ("ambiguous",)
    ts = time_on_date("2024-04-26", "21:43:05", source="meta")
    assert (ts.utc, ts.precision, ts.source) == ("2024-04-26T18:43:05Z", "second", "meta")


def test_time_on_date_own_date_wins():
    ts = time_on_date("2024-04-26", "آخر تحديث: 27/04/2024 - 10:00")
    assert ts.utc == "2024-04-27T07:00:00Z"


@pytest.mark.parametrize(
    ("day", "text"),
    [
        ("2024-04-26", "بلا وقت"),
        ("not-a-day", "21:43"),
        ("2024-02-30", "21:43"),
        ("2024-04-26", ""),
    ],
)
def test_time_on_date_none(day, text):
    assert time_on_date(day, text) is None


# --- date_from_url --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.almodon.com/politics/2025/6/2/slug", "2025-06-02"),
        ("https://www.almodon.com/x/2024/04/26/%D8%A7%D9%84%D9%85%D8%AF%D9%86", "2024-04-26"),
        ("/politics/2025/6/2/slug", "2025-06-02"),
        ("https://www.almodon.com/arabworld/2019/10/17/", "2019-10-17"),
        ("https://www.almodon.com/x/2024/04/26", "2024-04-26"),
        ("https://www.almodon.com/x%2F2024%2F04%2F26%2Fslug", "2024-04-26"),
        ("https://www.almodon.com/politics/2024/02/30/slug", None),
        ("https://www.almodon.com/politics/2024/13/01/slug", None),
        ("https://www.almodon.com/politics/1200/01/01/slug", None),
        ("https://www.almodon.com/politics/slug", None),
        ("https://www.almodon.com/politics/2024/04/slug", None),
        ("https://www.almodon.com/news/123456", None),
        ("https://www.almodon.com/search?d=/2024/04/26/", None),
    ],
)
def test_date_from_url(url, expected):
    ts = date_from_url(url)
    if expected is None:
        assert ts is None
    else:
        assert (ts.date, ts.utc, ts.precision, ts.source) == (expected, None, "day", "url")


# --- dates_report ---------------------------------------------------------------------------------


def test_dates_report():
    report = dates_report(
        "الجمعة 2024/04/26 21:43 - منذ ساعة", reference="2024-04-26T12:00:00+03:00"
    )
    assert report == [
        {
            "date": "2024-04-26",
            "utc": "2024-04-26T18:43:00Z",
            "local": "2024-04-26T21:43:00+03:00",
            "precision": "minute",
            "source": "visible",
            "raw": "الجمعة 2024/04/26 21:43",
            "flags": [],
        },
        {
            "date": "2024-04-26",
            "utc": "2024-04-26T08:00:00Z",
            "local": "2024-04-26T11:00:00+03:00",
            "precision": "minute",
            "source": "relative",
            "raw": "منذ ساعة",
            "flags": [],
        },
    ]


def test_dates_report_without_and_with_bad_reference():
    assert dates_report("منذ ساعة") == []
    assert dates_report("أمس", reference="2024-04-26")[0]["date"] == "2024-04-25"
    with pytest.raises(ValueError):
        dates_report("أمس", reference="yesterday")


# --- robustness -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "head", ["1", "الجمعة", "منذ", "12:30", "26 نيسان", "اليوم", "كانون", "آخر تحديث", "12:30 ("]
)
def test_long_blank_runs_take_linear_time(head):
    """Whitespace runs (indented HTML text) must not make the patterns backtrack quadratically."""
    text = head + " " * 20_000 + "3" + " " * 20_000 + "x"
    started = time.perf_counter()
    find_dates(text, REF)
    find_time(text)
    assert time.perf_counter() - started < 2.0  # quadratic backtracking takes minutes here
