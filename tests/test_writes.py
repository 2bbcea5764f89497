"""The write API: validation before any write, one commit per call, one writer at a time."""

from __future__ import annotations

import doctest
import hashlib
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import threadsearch.writes
from threadsearch import (
    Entry,
    IndexBusyError,
    NotFoundError,
    Thread,
    ThreadIndex,
    ValidationError,
    WriteResult,
    add_threads,
    delete_thread,
    open_index,
    replace_thread,
)
from threadsearch.model import EntryKind
from threadsearch.query.engine import get_entry, get_thread, list_threads, stats

WHEN = datetime(2024, 5, 1, 9, 30, tzinfo=timezone.utc)


def seed_thread(index: ThreadIndex) -> str:
    """The id of the seed's one thread."""
    threads = list_threads(index).threads
    assert len(threads) == 1
    return threads[0].id


def kettle(thread_id: str = "kettle", comments: int = 2) -> Thread:
    """A valid thread: a post and ``comments`` replies to it."""
    post = Entry(
        f"{thread_id}-0", thread_id, "post", 0, body="Vinegar descales a kettle.", timestamp=WHEN
    )
    replies = [
        Entry(
            f"{thread_id}-{n}",
            thread_id,
            "comment",
            n,
            body=f"Citric acid works too, reply {n}.",
            author=f"author{n}",
            parent_id=post.id,
            depth=1,
            timestamp=WHEN + timedelta(hours=n),
        )
        for n in range(1, comments + 1)
    ]
    return Thread(thread_id, "Kettle tips", tags=["home"], entries=[post, *replies])


def with_entry(thread: Thread, number: int, **changes: Any) -> Thread:
    """A copy of ``thread`` whose entry ``number`` has ``changes``."""
    entries = list(thread.entries)
    entries[number] = replace(entries[number], **changes)
    return replace(thread, entries=entries)


def snapshot(directory: Path) -> tuple[int, int, dict[str, str]]:
    """Generation, document count, and every file of the index folder with its hash."""
    index = open_index(directory)
    try:
        ix = index.whoosh
        generation, count = ix.latest_generation(), ix.doc_count()
    finally:
        index.close()
    files = {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.iterdir())
        if path.is_file()
    }
    return generation, count, files


@pytest.fixture
def store(seed_index_copy: Path) -> Iterator[ThreadIndex]:
    """A private copy of the seed index (27 entries), open for writing."""
    index = open_index(seed_index_copy)
    yield index
    index.close()


@contextmanager
def lock_held(directory: Path) -> Iterator[threading.Event]:
    """Another thread holds the index's Whoosh write lock until the event is set."""
    held, release = threading.Event(), threading.Event()
    failure: list[BaseException] = []

    def hold() -> None:
        try:
            other = open_index(directory)
            writer = other.whoosh.writer()
        except BaseException as error:  # reported to the test below
            failure.append(error)
            held.set()
            return
        held.set()
        release.wait()
        writer.cancel()
        other.close()

    holder = threading.Thread(target=hold, name="lock-holder")
    holder.start()
    held.wait()
    try:
        assert not failure, failure
        yield release
    finally:
        release.set()
        holder.join()


# --- validation: every rule, nothing written -------------------------------------------------

Problems = list[tuple[str, str | None, str, str]]

CASES: dict[str, tuple[Callable[[], list[Thread]], Problems]] = {
    "unknown kind": (
        lambda: [with_entry(kettle(), 1, kind="pst")],
        [
            (
                "kettle",
                "kettle-1",
                "kind",
                "must be one of post, comment, trackback, pingback; it is 'pst'",
            )
        ],
    ),
    "thread_id of another thread": (
        lambda: [with_entry(kettle(), 2, thread_id="teapot")],
        [
            (
                "kettle",
                "kettle-2",
                "thread_id",
                "must be the id of its thread, 'kettle'; it is 'teapot'",
            )
        ],
    ),
    "duplicate entry id in a thread": (
        lambda: [with_entry(kettle(), 2, id="kettle-1")],
        [
            (
                "kettle",
                "kettle-1",
                "id",
                "is given twice (also in this thread); entry ids are unique",
            )
        ],
    ),
    "duplicate entry id across threads": (
        lambda: [kettle(), with_entry(kettle("teapot"), 1, id="kettle-1", thread_id="teapot")],
        [
            (
                "teapot",
                "kettle-1",
                "id",
                "is given twice (also in thread 'kettle'); entry ids are unique",
            )
        ],
    ),
    "parent that is not in the thread": (
        lambda: [with_entry(kettle(), 1, parent_id="kettle-9")],
        [
            (
                "kettle",
                "kettle-1",
                "parent_id",
                "must be the id of another entry of the thread (given, or already in the index), "
                "or None; it is 'kettle-9'",
            )
        ],
    ),
    "parent that is the entry itself": (
        lambda: [with_entry(kettle(), 1, parent_id="kettle-1")],
        [
            (
                "kettle",
                "kettle-1",
                "parent_id",
                "must be the id of another entry of the thread (given, or already in the index), "
                "or None; it is 'kettle-1'",
            )
        ],
    ),
    "naive timestamp": (
        lambda: [with_entry(kettle(), 1, timestamp=datetime(2024, 5, 1, 10, 30))],
        [
            (
                "kettle",
                "kettle-1",
                "timestamp",
                "has no time zone: give one (2024-05-01T10:30:00+00:00 for UTC)",
            )
        ],
    ),
    "timestamp that is not a datetime": (
        lambda: [with_entry(kettle(), 1, timestamp="2024-05-01T10:30:00Z")],
        [("kettle", "kettle-1", "timestamp", "must be a datetime or None, not str")],
    ),
    "empty entry id": (
        lambda: [with_entry(kettle(), 1, id="")],
        [
            (
                "kettle",
                "",
                "id",
                "must be 1 to 64 characters from A-Z, a-z, 0-9, '_' and '-' "
                "(ids appear in URLs); it is ''",
            )
        ],
    ),
    "thread id that is not URL-safe": (
        lambda: [
            Thread(
                "a/b",
                "Slash",
                entries=[Entry("ab-0", "a/b", "post", 0, body="x")],
            )
        ],
        [
            (
                "a/b",
                None,
                "id",
                "must be 1 to 64 characters from A-Z, a-z, 0-9, '_' and '-' "
                "(ids appear in URLs); it is 'a/b'",
            )
        ],
    ),
    "negative position": (
        lambda: [with_entry(kettle(), 1, position=-1)],
        [("kettle", "kettle-1", "position", "must be an integer >= 0; it is -1")],
    ),
    "position taken twice": (
        lambda: [with_entry(kettle(), 2, position=1)],
        [("kettle", "kettle-2", "position", "1 is taken by another entry of the thread")],
    ),
    "post not at position 0": (
        lambda: [with_entry(kettle(), 0, position=3)],
        [("kettle", "kettle-0", "position", "a post is the thread's entry 0; it is 3")],
    ),
    "negative depth": (
        lambda: [with_entry(kettle(), 1, depth=-1)],
        [("kettle", "kettle-1", "depth", "must be an integer >= 0; it is -1")],
    ),
    "body that is not a string": (
        lambda: [with_entry(kettle(), 1, body=None)],
        [("kettle", "kettle-1", "body", "must be a string, not NoneType")],
    ),
    "thread with no entries": (
        lambda: [replace(kettle(), entries=[])],
        [
            (
                "kettle",
                None,
                "entries",
                "a thread needs at least one entry; to remove one, use delete_thread",
            )
        ],
    ),
    "negative declared_count": (
        lambda: [replace(kettle(), declared_count=-2)],
        [("kettle", None, "declared_count", "must be an integer >= 0 or None; it is -2")],
    ),
    "same thread twice in one call": (
        lambda: [
            kettle(comments=1),
            Thread("kettle", "Kettle tips", entries=[Entry("kettle-5", "kettle", "comment", 5)]),
        ],
        [("kettle", None, "id", "the thread is given twice: send its entries in one Thread")],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_add_threads_rejects_and_writes_nothing(
    case: str, store: ThreadIndex, seed_index_copy: Path
) -> None:
    make, expected = CASES[case]
    before = snapshot(seed_index_copy)
    with pytest.raises(ValidationError) as caught:
        add_threads(store, make())
    assert caught.value.problems == expected
    thread, entry, field, message = expected[0]
    where = f"thread {thread!r}" + (f", entry {entry!r}" if entry is not None else "")
    assert str(caught.value).startswith(f"{where}, field {field}: {message}")
    assert "Nothing was written" in str(caught.value)
    assert snapshot(seed_index_copy) == before
    assert stats(store).entries == 27


@pytest.mark.parametrize("case", ["unknown kind", "naive timestamp", "thread with no entries"])
def test_replace_thread_rejects_and_writes_nothing(
    case: str, store: ThreadIndex, seed_index_copy: Path
) -> None:
    make, expected = CASES[case]
    before = snapshot(seed_index_copy)
    with pytest.raises(ValidationError) as caught:
        replace_thread(store, make()[0])
    assert caught.value.problems == expected
    assert snapshot(seed_index_copy) == before


def test_every_problem_of_a_call_is_listed(store: ThreadIndex, seed_index_copy: Path) -> None:
    bad = with_entry(kettle(), 1, kind="reply", timestamp=datetime(2024, 5, 1))
    other = with_entry(kettle("teapot"), 2, thread_id="kettle")
    before = snapshot(seed_index_copy)
    with pytest.raises(ValidationError) as caught:
        add_threads(store, [bad, other])
    assert [(t, e, f) for t, e, f, _ in caught.value.problems] == [
        ("kettle", "kettle-1", "kind"),
        ("kettle", "kettle-1", "timestamp"),
        ("teapot", "teapot-2", "thread_id"),
    ]
    assert "(and 2 more problems)" in str(caught.value)
    assert snapshot(seed_index_copy) == before


def test_a_reply_may_name_a_parent_already_in_the_index(store: ThreadIndex) -> None:
    add_threads(store, [kettle(comments=1)])
    reply = Entry("kettle-7", "kettle", "comment", 7, body="Agreed.", parent_id="kettle-1")
    assert add_threads(store, [replace(kettle(), entries=[reply])]) == WriteResult(1, 1)
    assert get_entry(store, "kettle-7").parent_id == "kettle-1"


def test_a_parent_in_another_indexed_thread_is_rejected(
    store: ThreadIndex, seed_index_copy: Path
) -> None:
    add_threads(store, [kettle("teapot", comments=1)])
    reply = Entry("kettle-7", "kettle", "comment", 7, body="Agreed.", parent_id="teapot-1")
    before = snapshot(seed_index_copy)
    with pytest.raises(ValidationError) as caught:
        add_threads(store, [replace(kettle(), entries=[reply])])
    assert [(t, e, f) for t, e, f, _ in caught.value.problems] == [
        ("kettle", "kettle-7", "parent_id")
    ]
    assert snapshot(seed_index_copy) == before


def test_replace_thread_needs_every_parent_in_the_new_version(store: ThreadIndex) -> None:
    add_threads(store, [kettle()])
    orphan = replace(kettle(), entries=kettle().entries[1:])  # replies to the dropped post
    with pytest.raises(ValidationError) as caught:
        replace_thread(store, orphan)
    assert caught.value.problems == [
        (
            "kettle",
            f"kettle-{n}",
            "parent_id",
            "must be the id of another entry of the thread, or None; it is 'kettle-0'",
        )
        for n in (1, 2)
    ]
    assert get_thread(store, "kettle").entry_count == 3


def test_a_valid_thread_beside_a_bad_one_is_not_written(store: ThreadIndex) -> None:
    with pytest.raises(ValidationError):
        add_threads(store, [kettle("teapot"), with_entry(kettle(), 1, kind="pst")])
    with pytest.raises(NotFoundError):
        get_thread(store, "teapot")


# --- writing ---------------------------------------------------------------------------------


def test_add_threads_writes_every_thread_in_one_commit(
    store: ThreadIndex, seed_index_copy: Path
) -> None:
    generation = store.generation
    result = add_threads(store, [kettle(), kettle("teapot", comments=1)])
    assert result == WriteResult(threads=2, entries=5)
    assert result.to_dict() == {"threads": 2, "entries": 5}
    assert store.generation == generation + 1
    assert stats(store).entries == 27 + 5
    thread = get_thread(store, "kettle")
    assert [(e.id, e.kind, e.parent_id) for e in thread.entries] == [
        ("kettle-0", "post", None),
        ("kettle-1", "comment", "kettle-0"),
        ("kettle-2", "comment", "kettle-0"),
    ]
    assert thread.tags == ["home"]
    assert get_entry(store, "kettle-2").timestamp == datetime(
        2024, 5, 1, 11, 30, tzinfo=timezone.utc
    )
    # Plain segment files, as ingest writes: a searcher reads a compound one whole.
    assert list(seed_index_copy.glob("*.seg")) == []


def test_add_threads_replaces_entries_by_id_and_keeps_the_others(store: ThreadIndex) -> None:
    add_threads(store, [kettle()])
    changed = replace(kettle(), entries=[replace(kettle().entries[1], body="Lemon juice.")])
    assert add_threads(store, [changed]) == WriteResult(threads=1, entries=1)
    bodies = [e.body for e in get_thread(store, "kettle").entries]
    assert bodies == [
        "Vinegar descales a kettle.",
        "Lemon juice.",
        "Citric acid works too, reply 2.",
    ]
    assert stats(store).entries == 27 + 3


def test_add_threads_stores_an_entry_kind_member_as_its_value(store: ThreadIndex) -> None:
    thread = with_entry(kettle(), 1, kind=EntryKind.TRACKBACK)
    add_threads(store, [thread])
    assert get_entry(store, "kettle-1").kind == "trackback"
    assert thread.entries[1].kind is EntryKind.TRACKBACK  # the caller's entry is untouched


def test_replace_thread_removes_entries_missing_from_the_new_version(store: ThreadIndex) -> None:
    add_threads(store, [kettle(comments=3)])
    generation = store.generation
    new = kettle(comments=3)
    new = replace(new, entries=[new.entries[0], replace(new.entries[2], body="Kept, edited.")])
    assert replace_thread(store, new) == WriteResult(threads=1, entries=2)
    assert store.generation == generation + 1
    entries = get_thread(store, "kettle").entries
    assert [(e.id, e.body) for e in entries] == [
        ("kettle-0", "Vinegar descales a kettle."),
        ("kettle-2", "Kept, edited."),
    ]
    assert stats(store).entries == 27 + 2


def test_replace_thread_adds_a_new_thread(store: ThreadIndex) -> None:
    seed = seed_thread(store)
    assert replace_thread(store, kettle()) == WriteResult(threads=1, entries=3)
    assert get_thread(store, "kettle").entry_count == 3
    assert get_thread(store, seed).entry_count == 27


def test_delete_thread_removes_its_entries(store: ThreadIndex) -> None:
    add_threads(store, [kettle()])
    assert delete_thread(store, "kettle") == 3
    with pytest.raises(NotFoundError):
        get_thread(store, "kettle")
    assert stats(store).entries == 27


def test_delete_thread_of_an_unknown_id_raises_and_commits_nothing(
    store: ThreadIndex, seed_index_copy: Path
) -> None:
    before = snapshot(seed_index_copy)
    with pytest.raises(NotFoundError) as caught:
        delete_thread(store, "no-such-thread")
    assert str(caught.value).startswith("no thread with id 'no-such-thread' in the index at ")
    assert snapshot(seed_index_copy) == before


# --- one writer at a time --------------------------------------------------------------------


def test_add_threads_while_another_writer_holds_the_lock_is_busy(
    store: ThreadIndex, seed_index_copy: Path
) -> None:
    with lock_held(seed_index_copy):
        before = snapshot(seed_index_copy)
        with pytest.raises(IndexBusyError) as caught:
            add_threads(store, [kettle()], wait=0)
        assert snapshot(seed_index_copy) == before
    message = str(caught.value)
    assert message.startswith(f"the index at {seed_index_copy} is busy: another writer")
    assert "Nothing was written" in message and "--wait SECONDS" in message
    with pytest.raises(NotFoundError):
        get_thread(store, "kettle")


def test_add_threads_waits_for_the_other_writer_to_finish(
    store: ThreadIndex, seed_index_copy: Path
) -> None:
    calls: list[str] = []
    with lock_held(seed_index_copy) as release:

        def on_busy() -> None:
            calls.append("busy")
            release.set()  # the other writer finishes while this one waits

        result = add_threads(store, [kettle()], wait=120, on_busy=on_busy)
    assert calls == ["busy"]
    assert result == WriteResult(threads=1, entries=3)
    assert get_thread(store, "kettle").entry_count == 3


def test_every_writer_of_the_index_reports_busy(store: ThreadIndex, seed_index_copy: Path) -> None:
    seed = seed_thread(store)
    with lock_held(seed_index_copy):
        before = snapshot(seed_index_copy)
        with pytest.raises(IndexBusyError):
            replace_thread(store, kettle())
        with pytest.raises(IndexBusyError):
            delete_thread(store, seed)
        with pytest.raises(IndexBusyError):
            store.delete_thread(seed)
        with pytest.raises(IndexBusyError):
            store.ingest([kettle()])
        with pytest.raises(IndexBusyError), store.writer():
            pass
        assert snapshot(seed_index_copy) == before
    assert get_thread(store, seed).entry_count == 27


def test_an_entry_id_of_another_indexed_thread_is_rejected(
    store: ThreadIndex, seed_index_copy: Path
) -> None:
    add_threads(store, [kettle("teapot", comments=1)])
    before = snapshot(seed_index_copy)
    # "teapot-1" is the teapot thread's reply: written into kettle, it would move there.
    thief = with_entry(kettle(), 1, id="teapot-1")
    for write in (add_threads, lambda index, threads: replace_thread(index, threads[0])):
        with pytest.raises(ValidationError) as caught:
            write(store, [thief])
        assert caught.value.problems == [
            (
                "kettle",
                "teapot-1",
                "id",
                "belongs to an entry of thread 'teapot' in the index; ids are unique",
            )
        ]
    assert snapshot(seed_index_copy) == before
    assert [e.id for e in get_thread(store, "teapot").entries] == ["teapot-0", "teapot-1"]


def test_a_position_taken_in_the_indexed_thread_is_rejected(
    store: ThreadIndex, seed_index_copy: Path
) -> None:
    add_threads(store, [kettle()])
    before = snapshot(seed_index_copy)
    second_post = Entry("kettle-9", "kettle", "post", 0, body="A second post.", timestamp=WHEN)
    with pytest.raises(ValidationError) as caught:
        add_threads(store, [Thread("kettle", "Kettle tips", entries=[second_post])])
    assert caught.value.problems == [
        ("kettle", "kettle-9", "position", "0 is taken by entry 'kettle-0' of the indexed thread")
    ]
    assert snapshot(seed_index_copy) == before
    # replace_thread drops the indexed entries, so their positions are free.
    replace_thread(store, Thread("kettle", "Kettle tips", entries=[second_post]))
    assert [e.id for e in get_thread(store, "kettle").entries] == ["kettle-9"]


def test_delete_of_an_unknown_thread_answers_at_once_while_another_writes(
    store: ThreadIndex, seed_index_copy: Path
) -> None:
    with lock_held(seed_index_copy):
        with pytest.raises(NotFoundError):
            delete_thread(store, "no-such-thread")


def test_a_parent_deleted_while_the_call_waits_is_caught_under_the_lock(
    store: ThreadIndex, seed_index_copy: Path
) -> None:
    add_threads(store, [kettle()])
    reply = Entry("kettle-7", "kettle", "comment", 7, body="Late.", parent_id="kettle-1")
    holding, asked = threading.Event(), threading.Event()

    def other_writer() -> None:
        with open_index(seed_index_copy) as other:
            writer = other.whoosh.writer()
            holding.set()
            asked.wait()
            writer.delete_by_term("id", "kettle-1")
            writer.commit()

    holder = threading.Thread(target=other_writer)
    holder.start()
    holding.wait()
    # The first check passes (kettle-1 is there); the call then waits for the lock,
    # the other writer deletes kettle-1, and the check under the lock refuses the reply.
    with pytest.raises(ValidationError) as caught:
        add_threads(
            store, [Thread("kettle", "Kettle tips", entries=[reply])], wait=60, on_busy=asked.set
        )
    holder.join()
    assert [p[2] for p in caught.value.problems] == ["parent_id"]
    assert [e.id for e in get_thread(store, "kettle").entries] == ["kettle-0", "kettle-2"]


def test_cancelled_writes_beside_waiting_writers_lose_nothing(
    store: ThreadIndex, seed_index_copy: Path
) -> None:
    """A cancelled writer cleans up only with the lock: never another writer's new files."""
    rounds = 40
    errors: list[BaseException] = []

    def add(prefix: str) -> None:
        try:
            for n in range(rounds):
                add_threads(store, [kettle(f"{prefix}{n}", comments=1)], wait=60)
        except BaseException as error:  # reported below
            errors.append(error)

    def cancel() -> None:
        try:
            for _ in range(rounds):
                with pytest.raises(RuntimeError), store.writer(wait=60):
                    raise RuntimeError("the caller gives up; the writer is cancelled")
        except BaseException as error:  # reported below
            errors.append(error)

    workers = [threading.Thread(target=add, args=(p,)) for p in "ab"]
    workers.append(threading.Thread(target=cancel))
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    with open_index(seed_index_copy) as reopened:
        assert stats(reopened).entries == 27 + 2 * rounds * 2
        for prefix in "ab":
            for n in range(rounds):
                assert get_thread(reopened, f"{prefix}{n}").entry_count == 2


# --- documentation ---------------------------------------------------------------------------


def test_the_examples_in_the_docstrings_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    for name in threadsearch.writes.__all__:
        value = getattr(threadsearch.writes, name)
        if callable(value) and name != "Problem":
            assert ">>>" in (value.__doc__ or ""), name
    result = doctest.testmod(threadsearch.writes, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
