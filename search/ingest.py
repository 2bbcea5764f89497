"""From paths on disk to threads in the index: the one place that touches input files.

:func:`ingest_paths` expands folders (recursively, in name order), decompresses
``.gz`` files, detects each file's format (or takes ``--format``), runs the parser,
separates quoted text, and feeds the threads to the index in a single commit: if any
file fails, nothing is written and the index stays exactly as it was.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import tzinfo
from pathlib import Path
from typing import BinaryIO

from .errors import SearchError, SourceFormatError, UnknownFormatError
from .hosts import HostResolver, is_hostless
from .index import IngestReport, ThreadIndex
from .model import Thread
from .quotes import separate_quotes
from .schema import META_FILE
from .sources import SNIFF_BYTES, CompanionFileError, Format, detect_format, get_source
from .sources.base import SourceContext

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


@dataclass
class Progress:
    """Callbacks the CLI uses to show progress; all optional."""

    on_file: Callable[[Path, int, int], None] | None = None
    on_thread: Callable[[Thread], None] | None = None
    on_warning: Callable[[str], None] | None = None
    #: Called once when another writer holds the index and the ingest starts waiting.
    on_busy: Callable[[], None] | None = None


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
        if resolved is not None and progress.on_warning:
            progress.on_warning(f"{thread.source}: matched {resolved.url!r} from another file")
        yield resolved or thread


def _parse_files(files: list[Path], options: IngestOptions, progress: Progress) -> Iterator[Thread]:
    warn = progress.on_warning or (lambda message: None)
    for number, path in enumerate(files, 1):
        if progress.on_file:
            progress.on_file(path, number, len(files))
        try:
            fmt = (
                Format(options.format) if options.format else detect_format(_sniff(path), str(path))
            )
        except CompanionFileError:
            continue  # read by its companion (Comments.xml is read with Posts.xml)
        except ValueError:
            raise UnknownFormatError(f"unknown format {options.format!r}") from None
        context = SourceContext(
            str(path),
            timezone=options.timezone,
            include_hidden=options.include_hidden,
            warn=warn,
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
) -> IngestReport:
    """Parse every file and index the threads in one commit; all or nothing."""
    options = options or IngestOptions()
    progress = progress or Progress()
    files = expand_paths(paths)
    if not files:
        raise SearchError("no files to ingest", hint="Name files or folders that hold some.")
    warnings: list[str] = []
    user_warn = progress.on_warning

    def warn(message: str) -> None:
        warnings.append(message)
        if user_warn:
            user_warn(message)

    progress = Progress(progress.on_file, progress.on_thread, warn, progress.on_busy)
    threads = iter_threads(files, options, progress)
    report = index.ingest(
        threads, on_thread=progress.on_thread, wait=options.wait, on_busy=progress.on_busy
    )
    report.files = [str(f) for f in files]
    report.warnings = warnings
    return report
