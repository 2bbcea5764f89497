"""Highlighted snippets: a window of the text around the first match, matches marked.

The text is analyzed exactly as the index analyzed it (the entry's language, per-script
segmentation, folding, identifier parts, see :mod:`threadsearch.analysis`), and every
span whose term the query asks for is marked, so ``securite`` marks ``sécurité`` and a
Chinese word marks its characters. Only the window shown is escaped and marked.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import cached_property, lru_cache

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
    finder = candidates(tuple(units), lang)
    for name in HIGHLIGHT_FIELDS:
        text = texts.get(name) or ""
        found: list[tuple[int, int]] = []
        positions: Positions | None = None
        for number, unit in enumerate(units):
            if name != QUOTED and name not in unit.fields:
                continue
            if positions is None:
                positions = text_positions(text, lang, finder) if text else {}
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


def text_positions(text: str, lang: str | None, candidates: Candidates | None = None) -> Positions:
    """:func:`~threadsearch.analysis.term_positions`, analyzing each run between white
    space once (cached: a hit's words are mostly words other hits had too).

    With ``candidates``, only the runs it finds are analyzed: the terms of the others
    are left out, and a gap in the positions stands for any word between two runs
    found, so a phrase still matches only words next to each other.

    >>> from threadsearch.analysis import term_positions
    >>> text_positions("Häuser am See", "de") == term_positions("Häuser am See", "de")
    True
    """
    out: Positions = {}
    shift = 0
    if candidates is None:
        for run in _RUN.finditer(text):
            shift = _add_run(out, run.start(), run.group(), shift, lang)
        return out
    cursor = 0  # where the last analyzed run ends (0: none yet)
    for start, end in candidates.runs(text):
        if cursor:
            # A word between the last analyzed run and this one breaks any phrase.
            for between in _RUN.finditer(text, cursor, start):
                if _run_terms(between.group(), lang):
                    shift += _GAP
                    break
        shift = _add_run(out, start, text[start:end], shift, lang)
        cursor = end
    return out


def _add_run(out: Positions, offset: int, run: str, shift: int, lang: str | None) -> int:
    """Add the terms of one run of text at positions from ``shift``; the next shift."""
    terms = _run_terms(run, lang)
    for pos, start, end, term in terms:
        out.setdefault(term, []).append((shift + pos, offset + start, offset + end))
    return shift + terms[-1][0] + 1 if terms else shift


#: Snowball stemmers whose stem need not occur in the word: Indonesian rewrites the start
#: ("memukul" is "pukul"), so its texts are analyzed whole. (Irish only cuts mutations
#: off the start: "mbaile" is "baile", still inside the word.)
_PREFIX_STEMMERS = frozenset({"id"})
#: How many final characters of a word a suffix stemmer may rewrite besides cutting the
#: suffix off ("skies" is "sky", "dying" is "die", "heureuse" is "heureux").
_STEM_TAIL = 2
#: Positions left between two analyzed runs that have unanalyzed words between them.
_GAP = 1 << 20


@dataclass(frozen=True)
class Candidates:
    """Finds the runs of a text that can hold a query's terms, without analyzing it.

    An ASCII term occurs in its run (an identifier's part, a folded word) or, stemmed,
    shares its word's start up to the last few letters (``roots``); any run with a
    character outside ASCII can fold or segment into anything, so it is always a
    candidate (``runs_with_root`` finds both kinds in a text that is not all ASCII).
    """

    roots: re.Pattern[str] | None
    #: ``|root|root...``: the roots as alternatives of a regular expression.
    alternatives: str

    @cached_property
    def runs_with_root(self) -> re.Pattern[str]:
        """A whole run (white space to white space) with a root or a non-ASCII character.

        Compiled when a text first needs it: case-insensitive Unicode patterns take a
        quarter of a millisecond to compile, and most archives are mostly ASCII.
        """
        return re.compile(rf"(?<!\S)\S*?(?:[^\x00-\x7f\s]{self.alternatives})\S*", re.IGNORECASE)

    def runs(self, text: str) -> Iterator[tuple[int, int]]:
        """(start, end) of each candidate run, in order.

        >>> from threadsearch.query.parse import query_units
        >>> from threadsearch.schema import build_schema
        >>> units = query_units('"bounty hunters" skies', build_schema(), ["en", "de"])
        >>> text = "Bounty-hunting, sky; déjà"
        >>> [text[a:b] for a, b in candidates(tuple(units), "en").runs(text)]
        ['Bounty-hunting,', 'sky;', 'déjà']
        """
        if not text.isascii():
            for match in self.runs_with_root.finditer(text):
                yield match.span()
            return
        if self.roots is None:
            return
        end = 0
        for match in self.roots.finditer(text.lower()):
            if match.start() < end:
                continue  # in the run just found
            start = match.start()
            while start > end and not text[start - 1].isspace():
                start -= 1
            run = _RUN.match(text, start)
            assert run is not None
            end = run.end()
            yield start, end


@lru_cache(maxsize=1024)
def candidates(units: tuple[QueryUnit, ...], lang: str | None) -> Candidates | None:
    """What finds the runs of a text in ``lang`` that can hold one of the units' terms
    (the unstemmed ones and those stemmed in ``lang``); None when every run can (a
    wildcard that starts with ``*`` or ``?``, a language whose stemmer changes the
    start of words)."""
    if lang in _PREFIX_STEMMERS:
        return None
    roots: set[str] = set()
    for unit in units:
        if unit.pattern is not None:
            literal = re.split(r"[*?\[]", unit.pattern, maxsplit=1)[0]
            if not literal:
                return None
            roots.add(literal)
            continue
        assert unit.plan is not None
        for term in unit.plan.terms():
            word, stemmed, term_lang = term.rstrip("*").partition("|")
            if stemmed and term_lang != lang:
                continue  # a stem of another language: not in this text
            if not word.isascii():
                continue  # only runs with a non-ASCII character hold it
            roots.add(word[: max(1, len(word) - _STEM_TAIL)] if stemmed else word)
    # A root that holds a shorter root adds nothing.
    kept = sorted((r for r in roots if not any(o != r and o in r for o in roots)),
                  key=lambda r: (-len(r), r))  # fmt: skip
    alternatives = "".join(f"|{re.escape(r)}" for r in kept)
    return Candidates(re.compile(alternatives[1:]) if kept else None, alternatives)


def _plan(unit: QueryUnit, positions: Positions) -> QueryPlan:
    if unit.plan is not None:
        return unit.plan
    pattern = unit.pattern or ""
    terms = frozenset(t for t in positions if fnmatchcase(t, pattern))
    return QueryPlan(((terms,),) if terms else ())


