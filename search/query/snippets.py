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
        return _window(text, 0, _window_stop(text, 0), [])
    start, stop = window_bounds(text, matches[0][0])
    return _window(text, start, stop, matches)


def window_bounds(text: str, first: int) -> tuple[int, int]:
    """(start, stop) of the window :func:`marked_window` shows for a first match at ``first``."""
    start = max(0, first - LEAD_CHARS)
    if start:
        space = text.find(" ", start, first)
        start = space + 1 if space >= 0 else start
    return start, _window_stop(text, start)


def _window_stop(text: str, start: int) -> int:
    stop = start + SNIPPET_CHARS
    if stop < len(text):
        space = text.rfind(" ", start, stop)
        return space if space > start else stop
    return len(text)


def _window(text: str, start: int, stop: int, matches: list[tuple[int, int]]) -> str:
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
    texts: Mapping[str, str],
    units: Sequence[QueryUnit],
    lang: str | None = None,
    *,
    window_only: bool = True,
) -> Highlights:
    """Mark the query's words in an entry's title, body and quoted text.

    Each text is analyzed as the index analyzed it (``lang`` is the entry's language).
    A word marks the title and the body where it searches them; every word marks the
    quoted text, which the default search leaves out but which shows the words in
    context (``quoted:word`` searches it too). All output is HTML: marks and escaped text.
    A long text is read only as far as the window shown and the matched terms need
    (``window_only``, see :func:`field_spans`); the result is the same either way.

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
        searched = [(n, u) for n, u in enumerate(units) if name == QUOTED or name in u.fields]
        if not text or not searched:
            spans[name] = []
            continue
        # Units whose match here would add to matched_terms: the field must be read until
        # each has matched (or to its end).
        needed = {n for n, u in searched if name in u.fields and n not in matched}
        spans[name], hit = field_spans(text, lang, finder, searched, needed, window_only)
        matched.update(n for n in hit if name in units[n].fields)
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


def field_spans(
    text: str,
    lang: str | None,
    finder: Candidates | None,
    units: Sequence[tuple[int, QueryUnit]],
    needed: set[int],
    window_only: bool = True,
) -> tuple[list[tuple[int, int]], set[int]]:
    """The merged spans of ``units`` (numbered) in ``text``, and the numbers that match.

    With ``window_only``, the text is read from its start in growing steps and no further
    than it takes to know (a) that every unit in ``needed`` matches, and (b) every span
    :func:`marked_window` shows, so the marked window is the whole analysis's: what is
    left out starts after the window and cannot join a span shown. A unit that does not
    match reads the text to its end. Without ``window_only``, the whole text is read.
    """
    reader = RunReader(text, lang, finder)
    slots = max([1, *(len(alt) for _, u in units if u.plan for alt in u.plan.alternatives)])
    limit = READ_STEP if window_only else len(text) + 1
    while True:
        reader.read_to(limit)
        found: list[tuple[int, int]] = []
        hit: set[int] = set()
        for number, unit in units:
            unit_spans = plan_spans(reader.positions, _plan(unit, reader.positions, lang))
            if unit_spans:
                found.extend(unit_spans)
                hit.add(number)
        merged = merge_spans(found)
        if reader.done or (needed <= hit and _window_known(text, merged, reader.settled(slots))):
            return merged, hit
        limit *= 2


def _window_known(text: str, merged: list[tuple[int, int]], settled: int) -> bool:
    """Whether the window of ``merged`` is final when no span left to find starts before
    ``settled``: its first span and every span it shows are found, none can grow."""
    if not merged or merged[0][0] >= settled:
        return False
    _, stop = window_bounds(text, merged[0][0])
    return stop <= settled and all(end < settled for start, end in merged if start < stop)


#: Characters a highlight reads first; it reads twice as far each time it must go on.
READ_STEP = 2 * SNIPPET_CHARS
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
    reader = RunReader(text, lang, candidates)
    reader.read_to(len(text) + 1)
    return reader.positions


class RunReader:
    """The positions of a text's runs (all, or the candidates' ones), analyzed in order as
    far as asked: a prefix read has exactly the positions the whole text's analysis has
    for its runs."""

    def __init__(self, text: str, lang: str | None, candidates: Candidates | None) -> None:
        self.text = text
        self.lang = lang
        self.positions: Positions = {}
        self._gaps = candidates is not None
        self._runs: Iterator[tuple[int, int]] = (
            candidates.runs(text) if candidates is not None
            else (m.span() for m in _RUN.finditer(text))
        )  # fmt: skip
        self._next = next(self._runs, None)
        self._shift = 0
        self._cursor = 0  # where the last analyzed run ends (0: none yet)
        #: (last position, start) of each run read that has terms, in order.
        self._read: list[tuple[int, int]] = []

    @property
    def done(self) -> bool:
        """Whether every run is read."""
        return self._next is None

    def read_to(self, limit: int) -> None:
        """Analyze the runs that start before ``limit``."""
        text, lang = self.text, self.lang
        while self._next is not None and self._next[0] < limit:
            start, end = self._next
            if self._cursor and self._gaps:
                # A word between the last analyzed run and this one breaks any phrase.
                for between in _RUN.finditer(text, self._cursor, start):
                    if _run_terms(between.group(), lang):
                        self._shift += _GAP
                        break
            shift = _add_run(self.positions, start, text[start:end], self._shift, lang)
            if shift != self._shift:
                self._read.append((shift - 1, start))
            self._shift = shift
            self._cursor = end
            self._next = next(self._runs, None)

    def settled(self, slots: int) -> int:
        """A character offset before which no span is left to find, for plans of at most
        ``slots`` positions: a match still to come ends at a position not read yet, so it
        starts at most ``slots - 1`` positions back."""
        settled = self._next[0] if self._next is not None else len(self.text) + 1
        first = self._shift - (slots - 1)  # the earliest position such a match starts at
        for last, start in reversed(self._read):
            if last < first:
                break
            settled = min(settled, start)
        return settled


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


def _plan(unit: QueryUnit, positions: Positions, lang: str | None) -> QueryPlan:
    if unit.plan is not None:
        return plan_in(unit.plan, lang)
    pattern = unit.pattern or ""
    terms = frozenset(t for t in positions if fnmatchcase(t, pattern))
    return QueryPlan(((terms,),) if terms else ())


@lru_cache(maxsize=1024)
def plan_in(plan: QueryPlan, lang: str | None) -> QueryPlan:
    """What of ``plan`` a text in ``lang`` can match: its terms are stems of ``lang``
    (``word|lang``) or of no language, never another language's stem, so those terms
    are left out, and so is an alternative with a position only they could fill.

    >>> from threadsearch.analysis import query_plan
    >>> plan = query_plan("houses", ["en", "de"])
    >>> sorted(plan.terms()), sorted(plan_in(plan, "en").terms())
    (['houses', 'hous|de', 'hous|en'], ['houses', 'hous|en'])
    """
    alternatives = []
    for alt in plan.alternatives:
        slots = tuple(frozenset(t for t in slot if _of_lang(t, lang)) for slot in alt)
        if all(slots):
            alternatives.append(slots)
    kept = tuple(alternatives)
    return plan if kept == plan.alternatives else QueryPlan(kept)


def _of_lang(term: str, lang: str | None) -> bool:
    _, stemmed, term_lang = term.rstrip("*").partition("|")
    return not stemmed or term_lang == lang
