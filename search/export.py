"""Read threads back out of the index, as :class:`~threadsearch.model.Thread` objects.

``threadsearch export`` writes them as JSON Lines (the ``jsonl`` source's schema), so an
export ingested into a fresh index gives the same documents: every field the index
stores is carried, and ids are kept as they are.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import numpy as np

from .index import Snapshot, ThreadIndex
from .model import Entry, Thread
from .query.columns import columns_for
from .query.engine import entry_view
from .schema import (
    DECLARED,
    POSITION,
    SITE,
    SOURCE,
    TAG,
    THREAD,
    THREAD_TITLE,
    THREAD_URL,
)


def _entry(fields: dict[str, Any]) -> Entry:
    view = entry_view(fields)
    del view["thread_title"]
    stamp = view.pop("timestamp")
    return Entry(**view, timestamp=datetime.fromisoformat(stamp) if stamp else None)


def iter_index_threads(index: ThreadIndex, thread_ids: list[str] | None = None) -> Iterator[Thread]:
    """Every thread in the index (or the named ones), entries in position order.

    The whole iteration reads one generation, pinned when the first thread is asked
    for and released when the iteration ends (or the generator is closed): commits
    made meanwhile show in the next export, not half in this one.
    """
    with index.snapshot() as snapshot:
        yield from _threads(snapshot, thread_ids)


def _threads(snapshot: Snapshot, thread_ids: list[str] | None) -> Iterator[Thread]:
    searcher = snapshot.searcher()
    columns = columns_for(snapshot)
    column = columns.keyword[THREAD]
    live = np.flatnonzero(columns.live & (column.codes >= 0))
    order = live[np.argsort(column.codes[live], kind="stable")]
    codes = column.codes[order]
    starts: list[int] = (
        np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]).tolist() if len(codes) else []
    )
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
            tags=[tag for tag in (first.get(TAG) or "").split(",") if tag],
            entries=[_entry(f) for f in stored],
        )
