"""The search form of Arabic text: orthographic folding, clitic stripping, query parsing.

Pure functions, no SQLite. Three layers, each table-driven:

1. ``normalise(text)``: NFKC, then the ``FOLD`` table (harakat, tatweel and invisible marks
   dropped; alef forms to ا, hamza on و/ي to ء, alef maqsura to ي, ta marbuta to ه;
   Arabic-Indic digits to ASCII), Latin case-folded, any other combining mark dropped, then
   ``FINAL_FOLD`` on each word (final اء -> ا, يء -> ء). Result: tokens separated by spaces.
2. ``stem(token)``: strips one attached clitic sequence (``CLITICS``: conjunction و/ف,
   preposition ب/ل/ك, article ال, and ``لل`` = ل + ال), longest first, never leaving fewer than
   ``MIN_STEM`` letters. Deterministic, so the index and the query agree.
3. ``parse_query(query)``: words (AND), ``"quoted phrases"``, ``word*`` prefixes, ``-word``
   (``NOT word``) exclusions, ``OR`` between two items. Each word becomes a ``Term`` whose
   alternatives are the stems its clitic-bearing forms can take (``expansions``): ``لبنان`` is indexed as
   ``بنان`` (ل read as a preposition) but ``بلبنان`` as ``لبنان``; the query asks for both.

The stored article text is never touched; these functions only make the shadow index.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

#: Bump when a rule below changes: the index must then be rebuilt (``index.ensure_current``).
NORMALISER_VERSION = 1


def _span(first: int, last: int, to: str = "") -> dict[int, str]:
    return {cp: to for cp in range(first, last + 1)}


#: Character folding table (code point -> replacement), applied after NFKC.
FOLD: dict[int, str] = {
    **_span(0x0610, 0x061A),  # Quranic honorifics and small high letters
    **_span(0x064B, 0x065F),  # harakat: tanwin, fatha, damma, kasra, shadda, sukun, hamza marks
    0x0670: "",  # superscript (dagger) alef
    **_span(0x06D6, 0x06ED),  # Quranic annotation marks
    **_span(0x08D3, 0x08FF),  # extended Arabic marks
    0x0640: "",  # tatweel (kashida): الـمدن -> المدن
    0x200B: "", 0x200C: "", 0x200D: "", 0x200E: "", 0x200F: "", 0x061C: "", 0xFEFF: "",
    **_span(0x202A, 0x202E), **_span(0x2066, 0x2069),  # bidi controls
    0x0622: "ا", 0x0623: "ا", 0x0625: "ا", 0x0671: "ا", 0x0672: "ا", 0x0673: "ا", 0x0675: "ا",
    0x0624: "ء",  # waw with hamza: مسؤول = مسئول, شؤون = شئون
    0x0626: "ء",  # ya with hamza
    0x0649: "ي",  # alef maqsura
    0x06CC: "ي", 0x06D2: "ي",  # Persian/Urdu ya
    0x0629: "ه",  # ta marbuta
    0x06C0: "ه", 0x06C1: "ه", 0x06D5: "ه",  # Persian/Urdu he forms
    0x06A9: "ك",  # Persian keheh
    **{0x0660 + d: str(d) for d in range(10)},  # Arabic-Indic digits
    **{0x06F0 + d: str(d) for d in range(10)},  # Extended (Persian) digits
}
_FOLD_TABLE = str.maketrans(FOLD)
FOLD_TABLE = _FOLD_TABLE  # for cheap substring pre-filters (index.snippet)
#: Word-final spelling variants (suffix, replacement, minimum word length), after FOLD.
FINAL_FOLD: tuple[tuple[str, str, int], ...] = (
    ("اء", "ا", 4),  # الحمراء = الحمرا (kept: ماء)
    ("يء", "ء", 3),  # شيء = شئ, بريء = برئ
)

#: Clitic sequences a word may carry, longest first: [و|ف] [ب|ك|ل] [ال]; ل + ال is written لل.
CLITICS: tuple[str, ...] = tuple(
    sorted(
        {
            conj + prep + art
            for conj in ("", "و", "ف")
            for prep in ("", "ب", "ك", "ل")
            for art in ("", "ال")
            if conj + prep + art and prep + art != "لال"
        }
        | {conj + "لل" for conj in ("", "و", "ف")},
        key=lambda c: (-len(c), c),
    )
)
#: Letters a stem must keep: shorter remainders are left whole (الله, وطن, بلد stay intact).
MIN_STEM = 3

_ARABIC_LETTERS = frozenset("ءابتثجحخدذرزسشصضطظعغفقكلمنهويى")
# clitic sequence (alternatives longest first, so the regex tries them in that order) + stem
_CLITIC_SPLIT = re.compile(
    "(" + "|".join(CLITICS) + ")([" + "".join(sorted(_ARABIC_LETTERS)) + f"]{{{MIN_STEM},}})"
)
# A word in the original text: letters/digits plus the marks that normalise to nothing, so
# that حيٌّ or الـمدن is one token (Python's \w does not include combining marks).
_WORD = re.compile(
    r"(?:[^\W_]|[\u0300-\u036F\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06ED"
    r"\u08D3-\u08FF\u200C\u200D\uFE20-\uFE2F])+"
)
_TOKEN = re.compile(r"[^\W_]+")
# Characters NFKC/NFKD leave alone and FOLD alone handles (no hamza/madda combining marks,
# which NFC would compose with the letter before them).
_PLAIN = frozenset(
    [chr(c) for c in range(0x0621, 0x064B)]
    + [chr(c) for c in range(0x064B, 0x0653)] + ["\u0670", "\u0640"]
    + [chr(c) for c in range(0x0660, 0x066A)]
    + list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
)


def fold(text: str) -> str:
    """``text`` with the ``FOLD`` table applied, Latin case-folded and every other combining
    mark dropped (é -> e). Keeps separators (spaces, punctuation) as they are."""
    text = unicodedata.normalize("NFKC", text).translate(_FOLD_TABLE).casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    if decomposed == text:
        return text
    return unicodedata.normalize(
        "NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    )


def _fold_final(token: str) -> str:
    """``token`` with ``FINAL_FOLD`` rules applied until none matches, so that normalising
    is idempotent (``ايء`` → ``اء`` → ``ا``); each rule shortens the token, so this ends."""
    while True:
        for suffix, replacement, min_len in FINAL_FOLD:
            if len(token) >= min_len and token.endswith(suffix):
                token = token[: -len(suffix)] + replacement
                break
        else:
            return token


@lru_cache(maxsize=65536)
def _fold_word(word: str) -> str:
    """``fold`` for one word, skipping the Unicode normalisations when no character needs
    them (plain Arabic letters, harakat, tatweel, digits, ASCII: the common case)."""
    if _PLAIN.issuperset(word):
        return word.translate(_FOLD_TABLE).lower()
    return fold(word)


def _words(text: str):
    """``(start, end, tokens)`` for each word of the original ``text`` that folds to
    something (a ligature such as ﷲ can fold to several tokens)."""
    for m in _WORD.finditer(text):
        toks = _word_tokens(m.group())
        if toks:
            yield m.start(), m.end(), toks


@lru_cache(maxsize=65536)
def _word_tokens(word: str) -> list[str]:
    """The folded tokens of one word of the original text (memoised: words repeat)."""
    return [_fold_final(t) for t in _TOKEN.findall(_fold_word(word))]


def tokens(text: str) -> list[str]:
    """The search tokens of ``text`` (folded, ``FINAL_FOLD`` applied), in order."""
    return [t for _, _, toks in _words(text or "") for t in toks]


def normalise(text: str) -> str:
    """The search form of ``text``: folded tokens separated by single spaces."""
    return " ".join(tokens(text))


def is_arabic(token: str) -> bool:
    """True when every character of ``token`` is a (folded) Arabic letter."""
    return bool(token) and all(ch in _ARABIC_LETTERS for ch in token)


@lru_cache(maxsize=65536)
def stem(token: str) -> str:
    """The index form of one folded token: its longest clitic sequence stripped, when at least
    ``MIN_STEM`` letters remain. Non-Arabic tokens are returned unchanged."""
    m = _CLITIC_SPLIT.fullmatch(token)
    return m.group(2) if m else token


def index_text(text: str) -> str:
    """What the shadow index stores for ``text``: the stem of every token, space-separated."""
    return " ".join(filter(None, map(_word_stems, _WORD.findall(text or ""))))


@lru_cache(maxsize=65536)
def _word_stems(word: str) -> str:
    """``index_text`` of one word of the original text (memoised: words repeat, and the
    writer indexes every article it stores)."""
    return " ".join(stem(t) for t in _word_tokens(word))


def word_spans(text: str) -> list[tuple[int, int, list[str]]]:
    """``(start, end, stems)`` for every word of the ORIGINAL ``text``, for highlighting; the
    stems, in order, are exactly ``index_text(text).split()``."""
    return [(start, end, [stem(t) for t in toks]) for start, end, toks in _words(text or "")]


def expansions(token: str) -> tuple[str, ...]:
    """Every index form a clitic-bearing occurrence of the folded ``token`` can have.

    ``stem(c + token)`` for each clitic sequence ``c`` (and none): ``طهران`` -> (طهران,);
    ``لبنان`` -> (بنان, لبنان) since ``لبنان`` alone loses its ل but ``بلبنان`` keeps it."""
    if not is_arabic(token):
        return (token,)
    base = stem(token)
    if token.startswith("ال") and len(token) - 2 >= MIN_STEM:
        token = token[2:]  # the query's article is optional: الحكومة also finds حكومة
    forms = {stem(c + token) for c in ("",) + CLITICS}
    return (base, *sorted(forms - {base}))


def _quote(text: str) -> str:
    """An FTS5 string literal."""
    return '"' + text.replace('"', '""') + '"'


@dataclass(frozen=True)
class Term:
    """One query word: matches a document word whose stem is one of ``alternatives``
    (or starts with one, when ``prefix``)."""

    alternatives: tuple[str, ...]
    prefix: bool = False

    def matches(self, stem_: str) -> bool:
        if self.prefix:
            return any(stem_.startswith(a) for a in self.alternatives)
        return stem_ in self.alternatives

    def fts(self) -> str:
        """The FTS5 expression of this term."""
        star = "*" if self.prefix else ""
        parts = [_quote(a) + star for a in self.alternatives]
        return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"


@dataclass(frozen=True)
class Item:
    """A query item: one word or a phrase (consecutive words); ``negated`` for ``-word``."""

    terms: tuple[Term, ...]
    negated: bool = False

    def fts(self, max_phrases: int = 32) -> str:
        if len(self.terms) == 1:
            return self.terms[0].fts()
        # FTS5 phrases cannot hold OR: spell out the combinations (capped), else AND the words.
        combos: list[list[str]] = [[]]
        for term in self.terms:
            combos = [c + [a] for c in combos for a in term.alternatives]
            if len(combos) > max_phrases:
                return "(" + " AND ".join(t.fts() for t in self.terms) + ")"
        star = "*" if self.terms[-1].prefix else ""
        phrases = [_quote(" ".join(c)) + star for c in combos]
        return phrases[0] if len(phrases) == 1 else "(" + " OR ".join(phrases) + ")"


@dataclass(frozen=True)
class Query:
    """A parsed query: a conjunction of disjunctions of items (``OR`` binds tighter)."""

    groups: tuple[tuple[Item, ...], ...]

    @property
    def positive(self) -> tuple[Item, ...]:
        return tuple(i for g in self.groups for i in g if not i.negated)

    @property
    def empty(self) -> bool:
        return not self.positive

    def terms(self) -> tuple[Term, ...]:
        """Every positive term (for highlighting)."""
        return tuple(t for item in self.positive for t in item.terms)

    def match_expression(self) -> str:
        """The FTS5 MATCH string (``""`` when nothing is searchable)."""
        if self.empty:
            return ""
        pos, neg = [], []
        for group in self.groups:
            if all(i.negated for i in group):
                neg.extend(i.fts() for i in group)
            else:
                parts = [i.fts() for i in group if not i.negated]
                pos.append(parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")")
        expr = " AND ".join(pos)
        return expr + "".join(f" NOT {n}" for n in neg)


_QUERY_ITEM = re.compile(r'(-?)(?:"([^"]*)"|«([^»]*)»|“([^”]*)”|(\S+))')


def _item(text: str, negated: bool, quoted: bool, split, forms) -> Item | None:
    """One query item from its text (a phrase when quoted or when it folds to several
    tokens, e.g. ``سو-35``); ``None`` when nothing searchable is left."""
    toks = split(text)
    if not toks:
        return None
    terms = [Term(forms(t)) for t in toks]
    if text.endswith("*") and not quoted:
        terms[-1] = Term(terms[-1].alternatives, prefix=True)
    return Item(tuple(terms), negated)


def parse_query(query: str, *, split=tokens, forms=expansions) -> Query:
    """Parse a user query. Words are ANDed; ``"…"`` (or «…», “…”) is a phrase; ``word*`` a
    prefix; ``-word`` (or ``NOT word``) excludes; ``A OR B`` either; ``AND`` is the default
    and ignored. Everything else is literal text.

    ``split`` (text -> tokens) and ``forms`` (token -> index forms) default to this module's
    rules; other values let the tests measure alternative indexing strategies."""
    groups: list[list[Item]] = []
    join_next = negate_next = False
    for m in _QUERY_ITEM.finditer(query or ""):
        neg, *quoted, bare = m.groups()
        phrase = next((q for q in quoted if q is not None), None)
        if not neg and bare in ("OR", "AND", "NOT"):
            join_next = bare == "OR" and bool(groups)
            negate_next = bare == "NOT"
            continue
        item = _item(phrase if phrase is not None else bare, bool(neg) or negate_next,
                     phrase is not None, split, forms)
        if item is None:
            continue
        if join_next and groups:
            groups[-1].append(item)
        else:
            groups.append([item])
        join_next = negate_next = False
    return Query(tuple(tuple(g) for g in groups))


def query_terms(query: str) -> list[str]:
    """The index terms a user query looks for: every alternative stem of every positive word,
    in query order, without repeats (``ايران`` and ``إيران`` both give ``['ايران']``)."""
    return list(dict.fromkeys(a for t in parse_query(query).terms() for a in t.alternatives))


def match_expression(query: str) -> str:
    """The FTS5 MATCH string for a user query against the shadow index (``""``: nothing)."""
    return parse_query(query).match_expression()
