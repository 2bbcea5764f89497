"""Text analysis for every script and language the archives hold.

One chain turns text into index terms, for indexing and querying alike:

1. **Segmentation per script** (:class:`ScriptTokenizer`). Latin, Cyrillic, Greek and other
   spaced scripts are split into words as before (an apostrophe splits a word, straight or
   curly alike; dots join ``model.matrix``; ``C++``, ``C#``, ``.NET`` stay whole). Runs of
   Han and Kana (Chinese, Japanese) and of Hangul (Korean) become overlapping character
   bigrams, one position each, so a word of n characters is a phrase of n-1 bigrams and
   matches exactly where it occurs as a substring; a run of one character is one token.
2. **Folding before stemming** (:func:`fold`): NFKC, Turkish ``İ``/``ı`` to ``i``, case-fold
   (``ß`` becomes ``ss``), combining marks stripped, ``æ``/``ø``/``œ`` spelled out. A word
   with a German umlaut is also indexed in its ``ae``/``oe``/``ue`` spelling at the same
   position, so ``müller``, ``muller`` and ``mueller`` all find ``Müller``.
3. **Identifiers** (:class:`LanguageFilter`): ``model.matrix``, ``read_table`` and
   ``readTable`` are indexed whole and, at the same position, in their parts.
4. **Stemming and stop words per language**: the entry's language (ISO 639-1) picks the
   Snowball stemmer and the stop words. A stemmed word is indexed as ``stem|lang`` (for
   example ``refuge|en``); words of a language without a stemmer, or of an entry whose
   language is unknown, are indexed as their folded form. The suffix keeps the languages'
   term spaces apart, so a query stemmed as German cannot match an English document by
   accident, while the query side (:func:`query_plan`) asks for the query's stem in every
   language of the index, plus the folded form.

How the language reaches the analyzer: Whoosh passes an analyzer only the field's value, so
the value carries it. Index a :class:`LangText` (a ``str`` with a ``lang`` attribute, which
survives pickling to ingest worker processes), or call the analyzer with ``lang=``::

    >>> analyzer = text_analyzer()
    >>> [t.text for t in analyzer(LangText("Die Häuser von Müller", "de"))]
    ['die|de', 'haus|de', 'von|de', 'mull|de']
    >>> [t.text for t in analyzer("北京大学")]
    ['北京', '京大', '大学']

Queries go through :func:`query_plan` / :func:`whoosh_query`, not through the analyzer alone:
one query word may stand for several alternatives (stems of several languages, umlaut
spellings) and for a sequence of positions (bigrams, identifier parts), which Whoosh's default
multi-token handling (AND of the tokens) would get wrong.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Container, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import py3langid.langid as _langid
import Stemmer
from whoosh.analysis import Filter, Tokenizer
from whoosh.analysis.acore import Token
from whoosh.lang.stopwords import stoplists
from whoosh.query import Or, Prefix, Query, Term
from whoosh.query import Sequence as SequenceQuery

# ---------------------------------------------------------------------------------------
# Languages

#: ISO 639-1 code -> PyStemmer (Snowball) algorithm name.
STEMMERS: dict[str, str] = {
    "ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "cs": "czech",
    "da": "danish", "nl": "dutch", "en": "english", "eo": "esperanto", "et": "estonian",
    "fi": "finnish", "fr": "french", "de": "german", "el": "greek", "hi": "hindi",
    "hu": "hungarian", "id": "indonesian", "ga": "irish", "it": "italian",
    "lt": "lithuanian", "ne": "nepali", "no": "norwegian", "fa": "persian", "pl": "polish",
    "pt": "portuguese", "ro": "romanian", "ru": "russian", "sr": "serbian", "es": "spanish",
    "sv": "swedish", "ta": "tamil", "tr": "turkish",
}  # fmt: skip

#: Languages :func:`detect_language` may answer: those with a stemmer, the CJK languages,
#: and a few frequent ones without a stemmer. Restricting the detector to them makes it
#: faster and keeps it from answering rare look-alikes (Latin, Pidgin) for English text.
DETECTED_LANGUAGES: tuple[str, ...] = tuple(sorted(
    set(STEMMERS) | {"zh", "ja", "ko", "uk", "bg", "he", "vi", "sk", "hr", "sl", "th"}
))  # fmt: skip


class LangText(str):
    """A field value that carries its entry's language, for the analyzer to stem by.

    >>> import pickle
    >>> text = LangText("Häuser am See", "de")
    >>> text.lang, pickle.loads(pickle.dumps(text)).lang
    ('de', 'de')

    Store the plain text (Whoosh's ``_stored_<field>`` document key) so the stored value
    stays a ``str``; index the ``LangText``.
    """

    lang: str | None

    def __new__(cls, text: str, lang: str | None) -> LangText:
        self = super().__new__(cls, text)
        self.lang = lang
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (LangText, (str(self), self.lang))

    def __repr__(self) -> str:
        return f"LangText({str(self)!r}, {self.lang!r})"


# ---------------------------------------------------------------------------------------
# Folding

_SPELLED = str.maketrans({
    "æ": "ae", "ø": "o", "œ": "oe", "đ": "d", "ð": "d", "ł": "l", "þ": "th", "ı": "i",
    "ĳ": "ij", "ħ": "h", "ŧ": "t",
})  # fmt: skip
#: German umlauts as spelled without them; a word holding one is indexed both ways.
UMLAUT_SPELLINGS = {"ä": "ae", "ö": "oe", "ü": "ue"}
_UMLAUTS = str.maketrans(UMLAUT_SPELLINGS)
_MARKS = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# Cyrillic й is a letter of its own, not и with a mark: keep it through the stripping.
_KEEP = str.maketrans({"й": "\x00"})
_UNKEEP = str.maketrans({"\x00": "й"})
#: Words each of the word caches holds (about 500 bytes a word, in every ingest worker;
#: 200,000 took a worker from 257 to 433 MB on R-help). The least recently used go
#: first: R-help's vocabulary is many times this, and a cache emptied whenever it filled
#: lost its frequent words with the rest (three 2005 months, 2.86 M look-ups: 139,156
#: words analyzed again when emptied, 102,057 least recently used first).
WORD_CACHE = 40_000


def _strip(word: str) -> str:
    word = unicodedata.normalize("NFD", word.translate(_KEEP))
    word = _MARKS.sub("", word)
    return unicodedata.normalize("NFC", word).translate(_SPELLED).translate(_UNKEEP)


def fold(word: str) -> tuple[str, ...]:
    """The folded spellings of one word: the first is the main one.

    >>> fold("Müller"), fold("İstanbul"), fold("Straße"), fold("Ærø"), fold("sécurité")
    (('muller', 'mueller'), ('istanbul',), ('strasse',), ('aero',), ('securite',))
    """
    if word.isascii():
        return (word.lower(),)
    return _fold(word)


@functools.lru_cache(maxsize=WORD_CACHE)
def _fold(word: str) -> tuple[str, ...]:
    text = unicodedata.normalize("NFKC", word).replace("İ", "i").casefold()
    main = _strip(text)
    forms: tuple[str, ...] = (main,)
    if "ä" in text or "ö" in text or "ü" in text:
        alt = _strip(text.translate(_UMLAUTS))
        if alt != main:
            forms = (main, alt)
    return forms


# ---------------------------------------------------------------------------------------
# Stemming and stop words

#: Languages whose stop words are left out of the index (and so out of query phrases).
#: Only English: it is what the index did before, and English is most of the text. The
#: Snowball lists of the other languages hold words people search for (French "été",
#: "même", German "über", "können", Turkish "çok"): measured on the shared files, leaving
#: them out made those words unfindable (recall 0).
INDEX_STOP_LANGUAGES = frozenset({"en"})

_stemmers: dict[str, Any] = {}
_stops: dict[str, frozenset[str]] = {}


def _stemmer(lang: str) -> Any:
    stemmer = _stemmers.get(lang)
    if stemmer is None:
        stemmer = _stemmers[lang] = Stemmer.Stemmer(STEMMERS[lang], 50_000)
    return stemmer


def stop_words(lang: str | None) -> frozenset[str]:
    """The folded stop words of a language (empty when it has none or is unknown)."""
    if lang is None:
        return frozenset()
    words = _stops.get(lang)
    if words is None:
        words = _stops[lang] = frozenset(f for w in stoplists.get(lang, ()) for f in fold(w))
    return words


def indexed_as_stems(lang: str | None, stemmers: Container[str] = STEMMERS) -> bool:
    """Whether the words of an entry in ``lang`` are indexed as that language's stems
    alone, never also as the folded words; an entry of another language, or of none, is
    indexed as its folded words. Every backend matches text by this rule, passing the
    languages it can stem as ``stemmers``.

    So a prefix reaches the stems of a stemmed entry: ``deploy*`` finds "déployer" in an
    entry of no language (the folded ``deployer``) but not in a French one, whose term is
    the stem ``deploi|fr`` (as a pingback's French name is, found through its title).

    >>> indexed_as_stems("fr"), indexed_as_stems(None), indexed_as_stems("zh")
    (True, False, False)
    """
    return lang is not None and lang in stemmers


def stem(word: str, lang: str | None) -> str:
    """The index term of a folded word in a language: ``stem|lang``, or the word itself.

    >>> stem("refugees", "en"), stem("maisons", "fr"), stem("refugees", None)
    ('refuge|en', 'maison|fr', 'refugees')
    """
    if lang is None or not indexed_as_stems(lang):
        return word
    if len(word) <= 3:
        # Folded short words stem badly: French "ete" (été) would become "et" (and).
        return f"{word}|{lang}"
    return f"{_stemmer(lang).stemWord(word)}|{lang}"


# ---------------------------------------------------------------------------------------
# Segmentation

_HAN_KANA = (
    "\u3005\u3007\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
    "\uff66-\uff9f\U00020000-\U0003134f"
)
_HANGUL = "\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff"
_COMBINING = "\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0900-\u0dff"
_COMBINING += "\u0e00-\u0eff\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_LETTER = rf"[^\W{_HAN_KANA}{_HANGUL}]"
_WORD = rf"{_LETTER}(?:{_LETTER}|[{_COMBINING}])*"
_TOKEN = re.compile(
    rf"(?P<cj>[{_HAN_KANA}]+)"
    rf"|(?P<ko>[{_HANGUL}]+)"
    # A leading dot only before a letter and not after a word (".NET"); dots join words
    # ("model.matrix", "node.js"); a trailing "++" or "#" stays ("C++", "C#").
    rf"|(?P<word>(?:(?<![\w.])\.(?=[^\W\d_]))?{_WORD}(?:\.{_WORD})*(?:\+\+|#|\+)?(?![\w+#]))"
    rf"|(?P<rest>{_WORD})"
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_PARTS = re.compile(r"[^._]+")

#: Token kinds the tokenizer sets on ``token.kind``.
CJ, KO, WORD = "cj", "ko", "word"


class ScriptTokenizer(Tokenizer):  # type: ignore[misc]
    """Splits text into words per script: bigrams for Han/Kana and Hangul runs.

    Each token has ``kind`` (``"cj"``, ``"ko"`` or ``"word"``) and ``lang`` (from a
    :class:`LangText` value or the ``lang=`` keyword, else ``None``); ``text`` is the text
    as written, ``pos`` counts tokens from 0.

    >>> [(t.text, t.pos) for t in ScriptTokenizer()("C++ 和 中国人 use .NET")]
    [('C++', 0), ('和', 1), ('中国', 2), ('国人', 3), ('use', 4), ('.NET', 5)]
    """

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        lang: str | None = None,
        **kwargs: Any,
    ) -> Iterator[Token]:
        if lang is None:
            lang = getattr(value, "lang", None)
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        token.lang = lang
        token.boost = 1.0
        pos = start_pos
        for match in _TOKEN.finditer(value):
            kind = match.lastgroup
            text = match.group()
            start = match.start()
            if kind == "cj" or kind == "ko":
                token.kind = kind
                if len(text) == 1:
                    token.text = text
                    token.pos = pos
                    token.startchar = start_char + start
                    token.endchar = token.startchar + 1
                    pos += 1
                    yield token
                    continue
                for i in range(len(text) - 1):
                    token.text = text[i : i + 2]
                    token.pos = pos
                    token.startchar = start_char + start + i
                    token.endchar = token.startchar + 2
                    pos += 1
                    yield token
            else:
                token.kind = WORD
                token.text = text
                token.pos = pos
                token.startchar = start_char + start
                token.endchar = start_char + match.end()
                pos += 1
                yield token


# ---------------------------------------------------------------------------------------
# Word analysis: identifiers, folding, stop words, stemming

#: One word's analysis: whether it is a stop word, then its terms as
#: (term, start offset in the word, end offset in the word), all at the word's position.
_Analysis = tuple[bool, tuple[tuple[str, int, int], ...]]


def _is_identifier(word: str) -> bool:
    return "." in word or "_" in word or _CAMEL.search(word) is not None


def _parts(word: str) -> list[tuple[str, int, int]]:
    """The parts of an identifier with their offsets: ``readTable`` -> read, Table."""
    parts = []
    for chunk in _PARTS.finditer(word):
        text, offset = chunk.group(), chunk.start()
        cuts = [0, *(m.start() for m in _CAMEL.finditer(text)), len(text)]
        for a, b in zip(cuts, cuts[1:], strict=False):
            if a < b:
                parts.append((text[a:b], offset + a, offset + b))
    return parts


def analyze_word(word: str, lang: str | None, stem_words: bool = True,
                 split: bool = True) -> _Analysis:  # fmt: skip
    """The terms of one word as written, in a language.

    >>> analyze_word("model.matrix", "en")
    (False, (('model.matrix', 0, 12), ('model|en', 0, 5), ('matrix|en', 6, 12)))
    >>> analyze_word("the", "en")
    (True, ())
    """
    return _analyze_word(word, lang, stem_words, split)


@functools.lru_cache(maxsize=WORD_CACHE)
def _analyze_word(word: str, lang: str | None, stem_words: bool, split: bool) -> _Analysis:
    terms: list[tuple[str, int, int]] = []
    stops = stop_words(lang) if stem_words and lang in INDEX_STOP_LANGUAGES else frozenset()

    def add(text: str, start: int, end: int) -> bool:
        forms = fold(text)
        if all(f in stops for f in forms):
            return False
        for form in forms:
            term = stem(form, lang) if stem_words else form
            if (term, start, end) not in terms:
                terms.append((term, start, end))
        return True

    has_letter = any(c.isalpha() for c in word)
    if split and has_letter and word[-1] not in "+#" and _is_identifier(word):
        whole = fold(word)[0]
        terms.append((whole, 0, len(word)))
        for text, start, end in _parts(word.lstrip(".")):
            shift = len(word) - len(word.lstrip("."))
            add(text, start + shift, end + shift)
        result: _Analysis = (False, tuple(terms))
    elif word[-1] in "+#" or word.startswith("."):
        # C++, C#, .NET: a name as written, never stemmed or stopped.
        result = (False, ((fold(word)[0], 0, len(word)),))
    else:
        kept = add(word, 0, len(word))
        result = (not kept, tuple(terms))
    return result


class LanguageFilter(Filter):  # type: ignore[misc]
    """Folds, splits identifiers, drops stop words and stems, by each token's ``lang``.

    Alternatives of one word (umlaut spelling, identifier parts) share its position. A
    dropped stop word does not use a position, in every mode, so phrases match as before.
    CJK bigrams pass through unchanged. With ``stem=False`` words are only folded (for
    "did you mean", whose suggestions must be real words); with ``parts=False``
    identifiers stay whole.
    """

    def __init__(self, stem: bool = True, parts: bool = True) -> None:
        self.stem = stem
        self.parts = parts

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, LanguageFilter)
            and self.stem == other.stem
            and self.parts == other.parts
        )

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:
        pos = -1
        for token in tokens:
            if token.kind != WORD:
                pos += 1
                token.pos = pos
                yield token
                continue
            text = token.text
            stopped, terms = analyze_word(text, token.lang, self.stem, self.parts)
            if stopped or not terms:
                continue
            pos += 1
            token.pos = pos
            start = token.startchar
            for term, a, b in terms:
                token.text = term
                token.startchar = start + a
                token.endchar = start + b
                yield token


def text_analyzer() -> Any:
    """The analyzer of the text fields (title, body, quoted), index and query mode alike."""
    return ScriptTokenizer() | LanguageFilter()


def spelling_analyzer() -> Any:
    """Words as typed, folded and unstemmed, identifiers whole: for the ``spell`` field."""
    return ScriptTokenizer() | LanguageFilter(stem=False, parts=False)


class PairFilter(Filter):  # type: ignore[misc]
    """The pairs of adjacent positions' terms, as one term: ``north|en korea|en``.

    Put after :class:`LanguageFilter`. Every term of a position is paired with every
    term of the next (an umlaut word's two spellings, an identifier whole and in parts),
    so a document holds the pair ``a b`` exactly when the two-slot phrase query
    ``Sequence([a, b])`` matches it: the query side looks the phrase up as the pairs of
    its slots' alternatives (:func:`pair_terms` gives the main ones).
    """

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:
        previous: list[str] = []
        current: list[str] = []
        current_pos = None
        for token in tokens:
            if token.pos != current_pos:
                previous, current, current_pos = current, [], token.pos
            text = token.text
            if text in current:
                continue
            current.append(text)
            for first in previous:
                token.text = f"{first} {text}"
                yield token


def pair_analyzer() -> Any:
    """The analyzer of the word-pair fields."""
    return ScriptTokenizer() | LanguageFilter() | PairFilter()


# ---------------------------------------------------------------------------------------
# Queries

#: One way a query can match: a sequence of positions, each a set of alternative terms.
#: A term ending in ``*`` is a prefix (a lone CJK character matches the bigrams it starts).
Alternative = tuple[frozenset[str], ...]


@dataclass(frozen=True)
class QueryPlan:
    """The ways a query text matches: any one of ``alternatives``."""

    alternatives: tuple[Alternative, ...]

    def terms(self) -> frozenset[str]:
        """Every term the plan names (prefixes included, with their ``*``)."""
        return frozenset(t for alt in self.alternatives for slot in alt for t in slot)


def _query_words(text: str) -> list[tuple[str, str]]:
    """(kind, text) of each query word, CJK runs whole."""
    words = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        words.append((kind if kind in (CJ, KO) else WORD, match.group()))
    return words


def _bigrams(run: str) -> list[frozenset[str]]:
    if len(run) == 1:
        return [frozenset({run, run + "*"})]
    return [frozenset({run[i : i + 2]}) for i in range(len(run) - 1)]


def query_plan(text: str, langs: Sequence[str | None]) -> QueryPlan:
    """How a query text matches documents of any of ``langs`` (and of no language).

    The text is a phrase: its words in order. For each language the words are stemmed and
    stop words left out as the index did; a CJK word is its bigrams in sequence; an
    identifier is its whole name (and a lone camelCase or snake_case name also its parts
    in sequence, so ``readTable`` finds "read table").

    >>> sorted(query_plan("Häuser", ["de"]).terms())
    ['haeuser', 'hauser', 'haus|de']
    >>> query_plan("中国人", ["zh"]).alternatives
    ((frozenset({'中国'}), frozenset({'国人'})),)
    """
    return _query_plan(text, tuple(langs))


#: Query texts whose plans a process keeps: a search plans each word once per field it
#: searches, and people search the same words again with other filters and pages.
PLAN_CACHE = 4096


@functools.lru_cache(maxsize=PLAN_CACHE)
def _query_plan(text: str, langs: tuple[str | None, ...]) -> QueryPlan:
    words = _query_words(text)
    if len(words) == 1 and words[0][0] == WORD and _is_stop_word(words[0][1], langs):
        # A lone stop word of a language whose entries drop them ("in" in "refugees in
        # china") cannot be required: those entries never index it. Left out, as a
        # single-language index leaves it out; a phrase keeps its per-language plans.
        return QueryPlan(())
    alternatives: list[Alternative] = []
    for lang in dict.fromkeys([*langs, None]):
        slots: list[frozenset[str]] = []
        for kind, word in words:
            if kind in (CJ, KO):
                slots.extend(_bigrams(word))
                continue
            stopped, terms = analyze_word(word, lang)
            if stopped or not terms:
                continue
            if terms[0][1:] == (0, len(word)) and len(terms) > 1 and _is_identifier(word):
                slots.append(frozenset({terms[0][0]}))  # an identifier: its whole name
            else:
                slots.append(frozenset(t for t, _, _ in terms))
        if slots:
            alternatives.append(tuple(slots))
        if len(words) == 1 and words[0][0] == WORD and _is_identifier(words[0][1]):
            word = words[0][1]
            if "." not in word:  # dotted names match only whole; read_table/readTable also
                _, terms = analyze_word(word, lang)  # as the phrase of their parts
                parts = tuple(frozenset({t}) for t, _, _ in terms[1:])
                if len(parts) > 1:
                    alternatives.append(parts)
    unique = tuple(dict.fromkeys(alternatives))
    # A single-position alternative is merged into one set of terms.
    singles = frozenset(t for alt in unique if len(alt) == 1 for t in alt[0])
    rest = tuple(alt for alt in unique if len(alt) > 1)
    return QueryPlan(((singles,),) + rest if singles else rest)


def _slot_query(fieldname: str, slot: frozenset[str]) -> Query:
    queries: list[Query] = [
        Prefix(fieldname, t[:-1]) if t.endswith("*") else Term(fieldname, t)
        for t in sorted(slot)
    ]
    return queries[0] if len(queries) == 1 else Or(queries)


def _is_stop_word(word: str, langs: Sequence[str | None]) -> bool:
    return any(analyze_word(word, lang)[0] for lang in langs if lang in INDEX_STOP_LANGUAGES)


def whoosh_query(fieldname: str, plan: QueryPlan) -> Query:
    """The Whoosh query of a plan on one field.

    >>> whoosh_query("body", query_plan("中国人", ["zh"]))
    Sequence([Term('body', '中国'), Term('body', '国人')], slop=1, boost=1.000000)
    """
    queries: list[Query] = []
    for alt in plan.alternatives:
        if len(alt) == 1:
            queries.append(_slot_query(fieldname, alt[0]))
        else:
            queries.append(SequenceQuery([_slot_query(fieldname, s) for s in alt]))
    return queries[0] if len(queries) == 1 else Or(queries)


def pair_terms(first: str, second: str, langs: Sequence[str | None]) -> frozenset[str]:
    """The word-pair terms a two-word phrase is looked up as, one per language.

    >>> sorted(pair_terms("North", "Korea", ["en"]))
    ['north korea', 'north|en korea|en']
    """
    pairs = set()
    for lang in dict.fromkeys([*langs, None]):
        a = analyze_word(first, lang)[1]
        b = analyze_word(second, lang)[1]
        if a and b:
            pairs.add(f"{a[0][0]} {b[0][0]}")
    return frozenset(pairs)


# ---------------------------------------------------------------------------------------
# Matching and highlighting


#: term -> [(position, start, end)]: a text as the index sees it.
Positions = dict[str, list[tuple[int, int, int]]]


def term_positions(text: str, lang: str | None) -> Positions:
    """term -> [(position, start, end)] of a text analyzed as the index does."""
    out: dict[str, list[tuple[int, int, int]]] = {}
    for t in text_analyzer()(text, positions=True, chars=True, lang=lang):
        out.setdefault(t.text, []).append((t.pos, t.startchar, t.endchar))
    return out


def _slot_hits(index: Positions,
               slot: frozenset[str]) -> dict[int, tuple[int, int]]:  # fmt: skip
    hits: dict[int, tuple[int, int]] = {}
    for term in slot:
        if term.endswith("*"):
            prefix = term[:-1]
            found = [p for k, v in index.items() if k.startswith(prefix) for p in v]
        else:
            found = index.get(term, [])
        for pos, start, end in found:
            # Terms of one position (an identifier whole and in parts) may cover different
            # characters: mark them all, whatever order the slot's set yields them in.
            held = hits.get(pos)
            hits[pos] = (start, end) if held is None else (min(held[0], start), max(held[1], end))
    return hits


def match_spans(text: str, plan: QueryPlan, lang: str | None = None) -> list[tuple[int, int]]:
    """Character spans (start, end) of ``text`` where the query plan matches.

    ``lang`` is the language the text was indexed in. Spans of a phrase cover it whole;
    overlapping spans are merged.

    >>> match_spans("La sécurité d'abord", query_plan("securite", ["fr"]), "fr")
    [(3, 11)]
    """
    return plan_spans(term_positions(text, lang), plan)


def plan_spans(index: Positions, plan: QueryPlan) -> list[tuple[int, int]]:
    """:func:`match_spans` on a text already analyzed by :func:`term_positions`."""
    spans: list[tuple[int, int]] = []
    # A word's alternatives (one per language) share slots: each slot is looked up once,
    # and an alternative whose first slot is absent is not looked at further.
    seen: dict[frozenset[str], dict[int, tuple[int, int]]] = {}
    for alt in plan.alternatives:
        first = seen.get(alt[0])
        if first is None:
            first = seen[alt[0]] = _slot_hits(index, alt[0])
        if not first:
            continue
        hits = [first]
        for slot in alt[1:]:
            found = seen.get(slot)
            if found is None:
                found = seen[slot] = _slot_hits(index, slot)
            hits.append(found)
        for pos, (start, _) in hits[0].items():
            end = None
            for i, slot_hits in enumerate(hits[1:], 1):
                hit = slot_hits.get(pos + i)
                if hit is None:
                    break
                end = hit[1]
            else:
                spans.append((start, end if end is not None else hits[0][pos][1]))
    return merge_spans(spans)


def merge_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Character spans sorted, overlapping and touching ones joined.

    >>> merge_spans([(5, 8), (0, 2), (1, 3), (8, 9)])
    [(0, 3), (5, 9)]
    """
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlight_spans(text: str, query: str, langs: Sequence[str | None],
                    lang: str | None = None) -> list[tuple[int, int]]:  # fmt: skip
    """The spans to highlight in ``text`` (indexed in ``lang``) for each word of ``query``.

    Each query word is matched on its own (a CJK word as its whole bigram phrase), the
    way a bare multi-word query matches. For a quoted phrase use :func:`match_spans` with
    the phrase's plan.

    >>> text = "我们在北京大学见面"
    >>> [text[a:b] for a, b in highlight_spans(text, "北京大学", ["zh"], "zh")]
    ['北京大学']
    """
    spans: list[tuple[int, int]] = []
    for _, word in _query_words(query):
        spans.extend(match_spans(text, query_plan(word, langs), lang))
    return merge_spans(spans)


# ---------------------------------------------------------------------------------------
# Language detection

_identifier: Any = None
_CJK_SCRIPT = re.compile(rf"[{_HAN_KANA}{_HANGUL}]")
_KANA = re.compile("[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HANGUL_RE = re.compile(f"[{_HANGUL}]")
_LETTERS = re.compile(r"[^\W\d_]")

#: Below this many letters, Latin-script text is too short to tell its language.
MIN_LETTERS = 40
#: Below this probability the detector's answer is not trusted.
MIN_CONFIDENCE = 0.8
#: Detection reads at most this many characters of a text.
SAMPLE_CHARS = 400


def _detector() -> Any:
    global _identifier
    if _identifier is None:
        ident = _langid.LanguageIdentifier.from_model_file(_langid.MODEL_FILE, norm_probs=True)
        ident.set_languages(list(DETECTED_LANGUAGES))
        # set_languages keeps the whole model (27 MB) beside the restricted copy (8 MB)
        # for a later reset, which this process never asks for.
        ident._full_model = None
        _identifier = ident
    return _identifier


def detect_language(text: str) -> str | None:
    """The ISO 639-1 language of a text, or ``None`` when it is too short or unclear.

    Text mostly of CJK characters is decided by its script (Hangul ``ko``, any Kana
    ``ja``, else ``zh``); other text by py3langid, restricted to
    :data:`DETECTED_LANGUAGES`, reading the first :data:`SAMPLE_CHARS` characters.

    >>> detect_language("Ich habe heute keine Zeit, weil ich arbeiten muss."), detect_language("ok")
    ('de', None)
    """
    sample = text[:SAMPLE_CHARS]
    letters = len(_LETTERS.findall(sample))
    if letters == 0:
        return None
    cjk = len(_CJK_SCRIPT.findall(sample))
    if cjk * 3 >= letters or cjk >= 20:
        hangul = len(_HANGUL_RE.findall(sample))
        if hangul * 2 >= cjk:
            return "ko"
        return "ja" if _KANA.search(sample) else "zh"
    if letters < MIN_LETTERS:
        return None
    lang, probability = _detector().classify(sample)
    if probability < MIN_CONFIDENCE:
        return None
    return str(lang)
