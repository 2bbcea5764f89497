"""One query suite, two backends: Whoosh and a live 3-node OpenSearch cluster must agree.

Both answer over the same documents: the Whoosh index is copied into the cluster with
``copy_fields`` (what ``threadsearch copy`` does). Totals, filter results, facet counts,
calendar buckets, thread fetches, time-ordered pages and collapse counts must be identical;
where the order is by score (BM25 in both, but per-shard statistics and other analysis in
OpenSearch) the top ten must overlap by at least 0.8. The differences are listed in the
README, "When one machine is not enough".
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from threadsearch.backend import WhooshBackend
from threadsearch.export import iter_index_fields
from threadsearch.index import open_index
from threadsearch.ingest import ingest_paths
from threadsearch.model import SearchRequest, SearchResult

from tests.conftest import CORPORA, DATA

if TYPE_CHECKING:
    from threadsearch.opensearch import OpenSearchBackend

    from cluster.launch import DevCluster

ALL_FACETS = ["author", "kind", "thread", "site", "tag", "lang", "year", "month", "day"]
CORPUS_FILES = [
    "wxr/timothyfitz-wordpresscom-2009-2012.wxr.xml",
    "disqus/tanglei-name-zh-2010-2016.disqus.xml",
    "mbox/gpt-usuarios-pt-2007-10.txt.gz",
]

SEED_REQUESTS = [
    SearchRequest(facets=ALL_FACETS),
    SearchRequest(q="refugee", facets=["kind", "author", "day"]),
    SearchRequest(q="bounty hunters", facets=["kind"]),
    SearchRequest(q="north korea", kind=["comment"], facets=["kind", "day"]),
    SearchRequest(q='"light water reactor"'),
    SearchRequest(q="china OR korea", sort="oldest", facets=["day"]),
    SearchRequest(q="korea NOT north", sort="newest"),
    SearchRequest(
        since=datetime(2005, 10, 2, tzinfo=timezone.utc),
        until=datetime(2005, 10, 2, 23, 59, 59, tzinfo=timezone.utc),
        facets=["day", "kind"],
        sort="oldest",
    ),
    SearchRequest(kind=["trackback", "post"], facets=["kind"], page=1, per_page=5),
    SearchRequest(collapse="thread", facets=["thread"]),
    SearchRequest(sort="oldest", page=2, per_page=10),
]

CORPUS_REQUESTS = [
    SearchRequest(facets=ALL_FACETS, per_page=20),
    SearchRequest(facets=["lang", "kind", "year"], collapse="thread", sort="newest"),
    SearchRequest(q="deployment", facets=["kind", "site", "lang"], sort="newest"),
    SearchRequest(q="continuous deployment", kind=["comment"], facets=["author", "month"]),
    SearchRequest(q="博客", facets=["lang", "year"]),
    SearchRequest(lang=["zh"], facets=["author", "year", "kind"], sort="oldest"),
    SearchRequest(lang=["pt"], facets=["thread"], sort="newest", page=3),
    SearchRequest(kind=["pingback"], facets=["kind", "site"], sort="newest"),
    SearchRequest(
        since=datetime(2010, 1, 1, tzinfo=timezone.utc),
        until=datetime(2011, 6, 30, tzinfo=timezone.utc),
        facets=["month", "lang"],
        sort="oldest",
    ),
    # A prefix reaches the same terms on both: the stems of an entry in a stemmed language
    # (a French pingback named "… déployer en continu" is not found: its term is deploi|fr).
    SearchRequest(q="deploy*", collapse="thread", sort="newest", facets=["kind"]),
    SearchRequest(q="deploy*", kind=["pingback"], facets=["lang"], sort="newest"),
]

#: Ranked by score. Each word scores in each field with that field's statistics, and the
#: fields' scores add up, on both backends; Whoosh divides a title's length by the average
#: over every entry, untitled comments included, so it weighs a title match less than
#: BM25 on the cluster does, and there the overlap stays below 0.8 (README, "When one
#: machine is not enough").
_TITLES_WEIGH_LESS = pytest.mark.xfail(
    strict=True, reason="Whoosh averages title lengths over untitled entries too"
)
RANKED_QUERIES = [
    *("python", "usuários", "git", "博客", "continuous deployment", "deployment", "test"),
    *("lista", "code review", "java", "problema", "google", "数据"),
    *(pytest.param(q, marks=_TITLES_WEIGH_LESS) for q in ("deploy*", "server", "startup")),
    pytest.param("software", marks=_TITLES_WEIGH_LESS),
]

#: Text that query_string reads as syntax where Whoosh reads words (exclusion is NOT, not
#: a leading -; R-help and and/or are phrases), and dates as Whoosh reads them.
SYNTAX_QUERIES = [
    *("python -java", "!java python", "python +java", "python || java", "python && java"),
    *("deploy* -test", "continuous -(deployment)", "and/or", "/usr/lib", "a/b/c", "e-mail"),
    *("python -", "timestamp:>2011", "timestamp:[2010 TO 2011] -java", "timestamp:<2010"),
    *("timestamp:2010-03 OR timestamp:2012-01", "timestamp:[2010/01/01 TO 2010/06/30]"),
]


#: R-help months (in tests/data) whose code names R functions and C symbols:
#: contr.helmert, dyn.load, zt_taylor, myCfun. A word finds the identifiers it is a part
#: of, and an identifier itself, on both backends.
RHELP_FILES = ["mail/r-help-1997-05.txt", "mail/r-help-1998-10.txt"]
IDENTIFIER_REQUESTS = [
    SearchRequest(q="helmert", sort="newest"),
    SearchRequest(q="contr.helmert", sort="newest"),
    SearchRequest(q="load", facets=["author"], sort="newest"),
    SearchRequest(q="dyn.load", sort="newest", per_page=50),
    SearchRequest(q="taylor", sort="newest"),
    SearchRequest(q="cfun", sort="newest"),
    SearchRequest(q="myCfun", sort="newest"),
    SearchRequest(q="load", per_page=20),
    # Names with signs are names as written: C++ is not c (nor g++, lstdc++), S+ is not s.
    SearchRequest(q="C++", sort="newest", per_page=50),
    SearchRequest(q="g++", sort="newest"),
    SearchRequest(q="S+", facets=["author"], sort="newest", per_page=50),
    SearchRequest(q="c", sort="newest", per_page=50),
    # Each word in any field, as on Whoosh: "formulae" only in the subject, "function"
    # only in the body of 4 messages.
    SearchRequest(q="formulae function", sort="newest"),
    # A hyphen is part of a word on both, not an exclusion.
    *(SearchRequest(q=q, sort="newest") for q in ("S-plus -windows", "dyn.load -windows")),
    SearchRequest(q="R-help", sort="newest"),
]

#: Small German and Turkish threads and an English one naming German people and places
#: (tests/data/lang): words typed without their diacritics, and German with ae/oe/ue or
#: ss, find the same entries on both backends, in English text too (where no German
#: stemmer reads "ue" as "ü").
LANG_FILES = ["lang/de-threads.jsonl", "lang/tr-threads.jsonl", "lang/en-umlauts.jsonl"]
LANG_REQUESTS = [
    SearchRequest(q=word, sort="newest", facets=["lang"])
    for word in (
        *("muenchen", "munchen", "München", "strasse", "gruesse"),
        *("grusse", "koeln", "fuer", "gelaengt", "faehrt"),
        *("duesseldorf", "dusseldorf", "Düsseldorf", "goettingen", "Göttingen", "mueller"),
        *("muller", "Müller", "juergen", "jurgen", "Köln"),
        *("istanbul", "İstanbul", "carsi", "kutuphane", "sehir", "kitap", "tesekkurler"),
    )
]


def _fill(cluster: DevCluster, whoosh: WhooshBackend, alias: str) -> OpenSearchBackend:
    from threadsearch.opensearch import OpenSearchBackend

    backend = OpenSearchBackend(cluster.urls, alias=alias)
    backend.copy_fields(iter_index_fields(whoosh.index), shards=3, replicas=0)
    return backend


@pytest.fixture(scope="module")
def seed_pair(
    opensearch_cluster: DevCluster, seed_index_dir: Path
) -> Iterator[tuple[WhooshBackend, OpenSearchBackend]]:
    whoosh = WhooshBackend(open_index(seed_index_dir))
    cluster = _fill(opensearch_cluster, whoosh, "parity-seed")
    yield whoosh, cluster
    whoosh.close()
    cluster.drop()
    cluster.close()


def _pair(
    cluster: DevCluster, folder: Path, paths: list[Path], alias: str
) -> Iterator[tuple[WhooshBackend, OpenSearchBackend]]:
    """A Whoosh index of ``paths`` and its copy in the cluster, dropped afterwards."""
    index = open_index(folder / "index", create=True)
    ingest_paths(index, paths)
    whoosh = WhooshBackend(index)
    copy = _fill(cluster, whoosh, alias)
    yield whoosh, copy
    whoosh.close()
    copy.drop()
    copy.close()


@pytest.fixture(scope="module")
def corpus_pair(
    opensearch_cluster: DevCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[WhooshBackend, OpenSearchBackend]]:
    if not CORPORA.is_dir():
        pytest.skip(f"the shared corpora are not at {CORPORA}")
    paths = [CORPORA / name for name in CORPUS_FILES]
    yield from _pair(opensearch_cluster, tmp_path_factory.mktemp("corpus"), paths, "parity-corpus")


@pytest.fixture(scope="module")
def rhelp_pair(
    opensearch_cluster: DevCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[WhooshBackend, OpenSearchBackend]]:
    yield from _data_pair(opensearch_cluster, tmp_path_factory, RHELP_FILES, "rhelp")


@pytest.fixture(scope="module")
def lang_pair(
    opensearch_cluster: DevCluster, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[WhooshBackend, OpenSearchBackend]]:
    yield from _data_pair(opensearch_cluster, tmp_path_factory, LANG_FILES, "lang")


def _data_pair(
    cluster: DevCluster, factory: pytest.TempPathFactory, names: list[str], name: str
) -> Iterator[tuple[WhooshBackend, OpenSearchBackend]]:
    """:func:`_pair` of files in tests/data."""
    paths = [DATA / file for file in names]
    yield from _pair(cluster, factory.mktemp(name), paths, f"parity-{name}")


def _by_score(request: SearchRequest) -> bool:
    return request.sort == "relevance" and bool(request.q.strip())


def assert_same_result(request: SearchRequest, ours: SearchResult, theirs: SearchResult) -> None:
    assert theirs.total == ours.total
    assert theirs.facets == ours.facets
    ours_ids = [hit.id for hit in ours.hits]
    their_ids = [hit.id for hit in theirs.hits]
    if _by_score(request):
        wanted = min(len(ours_ids), 10)
        overlap = len(set(ours_ids[:10]) & set(their_ids[:10]))
        assert len(their_ids) == len(ours_ids)
        assert wanted == 0 or overlap / wanted >= 0.8, (ours_ids, their_ids)
    else:
        assert their_ids == ours_ids
        assert [h.collapsed for h in theirs.hits] == [h.collapsed for h in ours.hits]
    # Hits both return are the same hit: fields, snippet and highlights.
    theirs_by_id = {hit.id: hit for hit in theirs.hits}
    for hit in ours.hits:
        other = theirs_by_id.get(hit.id)
        if other is not None:
            assert (other.snippet, other.highlights, other.timestamp, other.thread_title) == (
                hit.snippet,
                hit.highlights,
                hit.timestamp,
                hit.thread_title,
            )


@pytest.mark.parametrize("request_", SEED_REQUESTS, ids=repr)
def test_opensearch_seed_answers_as_whoosh(
    seed_pair: tuple[WhooshBackend, OpenSearchBackend], request_: SearchRequest
) -> None:
    whoosh, cluster = seed_pair
    assert_same_result(request_, whoosh.search(request_), cluster.search(request_))


@pytest.mark.parametrize("request_", CORPUS_REQUESTS, ids=repr)
def test_opensearch_corpus_answers_as_whoosh(
    corpus_pair: tuple[WhooshBackend, OpenSearchBackend], request_: SearchRequest
) -> None:
    whoosh, cluster = corpus_pair
    assert_same_result(request_, whoosh.search(request_), cluster.search(request_))


@pytest.mark.parametrize("q", RANKED_QUERIES)
def test_opensearch_ranks_as_whoosh(
    corpus_pair: tuple[WhooshBackend, OpenSearchBackend], q: str
) -> None:
    whoosh, cluster = corpus_pair
    request = SearchRequest(q=q)
    ours = whoosh.search(request)
    assert ours.total >= 7
    assert_same_result(request, ours, cluster.search(request))


@pytest.mark.parametrize("q", SYNTAX_QUERIES)
def test_opensearch_reads_the_query_as_whoosh(
    corpus_pair: tuple[WhooshBackend, OpenSearchBackend], q: str
) -> None:
    whoosh, cluster = corpus_pair
    request = SearchRequest(q=q, sort="newest", per_page=50)
    assert_same_result(request, whoosh.search(request), cluster.search(request))


def test_opensearch_seed_thread_entry_and_stats_match(
    seed_pair: tuple[WhooshBackend, OpenSearchBackend],
) -> None:
    whoosh, cluster = seed_pair
    thread = whoosh.get_thread("97c3c134e99d8917")
    assert cluster.get_thread("97c3c134e99d8917") == thread
    assert len(thread.entries) == 27
    assert cluster.get_entry("97c3c134e99d8917-9") == whoosh.get_entry("97c3c134e99d8917-9")
    assert cluster.list_threads() == whoosh.list_threads()
    ours, theirs = whoosh.stats(), cluster.stats()
    same = ("entries", "threads", "authors", "sites", "kinds", "first", "last")
    assert {k: getattr(theirs, k) for k in same} == {k: getattr(ours, k) for k in same}
    assert theirs.entries == 27


def test_opensearch_corpus_threads_and_stats_match(
    corpus_pair: tuple[WhooshBackend, OpenSearchBackend],
) -> None:
    whoosh, cluster = corpus_pair
    ours, theirs = whoosh.stats(), cluster.stats()
    same = ("entries", "threads", "authors", "sites", "kinds", "first", "last")
    assert {k: getattr(theirs, k) for k in same} == {k: getattr(ours, k) for k in same}
    for page in (1, 2):
        assert cluster.list_threads(page, 20) == whoosh.list_threads(page, 20)
    for summary in whoosh.list_threads(1, 5).threads:
        assert cluster.get_thread(summary.id) == whoosh.get_thread(summary.id)


def test_opensearch_unknown_ids_are_not_found(
    seed_pair: tuple[WhooshBackend, OpenSearchBackend],
) -> None:
    from threadsearch.errors import NotFoundError

    _, cluster = seed_pair
    with pytest.raises(NotFoundError, match="no thread with id 'nope'"):
        cluster.get_thread("nope")
    with pytest.raises(NotFoundError, match="no entry with id 'nope'"):
        cluster.get_entry("nope")


@pytest.mark.parametrize("request_", IDENTIFIER_REQUESTS, ids=repr)
def test_opensearch_identifiers_answer_as_whoosh(
    rhelp_pair: tuple[WhooshBackend, OpenSearchBackend], request_: SearchRequest
) -> None:
    whoosh, cluster = rhelp_pair
    assert_same_result(request_, whoosh.search(request_), cluster.search(request_))


@pytest.mark.parametrize("request_", LANG_REQUESTS, ids=repr)
def test_opensearch_spelling_variants_answer_as_whoosh(
    lang_pair: tuple[WhooshBackend, OpenSearchBackend], request_: SearchRequest
) -> None:
    whoosh, cluster = lang_pair
    ours = whoosh.search(request_)
    assert ours.total > 0, "each word is in the threads"
    assert_same_result(request_, ours, cluster.search(request_))


@pytest.mark.parametrize(
    ("word", "pattern", "count"),
    [
        ("helmert", r"contr\.helmert", 1),
        ("load", r"dyn\.load", 10),
        ("taylor", r"zt_taylor", 1),
        ("cfun", r"myCfun", 1),
    ],
)
def test_opensearch_finds_an_identifier_by_its_part(
    rhelp_pair: tuple[WhooshBackend, OpenSearchBackend], word: str, pattern: str, count: int
) -> None:
    """Every entry naming the identifier (in its text, quoted lines included) is found by
    the identifier's part, on both backends."""
    import re

    from threadsearch.export import iter_index_fields

    whoosh, cluster = rhelp_pair
    truth = {
        f["id"]
        for f in iter_index_fields(whoosh.index)
        if re.search(pattern, " ".join(f.get(k) or "" for k in ("title", "body", "quoted")))
    }
    assert len(truth) == count
    for backend in (whoosh, cluster):
        found = {h.id for h in backend.search(SearchRequest(q=word, per_page=100)).hits}
        assert truth <= found


@pytest.mark.parametrize(
    ("query", "pattern", "count"),
    [("C++", r"c\+\+", 2), ("S+", r"s\+", 2)],
)
def test_opensearch_finds_a_name_with_signs_as_written(
    rhelp_pair: tuple[WhooshBackend, OpenSearchBackend], query: str, pattern: str, count: int
) -> None:
    """Exactly the entries whose subject or body has the name standing alone (not inside
    ``lstdc++``, not ``C`` alone) are found, on both backends."""
    import re

    from threadsearch.export import iter_index_fields

    whoosh, cluster = rhelp_pair
    alone = re.compile(rf"(?<![\w.]){pattern}(?![\w+#])", re.IGNORECASE)
    truth = {
        f["id"]
        for f in iter_index_fields(whoosh.index)
        if alone.search(" ".join(f.get(k) or "" for k in ("title", "body")))
    }
    assert len(truth) == count
    for backend in (whoosh, cluster):
        assert {h.id for h in backend.search(SearchRequest(q=query, per_page=100)).hits} == truth


def test_opensearch_suggests_as_whoosh(
    seed_pair: tuple[WhooshBackend, OpenSearchBackend],
) -> None:
    # Both keep the typed word's first letter (SUGGEST_PREFIX): "country" is as near
    # to "bountyy" but is not proposed.
    request = SearchRequest(q="bountyy huntrs")
    for backend in seed_pair:
        result = backend.search(request)
        assert (result.total, result.suggestion) == (0, "bounty hunters")
