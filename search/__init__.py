"""threadsearch: full-text and faceted search over discussion threads.

The five calls most programs need::

    from threadsearch import SearchRequest, ingest_paths, open_index, search

    index = open_index("my-index", create=True)
    ingest_paths(index, ["archive/wordpress.xml"])
    result = search(index, SearchRequest(q="refugee", facets=["author", "month"]))
"""

from __future__ import annotations

from .errors import SearchError
from .index import ThreadIndex, open_index
from .ingest import IngestOptions, ingest_paths
from .model import Entry, SearchRequest, SearchResult, Thread
from .query.engine import get_entry, get_thread, list_threads, search, similar, stats

__all__ = [
    "Entry",
    "IngestOptions",
    "SearchError",
    "SearchRequest",
    "SearchResult",
    "Thread",
    "ThreadIndex",
    "get_entry",
    "get_thread",
    "ingest_paths",
    "list_threads",
    "open_index",
    "search",
    "similar",
    "stats",
]
