"""The bounds a search runs within: documented limits, checked early, and a time budget.

A hostile or careless query (100 KB of text, 3,000 nested parentheses, ``a*`` over a
large index, ``word~9``, page 10^9) should cost a quick 400 naming the limit it breaks,
not seconds of work. :class:`QueryLimits` holds the limits; :func:`check_text` reads
the raw text before Whoosh parses it, :func:`check_query` the parsed query against the
index's terms (how many terms a wildcard or prefix expands to), and
:func:`check_paging` the page depth. Each breach is a
:class:`~threadsearch.errors.QueryLimitError` that names the limit.

What the checks cannot bound beforehand (many matches to rank, facets to count,
snippets to highlight) runs against a :class:`Budget`: once it is spent the engine
stops the optional work and flags the result ``partial``.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from itertools import islice
from typing import Any

from whoosh import query as wq

from ..errors import QueryLimitError

_WORD = re.compile(r"[^\s()\"]+")
_OPERATORS = frozenset({"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"})


@dataclass(frozen=True)
class QueryLimits:
    """The limits of one search; the defaults are the HTTP API's (see its settings)."""

    #: Characters of query text.
    max_query_chars: int = 600
    #: Words and ``field:value`` terms in the query text (operators not counted).
    max_terms: int = 64
    #: Depth of nested parentheses.
    max_nesting: int = 32
    #: Index terms one wildcard or prefix (``a*``, ``*ing``) may expand to.
    max_expansion: int = 2_000
    #: Edit distance of a fuzzy term (``word~1``): at 2, one term costs seconds on R-help.
    max_fuzzy_distance: int = 1
    #: Leading characters a fuzzy term keeps exactly (``word~2/3`` asks for more): with
    #: none, Whoosh compares the word with every term of the field.
    fuzzy_prefix: int = 3
    #: A wildcard may not start with ``*`` or ``?`` (as Lucene's parser by default): a
    #: leading one makes Whoosh read every term of the field. ``*`` alone browses.
    allow_leading_wildcard: bool = False
    #: ``page * per_page``: how deep offset paging may go (a cursor goes further).
    max_depth: int = 10_000


DEFAULT_LIMITS = QueryLimits()


def check_text(text: str, limits: QueryLimits) -> None:
    """Length, term count and nesting of the raw query text."""
    if len(text) > limits.max_query_chars:
        raise QueryLimitError(
            "max_query_chars", len(text), limits.max_query_chars, "the query's length"
        )
    terms = sum(1 for word in _WORD.findall(text) if word not in _OPERATORS)
    if terms > limits.max_terms:
        raise QueryLimitError("max_terms", terms, limits.max_terms, "the number of query terms")
    depth = deepest = 0
    for char in text:
        if char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif char == ")":
            depth = max(0, depth - 1)
    if deepest > limits.max_nesting:
        raise QueryLimitError(
            "max_nesting", deepest, limits.max_nesting, "the depth of nested parentheses"
        )


def check_query(q: wq.Query, reader: Any, limits: QueryLimits) -> None:
    """Fuzzy distances, leading wildcards, and (with a Whoosh ``reader``; the opensearch
    backend passes None) how many index terms each wildcard or prefix expands to."""
    for leaf in q.leaves():
        if isinstance(leaf, wq.FuzzyTerm):
            if leaf.maxdist > limits.max_fuzzy_distance:
                raise QueryLimitError(
                    "max_fuzzy_distance",
                    leaf.maxdist,
                    limits.max_fuzzy_distance,
                    f"the edit distance of {leaf.text}~{leaf.maxdist}",
                )
        elif isinstance(leaf, wq.Wildcard) and leaf.text[:1] in ("*", "?"):
            if not limits.allow_leading_wildcard:
                raise QueryLimitError(
                    "allow_leading_wildcard", 1, 0, f"the leading wildcards of {leaf.text}"
                )
        if reader is not None and isinstance(leaf, wq.PatternQuery):
            # Prefix and Wildcard: the expansion Whoosh would OR together, counted
            # only up to one past the limit.
            count = sum(1 for _ in islice(leaf._btexts(reader), limits.max_expansion + 1))
            if count > limits.max_expansion:
                raise QueryLimitError(
                    "max_expansion",
                    count,
                    limits.max_expansion,
                    f"the number of {leaf.field()} terms {_shown(leaf)} expands to (at least)",
                )


def bound_fuzzy(q: wq.Query, limits: QueryLimits) -> None:
    """Make every fuzzy term of ``q`` keep at least ``limits.fuzzy_prefix`` characters."""
    for leaf in q.leaves():
        if isinstance(leaf, wq.FuzzyTerm) and leaf.prefixlength < limits.fuzzy_prefix:
            leaf.prefixlength = limits.fuzzy_prefix


def _shown(leaf: wq.PatternQuery) -> str:
    return f"{leaf.text}*" if isinstance(leaf, wq.Prefix) else str(leaf.text)


def check_paging(page: int, per_page: int, limits: QueryLimits) -> None:
    """Offset paging stops at ``max_depth`` hits; a cursor pages on past it."""
    depth = page * per_page
    if depth > limits.max_depth:
        raise QueryLimitError(
            "max_depth",
            depth,
            limits.max_depth,
            "page * per_page (use next_cursor to page deeper)",
        )


class Budget:
    """A deadline for one search; ``None`` seconds never runs out."""

    def __init__(self, seconds: float | None) -> None:
        self._deadline = None if seconds is None else time.perf_counter() + seconds
        #: What was cut short because the budget ran out, for the result's warnings.
        self.cut: list[str] = []

    def spent(self) -> bool:
        return self._deadline is not None and time.perf_counter() >= self._deadline

    def remaining(self) -> float | None:
        if self._deadline is None:
            return None
        return max(0.0, self._deadline - time.perf_counter())

    def skip(self, what: str) -> bool:
        """True (and ``what`` noted) when the budget is spent and ``what`` should not run."""
        if not self.spent():
            return False
        if what not in self.cut:
            self.cut.append(what)
        return True
