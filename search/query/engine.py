"""The query engine: the one module the CLI and the HTTP API call.

:func:`search` takes a :class:`~threadsearch.model.SearchRequest` and returns a
:class:`~threadsearch.model.SearchResult`. The text query is parsed by :mod:`.parse` and
evaluated as a document mask by :mod:`.matching`; filters and facets are numpy masks
and counts over the per-generation columns (:mod:`.columns`); relevance is BM25F over
posting arrays (:mod:`.scoring`) where the query shape allows and Whoosh's own ranking
elsewhere; date sorts use the timestamp column; snippets come from :mod:`.snippets`.
Results are cached per index generation. The other calls read threads and entries.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from whoosh import query as wq
from whoosh.collectors import TimeLimitCollector
from whoosh.idsets import DocIdSet
from whoosh.searching import Searcher, TimeLimit

from ..analysis import LangText, fold
from ..errors import InvalidFilterError, NotFoundError, QueryLimitError
from ..index import ThreadIndex, read_call
from ..model import (
    Entry,
    Facet,
    Hit,
    SearchRequest,
    SearchResult,
    SimilarResult,
    Stats,
    Thread,
    ThreadPage,
    ThreadSummary,
)
from ..schema import (
    AUTHOR,
    AUTHOR_URL,
    BODY,
    DECLARED,
    DEPTH,
    ID_FIELD,
    KIND,
    LANG,
    MENTIONS,
    PARENT,
    POSITION,
    QUOTED,
    SCHEMA_VERSION,
    SITE,
    SOURCE,
    SPELL,
    STATUS,
    TAG,
    THREAD,
    THREAD_TITLE,
    THREAD_URL,
    TIME_TEXT,
    TITLE,
    URL,
    UTC_OFFSET,
    build_schema,
)
from .columns import NO_TIME, Columns, columns_for
from .cursor import Cursor, decode_cursor
from .facets import EPOCH_OFFSET, FACETS, check_facets, count_facet, facet_filter
from .filters import Mask, combine, request_masks
from .limits import (
    DEFAULT_LIMITS,
    Budget,
    QueryLimits,
    bound_fuzzy,
    check_paging,
    check_query,
    check_text,
)
from .lookup import lookup_for
from .lru import LruCache
from .matching import postings_for, query_mask, without_absent_terms
from .parse import QueryUnit, parse_query, query_units
from .scoring import Scorer, scoring_for, top_documents
from .sites import term_sites_for
from .snippets import highlight

SORTS = ("relevance", "newest", "oldest")
MAX_PER_PAGE = 100
FACET_LIMIT = 50
#: Below this many hits a "did you mean" suggestion is looked for.
SUGGEST_BELOW = 3
#: Search results kept per index generation.
RESULT_CACHE = 512

_SCHEMA = build_schema()
#: Han, Kana and Hangul: words the speller leaves alone (the index holds their bigrams).
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


class MaskSet(DocIdSet):  # type: ignore[misc]
    """A Whoosh filter backed by a numpy mask (collectors ask ``docnum in filter``)."""

    def __init__(self, mask: Mask) -> None:
        self._mask = mask

    def __contains__(self, docnum: object) -> bool:
        return bool(self._mask[int(docnum)])  # type: ignore[call-overload]

    def __iter__(self) -> Any:
        return iter(np.flatnonzero(self._mask).tolist())

    def __len__(self) -> int:
        return int(np.count_nonzero(self._mask))

    def __bool__(self) -> bool:
        return True


@dataclass
class _Plan:
    request: SearchRequest
    query: wq.Query
    columns: Columns
    matched: Mask
    filters: dict[str, Mask]
    selected: Mask
    scorer: Scorer
    budget: Budget


def check_request(
    request: SearchRequest, max_per_page: int = MAX_PER_PAGE, limits: QueryLimits = DEFAULT_LIMITS
) -> None:
    if request.sort not in SORTS:
        raise InvalidFilterError(
            f"unknown sort {request.sort!r}", hint=f"Use one of: {', '.join(SORTS)}."
        )
    if not 1 <= request.per_page <= max_per_page:
        raise InvalidFilterError(
            f"per_page must be between 1 and {max_per_page}, not {request.per_page}"
        )
    if request.page < 1:
        raise InvalidFilterError(f"page must be 1 or more, not {request.page}")
    if request.collapse not in (None, "thread"):
        raise InvalidFilterError(
            f"unknown collapse {request.collapse!r}", hint="The only collapse is 'thread'."
        )
    if request.cursor is not None and (request.page != 1 or request.collapse):
        raise InvalidFilterError(
            "a cursor pages on its own: it combines with neither page nor collapse",
            hint="Drop page (or collapse) when passing cursor.",
        )
    check_facets(request.facets)
    if len(request.facets) > len(FACETS):
        raise QueryLimitError(
            "max_facets", len(request.facets), len(FACETS), "the number of facets asked for"
        )
    check_paging(request.page, request.per_page, limits)
    check_text(request.q, limits)


@read_call
def search(
    index: ThreadIndex,
    request: SearchRequest,
    *,
    max_per_page: int = MAX_PER_PAGE,
    facet_limit: int = FACET_LIMIT,
    limits: QueryLimits = DEFAULT_LIMITS,
    time_budget: float | None = None,
) -> SearchResult:
    """Run a search request against the index.

    Results are cached per index generation: a repeated request is a dictionary
    look-up, and any commit starts a fresh cache. A request that breaks one of
    ``limits`` raises :class:`~threadsearch.errors.QueryLimitError`. With
    ``time_budget`` (seconds), the work that can be cut short (facets, highlights,
    the spelling suggestion, Whoosh's ranking of complex queries) stops once it is
    spent, and the result says ``partial=True``; a partial result is not cached.
    """
    started = time.perf_counter()
    check_request(request, max_per_page, limits)
    cache: LruCache[SearchResult] = index.cache("results", lambda _: LruCache(RESULT_CACHE))
    key = repr((request, max_per_page, facet_limit, limits))
    budget = Budget(time_budget)
    result = cache.get(key, lambda: _search(index, request, max_per_page, facet_limit, budget,
                                            limits))  # fmt: skip
    if result.partial:
        cache.discard(key)
    return _private_copy(result, _elapsed(started))


def _private_copy(cached: SearchResult, took_ms: float) -> SearchResult:
    """``cached`` with containers of its own, so that no caller can change what the
    cache gives another (hits and facet values are frozen and hold no containers)."""
    facets = {
        name: Facet(facet.name, list(facet.values), facet.truncated)
        for name, facet in cached.facets.items()
    }
    return replace(cached, took_ms=took_ms, hits=list(cached.hits), facets=facets,
                   warnings=list(cached.warnings))  # fmt: skip


def _elapsed(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)


def _search(
    index: ThreadIndex,
    request: SearchRequest,
    max_per_page: int,
    facet_limit: int,
    budget: Budget,
    limits: QueryLimits,
) -> SearchResult:
    searcher = index.searcher()
    columns = columns_for(index)
    q = parse_query(request.q, _SCHEMA, query_langs(request, columns))
    check_query(q, searcher.reader(), limits)
    bound_fuzzy(q, limits)
    q = without_absent_terms(q, searcher, term_sites_for(index))
    matched = query_mask(q, searcher, columns, postings_for(index, columns))
    filters = request_masks(columns, request)
    scoring = scoring_for(index, columns)
    scorer = Scorer(searcher, scoring, columns.doc_count)
    selected = matched & combine(columns, filters)
    plan = _Plan(request, q, columns, matched, filters, selected, scorer, budget)
    docnums, scores, keys, total, collapsed = _rank(searcher, plan)
    facets = {}
    for name in request.facets:
        if budget.skip("facets"):
            break
        facets[name] = count_facet(
            name,
            columns,
            matched & combine(columns, filters, skip=facet_filter(name)),
            getattr(request, name, []) if hasattr(request, name) else [],
            facet_limit,
        )
    langs = query_langs(request, columns)
    units = query_units(request.q, _SCHEMA, langs) if q is not wq.NullQuery else []
    hits = [
        _hit(searcher, [] if budget.skip("highlights") else units, docnum, score,
             collapsed.get(docnum))  # fmt: skip
        for docnum, score in zip(docnums, scores, strict=True)
    ]
    suggestion = None
    if total < SUGGEST_BELOW and not budget.skip("suggestion"):
        suggestion = _suggest(searcher, request, total, langs)
    warnings = ["the query has only stop words; nothing to search"] if q is wq.NullQuery else []
    if budget.cut:
        warnings.append(f"time budget spent: {', '.join(budget.cut)} cut short")
    return SearchResult(
        total,
        request.page,
        request.per_page,
        0.0,
        hits,
        facets,
        suggestion,
        warnings,
        next_cursor=_next_cursor(searcher, plan, docnums, keys, total),
        partial=bool(budget.cut),
    )


def _next_cursor(
    searcher: Searcher, plan: _Plan, docnums: list[int], keys: list[float], total: int
) -> str | None:
    """The cursor after this page's last hit; None when no hit can follow it."""
    request = plan.request
    if request.collapse or len(docnums) < request.per_page or not docnums:
        return None
    if request.cursor is None and request.page * request.per_page >= total:
        return None
    last_id = searcher.stored_fields(docnums[-1])[ID_FIELD]
    return Cursor(request.sort, keys[-1], last_id).encode()


def query_langs(request: SearchRequest, columns: Columns) -> list[str | None]:
    """The languages a query's words are analyzed in: the request's ``lang`` filter, or
    every language the index holds (a ``lang:`` in the query narrows it further)."""
    langs: list[str | None] = list(request.lang or sorted(columns.keyword[LANG].values))
    return langs


def _rank(
    searcher: Searcher, plan: _Plan
) -> tuple[list[int], list[float | None], list[float], int, dict[int, int]]:
    """The page's documents, their scores, their sort keys, the total and, with
    ``collapse``, each hit's count of other hits in its thread."""
    request = plan.request
    start = (request.page - 1) * request.per_page
    stop = start + request.per_page
    thread_codes = plan.columns.keyword[THREAD].codes
    collapsed: dict[int, int] = {}
    total = int(np.count_nonzero(plan.selected))
    by_relevance = request.sort == "relevance" and not _matches_all(plan.query)
    if by_relevance and plan.query is wq.NullQuery:
        return [], [], [], 0, {}
    if request.collapse == "thread":
        docnums, scores, keys, total = _rank_collapsed(searcher, plan, by_relevance, start, stop)
        per_thread = np.bincount(thread_codes[plan.selected] + 1)
        for docnum in docnums:
            collapsed[docnum] = int(per_thread[thread_codes[docnum] + 1]) - 1
        return docnums, scores, keys, total, collapsed
    cursor = decode_cursor(request.cursor, request.sort) if request.cursor is not None else None
    ordered_keys: NDArray[Any]
    if by_relevance:
        docs, ordered_keys = _relevance_keys(searcher, plan, stop, cursor)
    else:
        docs = np.flatnonzero(plan.selected)
        ordered_keys = _time_keys(plan, docs)
    page_docs, page_keys = _page_after(searcher, docs, ordered_keys, cursor, stop)
    page_docs, page_keys = page_docs[start:stop], page_keys[start:stop]
    docnums = [int(d) for d in page_docs]
    keys = [k.item() for k in page_keys]
    page_scores: list[float | None] = (
        [round(-k, 4) for k in keys] if by_relevance else [None] * len(docnums)
    )
    return docnums, page_scores, keys, total, collapsed


def _matches_all(q: wq.Query) -> bool:
    """``*`` (an Every per text field) or an empty query: browsing, in date order."""
    if isinstance(q, wq.Every):
        return True
    return isinstance(q, wq.Or) and all(isinstance(sub, wq.Every) for sub in q.subqueries)


def _time_keys(plan: _Plan, docs: NDArray[np.int64]) -> NDArray[np.int64]:
    """Ascending sort keys of ``docs`` for a date order (no timestamp: last)."""
    times = plan.columns.time[docs]
    newest = plan.request.sort != "oldest"
    # Browsing with no query and sort=relevance shows the newest first.
    return np.where(times == NO_TIME, np.iinfo(np.int64).max, -times if newest else times)


def _relevance_keys(
    searcher: Searcher, plan: _Plan, stop: int, cursor: Cursor | None
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Candidate documents and their ascending keys (minus the score) for a ranking."""
    scored = plan.scorer.scores(plan.query)
    if scored is not None:
        docs = np.flatnonzero(plan.selected)
        return docs, -scored[0][docs].astype(np.float64)
    # With no filter, let Whoosh skip blocks by score bound instead of asking per document.
    allowed = MaskSet(plan.selected) if plan.filters else None
    limit = stop
    while True:
        collector = searcher.collector(limit=limit, filter=allowed)
        remaining = plan.budget.remaining()
        if remaining is not None:
            collector = TimeLimitCollector(collector, timelimit=max(remaining, 0.001))
        try:
            searcher.search_with_collector(plan.query, collector)
        except TimeLimit:
            plan.budget.cut.append("ranking")
        results = collector.results()
        docs = np.array([hit.docnum for hit in results], dtype=np.int64)
        keys = np.array([-float(hit.score) for hit in results], dtype=np.float64)
        if cursor is not None:
            docs, keys = _after(searcher, docs, keys, cursor)
        if len(docs) >= stop or results.scored_length() < limit or "ranking" in plan.budget.cut:
            return docs, keys
        limit *= 4


def _after(
    searcher: Searcher, docs: NDArray[np.int64], keys: NDArray[Any], cursor: Cursor
) -> tuple[NDArray[np.int64], NDArray[Any]]:
    """The documents ordered after ``cursor`` by (key, entry id)."""
    after = keys > cursor.key
    tied = np.flatnonzero(keys == cursor.key)
    if len(tied):
        later = [i for i, doc in zip(tied, docs[tied], strict=True)
                 if _entry_id(searcher, int(doc)) > cursor.entry_id]  # fmt: skip
        after[np.array(later, dtype=np.int64)] = True
    return docs[after], keys[after]


def _page_after(
    searcher: Searcher,
    docs: NDArray[np.int64],
    keys: NDArray[Any],
    cursor: Cursor | None,
    count: int,
) -> tuple[NDArray[np.int64], NDArray[Any]]:
    """The first ``count`` documents after ``cursor`` in (key, entry id) order.

    A partial partition finds them, keeping every document tied with the last, so the
    ties can be put in entry-id order: the order stays total and the same from page to
    page whatever document numbers a merge gives.
    """
    if cursor is not None:
        docs, keys = _after(searcher, docs, keys, cursor)
    if len(docs) > count:
        bound = np.partition(keys, count - 1)[count - 1]
        keep = keys <= bound
        docs, keys = docs[keep], keys[keep]
    order = np.argsort(keys, kind="stable")
    docs, keys = docs[order], keys[order]
    if len(docs) > 1:
        ties = np.flatnonzero(keys[1:] == keys[:-1])
        if len(ties):
            docs = _ids_within_ties(searcher, docs, keys)
    return docs[:count], keys[:count]


def _ids_within_ties(
    searcher: Searcher, docs: NDArray[np.int64], keys: NDArray[Any]
) -> NDArray[np.int64]:
    """``docs`` (ordered by key) with each run of equal keys ordered by entry id."""
    result = docs.copy()
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], len(keys)]
    for begin, end in zip(starts, ends, strict=True):
        if end - begin > 1:
            run = docs[begin:end]
            result[begin:end] = sorted(run, key=lambda d: _entry_id(searcher, int(d)))
    return result  # type: ignore[no-any-return]


def _entry_id(searcher: Searcher, docnum: int) -> str:
    return str(searcher.stored_fields(docnum)[ID_FIELD])


def _rank_collapsed(
    searcher: Searcher, plan: _Plan, by_relevance: bool, start: int, stop: int
) -> tuple[list[int], list[float | None], list[float], int]:
    """One hit per thread: the best by score, or the first in date order."""
    thread_codes = plan.columns.keyword[THREAD].codes
    if by_relevance:
        page = _relevance_page(searcher, plan, thread_codes)[start:stop]
        docnums = [docnum for docnum, _ in page]
        scores: list[float | None] = [round(score, 4) for _, score in page]
        total = len(np.unique(thread_codes[plan.selected]))
        return docnums, scores, [-score for _, score in page], total
    ordered = _order_by_time(plan, None)
    _, first = np.unique(thread_codes[ordered], return_index=True)
    ordered = ordered[np.sort(first)]
    docnums = ordered[start:stop].tolist()
    return docnums, [None] * len(docnums), [0.0] * len(docnums), len(ordered)


def _relevance_page(
    searcher: Searcher, plan: _Plan, thread_codes: NDArray[np.int32]
) -> list[tuple[int, float]]:
    """Ranked (docnum, score) pairs, each thread's best, up to the end of the page."""
    request = plan.request
    stop = request.page * request.per_page
    scored = plan.scorer.scores(plan.query)
    if scored is not None:
        scores = scored[0]
        ranked = top_documents(scores, plan.selected, int(np.count_nonzero(plan.selected)))
        return _best_per_thread(ranked, thread_codes)
    allowed = MaskSet(plan.selected) if plan.filters else None
    limit = stop * 4
    while True:
        results = searcher.search(plan.query, limit=limit, filter=allowed)
        # Fetch deeper until the page holds enough distinct threads.
        ranked = _best_per_thread([(hit.docnum, float(hit.score)) for hit in results],
                                  thread_codes)  # fmt: skip
        if len(ranked) >= stop or results.scored_length() < limit:
            return ranked
        limit *= 4


def _best_per_thread(
    ranked: list[tuple[int, float]], thread_codes: NDArray[np.int32]
) -> list[tuple[int, float]]:
    """Each thread's best hit, in rank order."""
    best: dict[int, tuple[int, float]] = {}
    for docnum, score in ranked:
        best.setdefault(int(thread_codes[docnum]), (docnum, score))
    return list(best.values())


def _order_by_time(plan: _Plan, stop: int | None = None) -> NDArray[np.int64]:
    """Selected documents by timestamp (entries without one last), then document order.

    With ``stop``, only the first ``stop`` are ordered: a partial partition finds them,
    keeping every document tied with the last one so the order stays exact.
    """
    docs = np.flatnonzero(plan.selected)
    times = plan.columns.time[docs]
    newest = plan.request.sort != "oldest"
    # Browsing with no query and sort=relevance shows the newest first.
    key = np.where(times == NO_TIME, np.iinfo(np.int64).max, -times if newest else times)
    if stop is not None and len(docs) > 4 * stop:
        bound = np.partition(key, stop - 1)[stop - 1]
        keep = key <= bound
        docs, key = docs[keep], key[keep]
    order = np.lexsort((docs, key))
    return docs[order] if stop is None else docs[order][:stop]


def _hit(
    searcher: Searcher,
    units: list[QueryUnit],
    docnum: int,
    score: float | None,
    collapsed: int | None,
) -> Hit:
    fields = searcher.stored_fields(docnum)
    shown = highlight(fields, units, fields.get(LANG))
    return Hit(
        id=fields[ID_FIELD],
        thread_id=fields[THREAD],
        thread_title=fields.get(THREAD_TITLE) or "",
        kind=fields[KIND],
        author=fields.get(AUTHOR),
        timestamp=_time(fields),
        position=fields[POSITION],
        score=score,
        snippet=shown.snippet,
        collapsed=collapsed,
        utc_offset=fields.get(UTC_OFFSET),
        lang=fields.get(LANG),
        highlights=shown.fields,
        matched_terms=shown.matched_terms,
    )


def _time(fields: dict[str, Any]) -> datetime | None:
    """The stored time: aware UTC ISO text (schema version 3 on)."""
    text = fields.get(TIME_TEXT)
    return datetime.fromisoformat(text) if text else None


#: Letters a "did you mean" word shares with the typed one, on both backends.
SUGGEST_PREFIX = 1


def _suggest(
    searcher: Searcher, request: SearchRequest, total: int, langs: list[str | None]
) -> str | None:
    """A respelling of the typed words that exist in the index, when it finds more."""
    words = request.q.split()
    changed = False
    corrected: list[str] = []
    reader = searcher.reader()
    for word in words:
        plain = fold(word)[0]
        if (
            ":" in word
            or not plain.isalpha()
            or _CJK.search(plain)
            or reader.frequency(SPELL, plain) > 0
        ):
            corrected.append(word)
            continue
        # Sharing the first letter, as OpenSearch's term suggester does by default
        # (prefix_length 1): most typos keep it, and the scan of the index's words
        # shrinks to one letter's (R-help's 590,000 words: 10 s, now 0.06 to 1 s).
        options = searcher.suggest(SPELL, plain, limit=1, prefix=SUGGEST_PREFIX)
        if options:
            corrected.append(options[0])
            changed = True
        else:
            corrected.append(word)
    if not changed:
        return None
    suggestion = " ".join(corrected)
    better = searcher.search(parse_query(suggestion, _SCHEMA, langs), limit=1)
    return suggestion if len(better) > total else None


# --- threads and entries -------------------------------------------------------------


def _docs_for_term(searcher: Searcher, field: str, value: str) -> list[int]:
    return sorted(searcher.docs_for_query(wq.Term(field, value)))


def entry_from_fields(fields: dict[str, Any]) -> Entry:
    """An entry from its stored fields, full text, with its thread's title."""
    return Entry(
        id=fields[ID_FIELD],
        thread_id=fields[THREAD],
        thread_title=fields.get(THREAD_TITLE) or "",
        kind=fields[KIND],
        position=fields[POSITION],
        author=fields.get(AUTHOR),
        author_url=fields.get(AUTHOR_URL),
        timestamp=_time(fields),
        utc_offset=fields.get(UTC_OFFSET),
        title=fields.get(TITLE) or None,
        body=fields.get(BODY) or "",
        quoted=fields.get(QUOTED) or "",
        parent_id=fields.get(PARENT),
        depth=fields.get(DEPTH, 0),
        mentions=_split(fields.get(MENTIONS)),
        url=fields.get(URL),
        status=fields.get(STATUS) or "approved",
        lang=fields.get(LANG),
    )


def _split(value: str | None) -> list[str]:
    return [part for part in (value or "").split(",") if part]


@read_call
def get_entry(index: ThreadIndex, entry_id: str) -> Entry:
    """One entry, full text, with its thread's title (``Entry.thread_title``)."""
    searcher = index.searcher()
    lookup = lookup_for(index)
    for fields in lookup.stored_fields(searcher, lookup.entry_candidates(searcher, entry_id)):
        if fields[ID_FIELD] == entry_id:  # not another id of the same hash
            return entry_from_fields(fields)
    raise NotFoundError(f"no entry with id {entry_id!r}", hint="Ids come from search hits.")


@read_call
def get_thread(index: ThreadIndex, thread_id: str) -> Thread:
    """A thread with its entries in position order, full text."""
    searcher = index.searcher()
    lookup = lookup_for(index)
    docs = lookup.thread(thread_id).tolist()
    if not docs:
        raise NotFoundError(f"no thread with id {thread_id!r}", hint="See GET /threads.")
    stored = sorted(lookup.stored_fields(searcher, docs), key=lambda f: f[POSITION])
    return thread_from_fields(stored)


def thread_from_fields(stored: list[dict[str, Any]]) -> Thread:
    """A thread from its entries' stored fields, in the order given."""
    first = stored[0]
    return Thread(
        id=first[THREAD],
        title=first.get(THREAD_TITLE) or "",
        url=first.get(THREAD_URL),
        site=first.get(SITE),
        source=first.get(SOURCE),
        declared_count=first.get(DECLARED),
        tags=_split(first.get(TAG)),
        entries=[entry_from_fields(f) for f in stored],
    )


def _thread_summary(fields: dict[str, Any], count: int) -> ThreadSummary:
    return ThreadSummary(
        id=fields[THREAD],
        title=fields.get(THREAD_TITLE) or "",
        url=fields.get(THREAD_URL),
        site=fields.get(SITE),
        tags=_split(fields.get(TAG)),
        declared_count=fields.get(DECLARED),
        entry_count=count,
    )


@read_call
def list_threads(index: ThreadIndex, page: int = 1, per_page: int = 20) -> ThreadPage:
    """Threads by latest activity, with their entry counts."""
    searcher = index.searcher()
    columns = columns_for(index)
    codes = columns.keyword[THREAD].codes
    live = columns.live & (codes >= 0)
    docs = np.flatnonzero(live)
    counts = np.bincount(codes[docs], minlength=len(columns.keyword[THREAD].values))
    latest = np.full(len(counts), NO_TIME, dtype=np.int64)
    np.maximum.at(latest, codes[docs], columns.time[docs])
    first_doc = np.full(len(counts), -1, dtype=np.int64)
    first_doc[codes[docs[::-1]]] = docs[::-1]
    present = np.flatnonzero(counts)
    order = present[np.lexsort((present, -latest[present]))]
    start = (page - 1) * per_page
    threads = [
        _thread_summary(searcher.stored_fields(int(first_doc[c])), int(counts[c]))
        for c in order[start : start + per_page]
    ]
    return ThreadPage(total=len(present), page=page, per_page=per_page, threads=threads)


@read_call
def similar(index: ThreadIndex, entry_id: str, limit: int = 10) -> SimilarResult:
    """The entries most like the given one (Whoosh's more-like-this over the body)."""
    searcher = index.searcher()
    docs = _docs_for_term(searcher, ID_FIELD, entry_id)
    if not docs:
        raise NotFoundError(f"no entry with id {entry_id!r}")
    # Key terms are index terms: the body analyzed in the entry's own language.
    fields = searcher.stored_fields(docs[0])
    text = LangText(fields.get(BODY) or "", fields.get(LANG))
    results = searcher.more_like(docs[0], BODY, text=text, top=limit)
    hits = [_hit(searcher, [], h.docnum, round(float(h.score), 4), None) for h in results]
    return SimilarResult(id=entry_id, hits=hits)


@read_call
def stats(index: ThreadIndex) -> Stats:
    """Counts and extents of what the index holds."""
    columns = columns_for(index)
    live = columns.live
    kinds = columns.keyword[KIND]
    kind_counts = np.bincount(kinds.codes[live] + 1, minlength=len(kinds.values) + 1)
    times = columns.time[live & (columns.time != NO_TIME)]
    authors = columns.keyword[AUTHOR].codes

    def utc(value: int) -> datetime:
        # Whole seconds, as the column's microseconds since 0001-01-01 (naive UTC).
        seconds = int(value - EPOCH_OFFSET) // 1_000_000
        return datetime.fromtimestamp(seconds, timezone.utc)

    return Stats(
        entries=int(np.count_nonzero(live)),
        threads=int(len(np.unique(columns.keyword[THREAD].codes[live]))),
        authors=int(len(np.unique(authors[live & (authors >= 0)]))),
        sites=sorted({v for v in columns.keyword[SITE].values}),
        kinds={kinds.values[i]: int(c) for i, c in enumerate(kind_counts[1:]) if c},
        first=utc(times.min()) if len(times) else None,
        last=utc(times.max()) if len(times) else None,
        generation=index.generation,
        index_dir=str(index.path),
        size_bytes=_folder_bytes(index.path),
        format_version=SCHEMA_VERSION,
    )


def _folder_bytes(folder: Path) -> int:
    """The bytes of the files in ``folder``; one a commit removes meanwhile counts 0."""
    total = 0
    with os.scandir(folder) as entries:
        for entry in entries:
            try:
                total += entry.stat().st_size if entry.is_file() else 0
            except FileNotFoundError:
                continue
    return total
