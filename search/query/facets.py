"""Facet definitions and counting: how many matching entries have each value.

A facet is counted over the documents that match the query and every filter except
the facet's own, so that ticking one author still shows the other authors with their
counts (multi-select faceting). Values are sorted by count, then by value; calendar
facets (year, month, day) are sorted by date. Entries with no value count under
``None`` (``null`` in JSON).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..errors import InvalidFilterError
from ..model import Facet, FacetValue
from ..schema import AUTHOR, KIND, LANG, SITE, TAG, THREAD
from .columns import NO_TIME, Columns
from .filters import DATE_FILTER, Mask

#: facet name -> (index field, the filter that selects on it)
KEYWORD_FACETS = {
    "author": (AUTHOR, "author"),
    "kind": (KIND, "kind"),
    "thread": (THREAD, "thread"),
    "site": (SITE, "site"),
    "tag": (TAG, "tag"),
    "lang": (LANG, "lang"),
}
#: facet name -> numpy datetime64 unit and the ISO prefix length it shows
CALENDAR_FACETS = {"year": ("Y", 4), "month": ("M", 7), "day": ("D", 10)}
FACETS = tuple(KEYWORD_FACETS) + tuple(CALENDAR_FACETS)
CALENDAR_LIMIT = 10_000

# Whoosh counts microseconds from 0001-01-01; numpy's datetime64 from 1970-01-01.
EPOCH_OFFSET = 62135596800000000


def facet_filter(name: str) -> str:
    """The name of the filter a facet ignores when counted."""
    if name in CALENDAR_FACETS:
        return DATE_FILTER
    return KEYWORD_FACETS[name][1]


def check_facets(names: list[str]) -> None:
    for name in names:
        if name not in FACETS:
            raise InvalidFilterError(
                f"unknown facet {name!r}", hint=f"Use one of: {', '.join(FACETS)}."
            )


def count_facet(name: str, columns: Columns, mask: Mask, selected: list[str], limit: int) -> Facet:
    if name in CALENDAR_FACETS:
        return _calendar(name, columns, mask, limit)
    field = KEYWORD_FACETS[name][0]
    if field == TAG:
        pairs = [
            (value, int(np.count_nonzero(mask[docs])))
            for value, docs in zip(columns.tags.values, columns.tags.docs, strict=True)
        ]
        values = [(v, c) for v, c in pairs if c]
    else:
        column = columns.keyword[field]
        codes = column.codes[mask]
        counts = np.bincount(codes + 1, minlength=len(column.values) + 1)
        values = [(column.values[i], int(c)) for i, c in enumerate(counts[1:]) if c]
        if counts[0]:
            values.append((None, int(counts[0])))  # type: ignore[arg-type]
    values.sort(key=lambda vc: (-vc[1], vc[0] is None, vc[0] or ""))
    chosen = set(selected)
    shown = [FacetValue(v, c, v in chosen) for v, c in values[:limit]]
    return Facet(name, shown, truncated=len(values) > limit)


def _calendar(name: str, columns: Columns, mask: Mask, limit: int) -> Facet:
    unit, width = CALENDAR_FACETS[name]
    times: NDArray[np.int64] = columns.time[mask]
    missing = int(np.count_nonzero(times == NO_TIME))
    times = times[times != NO_TIME]
    buckets = (times - EPOCH_OFFSET).astype("datetime64[us]").astype(f"datetime64[{unit}]")
    keys, counts = np.unique(buckets, return_counts=True)
    values = [FacetValue(str(k)[:width], int(c)) for k, c in zip(keys, counts, strict=True)]
    if missing:
        values.append(FacetValue(None, missing))
    # A timeline is only useful whole; calendar facets are capped far higher.
    cap = max(limit, CALENDAR_LIMIT)
    return Facet(name, values[:cap], truncated=len(values) > cap)
