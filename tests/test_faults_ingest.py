"""Faults during an ingest: a real ``threadsearch ingest`` killed, a full disk, two writers.

Every test works on a real index on disk and checks exact document counts before and
after. The killed ingests read six R-help months (294 messages) from the shared
corpora, in batches of 100 entries, so a run makes three commits.
"""

from __future__ import annotations

import errno
import gc
import gzip
import json
import os
import re
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import whoosh.index
from threadsearch import SearchRequest, search
from threadsearch.errors import IndexWriteError
from threadsearch.index import open_index
from threadsearch.ingest import IngestOptions, Progress, ingest_paths
from threadsearch.ledger import LEDGER_FILE, PARTIAL
from whoosh.filedb.filestore import FileStorage

from tests.conftest import CORPORA, DATA, ROOT, SEED
from tests.test_writes import snapshot

MONTHS = [f"r-help-1997-{m:02d}.txt.gz" for m in range(4, 10)]
#: Messages in those files, counted by their pipermail separator lines (``From x at y
#: Tue Apr  1 10:35:48 1997``) as SOURCES.md counts them.
MESSAGES = 294
SEPARATOR = re.compile(rb"^From \S+ at \S+\s+\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4}\s*$", re.M)
BATCH = 100
#: Hits of "bounty" in the seed thread (the post and a comment).
SEED_BOUNTY_HITS = 2
INDEX_NAME = "threadsearch"
SEGMENT_FILE = re.compile(rf"{INDEX_NAME}_([a-z0-9]{{16}})\.")
CLI = [sys.executable, "-c", "from threadsearch.api.cli import main; main()"]


@pytest.fixture(scope="module")
def months() -> list[Path]:
    folder = CORPORA / "bulk" / "r-help"
    if not folder.is_dir():
        pytest.skip(f"the R-help archive is not at {folder}")
    files = [folder / name for name in MONTHS]
    assert sum(len(SEPARATOR.findall(gzip.decompress(f.read_bytes()))) for f in files) == MESSAGES
    return files


def documents(directory: Path) -> dict[str, dict[str, Any]]:
    """Every stored document of the index at ``directory``, by entry id."""
    ix = whoosh.index.open_dir(str(directory), indexname=INDEX_NAME)
    with ix.searcher() as searcher:
        return {doc["id"]: dict(doc) for doc in searcher.documents()}


@pytest.fixture(scope="module")
def clean_run(months: list[Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The documents of an uninterrupted batched ingest of the months."""
    directory = tmp_path_factory.mktemp("clean") / "index"
    with open_index(directory, create=True) as index:
        report = ingest_paths(index, list(months), IngestOptions(batch_entries=BATCH))
    assert report.skipped == []
    return documents(directory)


def test_batched_ingest_equals_one_commit(
    months: list[Path], clean_run: dict[str, Any], tmp_path: Path
) -> None:
    with open_index(tmp_path / "index", create=True) as index:
        report = ingest_paths(index, list(months), IngestOptions(atomic=True))
    assert report.entries == len(clean_run) == MESSAGES
    assert documents(tmp_path / "index") == clean_run


# A batch closes at the end of the thread that takes it to 100 entries, inside a file if
# need be: 294 entries in threads of at most a few make three commits. A budget of exactly
# 294 is reached at the last thread of the last file: one commit, not a second, empty one.
@pytest.mark.parametrize(("batch", "commits"), [(BATCH, 3), (MESSAGES, 1)])
def test_batched_ingest_commits_every_batch_and_records_each_file(
    months: list[Path], clean_run: dict[str, Any], tmp_path: Path, batch: int, commits: int
) -> None:
    directory = tmp_path / "index"
    with open_index(directory, create=True) as index:
        report = ingest_paths(index, list(months), IngestOptions(batch_entries=batch))
        generation = index.whoosh.latest_generation()
        again = ingest_paths(index, list(months), IngestOptions(batch_entries=batch))
        generation_again = index.whoosh.latest_generation()
    ledger = json.loads((directory / LEDGER_FILE).read_text())
    assert generation == ledger["generation"] == commits
    assert not any(PARTIAL in record for record in ledger["files"].values())
    assert report.entries == MESSAGES
    assert sorted(record["path"] for record in ledger["files"].values()) == sorted(map(str, months))
    assert sum(record["entries"] for record in ledger["files"].values()) == MESSAGES
    assert (again.entries, len(again.skipped), generation_again) == (0, 6, commits)
    assert documents(directory) == clean_run


def test_a_batch_closes_at_a_sixteenth_of_the_input_bytes(
    months: list[Path], clean_run: dict[str, Any], tmp_path: Path, monkeypatch: Any
) -> None:
    # The months are 150,845 bytes: a sixteenth (9,427) is less than any of them, so
    # with no floor the first file is a commit of its own, and every later batch holds
    # the entries a sixteenth of the input gives at the entries per byte of the files
    # finished so far (15 to 18), cut inside files at a thread's end, whatever
    # --batch-entries says.
    import threadsearch.ingest

    monkeypatch.setattr(threadsearch.ingest, "MIN_BATCH_BYTES", 0)
    directory = tmp_path / "index"
    per_commit: dict[int, int] = {}
    threads: list[int] = []
    with open_index(directory, create=True) as index:

        def count(thread: Any) -> None:
            generation = index.whoosh.latest_generation() + 1  # the commit it goes in
            per_commit[generation] = per_commit.get(generation, 0) + len(thread.entries)
            threads.append(len(thread.entries))

        ingest_paths(
            index, list(months), IngestOptions(batch_entries=100_000), Progress(on_thread=count)
        )
        generation = index.whoosh.latest_generation()
    sizes = [month.stat().st_size for month in months]
    assert sum(sizes) == 150_845
    counts = [len(SEPARATOR.findall(gzip.decompress(m.read_bytes()))) for m in months]
    budgets = [
        150_845 // 16 * sum(counts[: n + 1]) // sum(sizes[: n + 1]) for n in range(len(months))
    ]
    low, high = min(budgets), max(budgets) + max(threads)
    batches = [per_commit[g] for g in sorted(per_commit)]
    assert batches[0] == counts[0]
    assert all(low <= size < high for size in batches[1:-1])
    assert 0 < batches[-1] < high
    assert sum(batches) == MESSAGES
    assert generation == json.loads((directory / LEDGER_FILE).read_text())["generation"]
    assert generation == len(batches)
    assert documents(directory) == clean_run


class _Stop(Exception):
    """Raised from a progress callback: the batch in flight fails."""


def test_a_rerun_skips_the_threads_a_batch_cut_inside_a_file_committed(
    months: list[Path], clean_run: dict[str, Any], tmp_path: Path
) -> None:
    # Batches of 100: the first ends inside the second file (92 + 36 entries). The
    # second batch fails at its 50th entry: the first stays committed, its ledger
    # naming the first file whole and the second in part.
    directory = tmp_path / "index"
    given = 0

    def fail_in_the_second_batch(thread: Any) -> None:
        nonlocal given
        given += len(thread.entries)
        if given >= BATCH + 50:
            raise _Stop

    options = IngestOptions(batch_entries=BATCH)
    with open_index(directory, create=True) as index:
        with pytest.raises(_Stop):
            ingest_paths(index, list(months), options, Progress(on_thread=fail_in_the_second_batch))
        first_batch = index.whoosh.doc_count()
        ledger = json.loads((directory / LEDGER_FILE).read_text())
        again = ingest_paths(index, list(months), options)
    records = {Path(record["path"]).name: record for record in ledger["files"].values()}
    assert sorted(records) == MONTHS[:2]
    assert PARTIAL not in records[MONTHS[0]]
    assert records[MONTHS[1]][PARTIAL] > 0
    assert records[MONTHS[0]]["entries"] + records[MONTHS[1]]["entries"] == first_batch
    assert BATCH <= first_batch < BATCH + 50
    assert again.skipped == [str(months[0])]
    assert again.entries == MESSAGES - first_batch
    assert documents(directory) == clean_run


def _segments_in_toc(directory: Path) -> set[str]:
    ix = whoosh.index.open_dir(str(directory), indexname=INDEX_NAME)
    return {segment.segment_id() for segment in ix._segments()}


def _uncommitted_segment(directory: Path) -> bool:
    """A segment file is on disk that the latest table of contents does not name."""
    try:
        committed = _segments_in_toc(directory)
    except Exception:  # the TOC is being replaced: look again
        return False
    on_disk = {
        match.group(1)
        for path in directory.iterdir()
        if (match := SEGMENT_FILE.match(path.name)) is not None
    }
    return bool(on_disk - committed)


def _ledger_at_latest(directory: Path) -> bool:
    """A batch was committed and recorded: the ledger names the latest generation."""
    try:
        ledger = json.loads((directory / LEDGER_FILE).read_text())
        latest = whoosh.index.open_dir(str(directory), indexname=INDEX_NAME).latest_generation()
    except (OSError, ValueError):
        return False
    return bool(ledger["files"]) and ledger["generation"] == latest


class _SegmentWatch:
    """Cheap (one listing): has a segment appeared since the last table of contents?"""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.generation = -1
        self.known: set[str] = set()

    def __call__(self) -> bool:
        names = os.listdir(self.directory)
        tocs = [int(n.rsplit("_", 1)[1][:-4]) for n in names if n.endswith(".toc")]
        segments = {m.group(1) for n in names if (m := SEGMENT_FILE.match(n)) is not None}
        generation = max(tocs, default=-1)
        if generation != self.generation:
            self.generation, self.known = generation, segments
            return False
        return bool(segments - self.known)


def _killed_when(
    command: list[str],
    soon: Callable[[], bool],
    exactly: Callable[[], bool],
    timeout: float = 120,
) -> subprocess.Popen[bytes]:
    """Run ``command``; when ``soon()`` holds, freeze it (SIGSTOP) and, if ``exactly()``
    holds of the frozen state, return it frozen (for the caller to read, then SIGKILL);
    else let it go on and watch again."""
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the ingest ended ({process.returncode}) before the moment came")
        if not soon():
            continue
        process.send_signal(signal.SIGSTOP)
        if exactly():
            return process
        process.send_signal(signal.SIGCONT)


def _mid_write(directory: Path) -> bool:
    """Frozen while writing a batch's segment, its previous batch committed and recorded."""
    first = not (directory / LEDGER_FILE).exists()
    return _uncommitted_segment(directory) and (first or _ledger_at_latest(directory))


def _recorded_entries(directory: Path) -> int:
    try:
        ledger = json.loads((directory / LEDGER_FILE).read_text())
    except FileNotFoundError:
        return 0
    return sum(record["entries"] for record in ledger["files"].values())


@pytest.mark.parametrize("moment", ["after_a_commit", "mid_write"])
def test_sigkill_mid_ingest_then_rerun_equals_a_clean_run(
    months: list[Path], clean_run: dict[str, Any], tmp_path: Path, moment: str
) -> None:
    directory = tmp_path / "index"
    open_index(directory, create=True).close()
    command = [*CLI, "ingest", *map(str, months), "--index", str(directory), "--quiet"]
    command += ["--batch-entries", str(BATCH)]
    if moment == "after_a_commit":
        ready = lambda: _ledger_at_latest(directory)  # noqa: E731
        process = _killed_when(command, ready, ready)
    else:
        process = _killed_when(command, _SegmentWatch(directory), lambda: _mid_write(directory))
    try:
        committed = _recorded_entries(directory)
        generation = whoosh.index.open_dir(str(directory), indexname=INDEX_NAME).latest_generation()
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL
    # Reopened: the last commit, whole; the batch being written is not there.
    assert snapshot(directory)[:2] == (generation, committed)
    assert committed < MESSAGES
    rerun = subprocess.run(
        [*command, "--json"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    body = json.loads(rerun.stdout)
    assert body["entries"] == MESSAGES - committed
    assert len(body["skipped"]) >= (1 if committed else 0)
    assert documents(directory) == clean_run


def test_sigkill_of_an_atomic_ingest_leaves_the_index_as_it_was(
    months: list[Path], clean_run: dict[str, Any], tmp_path: Path
) -> None:
    directory = tmp_path / "index"
    with open_index(directory, create=True) as index:
        ingest_paths(index, [SEED])
    before = snapshot(directory)[:2]
    command = [*CLI, "ingest", *map(str, months), "--index", str(directory), "--quiet"]
    process = _killed_when(
        [*command, "--atomic"], _SegmentWatch(directory), lambda: _uncommitted_segment(directory)
    )
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert snapshot(directory)[:2] == before == (1, 27)
    subprocess.run(command, cwd=ROOT, capture_output=True, check=True)
    after = documents(directory)
    assert len(after) == 27 + MESSAGES
    assert {key: doc for key, doc in after.items() if key in clean_run} == clean_run


# --- a full disk ---------------------------------------------------------------------------

WHIZZY = DATA / "feed" / "whizzy-org-cisco-7941-post-comments-feed.rss.xml"


class _FullDisk:
    """Every file the index creates fails with ENOSPC once ``budget`` bytes were written
    (the fault a full disk causes, for machines where no small filesystem can be mounted)."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.written = 0
        self.failed_in: str | None = None

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        create_file = FileStorage.create_file

        def create(storage: Any, name: str, *args: Any, **kwargs: Any) -> Any:
            stream = create_file(storage, name, *args, **kwargs)
            raw = stream.file
            write = raw.write

            def limited(data: bytes) -> int:
                if self.written + len(data) > self.budget:
                    self.failed_in = self.failed_in or name
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                self.written += len(data)
                return int(write(data))

            raw.write = limited
            return stream

        monkeypatch.setattr(FileStorage, "create_file", create)


def _bytes_an_ingest_writes(directory: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    with monkeypatch.context() as patch:
        counter = _FullDisk(budget=1 << 40)
        counter.install(patch)
        index = open_index(directory)
        try:
            ingest_paths(index, [WHIZZY], IngestOptions(atomic=True))
        finally:
            index.close()
    return counter.written


@pytest.mark.parametrize("where", ["first_write", "middle", "last_write"])
def test_disk_full_during_an_ingest_leaves_the_index_as_it_was(
    seed_index_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    import shutil

    total = _bytes_an_ingest_writes(
        Path(shutil.copytree(seed_index_copy, tmp_path / "probe")), monkeypatch
    )
    budget = {"first_write": 0, "middle": total // 2, "last_write": total - 1}[where]
    before = snapshot(seed_index_copy)
    assert before[:2] == (1, 27)
    disk = _FullDisk(budget)
    disk.install(monkeypatch)
    with open_index(seed_index_copy) as index:
        with pytest.raises(IndexWriteError) as caught:
            ingest_paths(index, [WHIZZY], IngestOptions(atomic=True))
    monkeypatch.undo()
    message = str(caught.value)
    # When the disk fills while Whoosh assembles a segment's columns or writes its table
    # of contents, it leaves those files' handles (local to its code, held by the
    # traceback) to the garbage collector, which closes them: collect them here, quietly.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        del caught
        gc.collect()
    assert disk.failed_in is not None
    if where == "last_write":
        assert disk.failed_in.endswith(".toc") or ".toc." in disk.failed_in  # the commit itself
    assert message == (
        f"the index at {seed_index_copy} could not be written: No space left on device; "
        "the write was cancelled and the index is as it was. Free some space (or fix the "
        "device) and run the same command again."
    )
    assert snapshot(seed_index_copy) == before
    with open_index(seed_index_copy) as reopened:
        assert search(reopened, SearchRequest(q="bounty")).total == SEED_BOUNTY_HITS


@pytest.fixture
def small_filesystem(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs mounted for the test (root only; skipped where mount is refused)."""
    mount_point = tmp_path / "small"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)],
        capture_output=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=True)


@pytest.mark.parametrize("atomic", [True, False], ids=["atomic", "batched"])
def test_ingest_onto_a_full_filesystem_fails_clearly_and_keeps_the_last_commit(
    small_filesystem: Path, seed_index_dir: Path, months: list[Path], atomic: bool
) -> None:
    import shutil

    directory = Path(shutil.copytree(seed_index_dir, small_filesystem / "index"))
    before = snapshot(directory)
    command = [*CLI, "ingest", *map(str, months), "--index", str(directory), "--quiet"]
    command += ["--atomic"] if atomic else ["--batch-entries", str(BATCH)]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr.startswith(
        f"error: the index at {directory} could not be written: No space left on device; "
        "the write was cancelled and the index is as it was."
    )
    after = snapshot(directory)
    if atomic or after[0] == before[0]:
        assert after == before
    else:
        # Batches committed before the disk filled stay, and the ledger names them.
        assert after[1] == 27 + _recorded_entries(directory)
    with open_index(directory) as reopened:
        assert search(reopened, SearchRequest(q="bounty")).total == SEED_BOUNTY_HITS
