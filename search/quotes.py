"""Separate what a blog comment quotes from what its author wrote.

Commenters paste a paragraph of an earlier comment (or of the post) and answer it. A
phrase search should find the entry that said it first, not every reply that quoted
it, so a paragraph of a comment that appears in an earlier entry of the same thread is
moved from ``body`` to ``quoted``. Mail is split by its own parser (``>`` lines) and is
left alone here.
"""

from __future__ import annotations

import re

from .model import Thread

#: Paragraphs shorter than this are too common to call a quotation ("I agree.").
MIN_QUOTE_CHARS = 40
#: Threads longer than this are not scanned (each entry is compared with all before it).
MAX_ENTRIES = 2000

_TRIM = " \t\"'“”‘’«»…."
_SPACE = re.compile(r"\s+")


def _normalise(text: str) -> str:
    return _SPACE.sub(" ", text).strip(_TRIM).lower()


def separate_quotes(thread: Thread) -> None:
    """Move paragraphs quoted from earlier entries into ``quoted``, in place."""
    if len(thread.entries) > MAX_ENTRIES:
        return
    earlier: list[str] = []
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
                entry.body = "\n\n".join(own)
                entry.quoted = "\n\n".join(quoted)
        earlier.append(_normalise(entry.body))
