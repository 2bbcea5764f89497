"""User text to a Whoosh query, in one place, with one policy for bad syntax.

The query language is Whoosh's: words are ANDed, ``"phrases"``, ``field:value``,
``wild*``, ``fuzzy~``, ``[a TO b]`` ranges, ``timestamp:>2005-10-02`` comparisons,
``OR``, ``NOT`` and parentheses. Bare words search the title and the body;
``lang:de`` keeps entries of one language (and analyzes the words as that language only).

Words of the text fields are analyzed as the index analyzed them, through
:func:`~threadsearch.analysis.query_plan`: one typed word becomes its terms in every
language the index holds (``refugees`` is ``refuge|en`` or ``refugees``), a Chinese or
Korean word the phrase of its character bigrams, an identifier its whole name. Whoosh's
own handling of a word the analyzer splits (AND of the pieces) is not used.

Policy: like a search box, unbalanced quotes and brackets are read leniently (an
unclosed quote or bracket runs to the end of the text; a stray closing one is
ignored), because Whoosh's parser already recovers that way and users expect it.
What Whoosh marks as an error in the parsed tree (a date it cannot read, for example)
is a :class:`~threadsearch.errors.QuerySyntaxError` with a message naming the bad part.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from whoosh import query as wq
from whoosh.fields import Schema
from whoosh.qparser import (
    AndGroup,
    FuzzyTermPlugin,
    GtLtPlugin,
    MultifieldPlugin,
    PhrasePlugin,
    QueryParser,
    dateparse,
    syntax,
)
from whoosh.qparser.dateparse import DateParserPlugin
from whoosh.qparser.syntax import attach

from ..analysis import QueryPlan, fold, query_plan, whoosh_query
from ..errors import QuerySyntaxError
from ..schema import BODY, LANG, PAIR_FIELDS, QUOTED, TEXT_FIELDS, TITLE

#: Fields whose words go through the language analysis.
ANALYZED_FIELDS = frozenset({TITLE, BODY, QUOTED})
_LANG_TERM = re.compile(r"(?<![\w:])lang:([A-Za-z]{2,3})\b")


def _boost(q: wq.Query, boost: float) -> wq.Query:
    """Put ``boost`` on every leaf of ``q`` (Whoosh and the fast scorer read leaves)."""
    if boost == 1.0:
        return q
    if q.is_leaf():
        q.boost = boost
        return q
    for child in q.children():
        _boost(child, boost)
    return q


def plan_query(fieldname: str, text: str, langs: Sequence[str | None], boost: float = 1.0,
               slop: int = 1, pairs: bool = True) -> wq.Query | None:  # fmt: skip
    """The query of a word or phrase on an analyzed field; None when nothing is left.

    With ``pairs``, each alternative of two whole words on the title or body (a word's
    spelling in one language) is the look-up of its word-pair terms rather than a
    sequence: Whoosh answers a phrase by intersecting the words' postings and comparing
    positions document by document, while the pair field (see
    :class:`~threadsearch.analysis.PairFilter`) holds every adjacent pair of terms, so
    "light water" is a few posting lists. Longer phrases stay sequences.
    """
    plan = query_plan(text, langs)
    if not plan.alternatives:
        return None
    pair_field = PAIR_FIELDS.get(fieldname) if pairs and slop == 1 else None
    if pair_field is None:
        q = whoosh_query(fieldname, plan)
        if slop != 1:
            for sub in [q, *q.children()]:
                if isinstance(sub, wq.Sequence):
                    sub.slop = slop
        return _boost(q, boost)
    queries: list[wq.Query] = []
    for alt in plan.alternatives:
        paired = _pair_terms(pair_field, alt)
        queries.append(paired if paired is not None else whoosh_query(fieldname, QueryPlan((alt,))))
    return _boost(queries[0] if len(queries) == 1 else wq.Or(queries), boost)


def _pair_terms(pair_field: str, alt: tuple[frozenset[str], ...]) -> wq.Query | None:
    """The word-pair terms of a two-word alternative (None for another shape: one word,
    more words, a prefix), its words' terms in one language."""
    if len(alt) != 2 or any(t.endswith("*") for slot in alt for t in slot):
        return None
    first, second = alt
    terms: list[wq.Query] = [
        wq.Term(pair_field, f"{a} {b}")
        for a in sorted(first)
        for b in sorted(second)
        if _same_language(a, b)
    ]
    if not terms:
        return None
    return terms[0] if len(terms) == 1 else wq.Or(terms)


class _PhraseNode(PhrasePlugin.PhraseNode):  # type: ignore[misc]
    def query(self, parser: Any) -> Any:
        fieldname = self.fieldname or parser.fieldname
        if fieldname in ANALYZED_FIELDS:
            q = plan_query(
                fieldname, self.text, parser.langs, self.boost, self.slop, parser.pairs
            )
            return attach(q if q is not None else wq.NullQuery, self)
        return super().query(parser)


class _PhraseTagger(PhrasePlugin.PhraseTagger):  # type: ignore[misc]
    def create(self, parser: Any, match: Any) -> Any:
        slop = match.group("slop")
        return _PhraseNode(match.group("text"), match.start("text"), int(slop) if slop else 1)


class _PhrasePlugin(PhrasePlugin):  # type: ignore[misc]
    def taggers(self, parser: Any) -> Any:
        return [(_PhraseTagger(self.expr), 0)]


class _FuzzyOr(wq.Or):  # type: ignore[misc]
    """An OR of fuzzy terms that takes the parser's ``maxdist``/``prefixlength``."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("maxdist", "prefixlength"):
            for sub in self.subqueries:
                setattr(sub, name, value)
            return
        super().__setattr__(name, value)


class LanguageParser(QueryParser):  # type: ignore[misc]
    """Whoosh's multi-field parser with the text fields' words planned per language."""

    def __init__(self, schema: Schema, langs: Sequence[str | None], pairs: bool = True) -> None:
        super().__init__(None, schema, group=AndGroup)
        self.add_plugin(MultifieldPlugin(list(TEXT_FIELDS), fieldboosts=TEXT_FIELDS))
        self.langs = list(langs)
        #: Two-word phrases as word-pair terms (:func:`plan_query`); False: as sequences.
        self.pairs = pairs
        self.remove_plugin_class(PhrasePlugin)
        self.add_plugin(_PhrasePlugin())

    def term_query(
        self,
        fieldname: str,
        text: str,
        termclass: Any,
        boost: float = 1.0,
        tokenize: bool = True,
        removestops: bool = True,
    ) -> Any:
        if fieldname not in ANALYZED_FIELDS:
            return super().term_query(fieldname, text, termclass, boost, tokenize, removestops)
        if termclass is wq.Term and tokenize:
            return plan_query(fieldname, text, self.langs, boost, pairs=self.pairs)
        if issubclass(termclass, wq.FuzzyTerm):
            # Near the word's terms in each language (stems are what the index holds).
            plan = query_plan(text, self.langs)
            if len(plan.alternatives) == 1 and len(plan.alternatives[0]) == 1:
                terms = sorted(t for t in plan.alternatives[0][0] if not t.endswith("*"))
                if terms:
                    return _FuzzyOr([termclass(fieldname, t, boost=boost) for t in terms])
        # Prefix, wildcard, fuzzy: on the folded spelling as typed, which matches both
        # the unstemmed and the ``stem|lang`` terms that start with it.
        return termclass(fieldname, fold(text)[0], boost=boost)


def build_parser(
    schema: Schema, langs: Sequence[str | None] = ("en",), pairs: bool = True
) -> QueryParser:
    parser = LanguageParser(schema, langs, pairs)
    parser.add_plugin(FuzzyTermPlugin())
    parser.add_plugin(GtLtPlugin())
    parser.add_plugin(DateParserPlugin(free=False))
    return parser


_parsers = threading.local()


def _parser(schema: Schema, langs: Sequence[str | None]) -> QueryParser:
    """This thread's parser for the schema and languages, its clock set to now.

    Building a parser compiles the date parser's grammar (about a millisecond and a half,
    more than parsing a query takes), so each thread keeps its parsers; only the date
    plugin's base date ("yesterday", "-2 weeks") changes from one query to the next.
    """
    cache: dict[tuple[int, tuple[str | None, ...]], tuple[Schema, QueryParser]]
    cache = _parsers.__dict__.setdefault("cache", {})
    key = (id(schema), tuple(langs))
    held = cache.get(key)
    if held is None or held[0] is not schema:
        if len(cache) >= _PARSERS_PER_THREAD:
            cache.clear()
        held = cache[key] = (schema, build_parser(schema, langs))
    parser = held[1]
    for plugin in parser.plugins:
        if isinstance(plugin, DateParserPlugin):
            plugin.basedate = datetime.now(tz=timezone.utc)
    return parser


#: Parsers a thread keeps (one per schema and set of languages queried).
_PARSERS_PER_THREAD = 32


def query_languages(text: str) -> list[str]:
    """The languages a query names with ``lang:xx`` (lower-cased, in order).

    >>> query_languages("brot lang:de OR lang:NL")
    ['de', 'nl']
    """
    return list(dict.fromkeys(m.group(1).lower() for m in _LANG_TERM.finditer(text)))


def _named_languages(
    text: str, langs: Sequence[str | None]
) -> tuple[str, Sequence[str | None]]:
    """The text with ``lang:xx`` spelled as the field, and the languages it names (if any)."""
    named = query_languages(text)
    if not named:
        return text, langs
    return _LANG_TERM.sub(lambda m: f"{LANG}:{m.group(1).lower()}", text), named


def parse_query(text: str, schema: Schema, langs: Sequence[str | None] = ("en",)) -> wq.Query:
    """Parse ``text``; an empty text matches everything.

    ``langs`` are the languages the words are analyzed in: those of the index, or
    the ones the user asked for. A ``lang:xx`` in the text narrows them to its own.
    A text with nothing searchable in it (only stop words such as "the") gives
    ``wq.NullQuery``, which matches nothing.
    """
    if not text.strip():
        return wq.Every()
    text, langs = _named_languages(text, langs)
    try:
        parser = _parser(schema, langs)
        parsed: wq.Query = _syntax_tree(parser, text).query(parser) or wq.NullQuery
        parsed = _spliced(parsed).normalize()
    except Exception as exc:  # Whoosh raises bare Exception for an unreadable date
        raise QuerySyntaxError(
            f"cannot read the query {text!r}: {exc}",
            hint="Dates look like 2005-10-02; ranges like timestamp:[2005-10-01 TO 2005-10-02].",
        ) from exc
    _raise_on_errors(parsed, text)
    return parsed


def _spliced(q: wq.Query) -> wq.Query:
    """``q`` with each unboosted OR or AND put in place inside a parent of its class.

    Whoosh's ``normalize`` merges them too, but copies every merged query with
    ``copy.deepcopy`` on the way; a word names a term per language and field (about 40
    in a many-language index), and the copies took 40% of a warm phrase query's time.
    An unboosted copy is equal to the query it copies, and the tree was built for this
    call only, so its queries can move without one: ``normalize`` then finds nothing
    left to merge and returns what it would have returned.
    """
    if not isinstance(q, wq.compound.CompoundQuery):
        return q
    subqueries: list[wq.Query] = []
    for sub in q.subqueries:
        sub = _spliced(sub)
        if isinstance(sub, q.__class__) and sub.boost == 1.0:
            subqueries.extend(sub.subqueries)
        else:
            subqueries.append(sub)
    q.subqueries = subqueries
    return q


def _syntax_tree(parser: QueryParser, text: str) -> Any:
    """Whoosh's syntax tree of ``text`` (what ``parser.parse`` builds its query from).

    A search reads the tree twice, for its query and for the words its hits highlight;
    the thread keeps the last tree so the text is tagged once (a third of a rare-word
    query's time went to parsing it twice).
    """
    held = getattr(_parsers, "tree", None)
    if held is not None and held[0] is parser and held[1] == text:
        return held[2]
    tree = parser.process(text)
    _parsers.tree = (parser, text, tree)
    return tree


def _same_language(first: str, second: str) -> bool:
    """Whether two terms can stand side by side in one text: an entry is analyzed in one
    language, so ``x|de y|en`` is never indexed (a slot names each word's stem in every
    language of the index, and most of their pairs are such mixtures).

    >>> _same_language("north|en", "korea|en"), _same_language("north", "korea|de")
    (True, True)
    >>> _same_language("nord|de", "korea|en")
    False
    """
    _, bar, lang = first.rpartition("|")
    _, other_bar, other_lang = second.rpartition("|")
    return not (bar and other_bar) or lang == other_lang


def _raise_on_errors(node: Any, text: str) -> None:
    error = getattr(node, "error", None)
    if error:
        raise QuerySyntaxError(
            f"cannot read the query {text!r}: {error}",
            hint="Check the field:value parts; dates look like 2005-10-02.",
        )
    if isinstance(node, wq.Query):
        for child in node.children():
            _raise_on_errors(child, text)


@dataclass(frozen=True)
class QueryUnit:
    """One positive word or phrase of a query on the analyzed text fields.

    ``text`` is the word or phrase as the user typed it (a phrase without its quotes, a
    prefix with its ``*``), ``fields`` the text fields it searches (title and body for a
    bare word, ``quoted`` for ``quoted:word``). A word or phrase matches through ``plan``;
    a wildcard through ``pattern`` (folded, ``*`` and ``?``) against the index terms.
    """

    text: str
    fields: frozenset[str]
    plan: QueryPlan | None = None
    pattern: str | None = None


def query_units(
    text: str, schema: Schema, langs: Sequence[str | None] = ("en",)
) -> list[QueryUnit]:
    """The words and phrases of a query that a hit can match, in query order.

    Words under ``NOT`` (or after ``ANDNOT``) are left out, and so are fuzzy terms
    and words of non-text fields; the same word typed twice is one unit.

    >>> from threadsearch.schema import build_schema
    >>> [(u.text, sorted(u.fields)) for u in query_units(
    ...     '"bounty hunters" quoted:tea NOT spam secur* author:ann', build_schema())]
    [('bounty hunters', ['body', 'title']), ('tea', ['quoted']), ('secur*', ['body', 'title'])]
    """
    if not text.strip():
        return []
    text, langs = _named_languages(text, langs)
    try:
        tree = _syntax_tree(_parser(schema, langs), text)
    except Exception:  # parse_query reports bad syntax; here nothing is highlighted
        return []
    nodes: list[Any] = []
    _positive_text_nodes(tree, nodes)
    grouped: dict[tuple[str, str], set[str]] = {}
    for node in sorted(nodes, key=lambda n: n.startchar or 0):
        kind = type(node).__name__
        grouped.setdefault((kind, node.text), set()).add(node.fieldname)
    units: list[QueryUnit] = []
    for (kind, word), fieldnames in grouped.items():
        fields = frozenset(fieldnames)
        if kind == "PrefixNode":
            units.append(QueryUnit(f"{word}*", fields, pattern=f"{fold(word)[0]}*"))
        elif kind == "WildcardNode":
            units.append(QueryUnit(word, fields, pattern=fold(word)[0]))
        elif kind in ("WordNode", "_PhraseNode"):
            plan = query_plan(word, langs)
            if plan.alternatives:
                units.append(QueryUnit(word, fields, plan=plan))
    return units


@dataclass(frozen=True)
class TypedSpan:
    """Where the parser read one word or one date in the query text (``text[start:end]``).

    ``word`` is the word as typed; a date has its ``fieldname`` and the bounds Whoosh
    searches, ``low`` and ``high``, both included (None where open: ``timestamp:>x``).
    A date's span starts at its field name and runs over any ``<``/``>`` before it.
    """

    start: int
    end: int
    fieldname: str | None
    word: str | None = None
    low: datetime | None = None
    high: datetime | None = None


_DATE_PREFIX = re.compile(r"(\w+):\s*[<>=]*\s*$")


def typed_spans(
    text: str, schema: Schema, langs: Sequence[str | None] = ("en",)
) -> list[TypedSpan]:
    """The words and dates of ``text`` as the parser reads them, in text order: what
    another engine needs to read the same text the same way (see the opensearch backend).

    >>> from threadsearch.schema import build_schema
    >>> [(s.word or s.low.date().isoformat()) for s in typed_spans(
    ...     'R-help OR "a b" timestamp:>2005-10-02', build_schema())]
    ['R-help', '2005-10-02']
    """
    if not text.strip():
        return []
    text, langs = _named_languages(text, langs)
    try:
        tree = _syntax_tree(_parser(schema, langs), text)
    except Exception:  # parse_query reports bad syntax
        return []
    spans: dict[int, TypedSpan] = {}
    _collect_spans(tree, text, spans)
    return [spans[start] for start in sorted(spans)]


def _collect_spans(node: Any, text: str, spans: dict[int, TypedSpan]) -> None:
    if isinstance(node, syntax.GroupNode):
        for child in node.nodes:
            _collect_spans(child, text, spans)
    elif type(node) is syntax.WordNode and node.startchar is not None:
        spans[node.startchar] = TypedSpan(node.startchar, node.endchar, node.fieldname, node.text)
    elif isinstance(node, (dateparse.DateRangeNode, dateparse.DateTimeNode)):
        prefix = _DATE_PREFIX.search(text, 0, node.startchar)
        if prefix is None:
            return
        if isinstance(node, dateparse.DateRangeNode):
            low, high = node.start, node.end
        else:  # one date: the whole of its day (or month, or year)
            low, high = getattr(node.dt, "start", node.dt), getattr(node.dt, "end", node.dt)
        spans[prefix.start()] = TypedSpan(
            prefix.start(), node.endchar, node.fieldname, None, low, high
        )


def _positive_text_nodes(node: Any, out: list[Any]) -> None:
    if isinstance(node, syntax.NotGroup):
        return
    if isinstance(node, syntax.AndNotGroup):
        if node.nodes:
            _positive_text_nodes(node.nodes[0], out)
        return
    if isinstance(node, syntax.GroupNode):
        for child in node.nodes:
            _positive_text_nodes(child, out)
        return
    if isinstance(node, syntax.TextNode) and node.fieldname in ANALYZED_FIELDS:
        out.append(node)
