"""Text-level boilerplate: lines that are never article body, whichever container held them.

The Al-Modon strings come from ``almodon-site-facts.md`` (they sit in ``<p>`` on every 2025 page);
the generic ones are what Arabic news chrome says everywhere.
"""

from __future__ import annotations

import re

from . import dates
from .index import DATEISH, Block
from .text import clean

#: Exact lines (after ``clean``) printed by Al-Modon chrome.
SITE_LINES = frozenset(
    {
        "التعليقات",
        "التعليقات المنشورة تعبر عن آراء أصحابها",
        "الكاتب",
        "اشترك معنا في نشرة المدن الدورية لتبقى على اتصال دائم بالحدث",
        "خطوة بسيطة وتكون ممن يطلعون على الخبر في بداية ظهوره",
        "increase حجم الخط decrease",
        "حجم الخط",
        "increase",
        "decrease",
        "المدن",
        "إعلان",
        "اعلان",
        "مساحة إعلانية",
        "advertisement",
        "Advertisement",
        "ذات صلة",
        "مقالات ذات صلة",
    }
)
#: Lines that start like Al-Modon chrome (about-us box, copyright, notification bar, …).
SITE_PREFIXES = (
    'جريدة "المدن" الإلكترونية',
    "جريدة المدن الإلكترونية",
    "© جميع الحقوق محفوظة",
    "جميع الحقوق محفوظة",
    "©",
    "اشترك معنا في نشرة المدن",
    "اشترك في نشرة",
    "اشترك في نشرتنا",
    "اشترك في النشرة",
    "اشترك الآن",
    "سجل في نشرتنا",
    "سجّل في نشرتنا",
    "Subscribe to",
    "Sign up for",
    "اقرأ أيضاً",
    "اقرأ أيضا",
    "إقرأ أيضاً",
    "للمزيد:",
    "شارك هذا",
    "تابعونا على",
    "تابعوا المدن",
)
_SHARE_WORDS = frozenset(
    ["شارك", "مشاركة", "فيسبوك", "فايسبوك", "تويتر", "إكس", "واتساب", "واتس", "تلغرام", "لينكدإن", "انستغرام", "طباعة", "البريد", "نسخ", "الرابط", "facebook", "twitter", "whatsapp", "telegram", "linkedin", "email", "print", "x", "increase", "decrease"]
)
UPDATE_LINE = re.compile(r"آخر\s*تحديث")
#: Headings of boxes that point elsewhere (read also, suggested stories, related, most read).
_BOX_HEADING = re.compile(
    r"^(?:اقرأ|إقرأ|اقرا)\s*(?:أيضاً|أيضا|ايضاً|ايضا|المزيد)|^قد\s+يعجبك|^(?:قصص|مقالات|أخبار|اخبار)\s+(?:مقترحة|ذات\s+صلة|متعلقة)"
    r"|^(?:موضوعات|مواضيع)\s+(?:متعلقة|ذات\s+صلة)|^الأكثر\s+(?:قراءة|مشاهدة)|^ذات\s+صلة|^شاهد\s+أيضا|^(?:read|see)\s+(?:also|more)"
    r"|^(?:you\s+may\s+also\s+like|related|lire\s+aussi|à\s+lire\s+aussi)",
    re.IGNORECASE,
)
#: Labels a screen reader reads before a byline or caption (visually hidden), by what they label.
_HIDDEN_LABELS = (
    (re.compile(r"^(?:author|الكاتب|الكاتبة)\s*[,،]$", re.IGNORECASE), "author"),
    (re.compile(r"^(?:role|الدور|المنصب)\s*[,،]$", re.IGNORECASE), "role"),
    (re.compile(r"^(?:image\s+source|مصدر\s+الصورة|صدر\s+الصورة)\s*[,،]$", re.IGNORECASE), "credit"),
    (re.compile(r"^(?:image\s+caption|caption|التعليق\s+على\s+الصورة|تعليق\s+الصورة)\s*[,،]$", re.IGNORECASE), "caption"),
)
_BYLINE_LINE = re.compile(r"^\s*(?:بقلم|كتبت|كتب|إعداد|اعداد|تحرير)(?=\s|[:：\-–—])")


def is_box_heading(text: str) -> bool:
    return len(text) <= 40 and bool(_BOX_HEADING.match(text))


def is_hidden_label(text: str) -> str | None:
    """What a screen-reader label labels (``Author,`` → author), or None."""
    if len(text) > 25:
        return None
    for pattern, kind in _HIDDEN_LABELS:
        if pattern.match(text):
            return kind
    return None
_LETTERS = re.compile(r"[^\W\d_]")


def is_share_line(text: str) -> bool:
    if len(text) > 80:
        return False
    words = text.replace("|", " ").split()
    return bool(words) and all(w in _SHARE_WORDS for w in words)


#: A time of day alone (a live blog's update stamp): ``13:40``, ``9:05 م``, ``08:00 AM``.
_TIME_ONLY = re.compile(r"[0-9٠-٩]{1,2}[:：][0-9٠-٩]{2}(?:[:：][0-9٠-٩]{2})?(?:\s*(?:ص|م|صباحاً|صباحا|مساءً|مساء|am|pm))?",
                        re.IGNORECASE)


def is_date_line(text: str) -> bool:
    """A short line that is only a date / time / update stamp (with a weekday, a separator)."""
    if len(text) > 60:
        return False
    if UPDATE_LINE.search(text) or _TIME_ONLY.fullmatch(text):
        return True
    if not DATEISH.search(text):  # no digit, no relative word: no date (skip the full parser)
        return False
    found = dates.find_dates(text)
    if not found:
        return False
    rest = text
    for ts in found:
        if ts.raw:
            rest = rest.replace(ts.raw, " ")
    rest = re.sub(
        r"(?:السبت|الأحد|الاحد|الإثنين|الاثنين|الثلاثاء|الأربعاء|الاربعاء|الخميس|الجمعة|نشر في|بيروت|"
        r"تاريخ النشر|المدن)",
        " ",
        rest,
    )
    return len(_LETTERS.findall(rest)) <= 3


#: "Follow us / join our channel on Telegram": a call to follow the outlet elsewhere (after any
#: leading emoji), naming a platform or a channel.
_FOLLOW = re.compile(r"^[^\w]*(?:تابعوا|تابعونا|انضموا|اشتركوا|follow\s+us|join\s+our)\s", re.IGNORECASE)
_PLATFORM = re.compile(r"تيليغرام|تيلغرام|تليغرام|تلغرام|تلجرام|تيليجرام|واتساب|واتس\s*آب|فيسبوك|فايسبوك|تويتر|يوتيوب|"
                       r"إنستغرام|انستغرام|انستجرام|تيك\s*توك|قناتنا|قناة|telegram|whatsapp|facebook|twitter|youtube|"
                       r"instagram|tiktok|channel", re.IGNORECASE)


def is_follow_promo(text: str) -> bool:
    """A short line asking the reader to follow the outlet on a platform or channel."""
    return len(text) <= 150 and bool(_FOLLOW.match(text)) and bool(_PLATFORM.search(text))


def is_boilerplate(text: str) -> bool:
    if text in SITE_LINES or is_share_line(text):
        return True
    return text.startswith(SITE_PREFIXES) or is_follow_promo(text)


def _is_label_line(text: str) -> bool:
    """``Author, name`` / ``Role, …``: a byline printed with its screen-reader label."""
    cut = text.find(",", 0, 26)
    if cut < 0:
        cut = text.find("،", 0, 26)
    return cut > 0 and is_hidden_label(text[: cut + 1]) in {"author", "role"}


def body_paragraphs(
    found: list[Block], headline: str | None, captions: set[str], authors: set[str]
) -> list[str]:
    """Keep the blocks that are article text; drop chrome lines, the headline, date lines,
    captions, the author box (the ``الكاتب`` label and the name after it) and link lists."""
    out: list[str] = []
    skip_next_name = False
    head = clean(headline) if headline else None
    for block in found:
        text = block.text
        if skip_next_name:
            skip_next_name = False
            if len(text) <= 60:
                continue
        if text == "الكاتب":
            skip_next_name = True
            continue
        if (
            text == head
            or text in captions
            or text in authors
            or is_boilerplate(text)
            or (block.link_density > 0.5 and len(text) < 200)
            or is_date_line(text)
            or (len(text) <= 60 and _BYLINE_LINE.match(text))
            or is_box_heading(text)
            or _is_label_line(text)
        ):
            continue
        out.append(text)
    return out
