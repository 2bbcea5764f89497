"""One document from two copies of the same entry: which source wins each field.

The same comment reaches one ingest from several files: a saved page and the post's
comment feed, a site-wide and a per-post feed, an export and a page. Each copy is an
index document; :func:`merge_documents` combines two of them, field group by field
group, by the rules in :data:`MERGE_RULES` (the README's "Merging sources" table is this
table). A rule names the copy to keep for its fields; where no rule decides, the later
copy's value wins where it has one (so a re-ingest of an edited comment updates it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .schema import (
    AUTHOR,
    AUTHOR_URL,
    BODY,
    BODY_PAIRS,
    DEPTH,
    KIND,
    LANG,
    MENTIONS,
    PARENT,
    POSITION,
    QUOTED,
    SPELL,
    TIME_TEXT,
    TIMESTAMP,
    UTC_OFFSET,
)

Document = dict[str, Any]


@dataclass(frozen=True)
class MergeRule:
    """Which copy keeps ``fields``: ``keep_old(old, new, old_size, new_size)`` decides."""

    name: str
    fields: tuple[str, ...]
    rule: str
    keep_old: Callable[[Document, Document, int, int], bool]


def _time_rank(doc: Document) -> int:
    """2: a time with a stated zone; 1: a zone-less time; 0: no time."""
    if not doc.get(TIME_TEXT):
        return 0
    return 1 if doc.get(UTC_OFFSET) is None else 2


_SPECIFIC_KINDS = {"pingback": 1, "trackback": 1}


def _specificity(doc: Document) -> int:
    return _SPECIFIC_KINDS.get(str(doc.get(KIND)), 0)


# An excerpt's cut: "…", "...", "[…]", "[...]", "[&hellip;]", "(more)".
_TRUNCATED = re.compile(r"(?:…|\.\.\.|\[(?:…|\.\.\.|&hellip;)\]|\(more\))\s*\Z")


def is_truncated(body: str) -> bool:
    """Whether ``body`` ends the way a feed or listing cuts an excerpt."""
    return _TRUNCATED.search(body) is not None


def _words(text: str) -> str:
    return " ".join(text.split())


def _is_excerpt_of(short: str, full: str) -> bool:
    """``short`` is cut from ``full``: marked as cut, or the start of it, and shorter."""
    short, full = _words(short), _words(full)
    if not short or len(short) >= len(full):
        return False
    stem = _words(_TRUNCATED.sub("", short))
    return is_truncated(short) or full.startswith(stem)


#: The rules, one per field group, in the order the README lists them.
MERGE_RULES: tuple[MergeRule, ...] = (
    MergeRule(
        "time",
        (TIME_TEXT, TIMESTAMP, UTC_OFFSET),
        "A time with a stated zone (a feed's UTC instant) beats a zone-less one (a page's "
        "local time, or a page's `datetime` that claims +00:00); a time beats none.",
        lambda old, new, _o, _n: _time_rank(old) > _time_rank(new),
    ),
    MergeRule(
        "kind",
        (KIND,),
        "A more specific kind (pingback, trackback) beats `comment`.",
        lambda old, new, _o, _n: _specificity(old) > _specificity(new),
    ),
    MergeRule(
        "body",
        (BODY, f"_stored_{BODY}", QUOTED, f"_stored_{QUOTED}", SPELL, BODY_PAIRS, MENTIONS, LANG),
        "The full text beats an excerpt cut from it (shorter, and ending in …, ..., [...] "
        "or the start of the other); an empty body never wins.",
        lambda old, new, _o, _n: (
            not new.get(BODY) or _is_excerpt_of(str(new.get(BODY)), str(old.get(BODY) or ""))
        ),
    ),
    MergeRule(
        "parent",
        (PARENT, DEPTH),
        "A known parent (with its depth) beats none: feeds carry no threading.",
        lambda old, new, _o, _n: PARENT in old and PARENT not in new,
    ),
    MergeRule(
        "author",
        (AUTHOR,),
        "A name beats none; of two names, the later copy's.",
        lambda old, new, _o, _n: bool(old.get(AUTHOR)) and not new.get(AUTHOR),
    ),
    MergeRule(
        "author_url",
        (AUTHOR_URL,),
        "A link beats none; of two links, the later copy's.",
        lambda old, new, _o, _n: bool(old.get(AUTHOR_URL)) and not new.get(AUTHOR_URL),
    ),
    MergeRule(
        "position",
        (POSITION,),
        "The position in the thread with more entries (the page, not a feed holding a "
        "few of its comments); on a tie, the earlier copy's.",
        lambda _old, _new, old_size, new_size: old_size >= new_size,
    ),
)


def merge_documents(old: Document, new: Document, *, old_size: int, new_size: int) -> Document:
    """One document from two copies of the same entry, by :data:`MERGE_RULES`.

    ``old_size`` and ``new_size`` are the entry counts of the threads each copy came in.
    """
    merged = old | {key: value for key, value in new.items() if value not in (None, "")}
    for rule in MERGE_RULES:
        winner = old if rule.keep_old(old, new, old_size, new_size) else new
        for name in rule.fields:
            if name in winner:
                merged[name] = winner[name]
            else:
                merged.pop(name, None)
    return merged
