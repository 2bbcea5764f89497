"""``python -m bench.fuzz`` (``make fuzz``): the parsers' long fuzz run, and their growth.

For each parser, hypothesis rounds of malformed inputs (``tests/fuzzing.py``: real
files truncated, flipped, repeated, nested, spliced) for ``FUZZ_MINUTES`` minutes
(``--minutes``), counting examples; any exception other than the project's
``SearchError`` stops the run with the input that caused it (add it to the tests). Then
the time to parse a real file repeated 1, 2, 4 and 8 times: linear parsers double.

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

from tests.fuzzing import SEEDS, malformed, outcome  # noqa: E402

ROUND = 200


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


def growth(fmt: str) -> list[tuple[int, float]]:
    """(bytes, seconds) to parse the format's seed repeated 1, 2, 4, 8 times."""
    seed = SEEDS[fmt][0]
    rows = []
    for times in (1, 2, 4, 8):
        data = _repeated(fmt, seed, times)
        start = time.perf_counter()
        outcome(fmt, data)
        rows.append((len(data), time.perf_counter() - start))
    return rows


def _repeated(fmt: str, seed: bytes, times: int) -> bytes:
    """The seed's items repeated: the whole file for line formats, its items for XML,
    its second quarter for a page."""
    if fmt in ("mail", "jsonl", "text"):
        return seed * times
    for opening, closing in ((b"<item", b"</item>"), (b"<post ", b"</post>"), (b"<row", b"/>")):
        first, last = seed.find(opening), seed.rfind(closing)
        if 0 <= first < last:
            last += len(closing)
            return seed[:first] + seed[first:last] * times + seed[last:]
    quarter, half = len(seed) // 4, len(seed) // 2
    return seed[:half] + seed[quarter:half] * (times - 1) + seed[half:]


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
        ratio = sizes[-1][1] / max(sizes[0][1], 1e-9)
        print(
            f"{fmt:14} {took:5.1f} min {examples:7d} examples "
            f"({counts['ok']} parsed, {counts['error']} SearchError, 0 crashes); "
            f"8x input: {ratio:4.1f}x time ({sizes[0][0]} -> {sizes[-1][0]} bytes)",
            flush=True,
        )


if __name__ == "__main__":
    main()
