"""Which segments hold a term, looked up once per index generation.

A query reads each of its terms three times: the documents it matches, its postings
with weights for scoring, and its document frequency for the idf. Through Whoosh each
of those asks every segment's term table whether it holds the term, so a term of a
phrase (a word-pair term per language of the index) on an index of twelve segments
cost 36 hash look-ups, most of them for terms no segment holds. :class:`TermSites`
asks each segment once and keeps the answer, the segments that hold the term and its
document frequency, for the generation.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from whoosh.codec.whoosh3 import W3TermInfo, W3TermsReader
from whoosh.filedb.filetables import OrderedHashReader
from whoosh.searching import Searcher
from whoosh.system import pack_ushort

from .columns import CachingIndex

#: Terms whose sites a generation keeps (about 150 bytes each); then it starts again.
SITES_KEPT = 200_000


class Sites(NamedTuple):
    """Where a term is: the numbers of the leaf searchers holding it, and in how many
    documents (deleted ones included, as Whoosh counts for the idf)."""

    leaves: tuple[int, ...]
    doc_frequency: int


class TermSites:
    """(field, term bytes) -> :class:`Sites`, for one index generation.

    Shared by the threads reading the generation; each asks with its own searcher.
    """

    def __init__(self) -> None:
        self._sites: dict[tuple[str, bytes], Sites] = {}

    def get(self, searcher: Searcher, field: str, term: bytes) -> Sites:
        key = (field, term)
        found = self._sites.get(key)
        if found is None:
            found = _look_up(searcher, field, term)
            if len(self._sites) >= SITES_KEPT:
                self._sites.clear()
            self._sites[key] = found
        return found


def term_sites_for(index: CachingIndex) -> TermSites:
    """The term sites of the read's generation (``index`` is a ``ThreadIndex`` or a
    ``Snapshot``)."""
    sites: TermSites = index.cache("term_sites", lambda _: TermSites())
    return sites


def _look_up(searcher: Searcher, field: str, term: bytes) -> Sites:
    leaves: list[int] = []
    doc_frequency = 0
    for number, (leaf, _) in enumerate(searcher.leaf_searchers()):
        count = _doc_frequency(leaf.reader(), field, term)  # 0 when the segment lacks it
        if count:
            leaves.append(number)
            doc_frequency += count
    return Sites(tuple(leaves), doc_frequency)


def _doc_frequency(reader: Any, field: str, term: bytes) -> int:
    """``reader.doc_frequency(field, term)``; for the pinned whoosh3 segment, straight
    from its term table (the public call goes through four layers of checks and
    conversions, a quarter of a fresh phrase query's time on a 12-segment index)."""
    terms = getattr(reader, "_terms", None)
    table = getattr(terms, "_tindex", None)
    if not isinstance(terms, W3TermsReader) or not isinstance(table, OrderedHashReader):
        return int(reader.doc_frequency(field, term))
    number = terms._fieldmap.get(field)
    if number is None:
        return 0
    for position, _ in table.ranges_for_key(pack_ushort(number) + term):
        return int(W3TermInfo.read_doc_freq(terms._dbfile, position))
    return 0


def term_bytes(searcher: Searcher, field: str, text: Any) -> bytes:
    """A term's text as the index stores it."""
    if isinstance(text, bytes):
        return text
    return bytes(searcher.schema[field].to_bytes(text))


def idf(searcher: Searcher, sites: Sites) -> float:
    """Whoosh's idf of a term (``WeightingModel.idf``), from its sites.

    >>> import math
    >>> class One:
    ...     def doc_count_all(self): return 99
    >>> idf(One(), Sites((0,), 9)) == math.log(99 / 10) + 1  # type: ignore[arg-type]
    True
    """
    return math.log(searcher.doc_count_all() / (sites.doc_frequency + 1)) + 1
