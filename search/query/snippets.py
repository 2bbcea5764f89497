"""Highlighted snippets: a window of the body around the first match, matches marked.

Whoosh's highlighter runs the whole analyzer over the whole text for every hit, which
cost more than the search itself. Here the text is split into words with the
analyzer's own token pattern, each distinct word is analyzed once (the analyzer's
filters work word by word, so the result is the same) and cached, and only the
window shown is escaped and marked.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

from whoosh.analysis.tokenizers import default_pattern

from ..schema import BODY, build_schema

SNIPPET_CHARS = 240
#: How much text before the first match the window shows.
LEAD_CHARS = 60

_ANALYZER = build_schema()[BODY].analyzer
_WORD: re.Pattern[str] = default_pattern  # the tokenizer's own pattern


@lru_cache(maxsize=200_000)
def indexed_term(word: str) -> str | None:
    """The term the body analyzer indexes for one word, or None (a stop word)."""
    for token in _ANALYZER(word):
        return str(token.text)
    return None


def snippet(text: str, terms: frozenset[str]) -> str:
    """HTML: up to SNIPPET_CHARS of ``text``, matches in <mark>, the rest escaped."""
    matches = [m for m in _WORD.finditer(text) if terms and indexed_term(m.group()) in terms]
    if not matches:
        return _window(text, 0, [])
    start = max(0, matches[0].start() - LEAD_CHARS)
    if start:
        space = text.find(" ", start, matches[0].start())
        start = space + 1 if space >= 0 else start
    return _window(text, start, matches)


def _window(text: str, start: int, matches: list[re.Match[str]]) -> str:
    stop = start + SNIPPET_CHARS
    if stop < len(text):
        space = text.rfind(" ", start, stop)
        stop = space if space > start else stop
    else:
        stop = len(text)
    parts = ["… "] if start else []
    cursor = start
    for match in matches:
        if match.start() >= stop:
            break
        parts.append(html.escape(text[cursor : match.start()], quote=False))
        parts.append(f"<mark>{html.escape(match.group(), quote=False)}</mark>")
        cursor = match.end()
    parts.append(html.escape(text[cursor:stop], quote=False))
    if stop < len(text):
        parts.append(" …")
    return "".join(parts)
