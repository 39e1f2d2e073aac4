"""Zones printed on the page, Maghrebi month names, impossible dates and the ``dates`` command.

A zone or offset printed with a time wins over the default Asia/Beirut; the Timestamp's ``zone``
names it, ``date``/``local`` stay on Beirut's calendar (the archive's), ``utc`` is the instant.
"""

from __future__ import annotations

import json
import pickle
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.cli import main
from pipelines.extract.dates import (
    BEIRUT,
    dates_report,
    find_dates,
    impossible_dates,
    parse_date,
    read_date_line,
    time_on_date,
)
from pipelines.extract.dates_zone import make_timestamp, named_zone

# (text, utc, zone): the first timestamp of text; its instant and the zone recorded.
ZONES: list[tuple[str, str, str | None]] = [
    # fixed offsets
    ("الأحد، 3 نوفمبر/تشرين الثاني 2024، آخر تحديث 10:15 (GMT+0400)", "2024-11-03T06:15:00Z", "+04:00"),
    ("26/04/2024 21:43 GMT+4", "2024-04-26T17:43:00Z", "+04:00"),
    ("26/04/2024 21:43 GMT +4", "2024-04-26T17:43:00Z", "+04:00"),
    ("26/04/2024 21:43 GMT+03:00", "2024-04-26T18:43:00Z", "+03:00"),
    ("15/01/2024 21:43 (GMT+3)", "2024-01-15T18:43:00Z", "+03:00"),  # not Beirut's winter +2
    ("26/04/2024 21:43 UTC+2", "2024-04-26T19:43:00Z", "+02:00"),
    ("26/04/2024 21:43 GMT-5", "2024-04-27T02:43:00Z", "-05:00"),
    ("الأربعاء 05 جويلية 2023 - 14:20 (GMT+1)", "2023-07-05T13:20:00Z", "+01:00"),
    ("الخميس 14 آذار 2024 | 08:15 م (GMT+3)", "2024-03-14T17:15:00Z", "+03:00"),
    ("نُشر: 20/08/2024 16:45 +03:00", "2024-08-20T13:45:00Z", "+03:00"),
    ("20/01/2024 16:45 +0300", "2024-01-20T13:45:00Z", "+03:00"),
    ("20/01/2024 16:45 (+04:00)", "2024-01-20T12:45:00Z", "+04:00"),
    # UTC
    ("لندن: 5 ديسمبر 2022 - 14:05 بتوقيت غرينتش", "2022-12-05T14:05:00Z", "UTC"),
    ("5 ديسمبر 2022 - 14:05 بتوقيت جرينتش", "2022-12-05T14:05:00Z", "UTC"),
    ("26/04/2024 18:43 GMT", "2024-04-26T18:43:00Z", "UTC"),
    ("26/04/2024 18:43 UTC", "2024-04-26T18:43:00Z", "UTC"),
    # IANA zones named by place (after بتوقيت / in parentheses)
    ("02 تشرين الأول 2023 - 11:30 بتوقيت القدس", "2023-10-02T08:30:00Z", "Asia/Jerusalem"),
    ("02 تشرين الثاني 2023 - 11:30 بتوقيت القدس", "2023-11-02T09:30:00Z", "Asia/Jerusalem"),
    ("نشر في: 19 فبراير 2024 - 09:45 بتوقيت مكة المكرمة", "2024-02-19T06:45:00Z", "Asia/Riyadh"),
    ("19 فبراير 2024 - 09:45 بتوقيت مكة", "2024-02-19T06:45:00Z", "Asia/Riyadh"),
    ("26/04/2024 21:43 (القاهرة)", "2024-04-26T18:43:00Z", "Africa/Cairo"),
    ("25/04/2024 21:43 (القاهرة)", "2024-04-25T19:43:00Z", "Africa/Cairo"),  # before Egypt's DST
    ("26/04/2024 21:43 بتوقيت دبي", "2024-04-26T17:43:00Z", "Asia/Dubai"),
    ("26/04/2024 21:43 (تونس)", "2024-04-26T20:43:00Z", "Africa/Tunis"),
    ("26/04/2024 21:43 بتوقيت الجزائر", "2024-04-26T20:43:00Z", "Africa/Algiers"),
    ("26/04/2024 21:43 بتوقيت بغداد", "2024-04-26T18:43:00Z", "Asia/Baghdad"),
    # Beirut printed: same instant as the default, and the zone says it was printed
    ("26/04/2024 21:43 (بيروت)", "2024-04-26T18:43:00Z", "Asia/Beirut"),
    ("26/04/2024 21:43 بتوقيت بيروت", "2024-04-26T18:43:00Z", "Asia/Beirut"),
    ("15/01/2024 21:43 (بتوقيت بيروت)", "2024-01-15T19:43:00Z", "Asia/Beirut"),
    # nothing printed: Beirut assumed, no zone recorded
    ("26/04/2024 21:43", "2024-04-26T18:43:00Z", None),
    ("26/04/2024 21:00-22:00", "2024-04-26T18:00:00Z", None),  # a range, not an offset -22:00
    ("26/04/2024 21:00 - 22:00", "2024-04-26T18:00:00Z", None),
    ("26/04/2024 21:43 تونس العاصمة", "2024-04-26T18:43:00Z", None),  # a place, not a zone note
]


@pytest.mark.parametrize(("text", "utc", "zone"), ZONES)
def test_a_printed_zone_wins_over_beirut(text, utc, zone):
    ts = parse_date(text)
    assert (ts.utc, ts.zone) == (utc, zone)
    # the calendar stays Beirut's: local is the instant in Beirut
    when = datetime.fromisoformat(ts.utc)
    assert ts.local == when.astimezone(BEIRUT).isoformat(timespec="seconds")
    assert ts.date == ts.local[:10]


@settings(max_examples=300, deadline=None)
@given(
    when=st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 12, 31)),
    hours=st.integers(-12, 14),
    minutes=st.sampled_from([0, 30, 45]),
    form=st.sampled_from(["GMT{sign}{h}:{m:02d}", "(GMT{sign}{h:02d}{m:02d})", "UTC{sign}{h:02d}:{m:02d}"]),
)
def test_any_printed_offset_gives_the_instant(when, hours, minutes, form):
    if hours in (-12, 14):
        minutes = 0
    sign = "-" if hours < 0 else "+"
    note = form.format(sign=sign, h=abs(hours), m=minutes)
    text = f"{when:%d/%m/%Y %H:%M} {note}"
    offset = (abs(hours) * 60 + minutes) * (-1 if hours < 0 else 1)
    ts = parse_date(text)
    expected = (when.replace(second=0, microsecond=0) - timedelta(minutes=offset)).isoformat() + "Z"
    assert ts.utc == expected, text


def test_zone_is_in_the_json_only_when_printed():
    assert "zone" not in dates_report("26/04/2024 21:43")[0]
    assert dates_report("26/04/2024 21:43 GMT+4")[0]["zone"] == "+04:00"


def test_update_line_with_a_printed_zone():
    ts = time_on_date("2024-11-03", "آخر تحديث 10:15 (GMT+0400)")
    assert (ts.utc, ts.zone) == ("2024-11-03T06:15:00Z", "+04:00")
    ts = time_on_date("2023-10-02", "آخر تحديث: 12:10 بتوقيت القدس")
    assert (ts.utc, ts.zone) == ("2023-10-02T09:10:00Z", "Asia/Jerusalem")


def test_zone_of_a_gap_or_fold_is_read_in_that_zone():
    # 02:30 on 31 March 2024 does not exist in Jerusalem (clocks 02:00 -> 03:00 on Friday 29th);
    # 29 March 2024 02:30 is in the gap there, and not in Beirut's
    ts = parse_date("29/03/2024 02:30 بتوقيت القدس")
    assert ts.flags == ("nonexistent",) and ts.utc == "2024-03-29T00:30:00Z"


def test_timestamps_with_zones_pickle():
    ts = parse_date("02 تشرين الأول 2023 - 11:30 بتوقيت القدس")
    assert pickle.loads(pickle.dumps(ts)) == ts
    zone = named_zone("Asia/Jerusalem")
    assert pickle.loads(pickle.dumps(datetime(2024, 1, 1, tzinfo=zone))).tzinfo is zone
    assert named_zone("Asia/Beirut") is BEIRUT


def test_make_timestamp_zone_argument():
    ts = make_timestamp(datetime(2024, 4, 26, 21, 43), "minute", "visible", zone=UTC)
    assert (ts.utc, ts.local, ts.zone) == ("2024-04-26T21:43:00Z", "2024-04-27T00:43:00+03:00", "UTC")
    assert make_timestamp(datetime(2024, 4, 26, 21, 43), "minute", "visible").zone is None


# --- Maghrebi (Tunisia, Algeria) and Moroccan month names -----------------------------------

MONTHS = [
    ("الجمعة 8 فيفري 2019", "2019-02-08"),
    ("1 جانفي 2020", "2020-01-01"),
    ("2 أفريل 2020", "2020-04-02"),
    ("2 افريل 2020", "2020-04-02"),
    ("3 ماي 2021", "2021-05-03"),
    ("7 جوان 2021", "2021-06-07"),
    ("الأربعاء 05 جويلية 2023", "2023-07-05"),
    ("12 أوت 2022", "2022-08-12"),
    ("12 اوت 2022", "2022-08-12"),
    ("3 سبتمبر 2019", "2019-09-03"),
    ("9 أكتوبر 2019", "2019-10-09"),
    ("4 نوفمبر 2019", "2019-11-04"),
    ("5 ديسمبر 2019", "2019-12-05"),
    ("5 يوليوز 2019", "2019-07-05"),
    ("9 غشت 2018", "2018-08-09"),
    ("3 شتنبر 2017", "2017-09-03"),
    ("4 نونبر 2016", "2016-11-04"),
    ("5 دجنبر 2015", "2015-12-05"),
    ("15 مايو 2024", "2024-05-15"),  # ماي does not eat مايو
    ("3 آب 2024", "2024-08-03"),
]


@pytest.mark.parametrize(("text", "day"), MONTHS)
def test_maghrebi_and_moroccan_months(text, day):
    assert [ts.date for ts in find_dates(text)] == [day]


def test_maghrebi_month_words_inside_other_words_are_not_months():
    assert find_dates("3 مايكل 2021") == []  # not ماي
    assert find_dates("في الأوتوبيس 3 2021") == []


# --- impossible dates and the dates command -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("31/02/2024", ["31/02/2024"]),
        ("29/02/2023", ["29/02/2023"]),
        ("2024/13/01", ["2024/13/01"]),
        ("31 نيسان 2024", ["31 نيسان 2024"]),
        ("30 فيفري 2019", ["30 فيفري 2019"]),
        ("29/02/2024", []),
        ("01/234567", []),
        ("نيسان (أيار) 2024", []),
    ],
)
def test_impossible_dates(text, bad):
    assert impossible_dates(text) == bad


def test_dates_command_says_an_impossible_date_is_impossible():
    result = CliRunner().invoke(main, ["dates", "31/02/2024"])
    assert result.exit_code == 1
    assert "31/02/2024" in result.stderr and "no day" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and result.stdout == ""


def test_dates_command_notes_a_dropped_date_beside_a_good_one():
    result = CliRunner().invoke(main, ["dates", "29/02/2023 ثم 2024/04/26"])
    assert result.exit_code == 0
    assert [d["date"] for d in json.loads(result.stdout)] == ["2024-04-26"]
    assert "29/02/2023" in result.stderr


def test_dates_command_bad_reference_is_one_line_exit_1():
    result = CliRunner().invoke(main, ["dates", "أمس", "--reference", "garbage"])
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "garbage" in result.stderr
    assert "Traceback" not in result.output


def test_dates_command_honours_a_printed_zone():
    result = CliRunner().invoke(main, ["dates", "الأحد، 3 نوفمبر/تشرين الثاني 2024، آخر تحديث 10:15 (GMT+0400)"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert (found[0]["utc"], found[0]["zone"]) == ("2024-11-03T06:15:00Z", "+04:00")


def test_dates_command_no_date_is_an_empty_list():
    result = CliRunner().invoke(main, ["dates", "لا تاريخ هنا"])
    assert (result.exit_code, json.loads(result.stdout)) == (0, [])


def test_read_date_line_prefers_the_lexicon():
    assert read_date_line("الجمعة 2024/04/26 21:43")[0].raw == "الجمعة 2024/04/26 21:43"
    assert read_date_line("Published 15 September 2020, 11:20 AM")[0].utc == "2020-09-15T08:20:00Z"
    assert read_date_line("") == []
