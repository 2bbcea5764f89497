"""Cursors for ``search_after`` paging: the sort key and entry id of a page's last hit.

Results are ordered by a key (the relevance score, or the timestamp for date sorts)
and, among equal keys, by entry id, which is stable across commits (document numbers
are not: a merge renumbers them). A cursor holds the last hit's ``(key, id)``; the next
page is every selected entry ordered after it. An entry that was before the cursor stays
before it whatever other threads commit, so paging by date through all hits while
others write gives each entry that was there at the start exactly once. Relevance
scores move when a commit changes the index's statistics, so in relevance order a
commit between two pages may move an entry across the cursor; the README says so.

The text is URL-safe base64 of a small JSON array; clients treat it as opaque.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from ..errors import InvalidFilterError

_VERSION = 1


@dataclass(frozen=True)
class Cursor:
    """The position after which the next page starts."""

    sort: str
    key: float
    entry_id: str

    def encode(self) -> str:
        raw = json.dumps([_VERSION, self.sort, self.key, self.entry_id], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(text: str, sort: str) -> Cursor:
    """The cursor of ``text``, made by a search with the same ``sort``."""
    try:
        padded = text + "=" * (-len(text) % 4)
        version, made_for, key, entry_id = json.loads(base64.urlsafe_b64decode(padded))
        if version != _VERSION or not isinstance(key, (int, float)) or not isinstance(
            entry_id, str
        ):
            raise ValueError(text)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidFilterError(
            f"cursor {text[:40]!r} is not one this server made",
            hint="Pass the next_cursor of a previous result unchanged.",
        ) from None
    if made_for != sort:
        raise InvalidFilterError(
            f"the cursor was made for sort={made_for}, not sort={sort}",
            hint="Keep the query, filters and sort of the first page.",
        )
    return Cursor(sort, key, entry_id)
