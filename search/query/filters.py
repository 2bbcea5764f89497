"""Structured filters (author, kind, thread, site, tag, lang, since, until) as document masks.

Values within one filter are ORed (``author=a&author=b``), different filters ANDed.
Each filter is a boolean numpy array over all documents, computed from the columns of
the current generation; facet counting needs every filter but its own, so they are
kept apart until combined.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import numpy as np
from numpy.typing import NDArray
from whoosh.util.times import datetime_to_long

from ..errors import InvalidFilterError
from ..model import ENTRY_KINDS, SearchRequest
from ..schema import AUTHOR, KIND, LANG, SITE, TAG, THREAD, to_index_time
from .columns import NO_TIME, Columns

Mask = NDArray[np.bool_]

#: Request attribute -> index field, for the exact-valued filters.
KEYWORD_FILTERS = {
    "author": AUTHOR,
    "kind": KIND,
    "thread": THREAD,
    "site": SITE,
    "tag": TAG,
    "lang": LANG,
}
DATE_FILTER = "date"


def keyword_mask(columns: Columns, field: str, values: list[str]) -> Mask:
    if field == TAG:
        mask = np.zeros(columns.doc_count, dtype=bool)
        for value in values:
            if value in columns.tags.values:
                mask[columns.tags.docs[columns.tags.values.index(value)]] = True
        return mask
    column = columns.keyword[field]
    codes = [column.code_of(v) for v in values]
    return np.isin(column.codes, codes)


def time_value(moment: datetime) -> int:
    return int(datetime_to_long(to_index_time(moment)))


def date_mask(columns: Columns, since: datetime | None, until: datetime | None) -> Mask:
    mask: Mask = columns.time != NO_TIME
    if since is not None:
        mask &= columns.time >= time_value(since)
    if until is not None:
        mask &= columns.time <= time_value(until)
    return mask


def request_masks(columns: Columns, request: SearchRequest) -> dict[str, Mask]:
    """One mask per active filter, keyed by the filter's name."""
    masks: dict[str, Mask] = {}
    for name, field in KEYWORD_FILTERS.items():
        values: list[str] = getattr(request, name)
        if values:
            if name == "kind":
                _check_kinds(values)
            masks[name] = keyword_mask(columns, field, values)
    if request.since is not None or request.until is not None:
        # Compared as the index stores times (a naive one is UTC): a naive and an
        # aware datetime do not compare in Python.
        since, until = request.since, request.until
        if since and until and time_value(since) > time_value(until):
            raise InvalidFilterError(
                f"since ({since.isoformat()}) is after until ({until.isoformat()})",
                hint="Swap the two dates.",
            )
        masks[DATE_FILTER] = date_mask(columns, request.since, request.until)
    return masks


def combine(columns: Columns, masks: dict[str, Mask], *, skip: str | None = None) -> Mask:
    mask: Mask = columns.live.copy()
    for name, other in masks.items():
        if name != skip:
            mask &= other
    return mask


def _check_kinds(values: list[str]) -> None:
    for value in values:
        if value not in ENTRY_KINDS:
            raise InvalidFilterError(
                f"unknown kind {value!r}", hint=f"Use one of: {', '.join(ENTRY_KINDS)}."
            )


def parse_bound(text: str, *, end: bool) -> datetime:
    """Read a ``since``/``until`` value: an ISO date or datetime.

    A date-only ``until`` covers that whole day; a date-only ``since`` starts it.
    """
    text = text.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            start = datetime.combine(day, time.min)
            return start + timedelta(days=1, microseconds=-1) if end else start
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidFilterError(
            f"{'until' if end else 'since'}: {text!r} is not an ISO date or datetime",
            hint="Write it as 2005-10-02 or 2005-10-02T14:30:00.",
        ) from None
