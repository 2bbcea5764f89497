"""Separate what a blog comment quotes from what its author wrote.

Commenters paste a paragraph of an earlier comment (or of the post) and answer it. A
phrase search should find the entry that said it first, not every reply that quoted
it, so a paragraph of a comment that appears in an earlier entry of the same thread is
moved from ``body`` to ``quoted``. Mail is split by its own parser (``>`` lines) and is
left alone here.
"""

from __future__ import annotations

import re
from dataclasses import replace

from .model import Entry, Thread

#: Paragraphs shorter than this are too common to call a quotation ("I agree.").
MIN_QUOTE_CHARS = 40
#: Threads longer than this are not scanned (each entry is compared with all before it).
MAX_ENTRIES = 2000

_TRIM = " \t\"'“”‘’«»…."
_SPACE = re.compile(r"\s+")


def _normalise(text: str) -> str:
    return _SPACE.sub(" ", text).strip(_TRIM).lower()


def separate_quotes(thread: Thread) -> Thread:
    """The thread with paragraphs quoted from earlier entries moved into ``quoted``."""
    if len(thread.entries) > MAX_ENTRIES:
        return thread
    earlier: list[str] = []
    changed: dict[int, Entry] = {}  # by id() of the original entry
    for entry in sorted(thread.entries, key=lambda e: e.position):
        if not entry.quoted and earlier:
            own: list[str] = []
            quoted: list[str] = []
            for paragraph in entry.body.split("\n\n"):
                key = _normalise(paragraph)
                if len(key) >= MIN_QUOTE_CHARS and any(key in text for text in earlier):
                    quoted.append(paragraph)
                else:
                    own.append(paragraph)
            if quoted and own:
                original = id(entry)
                entry = replace(entry, body="\n\n".join(own), quoted="\n\n".join(quoted))
                changed[original] = entry
        earlier.append(_normalise(entry.body))
    if not changed:
        return thread
    return replace(thread, entries=[changed.get(id(e), e) for e in thread.entries])
