"""One ThreadIndex shared by many threads while a writer commits (issue 9, point 2).

The stress tests count every exception and every inconsistent answer instead of
stopping at the first, so a failure message says how many of the calls went wrong.
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil
import pytest
from threadsearch.errors import IndexNotFoundError, SearchError
from threadsearch.export import iter_index_threads
from threadsearch.index import ThreadIndex, open_index
from threadsearch.model import Entry, SearchRequest, SearchResult, Thread, thread_id_for
from threadsearch.query.engine import get_entry, get_thread, list_threads, search, similar, stats

from tests.conftest import ROOT, running_server

READERS = 16
CALLS = 200
#: The writer commits once per this many finished reader calls (20 commits).
CALLS_PER_COMMIT = 160
SEED_ENTRIES = 27


def marker(number: int) -> str:
    """A word of letters only, unique to the writer's ``number``-th thread."""
    letters = ""
    while True:
        number, digit = divmod(number, 26)
        letters += chr(ord("a") + digit)
        if number == 0:
            return "zq" + letters


def writer_thread(number: int) -> Thread:
    """A small thread that shares words with the seed, so readers' results change."""
    thread_id = thread_id_for(f"stress-{number}")
    word = marker(number)
    bodies = [
        f"{word} North Korean refugees cross the border into China",
        f"{word} the refugees need help; China sends them back",
        f"{word} a reply about the border",
    ]
    entries = [
        Entry(
            id=f"{thread_id}-{position}",
            thread_id=thread_id,
            kind="post" if position == 0 else "comment",
            position=position,
            body=body,
            author=f"writer{position}",
            timestamp=datetime(2005, 10, 5, 12, position),
        )
        for position, body in enumerate(bodies)
    ]
    return Thread(id=thread_id, title=f"Stress thread {word}", entries=entries)


# --- the checks each reader call makes -----------------------------------------------------


def _check_result(index: ThreadIndex, request: SearchRequest, result: SearchResult) -> list[str]:
    problems = []
    if "kind" in request.facets and not request.kind and request.collapse is None:
        counted = sum(value.count for value in result.facets["kind"].values)
        if counted != result.total:
            problems.append(f"{request.q!r}: total {result.total} != kind counts {counted}")
    for hit in result.hits:
        entry = get_entry(index, hit.id)
        if (entry.id, entry.thread_id) != (hit.id, hit.thread_id):
            problems.append(f"{hit.id}: get_entry gave {entry.id}")
    return problems


def _search_and_fetch(index: ThreadIndex, request: SearchRequest) -> list[str]:
    result = search(index, request)
    problems = _check_result(index, request, result)
    if result.hits:
        first = result.hits[0]
        thread = get_thread(index, first.thread_id)
        ids = [entry.id for entry in thread.entries]
        if first.id not in ids or thread.entry_count != len(ids):
            problems.append(f"{first.thread_id}: get_thread lacks {first.id}")
    return problems


def _stats(index: ThreadIndex) -> list[str]:
    found = stats(index)
    if found.entries != sum(found.kinds.values()):
        return [f"stats: {found.entries} entries != kinds {found.kinds}"]
    return []


def _threads(index: ThreadIndex) -> list[str]:
    listed = list_threads(index, per_page=5)
    problems = [f"list_threads: {t.id} empty" for t in listed.threads if not t.entry_count]
    exported = list(iter_index_threads(index))
    for thread in exported:
        if [e.position for e in thread.entries] != sorted(e.position for e in thread.entries):
            problems.append(f"export: {thread.id} out of order")
    if len(exported) < SEED_THREADS:
        problems.append(f"export: {len(exported)} threads")
    return problems


def _similar(index: ThreadIndex) -> list[str]:
    first = search(index, SearchRequest(q="refugees", per_page=1)).hits[0]
    related = similar(index, first.id, 3)
    return [
        f"similar: {hit.id} is not {got}"
        for hit in related.hits
        if (got := get_entry(index, hit.id).id) != hit.id
    ]


SEED_THREADS = 1
SINCE, UNTIL = datetime(2005, 10, 1), datetime(2005, 10, 13)
REQUESTS = [
    SearchRequest(q="refugees", facets=["kind", "author"], per_page=5),
    SearchRequest(q="korea china", facets=["kind", "month"], per_page=5),
    SearchRequest(q='"north korean"', facets=["kind"], per_page=5),
    SearchRequest(q="border OR help", facets=["kind", "thread"], sort="newest", per_page=5),
    SearchRequest(q="", facets=["kind", "author"], sort="oldest", since=SINCE, until=UNTIL),
    SearchRequest(q="refug*", facets=["kind"], kind=["comment"], page=2, per_page=5),
    SearchRequest(q="china", facets=["kind"], collapse="thread", per_page=5),
    SearchRequest(q="", facets=["kind", "month"], sort="newest", per_page=5),
]
OPERATIONS: list[Callable[[ThreadIndex], list[str]]] = [
    *[lambda index, r=request: _search_and_fetch(index, r) for request in REQUESTS],
    _stats,
    _threads,
    _similar,
]


# --- in one process -----------------------------------------------------------------------


class Progress:
    """Counts finished reader calls; the writer waits on it to pace its commits."""

    def __init__(self, readers: int = READERS) -> None:
        self.readers = readers
        self.calls = 0
        self.readers_done = 0
        self.condition = threading.Condition()

    def call_done(self) -> None:
        with self.condition:
            self.calls += 1
            self.condition.notify_all()

    def reader_done(self) -> None:
        with self.condition:
            self.readers_done += 1
            self.condition.notify_all()

    def wait_for(self, calls: int) -> bool:
        """Wait until ``calls`` calls finished; False when every reader finished first."""
        with self.condition:
            self.condition.wait_for(
                lambda: self.calls >= calls or self.readers_done == self.readers
            )
            return self.calls >= calls


def test_index_shared_by_threads_while_a_writer_commits(seed_index_copy: Path) -> None:
    index = open_index(seed_index_copy)
    errors: Counter[str] = Counter()
    examples: dict[str, str] = {}
    problems: list[str] = []
    lock = threading.Lock()
    progress = Progress()
    start = threading.Barrier(READERS + 2)
    committed: queue.Queue[tuple[str, str] | None] = queue.Queue()

    def record(error: BaseException | None, found: list[str]) -> None:
        with lock:
            if error is not None:
                errors[type(error).__name__] += 1
                where = traceback.extract_tb(error.__traceback__)[-1]
                examples.setdefault(
                    type(error).__name__, f"{str(error)[:100]} at {where.filename}:{where.lineno}"
                )
            problems.extend(found)

    def reader(number: int) -> None:
        start.wait()
        try:
            for call in range(CALLS):
                operation = OPERATIONS[(number + call) % len(OPERATIONS)]
                try:
                    record(None, operation(index))
                except Exception as error:  # counted, reported below
                    record(error, [])
                progress.call_done()
        finally:
            progress.reader_done()

    def writer() -> None:
        start.wait()
        number = 0
        while progress.wait_for((number + 1) * CALLS_PER_COMMIT):
            thread = writer_thread(number)
            try:
                index.ingest([thread])
            except Exception as error:
                record(error, [])
                break
            committed.put((marker(number), thread.id))
            number += 1
        committed.put(None)

    def checker() -> None:
        # After an ingest returns, another thread must find its thread at once.
        start.wait()
        while (item := committed.get()) is not None:
            word, thread_id = item
            try:
                result = search(index, SearchRequest(q=word))
                found = {hit.thread_id for hit in result.hits}
                if (result.total, found) != (3, {thread_id}):
                    record(None, [f"{word}: {result.total} hits in {found} after its commit"])
                if get_thread(index, thread_id).entry_count != 3:
                    record(None, [f"{word}: get_thread after its commit"])
            except Exception as error:
                record(error, [])
        with lock:
            visible.append(True)

    visible: list[bool] = []
    workers = [threading.Thread(target=reader, args=(n,)) for n in range(READERS)]
    workers += [threading.Thread(target=writer), threading.Thread(target=checker)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    commits = stats(index).threads - SEED_THREADS
    index.close()
    calls = READERS * CALLS
    summary = (
        f"{sum(errors.values())} of {calls} calls raised, {len(problems)} inconsistent, "
        f"{commits} commits: {dict(errors)}; for example {examples}; {problems[:5]}"
    )
    assert not errors, summary
    assert problems == [], summary
    assert visible == [True]
    assert commits >= calls // CALLS_PER_COMMIT - 1


# --- a merge under a pinned generation -----------------------------------------------------


def _segment_files(directory: Path) -> set[str]:
    return {p.name for p in directory.iterdir() if p.name.startswith("threadsearch_")}


@pytest.fixture
def five_commits(seed_index_copy: Path) -> Iterator[ThreadIndex]:
    """The seed and five small commits: enough small segments for Whoosh to merge them
    on the next write through ``ThreadIndex.writer`` (its default merge policy)."""
    index = open_index(seed_index_copy)
    for number in range(5):
        index.ingest([writer_thread(number)])
    yield index
    index.close()


def test_a_pinned_generation_reads_on_after_a_merge_deletes_its_files(
    five_commits: ThreadIndex,
) -> None:
    index = five_commits
    gone = writer_thread(2)
    with index.reading():
        files = _segment_files(index.path)
        deleter = threading.Thread(target=index.delete_thread, args=(gone.id,))
        deleter.start()
        deleter.join()
        removed = files - _segment_files(index.path)
        # Still the generation before the delete, read from files no longer on disk.
        thread = get_thread(index, gone.id)
        result = search(index, SearchRequest(q=marker(2), facets=["kind"]))
        entries = [get_entry(index, hit.id).body for hit in result.hits]
        related = similar(index, f"{gone.id}-0", 3)
        counted = stats(index)
    assert len(removed) > 10, "the delete must merge segments and remove their files"
    assert [e.body for e in thread.entries] == [e.body for e in gone.entries]
    assert result.total == 3 and sorted(entries) == sorted(e.body for e in gone.entries)
    assert len(related.hits) == 3
    assert counted.entries == SEED_ENTRIES + 5 * 3
    # The next read sees the delete.
    assert search(index, SearchRequest(q=marker(2))).total == 0
    assert stats(index).entries == SEED_ENTRIES + 4 * 3


def test_an_export_reads_one_generation_while_another_thread_deletes(
    five_commits: ThreadIndex,
) -> None:
    index = five_commits
    gone = writer_thread(4)
    threads = iter_index_threads(index)
    first = next(threads)
    deleter = threading.Thread(target=index.delete_thread, args=(gone.id,))
    deleter.start()
    deleter.join()
    exported = {thread.id: thread for thread in [first, *threads]}
    assert len(exported) == SEED_THREADS + 5
    assert [e.body for e in exported[gone.id].entries] == [e.body for e in gone.entries]
    assert gone.id not in {t.id for t in iter_index_threads(index)}


# --- closing ---------------------------------------------------------------------------------


def _open_index_files(directory: Path) -> list[str]:
    folder = str(directory.resolve())
    return [f.path for f in psutil.Process().open_files() if f.path.startswith(folder)]


def test_close_closes_the_searchers_of_every_thread(seed_index_copy: Path) -> None:
    index = open_index(seed_index_copy)
    together = threading.Barrier(4)
    totals: list[int] = []

    def read() -> None:
        with index.reading():
            together.wait()  # four reads at once: four searchers
            totals.append(search(index, SearchRequest(q="refugees")).total)

    readers = [threading.Thread(target=read) for _ in range(4)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    index.searcher()  # and this thread's own, outside any read
    assert len(set(_open_index_files(seed_index_copy))) > 10
    index.close()
    assert _open_index_files(seed_index_copy) == []
    assert len(totals) == 4 and len(set(totals)) == 1
    with pytest.raises(SearchError, match="is closed"):
        search(index, SearchRequest(q="refugees"))


# --- read-only -----------------------------------------------------------------------------


def _folder_state(directory: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in directory.iterdir()}


def _read_everything(index: ThreadIndex) -> dict[str, Any]:
    result = search(index, SearchRequest(q="refugees", facets=["kind", "author", "month"]))
    thread_id = result.hits[0].thread_id
    return {
        "total": result.total,
        "kinds": {v.value: v.count for v in result.facets["kind"].values},
        "thread": get_thread(index, thread_id).entry_count,
        "entry": get_entry(index, result.hits[0].id).id == result.hits[0].id,
        "threads": list_threads(index).total,
        "similar": len(similar(index, result.hits[0].id, 3).hits),
        "entries": stats(index).entries,
        "exported": sum(len(t.entries) for t in iter_index_threads(index)),
    }


def test_a_read_only_index_writes_nothing_to_its_folder(seed_index_copy: Path) -> None:
    before = _folder_state(seed_index_copy)
    with open_index(seed_index_copy, readonly=True) as index:
        read = _read_everything(index)
        with pytest.raises(SearchError, match="read-only; nothing was written"):
            index.ingest([writer_thread(0)])
        with pytest.raises(SearchError, match="read-only"):
            index.delete_thread(read_thread_id(index))
        with pytest.raises(SearchError, match="read-only"), index.writer():
            pass
    assert _folder_state(seed_index_copy) == before
    assert read["total"] == sum(read["kinds"].values()) > 0
    assert read["entries"] == read["exported"] == SEED_ENTRIES


def read_thread_id(index: ThreadIndex) -> str:
    thread_id: str = list_threads(index).threads[0].id
    return thread_id


def test_open_index_read_only_needs_an_existing_index(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError):
        open_index(tmp_path / "none", create=True, readonly=True)
    assert not (tmp_path / "none").exists()


READ_ONLY_SCRIPT = """
import json, sys
from pathlib import Path
from threadsearch.errors import SearchError
from threadsearch.index import open_index
sys.path.insert(0, sys.argv[2])
from tests.test_index_threads import _read_everything, writer_thread
with open_index(sys.argv[1], readonly=True) as index:
    read = _read_everything(index)
    try:
        index.ingest([writer_thread(0)])
    except SearchError as error:
        read["refused"] = str(error)
try:
    Path(sys.argv[1], "probe").write_text("x")
except OSError as error:
    read["probe"] = error.strerror
print(json.dumps(read))
"""


def test_a_read_only_index_searches_on_a_read_only_mount(
    seed_index_dir: Path, tmp_path: Path
) -> None:
    """A read-only bind mount, made in a private mount namespace (``unshare``), so it
    is gone when the process ends. Skipped where the system does not allow it."""
    unshare = shutil.which("unshare")
    if unshare is None or shutil.which("mount") is None:
        pytest.skip("needs unshare(1) and mount(8)")
    mounted = tmp_path / "mounted"
    mounted.mkdir()
    mount = 'mount --bind -o ro "$1" "$2" && exec "$3" -c "$4" "$2" "$5"'
    command = [unshare, "--user", "--map-root-user", "--mount", "sh", "-c", mount, "sh"]
    command += [str(seed_index_dir), str(mounted), sys.executable, READ_ONLY_SCRIPT, str(ROOT)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    if done.returncode != 0 and "mount" in done.stderr and "Traceback" not in done.stderr:
        pytest.skip(f"cannot make a read-only mount here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    read = json.loads(done.stdout)
    assert read["probe"] == "Read-only file system"
    assert "read-only; nothing was written" in read.pop("refused")
    assert read.pop("probe")
    assert read["entries"] == read["exported"] == SEED_ENTRIES
    assert read["total"] == sum(read["kinds"].values()) > 0


# --- under gunicorn with threads -----------------------------------------------------------

CLIENTS = 8
REQUESTS_PER_CLIENT = 60
TOKEN = "stress-token"
PATHS = [
    "/search?q=refugees&facet=kind&facet=author&per_page=5",
    "/search?q=korea+china&facet=kind&sort=newest&per_page=5",
    "/search?q=%22north+korean%22&facet=kind&facet=month&per_page=5",
    "/search?facet=kind&sort=oldest&since=2005-10-01&until=2005-10-13&per_page=5",
    "/threads?per_page=5",
    "/stats",
]


def _get(base: str, path: str) -> tuple[int, Any]:
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def _post(base: str, path: str, body: Any) -> tuple[int, Any]:
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
    try:
        connection.request("POST", path, json.dumps(body), headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def _thread_body(number: int) -> dict[str, Any]:
    thread = writer_thread(number)
    return {
        "title": thread.title,
        "url": f"https://stress.example/t/{number}",
        "entries": [
            {"kind": e.kind, "position": e.position, "body": e.body, "author": e.author}
            for e in thread.entries
        ],
    }


def test_gunicorn_threads_answer_while_a_writer_commits(
    seed_index_copy: Path, tmp_path: Path
) -> None:
    statuses: Counter[int] = Counter()
    problems: list[str] = []
    lock = threading.Lock()
    progress = Progress(readers=CLIENTS)
    start = threading.Barrier(CLIENTS + 1)

    def note(status: int, problem: str | None = None) -> None:
        with lock:
            statuses[status] += 1
            if problem:
                problems.append(problem)

    def client(base: str, number: int) -> None:
        start.wait()
        try:
            for call in range(REQUESTS_PER_CLIENT):
                status, body = _get(base, PATHS[(number + call) % len(PATHS)])
                note(status)
                if status == 200 and "hits" in body and body["hits"]:
                    kinds = sum(v["count"] for v in body["facets"]["kind"]["values"])
                    if kinds != body["total"]:
                        note(status, f"total {body['total']} != kind counts {kinds}")
                    entry_status, entry = _get(base, f"/entries/{body['hits'][0]['id']}")
                    note(entry_status, None if entry_status == 200 else str(entry))
                progress.call_done()
        finally:
            progress.reader_done()

    def writer(base: str) -> None:
        start.wait()
        number = 0
        while progress.wait_for((number + 1) * 40):
            status, body = _post(base, "/threads", _thread_body(number))
            note(status, None if status == 201 else f"POST: {body}")
            status, found = _get(base, f"/search?q={marker(number)}")
            if found.get("total") != 3:
                note(status, f"{marker(number)}: {found.get('total')} hits after its commit")
            number += 1
        with lock:
            commits.append(number)

    commits: list[int] = []
    log = tmp_path / "server.log"
    options = ("--workers", "1", "--threads", "8")
    env = {"THREADSEARCH_API_TOKEN": TOKEN}
    with running_server(seed_index_copy, log, *options, env=env) as base:
        threads = [threading.Thread(target=client, args=(base, n)) for n in range(CLIENTS)]
        threads.append(threading.Thread(target=writer, args=(base,)))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    summary = f"{server_errors} responses 5xx of {statuses.total()}: {dict(statuses)}"
    assert server_errors == 0, summary + "\n" + log.read_text()[-3000:]
    assert problems == [], summary
    assert set(statuses) == {200, 201}, summary
    assert statuses[201] == commits[0] >= CLIENTS * REQUESTS_PER_CLIENT // 40 - 1


def test_serve_help_documents_threads() -> None:
    from click.testing import CliRunner
    from threadsearch.api.cli import main

    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--threads INTEGER RANGE" in result.output
    assert "gthread" in result.output


def test_serve_raises_the_open_file_limit_to_the_hard_limit() -> None:
    resource = pytest.importorskip("resource")
    from threadsearch.api.server import raise_file_limit

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard <= 256:
        pytest.skip(f"needs a finite hard limit above 256, not {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, hard))
    try:
        raise_file_limit()
        assert resource.getrlimit(resource.RLIMIT_NOFILE) == (hard, hard)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


# --- processes -------------------------------------------------------------------------------


def _in_child(work: Callable[[], Any]) -> Any:
    """Run ``work`` in a forked child and return what it returned (JSON), or raise.

    The child reports through a pipe and leaves with ``os._exit``, so none of the
    parent's pytest machinery runs in it. The parent waits at most a minute for the
    report: a child that deadlocks (the fault some of these tests look for) is killed
    and the test fails, instead of hanging the suite.
    """
    import os
    import select
    import signal

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_end)
        try:
            report = {"value": work()}
        except BaseException:
            report = {"error": traceback.format_exc()}
        with os.fdopen(write_end, "w") as pipe:
            json.dump(report, pipe)
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        ready, _, _ = select.select([pipe], [], [], 60)
        if not ready:
            os.kill(pid, signal.SIGKILL)
        text = pipe.read() if ready else ""
    _, status = os.waitpid(pid, 0)
    assert ready, "the child hung (a lock inherited from the parent?) and was killed"
    assert os.waitstatus_to_exitcode(status) == 0
    report = json.loads(text)
    assert "error" not in report, report["error"]
    return report["value"]


def test_an_index_used_after_a_fork_refuses_and_a_fresh_one_works(
    seed_index_copy: Path,
) -> None:
    request = SearchRequest(q="refugees", facets=["kind"])
    index = open_index(seed_index_copy)
    expected = search(index, request).to_dict() | {"took_ms": 0}  # searchers now open

    def child() -> dict[str, Any]:
        refused = {}
        calls: dict[str, Callable[[], object]] = {
            "search": lambda: search(index, request),
            "get_thread": lambda: get_thread(index, read_thread_id(index)),
            "searcher": index.searcher,
            "ingest": lambda: index.ingest([writer_thread(0)]),
            "delete_thread": lambda: index.delete_thread("x"),
        }
        for name, call in calls.items():
            try:
                call()
            except SearchError as error:
                refused[name] = str(error)
        index.close()  # the parent's: leaves it alone
        with open_index(seed_index_copy) as fresh:
            found = search(fresh, request).to_dict() | {"took_ms": 0}
        return {"refused": refused, "found": found, "pid": os.getpid()}

    try:
        report = _in_child(child)
        again = search(index, request).to_dict() | {"took_ms": 0}
    finally:
        index.close()
    message = (
        f"the index at {seed_index_copy} was opened in process {os.getpid()} and cannot be "
        f"used in process {report['pid']}: open the index in each process after forking. "
        "Call open_index() in the child process instead of using the parent's ThreadIndex."
    )
    assert report["refused"] == dict.fromkeys(
        ["search", "get_thread", "searcher", "ingest", "delete_thread"], message
    )
    assert report["found"] == expected == again
    assert stats_entries(seed_index_copy) == SEED_ENTRIES  # the child wrote nothing


def stats_entries(directory: Path) -> int:
    with open_index(directory, readonly=True) as index:
        return stats(index).entries


def test_a_fork_while_the_parent_holds_an_index_lock_leaves_the_child_free(
    seed_index_dir: Path,
) -> None:
    request = SearchRequest(q="refugees", facets=["kind", "author"])
    with open_index(seed_index_dir) as index:
        expected = search(index, request).total
        # As if another thread were building columns at the moment of the fork.
        with index.segment_lock:
            total = _in_child(lambda: _fresh_total(seed_index_dir, request))
    assert total == expected > 0


def _fresh_total(directory: Path, request: SearchRequest) -> int:
    with open_index(directory) as index:
        return search(index, request).total


def test_a_searcher_that_fails_to_open_closes_the_files_it_opened(
    seed_index_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    import threadsearch.index as index_module

    with open_index(seed_index_copy) as writer:
        writer.ingest([writer_thread(0)])  # a second segment
    real = index_module._hold_segment_files
    held: list[object] = []

    def hold_then_run_out(reader: Any, names: set[str]) -> None:
        if held:  # the second segment: a fault we cannot cause on demand
            raise OSError(errno.EMFILE, "Too many open files")
        real(reader, names)
        held.append(reader)

    monkeypatch.setattr(index_module, "_hold_segment_files", hold_then_run_out)
    index = open_index(seed_index_copy)
    assert _open_index_files(seed_index_copy) == []
    with pytest.raises(OSError, match="Too many open files") as raised:
        search(index, SearchRequest(q="refugees"))
    # The traceback (which keeps the half-built searcher's locals) is still alive here.
    assert raised.value.errno == errno.EMFILE and len(held) == 1
    assert _open_index_files(seed_index_copy) == []
    index.close()


def test_an_app_used_before_a_fork_opens_its_own_index_in_the_child(client: Any) -> None:
    """As a preloading server (``gunicorn --preload``) would: the parent answered a
    request, so the app holds an open index, and then forks its workers."""
    parent = client.get("/stats").get_json()
    opened = client.application.extensions["threadsearch"]

    def child() -> dict[str, Any]:
        response = client.get("/stats")
        mine = client.application.extensions["threadsearch"]
        return {
            "status": response.status_code,
            "body": response.get_json(),
            "reopened": mine is not opened and mine.pid == os.getpid(),
        }

    report = _in_child(child)
    assert report == {"status": 200, "body": parent, "reopened": True}
    assert client.application.extensions["threadsearch"] is opened
