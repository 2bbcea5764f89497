"""Read threads back out of the index, as :class:`~threadsearch.model.Thread` objects.

``threadsearch export`` writes them as JSON Lines (the ``jsonl`` source's schema), so an
export ingested into a fresh index gives the same documents: every field the index
stores is carried, and ids are kept as they are.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .index import Snapshot, ThreadIndex
from .model import Thread
from .query.columns import columns_for
from .query.engine import thread_from_fields
from .schema import POSITION, THREAD


def iter_index_threads(index: ThreadIndex, thread_ids: list[str] | None = None) -> Iterator[Thread]:
    """Every thread in the index (or the named ones), entries in position order.

    The threads are those :func:`~threadsearch.get_thread` returns: aware UTC
    timestamps with ``utc_offset``, ``thread_title`` filled on each entry.

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
        yield thread_from_fields(stored)


def iter_index_fields(index: ThreadIndex) -> Iterator[dict[str, Any]]:
    """Every live entry's stored fields, in document order, from one pinned generation.

    ``threadsearch copy`` reads these: document order is what ties break on, so a copy
    keeps it.
    """
    with index.snapshot() as snapshot:
        searcher = snapshot.searcher()
        for docnum in np.flatnonzero(columns_for(snapshot).live).tolist():
            yield searcher.stored_fields(int(docnum))
