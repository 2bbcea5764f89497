"""User text to a Whoosh query, in one place, with one policy for bad syntax.

The query language is Whoosh's: words are ANDed, ``"phrases"``, ``field:value``,
``wild*``, ``fuzzy~``, ``[a TO b]`` ranges, ``timestamp:>2005-10-02`` comparisons,
``OR``, ``NOT`` and parentheses. Bare words search the title and the body.

Policy: like a search box, unbalanced quotes and brackets are read leniently (an
unclosed quote or bracket runs to the end of the text; a stray closing one is
ignored), because Whoosh's parser already recovers that way and users expect it.
What Whoosh marks as an error in the parsed tree (a date it cannot read, for example)
is a :class:`~threadsearch.errors.QuerySyntaxError` with a message naming the bad part.
"""

from __future__ import annotations

from typing import Any

from whoosh import query as wq
from whoosh.fields import Schema
from whoosh.qparser import AndGroup, FuzzyTermPlugin, GtLtPlugin, MultifieldParser
from whoosh.qparser.dateparse import DateParserPlugin

from ..errors import QuerySyntaxError
from ..schema import PAIR_FIELDS, TEXT_FIELDS


def build_parser(schema: Schema) -> MultifieldParser:
    parser = MultifieldParser(list(TEXT_FIELDS), schema, fieldboosts=TEXT_FIELDS, group=AndGroup)
    parser.add_plugin(FuzzyTermPlugin())
    parser.add_plugin(GtLtPlugin())
    parser.add_plugin(DateParserPlugin(free=False))
    return parser


def parse_query(text: str, schema: Schema) -> wq.Query:
    """Parse ``text``; an empty text matches everything.

    A text with nothing searchable in it (only stop words such as "the") gives
    ``wq.NullQuery``, which matches nothing.
    """
    if not text.strip():
        return wq.Every()
    try:
        parsed: wq.Query = build_parser(schema).parse(text)
    except Exception as exc:  # Whoosh raises bare Exception for an unreadable date
        raise QuerySyntaxError(
            f"cannot read the query {text!r}: {exc}",
            hint="Dates look like 2005-10-02; ranges like timestamp:[2005-10-01 TO 2005-10-02].",
        ) from exc
    _raise_on_errors(parsed, text)
    return pair_phrases(parsed)


def pair_phrases(q: wq.Query) -> wq.Query:
    """Rewrite two-word phrases on the title or body as look-ups of one word-pair term.

    Whoosh answers a phrase by intersecting the words' postings and comparing positions
    document by document; the pair field (see ``threadsearch.index.PairFilter``) holds every
    adjacent pair as a term, so "light water" is one posting list. Longer phrases stay
    phrases.
    """
    if isinstance(q, wq.Phrase):
        pair_field = PAIR_FIELDS.get(q.fieldname)
        if pair_field and len(q.words) == 2 and q.slop == 1:
            return wq.Term(pair_field, " ".join(q.words), boost=q.boost)
        return q
    return q if q.is_leaf() else q.apply(pair_phrases)


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


def query_terms(q: wq.Query, field: str) -> set[str]:
    """The indexed terms of ``field`` the query asks for, for highlighting."""
    terms: set[str] = set()
    pair_field = PAIR_FIELDS.get(field)
    for fieldname, term in q.iter_all_terms(phrases=True):
        text = term.decode("utf-8") if isinstance(term, bytes) else str(term)
        if fieldname == field:
            terms.add(text)
        elif fieldname == pair_field:
            terms.update(text.split(" "))
    return terms
