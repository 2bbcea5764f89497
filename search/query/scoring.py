"""BM25F relevance for a whole posting list at once, as Whoosh computes it per document.

Whoosh ranks by scoring matching documents one at a time in Python; for a common word
in a large index that is most of a search's time. For the query shapes a search box
produces (terms in scorable text fields, combined with AND, OR and AND NOT, with
boosts) this module computes the same BM25F scores as numpy vectors: each term's
postings (document numbers and weights) and each field's per-document lengths are read
once per index generation, and a term's score is

    idf * (w * (K1 + 1)) / (w + K1 * ((1 - B) + B * length / avg_length)) * boost

with Whoosh's own idf, average length and length quantisation. AND and OR add the
scores of their parts, as Whoosh's matchers do. Other shapes return ``None`` and are
ranked by Whoosh.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.columns import NumericColumn
from whoosh.scoring import BM25F
from whoosh.searching import Searcher
from whoosh.util.numeric import byte_to_length

from .columns import CachingIndex, Columns
from .filters import Mask
from .lru import ArrayCache
from .sites import TermSites, term_sites_for
from .sites import idf as term_idf

Scores = NDArray[np.float64]
#: Bytes of posting lists (ids and weights) kept per generation and process.
TERM_CACHE_BYTES = 96 << 20
_BYTE_TO_LENGTH = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)


class ScoringCache:
    """Postings with their BM25F scores, and field lengths, for one index generation.

    A term's scores in the documents holding it depend only on the generation (its
    idf, the field's lengths and average length), so they are computed when the term is
    read and kept in place of its weights: a warm query adds cached arrays (computing
    them again took a third of a warm two-word query's time). ``weighting`` is the
    default ``BM25F`` of every searcher a threadsearch index opens; a :class:`Scorer`
    whose searcher weighs otherwise leaves the ranking to Whoosh.

    Shared by the threads reading the generation; each reads what is missing with its
    own searcher, passed in (Whoosh searchers share file positions).
    """

    def __init__(
        self, doc_count: int, sites: TermSites | None = None, weighting: BM25F | None = None
    ) -> None:
        self._doc_count = doc_count
        self._terms: ArrayCache[tuple[NDArray[np.int32], Scores]] = ArrayCache(TERM_CACHE_BYTES)
        self._lengths: dict[str, Scores] = {}
        self._averages: dict[str, float] = {}
        self.sites = sites if sites is not None else TermSites()
        self.weighting = weighting if weighting is not None else BM25F()

    def postings(
        self, searcher: Searcher, field: str, text: bytes
    ) -> tuple[NDArray[np.int32], Scores]:
        """The documents holding a term and the term's score in each (unboosted)."""
        return self._terms.get((field, text), lambda: self._read_term(searcher, field, text))

    def _read_term(
        self, searcher: Searcher, field: str, text: bytes
    ) -> tuple[NDArray[np.int32], Scores]:
        ids, weights = self._read_weights(searcher, field, text)
        if len(ids) == 0:
            return ids, weights
        weighting = self.weighting
        b = weighting._field_B.get(field, weighting.B)
        k1 = weighting.K1
        idf = term_idf(searcher, self.sites.get(searcher, field, text))
        avg = self.average_length(searcher, field)
        lengths = self.lengths(searcher, field)[ids]
        scores = idf * ((weights * (k1 + 1)) / (weights + k1 * ((1 - b) + b * lengths / avg)))
        return ids, scores

    def _read_weights(
        self, searcher: Searcher, field: str, text: bytes
    ) -> tuple[NDArray[np.int32], Scores]:
        ids: list[NDArray[np.int64]] = []
        weights: list[Scores] = []
        leaves = searcher.leaf_searchers()
        for number in self.sites.get(searcher, field, text).leaves:
            leaf, offset = leaves[number]
            leaf_ids, leaf_weights = _read_postings(leaf.reader().postings(field, text))
            ids.append(leaf_ids + offset)
            weights.append(leaf_weights)
        if not ids:
            return np.empty(0, dtype=np.int32), np.empty(0, dtype=np.float64)
        return np.concatenate(ids).astype(np.int32), np.concatenate(weights)

    @property
    def held_bytes(self) -> int:
        """Bytes of the postings (ids and scores) this cache holds."""
        return self._terms.size

    def average_length(self, searcher: Searcher, field: str) -> float:
        """Whoosh's average length of ``field`` (1 for an empty field), read once: Whoosh
        adds it up over every segment at each call."""
        found = self._averages.get(field)
        if found is None:
            found = self._averages.setdefault(field, searcher.avg_field_length(field) or 1)
        return found

    def lengths(self, searcher: Searcher, field: str) -> Scores:
        found = self._lengths.get(field)
        if found is None:
            found = np.zeros(self._doc_count, dtype=np.float64)
            for leaf, offset in searcher.leaf_searchers():
                _read_lengths(leaf.reader(), field, found, offset)
            # Two threads may both read a field; either array is right.
            found = self._lengths.setdefault(field, found)
        return found


def _read_postings(matcher: Any) -> tuple[NDArray[np.int64], Scores]:
    # The pinned whoosh3 leaf matcher decodes a block of ids and weights at a time.
    if hasattr(matcher, "_read_ids") and hasattr(matcher, "_read_weights"):
        ids: list[Any] = []
        weights: list[Any] = []
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            ids.extend(matcher._ids)
            weights.extend(matcher._weights)
            matcher._next_block()
        return np.array(ids, dtype=np.int64), np.array(weights, dtype=np.float64)
    pairs = [(matcher.id(), matcher.weight()) for _ in _drain(matcher)]
    return (
        np.array([p[0] for p in pairs], dtype=np.int64),
        np.array([p[1] for p in pairs], dtype=np.float64),
    )


def _drain(matcher: Any) -> Any:
    while matcher.is_active():
        yield matcher
        matcher.next()


def _read_lengths(reader: Any, field: str, out: Scores, offset: int) -> None:
    perdoc = reader._perdoc
    if not perdoc.has_column(_lenfield(field)):
        return
    column = perdoc.column_reader(_lenfield(field), LENGTHS_COLUMN)
    count = reader.doc_count_all()
    if isinstance(column, NumericColumn.Reader):
        raw = column._dbfile.get(column._basepos, column._count * column._fixedlen)
        codes = np.zeros(count, dtype=np.uint8)
        codes[: len(raw)] = np.frombuffer(raw, dtype=np.uint8)
    else:
        codes = np.fromiter((column[d] for d in range(count)), dtype=np.uint8, count=count)
    out[offset : offset + count] = _BYTE_TO_LENGTH[codes]


def scoring_for(index: CachingIndex, columns: Columns) -> ScoringCache:
    """The scoring cache of the read's generation (``index`` is a ``ThreadIndex`` or a
    ``Snapshot``)."""
    sites = term_sites_for(index)
    cache: ScoringCache = index.cache("scoring", lambda _: ScoringCache(columns.doc_count, sites))
    return cache


class Scorer:
    """Scores for a query over every document, or None where Whoosh must rank."""

    def __init__(self, searcher: Searcher, cache: ScoringCache, doc_count: int) -> None:
        self._searcher = searcher
        self._cache = cache
        self._doc_count = doc_count
        weighting = searcher.weighting
        self._weighting = weighting if _same_weighting(weighting, cache.weighting) else None

    def scores(self, q: wq.Query) -> tuple[Scores, Mask] | None:
        """(score per document, which documents match), or None if unsupported."""
        if self._weighting is None:
            return None
        part = self._scores(q)
        return None if part is None else self._dense(part)

    def _dense(self, part: _Part) -> tuple[Scores, Mask]:
        if isinstance(part, _Sparse):
            scores = np.zeros(self._doc_count, dtype=np.float64)
            mask = np.zeros(self._doc_count, dtype=bool)
            scores[part.ids] = part.values
            mask[part.ids] = True
            return scores, mask
        return part

    def _scores(self, q: wq.Query) -> _Part | None:
        if type(q) is wq.Term:
            return self._term(q)
        if type(q) in (wq.And, wq.Or) and not getattr(q, "minmatch", 0):
            return self._combine(q)
        if type(q) is wq.AndNot:
            positive = self._scores(q.a)
            negative = self._scores(q.b)
            if positive is None or negative is None:
                return None
            (scores, mask), (_, unwanted) = self._dense(positive), self._dense(negative)
            keep = mask & ~unwanted
            return np.where(keep, scores, 0.0), keep
        return None

    def _combine(self, q: wq.Query) -> _Part | None:
        # AND with NOT parts: Whoosh intersects the positive parts with an inverse
        # matcher per negated part, and each inverse matcher scores a constant 1.0.
        is_and = type(q) is wq.And
        negated = [c.query for c in q.subqueries if is_and and type(c) is wq.Not]
        positive = [c for c in q.subqueries if not (is_and and type(c) is wq.Not)]
        found = [self._scores(child) for child in positive]
        unwanted = [self._scores(child) for child in negated]
        parts = [part for part in found if part is not None]
        excluded = [part for part in unwanted if part is not None]
        if not parts or len(parts) < len(found) or len(excluded) < len(unwanted):
            return None
        sparse = [part for part in parts if isinstance(part, _Sparse)]
        if not excluded and len(sparse) == len(parts):
            if sum(len(part.ids) for part in sparse) * SPARSE_BELOW <= self._doc_count:
                return _sparse_combine(sparse, is_and)
            return _terms_combine(sparse, is_and, self._doc_count)
        if not excluded and not sparse:
            return _dense_combine([part for part in parts if not isinstance(part, _Sparse)], is_and)
        # A query word stands for a term per language and field, most of them in few
        # documents or none: a term adds into the sums where it occurs, not over every
        # document. Each document's sum is taken in the parts' order, as before.
        total = np.zeros(self._doc_count, dtype=np.float64)
        matching = np.zeros(self._doc_count, dtype=np.int32)  # parts matching a document
        for part in parts:
            if isinstance(part, _Sparse):
                total[part.ids] += part.values
                matching[part.ids] += 1
            else:
                scores, mask = part
                total += scores
                matching += mask
        result = matching == len(parts) if is_and else matching > 0
        for part in excluded:
            result &= ~self._dense(part)[1]
            total += 1.0
        return np.where(result, total, 0.0), result

    def _term(self, q: wq.Term) -> _Sparse | None:
        searcher = self._searcher
        field = q.fieldname
        if field not in searcher.schema or not searcher.schema[field].scorable:
            return None
        ids, scores = self._cache.postings(searcher, field, searcher.schema[field].to_bytes(q.text))
        return _Sparse(ids, scores * q.boost if q.boost != 1.0 and len(ids) else scores)


def _same_weighting(weighting: Any, cached: BM25F) -> bool:
    """Whether ``weighting`` scores as the cache's scores were computed."""
    return (
        type(weighting) is BM25F
        and (weighting.B, weighting.K1, weighting._field_B)
        == (cached.B, cached.K1, cached._field_B)
    )


#: Parts whose postings hold fewer than one document in this many are combined where
#: they occur (sorting their ids) instead of over every document: below it, sorting is
#: the cheaper (of 172,000 documents: 0.04 against 0.34 ms for 1,500 ids, 0.25 against
#: 0.45 for 15,000; past about 30,000 the pass over every document wins).
SPARSE_BELOW = 8


def _sparse_combine(parts: list[_Sparse], is_and: bool) -> _Sparse:
    """AND or OR of terms' sparse scores, still sparse: the documents all parts hold (AND)
    or any part holds (OR), each with its parts' scores added in the parts' order, so the
    sums are the dense path's to the last bit (``bincount`` adds in input order)."""
    ids = np.concatenate([part.ids for part in parts])
    values = np.concatenate([part.values for part in parts])
    unique, inverse, counts = np.unique(ids, return_inverse=True, return_counts=True)
    sums: Scores = np.bincount(inverse, weights=values, minlength=len(unique)).astype(
        np.float64, copy=False
    )
    if is_and:
        keep = counts == len(parts)
        unique, sums = unique[keep], sums[keep]
    return _Sparse(unique.astype(np.int32, copy=False), sums)


def _terms_combine(parts: list[_Sparse], is_and: bool, doc_count: int) -> tuple[Scores, Mask]:
    """AND or OR of terms' sparse scores over every document, in two counting passes
    (``bincount`` adds each document's scores in the parts' order, as the loop did)."""
    ids = np.concatenate([part.ids for part in parts])
    values = np.concatenate([part.values for part in parts])
    total: Scores = np.bincount(ids, weights=values, minlength=doc_count).astype(
        np.float64, copy=False
    )
    counts = np.bincount(ids, minlength=doc_count)
    if is_and:
        result = counts == len(parts)
        return np.where(result, total, 0.0), result
    return total, counts > 0


def _dense_combine(parts: list[tuple[Scores, Mask]], is_and: bool) -> tuple[Scores, Mask]:
    """AND or OR of parts scored over every document (each 0 where it does not match),
    their scores added in the parts' order."""
    total = parts[0][0].copy()
    result = parts[0][1].copy()
    for scores, mask in parts[1:]:
        total += scores
        if is_and:
            result &= mask
        else:
            result |= mask
    return (np.where(result, total, 0.0) if is_and else total), result


@dataclass(frozen=True)
class _Sparse:
    """A term's scores where it occurs: distinct document numbers, ascending."""

    ids: NDArray[np.int32]
    values: Scores


#: A query part's scores: over every document with its match mask, or a term's sparse ones.
_Part = tuple[Scores, Mask] | _Sparse


def top_documents(scores: Scores, allowed: Mask, stop: int) -> list[tuple[int, float]]:
    """The ``stop`` best allowed documents, by score, then document number."""
    docs = np.flatnonzero(allowed)
    if len(docs) == 0:
        return []
    values = scores[docs]
    if len(docs) > 4 * stop:
        bound = -np.partition(-values, stop - 1)[stop - 1]
        keep = values >= bound
        docs, values = docs[keep], values[keep]
    order = np.lexsort((docs, -values))[:stop]
    return [(int(docs[i]), float(values[i])) for i in order]
