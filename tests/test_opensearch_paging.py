"""Cursor paging, query limits and HTTP manners with the opensearch backend.

The cluster holds a copy of the seed index (27 entries); every page and every refusal is
compared with what the Whoosh backend answers over the same entries.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from threadsearch.api import create_app
from threadsearch.backend import Backend, WhooshBackend
from threadsearch.errors import InvalidFilterError, QueryLimitError
from threadsearch.export import iter_index_fields
from threadsearch.index import open_index
from threadsearch.model import SearchRequest

if TYPE_CHECKING:
    from threadsearch.opensearch import OpenSearchBackend

    from cluster.launch import DevCluster

ALIAS = "paging-seed"


@pytest.fixture(scope="module")
def pair(
    opensearch_cluster: DevCluster, seed_index_dir: Path
) -> Iterator[tuple[WhooshBackend, OpenSearchBackend]]:
    from threadsearch.opensearch import OpenSearchBackend

    whoosh = WhooshBackend(open_index(seed_index_dir))
    cluster = OpenSearchBackend(opensearch_cluster.urls, alias=ALIAS)
    cluster.copy_fields(iter_index_fields(whoosh.index), shards=3, replicas=0)
    yield whoosh, cluster
    whoosh.close()
    cluster.drop()
    cluster.close()


def _by_cursor(backend: Backend, request: SearchRequest) -> tuple[list[str], int]:
    """Every hit id, page after page by ``next_cursor``; and how many pages it took."""
    ids: list[str] = []
    pages = 0
    cursor: str | None = None
    while True:
        result = backend.search(
            SearchRequest(q=request.q, sort=request.sort, per_page=request.per_page,
                          cursor=cursor)  # fmt: skip
        )
        pages += 1
        ids += [hit.id for hit in result.hits]
        cursor = result.next_cursor
        if cursor is None:
            return ids, pages


@pytest.mark.parametrize("sort", ["oldest", "newest"])
def test_cursor_pages_by_date_give_the_offset_pages(
    pair: tuple[WhooshBackend, OpenSearchBackend], sort: str
) -> None:
    whoosh, cluster = pair
    ids, pages = _by_cursor(cluster, SearchRequest(sort=sort, per_page=5))
    offset = [
        hit.id
        for page in range(1, 7)
        for hit in cluster.search(SearchRequest(sort=sort, per_page=5, page=page)).hits
    ]
    assert len(ids) == 27 and pages == 6
    assert ids == offset
    # The same entries as the Whoosh backend, each once.
    assert sorted(ids) == sorted(_by_cursor(whoosh, SearchRequest(sort=sort, per_page=5))[0])


def test_cursor_pages_by_relevance_give_each_hit_once(
    pair: tuple[WhooshBackend, OpenSearchBackend],
) -> None:
    whoosh, cluster = pair
    ids, pages = _by_cursor(cluster, SearchRequest(q="refugee", per_page=4))
    assert (len(ids), len(set(ids)), pages) == (13, 13, 4)
    assert set(ids) == set(_by_cursor(whoosh, SearchRequest(q="refugee", per_page=4))[0])


def test_a_whoosh_cursor_is_refused_by_the_cluster(
    pair: tuple[WhooshBackend, OpenSearchBackend],
) -> None:
    whoosh, cluster = pair
    cursor = whoosh.search(SearchRequest(sort="oldest", per_page=5)).next_cursor
    assert cursor is not None
    with pytest.raises(InvalidFilterError, match="made by another backend \\(whoosh\\)"):
        cluster.search(SearchRequest(sort="oldest", per_page=5, cursor=cursor))


@pytest.mark.parametrize(
    ("q", "limit"),
    [
        ("refugee~2", "max_fuzzy_distance"),
        ("*gee", "allow_leading_wildcard"),
        ("(" * 33 + "korea" + ")" * 33, "max_nesting"),
        (" ".join(["korea"] * 65), "max_terms"),
        ("k" * 601, "max_query_chars"),
    ],
)
def test_limits_refuse_the_same_queries_on_both_backends(
    pair: tuple[WhooshBackend, OpenSearchBackend], q: str, limit: str
) -> None:
    for backend in pair:
        with pytest.raises(QueryLimitError) as caught:
            backend.search(SearchRequest(q=q))
        assert caught.value.limit == limit


def test_http_api_on_the_cluster_pages_and_refuses_as_problem_json(
    opensearch_cluster: DevCluster, pair: tuple[WhooshBackend, OpenSearchBackend]
) -> None:
    app = create_app(
        {
            "TESTING": True,
            "BACKEND": "opensearch",
            "OPENSEARCH_URL": ",".join(opensearch_cluster.urls),
            "OPENSEARCH_INDEX": ALIAS,
        }
    )
    client = app.test_client()
    first = client.get("/search?sort=oldest&per_page=20")
    assert first.status_code == 200
    # No ETag on the cluster: the ETag is the local index generation.
    assert "ETag" not in first.headers
    assert first.headers["X-Request-Id"]
    body = first.get_json()
    assert (body["total"], len(body["hits"]), body["partial"]) == (27, 20, False)
    rest = client.get(f"/search?sort=oldest&per_page=20&cursor={body['next_cursor']}")
    assert rest.status_code == 200
    assert len(rest.get_json()["hits"]) == 7
    assert rest.get_json()["next_cursor"] is None
    refused = client.get("/search?q=refugee~2")
    assert refused.status_code == 400
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert "max_fuzzy_distance" in refused.get_json()["detail"]
    assert client.get("/readyz").get_json()["entries"] == 27
