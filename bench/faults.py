"""``python -m bench.faults``: what a re-run costs after an ingest is killed at 90%.

Three real ``threadsearch ingest`` runs of the same R-help files, each into its own index:

1. a clean run, timed (T);
2. a run SIGKILLed at 0.9 T;
3. the same command again on the killed run's index, timed (R): it skips the files the
   index's ledger names and reads the rest.

Prints T, R, R / T, the entries committed at the kill, and whether the re-run's index
holds exactly the clean run's documents. ``make bench-faults`` runs it with defaults::

    python -m bench.faults --glob 'r-help-2002-*' --batch-entries 2000
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RHELP = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "bulk" / "r-help"
CLI = [sys.executable, "-c", "from threadsearch.api.cli import main; main()"]


def documents(directory: Path) -> dict[str, dict[str, Any]]:
    import whoosh.index

    ix = whoosh.index.open_dir(str(directory), indexname="threadsearch")
    with ix.searcher() as searcher:
        return {doc["id"]: dict(doc) for doc in searcher.documents()}


def ingest_command(files: list[Path], index: Path, batch: int) -> list[str]:
    command = [*CLI, "ingest", *map(str, files), "--index", str(index), "--quiet", "--json"]
    return [*command, "--batch-entries", str(batch)]


def timed_run(command: list[str]) -> tuple[float, dict[str, Any]]:
    took, body, _ = watched_run(command, None)
    return took, body


def watched_run(
    command: list[str], index: Path | None
) -> tuple[float, dict[str, Any], list[tuple[float, int]]]:
    """Time, JSON summary and, if ``index`` is given, the moments (seconds from the
    start) its ledger recorded more entries, with the entries recorded by then."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    moments: list[tuple[float, int]] = []
    while process.poll() is None:
        time.sleep(0.5)
        entries = recorded(index) if index is not None else 0
        if entries > (moments[-1][1] if moments else 0):
            moments.append((time.perf_counter() - start, entries))
    took = time.perf_counter() - start
    out = process.stdout.read() if process.stdout else ""
    if process.returncode:
        raise SystemExit(f"the ingest failed ({process.returncode})")
    return took, json.loads(out), moments


def recorded(index: Path) -> int:
    """Entries of the files the index's ledger records (0 while it has none)."""
    try:
        ledger = json.loads((index / "ingested.json").read_text())
    except (OSError, ValueError):
        return 0
    return sum(record["entries"] for record in ledger["files"].values())


def killed_run(command: list[str], after: float) -> None:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    try:
        process.wait(timeout=after)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
        return
    raise SystemExit("the ingest finished before the kill: the machine got faster; run again")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rhelp", type=Path, default=RHELP)
    parser.add_argument("--glob", default="r-help-2002-*", help="Which R-help files.")
    parser.add_argument("--batch-entries", type=int, default=2000)
    parser.add_argument("--kill-at", type=float, default=0.9, help="Fraction of the clean time.")
    args = parser.parse_args(argv)
    files = sorted(args.rhelp.glob(args.glob))
    if not files:
        raise SystemExit(f"no files match {args.glob} in {args.rhelp}")
    scratch = Path(tempfile.mkdtemp(prefix="bench-faults-"))
    try:
        clean, killed = scratch / "clean", scratch / "killed"
        command = ingest_command(files, clean, args.batch_entries)
        clean_time, body, moments = watched_run(command, clean)
        print(f"{len(files)} files, {body['entries']} entries, batches of {args.batch_entries}")
        print(f"clean run:                 {clean_time:7.1f} s")
        print("  its commits (s: entries): " + ", ".join(f"{t:.0f}: {n}" for t, n in moments))
        kill = args.kill_at * clean_time
        command = ingest_command(files, killed, args.batch_entries)
        killed_run(command, kill)
        committed = len(documents(killed))
        by_then = max((n for t, n in moments if t <= kill), default=0)
        print(
            f"killed at {args.kill_at:.0%} ({kill:.1f} s): {committed} entries committed "
            f"(the clean run had {by_then} at that time)"
        )
        rerun_time, again = timed_run(command)
        print(
            f"re-run:                    {rerun_time:7.1f} s "
            f"({len(again['skipped'])} files skipped, {again['entries']} entries read)"
        )
        print(f"re-run / clean:            {rerun_time / clean_time:7.1%}")
        same = documents(killed) == documents(clean)
        print(f"re-run documents equal the clean run's: {same}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
