"""``text.clean``'s fast path (a line already tidy is returned stripped) gives what the full
NFC → drop invisible marks → fold white space path gives."""

from __future__ import annotations

import random
import sys
import unicodedata

from pipelines.extract import text as T


def _reference(text: str) -> str:
    if not text:
        return ""
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
        text = T._INVISIBLE.sub("", text)
    return " ".join(text.split())


def test_untidy_class_is_every_white_space_but_the_space():
    spaces = {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()} - {" "}
    assert {c for c in spaces if T._UNTIDY.fullmatch(c)} == spaces
    assert not T._UNTIDY.search("نص عربي عادي، مع أرقام 123 and Latin.")


def test_clean_matches_the_reference_on_random_text():
    rnd = random.Random(7)
    alphabet = list("ابت ثج \n\t\r\xa0\u2003\u3000\u200b\u200e\u200f\u202b\u2066\ufeff\u0301eé\u0651\u064e\x1c\x85\u2028a  ")
    for _ in range(20000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 12)))
        assert T.clean(text) == _reference(text), repr(text)
