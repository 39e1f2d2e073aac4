"""Captions, credits and agencies; image URL resolution."""

from __future__ import annotations

import lxml.html
import pytest

from pipelines.extract.media import agency, image_url, split_credit


@pytest.mark.parametrize(
    ("printed", "caption", "credit", "normalised"),
    [
        ("وسائل إعلام إيرانية:مقاتلات سو-35 تصل قريباً إلى إيران (Getty)", "وسائل إعلام إيرانية:مقاتلات سو-35 تصل قريباً إلى إيران", "Getty", "Getty"),
        ("متظاهرون في ساحة الشهداء (أ ف ب)", "متظاهرون في ساحة الشهداء", "أ ف ب", "AFP"),
        ("متظاهرون في ساحة الشهداء (أ.ف.ب)", "متظاهرون في ساحة الشهداء", "أ.ف.ب", "AFP"),
        ("جلسة مجلس النواب (رويترز)", "جلسة مجلس النواب", "رويترز", "Reuters"),
        ("معبر رفح(الأناضول)", "معبر رفح", "الأناضول", "Anadolu"),
        ("مرفأ بيروت (المدن)", "مرفأ بيروت", "المدن", "Al-Modon"),
        ("Protesters in Beirut (AFP)", "Protesters in Beirut", "AFP", "AFP"),
        ("الرئيس عون (يمين) مع الوزير", "الرئيس عون (يمين) مع الوزير", None, None),
        ("الرئيس مع الوزير (يمين)", "الرئيس مع الوزير (يمين)", None, None),
        ("من جلسة سابقة لهيئة الحوار. تصوير: حسن شعبان", "من جلسة سابقة لهيئة الحوار.", "حسن شعبان", None),
        ("الثلوج على الأرز، تصوير: سامي خليل", "الثلوج على الأرز", "سامي خليل", None),
        ("عمال الإغاثة (تصوير: سامر الحسيني)", "عمال الإغاثة", "سامر الحسيني", None),
        ("(Getty)", None, "Getty", "Getty"),
        ("صورة أرشيفية (EPA)", "صورة أرشيفية", "EPA", "EPA"),
        ("الوزير في الوكالة (الوكالة الوطنية)", "الوزير في الوكالة", "الوكالة الوطنية", "NNA"),
        ("بلا مصدر", "بلا مصدر", None, None),
        ("", None, None, None),
    ],
)
def test_caption_credit_and_agency(printed, caption, credit, normalised):
    assert split_credit(printed) == (caption, credit)
    assert agency(credit) == normalised


@pytest.mark.parametrize(
    ("img", "expected"),
    [
        ('<img src="/a/b.jpg">', "https://www.almodon.com/a/b.jpg"),
        ('<img src="../c.jpg">', "https://www.almodon.com/politics/2024/04/c.jpg"),
        ('<img src="data:image/gif;base64,R0l" data-src="/real.jpg">', "https://www.almodon.com/real.jpg"),
        ('<img src="/blank.gif" data-lazy-src="/x.jpg">', "https://www.almodon.com/x.jpg"),
        ('<img src="/s.jpg" srcset="/m.jpg 800w, /l.jpg 1600w, /s.jpg 300w">', "https://www.almodon.com/l.jpg"),
        ('<img src="/s.jpg" srcset="/a.jpg 1x, /b.jpg 2x">', "https://www.almodon.com/b.jpg"),
        ('<img data-lazy-srcset="/w-1024.jpg 1024w, /w.jpg 1600w" data-lazy-src="/w-1024.jpg">', "https://www.almodon.com/w.jpg"),
        ('<img src="data:image/svg+xml,%3Csvg%3E">', None),
    ],
)
def test_image_url_resolution(img, expected):
    el = lxml.html.fragment_fromstring(img)
    assert image_url(el, "https://www.almodon.com/politics/2024/04/26/x") == expected
