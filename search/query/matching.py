"""Which documents a query matches, as a numpy mask, without a Python step per match.

Counting facets needs the full set of matching documents, not just the best ten. Walking
Whoosh's matchers yields them one at a time in Python, which dominates a broad query
over a large index. Here the common query shapes are evaluated as set algebra on
boolean masks: a term is its posting list (read a block at a time and cached for the
index generation), AND/OR/NOT are numpy operations, prefix and wildcard queries are the
union of the terms they expand to, and date ranges compare against the timestamp
column. Any other query (a phrase, fuzzy terms) is narrowed to the documents that hold
all its terms, then checked by Whoosh itself.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from whoosh import query as wq
from whoosh.searching import Searcher
from whoosh.util.times import datetime_to_long

from ..schema import TIMESTAMP
from .columns import NO_TIME, CachingIndex, Columns, posting_ids
from .filters import Mask
from .lru import ArrayCache
from .scoring import ScoringCache, scoring_for
from .sites import TermSites, term_bytes, term_sites_for

#: Bytes of posting lists kept per index generation and process.
POSTING_CACHE_BYTES = 64 << 20


class PostingCache:
    """Term -> the sorted document numbers that hold it, for one index generation.

    Shared by the threads reading the generation; each reads a missing term with its
    own searcher (Whoosh searchers share file positions, so never across threads).
    """

    def __init__(
        self, doc_count: int, sites: TermSites | None = None, scoring: ScoringCache | None = None
    ) -> None:
        self._doc_count = doc_count
        self._ids: ArrayCache[NDArray[np.int32]] = ArrayCache(POSTING_CACHE_BYTES)
        self._sites = sites if sites is not None else TermSites()
        # A scorable term's ids come with its weights: read once for both.
        self._scoring = scoring

    def ids(self, searcher: Searcher, field: str, text: Any) -> NDArray[np.int32]:
        scoring = self._scoring
        if scoring is not None and field in searcher.schema and searcher.schema[field].scorable:
            # Held once, in the scoring cache and against its budget alone.
            return scoring.postings(searcher, field, term_bytes(searcher, field, text))[0]
        return self._ids.get((field, text), lambda: self._read(searcher, field, text))

    def _read(self, searcher: Searcher, field: str, text: Any) -> NDArray[np.int32]:
        if field not in searcher.schema:
            return np.empty(0, dtype=np.int32)
        term = term_bytes(searcher, field, text)
        leaves = searcher.leaf_searchers()
        parts = [
            posting_ids(leaves[number][0].reader(), field, term) + leaves[number][1]
            for number in self._sites.get(searcher, field, term).leaves
        ]
        if not parts:
            return np.empty(0, dtype=np.int32)
        return np.concatenate(parts).astype(np.int32)

    @property
    def held_bytes(self) -> int:
        """Bytes of the posting lists this cache holds (a scorable term's are the
        scoring cache's)."""
        return self._ids.size

    def mask(self, searcher: Searcher, field: str, text: Any) -> Mask:
        """A fresh mask of the documents holding the term (the caller may modify it)."""
        mask = np.zeros(self._doc_count, dtype=bool)
        mask[self.ids(searcher, field, text)] = True
        return mask


class Postings:
    """The generation's :class:`PostingCache`, read through one read call's searcher."""

    def __init__(self, cache: PostingCache, searcher: Searcher) -> None:
        self._cache = cache
        self._searcher = searcher

    def ids(self, field: str, text: Any) -> NDArray[np.int32]:
        return self._cache.ids(self._searcher, field, text)

    def mask(self, field: str, text: Any) -> Mask:
        return self._cache.mask(self._searcher, field, text)


def postings_for(index: CachingIndex, columns: Columns) -> Postings:
    """The posting cache of the read's generation (``index`` is a ``ThreadIndex`` or
    a ``Snapshot``), bound to the read's searcher."""
    sites = term_sites_for(index)
    scoring = scoring_for(index, columns)
    cache: PostingCache = index.cache(
        "postings", lambda _: PostingCache(columns.doc_count, sites, scoring)
    )
    return Postings(cache, index.searcher())


def without_absent_terms(q: wq.Query, searcher: Searcher, sites: TermSites) -> wq.Query:
    """``q`` without the terms no segment of the generation holds where they are
    alternatives: in an OR beside a term some segment holds.

    A word names a term per language of the index and field (about 30 on R-help), and
    most are in no document of this generation; an absent term matches nothing and adds
    nothing to a score, so what ``q`` matches and how it ranks do not change, while
    the masks, scores and highlights that follow handle a few terms instead of all.
    ``q`` is changed in place (a parsed query belongs to its search).
    """
    if isinstance(q, wq.compound.CompoundQuery):
        for sub in q.subqueries:
            without_absent_terms(sub, searcher, sites)
        if type(q) is wq.Or and not q.minmatch:
            held = [sub for sub in q.subqueries if not _absent(sub, searcher, sites)]
            if held and len(held) < len(q.subqueries):
                q.subqueries = held
    elif isinstance(q, wq.Not):
        without_absent_terms(q.query, searcher, sites)
    elif isinstance(q, wq.BinaryQuery):
        without_absent_terms(q.a, searcher, sites)
        without_absent_terms(q.b, searcher, sites)
    return q


def _absent(q: wq.Query, searcher: Searcher, sites: TermSites) -> bool:
    if type(q) is not wq.Term or q.fieldname not in searcher.schema:
        return False
    term = term_bytes(searcher, q.fieldname, q.text)
    return sites.get(searcher, q.fieldname, term).doc_frequency == 0


def query_mask(q: wq.Query, searcher: Searcher, columns: Columns, postings: Postings) -> Mask:
    """The live documents ``q`` matches."""
    return _mask(q, searcher, columns, postings) & columns.live


def _mask(q: wq.Query, searcher: Searcher, columns: Columns, postings: Postings) -> Mask:
    result: Mask
    if isinstance(q, wq.Every):
        result = columns.live.copy()
        return result
    if q is wq.NullQuery:
        return np.zeros(columns.doc_count, dtype=bool)
    if type(q) is wq.Term:
        return postings.mask(q.fieldname, q.text)
    if isinstance(q, wq.And):
        result = columns.live.copy()
        for child in q.subqueries:
            result &= _mask(child, searcher, columns, postings)
        return result
    if isinstance(q, wq.Or) and not getattr(q, "minmatch", 0):
        result = np.zeros(columns.doc_count, dtype=bool)
        terms = [child for child in q.subqueries if type(child) is wq.Term]
        if terms:
            # A word's terms (one per language and field) set in one pass, not a mask each.
            result[np.concatenate([postings.ids(t.fieldname, t.text) for t in terms])] = True
        for child in q.subqueries:
            if type(child) is not wq.Term:
                result |= _mask(child, searcher, columns, postings)
        return result
    if isinstance(q, wq.AndNot):
        result = _mask(q.a, searcher, columns, postings) & ~_mask(q.b, searcher, columns, postings)
        return result
    if isinstance(q, wq.AndMaybe):
        return _mask(q.a, searcher, columns, postings)
    if isinstance(q, wq.Not):
        return columns.live & ~_mask(q.query, searcher, columns, postings)
    if isinstance(q, wq.DateRange) and q.fieldname == TIMESTAMP:
        return _date_range(q, columns)
    if isinstance(q, (wq.Prefix, wq.Wildcard)):
        result = np.zeros(columns.doc_count, dtype=bool)
        for text in q._btexts(searcher.reader()):
            result |= postings.mask(q.fieldname, text)
        return result
    return _checked_by_whoosh(q, searcher, columns, postings)


def _date_range(q: wq.DateRange, columns: Columns) -> Mask:
    mask: Mask = columns.time != NO_TIME
    if q.startdate is not None:
        start = int(datetime_to_long(_naive(q.startdate)))
        mask &= columns.time > start if q.startexcl else columns.time >= start
    if q.enddate is not None:
        end = int(datetime_to_long(_naive(q.enddate)))
        mask &= columns.time < end if q.endexcl else columns.time <= end
    return mask


def _naive(moment: Any) -> Any:
    # Whoosh's date parser gives UTC-aware bounds; the index stores naive times.
    return moment.replace(tzinfo=None) if getattr(moment, "tzinfo", None) else moment


def _checked_by_whoosh(
    q: wq.Query, searcher: Searcher, columns: Columns, postings: Postings
) -> Mask:
    mask = np.zeros(columns.doc_count, dtype=bool)
    candidates: Mask | None = None
    if isinstance(q, wq.Phrase):
        # Only documents with every word of the phrase can hold it.
        candidates = columns.live.copy()
        for word in q.words:
            candidates &= postings.mask(q.fieldname, word)
        if not candidates.any():
            return mask
    docs = np.fromiter(searcher.docs_for_query(q), dtype=np.int64)
    mask[docs] = True
    return mask if candidates is None else mask & candidates
