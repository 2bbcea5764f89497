"""The fast paths give exactly what Whoosh used the obvious way gives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from threadsearch import SearchRequest, ThreadIndex, ingest_paths, open_index, search
from threadsearch.ingest import IngestOptions
from threadsearch.query import parse as parsing
from threadsearch.query import scoring
from threadsearch.query.columns import columns_for
from threadsearch.query.engine import query_langs
from threadsearch.query.matching import (
    PostingCache,
    postings_for,
    query_mask,
    without_absent_terms,
)
from threadsearch.query.parse import build_parser, parse_query
from threadsearch.query.scoring import Scorer, ScoringCache, top_documents
from threadsearch.query.sites import TermSites
from threadsearch.query.sites import idf as term_idf
from threadsearch.schema import AUTHOR, BODY, KIND, THREAD, TIMESTAMP, build_schema
from whoosh import query as wq
from whoosh.sorting import FieldFacet

from tests.conftest import DATA, SEED

QUERIES = [
    "refugee",
    "north korea",
    '"north korean refugees"',
    "refug*",
    "china OR japan",
    "korea NOT north",
    "timestamp:[2005-10-01 TO 2005-10-02]",
    "timestamp:>2011-06-01",
    "kind:pingback",
    "author:timothyfitz",
    "chinese~",
    "(export OR import) wordpress",
]


def parse(index: ThreadIndex, text: str) -> wq.Query:
    """The query ``search`` runs: its words analyzed in every language the index holds
    (since schema version 4 the parsed query depends on the index's languages)."""
    return parse_query(text, build_schema(), query_langs(SearchRequest(), columns_for(index)))


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadIndex]:
    index = open_index(tmp_path_factory.mktemp("mixed"), create=True)
    ingest_paths(index, [SEED, DATA / "wxr" / "timothyfitz-wordpresscom-2009-2012.wxr.xml"])
    # A second commit, so the index has two segments and deletions to skip (atomic: a
    # batched ingest would skip the file its ledger says is in).
    ingest_paths(index, [SEED], IngestOptions(atomic=True))
    assert len(index.searcher().leaf_searchers()) == 2
    yield index
    index.close()


@pytest.mark.parametrize("text", QUERIES)
def test_query_mask_equals_whoosh_docs_for_query(mixed: ThreadIndex, text: str) -> None:
    searcher = mixed.searcher()
    columns = columns_for(mixed)
    q = parse(mixed, text)
    fast = np.flatnonzero(query_mask(q, searcher, columns, postings_for(mixed, columns)))
    slow = sorted(searcher.docs_for_query(q))
    assert fast.tolist() == slow
    assert len(slow) > 0, "each query must match something to test anything"


@pytest.mark.parametrize("text", ["refugee", "", "wordpress"])
def test_facet_counts_equal_whoosh_groupedby(mixed: ThreadIndex, text: str) -> None:
    request = SearchRequest(q=text, facets=["kind", "author", "thread"], per_page=1)
    result = search(mixed, request, facet_limit=10_000)
    searcher = mixed.searcher()
    q = parse(mixed, text)
    facets = {"kind": FieldFacet(KIND), "author": FieldFacet(AUTHOR), "thread": FieldFacet(THREAD)}
    slow = searcher.search(q, limit=None, groupedby=facets)
    assert result.total == len(slow)
    for name in facets:
        counts = {k: len(v) for k, v in slow.groups(name).items()}
        assert {v.value: v.count for v in result.facets[name].values} == counts


@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_date_sort_equals_whoosh_sortedby(mixed: ThreadIndex, sort: str) -> None:
    result = search(mixed, SearchRequest(q="wordpress", sort=sort, per_page=20))
    searcher = mixed.searcher()
    q = parse(mixed, "wordpress")
    slow = searcher.search(q, limit=None, sortedby=TIMESTAMP, reverse=sort == "newest")
    timed = [h for h in slow if h.get("time")]
    expected = [h["time"] for h in timed][:20]
    assert [h.timestamp.isoformat() for h in result.hits if h.timestamp] == expected


def test_relevance_page_equals_whoosh_search(mixed: ThreadIndex) -> None:
    result = search(mixed, SearchRequest(q="korea", per_page=10))
    slow = mixed.searcher().search(parse(mixed, "korea"), limit=None)
    # Equal scores are ordered by entry id (stable across commits, unlike docnums).
    ranked = sorted(slow, key=lambda hit: (-round(hit.score, 4), hit["id"]))[:10]
    assert [(h.id, h.score) for h in result.hits] == [(h["id"], round(h.score, 4)) for h in ranked]


def test_filters_equal_whoosh_filter_queries(mixed: ThreadIndex, tmp_path: Path) -> None:
    request = SearchRequest(q="", kind=["pingback"], per_page=1)
    result = search(mixed, request)
    slow = mixed.searcher().search(wq.Term(KIND, "pingback"), limit=None)
    assert result.total == len(slow) == 150


RANKED = ["korea", "north korea", "china OR japan", "korea NOT north", "deployment imvu"]
RANKED += ['"north korea"', "(korea OR china) refugees", "continuous deployment OR imvu"]


@pytest.mark.parametrize("text", RANKED)
@pytest.mark.parametrize("sparse_below", [1, 10**9], ids=["sparse", "dense"])
def test_numpy_bm25_equals_whoosh_scores(
    mixed: ThreadIndex, text: str, sparse_below: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Terms are combined where they occur (sparse) or over every document (dense),
    # whichever is cheaper for their sizes: both give Whoosh's scores.
    monkeypatch.setattr(scoring, "SPARSE_BELOW", sparse_below)
    combined: list[bool] = []
    sparse_combine = scoring._sparse_combine

    def counted(parts: list[Any], is_and: bool) -> Any:
        combined.append(is_and)
        return sparse_combine(parts, is_and)

    monkeypatch.setattr(scoring, "_sparse_combine", counted)
    searcher = mixed.searcher()
    columns = columns_for(mixed)
    q = parse(mixed, text)
    scorer = Scorer(searcher, ScoringCache(columns.doc_count), columns.doc_count)
    scored = scorer.scores(q)
    assert scored is not None
    fast = top_documents(scored[0], scored[1] & columns.live, 20)
    slow = searcher.search(q, limit=20)
    assert [d for d, _ in fast] == [hit.docnum for hit in slow]
    assert [s for _, s in fast] == pytest.approx([hit.score for hit in slow], rel=1e-12)
    assert int(np.count_nonzero(scored[1] & columns.live)) == len(slow)
    assert bool(combined) == (sparse_below == 1)


def test_unsupported_shapes_fall_back_to_whoosh(mixed: ThreadIndex) -> None:
    searcher = mixed.searcher()
    columns = columns_for(mixed)
    scorer = Scorer(searcher, ScoringCache(columns.doc_count), columns.doc_count)
    assert scorer.scores(parse(mixed, '"north korean refugees"')) is None
    assert scorer.scores(parse(mixed, "refug*")) is None


@pytest.mark.parametrize(
    "text",
    ['"north korea"', '"north of korea"', '"continuous deployment"', '"human being"']
    + ["North-Korea", '"human being"^3'],
)
def test_two_word_phrase_as_pair_terms_matches_what_the_phrase_matches(
    mixed: ThreadIndex, text: str
) -> None:
    # Since schema version 4 a phrase is a Sequence of each word's alternatives (its
    # terms in every language of the index); the pair look-ups the parser builds for
    # its two-word alternatives must match what the sequences match.
    schema = build_schema()
    langs = query_langs(SearchRequest(), columns_for(mixed))
    plain = build_parser(schema, langs, pairs=False).parse(text)
    assert any(isinstance(q, wq.Sequence) for q in _walk(plain))  # what Whoosh would run
    direct = parse_query(text, schema, langs)
    assert any(q.field() in ("title_pairs", "body_pairs") for q in direct.leaves())
    if text in ('"north korea"', "North-Korea"):  # two words in every language: no sequence
        assert not any(isinstance(q, wq.Sequence) for q in _walk(direct))
    searcher = mixed.searcher()
    phrase_docs = sorted(searcher.docs_for_query(plain))
    assert sorted(searcher.docs_for_query(direct)) == phrase_docs
    assert len(phrase_docs) > 0


def _walk(q: wq.Query) -> list[wq.Query]:
    return [q, *(sub for child in q.children() for sub in _walk(child))]


def test_term_sites_name_the_segments_whoosh_finds_the_term_in(mixed: ThreadIndex) -> None:
    # Every term of every query above, in every field it is on: the segments the sites
    # name, the document frequency and the idf are exactly Whoosh's, including a term
    # only deleted documents hold and a term no segment holds.
    searcher = mixed.searcher()
    reader = searcher.reader()
    leaves = searcher.leaf_searchers()
    assert len(leaves) == 2
    sites = TermSites()
    terms = {
        (leaf.fieldname, searcher.schema[leaf.fieldname].to_bytes(leaf.text))
        for text in QUERIES
        for leaf in _walk(parse(mixed, text))
        if type(leaf) is wq.Term
    } | {("body", b"nowhere-at-all"), ("kind", b"post")}
    assert len(terms) > 40
    for field, term in terms:
        found = sites.get(searcher, field, term)
        holding = tuple(n for n, (leaf, _) in enumerate(leaves) if (field, term) in leaf.reader())
        assert found.leaves == holding
        assert found.doc_frequency == reader.doc_frequency(field, term)
        assert term_idf(searcher, found) == searcher.idf(field, term)
        assert sites.get(searcher, field, term) is found  # asked once


def test_a_scorable_terms_ids_count_against_one_cache_budget(mixed: ThreadIndex) -> None:
    # A body term's ids come with its weights from the scoring cache and are counted
    # there alone; a term of a field without scores (the thread id) is the posting
    # cache's. Both are what Whoosh reads for the term.
    searcher = mixed.searcher()
    doc_count = searcher.doc_count_all()
    scoring = ScoringCache(doc_count)
    cache = PostingCache(doc_count, scoring.sites, scoring)
    body_term = b"refuge|en"  # the stem "refuge" in English text
    ids = cache.ids(searcher, BODY, body_term)
    scores = scoring.postings(searcher, BODY, body_term)[1]
    assert ids.tolist() == sorted(searcher.docs_for_query(wq.Term(BODY, body_term)))
    assert len(ids) > 1
    assert (cache.held_bytes, scoring.held_bytes) == (0, ids.nbytes + scores.nbytes)
    # The cached scores are Whoosh's BM25F scores of the term in each document.
    hits = searcher.search(wq.Term(BODY, body_term), limit=None)
    whoosh = {hit.docnum: hit.score for hit in hits}
    assert scores.tolist() == pytest.approx([whoosh[d] for d in ids.tolist()], rel=1e-12)
    thread = next(iter(searcher.lexicon(THREAD)))
    thread_ids = cache.ids(searcher, THREAD, thread)
    assert thread_ids.tolist() == sorted(searcher.docs_for_query(wq.Term(THREAD, thread)))
    assert (cache.held_bytes, scoring.held_bytes) == (
        thread_ids.nbytes,
        ids.nbytes + scores.nbytes,
    )


@pytest.mark.parametrize(
    "text",
    [
        '"data frame"',
        "linear model",
        "model.matrix OR read.table",
        'title:"time series"^2 lme',
        "(plot OR graph) AND NOT lattice",
        "(plot OR graph)^3 OR lattice",
        "straße~ régression*",
        "lang:de brot",
        "timestamp:[2005-01-01 TO 2005-02-01] 北京大学",
    ],
)
def test_spliced_query_is_whooshs_normal_form(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # The words' language alternatives are merged into their parents without Whoosh's
    # copies; the query must be the one Whoosh's normalize gives on its own.
    schema = build_schema()
    langs = ("en", "de", "fr", "tr", "zh", None)
    fast = parse_query(text, schema, langs)
    monkeypatch.setattr(parsing, "_spliced", lambda q: q)
    assert parse_query(text, schema, langs) == fast


def test_spliced_keeps_a_boosted_group_for_normalize() -> None:
    def tree() -> wq.Query:
        inner = wq.Or([wq.Term(BODY, "plot"), wq.Term(BODY, "graph")], boost=3.0)
        return wq.Or([inner, wq.And([wq.Term(BODY, "a"), wq.And([wq.Term(BODY, "b")])])])

    spliced = parsing._spliced(tree()).normalize()
    assert spliced == tree().normalize()
    assert wq.Term(BODY, "plot", boost=3.0) in spliced.subqueries


@pytest.mark.parametrize("text", [*QUERIES, *RANKED])
def test_absent_terms_left_out_change_no_hit_and_no_score(mixed: ThreadIndex, text: str) -> None:
    # A word names a term per language and field; those no segment holds are dropped
    # from their OR before masks and scores: Whoosh finds and scores the same.
    searcher = mixed.searcher()
    full = parse(mixed, text)
    pruned = without_absent_terms(parse(mixed, text), searcher, TermSites())
    ours = searcher.search(pruned, limit=None)
    theirs = searcher.search(full, limit=None)
    assert [(hit.docnum, hit.score) for hit in ours] == [(hit.docnum, hit.score) for hit in theirs]
    if text in ("refugee", "north korea"):  # words in every language of the index
        assert len(list(pruned.leaves())) < len(list(full.leaves()))
