"""threadsearch: full-text and faceted search over discussion threads.

The five calls most programs need::

    from threadsearch import SearchRequest, ingest_paths, open_index, search

    index = open_index("my-index", create=True)
    ingest_paths(index, ["archive/wordpress.xml"])
    result = search(index, SearchRequest(q="refugee", facets=["author", "month"]))

The same calls on an OpenSearch cluster: :func:`open_backend` (see :mod:`.backend`).

Writing threads built in Python (validated, one commit, one writer at a time):
:func:`add_threads`, :func:`replace_thread`, :func:`delete_thread` (see :mod:`.writes`).

Every read call returns a frozen dataclass from :mod:`threadsearch.model`
(:class:`SearchResult`, :class:`Entry`, :class:`Thread`, :class:`ThreadPage`,
:class:`SimilarResult`, :class:`Stats`); each has ``to_dict()``, the HTTP API's JSON
body. Times are aware UTC; ``Entry.utc_offset`` keeps the offset the source stated.
"""

from __future__ import annotations

from .backend import Backend, open_backend
from .errors import (
    IndexBusyError,
    NotFoundError,
    QueryLimitError,
    SearchError,
    ValidationError,
)
from .index import ThreadIndex, open_index
from .ingest import IngestOptions, ingest_paths
from .model import (
    Entry,
    EntryKind,
    Facet,
    FacetValue,
    FileSummary,
    Hit,
    IngestSummary,
    SearchRequest,
    SearchResult,
    SimilarResult,
    Stats,
    Thread,
    ThreadPage,
    ThreadSummary,
)
from .query.engine import get_entry, get_thread, list_threads, search, similar, stats
from .query.limits import QueryLimits
from .writes import WriteResult, add_threads, delete_thread, replace_thread, validate_threads

__all__ = [
    "Backend",
    "Entry",
    "EntryKind",
    "Facet",
    "FacetValue",
    "FileSummary",
    "Hit",
    "IndexBusyError",
    "IngestOptions",
    "IngestSummary",
    "NotFoundError",
    "QueryLimitError",
    "QueryLimits",
    "SearchError",
    "SearchRequest",
    "SearchResult",
    "SimilarResult",
    "Stats",
    "Thread",
    "ThreadIndex",
    "ThreadPage",
    "ThreadSummary",
    "ValidationError",
    "WriteResult",
    "add_threads",
    "delete_thread",
    "get_entry",
    "get_thread",
    "ingest_paths",
    "list_threads",
    "open_backend",
    "open_index",
    "replace_thread",
    "search",
    "similar",
    "stats",
    "validate_threads",
]
