"""``python -m bench.fuzz`` (``make fuzz``): the parsers' long fuzz run, and their growth.

For each parser, hypothesis rounds of malformed inputs (``tests/fuzzing.py``: real
files truncated, flipped, repeated, nested, spliced) for ``FUZZ_MINUTES`` minutes
(``--minutes``), counting examples; any exception other than the project's
``SearchError`` stops the run with the input that caused it (add it to the tests). Then
the growth of a real file's parse repeated 1, 2, 4, 8 and 16 times: the CPU time (the
least of ``REPEATS`` runs, so that other jobs on the machine do not count) and the
Python calls made (exact). A linear parser doubles both.

    FUZZ_MINUTES=10 make fuzz
    python -m bench.fuzz --minutes 1 --formats mail,jsonl
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from hypothesis import HealthCheck, given, settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fuzzing import SEEDS, call_count, malformed, outcome, repeated  # noqa: E402

ROUND = 200
#: Runs per size in the growth figures; the least CPU time counts.
REPEATS = 5


def fuzz(fmt: str, minutes: float) -> tuple[int, dict[str, int]]:
    """Examples run and their outcomes, for ``minutes`` of rounds."""
    counts = {"ok": 0, "error": 0}
    deadline = time.monotonic() + minutes * 60

    @settings(
        max_examples=ROUND,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(malformed(fmt))
    def one(data: bytes) -> None:
        counts[outcome(fmt, data)] += 1

    while time.monotonic() < deadline:
        one()
    return counts["ok"] + counts["error"], counts


def growth(fmt: str) -> list[tuple[int, float, int]]:
    """(bytes, CPU seconds, Python calls) to parse the format's seed repeated 1, 2, 4,
    8 and 16 times."""
    seed = SEEDS[fmt][0]
    outcome(fmt, seed)  # imports and caches warm
    rows = []
    for times in (1, 2, 4, 8, 16):
        data = repeated(fmt, seed, times)
        rows.append(
            (len(data), min(_cpu(fmt, data) for _ in range(REPEATS)), call_count(fmt, data))
        )
    return rows


def _cpu(fmt: str, data: bytes) -> float:
    start = time.process_time()
    outcome(fmt, data)
    return time.process_time() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default = float(os.environ.get("FUZZ_MINUTES", "1"))
    parser.add_argument("--minutes", type=float, default=default, help="Per parser.")
    parser.add_argument("--formats", default=",".join(sorted(SEEDS)))
    args = parser.parse_args(argv)
    for fmt in args.formats.split(","):
        start = time.monotonic()
        examples, counts = fuzz(fmt, args.minutes)
        took = (time.monotonic() - start) / 60
        sizes = growth(fmt)
        cpu = "/".join(f"{row[1] / max(sizes[0][1], 1e-9):.1f}" for row in sizes[1:])
        calls = "/".join(f"{row[2] / sizes[0][2]:.1f}" for row in sizes[1:])
        print(
            f"{fmt:14} {took:5.1f} min {examples:7d} examples "
            f"({counts['ok']} parsed, {counts['error']} SearchError, 0 crashes); "
            f"2/4/8/16x input ({sizes[0][0]} -> {sizes[-1][0]} bytes): "
            f"{cpu}x CPU time, {calls}x calls",
            flush=True,
        )


if __name__ == "__main__":
    main()
