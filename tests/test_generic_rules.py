"""General rules of the generic layer found on the holdout set, on small pages of our own (not the
holdout pages): each rule is what a reader of any Arabic news page expects."""

from __future__ import annotations

import random

import pytest

from pipelines.extract import extract
from pipelines.extract.boilerplate import is_date_line, is_follow_promo
from pipelines.extract.generic import _stems, byline_name
from pipelines.extract.index import UPDATE, find_update

BODY = "".join(f"<p>{s}</p>" for s in [
    "قال وزير الطاقة إن خطة الطوارئ ستبدأ مطلع الأسبوع المقبل في كل المناطق المتضررة من العاصفة.",
    "وأضاف أن فرق الصيانة تعمل منذ الصباح على إصلاح الأعطال في الشبكة وإعادة التغذية تدريجياً.",
    "وأشار إلى أن الوزارة ستنشر جدولاً بساعات التقنين على موقعها الرسمي خلال الساعات المقبلة.",
])


def _page(head: str = "", body: str = BODY, extra_head: str = "") -> bytes:
    return (f'<html lang="ar"><head><meta charset="utf-8"><title>خطة طوارئ للكهرباء | موقع المثال</title>'
            f'<meta property="og:site_name" content="موقع المثال">{extra_head}</head><body>'
            f'<h1>خطة طوارئ للكهرباء</h1>{head}<div class="txt">{body}</div></body></html>').encode()


URL = "https://news.example/energy/2024/05/02/plan"


@pytest.mark.parametrize("label", ["تغطية", "حوار", "عدسة", "تقرير"])
def test_byline_labels_are_dropped_whole(label):
    assert byline_name(f"{label}: سامي نصر") == ["سامي نصر"]


def test_two_authors_after_a_label():
    rec = extract(_page('<div class="meta">تغطية: ليلى حداد وكريم عون</div>'), URL)
    assert rec.authors == ["ليلى حداد", "كريم عون"]


def test_last_edited_is_an_update_label():
    rec = extract(_page('<div>الخميس 2 أيار 2024 | 10:30</div><div>آخر تعديل: 2 أيار 2024 | 13:05</div>'), URL)
    assert rec.published.utc == "2024-05-02T07:30:00Z"
    assert rec.modified.utc == "2024-05-02T10:05:00Z"


def test_find_update_is_update_search_start():
    rnd = random.Random(3)
    parts = ["آخر", " ", "تحديث", "اخر", "تعديل", "تم", "التحديث", "ع", "َ", "د", "ل", "في", ":", "Updated",
             "mis à jour", "modifié", "ب", "10:30"]
    for _ in range(20000):
        text = "".join(rnd.choice(parts) for _ in range(rnd.randint(0, 8)))
        m = UPDATE.search(text)
        assert find_update(text) == (m.start() if m else -1), text


def test_meta_author_naming_the_outlet_is_no_author():
    rec = extract(_page(extra_head='<meta name="author" content="موقع المثال">'), URL)
    assert rec.authors == []


def test_printed_arabic_name_wins_over_a_latin_transliteration():
    ld = ('<script type="application/ld+json">{"@type": "NewsArticle", "headline": "خطة طوارئ للكهرباء",'
          ' "author": {"@type": "Person", "name": "Laila Haddad"}}</script>')
    rec = extract(_page('<div class="byline">بقلم: ليلى حداد</div>', extra_head=ld), URL)
    assert rec.authors == ["ليلى حداد"] and rec.sources["authors"] == "fallback"
    assert {"field": "authors", "kept": "fallback", "other": "jsonld", "reason": "different_names"} in rec.conflicts


def test_writer_link_labelled_all_articles_names_nobody():
    foot = '<div class="box"><strong class="writer-name">ليلى حداد</strong><a href="/writers/laila">كل مقالات الكاتب</a></div>'
    rec = extract(_page(body=BODY + foot), URL)
    assert "كل مقالات الكاتب" not in rec.authors


def test_follow_us_promo_lines():
    assert is_follow_promo("📢 تابعوا آخر الأخبار عبر قناتنا على تيليغرام")
    assert is_follow_promo("Follow us on Telegram")
    assert not is_follow_promo("تابع الوزير جولته في الجنوب، وقال إن القناة ستبقى مفتوحة")


def test_time_of_day_alone_is_a_date_line():
    assert is_date_line("13:40") and is_date_line("٩:٠٥ م")
    assert not is_date_line("13:40 وصل الوفد إلى المطار وبدأ محادثاته مع المسؤولين")


def test_thumbnail_stems():
    assert _stems("https://x.example/g/festival-01-150.jpg") == ("festival-01-150", "festival-01")
    assert _stems("https://x.example/g/photo_thumb.png") == ("photo_thumb", "photo")
    assert _stems("https://x.example/g/photo-1.jpg") == ("photo-1", "photo-1")


def test_time_inside_a_body_without_the_headline_is_not_the_article_date():
    feed = ('<div class="feed"><div class="u"><time datetime="2024-05-02T13:40:00+03:00">13:40</time>'
            + BODY + '</div></div>')
    html = _page('<div>بدأت التغطية: الخميس 2 أيار 2024 - 08:00</div>', body=feed)
    rec = extract(html, URL)
    assert rec.published.utc == "2024-05-02T05:00:00Z"
    assert "13:40" not in rec.paragraphs


def test_a_place_beside_the_name_is_not_the_author():
    from pipelines.extract.generic import _without_place

    assert _without_place("الرياض - سعد القحطاني") == "سعد القحطاني"
    assert _without_place("سعد القحطاني - المحرر الاقتصادي") == "سعد القحطاني"
    assert _without_place("بيروت - سعد القحطاني") == "بيروت - سعد القحطاني"  # no article: left as it is
    html = _page('<span class="writer">الكويت - نورة الصباح</span>').replace(b"<body>", b"<body><div class=\"news\">")
    rec = extract(html.replace(b"</body>", b"</div></body>"), URL)
    assert rec.authors == ["نورة الصباح"]
