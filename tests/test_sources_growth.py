"""Every parser's work grows linearly with its input, counted without a clock.

The seed of each format (``tests/fuzzing.py``) is parsed with its items repeated 4, 8
and 16 times, counting the Python calls made. Linear work costs each added item the
same: each of the 8 copies added from 8 to 16 costs what each of the 4 added from 4
to 8 does. A parser that walks what it has read again for each new item (the usual
way to quadratic time) makes the later copies dearer: twice as dear if quadratic, a
third dearer if n log n. (The text parser's caches move its counts by a few per
cent.) Times, which a busy machine blurs, are in ``make fuzz``'s growth figures.
"""

from __future__ import annotations

import pytest

from tests.fuzzing import SEEDS, call_count, outcome, repeated

#: html repeats a slice of a page, cut anywhere, not whole items: its added slices
#: differ in cost from one another, so it is left to the timed figures.
ITEM_FORMATS = sorted(set(SEEDS) - {"html"})


@pytest.mark.parametrize("fmt", ITEM_FORMATS)
def test_each_added_item_costs_the_same_calls(fmt: str) -> None:
    seed = SEEDS[fmt][0]
    outcome(fmt, seed)  # imports and caches warm, not counted
    calls = {times: call_count(fmt, repeated(fmt, seed, times)) for times in (4, 8, 16)}
    first = (calls[8] - calls[4]) / 4
    last = (calls[16] - calls[8]) / 8
    assert first > 0
    assert last <= 1.1 * first
