"""One thread from several copies of it: the same post read from different sources.

A saved page, its comment feed and the blog's site-wide feed can all hold the same
comments. Ingest notices when a run holds an entry twice and merges every copy of that
thread here before writing, so each comment is one document.

Entries with the same id are merged field by field: a later copy's non-empty values
win, except that a known parent (a page knows the threading, a feed does not) is kept,
and a timestamp with a zone beats one without. Positions are renumbered: the post stays
at 0 and the rest follow in time order, then in the order the copies gave them.
"""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import datetime, timezone

from .model import Entry, EntryKind, Thread


def _merge_entry(old: Entry, new: Entry) -> Entry:
    values = {
        f.name: getattr(new, f.name)
        for f in fields(Entry)
        if getattr(new, f.name) not in (None, "", [])
    }
    merged = replace(old, **values)
    if old.parent_id and not new.parent_id:
        merged.parent_id, merged.depth = old.parent_id, old.depth
    if old.timestamp and old.timestamp.tzinfo and new.timestamp and not new.timestamp.tzinfo:
        merged.timestamp = old.timestamp
    return merged


def _sort_time(entry: Entry) -> datetime:
    if entry.timestamp is None:
        return datetime.max.replace(tzinfo=timezone.utc)
    if entry.timestamp.tzinfo is None:
        return entry.timestamp.replace(tzinfo=timezone.utc)
    return entry.timestamp


def merge_threads(copies: list[Thread]) -> Thread:
    """Merge copies of one thread (all with the same id) into one."""
    # The copy that has the post knows the title and page best; prefer it.
    copies = sorted(copies, key=lambda t: not any(e.kind == EntryKind.POST for e in t.entries))
    base = copies[0]
    entries: dict[str, Entry] = {}
    order: dict[str, int] = {}
    for copy in copies:
        for entry in copy.entries:
            if entry.id in entries:
                entries[entry.id] = _merge_entry(entries[entry.id], entry)
            else:
                entries[entry.id] = entry
                order[entry.id] = len(order)
    ranked = sorted(
        entries.values(),
        key=lambda e: (e.kind != EntryKind.POST, _sort_time(e), order[e.id]),
    )
    start = 0 if ranked and ranked[0].kind == EntryKind.POST else 1
    for position, entry in enumerate(ranked, start):
        entry.position = position
    tags = list(dict.fromkeys(tag for copy in copies for tag in copy.tags))
    return replace(
        base,
        title=base.title or next((c.title for c in copies if c.title), ""),
        url=base.url or next((c.url for c in copies if c.url), None),
        site=base.site or next((c.site for c in copies if c.site), None),
        declared_count=base.declared_count
        or next((c.declared_count for c in copies if c.declared_count), None),
        tags=tags,
        entries=ranked,
    )
