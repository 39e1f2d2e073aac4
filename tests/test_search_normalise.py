"""The search form of Arabic text (pipelines/search/normalise.py): tables of (input, expected)
pairs for folding, clitic stripping, query expansion and query parsing, plus properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.search import normalise as nz

NORMALISE = [
    # alef and hamza forms
    ("إيران", "ايران"),
    ("أشتياني", "اشتياني"),
    ("آب", "اب"),
    ("ٱلله", "الله"),
    ("مسؤول مسئول", "مسءول مسءول"),
    ("رئيس", "رءيس"),
    ("شيء شئ", "شء شء"),
    ("الحمراء الحمرا", "الحمرا الحمرا"),
    ("ماء", "ماء"),  # too short for the final اء rule
    # alef maqsura, ta marbuta
    ("الهوى", "الهوي"),
    ("على", "علي"),
    ("غزة", "غزه"),
    ("الحكومة", "الحكومه"),
    # harakat, shadda, tanwin, dagger alef, tatweel
    ("مثالٌ حيٌّ", "مثال حي"),
    ("الرومانيّة", "الرومانيه"),
    ("تُرجأ", "ترجا"),
    ("ثانٍ", "ثان"),
    ("هٰذا", "هذا"),
    ("الـمدن", "المدن"),
    ("لـ\"المدن\"", "ل المدن"),
    # digits
    ("٢٠٢٣", "2023"),
    ("۱۴۰۳", "1403"),
    ("٢٣ ألف ليرة", "23 الف ليره"),
    # Latin, punctuation, invisible characters, presentation forms
    ("Getty AFP", "getty afp"),
    ("Erdoğan", "erdogan"),
    ("سو-35", "سو 35"),
    ("ايران وروسيا:العلاقات", "ايران وروسيا العلاقات"),
    ("بيروت\u200fالجديدة", "بيروت الجديده"),  # RLM: invisible, joins nothing but is no letter
    ("مي\u200cشود", "ميشود"),  # ZWNJ inside a word
    ("ﻻ ﷲ", "لا الله"),
    ("  ،؛؟  ", ""),
    ("", ""),
]


@pytest.mark.parametrize("text, expected", NORMALISE)
def test_normalise(text, expected):
    assert nz.normalise(text) == expected


STEM = [
    ("وطهران", "طهران"),
    ("طهران", "طهران"),
    ("بالحكومه", "حكومه"),
    ("للجيش", "جيش"),
    ("والارهاب", "ارهاب"),
    ("المدن", "مدن"),
    ("فالقانون", "قانون"),
    ("لقمه", "قمه"),
    ("وكالمعتاد", "معتاد"),
    ("ولبنان", "بنان"),  # و + ل read as a preposition: deterministic, the query expands
    ("بلبنان", "لبنان"),
    # never below MIN_STEM letters
    ("الله", "الله"),
    ("وطن", "وطن"),
    ("بلد", "بلد"),
    ("لها", "لها"),
    ("حي", "حي"),
    # non-Arabic tokens are left alone
    ("2023", "2023"),
    ("getty", "getty"),
]


@pytest.mark.parametrize("token, expected", STEM)
def test_stem(token, expected):
    assert nz.stem(token) == expected


def reference_stem(token: str) -> str:
    """The rule as written: the first (longest) clitic leaving MIN_STEM Arabic letters."""
    if not nz.is_arabic(token):
        return token
    for clitic in nz.CLITICS:
        if token.startswith(clitic) and len(token) - len(clitic) >= nz.MIN_STEM:
            return token[len(clitic):]
    return token


@given(st.text(alphabet=st.sampled_from(list("والبكفلمنتس1a")), max_size=9))
def test_stem_follows_the_rule(token):
    assert nz.stem(token) == reference_stem(token)


EXPANSIONS = [
    ("طهران", ("طهران",)),
    ("وطهران", ("طهران", "وطهران")),
    ("ايران", ("ايران",)),
    ("لبنان", ("بنان", "لبنان")),  # لبنان alone -> بنان, بلبنان -> لبنان
    ("الليطاني", ("ليطاني", "يطاني")),  # query article optional: ليطاني alone -> يطاني
    ("حي", ("حي", "الحي", "بحي", "فحي", "كحي", "لحي", "وحي")),  # too short to strip: spelled out
    ("الحكومه", ("حكومه",)),
    ("2023", ("2023",)),
]


@pytest.mark.parametrize("token, expected", EXPANSIONS)
def test_expansions(token, expected):
    assert nz.expansions(token) == expected


def test_every_clitic_form_of_a_word_is_among_its_expansions():
    for word in ["طهران", "لبنان", "بيروت", "فلسطين", "الحكومه", "كردستان", "وزير", "ليطاني"]:
        forms = set(nz.expansions(word))
        bare = word.removeprefix("ال")
        for clitic in ("",) + nz.CLITICS:
            assert nz.stem(clitic + bare) in forms, (clitic, word)


MATCH = [
    ("طهران", '"طهران"'),
    ("إيران ايران", '"ايران" AND "ايران"'),
    ("وطهران", '("طهران" OR "وطهران")'),
    ('"موسكو وطهران"', '("موسكو طهران" OR "موسكو وطهران")'),
    ("«مجلس الأمن»", '"مجلس امن"'),
    ("35-سو", '("35 سو" OR "35 السو" OR "35 بسو" OR "35 فسو" OR "35 كسو" OR "35 لسو" OR "35 وسو")'),
    ("سوري*", '"سوري"*'),
    ("طهران OR دمشق", '("طهران" OR "دمشق")'),
    ("طهران -دمشق", '"طهران" NOT "دمشق"'),
    ("طهران NOT دمشق", '"طهران" NOT "دمشق"'),
    ("طهران AND دمشق", '"طهران" AND "دمشق"'),
    ("بغداد", '("غداد" OR "بغداد")'),
    ('say "x" y', '"say" AND "x" AND "y"'),
    ("-طهران", ""),
    ("", ""),
    ("؟", ""),
]


@pytest.mark.parametrize("query, expected", MATCH)
def test_match_expression(query, expected):
    assert nz.match_expression(query) == expected


QUERY_TERMS = [
    ("طهران", ["طهران"]),
    ("إيران ايران", ["ايران"]),
    ("بالحكومة", ["حكومه", "بالحكومه"]),
    ("الحكومة -بغداد", ["حكومه"]),
    ("", []),
]


@pytest.mark.parametrize("query, expected", QUERY_TERMS)
def test_query_terms(query, expected):
    assert nz.query_terms(query) == expected


def test_word_spans_point_into_the_original_text():
    text = "بين موسكو وطهران، مثالٌ حيٌّ"
    spans = nz.word_spans(text)
    assert [text[s:e] for s, e, _ in spans] == ["بين", "موسكو", "وطهران", "مثالٌ", "حيٌّ"]
    assert [st_ for _, _, stems in spans for st_ in stems] == nz.index_text(text).split()


def test_terms_match_stems_and_prefixes():
    (term,) = nz.parse_query("طهران").terms()
    assert term.matches("طهران") and not term.matches("طهرانيه")
    (prefix,) = nz.parse_query("طهران*").terms()
    assert prefix.matches("طهرانيه")


def test_big_phrase_falls_back_to_and():
    words = "لبنان بيروت فلسطين الليطاني وليد بلدية"
    expr = nz.match_expression(f'"{words}"')
    assert expr.startswith("(") and " AND " in expr


TEXT = st.text(
    alphabet=st.sampled_from(list("ابتثجحخدذرزسشصضطظعغفقكلمنهويىةءأإآؤئـًٌٍَُِّْٰ ٠١٢٣٤٥٦٧٨٩ABCz09-،.\u200c\u200f")),
    max_size=40,
)


@given(TEXT)
def test_normalise_is_idempotent(text):
    once = nz.normalise(text)
    assert nz.normalise(once) == once


@given(TEXT)
def test_index_text_of_normalised_text_is_the_same(text):
    assert nz.index_text(nz.normalise(text)) == nz.index_text(text)


@given(st.text(max_size=30))
def test_spans_and_tokens_agree_on_any_text(text):
    stems = [s for _, _, ss in nz.word_spans(text) for s in ss]
    assert stems == nz.index_text(text).split()
    assert nz.normalise(nz.normalise(text)) == nz.normalise(text)


@given(st.text(alphabet=st.sampled_from(sorted(nz._PLAIN) + ["\u0653", "\u0654", "ـ"]),
               max_size=12))
def test_fast_path_folds_like_the_full_fold(word):
    assert nz._fold_word(word) == nz.fold(word)


@given(st.text(max_size=30))
def test_any_query_parses(text):
    nz.match_expression(text)
    nz.query_terms(text)
