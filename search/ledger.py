"""Which source files an index holds in full: what lets a re-run ingest skip them.

A batched ingest (see :mod:`.ingest`) commits every few thousand entries. After each
commit it records, in ``ingested.json`` beside the index, a key for every file whose
threads are all in that commit or an earlier one, and the generation the commit made.
A file that a commit holds in part (a batch may end inside a file) is recorded with
how many of its threads, in the order its parser gives them, are in: a re-run parses it
again, skips those threads and indexes the rest.
A key is the SHA-256 of the file's bytes, its resolved path and the ingest options
that shape its threads, so a changed file, a moved one or other options mean a new key.

The ledger holds only while nothing else has written: it is trusted when its
generation is the index's latest one, and ignored otherwise (after a ``POST /threads``,
a delete, a reindex, or a commit whose ledger write a crash cut off). Ignoring it costs
time, never correctness: ingest replaces entries by id, so re-reading a file that is
already in gives the same documents. The file is written after the commit it
describes (write, then rename), so a crash can lose a record but never claim a file
that is not in the index.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

LEDGER_FILE = "ingested.json"
LEDGER_VERSION = 1
#: In the record of a file held in part: the threads of it that are in.
PARTIAL = "partial_threads"
_CHUNK = 1 << 20


def file_key(path: Path, options: Mapping[str, Any]) -> str:
    """The key of one source file read with ``options``: content, path and options."""
    digest = hashlib.sha256()
    digest.update(json.dumps([str(path.resolve()), dict(options)], sort_keys=True).encode())
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def read_ledger(directory: Path, generation: int) -> dict[str, Any]:
    """The files recorded for ``generation`` (key -> record); empty if the ledger is
    missing, unreadable or describes another generation."""
    try:
        data = json.loads((directory / LEDGER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if (
        not isinstance(data, dict)
        or data.get("version") != LEDGER_VERSION
        or data.get("generation") != generation
        or not isinstance(data.get("files"), dict)
    ):
        return {}
    files: dict[str, Any] = data["files"]
    return files


def record_files(
    directory: Path, generation: int, files: Mapping[str, Any], *, previous: int
) -> None:
    """Record ``files`` as held by commit ``generation``, beside those recorded for
    ``previous`` (the generation before that commit) if the ledger still describes it.

    Raises :class:`OSError` when the ledger cannot be written (a full disk); the index
    is unaffected, and a re-run then reads the files again.
    """
    held = dict(read_ledger(directory, previous)) if previous >= 0 else {}
    held.update(files)
    body = {"version": LEDGER_VERSION, "generation": generation, "files": held}
    temporary = directory / f".{LEDGER_FILE}.{os.getpid()}"
    try:
        temporary.write_text(json.dumps(body, sort_keys=True), encoding="utf-8")
        os.replace(temporary, directory / LEDGER_FILE)
    finally:
        temporary.unlink(missing_ok=True)


def is_partial(record: Mapping[str, Any]) -> bool:
    """Whether a file's record says only its first threads are in."""
    return isinstance(record.get(PARTIAL), int)


def recorded_urls(records: Iterable[Mapping[str, Any]]) -> list[str]:
    """The absolute thread URLs the recorded files hold (for host-less threads)."""
    return [url for record in records for url in record.get("urls", [])]
