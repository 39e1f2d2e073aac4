"""The dateparser layer: which strings only it reads, and that it stays a last layer.

``ONLY_DATEPARSER`` is the record the design asks for: every string here is read by
``dateparser`` (through :func:`parse_fallback`) and by nothing in the Arabic lexicon
(:func:`find_dates` returns ``[]``). ``LEXICON_ONLY`` are forms the lexicon reads and dateparser
does not read right (why Arabic is not handed to it). ``NEITHER`` must stay unread.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from pipelines.extract.dates import BEIRUT, dates_report, find_dates, parse_fallback, read_date_line

REF = datetime(2024, 4, 26, 12, 34, 56, tzinfo=BEIRUT)

# (text, expected utc "…Z" or day "YYYY-MM-DD", source, zone)
ONLY_DATEPARSER = [
    # English date lines of bilingual pages (Beirut time when no zone is printed)
    ("Published 15 September 2020, 11:20 AM", "2020-09-15T08:20:00Z", "visible", None),
    ("Updated 16 September 2020, 08:05 AM", "2020-09-16T05:05:00Z", "visible", None),
    ("Friday, 18 September 2020", "2020-09-18", "visible", None),
    ("Sept. 15, 2020", "2020-09-15", "visible", None),
    ("Posted 26 April 2024 21:43:05", "2024-04-26T18:43:05Z", "visible", None),
    ("Published: 2 June 2025 16:29 (بيروت)", "2025-06-02T13:29:00Z", "visible", "Asia/Beirut"),
    ("15 September 2020 at 23:30 CET", "2020-09-15T22:30:00Z", "visible", None),
    # French date lines (Maghreb)
    ("Publié le lundi 7 juin 2021 à 10h30 GMT+1", "2021-06-07T09:30:00Z", "visible", "+01:00"),
    ("Mercredi 12 juillet 2023", "2023-07-12", "visible", None),
    ("26 avril 2024 à 21h43 (بيروت)", "2024-04-26T18:43:00Z", "visible", "Asia/Beirut"),
    # relative forms in English and French (counted from the fetch time REF)
    ("3 hours ago", "2024-04-26T06:34:00Z", "relative", None),
    ("il y a 3 heures", "2024-04-26T06:34:00Z", "relative", None),
    ("il y a 2 jours", "2024-04-24", "relative", None),
    ("2 days ago", "2024-04-24", "relative", None),
    ("hier à 14h05", "2024-04-25T11:05:00Z", "relative", None),
    ("yesterday", "2024-04-25", "relative", None),
]

LEXICON_ONLY = [
    ("الجمعة 8 فيفري 2019", "2019-02-08"),  # dateparser reads only "2019"
    ("الأربعاء 05 جويلية 2023 - 14:20 (GMT+1)", "2023-07-05T13:20:00Z"),
    ("آخر تحديث: 21:43 (بيروت) الجمعة 2024/04/26", "2024-04-26T18:43:00Z"),
    ("منذ 5 دقائق", "2024-04-26T09:29:00Z"),
]

NEITHER = [
    "12 juillet",  # no year
    "Tuesday",  # no date
    "31/02/2024",  # no such day
    "la version 2.10.1",
    "لا تاريخ هنا",
    "",
]


def _value(ts):
    return ts.utc or ts.date


@pytest.mark.parametrize(("text", "expected", "source", "zone"), ONLY_DATEPARSER)
def test_only_dateparser_reads(text, expected, source, zone):
    assert find_dates(text, REF) == []
    ts = parse_fallback(text, REF)
    assert (_value(ts), ts.source, ts.zone) == (expected, source, zone)
    assert ts.precision == ("day" if len(expected) == 10 else "second" if expected.endswith(":05Z") else "minute")
    assert read_date_line(text, REF) == [ts]


@pytest.mark.parametrize(("text", "expected"), LEXICON_ONLY)
def test_the_lexicon_reads_what_dateparser_does_not(text, expected):
    found = find_dates(text, REF)
    assert _value(found[0]) == expected
    assert read_date_line(text, REF) == found  # dateparser not consulted


@pytest.mark.parametrize("text", NEITHER)
def test_neither_reads(text):
    assert read_date_line(text, REF) == []


def test_relative_forms_need_a_reference():
    assert parse_fallback("3 hours ago") is None
    assert parse_fallback("yesterday") is None
    assert parse_fallback("Published 15 September 2020, 11:20 AM").utc == "2020-09-15T08:20:00Z"


def test_the_page_zone_is_used_when_none_is_printed():
    ts = parse_fallback("Published 15 September 2020, 11:20 AM", zone=BEIRUT)
    assert ts.utc == "2020-09-15T08:20:00Z"
    from pipelines.extract.dates_zone import named_zone

    cairo = parse_fallback("Published 15 September 2020, 11:20 AM", zone=named_zone("Africa/Cairo"))
    assert (cairo.utc, cairo.zone) == ("2020-09-15T09:20:00Z", "Africa/Cairo")


def test_body_text_never_reaches_dateparser():
    long_text = "Published 15 September 2020, 11:20 AM. " + "x " * 100
    assert parse_fallback(long_text) is None


def test_dates_report_marks_the_dateparser_layer():
    out = dates_report("Publié le lundi 7 juin 2021 à 10h30 GMT+1")
    assert out[0]["layer"] == "dateparser" and out[0]["utc"] == "2021-06-07T09:30:00Z"
    assert "layer" not in dates_report("2024/04/26")[0]
