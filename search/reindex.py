"""Rebuild an index written by an earlier schema version, in place.

An index keeps the text as written (stored fields) beside the terms it was analyzed
into, so it can be rebuilt without the source files: :func:`reindex` reads every
entry's stored fields (Whoosh opens any version's stored fields whatever its
analyzers), groups them into threads, ingests them into a fresh folder beside the old
one with the current analysis, and then swaps the two folders. The old folder is
removed only after the swap; until then searches of the old index keep working.

    >>> from threadsearch.reindex import reindex    # doctest: +SKIP
    >>> reindex("index_data/index").entries          # doctest: +SKIP
    1204
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index

from .errors import IndexBusyError, IndexNotFoundError, IndexVersionError
from .index import IngestReport, open_index
from .model import Thread
from .schema import INDEX_NAME, META_FILE, POSITION, SCHEMA_VERSION, THREAD

#: The oldest schema version whose stored fields :func:`reindex` reads (version 3 made
#: ``time`` aware UTC text; older indexes must be ingested again from their files).
OLDEST_READABLE = 3


def index_version(path: str | os.PathLike[str]) -> int | None:
    """The schema version written beside the index at ``path`` (None if unknown)."""
    try:
        meta = json.loads((Path(path) / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    version = meta.get("schema_version") if isinstance(meta, dict) else None
    return version if isinstance(version, int) else None


def _stored_threads(ix: Any) -> Iterator[Thread]:
    # Imported here: the engine imports the index module, which imports nothing of this.
    from .query.engine import thread_from_fields

    with ix.searcher() as searcher:
        by_thread: dict[str, list[dict[str, Any]]] = {}
        for fields in searcher.all_stored_fields():
            by_thread.setdefault(fields[THREAD], []).append(fields)
    for stored in by_thread.values():
        yield thread_from_fields(sorted(stored, key=lambda f: f[POSITION]))


def reindex(path: str | os.PathLike[str]) -> IngestReport:
    """Rebuild the index at ``path`` with the current schema; returns what it holds.

    Raises :class:`IndexNotFoundError` when there is no index, :class:`IndexVersionError`
    when it is too old to rebuild from (then ingest the source files again), and
    :class:`IndexBusyError` when a writer holds it.
    """
    directory = Path(path)
    if not (directory.is_dir() and whoosh_index.exists_in(str(directory), INDEX_NAME)):
        raise IndexNotFoundError(
            f"no threadsearch index at {directory}",
            hint="Build one with `threadsearch ingest PATH --index DIR`.",
        )
    version = index_version(directory)
    if version is None or version < OLDEST_READABLE:
        raise IndexVersionError(
            f"the index at {directory} has schema version {version}, too old to rebuild "
            "from its stored text",
            hint=f"Delete {directory} and run `threadsearch ingest PATH --index {directory}` "
            "again on the source files.",
        )
    old = whoosh_index.open_dir(str(directory), indexname=INDEX_NAME)
    lock = old.storage.lock(f"{INDEX_NAME}_WRITELOCK")
    if not lock.acquire(False):
        old.close()
        raise IndexBusyError(
            f"another writer holds the index at {directory}",
            hint="Wait for the running ingest or server write to finish, then reindex.",
        )
    fresh = directory.with_name(f".{directory.name}.reindex-{os.getpid()}")
    shutil.rmtree(fresh, ignore_errors=True)
    try:
        with open_index(fresh, create=True) as index:
            report = index.ingest(_stored_threads(old))
        old.close()
        _swap(fresh, directory)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    finally:
        lock.release()
    # After the swap ``fresh`` names the old index's folder.
    shutil.rmtree(fresh, ignore_errors=True)
    return report


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _swap(a: Path, b: Path) -> None:
    """Exchange two folders: atomically where the system can (Linux renameat2), else by
    two renames (a reader opening ``b`` in between finds no index and may retry)."""
    libc_name = ctypes.util.find_library("c")
    if libc_name:
        libc = ctypes.CDLL(libc_name, use_errno=True)
        renameat2 = getattr(libc, "renameat2", None)
        if renameat2 is not None:
            result = renameat2(
                _AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE
            )
            if result == 0:
                return
    aside = b.with_name(f".{b.name}.old-{os.getpid()}")
    os.rename(b, aside)
    os.rename(a, b)
    os.rename(aside, a)


__all__ = ["OLDEST_READABLE", "SCHEMA_VERSION", "index_version", "reindex"]
