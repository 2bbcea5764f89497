"""Writing threads from Python: validated, one commit per call, one writer at a time.

Three calls change an index, each in a single commit that readers see whole or not at
all:

- :func:`add_threads` adds entries, replacing any entry that has the same id;
- :func:`replace_thread` makes a thread hold exactly the entries given;
- :func:`delete_thread` removes a thread and its entries.

Every thread and entry is checked before anything is written (:func:`validate_threads`):
a call with any problem raises :class:`~threadsearch.errors.ValidationError` listing all
of them, and the index stays exactly as it was.

One writer at a time: Whoosh's write lock is held by whoever writes (another thread, a
``threadsearch ingest``, a server worker). A call that finds it held waits up to
``wait`` seconds for it and then raises :class:`~threadsearch.errors.IndexBusyError`,
having written nothing. ``POST /threads`` and ``DELETE /threads/<id>`` use these calls.

The threads are :class:`~threadsearch.model.Thread` and
:class:`~threadsearch.model.Entry` objects; they are only read, never changed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from .errors import NotFoundError, ValidationError
from .index import ThreadIndex
from .model import ENTRY_KINDS, Entry, Thread
from .query.engine import get_entry, get_thread
from .schema import THREAD, thread_documents

__all__ = [
    "Problem",
    "WriteResult",
    "add_threads",
    "delete_thread",
    "replace_thread",
    "validate_threads",
]

#: ``(thread id, entry id or None, field, message)``: one broken rule.
Problem = tuple[str, str | None, str, str]

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_ID_RULE = "1 to 64 characters from A-Z, a-z, 0-9, '_' and '-' (ids appear in URLs)"
_OPTIONAL_TEXT = ("author", "author_url", "title", "url")
_TEXT = ("body", "quoted", "status")


@dataclass(frozen=True)
class WriteResult:
    """What a write stored: how many threads, and how many entries in them.

    >>> WriteResult(threads=1, entries=2).to_dict()
    {'threads': 1, 'entries': 2}
    """

    threads: int
    entries: int

    def to_dict(self) -> dict[str, int]:
        """The body ``POST /threads`` answers with."""
        return {"threads": self.threads, "entries": self.entries}


def add_threads(
    index: ThreadIndex,
    threads: Iterable[Thread],
    *,
    wait: float = 0.0,
    on_busy: Callable[[], None] | None = None,
) -> WriteResult:
    """Add the threads' entries, replacing entries with the same id, in one commit.

    Entries of these threads already in the index and not given are kept as they are
    (so a reply may name one of them as its ``parent_id``); to make a thread hold
    exactly some entries, use :func:`replace_thread`.

    Raises :class:`~threadsearch.errors.ValidationError` (nothing written) when any
    thread or entry breaks a rule of :func:`validate_threads`, and
    :class:`~threadsearch.errors.IndexBusyError` (nothing written) when another writer
    holds the index for more than ``wait`` seconds; ``on_busy`` is called once if the
    call has to wait.

    >>> from datetime import datetime, timezone
    >>> import tempfile
    >>> from threadsearch import Entry, Thread, open_index
    >>> index = open_index(tempfile.mkdtemp(), create=True)
    >>> when = datetime(2024, 5, 1, 9, 30, tzinfo=timezone.utc)
    >>> post = Entry("t1-0", "t1", "post", 0, body="Vinegar descales a kettle.", timestamp=when)
    >>> reply = Entry("t1-1", "t1", "comment", 1, body="So does citric acid.", parent_id="t1-0")
    >>> add_threads(index, [Thread("t1", "Kettle tips", entries=[post, reply])])
    WriteResult(threads=1, entries=2)
    >>> index.close()
    """
    given = list(threads)
    _check(validate_threads(given, index))  # fail fast, before waiting for the lock
    entries = 0
    with index.writer(wait=wait, on_busy=on_busy) as writer:
        # Again holding the lock: no commit can now come between the check and ours (a
        # parent deleted, an id taken by another writer meanwhile).
        _check(validate_threads(given, index))
        for thread in given:
            entries += _write_entries(writer, thread)
    return WriteResult(threads=len(given), entries=entries)


def replace_thread(
    index: ThreadIndex,
    thread: Thread,
    *,
    wait: float = 0.0,
    on_busy: Callable[[], None] | None = None,
) -> WriteResult:
    """Make the thread hold exactly the given entries, in one commit.

    Entries of the indexed version that the new one lacks are removed in the same
    commit as the new ones are written, so no reader sees a half-replaced thread. A
    thread not yet in the index is added. Errors as for :func:`add_threads`.

    >>> import tempfile
    >>> from threadsearch import Entry, Thread, open_index
    >>> index = open_index(tempfile.mkdtemp(), create=True)
    >>> post = Entry("t1-0", "t1", "post", 0, body="Vinegar descales a kettle.")
    >>> spam = Entry("t1-1", "t1", "comment", 1, body="Buy cheap kettles!")
    >>> add_threads(index, [Thread("t1", "Kettle tips", entries=[post, spam])])
    WriteResult(threads=1, entries=2)
    >>> replace_thread(index, Thread("t1", "Kettle tips", entries=[post]))
    WriteResult(threads=1, entries=1)
    >>> index.close()
    """
    _check(validate_threads([thread]))
    with index.writer(wait=wait, on_busy=on_busy) as writer:
        _check(validate_threads([thread], index, replacing=True))
        writer.delete_by_term(THREAD, thread.id)
        entries = _write_entries(writer, thread)
    return WriteResult(threads=1, entries=entries)


def delete_thread(
    index: ThreadIndex,
    thread_id: str,
    *,
    wait: float = 0.0,
    on_busy: Callable[[], None] | None = None,
) -> int:
    """Remove a thread and all its entries in one commit; returns how many entries.

    Raises :class:`~threadsearch.errors.NotFoundError` when the index has no entry of
    that thread (and then leaves the index untouched: no empty commit), and
    :class:`~threadsearch.errors.IndexBusyError` as :func:`add_threads` does.

    >>> import tempfile
    >>> from threadsearch import Entry, Thread, open_index
    >>> index = open_index(tempfile.mkdtemp(), create=True)
    >>> post = Entry("t1-0", "t1", "post", 0, body="Vinegar descales a kettle.")
    >>> add_threads(index, [Thread("t1", "Kettle tips", entries=[post])])
    WriteResult(threads=1, entries=1)
    >>> delete_thread(index, "t1")
    1
    >>> index.close()
    """
    missing = NotFoundError(
        f"no thread with id {thread_id!r} in the index at {index.path}",
        hint="List the threads with GET /threads, or find one with `threadsearch search`.",
    )
    # A read first: an unknown id is answered at once, even while another writer works.
    if not _indexed_entries(index, thread_id):
        raise missing
    with index.writer(wait=wait, on_busy=on_busy) as writer:
        removed: int = writer.delete_by_term(THREAD, thread_id)
        if not removed:
            raise missing  # deleted meanwhile; raising cancels the writer
    return removed


def _check(problems: list[Problem]) -> None:
    if not problems:
        return
    thread_id, entry_id, field, message = problems[0]
    where = f"thread {thread_id!r}" + (f", entry {entry_id!r}" if entry_id is not None else "")
    more = len(problems) - 1
    also = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    raise ValidationError(
        f"{where}, field {field}: {message}{also}",
        problems=problems,
        hint="Nothing was written. Fix every problem listed (ValidationError.problems, "
        "or the errors of the HTTP response) and send the threads again.",
    )


def _write_entries(writer: Any, thread: Thread) -> int:
    entries = [
        # An EntryKind member: store its plain value.
        e if type(e.kind) is str else replace(e, kind=str(getattr(e.kind, "value", e.kind)))
        for e in thread.entries
    ]
    for doc in thread_documents(replace(thread, entries=entries)):
        writer.update_document(**doc)
    return len(thread.entries)


def validate_threads(
    threads: Iterable[Thread], index: ThreadIndex | None = None, *, replacing: bool = False
) -> list[Problem]:
    """Every rule the threads break, in order; empty when they may be written.

    A problem is ``(thread id, entry id or None, field, message)``; the message says
    what is wrong and what to write instead. Rules: ids are URL-safe and unique within
    the call; every entry names its thread's id, a known ``kind``, a ``position`` and
    ``depth`` >= 0 (a post at position 0, one entry per position) and, as
    ``parent_id``, another entry of its thread; timestamps carry a time zone; a thread
    has at least one entry. With ``index``, a ``parent_id`` may also name an entry of
    the same thread already in the index (a new reply to an old comment), an entry id
    may not belong to another thread of the index, and (unless ``replacing`` the
    thread's indexed entries) a position may not be taken there by another entry.

    >>> from datetime import datetime
    >>> bad = Entry("t1-0", "t2", "pst", 0, timestamp=datetime(2024, 5, 1, 9, 30))
    >>> for problem in validate_threads([Thread("t1", "Kettle tips", entries=[bad])]):
    ...     print(problem[2], "-", problem[3])
    thread_id - must be the id of its thread, 't1'; it is 't2'
    kind - must be one of post, comment, trackback, pingback; it is 'pst'
    timestamp - has no time zone: give one (2024-05-01T09:30:00+00:00 for UTC)
    """
    problems: list[Problem] = []
    seen_threads: set[str] = set()
    seen_entries: dict[str, str] = {}  # entry id -> the thread it came in
    for thread in threads:
        if not isinstance(thread, Thread):
            problems.append(("", None, "thread", f"must be a Thread, not {_type(thread)}"))
            continue
        problems.extend(_thread_problems(thread, seen_threads))
        ids = {e.id for e in thread.entries if isinstance(e, Entry)}
        positions: set[int] = set()
        for entry in thread.entries:
            problems.extend(_entry_problems(thread, entry, ids, positions, seen_entries, index))
        if index is not None:
            problems.extend(_index_problems(thread, index, replacing))
    return problems


def _index_problems(thread: Thread, index: ThreadIndex, replacing: bool) -> list[Problem]:
    """Where the thread's entries clash with what the index already holds."""
    tid = str(thread.id)
    indexed = {} if replacing else _indexed_entries(index, tid)
    taken = {entry.position: entry.id for entry in indexed.values()}
    found: list[Problem] = []
    for entry in thread.entries:
        if not isinstance(entry, Entry) or not isinstance(entry.id, str):
            continue
        owner = _indexed_thread_of(index, entry.id)
        if owner is not None and owner != tid:
            message = f"belongs to an entry of thread {owner!r} in the index; ids are unique"
            found.append((tid, entry.id, "id", message))
        holder = taken.get(entry.position)
        if holder is not None and holder != entry.id:
            message = f"{entry.position} is taken by entry {holder!r} of the indexed thread"
            found.append((tid, entry.id, "position", message))
    return found


def _indexed_entries(index: ThreadIndex, thread_id: str) -> dict[str, Entry]:
    try:
        return {entry.id: entry for entry in get_thread(index, thread_id).entries}
    except NotFoundError:
        return {}


def _indexed_thread_of(index: ThreadIndex, entry_id: str) -> str | None:
    try:
        return get_entry(index, entry_id).thread_id
    except NotFoundError:
        return None


def _thread_problems(thread: Thread, seen: set[str]) -> list[Problem]:
    tid = str(thread.id)
    found: list[tuple[str, str]] = []
    if not isinstance(thread.id, str) or not _ID.fullmatch(thread.id):
        found.append(("id", f"must be {_ID_RULE}; it is {thread.id!r}"))
    elif thread.id in seen:
        found.append(("id", "the thread is given twice: send its entries in one Thread"))
    seen.add(tid)
    if not isinstance(thread.title, str):
        found.append(("title", f"must be a string, not {_type(thread.title)}"))
    for name in ("url", "site", "source"):
        if not isinstance(getattr(thread, name), str | None):
            found.append((name, f"must be a string or None, not {_type(getattr(thread, name))}"))
    count = thread.declared_count
    if count is not None and (not _is_int(count) or count < 0):
        found.append(("declared_count", f"must be an integer >= 0 or None; it is {count!r}"))
    if not isinstance(thread.tags, list | tuple) or not all(
        isinstance(tag, str) for tag in thread.tags
    ):
        found.append(("tags", f"must be a list of strings; it is {thread.tags!r}"))
    if not thread.entries:
        found.append(
            ("entries", "a thread needs at least one entry; to remove one, use delete_thread")
        )
    return [(tid, None, field, message) for field, message in found]


def _entry_problems(
    thread: Thread,
    entry: Entry,
    ids: set[str],
    positions: set[int],
    seen: dict[str, str],
    index: ThreadIndex | None,
) -> list[Problem]:
    tid = str(thread.id)
    if not isinstance(entry, Entry):
        return [(tid, None, "entries", f"must hold Entry objects, not {_type(entry)}")]
    eid = str(entry.id)
    found = _id_problems(thread, entry, seen)
    found += _place_problems(entry, positions)
    found += _parent_problems(thread, entry, ids, index)
    found += _value_problems(entry)
    return [(tid, eid, field, message) for field, message in found]


def _id_problems(thread: Thread, entry: Entry, seen: dict[str, str]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if not isinstance(entry.id, str) or not _ID.fullmatch(entry.id):
        found.append(("id", f"must be {_ID_RULE}; it is {entry.id!r}"))
    elif entry.id in seen:
        other = seen[entry.id]
        where = "in this thread" if other == thread.id else f"in thread {other!r}"
        found.append(("id", f"is given twice (also {where}); entry ids are unique"))
    else:
        seen[entry.id] = str(thread.id)
    if entry.thread_id != thread.id:
        found.append(
            ("thread_id", f"must be the id of its thread, {thread.id!r}; it is {entry.thread_id!r}")
        )
    return found


def _place_problems(entry: Entry, positions: set[int]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    kind = getattr(entry.kind, "value", entry.kind)
    if kind not in ENTRY_KINDS:
        found.append(("kind", f"must be one of {', '.join(ENTRY_KINDS)}; it is {kind!r}"))
    if not _is_int(entry.position) or entry.position < 0:
        found.append(("position", f"must be an integer >= 0; it is {entry.position!r}"))
    elif entry.position in positions:
        found.append(("position", f"{entry.position} is taken by another entry of the thread"))
    elif kind == "post" and entry.position != 0:
        found.append(("position", f"a post is the thread's entry 0; it is {entry.position}"))
    else:
        positions.add(entry.position)
    if not _is_int(entry.depth) or entry.depth < 0:
        found.append(("depth", f"must be an integer >= 0; it is {entry.depth!r}"))
    return found


def _parent_problems(
    thread: Thread, entry: Entry, ids: set[str], index: ThreadIndex | None
) -> list[tuple[str, str]]:
    parent = entry.parent_id
    if parent is None or (
        parent != entry.id
        and isinstance(parent, str)
        and (parent in ids or (index is not None and _indexed_in(index, parent, thread.id)))
    ):
        return []
    where = " (given, or already in the index)" if index is not None else ""
    rule = f"must be the id of another entry of the thread{where}, or None"
    return [("parent_id", f"{rule}; it is {parent!r}")]


def _indexed_in(index: ThreadIndex, entry_id: str, thread_id: str) -> bool:
    return _indexed_thread_of(index, entry_id) == thread_id


def _value_problems(entry: Entry) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    when = entry.timestamp
    if when is not None:
        if not isinstance(when, datetime):
            found.append(("timestamp", f"must be a datetime or None, not {_type(when)}"))
        elif when.tzinfo is None or when.utcoffset() is None:
            utc = when.isoformat() + "+00:00"
            found.append(("timestamp", f"has no time zone: give one ({utc} for UTC)"))
    for name in _TEXT:
        if not isinstance(getattr(entry, name), str):
            found.append((name, f"must be a string, not {_type(getattr(entry, name))}"))
    for name in _OPTIONAL_TEXT:
        if not isinstance(getattr(entry, name), str | None):
            found.append((name, f"must be a string or None, not {_type(getattr(entry, name))}"))
    if not isinstance(entry.mentions, list | tuple) or not all(
        isinstance(name, str) for name in entry.mentions
    ):
        found.append(("mentions", f"must be a list of strings; it is {entry.mentions!r}"))
    return found


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _type(value: Any) -> str:
    return type(value).__name__
