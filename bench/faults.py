"""``python -m bench.faults``: what a re-run costs after an ingest is killed at 90%.

Each run is three ingests of the same R-help files, each into its own index, through
the documented Python API (``ingest_paths``) in a child process:

1. a clean run, timed (T); it gives E entries;
2. a run SIGKILLed once it has handed 90% of E entries to the index (its own progress,
   not the clock: the machine's pace varies from run to run by a quarter);
3. the same ingest again on the killed run's index, timed (R): it skips what the
   index's ledger says is in and reads the rest.

Prints, per run, T, the entries committed at the kill, R and R / T, and whether the
re-run's index holds exactly the clean run's documents; then the median of R / T, and
the time of a re-run with nothing left to read (the fixed cost). ``make bench-faults``
runs it with defaults::

    python -m bench.faults --glob 'r-help-2002-*' --runs 3
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RHELP = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "bulk" / "r-help"


def documents(directory: Path) -> dict[str, dict[str, Any]]:
    import whoosh.index

    ix = whoosh.index.open_dir(str(directory), indexname="threadsearch")
    with ix.searcher() as searcher:
        return {doc["id"]: dict(doc) for doc in searcher.documents()}


def child(index: Path, files: list[str], batch: int) -> None:
    """The ingest being timed: one line per thread given to the index (the entries
    given so far), then its summary as JSON."""
    from threadsearch.index import open_index
    from threadsearch.ingest import DEFAULT_BATCH_ENTRIES, IngestOptions, Progress, ingest_paths

    given = 0

    def on_thread(thread: Any) -> None:
        nonlocal given
        given += len(thread.entries)
        print(given, flush=True)

    options = IngestOptions(batch_entries=batch or DEFAULT_BATCH_ENTRIES)
    with open_index(index, create=True) as opened:
        summary = ingest_paths(opened, list(files), options, Progress(on_thread=on_thread))
    print(json.dumps({"entries": summary.entries, "skipped": summary.skipped}), flush=True)


def ingest(files: list[Path], index: Path, batch: int, kill_at: int = 0) -> tuple[float, Any]:
    """Run the child; SIGKILL it once it has given ``kill_at`` entries (0: never).
    Returns the seconds it ran and its summary (None if killed)."""
    command = [sys.executable, "-m", "bench.faults", "--child", str(index), str(batch)]
    start = time.perf_counter()
    process = subprocess.Popen([*command, *map(str, files)], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    summary = None
    for line in process.stdout:
        if line.startswith("{"):
            summary = json.loads(line)
        elif kill_at and int(line) >= kill_at:
            process.send_signal(signal.SIGKILL)
            process.wait()
            return time.perf_counter() - start, None
    process.wait()
    took = time.perf_counter() - start
    if process.returncode:
        raise SystemExit(f"the ingest failed ({process.returncode})")
    if kill_at:
        raise SystemExit(f"the ingest ended before it gave {kill_at} entries")
    return took, summary


def one_run(files: list[Path], scratch: Path, batch: int, kill_at: float) -> dict[str, Any]:
    clean, killed = scratch / "clean", scratch / "killed"
    clean_time, body = ingest(files, clean, batch)
    target = max(1, round(kill_at * body["entries"]))
    killed_time, _ = ingest(files, killed, batch, kill_at=target)
    committed = len(documents(killed))
    rerun_time, again = ingest(files, killed, batch)
    row = {
        "entries": body["entries"],
        "clean_s": round(clean_time, 1),
        "killed_after_s": round(killed_time, 1),
        "killed_at_entries": target,
        "committed": committed,
        "rerun_s": round(rerun_time, 1),
        "rerun_files_skipped": len(again["skipped"]),
        "rerun_entries": again["entries"],
        "ratio": rerun_time / clean_time,
        "equal": documents(killed) == documents(clean),
    }
    nothing_time, _ = ingest(files, killed, batch)
    row["nothing_left_s"] = round(nothing_time, 1)
    shutil.rmtree(clean)
    shutil.rmtree(killed)
    return row


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        child(Path(argv[1]), argv[3:], int(argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rhelp", type=Path, default=RHELP)
    parser.add_argument("--glob", default="r-help-2002-*", help="Which R-help files.")
    parser.add_argument(
        "--batch-entries", type=int, default=0, help="As ingest's (0: its default)."
    )
    parser.add_argument(
        "--kill-at", type=float, default=0.9, help="Kill once this share of the entries is given."
    )
    parser.add_argument("--runs", type=int, default=3, help="Runs; the median ratio is reported.")
    parser.add_argument("--out", type=Path, help="Also write the rows as JSON here.")
    args = parser.parse_args(argv)
    files = sorted(args.rhelp.glob(args.glob))
    if not files:
        raise SystemExit(f"no files match {args.glob} in {args.rhelp}")
    rows = []
    print(f"{len(files)} files; kill once {args.kill_at:.0%} of the entries are given")
    print("run   clean   killed  committed  re-run  skipped  re-run/clean  equal  nothing left")
    for number in range(1, args.runs + 1):
        scratch = Path(tempfile.mkdtemp(prefix="bench-faults-"))
        try:
            row = one_run(files, scratch, args.batch_entries, args.kill_at)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        rows.append(row)
        print(
            f"{number:>3} {row['clean_s']:>6.1f} s {row['killed_after_s']:>6.1f} s "
            f"{row['committed']:>6,}/{row['entries']:,} {row['rerun_s']:>6.1f} s "
            f"{row['rerun_files_skipped']:>4} files {row['ratio']:>10.1%}  {row['equal']!s:>5}"
            f"  {row['nothing_left_s']:>6.1f} s",
            flush=True,
        )
    print(f"median re-run / clean: {statistics.median(r['ratio'] for r in rows):.1%}")
    if args.out:
        args.out.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
