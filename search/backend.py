"""The backend seam: one small interface that every reader and writer of an index goes through.

:class:`Backend` is what the HTTP API, the CLI and the Python API call: the request model
(:class:`~.model.SearchRequest` in, :class:`~.model.SearchResult` out), thread and entry
fetches, similar entries, stats and writes. Two implementations answer it:

- :class:`WhooshBackend`, the embedded default, over a :class:`~.index.ThreadIndex` folder;
- :class:`~.opensearch.OpenSearchBackend`, a cluster reached through opensearch-py
  (``pip install threadsearch[opensearch]``), imported only when asked for.

:func:`open_backend` picks one by name, as the settings ``BACKEND`` and ``OPENSEARCH_URL``
(or the CLI's ``--backend`` and ``--opensearch-url``) say.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Protocol

from .errors import SearchError
from .index import ThreadIndex, open_index
from .ingest import IngestOptions, ingest_paths
from .model import (
    Entry,
    IngestSummary,
    SearchRequest,
    SearchResult,
    SimilarResult,
    Stats,
    Thread,
    ThreadPage,
)
from .query import engine
from .query.limits import DEFAULT_LIMITS, QueryLimits
from .writes import WriteResult, add_threads, delete_thread

BACKENDS = ("whoosh", "opensearch")


class Backend(Protocol):
    """What the API, the CLI and the Python API need from an index, whatever holds it."""

    name: str

    def search(
        self,
        request: SearchRequest,
        *,
        max_per_page: int = ...,
        facet_limit: int = ...,
        limits: QueryLimits = ...,
        time_budget: float | None = None,
    ) -> SearchResult:
        """Run a search request within ``limits`` (checked before any work) and, with
        ``time_budget`` seconds, flag the result ``partial`` when the budget ran out."""

    def get_entry(self, entry_id: str) -> Entry:
        """One entry, full text."""

    def get_thread(self, thread_id: str) -> Thread:
        """A thread with its entries in position order."""

    def list_threads(self, page: int = 1, per_page: int = 20) -> ThreadPage:
        """Threads by latest activity."""

    def similar(self, entry_id: str, limit: int = 10) -> SimilarResult:
        """The entries most like the given one."""

    def stats(self) -> Stats:
        """Counts and extents of what the index holds."""

    def add_threads(self, threads: Sequence[Thread], *, wait: float = 0.0) -> WriteResult:
        """Validate and write threads, replacing those with the same ids."""

    def delete_thread(self, thread_id: str, *, wait: float = 0.0) -> None:
        """Remove a thread and its entries."""

    def ingest(
        self, paths: list[str | os.PathLike[str]], options: IngestOptions | None = None
    ) -> IngestSummary:
        """Parse source files and index their threads."""

    def close(self) -> None:
        """Release what the backend holds."""


class WhooshBackend:
    """The embedded default: a Whoosh index in one folder on this machine."""

    name = "whoosh"

    def __init__(self, index: ThreadIndex) -> None:
        self.index = index

    def search(
        self,
        request: SearchRequest,
        *,
        max_per_page: int = engine.MAX_PER_PAGE,
        facet_limit: int = engine.FACET_LIMIT,
        limits: QueryLimits = DEFAULT_LIMITS,
        time_budget: float | None = None,
    ) -> SearchResult:
        return engine.search(
            self.index,
            request,
            max_per_page=max_per_page,
            facet_limit=facet_limit,
            limits=limits,
            time_budget=time_budget,
        )

    def get_entry(self, entry_id: str) -> Entry:
        return engine.get_entry(self.index, entry_id)

    def get_thread(self, thread_id: str) -> Thread:
        return engine.get_thread(self.index, thread_id)

    def list_threads(self, page: int = 1, per_page: int = 20) -> ThreadPage:
        return engine.list_threads(self.index, page, per_page)

    def similar(self, entry_id: str, limit: int = 10) -> SimilarResult:
        return engine.similar(self.index, entry_id, limit)

    def stats(self) -> Stats:
        return engine.stats(self.index)

    def add_threads(self, threads: Sequence[Thread], *, wait: float = 0.0) -> WriteResult:
        return add_threads(self.index, threads, wait=wait)

    def delete_thread(self, thread_id: str, *, wait: float = 0.0) -> None:
        delete_thread(self.index, thread_id, wait=wait)

    def ingest(
        self, paths: list[str | os.PathLike[str]], options: IngestOptions | None = None
    ) -> IngestSummary:
        return ingest_paths(self.index, paths, options)

    def close(self) -> None:
        self.index.close()


def split_urls(value: str | Iterable[str] | None) -> list[str]:
    """Cluster addresses from a comma-separated string or a list of them."""
    if value is None:
        return []
    parts = value.split(",") if isinstance(value, str) else list(value)
    return [part.strip() for part in parts if part.strip()]


def open_backend(
    name: str = "whoosh",
    *,
    index_dir: str | os.PathLike[str] | None = None,
    opensearch_url: str | Iterable[str] | None = None,
    opensearch_index: str | None = None,
    create: bool = False,
) -> Backend:
    """Open the backend called ``name`` (``whoosh`` or ``opensearch``).

    :param index_dir: the Whoosh index folder.
    :param opensearch_url: one or more cluster addresses (a list, or comma-separated).
    :param opensearch_index: the alias the cluster's index lives behind.
    """
    if name == "whoosh":
        if index_dir is None:
            raise SearchError("the whoosh backend needs an index folder")
        return WhooshBackend(open_index(index_dir, create=create))
    if name == "opensearch":
        from .opensearch import DEFAULT_ALIAS, OpenSearchBackend

        urls = split_urls(opensearch_url)
        if not urls:
            raise SearchError(
                "the opensearch backend needs the cluster's address",
                hint="Set THREADSEARCH_OPENSEARCH_URL or --opensearch-url, for example "
                "http://127.0.0.1:9200 (several separated by commas).",
            )
        return OpenSearchBackend(urls, alias=opensearch_index or DEFAULT_ALIAS)
    raise SearchError(f"unknown backend {name!r}", hint=f"Use one of: {', '.join(BACKENDS)}.")
