"""Highlighted snippets: a window of the text around the first match, matches marked.

The text is analyzed exactly as the index analyzed it (the entry's language, per-script
segmentation, folding, identifier parts, see :mod:`threadsearch.analysis`), and every
span whose term the query asks for is marked, so ``securite`` marks ``sécurité`` and a
Chinese word marks its characters. Only the window shown is escaped and marked.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

from ..analysis import text_analyzer

SNIPPET_CHARS = 240
#: How much text before the first match the window shows.
LEAD_CHARS = 60

_ANALYZER = text_analyzer()
#: Runs of text between white space. The analyzer never joins tokens across white space
#: (not even CJK bigrams), so each run is analyzed alone and its terms cached: a hit's
#: words are mostly words other hits had too.
_CHUNK = re.compile(r"\S+")
CHUNK_CACHE = 65_536


@lru_cache(maxsize=CHUNK_CACHE)
def _chunk_terms(chunk: str, lang: str | None) -> tuple[tuple[int, int, str], ...]:
    tokens = _ANALYZER(chunk, positions=True, chars=True, lang=lang)
    return tuple((t.startchar, t.endchar, t.text) for t in tokens)


def term_spans(text: str, terms: frozenset[str], lang: str | None) -> list[tuple[int, int]]:
    """Character spans of ``text`` (indexed in ``lang``) whose index terms are in
    ``terms``; overlapping spans merged.

    >>> term_spans("La sécurité d'abord", frozenset({"securit|fr"}), "fr")
    [(3, 11)]
    """
    if not terms or not text:
        return []
    spans = sorted(
        {
            (run.start() + start, run.start() + end)
            for run in _CHUNK.finditer(text)
            for start, end, term in _chunk_terms(run.group(), lang)
            if term in terms
        }
    )
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def snippet(text: str, terms: frozenset[str], lang: str | None = None) -> str:
    """HTML: up to SNIPPET_CHARS of ``text``, matches in <mark>, the rest escaped."""
    matches = term_spans(text, terms, lang)
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
        parts.append(html.escape(text[cursor:match_start], quote=False))
        parts.append(f"<mark>{html.escape(text[match_start:match_end], quote=False)}</mark>")
        cursor = match_end
    parts.append(html.escape(text[cursor:stop], quote=False))
    if stop < len(text):
        parts.append(" …")
    return "".join(parts)
