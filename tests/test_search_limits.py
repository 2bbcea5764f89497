"""Query abuse is bounded: each documented limit is a 400 naming it; a spent time budget
gives a partial result instead of running on."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from unittest.mock import ANY

import pytest
from flask.testing import FlaskClient
from threadsearch.errors import QueryLimitError
from threadsearch.index import ThreadIndex
from threadsearch.model import SearchRequest
from threadsearch.query.engine import search
from threadsearch.query.limits import DEFAULT_LIMITS, QueryLimits

#: (query string, the limit it breaks, the value the request asked for)
BREACHES = [
    ("q=" + "+OR+".join(f"w{i}" for i in range(65)), "max_terms", 65),
    ("q=" + "(" * 33 + "refugee" + ")" * 33, "max_nesting", 33),
    ("q=refugee~2", "max_fuzzy_distance", 2),
    ("q=refugee~9", "max_fuzzy_distance", 9),
    ("q=*ugee", "allow_leading_wildcard", 1),
    ("q=%3Fefugee", "allow_leading_wildcard", 1),
    ("page=1000000000", "max_depth", 10_000_000_000),
    ("page=101&per_page=100", "max_depth", 10_100),
    # The document's maxLength answers first over HTTP; the library names its own limit.
]


@pytest.mark.parametrize(("query", "limit", "value"), BREACHES)
def test_each_breach_is_a_400_naming_the_limit(
    client: FlaskClient, query: str, limit: str, value: int
) -> None:
    response = client.get(f"/search?{query}")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["title"] == "Over a limit"
    assert body["errors"]["limit"] == limit
    assert body["errors"]["value"] == value
    assert f"over the limit {limit}=" in body["detail"]


@pytest.mark.parametrize(
    ("query", "parameter", "message"),
    [
        ("q=" + "x" * 601, "q", "Longer than the limit max_query_chars=600."),
        ("q=lm&" + "&".join(["facet=kind"] * 10), "facet",
         "More facets than the limit max_facets=9."),
    ],
)  # fmt: skip
def test_the_document_states_some_limits_and_names_them(
    client: FlaskClient, query: str, parameter: str, message: str
) -> None:
    response = client.get(f"/search?{query}")
    assert response.status_code == 400
    assert response.get_json()["errors"] == {parameter: [message]}


def test_the_library_names_the_length_limit(index: ThreadIndex) -> None:
    with pytest.raises(QueryLimitError, match="over the limit max_query_chars=10"):
        search(index, SearchRequest(q="x" * 11), limits=QueryLimits(max_query_chars=10))


def test_the_limits_are_the_documented_defaults() -> None:
    assert DEFAULT_LIMITS == QueryLimits(
        max_query_chars=600,
        max_terms=64,
        max_nesting=32,
        max_expansion=2000,
        max_fuzzy_distance=1,
        fuzzy_prefix=3,
        allow_leading_wildcard=False,
        max_depth=10_000,
    )


def test_at_each_limit_the_query_runs(client: FlaskClient) -> None:
    for query in (
        "q=" + "+".join(["refugee"] * 64),
        "q=" + "(" * 32 + "refugee" + ")" * 32,
        "q=refugee~1",
        "page=100&per_page=100",
    ):
        assert client.get(f"/search?{query}").status_code == 200, query


def test_a_prefix_over_the_expansion_limit_names_it(index: ThreadIndex) -> None:
    reader = index.searcher().reader()
    expansions = max(
        sum(1 for term in reader.lexicon(field) if term.startswith(b"ch"))
        for field in ("title", "body")
    )
    assert expansions == 14  # chain|en, chanc|en ... of the bodies
    within = QueryLimits(max_expansion=expansions)
    assert search(index, SearchRequest(q="ch*"), limits=within).total == 19
    with pytest.raises(QueryLimitError) as breach:
        search(index, SearchRequest(q="ch*"), limits=QueryLimits(max_expansion=expansions - 1))
    found = (breach.value.limit, breach.value.value, breach.value.maximum)
    assert found == ("max_expansion", expansions, expansions - 1)


def test_expansion_is_a_setting_of_the_app(seed_index_dir: Any) -> None:
    from threadsearch.api import create_app

    app = create_app({"TESTING": True, "INDEX": str(seed_index_dir), "MAX_EXPANSION": 3})
    body = app.test_client().get("/search?q=a*").get_json()
    app.extensions.pop("threadsearch").close()
    assert body["errors"] == {"limit": "max_expansion", "maximum": 3, "value": 4}
    assert body["detail"].startswith("the number of body terms a* expands to (at least) is 4")


@pytest.mark.parametrize("query", ["q=*", "q=hello%00world", "q=%FF%FE", "q=%00"])
def test_strange_but_bounded_queries_answer_200(client: FlaskClient, query: str) -> None:
    response = client.get(f"/search?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)


def test_a_spent_budget_gives_a_partial_result(index: ThreadIndex) -> None:
    request = SearchRequest(q="refugee", facets=["kind", "author"])
    cut = search(index, request, time_budget=0.0)
    full = search(index, request)
    assert (full.partial, cut.partial) == (False, True)
    assert [h.id for h in cut.hits] == [h.id for h in full.hits]
    assert cut.facets == {} and set(full.facets) == {"kind", "author"}
    assert cut.warnings == ["time budget spent: facets, highlights cut short"]
    assert all("<mark>" not in hit.snippet for hit in cut.hits)
    # A whole result is cached (for any budget); a partial one is not.
    assert search(index, request, time_budget=0.0) == replace(full, took_ms=ANY)


def test_the_http_budget_is_a_setting(seed_index_dir: Any) -> None:
    from threadsearch.api import create_app

    app = create_app({"TESTING": True, "INDEX": str(seed_index_dir), "TIME_BUDGET_MS": 0})
    body = app.test_client().get("/search?q=refugee&facet=kind").get_json()
    app.extensions.pop("threadsearch").close()
    assert body["partial"] is True
    assert body["facets"] == {}
