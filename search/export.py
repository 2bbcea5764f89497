"""Read threads back out of the index, as :class:`~search.model.Thread` objects.

``threadsearch export`` writes them as JSON Lines (the ``jsonl`` source's schema), so an
export ingested into a fresh index gives the same documents: every field the index
stores is carried, and ids are kept as they are.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import numpy as np

from .index import (
    AUTHOR,
    AUTHOR_URL,
    BODY,
    DECLARED,
    DEPTH,
    ID_FIELD,
    KIND,
    MENTIONS,
    PARENT,
    POSITION,
    QUOTED,
    SITE,
    SOURCE,
    STATUS,
    TAG,
    THREAD,
    THREAD_TITLE,
    THREAD_URL,
    TIME_TEXT,
    TITLE,
    URL,
    ThreadIndex,
)
from .model import Entry, Thread
from .query.columns import columns_for


def _split(value: str | None) -> list[str]:
    return [part for part in (value or "").split(",") if part]


def _entry(fields: dict[str, Any]) -> Entry:
    stamp = fields.get(TIME_TEXT)
    return Entry(
        id=fields[ID_FIELD],
        thread_id=fields[THREAD],
        kind=fields[KIND],
        position=fields[POSITION],
        body=fields.get(BODY) or "",
        author=fields.get(AUTHOR),
        author_url=fields.get(AUTHOR_URL),
        timestamp=datetime.fromisoformat(stamp) if stamp else None,
        title=fields.get(TITLE) or None,
        quoted=fields.get(QUOTED) or "",
        parent_id=fields.get(PARENT),
        depth=fields.get(DEPTH, 0),
        mentions=_split(fields.get(MENTIONS)),
        url=fields.get(URL),
        status=fields.get(STATUS) or "approved",
    )


def iter_index_threads(index: ThreadIndex, thread_ids: list[str] | None = None) -> Iterator[Thread]:
    """Every thread in the index (or the named ones), entries in position order."""
    searcher = index.searcher()
    columns = columns_for(index)
    column = columns.keyword[THREAD]
    live = np.flatnonzero(columns.live & (column.codes >= 0))
    order = live[np.argsort(column.codes[live], kind="stable")]
    codes = column.codes[order]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else []
    wanted = set(thread_ids) if thread_ids else None
    for start, stop in zip(starts, [*starts[1:], len(order)], strict=True):
        thread_id = column.values[codes[start]]
        if wanted is not None and thread_id not in wanted:
            continue
        stored = [searcher.stored_fields(int(d)) for d in order[start:stop]]
        stored.sort(key=lambda f: f[POSITION])
        first = stored[0]
        yield Thread(
            id=thread_id,
            title=first.get(THREAD_TITLE) or "",
            url=first.get(THREAD_URL),
            site=first.get(SITE),
            source=first.get(SOURCE),
            declared_count=first.get(DECLARED),
            tags=_split(first.get(TAG)),
            entries=[_entry(f) for f in stored],
        )
