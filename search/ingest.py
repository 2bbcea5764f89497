"""From paths on disk to threads in the index: the one place that touches input files.

:func:`ingest_paths` expands folders (recursively, in name order), decompresses
``.gz`` files, detects each file's format (or takes ``--format``), runs the parser,
separates quoted text, and feeds the threads to the index.

By default the threads go in in batches: a commit once the batch holds
``batch_entries`` entries or a sixteenth of the run's input (once past
:data:`MIN_BATCH_BYTES`), at the end of a thread, inside a file if need be, and a
record of what each commit holds in the index's ledger (:mod:`.ledger`): the files all
in, and of a file cut by a batch's end, how many of its threads are in. A re-run after
a crash or a failed file skips the files already in, skips the threads already in of a
file cut short, and reads only the rest. A file that fails cancels its batch only;
earlier batches stay committed. With ``atomic``, everything goes in one commit: if any
file fails, nothing is written and the index stays exactly as it was.

Host-less threads (see :mod:`.hosts`) wait for the last batch, and their files are
recorded only with it, so a re-run reads them again.

It returns an :class:`~threadsearch.model.IngestSummary`: per file, its format, threads,
entries by kind, entries whose date is unknown, entries merged with a copy from another
file, and warnings, plus the files skipped as already in. With
``IngestOptions(strict=True)`` any warning fails the ingest
(:class:`~threadsearch.errors.StrictIngestError`, listing them all) and nothing is
written: a strict ingest is one commit, and every file is read first, so the error
names every warning.
"""

from __future__ import annotations

import functools
import gzip
import itertools
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import tzinfo
from pathlib import Path
from typing import Any, BinaryIO

from .errors import SearchError, SourceFormatError, StrictIngestError, UnknownFormatError
from .hosts import HostResolver, is_hostless
from .index import IngestReport, ThreadIndex
from .ledger import PARTIAL, file_key, is_partial, read_ledger, record_files, recorded_urls
from .model import FileSummary, IngestSummary, Thread
from .quotes import separate_quotes
from .schema import META_FILE
from .sources import SNIFF_BYTES, CompanionFileError, Format, detect_format, get_source
from .sources.base import SourceContext
from .writer import SegmentBuilders, entry_text_size, let_waiters_in

#: Entries per commit of a batched ingest: a re-run after a crash repeats at most this
#: many; each commit adds a segment or two to the index.
DEFAULT_BATCH_ENTRIES = 20_000
#: A batch also closes once it holds this share of the run's input: at a file's end when
#: the files it read reach a sixteenth of the input's bytes (their sizes on disk), and
#: inside a file once it holds the entries a sixteenth of the input gives at the entries
#: per byte of the files finished so far. So the work a kill loses (the batch in flight)
#: is about a sixteenth of the run, whatever the files' sizes, and a run makes at most
#: about 16 commits more than its entries ask for...
BATCH_SHARE = 16
#: ...but never for less than this many bytes of input: a commit costs a segment.
MIN_BATCH_BYTES = 256 * 1024

# Files in a folder that are never thread archives.
_SKIP_NAMES = {"README.md", "SOURCES.md", ".DS_Store"}


@dataclass
class IngestOptions:
    format: str | None = None
    timezone: tzinfo | None = None
    include_hidden: bool = False
    base_url: str | None = None
    #: Seconds to wait for another writer holding the index; then IndexBusyError.
    wait: float = 0.0
    #: Fail (StrictIngestError, nothing written) on any warning; implies ``atomic``.
    strict: bool = False
    #: One commit for the whole run (all or nothing), no batches, no skipping.
    atomic: bool = False
    #: Commit once the batch holds this many entries (at the end of a thread).
    batch_entries: int = DEFAULT_BATCH_ENTRIES

    def fingerprint(self) -> dict[str, Any]:
        """The options that shape the threads read from a file (for :mod:`.ledger`)."""
        return {
            "format": self.format,
            "timezone": str(self.timezone) if self.timezone else None,
            "include_hidden": self.include_hidden,
            "base_url": self.base_url,
        }


@dataclass
class Progress:
    """Callbacks the CLI uses to show progress; all optional."""

    on_file: Callable[[Path, int, int], None] | None = None
    on_thread: Callable[[Thread], None] | None = None
    on_warning: Callable[[str], None] | None = None
    #: Called once when another writer holds the index and the ingest starts waiting.
    on_busy: Callable[[], None] | None = None
    #: Called with the file a warning is about, and the warning (then not on_warning).
    on_file_warning: Callable[[str, str], None] | None = None
    #: Called with each file and the format it is read as.
    on_format: Callable[[Path, str], None] | None = None


def _warn(progress: Progress, path: str, message: str) -> None:
    if progress.on_file_warning is not None:
        progress.on_file_warning(path, message)
    elif progress.on_warning is not None:
        progress.on_warning(message)


def expand_paths(paths: list[str | os.PathLike[str]]) -> list[Path]:
    """Files named, and files under folders named, in a stable order."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            # An index kept beside its sources (index_data/index/) is not a source.
            indexes = [meta.parent for meta in path.rglob(META_FILE)]
            files.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and p.name not in _SKIP_NAMES
                and not p.name.startswith(".")
                and not any(p.is_relative_to(index) for index in indexes)
            )
        elif path.is_file():
            files.append(path)
        else:
            raise SearchError(f"{path}: no such file or folder")
    return files


def open_input(path: Path) -> BinaryIO:
    """Open a file for reading, decompressing ``.gz`` transparently."""
    if path.suffix == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def _sniff(path: Path) -> bytes:
    try:
        with open_input(path) as stream:
            return stream.read(SNIFF_BYTES)
    except (OSError, EOFError) as exc:
        raise SourceFormatError(str(path), f"cannot be read: {exc}") from exc


def _related_opener(path: Path) -> Callable[[str], BinaryIO | None]:
    def open_related(name: str) -> BinaryIO | None:
        sibling = path.parent / name
        return open_input(sibling) if sibling.is_file() else None

    return open_related


def iter_threads(files: list[Path], options: IngestOptions, progress: Progress) -> Iterator[Thread]:
    """Every thread of every file; host-less threads last, re-keyed where possible."""
    resolver = HostResolver()
    deferred: list[Thread] = []
    for thread in _parse_files(files, options, progress):
        if is_hostless(thread):
            deferred.append(thread)
            continue
        resolver.remember(thread)
        yield thread
    for thread in deferred:
        resolved = resolver.resolve(thread)
        if resolved is not None:
            message = f"{thread.source}: matched {resolved.url!r} from another file"
            _warn(progress, thread.source or "", message)
        yield resolved or thread


def _parse_files(files: list[Path], options: IngestOptions, progress: Progress) -> Iterator[Thread]:
    for number, path in enumerate(files, 1):
        yield from _parse_file(path, number, len(files), options, progress)


def _parse_file(
    path: Path, number: int, total: int, options: IngestOptions, progress: Progress
) -> Iterator[Thread]:
    if progress.on_file:
        progress.on_file(path, number, total)
    try:
        fmt = Format(options.format) if options.format else detect_format(_sniff(path), str(path))
    except CompanionFileError:
        return  # read by its companion (Comments.xml is read with Posts.xml)
    except ValueError:
        raise UnknownFormatError(f"unknown format {options.format!r}") from None
    if progress.on_format:
        progress.on_format(path, fmt.value)
    context = SourceContext(
        str(path),
        timezone=options.timezone,
        include_hidden=options.include_hidden,
        warn=functools.partial(_warn, progress, str(path)),
        open_related=_related_opener(path),
        base_url=options.base_url,
    )
    with open_input(path) as stream:
        try:
            for thread in get_source(fmt).parse(stream, context):
                if not thread.source:
                    thread = replace(thread, source=str(path))
                yield separate_quotes(thread)
        except (OSError, EOFError) as exc:
            raise SourceFormatError(str(path), f"cannot be read: {exc}") from exc


def ingest_paths(
    index: ThreadIndex,
    paths: list[str | os.PathLike[str]],
    options: IngestOptions | None = None,
    progress: Progress | None = None,
) -> IngestSummary:
    """Parse every file and index the threads: in batches, skipping the files the
    index's ledger says are in (see the module docs), or with ``options.atomic`` (or
    ``options.strict``) in one commit, all or nothing.

    Raises :class:`~threadsearch.errors.StrictIngestError` (nothing written) when
    ``options.strict`` and any file gave a warning.
    """
    options = options or IngestOptions()
    progress = progress or Progress()
    files = expand_paths(paths)
    if not files:
        raise SearchError("no files to ingest", hint="Name files or folders that hold some.")
    tally = Tally([str(f) for f in files], strict=options.strict)
    user_warn = progress.on_warning

    def warn(path: str, message: str) -> None:
        tally.warn(path, message)
        if user_warn:
            user_warn(message)

    progress = replace(progress, on_file_warning=warn, on_format=tally.set_format)
    if options.atomic or options.strict:
        report = index.ingest(
            tally.counted(iter_threads(files, options, progress)),
            on_thread=progress.on_thread,
            wait=options.wait,
            on_busy=progress.on_busy,
        )
    else:
        report = _BatchedIngest(index, files, options, progress, tally).run()
    return tally.summary(report.threads, report.entries, skipped=report.skipped)


@dataclass
class _OpenFile:
    """A file whose threads are being given to the index, across batches if need be."""

    path: Path
    key: str
    threads: Iterator[Thread]
    #: What the ledger records: entries and thread URLs given so far.
    record: dict[str, Any]
    #: Threads taken from the parser, host-less ones included.
    taken: int = 0
    hostless: bool = False


class _BatchedIngest:
    """One batched run: files not in the ledger, a commit every ``batch_entries``."""

    def __init__(
        self,
        index: ThreadIndex,
        files: list[Path],
        options: IngestOptions,
        progress: Progress,
        tally: Tally,
    ) -> None:
        self.index, self.files, self.options, self.progress = index, files, options, progress
        self.tally = tally
        fingerprint = options.fingerprint()
        self.keys = {path: file_key(path, fingerprint) for path in files}
        held = read_ledger(index.path, index.whoosh.latest_generation())
        self.skipped = [
            path
            for path in files
            if self.keys[path] in held and not is_partial(held[self.keys[path]])
        ]
        self.todo = [path for path in files if path not in self.skipped]
        # Files a killed run committed in part: their first threads are in.
        self.resume = {
            path: held[self.keys[path]][PARTIAL] for path in self.todo if self.keys[path] in held
        }
        self.sizes = {path: _size(path) for path in self.todo}
        self.batch_bytes = max(MIN_BATCH_BYTES, sum(self.sizes.values()) // BATCH_SHARE)
        self.resolver = HostResolver()
        for url in recorded_urls(held[self.keys[path]] for path in self.skipped):
            self.resolver.remember(Thread(id="", title="", url=url))
        self.deferred: list[Thread] = []
        self.held_back: dict[str, dict[str, Any]] = {}  # files with host-less threads
        self.next = 0  # position in todo
        self.current: _OpenFile | None = None
        # Bytes and entries of the files finished in this run: entries per input byte.
        self.done_bytes = self.done_entries = 0
        self.thread_ids: set[str] = set()
        self.entry_ids: set[str] = set()

    def run(self) -> IngestReport:
        generation = self.index.whoosh.latest_generation()
        with SegmentBuilders() as builders:
            while self.current is not None or self.next < len(self.todo):
                if generation >= 0 and (self.next or self.current):
                    let_waiters_in(self.index.whoosh)
                batch: dict[str, dict[str, Any]] = {}
                # Read before indexing, so the commit's size is known and it is cut into
                # segments of equal text, as many for each worker (the index is locked
                # only while it is written).
                threads = list(self._batch(batch))
                part = self.index.ingest(
                    threads,
                    on_thread=self._count,
                    wait=self.options.wait,
                    on_busy=self.progress.on_busy,
                    builders=builders,
                    segment_size=builders.share(
                        sum(len(t.entries) for t in threads),
                        sum(entry_text_size(e) for t in threads for e in t.entries),
                    ),
                )
                try:
                    record_files(
                        self.index.path, part.generation, batch, previous=part.generation - 1
                    )
                except OSError as exc:
                    message = (
                        f"{self.index.path}: the ledger could not be written ({exc}); "
                        "a re-run reads these files again"
                    )
                    _warn(self.progress, str(self.index.path), message)
                generation = part.generation
        report = IngestReport(threads=len(self.thread_ids), entries=len(self.entry_ids))
        report.generation = generation
        report.skipped = [str(path) for path in self.skipped]
        return report

    def _count(self, thread: Thread) -> None:
        self.thread_ids.add(thread.id)
        self.entry_ids.update(entry.id for entry in thread.entries)
        if self.progress.on_thread:
            self.progress.on_thread(thread)

    def _entry_budget(self) -> int:
        """Entries a batch may hold: ``batch_entries``, and once files have been
        finished, no more than a sixteenth of the input at their entries per byte."""
        budget = self.options.batch_entries
        if self.done_bytes:
            share = self.batch_bytes * self.done_entries // self.done_bytes
            budget = min(budget, max(1, share))
        return budget

    def _batch(self, batch: dict[str, dict[str, Any]]) -> Iterator[Thread]:
        """The threads of the next files, up to the batch size; ``batch`` gets the
        records of the files whose threads were all given, and of a file cut by the
        batch's end, how many of its threads the batch holds."""
        entries = size = 0
        budget = self._entry_budget()
        while entries < budget:
            if self.current is None:
                if self.next >= len(self.todo) or size >= self.batch_bytes:
                    break
                self.current = self._open(self.todo[self.next])
                size += self.sizes[self.current.path]
                self.next += 1
            current = self.current
            for thread in current.threads:
                current.taken += 1
                if is_hostless(thread):
                    self.deferred.append(thread)
                    current.hostless = True
                    continue
                self._remember(current, thread)
                entries += len(thread.entries)
                self.tally.count(thread)
                yield thread
                if entries >= budget and not _exhausted(current):
                    break
            else:
                (self.held_back if current.hostless else batch)[current.key] = current.record
                self.done_bytes += self.sizes[current.path]
                self.done_entries += current.record["entries"]
                self.current = None
                continue
            if not current.hostless:  # a re-run may skip the threads given so far
                batch[current.key] = {
                    **current.record,
                    "urls": list(current.record["urls"]),
                    PARTIAL: current.taken,
                }
        if self.current is None and self.next >= len(self.todo):
            yield from self._resolved_deferred()
            batch.update(self.held_back)

    def _open(self, path: Path) -> _OpenFile:
        """Start reading a file; past the threads a killed run committed, if any."""
        number = self.files.index(path) + 1
        threads = _parse_file(path, number, len(self.files), self.options, self.progress)
        record: dict[str, Any] = {"path": str(path), "entries": 0, "urls": []}
        opened = _OpenFile(path, self.keys[path], threads, record)
        for thread in itertools.islice(threads, self.resume.get(path, 0)):
            opened.taken += 1
            self._remember(opened, thread)
        return opened

    def _remember(self, opened: _OpenFile, thread: Thread) -> None:
        self.resolver.remember(thread)
        if thread.url:
            opened.record["urls"].append(thread.url)
        opened.record["entries"] += len(thread.entries)

    def _resolved_deferred(self) -> Iterator[Thread]:
        for thread in self.deferred:
            resolved = self.resolver.resolve(thread)
            if resolved is not None:
                message = f"{thread.source}: matched {resolved.url!r} from another file"
                _warn(self.progress, thread.source or "", message)
            self.tally.count(resolved or thread)
            yield resolved or thread


def _exhausted(opened: _OpenFile) -> bool:
    """Whether the file has no threads left, so that a batch full at its last thread
    records it whole rather than leaving the next commit only that to do. A thread read
    ahead is put back."""
    following = next(opened.threads, None)
    if following is None:
        return True
    opened.threads = itertools.chain([following], opened.threads)
    return False


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # gone since it was listed: reading it will say so
        return 0


@dataclass
class _FileTally:
    format: str | None = None
    threads: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    undated: int = 0
    merged: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)


class Tally:
    """The per-file counts of an :class:`IngestSummary`, taken as threads go by.

    An entry is *merged* when the same entry id came from two files of one ingest (a
    comment in a saved page and in the post's feed): it counts in both files.
    """

    def __init__(self, paths: list[str], *, strict: bool = False) -> None:
        self._files = {path: _FileTally() for path in paths}
        self._first_file: dict[str, str] = {}  # entry id -> the file it came from first
        self._warnings: list[str] = []
        self._strict = strict

    def set_format(self, path: str | Path, fmt: str) -> None:
        self._file(str(path)).format = fmt

    def warn(self, path: str, message: str) -> None:
        self._warnings.append(message)
        self._file(path).warnings.append(message)

    def count(self, thread: Thread) -> None:
        path = thread.source or ""
        counts = self._file(path)
        counts.threads += 1
        for entry in thread.entries:
            counts.kinds[str(getattr(entry.kind, "value", entry.kind))] += 1
            counts.undated += entry.timestamp is None
            first = self._first_file.setdefault(entry.id, path)
            if first != path:
                counts.merged.add(entry.id)
                self._file(first).merged.add(entry.id)

    def counted(self, threads: Iterable[Thread]) -> Iterator[Thread]:
        """The threads, counted; strict: raise after the last when there were warnings."""
        for thread in threads:
            self.count(thread)
            yield thread
        check_strict(self._warnings, self._strict)

    def summary(self, threads: int, entries: int, skipped: Iterable[str] = ()) -> IngestSummary:
        """The summary; ``skipped`` files (already in the index) are listed apart."""
        skipped = list(skipped)
        left_out = set(skipped)
        by_file = [
            FileSummary(
                path,
                counts.format,
                counts.threads,
                dict(counts.kinds),
                counts.undated,
                len(counts.merged),
                list(counts.warnings),
            )
            for path, counts in self._files.items()
            if path not in left_out
        ]
        return IngestSummary(threads, entries, list(self._warnings), by_file, self._strict, skipped)

    def _file(self, path: str) -> _FileTally:
        found = self._files.get(path)
        if found is None:
            found = self._files[path] = _FileTally()
        return found


def write_summary(
    threads: list[Thread],
    *,
    threads_written: int,
    entries_written: int,
    path: str = "request body",
    fmt: str = "json",
    warnings: list[str] | None = None,
    strict: bool = False,
) -> IngestSummary:
    """The :class:`IngestSummary` of a write of ``threads`` read from one body.

    ``POST /threads`` answers with it, so a client reads the same summary as
    ``threadsearch ingest --json`` prints.
    """
    tally = Tally([path], strict=strict)
    tally.set_format(path, fmt)
    for message in warnings or []:
        tally.warn(path, message)
    for thread in threads:
        tally.count(replace(thread, source=path))
    return tally.summary(threads_written, entries_written)


def check_strict(warnings: list[str], strict: bool) -> None:
    """Raise :class:`StrictIngestError` when ``strict`` and there are warnings."""
    if strict and warnings:
        raise StrictIngestError(list(warnings))
