"""Highlighted snippets: a window of the text around the first match, matches marked.

The text is analyzed exactly as the index analyzed it (the entry's language, per-script
segmentation, folding, identifier parts, see :mod:`threadsearch.analysis`), and every
span whose term the query asks for is marked, so ``securite`` marks ``sécurité`` and a
Chinese word marks its characters. Only the window shown is escaped and marked.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import lru_cache

from ..analysis import Positions, QueryPlan, merge_spans, plan_spans, text_analyzer
from ..schema import BODY, QUOTED, TITLE
from .parse import QueryUnit

SNIPPET_CHARS = 240
#: How much text before the first match the window shows.
LEAD_CHARS = 60

_ANALYZER = text_analyzer()


def marked_window(text: str, matches: list[tuple[int, int]]) -> str:
    """HTML: up to SNIPPET_CHARS of ``text`` from a little before the first of ``matches``
    (sorted, disjoint character spans), each in <mark>, everything else escaped.

    >>> marked_window('a "b" <c>', [(6, 9)])
    'a &quot;b&quot; <mark>&lt;c&gt;</mark>'
    """
    if not matches:
        return _window(text, 0, [])
    first = matches[0][0]
    start = max(0, first - LEAD_CHARS)
    if start:
        space = text.find(" ", start, first)
        start = space + 1 if space >= 0 else start
    return _window(text, start, matches)


def _window(text: str, start: int, matches: list[tuple[int, int]]) -> str:
    stop = start + SNIPPET_CHARS
    if stop < len(text):
        space = text.rfind(" ", start, stop)
        stop = space if space > start else stop
    else:
        stop = len(text)
    parts = ["… "] if start else []
    cursor = start
    for match_start, match_end in matches:
        if match_start >= stop:
            break
        parts.append(html.escape(text[cursor:match_start]))
        parts.append(f"<mark>{html.escape(text[match_start:match_end])}</mark>")
        cursor = match_end
    parts.append(html.escape(text[cursor:stop]))
    if stop < len(text):
        parts.append(" …")
    return "".join(parts)


#: The fields a hit is highlighted in, in the order of ``Hit.highlights``.
HIGHLIGHT_FIELDS = (TITLE, BODY, QUOTED)


@dataclass(frozen=True)
class Highlights:
    """What a hit shows of its match: the snippets and the query words it matched.

    ``snippet`` is the body (the title when the body is empty), marked or not;
    ``fields`` maps each of title, body and quoted text that holds a query word to its
    marked snippet; ``matched_terms`` are the query's words and phrases, as typed and in
    query order, that match the entry in a field they search.
    """

    snippet: str
    fields: dict[str, str] = field(default_factory=dict)
    matched_terms: list[str] = field(default_factory=list)


def highlight(
    texts: Mapping[str, str], units: Sequence[QueryUnit], lang: str | None = None
) -> Highlights:
    """Mark the query's words in an entry's title, body and quoted text.

    Each text is analyzed as the index analyzed it (``lang`` is the entry's language).
    A word marks the title and the body where it searches them; every word marks the
    quoted text, which the default search leaves out but which shows the words in
    context (``quoted:word`` searches it too). All output is HTML: marks and escaped text.

    >>> from threadsearch.query.parse import query_units
    >>> from threadsearch.schema import build_schema
    >>> units = query_units("securite <b>", build_schema(), ["fr"])
    >>> h = highlight({"title": "La sécurité", "body": "", "quoted": "Sécurité <b>"}, units, "fr")
    >>> h.snippet, h.fields["quoted"], h.matched_terms
    ('La <mark>sécurité</mark>', '<mark>Sécurité</mark> &lt;<mark>b</mark>&gt;', ['securite'])
    """
    spans: dict[str, list[tuple[int, int]]] = {}
    matched: set[int] = set()
    for name in HIGHLIGHT_FIELDS:
        text = texts.get(name) or ""
        found: list[tuple[int, int]] = []
        positions: Positions | None = None
        for number, unit in enumerate(units):
            if name != QUOTED and name not in unit.fields:
                continue
            if positions is None:
                positions = text_positions(text, lang) if text else {}
            unit_spans = plan_spans(positions, _plan(unit, positions))
            if unit_spans:
                found.extend(unit_spans)
                if name in unit.fields:
                    matched.add(number)
        spans[name] = merge_spans(found)
    marked = {
        name: marked_window(texts.get(name) or "", spans[name])
        for name in HIGHLIGHT_FIELDS
        if spans[name]
    }
    main = BODY if texts.get(BODY) else TITLE
    return Highlights(
        snippet=marked.get(main) or marked_window(texts.get(main) or "", []),
        fields=marked,
        matched_terms=list(dict.fromkeys(u.text for i, u in enumerate(units) if i in matched)),
    )


#: Runs of text between white space: the analyzer never joins tokens across it.
_RUN = re.compile(r"\S+")
RUN_CACHE = 65_536


@lru_cache(maxsize=RUN_CACHE)
def _run_terms(run: str, lang: str | None) -> tuple[tuple[int, int, int, str], ...]:
    tokens = _ANALYZER(run, positions=True, chars=True, lang=lang)
    return tuple((t.pos, t.startchar, t.endchar, t.text) for t in tokens)


def text_positions(text: str, lang: str | None) -> Positions:
    """:func:`~threadsearch.analysis.term_positions`, analyzing each run between white
    space once (cached: a hit's words are mostly words other hits had too).

    >>> from threadsearch.analysis import term_positions
    >>> text_positions("Häuser am See", "de") == term_positions("Häuser am See", "de")
    True
    """
    out: Positions = {}
    shift = 0
    for run in _RUN.finditer(text):
        terms = _run_terms(run.group(), lang)
        offset = run.start()
        for pos, start, end, term in terms:
            out.setdefault(term, []).append((shift + pos, offset + start, offset + end))
        if terms:
            shift += terms[-1][0] + 1
    return out


def _plan(unit: QueryUnit, positions: Positions) -> QueryPlan:
    if unit.plan is not None:
        return unit.plan
    pattern = unit.pattern or ""
    terms = frozenset(t for t in positions if fnmatchcase(t, pattern))
    return QueryPlan(((terms,),) if terms else ())


